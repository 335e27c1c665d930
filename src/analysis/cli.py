"""Command line: ``python -m analysis <command>`` (also installed as ``commune-dx``).

A thin front: each command parses its options and calls one function of the package.
Errors of the data (:class:`AnalysisError`) print one clear line and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from analysis.exceptions import AnalysisError

log = logging.getLogger("analysis")


def _clean(args: argparse.Namespace) -> int:
    from analysis import clean

    result = clean.run(args.raw, args.out, progress=sys.stderr.isatty())
    m = result.manifest
    log.info(
        "wrote %s: %s rows; %d corrections in cleaning_log.csv; %d duplicate submissions "
        "removed (duplicates.csv); %d rows need review (unmatched_units.csv)",
        args.out,
        m["rows"],
        m["corrections"],
        m["duplicates_removed"],
        m["unmatched_rows"],
    )
    return 0


def _sample(args: argparse.Namespace) -> int:
    from analysis import sample

    out = args.out or Path("data/generated" if args.national else "data/raw")
    sample.generate(
        out,
        scale="national" if args.national else "sample",
        seed=args.seed,
        overwrite=args.overwrite,
    )
    log.info("wrote %s data to %s", "national-scale" if args.national else "sample", out)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Commune digital-transformation research suite: clean survey exports, "
        "compare pilot and non-pilot communes, publish province briefs.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="show debug messages")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser(
        "clean",
        help="clean raw survey exports into data/processed",
        description="Read every raw export (CSV/XLSX) under --raw, clean and validate it "
        "against the indicator catalogue, match place names to official codes, remove duplicate "
        "submissions and personal data, and write parquet tables, a cleaning log, a "
        "duplicates report, an unmatched-units table and a codebook to --out. The raw "
        "files are never modified; --out is replaced only when everything succeeded.",
    )
    c.add_argument(
        "--raw",
        type=Path,
        default=Path("data/raw"),
        help="folder of raw exports (default: data/raw)",
    )
    c.add_argument(
        "--out",
        type=Path,
        default=Path("data/processed"),
        help="folder for the processed tables (default: data/processed)",
    )
    c.set_defaults(func=_clean)

    s = sub.add_parser(
        "sample",
        help="generate synthetic raw survey exports",
        description="Write synthetic raw exports (deterministic). Default: the small sample "
        "bundled in data/raw. --national: every commune of the pre-2025 list, for benchmarks.",
    )
    s.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: data/raw, or data/generated with --national)",
    )
    s.add_argument(
        "--national", action="store_true", help="national scale (~10,000 communes × 3 waves)"
    )
    s.add_argument("--seed", type=int, default=20251125, help="random seed (default: 20251125)")
    s.add_argument(
        "--overwrite", action="store_true", help="replace an existing, non-empty output folder"
    )
    s.set_defaults(func=_sample)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.func(args)
    except AnalysisError as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
