"""Ingest: read raw exports as received (CSV in any of the encodings provinces use, XLSX).

Readers form a registry keyed by file suffix: adding a format is one decorated function that
returns a :class:`RawTable`. Readers never modify the file and never guess silently: an
unreadable, empty, binary, truncated or wrongly encoded file, a header row that cannot be found,
a ragged row, a column bomb or a cell no survey answer could fill raises :class:`RawDataError`
naming the file (and row and column where there is one) and what was expected.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import logging
import re
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analysis.catalogue import INSTRUMENTS, Catalogue
from analysis.exceptions import RawDataError

log = logging.getLogger(__name__)

SNIFF_BYTES = 1 << 16
#: The header row must end within this many bytes (a column bomb is refused before parsing).
MAX_HEADER_BYTES = 1 << 20
#: Header rows are looked for among the first rows (title rows often stand above them).
HEADER_SEARCH_ROWS = 10
#: Byte sequences that UTF-8 text takes when decoded as Windows-125x and saved again, one
#: pattern per first letter (Python's re scans for a literal first letter much faster than for
#: any of several; each pattern matches two characters and no two can match at one place).
MOJIBAKE = tuple(re.compile(p) for p in ("Ã[\u0080-\u00bf]", "Ä[‘\u0090]", "Æ°", "á[»º]"))
#: Cells longer than this are refused: no survey answer is that long.
MAX_CELL_CHARS = 10_000
#: Questionnaire exports have tens to a few hundred columns (Kobo); more is not an export.
MAX_COLUMNS = 2_000
#: An XLSX workbook may expand to at most this many bytes (ZIP bombs are refused unopened).
MAX_XLSX_BYTES = 200 << 20
#: Files that are something else under a .csv name, told by their first bytes.
SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive: an XLSX workbook saved with a .csv name?",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook or an encrypted file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
}
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
#: Every letter of the Vietnamese alphabet (NFC, both cases); other non-ASCII letters in a
#: file read as Windows-1258 mean it was written in another code page.
VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", v + t)
    for base in "aăâeêioôơuưy"
    for v in (base, base.upper())
    for t in _TONES
) | frozenset("đĐ")
_LOST_LETTER = re.compile(r"[A-Za-z]\?[A-Za-z]")
#: pandas' default text dtype ("str": pyarrow storage, NaN for missing)
TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))


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
    #: corrections made while reading, for the cleaning log: (row, header, old, new, rule)
    notes: list[tuple[int | None, str | None, object, object, str]] = field(default_factory=list)


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


# ----------------------------------------------------------------------------- catalogue


@cache
def matches(catalogue: Catalogue, header: str) -> dict[str, tuple[str, str]]:
    """Instrument → (catalogue name, kind) for every instrument whose catalogue knows ``header``."""
    found = {}
    for instrument in INSTRUMENTS:
        name = catalogue.match_header(instrument, header)
        if name is not None:
            found[instrument] = (name, variables(catalogue, instrument).loc[name, "kind"])
    return found


@cache
def variables(catalogue: Catalogue, instrument: str) -> pd.DataFrame:
    """``catalogue.variables(instrument)``, computed once (it is looked up per column)."""
    return catalogue.variables(instrument)


@cache
def _keys(catalogue: Catalogue, instrument: str) -> frozenset[str]:
    spec = variables(catalogue, instrument)
    return frozenset(spec.index[spec["kind"].isin(("key", "meta"))])


@cache
def _required(catalogue: Catalogue, instrument: str) -> tuple[tuple[str, str], ...]:
    spec = variables(catalogue, instrument)
    return tuple((n, spec.loc[n, "label_vi"]) for n in spec.index[spec["required"]])


def _wanted(catalogue: Catalogue, header: str) -> bool:
    """Columns worth reading: those the catalogue knows, except personal free text."""
    for name, kind in matches(catalogue, header).values():
        return kind != "personal" or name == "citizen_id"
    return False


# ----------------------------------------------------------------------------- CSV


def detect_encoding(path: Path, head: bytes, complete: bool = False) -> str:
    """UTF-8 (with or without BOM) or Windows-1258, judged on the first 64 KiB.

    ``complete``: ``head`` is the whole file (a character cut at its end is then truncation,
    not the 64 KiB boundary).
    """
    for magic, what in SIGNATURES.items():
        if head.startswith(magic):
            raise RawDataError(path, f"binary content ({what})", expected="a CSV text file")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(head) >= 4 and max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 4
    ):
        raise RawDataError(
            path,
            "the text is UTF-16 (Excel's 'Unicode Text' export)",
            expected="UTF-8 or Windows-1258 text (in Excel: Save As 'CSV UTF-8')",
        )
    if b"\x00" in head:
        raise RawDataError(path, "binary content (NUL bytes)", expected="a CSV text file")
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    encoding = "utf-8-sig" if bom else "utf-8"
    try:
        head[bom:].decode("utf-8")
        return encoding
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        if exc.reason == "unexpected end of data":
            if not complete:  # a character cut by the 64 KiB boundary
                return encoding
            raise RawDataError(
                path,
                "the file ends in the middle of a character (truncated?)",
                row=head.count(b"\n") + 1,
                expected="a complete UTF-8 file",
            ) from exc
        if bom or any(b >= 0x80 for b in head[:at]):
            raise _invalid_utf8(path, head, at) from exc
    try:
        head.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise RawDataError(
            path, f"undecodable byte at offset {exc.start}", expected="UTF-8 or Windows-1258 text"
        ) from exc
    return "cp1258"


def _invalid_utf8(path: Path, data: bytes, offset: int) -> RawDataError:
    return RawDataError(
        path,
        f"invalid UTF-8 byte at offset {offset} in a UTF-8 file (mixed encodings?)",
        row=data[:offset].count(b"\n") + 1,
        expected="the whole file in one encoding, UTF-8 or Windows-1258",
    )


def _mojibake(text: str) -> re.Match | None:
    """The first place in ``text`` where one of :data:`MOJIBAKE` matches."""
    return min(filter(None, (p.search(text) for p in MOJIBAKE)), key=re.Match.start, default=None)


def _check_text(path: Path, text: str, encoding: str) -> None:
    found = _mojibake(text)
    if found:
        raise RawDataError(
            path,
            f"text is double-encoded (UTF-8 read as a Windows code page, e.g. {found.group(0)!r})",
            expected="the file as exported, in UTF-8 or Windows-1258",
        )
    if encoding == "cp1258":
        chars = set(unicodedata.normalize("NFC", text))
        foreign = sorted(
            c
            for c in chars
            if (c.isalpha() and ord(c) > 127 and c not in VIETNAMESE_LETTERS)
            or unicodedata.combining(c)
        )
        if foreign:
            raise RawDataError(
                path,
                "the text is in a code page other than Vietnamese Windows-1258 "
                f"(letters {''.join(foreign[:8])!r} are not Vietnamese)",
                expected="UTF-8 or Windows-1258 text",
            )
    if text.isascii():  # not one letter beyond ASCII: were they replaced?
        lost = _LOST_LETTER.findall(text)
        if len(lost) >= 5:
            raise RawDataError(
                path,
                f"Vietnamese letters were replaced by '?' (e.g. {lost[0]!r}): the file was "
                "saved in a code page without them",
                expected="the export saved as 'CSV UTF-8'",
            )


def _delimiter(line: str) -> str:
    """',' unless the header line is clearly separated by ';' or tabs (European-locale Excel)."""
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {d: unquoted.count(d) for d in ",;\t"}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _header_row(
    path: Path, fh: io.BufferedReader, head: bytes, text: str, encoding: str, size: int
):
    """The header record (NFC, stripped) and the delimiter; reads past 64 KiB when needed.

    ``text`` is ``head`` decoded (errors ignored).
    """
    data = head
    while True:
        complete = len(data) >= size
        if complete or re.search(r"[\r\n]", text):
            delimiter = _delimiter(re.split(r"\r\n|\r|\n", text, maxsplit=1)[0])
            buf = io.StringIO(text, newline="")
            try:
                record = next(csv.reader(buf, delimiter=delimiter), [])
            except csv.Error as exc:
                raise RawDataError(path, f"the header row cannot be read ({exc})", row=1) from exc
            if complete or buf.tell() < len(text):
                break
        if len(data) > MAX_HEADER_BYTES:
            raise RawDataError(
                path,
                f"the header row is longer than {MAX_HEADER_BYTES >> 20} MiB",
                row=1,
                expected=f"a header row of at most {MAX_COLUMNS:,} column names",
            )
        data += fh.read(MAX_HEADER_BYTES + 1 - len(data))
        text = data.decode(encoding, errors="ignore")
    header = [unicodedata.normalize("NFC", h).strip().lstrip("\ufeff") for h in record]
    if not any(header):
        raise RawDataError(path, "the first line is blank", row=1, expected="a header row")
    if len(header) > MAX_COLUMNS:
        raise RawDataError(
            path,
            f"the header row has {len(header):,} columns",
            row=1,
            expected=f"at most {MAX_COLUMNS:,} columns (a questionnaire export)",
        )
    return header, delimiter


def _check_headers(path: Path, header: list[str], wanted: list[str], row: int) -> None:
    dupes = sorted(h for h, n in Counter(h for h in header if h).items() if n > 1)
    read_twice = [h for h in dupes if h in wanted]
    if read_twice:
        raise RawDataError(
            path,
            "duplicated column header",
            row=row,
            column=read_twice[0],
            expected="each header once",
        )


@reader(".csv", ".txt")
def read_csv(path: Path, catalogue: Catalogue) -> RawTable:
    """CSV: comma- (or semicolon-/tab-) separated, header on the first line, cells read as text."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
        encoding = detect_encoding(path, head, complete=len(head) >= size)
        text = head.decode(encoding, errors="ignore")
        _check_text(path, text, encoding)
        header, delimiter = _header_row(path, fh, head, text, encoding, size)
    wanted = [h for h in dict.fromkeys(header) if h and _wanted(catalogue, h)]
    _check_headers(path, header, wanted, row=1)
    if not wanted:  # (pyarrow reads every column when asked for none) identify() refuses it
        return RawTable(path, pd.DataFrame(), pd.Series(dtype="int64"), encoding, skipped=())
    try:
        table = _arrow_csv(path, encoding, header, wanted, delimiter)
    except pa.ArrowInvalid as exc:
        if "UTF8" not in str(exc) or encoding not in ("utf-8", "utf-8-sig"):
            raise _arrow_error(path, exc, encoding, delimiter, len(header)) from exc
        data = path.read_bytes()
        bom = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
        try:
            data[bom:].decode("utf-8")
        except UnicodeDecodeError as bad:
            at = bom + bad.start
            if bom or any(b >= 0x80 for b in data[:at]):
                raise _invalid_utf8(path, data, at) from exc
        else:
            raise _arrow_error(path, exc, encoding, delimiter, len(header)) from exc
        # ASCII first 64 KiB, Vietnamese text further down: a Windows-1258 file after all
        encoding = "cp1258"
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as bad:
            raise RawDataError(
                path,
                f"undecodable byte at offset {bad.start}",
                row=data[: bad.start].count(b"\n") + 1,
                expected="UTF-8 or Windows-1258 text",
            ) from exc
        _check_text(path, text, encoding)
        try:
            table = _arrow_csv(path, encoding, header, wanted, delimiter)
        except pa.ArrowInvalid as again:
            raise _arrow_error(path, again, encoding, delimiter, len(header)) from again
    _check_cell_length(path, table, first_row=2)
    if encoding not in ("utf-8", "utf-8-sig"):
        table = pa.table(
            {c: pc.utf8_normalize(table[c], "NFC") for c in table.column_names},
        )
    data = pd.DataFrame(
        {name: pd.arrays.ArrowStringArray(table[name], dtype=TEXT) for name in table.column_names},
        index=pd.RangeIndex(table.num_rows),
        copy=False,
    )
    rows = pd.Series(np.arange(2, len(data) + 2, dtype=np.int64), index=data.index)
    skipped = tuple(h for h in header if h not in wanted)
    return RawTable(path, data, rows, encoding, skipped=skipped)


def _arrow_csv(
    path: Path, encoding: str, header: list[str], wanted: list[str], delimiter: str
) -> pa.Table:
    read_opts = pacsv.ReadOptions(
        # UTF-8 is pyarrow's own (a BOM is skipped with the header row); others go through codecs
        encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
        column_names=header,
        skip_rows=1,
        block_size=1 << 24,
    )
    parse_opts = pacsv.ParseOptions(
        delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
    )
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(wanted, pa.large_string()),  # pandas' "str" storage
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
    except (OSError, UnicodeDecodeError, LookupError, pa.ArrowException) as exc:
        raise RawDataError(path, f"cannot be read as CSV ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _arrow_error(
    path: Path, exc: Exception, encoding: str, delimiter: str, width: int
) -> RawDataError:
    """A clear error for what pyarrow refused: the row is found again with the csv module."""
    message = str(exc)
    if "columns" in message and "Expected" in message:
        text = path.read_bytes().decode(encoding, errors="replace")
        reader_ = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            for number, record in enumerate(reader_, start=1):
                if number > 1 and record and len(record) != width:
                    return RawDataError(
                        path,
                        f"the row has {len(record)} cells but the header has {width}",
                        row=number,
                        expected="the same number of cells in every row (an unquoted "
                        "decimal comma such as 93,7 splits a number into two cells: quote it)",
                    )
        except csv.Error as bad:
            return RawDataError(
                path,
                f"a quoted cell is never closed ({bad}): the file may be truncated",
                row=reader_.line_num,
                expected="every opening quote closed",
            )
        return RawDataError(
            path,
            "a row has a different number of cells than the header",
            expected="the same number of cells in every row",
        )
    if "UTF8" in message:
        return RawDataError(path, "invalid text encoding", expected="UTF-8 or Windows-1258 text")
    return RawDataError(path, f"cannot be read as CSV ({_first_line(exc)})")


def _check_cell_length(path: Path, table: pa.Table, first_row: int) -> None:
    """Refuse a cell of more than :data:`MAX_CELL_CHARS` characters (columns as read: text).

    A cell has at least as many bytes as characters: one byte-length maximum over all columns
    clears almost every table, and only a table it does not clear is looked at column by column.
    """
    if _most_bytes(table.columns) <= MAX_CELL_CHARS:
        return
    for name in table.column_names:
        column = table[name]
        if _most_bytes([column]) <= MAX_CELL_CHARS:
            continue
        lengths = pc.utf8_length(column).to_numpy(zero_copy_only=False)
        over = pd.Series(lengths).gt(MAX_CELL_CHARS)
        if over.any():
            i = int(over.idxmax())
            raise RawDataError(
                path,
                f"a cell is {int(lengths[i]):,} characters long",
                row=first_row + i,
                column=name,
                expected=f"at most {MAX_CELL_CHARS:,} characters (a survey answer)",
            )


def _most_bytes(columns: list[pa.ChunkedArray]) -> int:
    """The longest cell of large_string columns in bytes (0 for none), in one pyarrow call."""
    cells = pa.chunked_array([c for column in columns for c in column.chunks], pa.large_string())
    return pc.max(pc.binary_length(cells)).as_py() or 0


# ----------------------------------------------------------------------------- XLSX


def _check_zip(path: Path) -> None:
    """Refuse what is not an XLSX package, or would expand past :data:`MAX_XLSX_BYTES`."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        with path.open("rb") as fh:
            magic = fh.read(8)
        what = (
            "an encrypted workbook or an old .xls file"
            if magic.startswith(b"\xd0\xcf\x11\xe0")
            else "not a ZIP archive: truncated, or another format renamed .xlsx"
        )
        raise RawDataError(
            path,
            f"not a readable XLSX workbook ({what})",
            expected="an .xlsx workbook as saved by Excel or LibreOffice",
        ) from exc
    if not any(i.filename == "xl/workbook.xml" for i in infos):
        raise RawDataError(
            path,
            "not a readable XLSX workbook (a ZIP archive without xl/workbook.xml)",
            expected="an .xlsx workbook as saved by Excel or LibreOffice",
        )
    expanded = sum(i.file_size for i in infos)
    if expanded > MAX_XLSX_BYTES:
        raise RawDataError(
            path,
            f"the workbook expands to {expanded / 2**20:,.0f} MiB",
            expected=f"at most {MAX_XLSX_BYTES >> 20} MiB uncompressed (a ZIP bomb?)",
        )


@reader(".xlsx", ".xlsm")
def read_xlsx(path: Path, catalogue: Catalogue) -> RawTable:
    """XLSX: first worksheet; title rows above the header are skipped.

    Formulas give their cached values (noted); a formula without a cached value (a workbook
    written by a program that does not compute) is missing (noted); error cells (#DIV/0!,
    #N/A ...) are read as text for cleaning to log.
    """
    _check_zip(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            header_at, header, keep, body = _xlsx_cells(path, catalogue, data_only=False)
            formulas = [
                (j, k)
                for j, row in enumerate(body)
                for k, v in enumerate(row)
                if isinstance(v, str) and v.startswith("=")
            ]
            cached = _xlsx_cells(path, catalogue, data_only=True)[3] if formulas else []
    except RawDataError:
        raise
    except Exception as exc:  # noqa: BLE001 — any failure of the XLSX parser is the file's
        raise RawDataError(
            path,
            f"not a readable XLSX workbook ({type(exc).__name__}: {_first_line(exc)})",
            expected="an .xlsx workbook as saved by Excel or LibreOffice",
        ) from exc
    first = header_at + 2
    notes: list[tuple[int | None, str | None, object, object, str]] = []
    computed: Counter[str] = Counter()
    for j, k in formulas:
        formula = body[j][k]
        value = cached[j][k] if j < len(cached) and k < len(cached[j]) else None
        if value == formula:  # text that merely starts with "=": left to the text rules
            continue
        body[j][k] = value
        if value is None:  # a workbook written by a program that does not compute
            notes.append(
                (
                    first + j,
                    header[keep[k]],
                    formula,
                    None,
                    "formula-without-cached-value set missing",
                )
            )
        else:  # what the sender saw: counted per column, like other representational changes
            computed[header[keep[k]]] += 1
    for column, n in computed.items():
        notes.append((None, column, f"{n} cells", None, "formula-cached-values-used"))
    columns = {}
    for k, i in enumerate(keep):
        cells = [_cell(row[k]) for row in body]
        for j, v in enumerate(cells):
            if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                raise RawDataError(
                    path,
                    f"a cell is {len(v):,} characters long",
                    row=first + j,
                    column=header[i],
                    expected=f"at most {MAX_CELL_CHARS:,} characters (a survey answer)",
                )
        columns[header[i]] = pd.Series(cells, dtype=object)
    data = pd.DataFrame(columns, index=pd.RangeIndex(len(body)))
    rows = pd.Series(range(first, first + len(body)), dtype="int64")
    kept = {header[i] for i in keep}
    skipped = tuple(h for h in header if h and h not in kept)
    return RawTable(path, data, rows, "xlsx", skipped=skipped, notes=notes)


def _xlsx_cells(path: Path, catalogue: Catalogue, *, data_only: bool):
    """(header row index, header, indices of the columns read, their cells row by row)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        if not book.worksheets:
            raise RawDataError(path, "the workbook has no worksheet", expected="a worksheet")
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # trust the cells, not a declared (maybe huge) used range
        rows = sheet.iter_rows(values_only=True)
        top = [list(r) for r in itertools.islice(rows, HEADER_SEARCH_ROWS)]
        header_at = _find_header(path, top, catalogue)
        header = [
            "" if h is None else unicodedata.normalize("NFC", str(h)).strip()
            for h in top[header_at][: MAX_COLUMNS + 1]
        ]
        while header and header[-1] == "":
            header.pop()
        if len(header) > MAX_COLUMNS:
            raise RawDataError(
                path,
                f"the header row has more than {MAX_COLUMNS:,} columns",
                row=header_at + 1,
                expected=f"at most {MAX_COLUMNS:,} columns (a questionnaire export)",
            )
        keep = [i for i, h in enumerate(header) if h and _wanted(catalogue, h)]
        _check_headers(path, header, [header[i] for i in keep], row=header_at + 1)
        body = [
            [r[i] if i < len(r) else None for i in keep]
            for r in itertools.chain(top[header_at + 1 :], rows)
        ]
    finally:
        book.close()
    while body and all(v is None for v in body[-1]):
        body.pop()  # formatted but empty rows below the table
    return header_at, header, keep, body


def _cell(value: object) -> object:
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def _find_header(path: Path, values: list[list], catalogue: Catalogue) -> int:
    if not values or not any(any(v is not None for v in row) for row in values):
        raise RawDataError(path, "the worksheet is empty", expected="a header row and data rows")
    for i, row in enumerate(values):
        known = sum(
            bool(matches(catalogue, unicodedata.normalize("NFC", c).strip()))
            for c in row[: MAX_COLUMNS + 1]
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
    headers = table.data.columns.tolist()  # (iterating the pyarrow-backed Index is slow)
    best, best_score, best_map = "", 0, {}
    for instrument in INSTRUMENTS:
        mapping = {}
        for header in headers:
            found = matches(catalogue, header).get(instrument)
            if found is not None:
                mapping[header] = found[0]
        keys = _keys(catalogue, instrument)
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
    for name, label in _required(catalogue, best):
        if name not in seen:
            raise RawDataError(
                table.path,
                "a required column is missing",
                row=1,
                column=label,
                expected=f"a column {label!r} ({name})",
            )
    table.instrument, table.columns = best, best_map
