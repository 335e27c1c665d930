"""Parse: turn the text of raw cells into typed values, one registry entry per catalogue dtype.

Vietnamese locale: "." groups thousands and "," is the decimal mark ("1.706,44", "93,7%").
Words stand in for numbers ("gần 85%", "hơn 46%", "trên 90%", "khoảng 2.100"): the number is
kept and flagged approximate. Missing-value markers ("-", "N/A", "chưa có số liệu") become
missing. Anything else that is not a number raises :class:`ValueProblem`; the caller turns it
into an error naming file, row and column.

Every parser is vectorised over a Series and returns a :class:`Parsed`: the values, a flag
for approximate values, and the cell-level corrections worth logging (approximate values,
missing markers, dot-decimal numbers, spreadsheet error cells, text that looks like a formula or
markup). Purely representational conversions (decimal comma, thousands dot, "%", "Có"/"Không")
are flagged in ``converted`` and counted, not logged per cell.

Text columns (CSV) are parsed once per distinct value and the result spread back to the cells:
a survey column of a million cells holds a few hundred distinct answers. Cell values of XLSX
workbooks (numbers, dates and text mixed) are parsed cell by cell.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.catalogue import header_key

MISSING_MARKERS = frozenset(
    header_key(m)
    for m in ["n/a", "na", "nan", "none", "null", "KXĐ", "chưa có số liệu", "không có số liệu",
              "không có", "chưa có", "không rõ", "không biết"]
)  # fmt: skip
"""Missing-value markers, in :func:`header_key` form; punctuation-only cells ("-", "?") too."""
#: Excel error values (cached results of broken formulas).
SHEET_ERRORS = frozenset(["#div/0!", "#n/a", "#value!", "#ref!", "#name?", "#num!", "#null!"])
APPROX = re.compile(
    r"^(?:gần|gan|hơn|hon|trên|tren|dưới|duoi|khoảng|khoang|xấp xỉ|xap xi|ước|uoc|ước tính|"
    r"uoc tinh|chừng|chung|tới|toi|~|≈|>|<|>=|<=)\s*",
    re.IGNORECASE,
)
VN_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
DOT_DECIMAL = r"[+-]?\d+\.\d+"
YES = frozenset(["1", "co", "yes", "y", "true", "dung", "da", "roi", "da kich hoat"])
NO = frozenset(["0", "khong", "no", "n", "false", "chua", "sai"])
#: Control, zero-width and bidirectional formatting characters: never part of a name.
CONTROL = r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
#: :data:`CONTROL` and Python's ``\s`` (what ``str.isspace`` accepts) in pyarrow's RE2 syntax
RE2_CONTROL = re.sub(r"\\u([0-9a-f]{4})", r"\\x{\1}", CONTROL)
RE2_SPACE = (
    r"[\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
    r"\x{205f}\x{3000}]"
)
#: Text a spreadsheet would run as a formula (=, +, -, @ first; tab and CR are stripped anyway).
FORMULA = r"^[=+\-@]"
#: Text that a browser would take for markup or a script URL.
MARKUP = r"</?[A-Za-z!][^<>]*>|(?i:javascript|vbscript)\s*:"
CHANGE_COLUMNS = ["label", "old", "new", "rule"]


class ValueProblem(ValueError):
    """A cell that no rule can interpret; ``label`` is its index label in the Series."""

    def __init__(self, label: object, value: object, expected: str) -> None:
        super().__init__(f"{value!r}: expected {expected}")
        self.label, self.value, self.expected = label, value, expected


def _no_changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": pd.Series(dtype=object),
            "old": pd.Series(dtype="str"),
            "new": pd.Series(dtype="str"),
            "rule": pd.Series(dtype="str"),
        }
    )


@dataclass
class Parsed:
    """Typed values, approximate-value flags, the corrections to log and the converted cells.

    ``changes`` has one row per logged correction: ``label`` (index label of the cell),
    ``old``, ``new`` and ``rule``. ``converted`` flags cells whose representation changed
    (decimal comma, "%", Có/Không ...): counted in the log, not listed.
    """

    values: pd.Series
    approx: pd.Series
    changes: pd.DataFrame = field(default_factory=_no_changes)
    converted: pd.Series | None = None


class _Changes:
    """Collects corrections while parsing: ``add(labels, olds, news, rule)``."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, labels, old, new, rule: str) -> None:
        labels = list(labels)
        if not labels:
            return
        n = len(labels)
        self.parts.append(
            pd.DataFrame(
                {
                    "label": pd.Series(labels, dtype=object),
                    "old": pd.Series(_listed(old, n), dtype=object),
                    "new": pd.Series(_listed(new, n), dtype=object),
                    "rule": rule,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return _no_changes()
        changes = pd.concat(self.parts, ignore_index=True)
        for col in ("old", "new"):
            changes[col] = as_text(changes[col])
        return changes


def as_text(values: pd.Series) -> pd.Series:
    """Values as text (``str(v)``, computed once per distinct value); missing stays missing."""
    if isinstance(values.dtype, pd.StringDtype):
        return values
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.array([str(u) for u in uniques], dtype="str")
    return pd.Series(text.take(codes, allow_fill=True), index=values.index)


def _listed(values, n: int) -> list:
    if values is None:
        return [None] * n
    if isinstance(values, pd.Series):
        return values.astype(object).where(values.notna(), None).tolist()
    return list(values)


def is_arrow_text(values: pd.Series) -> bool:
    """Text held by pyarrow (pandas' "str" dtype): pyarrow's kernels apply to it directly."""
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``pd.factorize(values)`` (codes, -1 for missing; distinct values as a Series).

    pyarrow-backed text is dictionary-encoded by pyarrow directly, several times faster than
    pandas' route for a column of a million cells.
    """
    dtype = values.dtype
    if is_arrow_text(values):
        array = pa.array(values.array)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        encoded = pc.dictionary_encode(array)
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
        uniques = pd.Series(encoded.dictionary.to_pandas(), dtype=dtype)
        return codes, uniques
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Series(uniques, dtype=dtype)


def per_distinct_value(core: Callable[..., Parsed]) -> Callable[..., Parsed]:
    """Run a parser once per distinct value of a text column and spread the result back.

    Errors name the first cell holding the offending value; logged corrections are repeated
    for every cell holding it, so the log is the same as a cell-by-cell parse. Object columns
    (XLSX cells, where 1 and True hash alike) are parsed cell by cell. The undecorated parser
    is ``parser.__wrapped__`` (see :func:`parse_factorized`).
    """

    @functools.wraps(core)
    def parse(raw: pd.Series, *args, **kwargs) -> Parsed:
        if raw.dtype == object or not len(raw):
            return _finish(core(raw, *args, **kwargs), raw.index)
        codes, uniques = factorize(raw)
        return _distinct(core, codes, uniques, raw.index, args, kwargs)

    return parse


def parse_factorized(
    parser: Callable[..., Parsed],
    codes: np.ndarray,
    uniques: pd.Series,
    index: pd.Index,
    *args,
) -> Parsed:
    """Parse a text column given as ``pd.factorize`` gives it: ``uniques[codes]``, -1 missing.

    Only the distinct values some cell refers to are parsed (a value found only in a dropped
    row is never judged); the result is aligned to ``index`` (one label per code).
    """
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    remap = np.full(len(uniques) + 1, -1, dtype="int64")
    remap[used] = np.arange(len(used))
    codes = remap[codes]  # -1 stays -1 (the last slot)
    distinct = pd.Series(uniques.array.take(used), dtype=uniques.dtype)
    return _distinct(parser.__wrapped__, codes, distinct, index, args, {})


def _distinct(core, codes, distinct, index, args, kwargs) -> Parsed:
    try:
        parsed = core(distinct, *args, **kwargs)
    except ValueProblem as problem:
        first = int(np.flatnonzero(codes == problem.label)[0])
        raise ValueProblem(index[first], problem.value, problem.expected) from None
    return _spread(_finish(parsed, distinct.index), codes, index)


def _finish(parsed: Parsed, index: pd.Index) -> Parsed:
    if parsed.converted is None:
        parsed.converted = pd.Series(False, index=index)
    return parsed


def _spread(parsed: Parsed, codes: np.ndarray, index: pd.Index) -> Parsed:
    valid = codes >= 0
    values = pd.Series(parsed.values.array.take(codes, allow_fill=True), index=index)
    approx = pd.Series(parsed.approx.to_numpy(dtype=bool)[codes] & valid, index=index)
    converted = pd.Series(parsed.converted.to_numpy(dtype=bool)[codes] & valid, index=index)
    changes = parsed.changes
    if len(changes):
        positions = np.flatnonzero(np.isin(codes, changes["label"].astype("int64").unique()))
        cells = pd.DataFrame({"position": positions, "code": codes[positions]})
        merged = cells.merge(
            changes.assign(code=changes["label"].astype("int64")).drop(columns="label"),
            on="code",
            how="inner",
            sort=False,
        )
        changes = pd.DataFrame(
            {
                "label": index[merged["position"].to_numpy()],
                "old": merged["old"].array,
                "new": merged["new"].array,
                "rule": merged["rule"].array,
            }
        )
    return Parsed(values, approx, changes, converted)


def _as_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split a column into text cells (stripped, NFC) and non-text cells (XLSX numbers, dates)."""
    if raw.dtype == object:
        is_text = raw.map(lambda v: isinstance(v, str))
        text = raw.where(is_text).astype("str")
    else:
        is_text = raw.notna()
        text = raw.astype("str")
    text = text.str.strip()
    if not text.dropna().str.isascii().all():  # NFC only matters beyond ASCII
        text = text.str.normalize("NFC")
    return text, is_text


def _missing(text: pd.Series, changes: _Changes) -> pd.Series:
    """Blank out missing markers and sheet errors (logged); return the mask of remaining text."""
    present = (text.notna() & (text != "")).to_numpy(dtype=bool)
    # markers hold no digit, sheet errors start with '#': only those cells are looked at
    wordy = present & ~text.str.contains(r"\d", regex=True).fillna(True).to_numpy(dtype=bool)
    marker = pd.Series(False, index=text.index)
    if wordy.any():
        folded = text[wordy].map(header_key)
        marker[wordy] = (folded.isin(MISSING_MARKERS) | (folded == "")).to_numpy()
    hashed = present & text.str.startswith("#").fillna(False).to_numpy(dtype=bool)
    error = pd.Series(False, index=text.index)
    if hashed.any():
        error[hashed] = text[hashed].str.lower().isin(SHEET_ERRORS).to_numpy()
    changes.add(text.index[marker & ~error], text[marker & ~error], None, "missing-marker")
    changes.add(text.index[error], text[error], None, "sheet-error-cell")
    return pd.Series(present, index=text.index) & ~marker & ~error


def _native_numbers(raw: pd.Series, is_text: pd.Series, out: pd.Series, expected: str) -> None:
    numeric = raw[~is_text & raw.notna()]
    if len(numeric):
        ok = numeric.map(
            lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
        )
        if not ok.all():
            bad = numeric[~ok]
            raise ValueProblem(bad.index[0], bad.iloc[0], expected)
        out[numeric.index] = numeric.astype("float64")


#: the common cells ("547", "1.234", "85,3", "12%", "7,5 %"): whole digits without a leading
#: zero, grouped in thousands by "." or not, an optional decimal comma and percent sign; and
#: numbers with a decimal dot ("47.6"; logged like every dot decimal) that cannot be read as
#: thousands ("1.234" is 1234). They read the same as through the general rules below (a test
#: compares both on generated cells), without Python-level regular expressions.
SIMPLE_NUMBER = r"(?:0|[1-9][0-9]{0,14}|[1-9][0-9]{0,2}(?:\.[0-9]{3})+)(?:,[0-9]{1,15})?(?: ?%)?"
SIMPLE_DOT_DECIMAL = r"(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}"
_THOUSANDS = r"[0-9]{1,3}\.[0-9]{3}"


def _simple_numbers(
    cells: pd.Series, out: pd.Series, converted: pd.Series, changes: _Changes
) -> pd.Series:
    """Read the cells that are simple numbers into ``out``/``converted`` (dot decimals logged
    in ``changes``); return the others."""
    simple = cells.str.fullmatch(SIMPLE_NUMBER).fillna(False).to_numpy(dtype=bool)
    dot = (
        (cells.str.fullmatch(SIMPLE_DOT_DECIMAL) & ~cells.str.fullmatch(_THOUSANDS))
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    if simple.any():
        done = cells[simple]
        body = done.str.replace(" ", "", regex=False).str.replace("%", "", regex=False)
        body = body.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        out[done.index] = body.astype("float64")
        converted[done.index] = (
            done.str.contains(",", regex=False)
            | done.str.contains("%", regex=False)
            | done.str.contains(".", regex=False)
        )
    if dot.any():
        numbers = cells[dot].astype("float64")
        out[numbers.index] = numbers
        changes.add(numbers.index, cells[dot], numbers, "dot-decimal")
    return cells[~(simple | dot)]


def _number(raw: pd.Series, expected: str) -> Parsed:
    out = pd.Series(np.nan, index=raw.index, dtype="float64")
    approx_flag = pd.Series(False, index=raw.index)
    converted = pd.Series(False, index=raw.index)
    changes = _Changes()
    text, is_text = _as_text(raw)
    _native_numbers(raw, is_text, out, expected)
    todo = _missing(text, changes)
    cells = _simple_numbers(text[todo], out, converted, changes) if todo.any() else text[todo]
    if len(cells):
        body = cells.str.replace(APPROX.pattern, "", regex=True, case=False)
        approx = body != cells
        body = body.str.replace(r"\s*%$", "", regex=True).str.replace(
            r"(?<=\d)\s+(?=\d{3}\b)", ".", regex=True
        )
        vn = body.str.fullmatch(VN_NUMBER).fillna(False).astype(bool)
        dot = ~vn & body.str.fullmatch(DOT_DECIMAL).fillna(False).astype(bool)
        invalid = ~(vn | dot)
        if invalid.any():
            label = invalid.index[invalid.to_numpy()][0]
            raise ValueProblem(
                label, cells[label], expected + " (Vietnamese locale, e.g. 93,7 or 1.706,44)"
            )
        values = body.where(
            dot, body.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        )
        numbers = values.astype("float64")
        out[cells.index] = numbers
        approx_flag[cells.index[approx.to_numpy()]] = True
        changes.add(
            cells.index[approx.to_numpy()],
            cells[approx],
            numbers[approx],
            "approximate-value",
        )
        changes.add(cells.index[dot.to_numpy()], cells[dot], numbers[dot], "dot-decimal")
        converted[cells.index] = (vn & ~approx & (cells != numbers.map(_plain))).to_numpy()
    return Parsed(out, approx_flag, changes.frame(), converted)


@per_distinct_value
def parse_number(raw: pd.Series, expected: str = "a number") -> Parsed:
    """Numbers in the Vietnamese locale, words for approximate numbers, an optional '%'."""
    return _number(raw, expected)


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


@per_distinct_value
def parse_integer(raw: pd.Series, expected: str = "a whole number") -> Parsed:
    """Whole numbers (counts); non-integral values become missing and are logged."""
    parsed = _number(raw, expected)
    values = parsed.values
    fractional = values.notna() & (values != values.round())
    extra = _Changes()
    extra.add(values.index[fractional], raw[fractional], None, "not-a-whole-number")
    parsed.changes = pd.concat([parsed.changes, extra.frame()], ignore_index=True)
    parsed.values = values.mask(fractional).astype("Int64")
    return parsed


@per_distinct_value
def parse_binary(raw: pd.Series, expected: str = "1/0 or Có/Không") -> Parsed:
    """Yes/no answers: 1/0, Có/Không, co/khong, yes/no → Int8 1/0."""
    values = pd.Series(pd.NA, index=raw.index, dtype="Int8")
    changes = _Changes()
    text, is_text = _as_text(raw)
    if raw.dtype == object:
        numeric = raw[~is_text & raw.notna()]
        text = text.where(
            is_text, numeric.map(lambda v: _plain(v) if isinstance(v, (int, float)) else str(v))
        )
    todo = _missing(text, changes)
    folded = text[todo].map(header_key).str.replace(r"^1 0$", "1", regex=True)
    yes, no = folded.isin(YES) | (folded == "1 0"), folded.isin(NO) | (folded == "0 0")
    invalid = ~(yes | no)
    if invalid.any():
        label = invalid.index[invalid.to_numpy()][0]
        raise ValueProblem(label, text[label], expected)
    values[folded.index] = yes.astype("Int8")
    converted = pd.Series(False, index=raw.index)
    converted[folded.index] = (~text[todo].isin(["0", "1"])).to_numpy()
    return Parsed(values, pd.Series(False, index=raw.index), changes.frame(), converted)


@per_distinct_value
def parse_category(raw: pd.Series, categories: list[str]) -> Parsed:
    """Categories matched ignoring case and diacritics; unknown values become missing (logged)."""
    changes = _Changes()
    if raw.dtype == object:
        raw = raw.where(raw.notna()).map(str, na_action="ignore").astype(object)
    text, _ = _as_text(raw)
    todo = _missing(text, changes)
    lookup = {header_key(c): c for c in categories}
    mapped = text[todo].map(header_key).map(lookup)
    unknown = mapped.isna()
    changes.add(mapped.index[unknown], text[mapped.index[unknown]], None, "unknown-category")
    values = pd.Series(mapped, index=raw.index, dtype="str")
    converted = pd.Series(False, index=raw.index)
    converted[mapped.index] = (mapped.notna() & (mapped != text[todo])).to_numpy()
    return Parsed(values, pd.Series(False, index=raw.index), changes.frame(), converted)


DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%m/%Y")
DAY_FIRST = r"\d{2}/\d{2}/\d{4}(?: \d{2}:\d{2}(?::\d{2})?)?"
#: the shapes of :data:`DAY_FIRST`, told by their length, each read by pyarrow's strptime
DAY_FIRST_FORMATS = {16: "%d/%m/%Y %H:%M", 19: "%d/%m/%Y %H:%M:%S", 10: "%d/%m/%Y"}


def _datetime(raw: pd.Series, expected: str) -> Parsed:
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    approx_flag = pd.Series(False, index=raw.index)
    changes = _Changes()
    text, is_text = _as_text(raw)
    if raw.dtype == object:
        for label, value in raw[~is_text & raw.notna()].items():
            if not isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
                raise ValueProblem(label, value, expected)
            values[label] = pd.Timestamp(value)
    todo = _missing(text, changes)
    cells = text[todo]
    result = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us]")
    iso = cells.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    if iso.any():
        iso_cells = cells[iso]
        # naive ISO stamps are local (Vietnam) time; others are converted to it
        naive = ~iso_cells.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
        if (~naive).any():
            stamps = pd.to_datetime(iso_cells[~naive], format="ISO8601", errors="coerce", utc=True)
            result[stamps.index] = (
                stamps.dt.tz_convert("Asia/Ho_Chi_Minh")
                .dt.tz_localize(None)
                .astype("datetime64[us]")
            )
        if naive.any():
            local = pd.to_datetime(iso_cells[naive], format="ISO8601", errors="coerce")
            result[local.index] = local.astype("datetime64[us]")
    rest = ~iso
    # the usual day-first stamps (dd/mm/yyyy [HH:MM[:SS]]) go through pyarrow's strptime;
    # whatever it refuses (31/02/2024) is tried with every format below
    dayfirst = rest & cells.str.fullmatch(DAY_FIRST).fillna(False).astype(bool)
    if dayfirst.any():
        at = np.flatnonzero(dayfirst.to_numpy())
        stamps = pa.array(cells.array.take(at))
        length = pc.utf8_length(stamps).to_numpy()
        for size, fmt in DAY_FIRST_FORMATS.items():
            shaped = length == size
            if shaped.any():
                part = stamps.filter(shaped)
                got = pc.strptime(part, fmt, "us", error_is_null=True)
                # strptime rolls a day past the month's end over (29/02/2023 → 1 March)
                day = pc.cast(pc.utf8_slice_codeunits(part, 0, 2), pa.int64())
                got = pc.if_else(pc.equal(pc.day(got), day), got, None)
                result.iloc[at[shaped]] = got.to_numpy(zero_copy_only=False)
    for fmt in DATE_FORMATS:
        pending = rest & result.isna()
        if not pending.any():
            break
        got = pd.to_datetime(cells[pending], format=fmt, errors="coerce")
        result[got.index] = got.astype("datetime64[us]")
        if fmt == "%m/%Y":
            month = got.index[got.notna()]
            approx_flag[month] = True
            changes.add(month, cells[month], [str(d.date()) for d in got[month]], "month-only-date")
    invalid = result.isna()
    if invalid.any():
        label = invalid.index[invalid.to_numpy()][0]
        raise ValueProblem(label, cells[label], expected)
    values[result.index] = result
    return Parsed(values, approx_flag, changes.frame())


@per_distinct_value
def parse_datetime(
    raw: pd.Series, expected: str = "a date-time (dd/mm/yyyy HH:MM or ISO 8601)"
) -> Parsed:
    """Day-first dates with optional time, or ISO 8601 (Kobo); offsets converted to Vietnam time."""
    return _datetime(raw, expected)


@per_distinct_value
def parse_date(raw: pd.Series) -> Parsed:
    """A date (day first, or ISO, or month/year meaning its first day, flagged approximate)."""
    parsed = _datetime(raw, "a date (dd/mm/yyyy, yyyy-mm-dd or mm/yyyy)")
    parsed.values = parsed.values.dt.normalize()
    return parsed


@per_distinct_value
def parse_text(raw: pd.Series) -> Parsed:
    """Free text and names: stripped, Unicode NFC, control and bidi characters removed.

    Spreadsheet error cells become missing; text a spreadsheet would run as a formula
    ("=HYPERLINK(...)", "+cmd", "@SUM(...)") gets a leading "'" so that it stays text in every
    CSV made from it; text that looks like markup (``<b>``, ``<script>``, ``javascript:``) is
    kept verbatim — it is a name as received, escaping it is the job of whatever renders HTML —
    and logged. All three are logged.
    """
    changes = _Changes()
    if raw.dtype == object:
        raw = raw.where(raw.notna()).map(str, na_action="ignore").astype(object)
    text, _ = _as_text(raw)
    cleaned = pc.replace_substring_regex(pa.array(text.array), RE2_CONTROL, "")
    cleaned = pc.replace_substring_regex(cleaned, RE2_SPACE + "+", " ")
    cleaned = pd.Series(pd.array(cleaned, dtype=text.dtype), index=text.index).str.strip()
    changed = (text.notna() & (cleaned != text)).fillna(False).astype(bool)
    changes.add(text.index[changed], text[changed], cleaned[changed], "control-characters-removed")
    error = cleaned.str.lower().isin(SHEET_ERRORS) & cleaned.notna()
    changes.add(cleaned.index[error], cleaned[error], None, "sheet-error-cell")
    cleaned = cleaned.where(~error & (cleaned != ""))
    formula = (cleaned.str.match(FORMULA) & (cleaned.str.len() > 1)).fillna(False).astype(bool)
    formula[formula] = ~cleaned[formula].str.fullmatch(r"[+-]?[\d.,\s]+%?").astype(bool)
    escaped = "'" + cleaned[formula]
    changes.add(cleaned.index[formula], cleaned[formula], escaped, "formula-like-text-escaped")
    cleaned[formula] = escaped
    # markup holds a "<" or a ":": only those cells go through Python's regular expressions
    markup = cleaned.str.contains("<", regex=False) | cleaned.str.contains(":", regex=False)
    markup = markup.fillna(False).astype(bool)
    markup[markup] = cleaned[markup].str.contains(MARKUP, regex=True).astype(bool)
    changes.add(cleaned.index[markup], cleaned[markup], None, "markup-like-text-kept-as-text")
    return Parsed(cleaned, pd.Series(False, index=raw.index), changes.frame())


PARSERS: dict[str, Callable[..., Parsed]] = {
    "number": parse_number,
    "integer": parse_integer,
    "binary": parse_binary,
    "category": parse_category,
    "date": parse_date,
    "datetime": parse_datetime,
    "text": parse_text,
}
