import os
import subprocess
import sys

import pandas as pd
import pytest

from analysis import store


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "t.csv"
    store.write(pd.DataFrame({"a": [1]}), target)
    assert target.read_text("utf-8-sig").startswith("a")
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    store.write(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()

    def boom(obj, path):
        path.write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setitem(store.WRITERS, ".csv", boom)
    with pytest.raises(RuntimeError):
        store.write(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_unknown_suffix():
    with pytest.raises(ValueError, match="no writer"):
        store.write("x", "a.unknown")


def test_replace_dir_is_all_or_nothing(tmp_path, monkeypatch):
    out = tmp_path / "processed"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    store.replace_dir({"a.csv": pd.DataFrame({"x": [1]}), "m.json": {"k": 1}}, out)
    assert sorted(p.name for p in out.iterdir()) == [".gitkeep", "a.csv", "m.json"]
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()}

    original = store.WRITERS[".json"]

    def boom(obj, path):
        raise RuntimeError("killed")

    monkeypatch.setitem(store.WRITERS, ".json", boom)
    with pytest.raises(RuntimeError):
        store.replace_dir({"a.csv": pd.DataFrame({"x": [2]}), "m.json": {"k": 2}}, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed"]
    monkeypatch.setitem(store.WRITERS, ".json", original)


def test_replace_dir_removes_what_a_killed_writer_left(tmp_path):
    """A writer killed mid-way leaves its staging folder (or the folder it was replacing)
    beside the output; the next writer removes those of dead processes, not of live ones."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    live = str(os.getpid())
    left = [f".processed.tmp-{dead}-x1y2", f".processed.old-{dead}"]
    kept = [f".processed.tmp-{live}-a1b2", ".processed.old-notapid", ".other.tmp-1-x", "keep"]
    for name in left + kept:
        (tmp_path / name).mkdir()
        (tmp_path / name / "communes.parquet").write_bytes(b"half-written")
    store.replace_dir({"a.json": {"k": 1}}, tmp_path / "processed")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([*kept, "processed"])
    assert (tmp_path / "processed" / "a.json").exists()


def test_xlsx_is_reproducible_and_formula_safe(tmp_path):
    import time

    sheets = {
        "t": pd.DataFrame({"name": ["Cẩm La", '=HYPERLINK("x")', "@SUM(A1)"], "v": [1.5, 2, 3]})
    }
    store.write(sheets, tmp_path / "a.xlsx")
    time.sleep(2.1)  # zip entry times have a 2-second resolution
    store.write(sheets, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    back = pd.read_excel(tmp_path / "a.xlsx")
    assert back["name"].tolist() == ["Cẩm La", '\'=HYPERLINK("x")', "'@SUM(A1)"]
