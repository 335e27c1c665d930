"""Parse: turn the text of raw cells into typed values, one registry entry per catalogue dtype.

Vietnamese locale: "." groups thousands and "," is the decimal mark ("1.706,44", "93,7%").
Words stand in for numbers ("gần 85%", "hơn 46%", "trên 90%", "khoảng 2.100"): the number is
kept and flagged approximate. Missing-value markers ("-", "N/A", "chưa có số liệu") become
missing. Anything else that is not a number raises :class:`ValueProblem`; the caller turns it
into an error naming file, row and column.

Every parser is vectorised over a Series and returns a :class:`Parsed`: the values, a flag
for approximate values, and the cell-level corrections worth logging (approximate values,
missing markers, dot-decimal numbers, spreadsheet error cells). Purely representational
conversions (decimal comma, thousands dot, "%", "Có"/"Không") are counted, not logged per cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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


class ValueProblem(ValueError):
    """A cell that no rule can interpret; ``label`` is its index label in the Series."""

    def __init__(self, label: object, value: object, expected: str) -> None:
        super().__init__(f"{value!r}: expected {expected}")
        self.label, self.value, self.expected = label, value, expected


@dataclass
class Parsed:
    """Typed values, approximate-value flags and the corrections to log (index, old, new, rule)."""

    values: pd.Series
    approx: pd.Series
    changes: list[tuple[object, object, object, str]] = field(default_factory=list)
    converted: int = 0  # cells whose representation changed (decimal comma, "%", Có/Không ...)


def _as_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split a column into text cells (stripped, NFC) and non-text cells (XLSX numbers, dates)."""
    is_text = raw.map(lambda v: isinstance(v, str)) if raw.dtype == object else raw.notna()
    text = raw.where(is_text).astype("str").str.strip().str.normalize("NFC")
    return text, is_text


def _missing(text: pd.Series, parsed: Parsed) -> pd.Series:
    """Blank out missing markers and sheet errors (logged); return the mask of remaining text."""
    folded = text.map(header_key, na_action="ignore")
    lower = text.str.lower()
    marker = (folded.isin(MISSING_MARKERS) | (folded == "")) & text.notna() & (text != "")
    error = lower.isin(SHEET_ERRORS)
    for label in text.index[marker & ~error]:
        parsed.changes.append((label, text[label], None, "missing-marker"))
    for label in text.index[error]:
        parsed.changes.append((label, text[label], None, "sheet-error-cell"))
    return text.notna() & (text != "") & ~marker & ~error


def parse_number(raw: pd.Series, expected: str = "a number") -> Parsed:
    """Numbers in the Vietnamese locale, words for approximate numbers, an optional '%'."""
    out = pd.Series(np.nan, index=raw.index, dtype="float64")
    parsed = Parsed(out, pd.Series(False, index=raw.index))
    text, is_text = _as_text(raw)
    numeric = raw[~is_text & raw.notna()]
    if len(numeric):
        bad = numeric[
            ~numeric.map(
                lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
            )
        ]
        if len(bad):
            raise ValueProblem(bad.index[0], bad.iloc[0], expected)
        out[numeric.index] = numeric.astype("float64")
    todo = _missing(text, parsed)
    if not todo.any():
        return parsed
    cells = text[todo]
    body = cells.str.replace(APPROX.pattern, "", regex=True, case=False)
    approx = body != cells
    body = body.str.replace(r"\s*%$", "", regex=True).str.replace(
        r"(?<=\d)\s+(?=\d{3}\b)", ".", regex=True
    )
    vn = body.str.fullmatch(VN_NUMBER)
    dot = ~vn & body.str.fullmatch(DOT_DECIMAL)
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
    parsed.approx[cells.index[approx.to_numpy()]] = True
    for label in cells.index[approx.to_numpy()]:
        parsed.changes.append((label, cells[label], numbers[label], "approximate-value"))
    for label in cells.index[dot.to_numpy()]:
        parsed.changes.append((label, cells[label], numbers[label], "dot-decimal"))
    parsed.converted = int((vn & ~approx & (cells != numbers.map(_plain))).sum())
    return parsed


def _plain(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def parse_integer(raw: pd.Series, expected: str = "a whole number") -> Parsed:
    """Whole numbers (counts); non-integral values become missing and are logged."""
    parsed = parse_number(raw, expected)
    values = parsed.values
    fractional = values.notna() & (values != values.round())
    for label in values.index[fractional]:
        parsed.changes.append((label, raw[label], None, "not-a-whole-number"))
    parsed.values = values.mask(fractional).astype("Int64")
    return parsed


def parse_binary(raw: pd.Series, expected: str = "1/0 or Có/Không") -> Parsed:
    """Yes/no answers: 1/0, Có/Không, co/khong, yes/no → Int8 1/0."""
    parsed = Parsed(
        pd.Series(pd.NA, index=raw.index, dtype="Int8"), pd.Series(False, index=raw.index)
    )
    text, is_text = _as_text(raw)
    numeric = raw[~is_text & raw.notna()]
    text = text.where(
        is_text, numeric.map(lambda v: _plain(v) if isinstance(v, (int, float)) else str(v))
    )
    todo = _missing(text, parsed)
    folded = text[todo].map(header_key).str.replace(r"^1 0$", "1", regex=True)
    yes, no = folded.isin(YES) | (folded == "1 0"), folded.isin(NO) | (folded == "0 0")
    invalid = ~(yes | no)
    if invalid.any():
        label = invalid.index[invalid.to_numpy()][0]
        raise ValueProblem(label, text[label], expected)
    parsed.values[folded.index] = yes.astype("Int8")
    parsed.converted = int((~text[todo].isin(["0", "1"])).sum())
    return parsed


def parse_category(raw: pd.Series, categories: list[str]) -> Parsed:
    """Categories matched ignoring case and diacritics; unknown values become missing (logged)."""
    parsed = Parsed(
        pd.Series(pd.NA, index=raw.index, dtype="str"), pd.Series(False, index=raw.index)
    )
    text, _ = _as_text(raw.astype(object).where(raw.notna()).map(str, na_action="ignore"))
    todo = _missing(text, parsed)
    lookup = {header_key(c): c for c in categories}
    mapped = text[todo].map(header_key).map(lookup)
    for label in mapped.index[mapped.isna()]:
        parsed.changes.append((label, text[label], None, "unknown-category"))
    parsed.values = pd.Series(mapped, index=raw.index, dtype="str")
    parsed.converted = int((mapped.notna() & (mapped != text[todo])).sum())
    return parsed


def parse_datetime(
    raw: pd.Series, expected: str = "a date-time (dd/mm/yyyy HH:MM or ISO 8601)"
) -> Parsed:
    """Day-first dates with optional time, or ISO 8601 (Kobo); offsets converted to Vietnam time."""
    parsed = Parsed(
        pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]"),
        pd.Series(False, index=raw.index),
    )
    text, is_text = _as_text(raw)
    native = raw[~is_text & raw.notna()]
    for label, value in native.items():
        if not isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
            raise ValueProblem(label, value, expected)
        parsed.values[label] = pd.Timestamp(value)
    todo = _missing(text, parsed)
    cells = text[todo]
    result = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us]")
    iso = cells.str.match(r"^\d{4}-\d{2}-\d{2}")
    if iso.any():
        stamps = pd.to_datetime(cells[iso], format="ISO8601", errors="coerce", utc=True)
        result[iso.to_numpy()] = (
            stamps.dt.tz_convert("Asia/Ho_Chi_Minh").dt.tz_localize(None).astype("datetime64[us]")
        )
        # naive ISO stamps are already local time
        naive = ~cells[iso].str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
        if naive.any():
            local = pd.to_datetime(cells[iso][naive], format="ISO8601", errors="coerce")
            result[local.index] = local.astype("datetime64[us]")
    rest = ~iso
    if rest.any():
        for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y", "%m/%Y"):
            pending = rest & result.isna()
            if not pending.any():
                break
            got = pd.to_datetime(cells[pending], format=fmt, errors="coerce")
            result[got.index] = got.astype("datetime64[us]")
            if fmt == "%m/%Y":
                for label in got.index[got.notna()]:
                    parsed.approx[label] = True
                    parsed.changes.append(
                        (label, cells[label], str(got[label].date()), "month-only-date")
                    )
    invalid = result.isna()
    if invalid.any():
        label = invalid.index[invalid.to_numpy()][0]
        raise ValueProblem(label, cells[label], expected)
    parsed.values[result.index] = result
    return parsed


def parse_date(raw: pd.Series) -> Parsed:
    """A date (day first, or ISO, or month/year meaning its first day, flagged approximate)."""
    parsed = parse_datetime(raw, "a date (dd/mm/yyyy, yyyy-mm-dd or mm/yyyy)")
    parsed.values = parsed.values.dt.normalize()
    return parsed


def parse_text(raw: pd.Series) -> Parsed:
    """Free text and names: stripped, Unicode NFC, control characters removed."""
    text, _ = _as_text(raw.astype(object).where(raw.notna()).map(str, na_action="ignore"))
    cleaned = text.str.replace(
        r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", regex=True
    )
    cleaned = cleaned.str.replace(r"\s+", " ", regex=True).str.strip()
    parsed = Parsed(cleaned.where(cleaned != ""), pd.Series(False, index=raw.index))
    changed = text.notna() & (cleaned != text)
    for label in text.index[changed]:
        parsed.changes.append((label, text[label], cleaned[label], "control-characters-removed"))
    return parsed


PARSERS: dict[str, Callable[..., Parsed]] = {
    "number": parse_number,
    "integer": parse_integer,
    "binary": parse_binary,
    "category": parse_category,
    "date": parse_date,
    "datetime": parse_datetime,
    "text": parse_text,
}
