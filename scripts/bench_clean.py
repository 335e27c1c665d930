"""Benchmark: cleaning national-scale data against a bare pyarrow read of the same CSV files.

    .venv/bin/python scripts/bench_clean.py [--data DIR] [--repeat N]

Generates the national-scale synthetic exports first if DIR holds none (every commune of the
pre-2025 list × 3 waves, ~50 households per commune; `python -m analysis sample --national`).
Each measurement runs in a fresh child process (imports excluded from the timing) so that
peak memory (max RSS) is the measurement's own. Prints both times, their ratio and the peak
memory of cleaning, and how much of cleaning is reading the raw files, place-name matching
(``analysis.units``) and writing the outputs, each timed inside the same run: reading plus
writing is the floor any cleaning that writes these outputs stands on. Targets (issue 2):
ratio ≤ 2.5, peak memory ≤ 3 GB.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("bench_clean")

BARE_READ = """
import json, resource, sys, time
from pathlib import Path
import pyarrow.csv as pacsv
files = sorted(Path(sys.argv[1]).rglob("*.csv"))
t = time.perf_counter()
rows = sum(pacsv.read_csv(f).num_rows for f in files)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "rows": rows, "files": len(files),
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CLEAN = """
import collections, functools, json, resource, sys, time
from analysis import clean, store, units
# time spent in place-name matching (analysis.units), reading the raw files and writing the
# outputs, to tell them from the rest
spent = collections.Counter()
def timed(func, part):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - t
    return wrapper
for name in ("match_provinces", "match_communes", "attach_new_units", "suggest_provinces"):
    setattr(units, name, timed(getattr(units, name), "units"))
clean._read_all = timed(clean._read_all, "reading")
store.replace_dir = timed(store.replace_dir, "writing")
t = time.perf_counter()
result = clean.run(sys.argv[1], sys.argv[2])
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, **{f"{k}_seconds": v for k, v in spent.items()},
                  "rows": result.manifest["rows"],
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


PARTS = ("reading", "units", "writing")


def measure(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "generated" / "national")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement (median kept)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.data.exists() or not any(args.data.rglob("*.csv")):
        from analysis import sample

        log.info("generating national-scale data in %s ...", args.data)
        sample.generate(args.data, scale="national", overwrite=True)
    size_mb = sum(p.stat().st_size for p in args.data.rglob("*.csv")) / 2**20
    bare, cleaned = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            bare.append(measure(BARE_READ, str(args.data)))
            cleaned.append(measure(CLEAN, str(args.data), str(Path(tmp) / f"out{i}")))
    t_bare = statistics.median(r["seconds"] for r in bare)
    t_clean = statistics.median(r["seconds"] for r in cleaned)
    part = {k: statistics.median(r[f"{k}_seconds"] for r in cleaned) for k in PARTS}
    peak = max(r["max_rss_mb"] for r in cleaned)
    io = part["reading"] + part["writing"]
    print(f"data: {bare[0]['files']} CSV files, {bare[0]['rows']:,} rows, {size_mb:,.0f} MiB")
    print(f"cleaned rows: {cleaned[0]['rows']}")
    print(f"bare pyarrow read (all columns): {t_bare:6.2f} s   (median of {args.repeat})")
    print(f"cleaning (read → processed/):    {t_clean:6.2f} s   (median of {args.repeat})")
    print(f"  reading the raw exports:       {part['reading']:6.2f} s   (ingest, in threads)")
    print(f"  place-name matching:           {part['units']:6.2f} s   (analysis.units)")
    print(f"  writing data/processed:        {part['writing']:6.2f} s   (parquet, CSV, in threads)")
    print(f"  everything else:               {t_clean - io - part['units']:6.2f} s")
    print(f"ratio cleaning / bare read:      {t_clean / t_bare:6.2f}   (target ≤ 2.5)")
    print(f"ratio of reading + writing alone:{io / t_bare:6.2f}   (the floor of this output)")
    print(f"peak memory of cleaning:         {peak / 1024:6.2f} GB (target ≤ 3 GB)")


if __name__ == "__main__":
    main()
