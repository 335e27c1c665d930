"""Store: write outputs atomically, by format (a registry keyed by file suffix).

Every file is written to a temporary name in its destination folder and renamed into place, so
a reader never sees a half-written file. :func:`replace_dir` does the same for a whole folder of
outputs that belong together (the processed tables and their log).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import processes

if TYPE_CHECKING:  # loaded by the writers of tables only: the build's workers write HTML and JSON
    import pandas as pd

#: Output files written at the same time.
WRITE_THREADS = min(4, os.cpu_count() or 1)

Writer = Callable[[object, Path], None]
WRITERS: dict[str, Writer] = {}


def writer(*suffixes: str) -> Callable[[Writer], Writer]:
    def register(func: Writer) -> Writer:
        for suffix in suffixes:
            WRITERS[suffix] = func
        return func

    return register


@writer(".parquet")
def _parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


#: A cell a spreadsheet would run as a formula (CSV injection) ...
_FORMULA = re.compile(r"[=+\-@\t\r]")
#: ... unless it is just a signed number ("-3", "+1,5").
_SIGNED_NUMBER = re.compile(r"[+-]?[\d.,\s]*\d[\d.,\s]*%?")


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with =, +, -, @, tab or CR get a leading "'" (OWASP's advice for CSV
    files opened in a spreadsheet): such a cell then shows as text and never runs."""
    import numpy as np
    import pandas as pd

    out = df
    for column in df.columns:
        values = df[column]
        if values.dtype != object and str(values.dtype) not in ("str", "string"):
            continue
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        risky = np.array(
            [
                isinstance(u, str) and bool(_FORMULA.match(u)) and not _SIGNED_NUMBER.fullmatch(u)
                for u in uniques
            ],
            dtype=bool,
        )
        if not risky.any():
            continue
        mask = (codes >= 0) & risky[codes]
        if out is df:
            out = df.copy()
        escaped = values.copy()
        escaped[mask] = ["'" + v for v in values[mask]]
        out[column] = escaped
    return out


def _text_and_integers(df: pd.DataFrame) -> bool:
    return len(df.columns) > 0 and all(
        str(t) in ("str", "string", "Int64", "int64") for t in df.dtypes
    )


@writer(".csv")
def _csv(df: pd.DataFrame, path: Path) -> None:
    # UTF-8 with BOM: opens with correct diacritics in Excel, the researchers' other tool
    import pyarrow as pa
    import pyarrow.csv as pacsv

    df = escape_formulas(df)
    if _text_and_integers(df):  # e.g. the cleaning log: pyarrow writes it 15× faster
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(df.columns)
        with open(path, "wb") as fh:
            fh.write(codecs.BOM_UTF8 + header.getvalue().encode())
            pacsv.write_csv(
                pa.Table.from_pandas(df, preserve_index=False),
                fh,
                pacsv.WriteOptions(include_header=False),
            )
        return
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


@writer(".md", ".html", ".txt")
def _text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


@writer(".json")
def _json(obj: object, path: Path) -> None:
    path.write_text(
        json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
        newline="\n",
    )


#: Fixed time stamp for workbook properties and zip entries: the same tables give the same bytes.
FIXED_TIME = dt.datetime(2020, 1, 1)


def workbook_bytes(book, when: dt.datetime = FIXED_TIME) -> bytes:
    """XLSX bytes of an openpyxl workbook, reproducible: openpyxl's ``save`` stamps the current
    time in the document properties and zipfile in every entry, so both are fixed to ``when``."""
    from openpyxl.writer.excel import ExcelWriter

    book.properties.created = book.properties.modified = when
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


@writer(".xlsx")
def _xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (names cut to Excel's 31 characters), reproducible bytes."""
    import pandas as pd

    xl = pd.ExcelWriter(io.BytesIO(), engine="openpyxl")  # only its workbook is used
    for name, df in sheets.items():
        escape_formulas(df).to_excel(xl, sheet_name=name[:31], index=False)
    path.write_bytes(workbook_bytes(xl.book))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the writer's process id in the name: a build removes the leftovers of killed writers
    # (analysis.build.remove_stale_temps) and never those of a writer still running
    prefix = f".{path.stem}.tmp-{os.getpid()}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are to be shared
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write(obj: object, path: str | Path) -> Path:
    """Write ``obj`` with the writer registered for the suffix of ``path``, atomically."""
    path = Path(path)
    try:
        func = WRITERS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"no writer for {path.suffix!r} files (known: {sorted(WRITERS)})"
        ) from None
    with atomic_path(path) as tmp:
        func(obj, tmp)
    return path


def replace_dir(outputs: dict[str, object], out_dir: str | Path) -> list[Path]:
    """Write a set of outputs (relative name → object) as one unit, replacing ``out_dir``.

    Everything is written to a sibling temporary folder first; only when all files are written
    does it take the place of ``out_dir``. Files in ``out_dir`` not named in ``outputs`` (e.g.
    ``.gitkeep``) are carried over. The sibling folders of a writer that was killed (named
    after its process id) are removed first.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_siblings(out_dir)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-{os.getpid()}-", dir=out_dir.parent)
    )
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    try:
        # the files are written side by side (pyarrow encodes parquet without the GIL)
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
            pending = []
            for name, obj in outputs.items():
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                pending.append(pool.submit(WRITERS[target.suffix.lower()], obj, target))
            for future in pending:
                future.result()
        if out_dir.exists():
            for keep in out_dir.iterdir():
                if keep.name.startswith(".") and keep.is_file() and keep.name not in outputs:
                    shutil.copy2(keep, staging / keep.name)
            os.replace(out_dir, old)
        os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return [out_dir / name for name in outputs]


def _remove_stale_siblings(out_dir: Path) -> list[Path]:
    """The staging and replaced folders (``.<name>.tmp-<pid>-…``, ``.<name>.old-<pid>``) that a
    killed :func:`replace_dir` left beside ``out_dir``; those of a live process are kept."""
    name = re.compile(rf"\.{re.escape(out_dir.name)}\.(?:tmp|old)-(\d+)(?:-.*)?")
    return processes.remove_orphans(out_dir.parent.iterdir(), name)
