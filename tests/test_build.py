"""The build: parallel, incremental, failure-isolated, atomic; warm kernels give identical briefs."""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from jupyter_core.utils import run_sync

from analysis import build, engines, render
from analysis.engines import WarmEngine

ROOT = Path(__file__).resolve().parents[1]
SEEDS = [("Quảng Ninh", "old"), ("Quảng Nam", "old"), ("Đà Nẵng", "new"), ("Vĩnh Phúc", "old"),
         ("Phú Thọ", "new"), ("Hà Nội", "old"), ("Hà Nội", "new")]  # fmt: skip
PROVENANCE = re.compile(r'<time data-provenance="timestamp">[^<]*</time>')


def options(processed, out, **kw):
    base = dict(raw=ROOT / "data" / "raw", processed=processed, out=out, langs=("vi",), jobs=2,
                generated_at="2026-01-01T00:00:00+00:00")  # fmt: skip
    return build.Options(**{**base, **kw})


@pytest.fixture(scope="module")
def built(processed, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    names = tuple(dict.fromkeys(name for name, _ in SEEDS))
    outcomes = build.run(options(processed, out, provinces=names))
    return out, outcomes


def test_every_seed_place_gets_a_brief(built):
    out, outcomes = built
    failed = [(o.target.stem, o.reason) for o in outcomes if o.status == "failed"]
    assert not failed
    built_ = {(o.target.name, o.target.period) for o in outcomes if o.status == "built"}
    for name, period in SEEDS:
        assert any(name in n and p == period for n, p in built_), (name, period)
    for o in outcomes:
        if o.status == "built":
            paths = o.target.paths(out)
            assert paths["html"].exists() and paths["xlsx"].exists() and paths["executed"].exists()


def test_html_is_a_brief_a_person_can_read(built):
    out, outcomes = built
    for o in outcomes:
        if o.status != "built" or o.target.kind != "brief":
            continue
        html = o.target.paths(out)["html"].read_text("utf-8")
        for anchor in ("findings", "coverage", "comparison", "charts", "methods", "provenance"):
            assert f'id="{anchor}"' in html
        assert "Brief.build" not in html and "import " not in html  # no code
        assert 'class="error"' not in html and "Traceback" not in html
        assert html.count("data:image/svg+xml;base64,") >= 3
        assert "<script" not in html and 'src="http' not in html
        assert "Xã thí điểm" in html  # Vietnamese text, diacritics intact


def test_no_personal_data_in_reports(built):
    out, _ = built
    names = set()
    for path in (ROOT / "data" / "raw" / "household").rglob("*.csv"):
        text = path.read_text("utf-8-sig", errors="ignore")
        names.update(re.findall(r"\b0\d{9}\b", text))  # phone numbers
        names.update(re.findall(r"\b\d{12}\b", text))  # citizen IDs
    assert names
    for path in out.rglob("*"):
        if path.suffix in (".html", ".ipynb", ".json", ".log"):
            text = path.read_text("utf-8")
            leaked = [n for n in names if n in text]
            assert not leaked, (path, leaked[:3])


def test_index_lists_every_brief(built):
    out, outcomes = built
    index = (out / "index.html").read_text("utf-8")
    for o in outcomes:
        if o.status == "built":
            assert f'href="{o.target.stem}.html"' in index


def test_nothing_changed_means_nothing_rebuilt(built, processed):
    out, first = built
    names = tuple(dict.fromkeys(name for name, _ in SEEDS))
    again = build.run(options(processed, out, provinces=names))
    assert {o.status for o in again} <= {"up-to-date", "not-applicable"}
    assert sum(o.status == "up-to-date" for o in again) == sum(o.status == "built" for o in first)


def test_dry_run_says_why(built, processed, tmp_path):
    out, _ = built
    copy = tmp_path / "reports"
    shutil.copytree(out, copy)
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".*", "kernel-*"))
    nb = nbformat.read(notebooks / "brief.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("changed"))
    nbformat.write(nb, notebooks / "brief.ipynb")
    opts = options(processed, copy, provinces=("Quảng Ninh",), dry_run=True, notebooks=notebooks)
    targets, _ = build.plan(opts)
    state = build._slices(opts)
    reasons = {t.stem: build.stale(t, opts, build.dependencies(t, opts, state)) for t in targets}
    assert reasons["vi/2024/quang-ninh"] == "template changed"
    outcomes = build.run(opts)
    assert {o.status for o in outcomes} <= {"would-build", "up-to-date", "not-applicable"}


def test_one_failure_does_not_stop_the_others(processed, tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".*", "kernel-*"))
    nb = nbformat.read(notebooks / "brief.ipynb", as_version=4)
    nb.cells.insert(
        3,
        nbformat.v4.new_code_cell('if province == 22:\n    raise RuntimeError("planted failure")'),
    )
    nbformat.write(nb, notebooks / "brief.ipynb")
    out = tmp_path / "reports"
    opts = options(processed, out, provinces=("Quảng Ninh", "Hà Nội"), units=("old",),
                   notebooks=notebooks)  # fmt: skip
    outcomes = {o.target.slug: o for o in build.run(opts)}
    assert outcomes["quang-ninh"].status == "failed"
    assert "planted failure" in outcomes["quang-ninh"].reason
    assert Path(outcomes["quang-ninh"].executed).exists()  # kept for audit
    assert outcomes["ha-noi"].status == "built"
    assert not (out / "vi/2024/quang-ninh.html").exists()
    assert not list(out.rglob(".*tmp*"))


def test_cli_exit_code_and_summary(processed, tmp_path):
    out = tmp_path / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--processed", str(processed), "--out", str(out),
         "--province", "Nowhere Province"], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2
    assert "none of the provinces" in done.stderr and "Traceback" not in done.stderr


def test_kernels_use_unix_sockets_unless_the_temp_path_is_too_long(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    short = engines.transport()
    assert short["transport"] == "ipc" and short["ip"].startswith("/tmp/analysis-kernel-")
    assert engines.transport()["ip"] != short["ip"]  # each kernel its own
    long = tmp_path / ("d" * (engines.MAX_SOCKET_PATH - len(str(tmp_path))))
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    assert engines.transport() == {"transport": "tcp"}
    try:  # and a kernel starts and runs code that way
        WarmEngine._kernel("python3", str(tmp_path), 60)
        reply = run_sync(WarmEngine.kc.execute_interactive)("6 * 7", timeout=60)
        assert reply["content"]["status"] == "ok"
        assert WarmEngine.km.transport == "tcp"
    finally:
        WarmEngine.shutdown()


def test_warm_kernel_gives_the_same_brief_as_a_fresh_one(processed, tmp_path):
    template = nbformat.read(ROOT / "notebooks" / "brief.ipynb", as_version=4)

    def run(province, engine):
        params = {"province": province, "data_dir": str(processed), "generated_at": "fixed"}
        nb = pm.execute_notebook(template, None, parameters=params, engine_name=engine,
                                 kernel_name="python3", progress_bar=False,
                                 cwd=str(ROOT / "notebooks"))  # fmt: skip
        return render.notebook_to_html(nb, title="t", lang="vi"), nb

    try:
        run("Hà Nội", "warm")
        warm_html, warm_nb = run("Quảng Ninh", "warm")
        assert WarmEngine.notebooks_run >= 2
    finally:
        WarmEngine.shutdown()
    fresh_html, fresh_nb = run("Quảng Ninh", None)
    assert warm_html == fresh_html
    counts = [
        [c.get("execution_count") for c in n.cells if c.cell_type == "code"]
        for n in (warm_nb, fresh_nb)
    ]
    assert counts[0] == counts[1]
    outputs = [[json.dumps(c.get("outputs"), sort_keys=True) for c in n.cells if c.cell_type == "code"]
               for n in (warm_nb, fresh_nb)]  # fmt: skip
    assert outputs[0] == outputs[1]
