"""Determinism: the same inputs give the same bytes.

Two cleanings of ``data/raw`` give byte-identical parquet, CSV, JSON and Markdown files. Two
builds from the same processed data into two folders, at different times and with different
numbers of workers (fresh kernels in one, a reused warm kernel in the other), give
byte-identical HTML apart from the marked provenance timestamps, byte-identical Excel
workbooks, the same stamps and the same notebook outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from analysis import build, clean

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
PROVENANCE = re.compile(r'<time data-provenance="timestamp">[^<]*</time>')
GENERATED_AT = re.compile(r"'generated_at': '[^']*'")  # in the record's text/plain form


def files(folder: Path, *suffixes: str) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in suffixes}  # fmt: skip


def _timeless(obj):
    """``obj`` without provenance time stamps (in HTML text, and the record's generated_at)."""
    if isinstance(obj, str):
        return GENERATED_AT.sub("", PROVENANCE.sub("", obj))
    if isinstance(obj, dict):
        return {k: _timeless(v) for k, v in obj.items() if k != "generated_at"}
    if isinstance(obj, list):
        return [_timeless(v) for v in obj]
    return obj


@pytest.fixture(scope="module")
def two_builds(processed, tmp_path_factory):
    outs = []
    for jobs, at in ((2, "2026-01-01T00:00:00+00:00"), (1, "2026-06-30T23:59:59+00:00")):
        out = tmp_path_factory.mktemp(f"determinism-{jobs}") / "reports"
        common = dict(raw=RAW, processed=processed, out=out, jobs=jobs, generated_at=at)
        outcomes = build.run(build.Options(**common, provinces=("Quảng Ninh",), units=("old",),
                                           langs=("vi", "en")))  # fmt: skip
        outcomes += build.run(build.Options(**common, units=(), langs=("vi",)))  # overview
        assert sorted(o.status for o in outcomes) == ["built"] * 3, outcomes
        outs.append(out)
    return outs


def test_cleaning_twice_gives_the_same_bytes(processed, tmp_path):
    again = tmp_path / "processed"
    clean.run(RAW, again)
    kinds = (".parquet", ".csv", ".json", ".md")
    first, second = files(processed, *kinds), files(again, *kinds)
    assert sorted(first) == sorted(second)
    assert {Path(k).suffix for k in first} == set(kinds)
    different = [k for k in first if first[k].read_bytes() != second[k].read_bytes()]
    assert different == []


def test_html_is_identical_but_for_the_provenance_time(two_builds):
    a, b = two_builds
    first, second = files(a, ".html"), files(b, ".html")
    assert sorted(first) == sorted(second)
    assert {"index.html", "vi/2024/quang-ninh.html", "en/2024/quang-ninh.html",
            "vi/2024/overview.html"} <= set(first)  # fmt: skip
    for key in first:
        x, y = first[key].read_text("utf-8"), second[key].read_text("utf-8")
        assert "data-provenance" in x and x != y, key  # built at different times ...
        assert PROVENANCE.sub("", x) == PROVENANCE.sub("", y), key  # ... and otherwise the same


def test_excel_is_byte_identical(two_builds):
    a, b = two_builds
    first, second = files(a, ".xlsx"), files(b, ".xlsx")
    assert sorted(first) == sorted(second) and first
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes(), key


def test_stamps_and_notebook_outputs_are_the_same(two_builds):
    a, b = two_builds
    stamps = files(a / "_state", ".json")
    assert sorted(stamps) == sorted(files(b / "_state", ".json"))
    for key, path in stamps.items():
        x = json.loads(path.read_text("utf-8"))
        y = json.loads((b / "_state" / key).read_text("utf-8"))
        for stamp in (x, y):
            stamp.get("record", {}).pop("generated_at", None)
        assert x == y, key
    for key, path in files(a / "_executed", ".ipynb").items():
        outputs = []
        for nb_path in (path, b / "_executed" / key):
            nb = nbformat.read(nb_path, as_version=4)
            cells = [c for c in nb.cells if c.cell_type == "code"
                     and "injected-parameters" not in c.metadata.get("tags", [])]  # fmt: skip
            outputs.append(_timeless([c.outputs for c in cells]))
        assert outputs[0] == outputs[1], key
