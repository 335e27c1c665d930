"""Ingest: read raw exports as received (CSV in any of the encodings provinces use, XLSX).

Readers form a registry keyed by file suffix: adding a format is one decorated function that
returns a :class:`RawTable`. Readers never modify the file and never guess silently: an
unreadable, empty, binary or wrongly encoded file raises :class:`RawDataError`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from analysis.catalogue import INSTRUMENTS, Catalogue
from analysis.exceptions import RawDataError

log = logging.getLogger(__name__)

SNIFF_BYTES = 1 << 16
#: Header rows are looked for among the first rows (title rows often stand above them).
HEADER_SEARCH_ROWS = 10
#: Byte sequences that UTF-8 text takes when decoded as Windows-125x and saved again.
MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|Ä‘|Æ°|Ä\u0090|á»|áº")
#: Cells longer than this are refused: no survey answer is that long.
MAX_CELL_CHARS = 10_000


@dataclass
class RawTable:
    """One raw export, read but not interpreted.

    ``data`` holds the columns as read (CSV: text; XLSX: cell values) under their original
    headers; ``rows`` gives, for each record, the row number a spreadsheet shows.
    """

    path: Path
    data: pd.DataFrame
    rows: pd.Series
    encoding: str
    instrument: str = ""
    #: headers left unread: unknown to the catalogue, or personal free text
    skipped: tuple[str, ...] = ()
    #: original header → catalogue name, for the columns the catalogue knows
    columns: dict[str, str] | None = None


Reader = Callable[[Path, Catalogue], RawTable]
READERS: dict[str, Reader] = {}


def reader(*suffixes: str) -> Callable[[Reader], Reader]:
    """Register a reader for file suffixes (lower case, with the dot)."""

    def register(func: Reader) -> Reader:
        for suffix in suffixes:
            READERS[suffix] = func
        return func

    return register


def supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read(path: str | Path, catalogue: Catalogue) -> RawTable:
    """Read one raw export, find its header row and tell which questionnaire it is."""
    path = Path(path)
    if path.suffix.lower() not in READERS:
        raise RawDataError(path, "unsupported file type", expected=f"one of {sorted(READERS)}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RawDataError(path, f"cannot be opened ({exc.strerror})") from exc
    if size == 0:
        raise RawDataError(path, "the file is empty", expected="a header row and data rows")
    table = READERS[path.suffix.lower()](path, catalogue)
    identify(table, catalogue)
    return table


# ----------------------------------------------------------------------------- CSV


def detect_encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM) or Windows-1258, judged on the first 64 KiB."""
    if b"\x00" in head:
        raise RawDataError(path, "binary content (NUL bytes)", expected="a CSV text file")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the 64 KiB boundary
            return "utf-8"
    try:
        head.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise RawDataError(
            path, f"undecodable byte at offset {exc.start}", expected="UTF-8 or Windows-1258 text"
        ) from exc
    return "cp1258"


def _check_text(path: Path, text: str) -> None:
    if MOJIBAKE.search(text):
        found = MOJIBAKE.search(text).group(0)
        raise RawDataError(
            path,
            f"text is double-encoded (UTF-8 read as a Windows code page, e.g. {found!r})",
            expected="the file as exported, in UTF-8 or Windows-1258",
        )


def _header_line(path: Path, text: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip(", \t;"):
        raise RawDataError(path, "the first line is blank", row=1, expected="a header row")
    return [unicodedata.normalize("NFC", h).strip() for h in next(csv.reader([first]))]


@reader(".csv", ".txt")
def read_csv(path: Path, catalogue: Catalogue) -> RawTable:
    """CSV: comma-separated, header on the first line, every cell read as text."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = detect_encoding(path, head)
    text_head = head.decode(encoding, errors="ignore")
    _check_text(path, text_head)
    header = _header_line(path, text_head)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise RawDataError(
            path, "duplicated column header", row=1, column=dupes[0], expected="each header once"
        )
    wanted = [h for h in header if _wanted(catalogue, h)]
    try:
        table = _arrow_csv(path, encoding, header, wanted)
    except pa.ArrowInvalid as exc:
        if encoding == "utf-8" and "UTF8" in str(exc):
            encoding = "cp1258"
            table = _arrow_csv(path, encoding, header, wanted)
        else:
            raise _arrow_error(path, exc) from exc
    data = table.to_pandas()
    if encoding != "utf-8" and encoding != "utf-8-sig":
        for col in data.columns:
            data[col] = data[col].str.normalize("NFC")
    rows = pd.Series(range(2, len(data) + 2), index=data.index, dtype="int64")
    skipped = tuple(h for h in header if h not in wanted)
    return RawTable(path, data, rows, encoding, skipped=skipped)


def _wanted(catalogue: Catalogue, header: str) -> bool:
    """Columns worth reading: those the catalogue knows, except personal free text."""
    for instrument in INSTRUMENTS:
        name = catalogue.match_header(instrument, header)
        if name is not None:
            kind = catalogue.variables(instrument).loc[name, "kind"]
            return kind != "personal" or name == "citizen_id"
    return False


def _arrow_csv(path: Path, encoding: str, header: list[str], wanted: list[str]) -> pa.Table:
    read_opts = pacsv.ReadOptions(
        encoding="utf8" if encoding == "utf-8" else encoding,
        column_names=header,
        skip_rows=1,
        block_size=1 << 24,
    )
    parse_opts = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(wanted, pa.string()),
        include_columns=wanted,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        null_values=[""],
    )
    try:
        return pacsv.read_csv(
            path, read_options=read_opts, parse_options=parse_opts, convert_options=convert
        )
    except pa.ArrowInvalid:
        raise
    except (OSError, UnicodeDecodeError, LookupError) as exc:
        raise RawDataError(path, f"cannot be read as CSV ({exc})") from exc


def _arrow_error(path: Path, exc: Exception) -> RawDataError:
    message = str(exc)
    match = re.search(r"Row #(\d+)", message)
    row = int(match.group(1)) if match else None
    if "Expected" in message and "columns" in message:
        return RawDataError(
            path,
            "a row has a different number of cells than the header",
            row=row,
            expected="the same number of cells in every row",
        )
    if "UTF8" in message:
        return RawDataError(
            path, "invalid text encoding", row=row, expected="UTF-8 or Windows-1258 text"
        )
    return RawDataError(path, f"cannot be read as CSV ({message.splitlines()[0]})", row=row)


# ----------------------------------------------------------------------------- XLSX


@reader(".xlsx", ".xlsm")
def read_xlsx(path: Path, catalogue: Catalogue) -> RawTable:
    """XLSX: first worksheet; title rows above the header are skipped; formulas give their
    cached values, and error cells (#DIV/0!, #N/A ...) are read as text for cleaning to log."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RawDataError(path, f"not a readable XLSX workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    header_at = _find_header(path, values, catalogue)
    header = ["" if h is None else str(h).strip() for h in values[header_at]]
    while header and header[-1] == "":
        header.pop()
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise RawDataError(
            path,
            "duplicated column header",
            row=header_at + 1,
            column=dupes[0],
            expected="each header once",
        )
    body = [(r + [None] * len(header))[: len(header)] for r in values[header_at + 1 :]]
    keep = [i for i, h in enumerate(header) if h and _wanted(catalogue, h)]
    data = pd.DataFrame(
        {header[i]: pd.Series([_cell(r[i]) for r in body], dtype=object) for i in keep}
    )
    rows = pd.Series(range(header_at + 2, header_at + 2 + len(body)), dtype="int64")
    skipped = tuple(h for i, h in enumerate(header) if h and i not in keep)
    return RawTable(path, data, rows, "xlsx", skipped=skipped)


def _cell(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _find_header(path: Path, values: list[list], catalogue: Catalogue) -> int:
    if not values:
        raise RawDataError(path, "the worksheet is empty", expected="a header row and data rows")
    for i, row in enumerate(values[:HEADER_SEARCH_ROWS]):
        known = sum(
            any(catalogue.match_header(ins, str(c)) for ins in INSTRUMENTS)
            for c in row
            if isinstance(c, str)
        )
        if known >= 2:
            return i
    raise RawDataError(
        path,
        f"no header row found in the first {HEADER_SEARCH_ROWS} rows",
        expected="a row of column names from the questionnaire (e.g. 'Tỉnh/Thành phố')",
    )


# ----------------------------------------------------------------------------- instrument


def identify(table: RawTable, catalogue: Catalogue) -> None:
    """Decide which questionnaire a table is from its headers, and map them to catalogue names."""
    best, best_score, best_map = "", 0, {}
    for instrument in INSTRUMENTS:
        mapping = {}
        for header in table.data.columns:
            name = catalogue.match_header(instrument, header)
            if name is not None:
                mapping[header] = name
        keys = catalogue.variables(instrument, ("key", "meta")).index
        score = sum(1 for n in mapping.values() if n not in keys or n == "pilot_start")
        if score > best_score:
            best, best_score, best_map = instrument, score, mapping
    if not best:
        raise RawDataError(
            table.path,
            "the columns match no questionnaire of the catalogue",
            row=1,
            expected="headers of the commune or household questionnaire or the pilot registry",
        )
    seen: dict[str, str] = {}
    for header, name in best_map.items():
        if name in seen:
            raise RawDataError(
                table.path,
                f"two columns both mean {name!r}",
                row=1,
                column=header,
                expected=f"only one of {seen[name]!r} and {header!r}",
            )
        seen[name] = header
    required = catalogue.variables(best)
    for name in required.index[required["required"]]:
        if name not in seen:
            label = required.loc[name, "label_vi"]
            raise RawDataError(
                table.path,
                "a required column is missing",
                row=1,
                column=label,
                expected=f"a column {label!r} ({name})",
            )
    table.instrument, table.columns = best, best_map
