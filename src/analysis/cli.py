"""Command line: ``python -m analysis <command>`` (also installed as ``commune-dx``).

A thin front: each command parses its options and calls one function of the package.
Errors of the data (:class:`AnalysisError`) print one clear line and exit with status 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.exceptions import AnalysisError

if TYPE_CHECKING:  # pandas is imported by the commands that need it
    import pandas as pd

log = logging.getLogger("analysis")


def _clean(args: argparse.Namespace) -> int:
    from analysis import clean

    result = clean.run(args.raw, args.out, progress=sys.stderr.isatty(), as_of=args.as_of)
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


def _build(args: argparse.Namespace) -> int:
    from analysis import build

    opts = build.Options(
        raw=args.raw, processed=args.processed, out=args.out,
        provinces=tuple(args.province or ()), waves=tuple(args.wave or ()),
        langs=tuple(args.lang), units=tuple(args.units), jobs=args.jobs,
        force=args.force, dry_run=args.dry_run,
    )  # fmt: skip
    outcomes = build.run(opts)
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _brief(args: argparse.Namespace) -> int:
    from analysis import build

    params: dict[str, object] = {"province": args.province, "lang": args.lang, "units": args.units}
    if args.wave is not None:
        params["wave"] = args.wave
    for name, value in args.param or ():
        params[name] = _literal(value)
    opts = build.Options(raw=args.raw, processed=args.processed, out=args.out,
                         generated_at=None)  # fmt: skip
    outcome = build.render_one(params, opts)
    if outcome.status != "built":
        log.error(
            "%s: %s (executed notebook: %s)", outcome.target.stem, outcome.reason, outcome.executed
        )
        return 1
    log.info("wrote %s", outcome.target.paths(args.out)["html"])
    return 0


def _literal(text: str) -> object:
    """A -p value as Python would read it (number, None, True...), else the text itself."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _report_paths(p: argparse.ArgumentParser) -> None:
    """The folder options shared by the commands that make reports."""
    p.add_argument(
        "--raw", type=Path, default=Path("data/raw"), help="raw exports (default: data/raw)"
    )
    p.add_argument(
        "--processed",
        type=Path,
        default=Path("data/processed"),
        help="processed tables, cleaned from --raw when it changed (default: data/processed)",
    )
    p.add_argument(
        "--out", type=Path, default=Path("reports"), help="reports folder (default: reports)"
    )


def _moment(text: str) -> pd.Timestamp:
    import pandas as pd

    try:
        return pd.Timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date or date-time: {text!r}") from exc


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
    c.add_argument(
        "--as-of",
        type=_moment,
        default=None,
        metavar="YYYY-MM-DD[THH:MM]",
        help="the moment of cleaning, Vietnam time: later dates are future dates (default: "
        "now; give an earlier run's moment to repeat it exactly)",
    )
    c.set_defaults(func=_clean)

    b = sub.add_parser(
        "build",
        help="regenerate the province briefs, national overview and index (incremental)",
        description="Clean data/raw if it changed, then execute the brief notebook for every "
        "province with pilot communes (old and new units), the national overview and the index "
        "page, in parallel. Only reports whose data, parameters, template or code changed are "
        "rebuilt. One report's failure does not stop the others; the exit status is 1 if any "
        "failed. Outputs are written atomically; executed notebooks are kept in "
        "reports/_executed and a log of each run in reports/_logs.",
    )
    b.add_argument(
        "--province",
        action="append",
        metavar="NAME",
        help="only this province (name or code; repeat for several)",
    )
    b.add_argument(
        "--wave",
        action="append",
        type=int,
        metavar="YEAR",
        help="survey wave (repeat for several; default: the latest)",
    )
    b.add_argument(
        "--lang",
        nargs="+",
        choices=["vi", "en"],
        default=["vi", "en"],
        help="languages (default: vi en)",
    )
    b.add_argument(
        "--units",
        nargs="+",
        choices=["old", "new"],
        default=["old", "new"],
        help="group communes by provinces before (old) or from (new) 1 July 2025 (default: both)",
    )
    b.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="parallel workers (default: the number of cores)",
    )
    b.add_argument("--force", action="store_true", help="rebuild everything")
    b.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="list what would be rebuilt and why, build nothing",
    )
    _report_paths(b)
    b.set_defaults(func=_build)

    r = sub.add_parser(
        "brief",
        help="build one province brief (parameters checked before any kernel starts)",
        description="Execute the brief notebook for one province and write its HTML and Excel "
        "workbook under --out. Parameters are checked first: an unknown parameter name, an "
        "unknown province (the closest names are suggested), a wave not in the data or a "
        "province without pilot communes stop with a clear message.",
    )
    r.add_argument("province", help="province name or GSO code (old or new units)")
    r.add_argument("--wave", type=int, default=None, help="survey wave (default: the latest)")
    r.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default: vi)")
    r.add_argument(
        "--units",
        choices=["auto", "old", "new"],
        default="auto",
        help="read the province name in old or new units (default: auto)",
    )
    r.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="any other notebook parameter, e.g. -p alpha 0.1 -p min_cell 20",
    )
    _report_paths(r)
    r.set_defaults(func=_brief)

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
