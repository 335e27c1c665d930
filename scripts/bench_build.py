"""Benchmark: regenerating every province brief, four ways, on the same generated data.

    .venv/bin/python scripts/bench_build.py [--provinces 34] [--jobs 2] [--data DIR]

Data: national-scale synthetic exports (``analysis.sample``, ~50 respondents per commune) for
the ``--provinces`` pre-2025 provinces whose commune count is closest to 100, × 3 waves,
cleaned once. Then, on the same processed data, one brief per province (Vietnamese, latest
wave, pre-2025 units):

(a) the naive loop a user would write: ``papermill`` then ``jupyter nbconvert --to html
    --no-input`` per province, sequentially;
(b) the full cold build: ``python -m analysis build`` into an empty reports folder;
(c) a no-change rebuild: the same command again;
(d) the floor: the brief's code cells ``exec``'d in plain Python processes, as many as the
    build's workers, with the charts drawn and encoded as the brief embeds them and the Excel
    workbook written as the build has it written; no kernel, no nbconvert. Its time spent
    drawing charts is reported separately.

Prints each time and the ratios (targets: a/b ≥ 6, b/d ≤ 1.25, c < 1 s). On a shared machine,
``--repeat 3`` runs (b) and (d) three times, alternating, and keeps the medians.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "brief.ipynb"
BIN = Path(sys.executable).parent
log = logging.getLogger("bench_build")

FLOOR = r"""
import json, sys, tempfile, time
from pathlib import Path
t0 = time.perf_counter()
out = tempfile.mkdtemp()  # the Excel workbooks are written, as the build writes them
import nbformat
from analysis import brief as brief_module, plot
cells = [c.source for c in nbformat.read(sys.argv[1], as_version=4).cells if c.cell_type == "code"
         and "parameters" not in c.metadata.get("tags", [])]
charts = 0.0
original = brief_module.Brief.charts
def timed(self):
    global charts
    start = time.perf_counter()
    try:
        return original(self)
    finally:
        charts += time.perf_counter() - start
brief_module.Brief.charts = timed
for code in json.loads(sys.argv[3]):
    ns = {"province": code, "wave": None, "lang": "vi", "alpha": 0.05,
          "data_dir": sys.argv[2], "min_cell": 10, "units": "old",
          "excel_path": str(Path(out, f"{code}.xlsx")), "excel_name": f"{code}.xlsx",
          "generated_at": "x"}
    for source in cells:  # each cell's last expression builds its HTML, as in the notebook
        exec(compile(source, "<cell>", "exec"), ns)
print(json.dumps({"seconds": time.perf_counter() - t0, "charts": charts}))
"""


def choose_provinces(n: int) -> list[tuple[int, str]]:
    from analysis import units
    from analysis.dataset import Place

    counts = units.communes("old").groupby(["province_code_old", "province_name_old"]).size()
    counts = counts.reset_index(name="n")
    counts["distance"] = (counts["n"] - 100).abs()
    chosen = counts.sort_values(["distance", "province_code_old"]).head(n)
    log.info(
        "provinces: %d, communes each: %d–%d (mean %.0f)",
        len(chosen),
        chosen["n"].min(),
        chosen["n"].max(),
        chosen["n"].mean(),
    )
    return [
        (int(c), Place("old", int(c), str(name)).slug)
        for c, name in zip(chosen["province_code_old"], chosen["province_name_old"], strict=True)
    ]


def prepare(data: Path, provinces: list[tuple[int, str]]) -> Path:
    """Generated raw data for the provinces, cleaned by the current code (so that the timed
    build does not clean: (a) and (d) do not either)."""
    from analysis import build as build_module
    from analysis import clean, sample

    raw, processed = data / "raw", data / "processed"
    marker = data / "provinces.json"
    wanted = [slug for _, slug in provinces]
    if not (marker.exists() and json.loads(marker.read_text()) == wanted and raw.exists()):
        log.info("generating the benchmark data in %s ...", data)
        sample.generate(raw, scale="national", provinces=wanted, overwrite=True)
        marker.write_text(json.dumps(wanted))
    reason = build_module.clean_reason(build_module.Options(raw=raw, processed=processed))
    if reason:
        log.info("cleaning the benchmark data (%s) ...", reason)
        clean.run(raw, processed)
    return processed


def naive(processed: Path, codes: list[int], work: Path) -> float:
    start = time.perf_counter()
    for code in codes:
        out = work / f"{code}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(NOTEBOOK), str(out),
                        "-p", "province", str(code), "-p", "data_dir", str(processed.resolve()),
                        "-p", "units", "old", "--cwd",
                        str(NOTEBOOK.parent), "--no-progress-bar"],
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                       check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def build(processed: Path, codes: list[int], out: Path, jobs: int) -> float:
    args = [sys.executable, "-m", "analysis", "build", "--raw", str(processed.parent / "raw"),
            "--processed", str(processed), "--out",
            str(out), "--lang", "vi", "--units", "old", "--jobs", str(jobs)]  # fmt: skip
    for code in codes:
        args += ["--province", str(code)]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr[-3000:]}")
    return seconds


def floor(processed: Path, codes: list[int], jobs: int) -> tuple[float, float]:
    shares = [codes[i::jobs] for i in range(jobs)]
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", FLOOR, str(NOTEBOOK), str(processed),
                               json.dumps(share)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
             for share in shares if share]  # fmt: skip
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return time.perf_counter() - start, sum(r["charts"] for r in results)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provinces", type=int, default=34)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "generated" / "bench-build")
    ap.add_argument("--skip-naive", action="store_true", help="skip (a), the slowest part")
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs of (b) and (d), alternating; medians kept"
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    provinces = choose_provinces(args.provinces)
    processed = prepare(args.data, provinces)
    codes = [code for code, _ in provinces]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runs_b, runs_d = [], []
        for i in range(args.repeat):  # alternating, so that a slow spell hits both alike
            t_d, t_charts = floor(processed, codes, args.jobs)
            log.info("(d) floor: %.1f s", t_d)
            reports = work / f"reports-{i}"
            runs_b.append(build(processed, codes, reports, args.jobs))
            runs_d.append(t_d)
            log.info("(b) cold build: %.1f s", runs_b[-1])
        t_b, t_d = statistics.median(runs_b), statistics.median(runs_d)
        t_c = build(processed, codes, reports, args.jobs)
        log.info("(c) no-change rebuild: %.2f s", t_c)
        html = sorted(reports.rglob("*.html"))
        size = sum(p.stat().st_size for p in html if p.name != "index.html") / max(len(html) - 1, 1)
        t_a = None
        if not args.skip_naive:
            t_a = naive(processed, codes, work)
            log.info("(a) naive loop: %.1f s", t_a)
    n = len(codes)
    print(f"provinces: {n}; workers: {args.jobs}; (b) and (d): median of {args.repeat}")
    if t_a is not None:
        print(f"(a) naive papermill + nbconvert loop: {t_a:7.1f} s  ({t_a / n:.2f} s per province)")
    print(f"(b) full cold build:                  {t_b:7.1f} s  ({t_b / n:.2f} s per province)")
    print(f"(c) no-change rebuild:                {t_c:7.2f} s  (target < 1 s)")
    print(f"(d) floor, exec in {args.jobs} processes:       {t_d:7.1f} s  "
          f"(charts: {t_charts:.1f} s of CPU time, {t_charts / n:.2f} s per brief)")  # fmt: skip
    if t_a is not None:
        print(f"a / b = {t_a / t_b:5.2f}   (target ≥ 6)")
    print(f"b / d = {t_b / t_d:5.2f}   (target ≤ 1.25)")
    print(f"mean brief size: {size / 1024:.0f} KiB (images embedded)")


if __name__ == "__main__":
    main()
