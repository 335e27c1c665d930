"""Faults: a kernel that dies mid-notebook, and a build killed with SIGKILL at random points.

(A notebook that raises is covered in ``test_build.py``.) A kernel that dies (``os._exit``)
fails its own report with a clear reason while the others build, and the same worker's next
report gets a new kernel. A build killed outright (the whole process tree, as the OOM killer
or ``systemctl stop`` would) never leaves a partial HTML, Excel, stamp or notebook under its
final name, only hidden ``.<name>.tmp-<pid>-*`` files, which the next run removes; that run
then completes, and the reports equal those of a build that was never interrupted (HTML
compared without the marked provenance timestamps).
"""

from __future__ import annotations

import html.parser
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import openpyxl
import pytest

from analysis import build, engines

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
PROVENANCE = re.compile(r'<time data-provenance="timestamp">[^<]*</time>')
TEMP = re.compile(r"\..+\.tmp-\d+-.*")
SEED = 20251125
KILL_POINTS = 3  # random ones, plus one while a notebook is being written


# ----------------------------------------------------------------------------- helpers


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the build, its workers and their kernels (kernels have sessions of their own)."""
    victims = [proc.pid, *_descendants(proc.pid)]
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while not all(_gone(pid) for pid in victims) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in victims)


def build_command(processed: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "analysis", "build", "--raw", str(RAW),
            "--processed", str(processed), "--out", str(out), "--province", "Quảng Ninh",
            "--province", "Hà Nội", "--units", "old", "--lang", "vi", "--jobs", "2"]  # fmt: skip


def start(cmd: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as fh:
        return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=ROOT)  # fmt: skip


def run_to_completion(cmd: list[str], log: Path, timeout: float = 240) -> float:
    began = time.monotonic()
    proc = start(cmd, log)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        pytest.fail(f"build did not finish in {timeout} s:\n{log.read_text()[-3000:]}")
    assert code == 0, log.read_text()[-3000:]
    return time.monotonic() - began


def hidden_temps(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob(".*") if p.is_file())


def assert_nothing_partial(out: Path) -> list[Path]:
    """Every file under its final name is whole; anything else is a hidden temp file."""
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or "_logs" in path.parts:
            continue
        if path.suffix == ".html":
            text = path.read_text("utf-8")
            assert text.rstrip().endswith("</html>"), path
            parser = html.parser.HTMLParser()
            parser.feed(text)
            parser.close()
        elif path.suffix == ".xlsx":
            openpyxl.load_workbook(path, read_only=True).close()
        elif path.suffix == ".json":
            json.loads(path.read_text("utf-8"))
        elif path.suffix == ".ipynb":
            nbformat.read(path, as_version=4)
        else:
            pytest.fail(f"unexpected file {path}")
    temps = hidden_temps(out)
    assert all(TEMP.fullmatch(p.name) for p in temps), temps
    return temps


def snapshot(out: Path) -> dict[str, object]:
    """The reports as a reader sees them: HTML without provenance times, Excel bytes, stamps
    without their time, the executed notebooks' names."""
    files: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or "_logs" in path.parts:
            continue
        key = path.relative_to(out).as_posix()
        if path.suffix == ".html":
            files[key] = PROVENANCE.sub("<time/>", path.read_text("utf-8"))
        elif path.suffix == ".json":
            stamp = json.loads(path.read_text("utf-8"))
            stamp.get("record", {}).pop("generated_at", None)
            files[key] = stamp
        elif path.suffix == ".ipynb":
            files[key] = "notebook"
        else:
            files[key] = path.read_bytes()
    return files


# ----------------------------------------------------------------------------- kernel death


DIES = "if province == 22:\n    import os\n    os._exit(1)  # planted: the kernel dies"

SCRIPT = """
import json, sys
from pathlib import Path
from analysis import build

def main():
    raw, processed, out, notebooks = map(Path, sys.argv[1:5])
    jobs = int(sys.argv[5])
    opts = build.Options(raw=raw, processed=processed, out=out, notebooks=notebooks, jobs=jobs,
                         provinces=("Quảng Ninh", "Quảng Nam"), units=("old",),
                         langs=("vi",), generated_at="2026-01-01T00:00:00+00:00")
    outcomes = build.run(opts)
    print(json.dumps([[o.target.slug, o.status, o.reason, o.executed] for o in outcomes]))

if __name__ == "__main__":
    main()
"""


def build_with_planted_cell(processed, tmp_path, cell: str, jobs: int) -> tuple[list, Path]:
    """Build Quảng Ninh and Quảng Nam with ``cell`` planted in the brief; the outcomes (slug,
    status, reason, executed notebook) and the reports folder."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".*", "kernel-*"))
    nb = nbformat.read(notebooks / "brief.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(cell))
    nbformat.write(nb, notebooks / "brief.ipynb")
    script, out, log = tmp_path / "run.py", tmp_path / "reports", tmp_path / "build.log"
    script.write_text(SCRIPT, "utf-8")
    cmd = [sys.executable, str(script), str(RAW), str(processed), str(out), str(notebooks),
           str(jobs)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(log, "wb"),
                            start_new_session=True, cwd=ROOT, text=True)  # fmt: skip
    try:
        stdout, _ = proc.communicate(timeout=300)  # a dead kernel once hung the worker forever
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        pytest.fail("the build hung after the planted cell ran")
    assert proc.returncode == 0, log.read_text()[-3000:]
    return json.loads(stdout.strip().splitlines()[-1]), out


def test_a_dying_kernel_fails_only_its_report(processed, tmp_path):
    outcomes, out = build_with_planted_cell(processed, tmp_path, DIES, jobs=1)
    status = {slug: (state, reason) for slug, state, reason, _ in outcomes}
    assert status["quang-ninh"][0] == "failed"
    assert "kernel" in status["quang-ninh"][1].lower() and "died" in status["quang-ninh"][1]
    assert status["quang-nam"][0] == "built"
    # one worker: what finished after the dead kernel ran in a new kernel of the same worker
    order = [slug for slug, *_ in outcomes]
    assert order.index("quang-nam") > order.index("quang-ninh")
    executed = next(e for slug, _, _, e in outcomes if slug == "quang-ninh")
    kept = nbformat.read(executed, as_version=4)  # kept for audit, readable
    assert any(DIES in c.source for c in kept.cells)
    assert not (out / "vi/2024/quang-ninh.html").exists()
    assert (out / "vi/2024/quang-nam.html").exists()
    assert hidden_temps(out) == []
    assert "quang-nam" in (out / "index.html").read_text("utf-8")


KILLS_WORKER = (
    "if province == 22:\n    import os, signal\n"
    "    os.kill(os.getppid(), signal.SIGKILL)  # planted: the worker process running the kernel"
)


def test_a_report_that_kills_its_worker_fails_alone(processed, tmp_path):
    """A worker process killed (as by the OOM killer) breaks the pool: the report it was
    building is tried again alone and fails when it kills its worker again; the report the other
    worker was building, and those not started, are built."""
    outcomes, out = build_with_planted_cell(processed, tmp_path, KILLS_WORKER, jobs=2)
    status = {slug: (state, reason) for slug, state, reason, _ in outcomes}
    assert status["quang-ninh"][0] == "failed"
    assert "worker process died" in status["quang-ninh"][1]
    assert status["quang-nam"][0] == "built"
    assert sorted(slug for slug, *_ in outcomes) == ["quang-nam", "quang-ninh"]  # once each
    (run_log,) = (out / "_logs").glob("build-*.log")
    assert "its worker process died" in run_log.read_text("utf-8")
    assert (out / "vi/2024/quang-nam.html").exists()
    assert not (out / "vi/2024/quang-ninh.html").exists()
    assert hidden_temps(out) == []  # nor the dead workers' temporary files and markers
    assert "quang-nam" in (out / "index.html").read_text("utf-8")


# ----------------------------------------------------------------------------- SIGKILL


@pytest.fixture(scope="module")
def reference(processed, tmp_path_factory):
    """An uninterrupted build, and how long it took."""
    base = tmp_path_factory.mktemp("reference")
    data = base / "processed"
    shutil.copytree(processed, data)  # the build must not touch the shared fixture
    out = base / "reports"
    seconds = run_to_completion(build_command(data, out), base / "build.log")
    return data, snapshot(out), seconds, out


def test_killed_build_leaves_nothing_partial_and_recovers(reference, tmp_path):
    data, expected, seconds, _ = reference
    assert any(k.endswith(".html") for k in expected) and any(k.endswith(".xlsx") for k in expected)
    rng = random.Random(SEED)
    points: list[float | None] = [round(rng.uniform(1.0, max(seconds, 2.0)), 2)
                                  for _ in range(KILL_POINTS)]  # fmt: skip
    points.append(None)  # None: as soon as a temporary file shows up
    tried, left_temps = [], 0
    # two chains: each is killed twice (the second kill hits a run resuming the first), then
    # run to completion and compared with the uninterrupted build
    for chain, kills in enumerate((points[:2], points[2:])):
        out, log = tmp_path / f"reports-{chain}", tmp_path / f"build-{chain}.log"
        cmd = build_command(data, out)
        for point in kills:
            proc = start(cmd, log)
            if point is None:
                deadline = time.monotonic() + 4 * seconds
                while proc.poll() is None and time.monotonic() < deadline:
                    if out.exists() and hidden_temps(out):
                        break
                    time.sleep(0.02)
            else:
                try:
                    proc.wait(timeout=point)
                except subprocess.TimeoutExpired:
                    pass
            finished = proc.poll() is not None
            kill_tree(proc)
            tried.append((point, finished))
            temps = assert_nothing_partial(out) if out.exists() else []
            left_temps += bool(temps)
        # the next run removes what the killed ones left, completes, and equals the reference
        run_to_completion(cmd, log)
        assert hidden_temps(out) == []
        assert engines.remove_stale_sockets() == []  # nor the killed kernels' socket files
        got = snapshot(out)
        assert sorted(got) == sorted(expected), (kills, set(got) ^ set(expected))
        for key in expected:
            assert got[key] == expected[key], (kills, key)
    assert sum(not finished for _, finished in tried) >= 3, tried  # the kills hit live builds
    assert left_temps >= 1, tried  # at least one kill left temporary files to clean up


def test_index_catches_up_after_a_kill_before_it_was_written(reference, tmp_path):
    """Killed after a report's stamp was written but before the index: the next run, with
    nothing left to build, still rewrites the index from the stamps."""
    data, _, _, built = reference
    out = tmp_path / "reports"
    shutil.copytree(built, out)
    stamp_path = out / "_state" / "vi" / "2024" / "quang-ninh.json"
    stamp = json.loads(stamp_path.read_text("utf-8"))
    stamp["record"]["headline"] = "headline of a report built just before the kill"
    stamp_path.write_text(json.dumps(stamp), "utf-8")  # newer than index.html
    opts = build.Options(raw=RAW, processed=data, out=out, provinces=("Quảng Ninh", "Hà Nội"),
                         units=("old",), langs=("vi",), jobs=1)  # fmt: skip
    outcomes = build.run(opts)
    assert {o.status for o in outcomes} <= {"up-to-date", "not-applicable"}
    assert "headline of a report built just before the kill" in (out / "index.html").read_text()
