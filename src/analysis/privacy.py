"""Privacy: remove personal data before anything is written, and check that none is left.

Following the DIME data handbook, identifiers are removed first: personal free text (names,
phone numbers, e-mail, comments) is never even read from raw exports (see ``ingest``); the
citizen ID number is read only to find duplicate household submissions and is dropped right
after. Respondents get a sequential ``respondent_id`` that cannot be traced back without the
raw files. Text that is read (place names, programme names) is searched for anything that looks
like a phone number, a citizen ID or an e-mail address, which is replaced by
:data:`REDACTED`; error messages and the cleaning log go through the same filter.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.catalogue import Catalogue
from analysis.exceptions import AnalysisError
from analysis.parse import factorize, is_arrow_text

#: Patterns of personal data that must never appear in an output table.
PATTERNS = {
    # 001203004005, 001 203 004 005 (before phone numbers: a grouped ID looks like one too)
    "citizen ID number": re.compile(r"(?<!\d)\d{3}(?:[\s.-]?\d{3}){3}(?!\d)"),
    # 0912345678, 0912 345 678, 0912.345.678, (024) 3825 1234, +84 912 345 678, (+84) 912-345-678,
    # 84912345678
    "phone number": re.compile(
        r"(?<![\w+])(?:\+|\(\+?|\()?(?:84|0)(?:[\s.()-]{0,2}\d){8,10}(?!\w)"
    ),
    "e-mail address": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
}
REDACTED = "[redacted]"
#: What every match of :data:`PATTERNS` holds (keep in step with them): an "@", or at least
#: nine characters that may be digits (a phone number has 9 or more, a citizen ID 12). Python's
#: ``\d`` is any Unicode decimal digit, RE2's only 0-9; this class has 0-9 and every character
#: outside ASCII, the Latin supplements (U+0080-U+02FF) and Latin Extended Additional.
_MAYBE_DIGIT = r"[0-9]|[^\x00-\x{2FF}\x{1E00}-\x{1EFF}]"
_MIN_DIGITS = 9


class PersonalDataLeak(AnalysisError, AssertionError):
    """An output table still holds something that looks like personal data."""


def drop_personal(df: pd.DataFrame, catalogue: Catalogue, instrument: str) -> pd.DataFrame:
    """The frame without the catalogue's personal columns of ``instrument``."""
    personal = catalogue.variables(instrument, "personal").index
    return df.drop(columns=[c for c in df.columns if c in personal])


def citizen_id_key(values: pd.Series) -> pd.Series:
    """Digits of a citizen ID (12 digits, leading zeros kept); missing when it is not one."""
    text = values.astype("str")
    plain = text.str.fullmatch(r"\d{12}").fillna(False).astype(bool)
    if plain.all():  # the usual case: nothing to strip
        return text.where(values.notna())
    digits = text.where(plain, text.str.replace(r"\D", "", regex=True))
    return digits.where(digits.str.fullmatch(r"\d{12}").fillna(False).astype(bool))


def redact_text(text: str) -> str:
    """``text`` with anything that looks like personal data replaced by :data:`REDACTED`."""
    for pattern in PATTERNS.values():
        text = pattern.sub(REDACTED, text)
    return text


def looks_personal(text: str) -> str | None:
    """What kind of personal data ``text`` seems to hold, or None."""
    for what, pattern in PATTERNS.items():
        if pattern.search(text):
            return what
    return None


def redact(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values with personal-looking text redacted, mask of the cells changed).

    Computed once per distinct value that may hold personal data (:func:`screen`)."""
    codes, uniques = factorize(values)
    if not len(uniques):
        return values, pd.Series(False, index=values.index)
    texts = uniques.to_numpy(dtype=object)
    screened = (
        np.flatnonzero(screen(pa.array(uniques.array)))
        if is_arrow_text(uniques)
        else range(len(texts))
    )
    cleaned = texts.copy()
    for i in screened:
        cleaned[i] = redact_text(str(texts[i]))
    changed_u = cleaned != texts
    if not changed_u.any():
        return values, pd.Series(False, index=values.index)
    changed = pd.Series((codes >= 0) & changed_u[codes], index=values.index)
    out = values.copy()
    out[changed] = cleaned[codes[changed.to_numpy()]]
    return out, changed


def screen(texts: pa.Array) -> np.ndarray:
    """Mask of the texts that :data:`PATTERNS` may match: every one they match, and few others
    (an '@', or nine characters that may be digits), found without Python."""
    maybe = pc.or_(
        pc.greater_equal(pc.count_substring_regex(texts, _MAYBE_DIGIT), _MIN_DIGITS),
        pc.match_substring(texts, "@"),
    )
    return maybe.fill_null(False).to_numpy(zero_copy_only=False)


def _suspects(values: pd.Series) -> list[str]:
    """The distinct texts of ``values`` that :func:`looks_personal` may flag, in order of first
    appearance: every one it flags, and few others (pyarrow text is screened without Python)."""
    if not is_arrow_text(values):
        return [str(v) for v in pd.unique(values.dropna())]
    uniques = pc.unique(pa.array(values)).drop_null()
    return uniques.filter(screen(uniques)).to_pylist()


def assert_clean(df: pd.DataFrame, name: str, catalogue: Catalogue) -> None:
    """Raise :class:`PersonalDataLeak` if a personal column or personal-looking text remains."""
    personal = set(catalogue.table.loc[catalogue.table["kind"] == "personal", "name"])
    leaked = personal.intersection(df.columns)
    if leaked:
        raise PersonalDataLeak(f"{name}: personal columns {sorted(leaked)} were not removed")
    for column in df.columns:
        if df[column].dtype.kind not in "OUT" and str(df[column].dtype) != "str":
            continue
        for value in _suspects(df[column]):
            what = looks_personal(value)
            if what:
                raise PersonalDataLeak(f"{name}: column {column!r} holds what looks like a {what}")
