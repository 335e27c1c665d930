"""Privacy: remove personal data before anything is written, and check that none is left.

Following the DIME data handbook, identifiers are removed first: personal free text (names,
phone numbers, e-mail, comments) is never even read from raw exports (see ``ingest``); the
citizen ID number is read only to find duplicate household submissions and is dropped right
after. Respondents get a sequential ``respondent_id`` that cannot be traced back without the
raw files.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.catalogue import Catalogue

#: Patterns of personal data that must never appear in an output table.
PATTERNS = {
    "phone number": re.compile(r"(?:\+84|\b0)(?:[\s.-]?\d){9,10}\b"),
    "citizen ID number": re.compile(r"\b\d{12}\b"),
    "e-mail address": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
}


class PersonalDataLeak(AssertionError):
    """An output table still holds something that looks like personal data."""


def drop_personal(df: pd.DataFrame, catalogue: Catalogue, instrument: str) -> pd.DataFrame:
    """The frame without the catalogue's personal columns of ``instrument``."""
    personal = catalogue.variables(instrument, "personal").index
    return df.drop(columns=[c for c in df.columns if c in personal])


def citizen_id_key(values: pd.Series) -> pd.Series:
    """Digits of a citizen ID (12 digits, leading zeros kept); missing when it is not one."""
    digits = values.astype("str").str.replace(r"\D", "", regex=True)
    return digits.where(digits.str.fullmatch(r"\d{12}").fillna(False).astype(bool))


def assert_clean(df: pd.DataFrame, name: str, catalogue: Catalogue) -> None:
    """Raise :class:`PersonalDataLeak` if a personal column or personal-looking text remains."""
    personal = set(catalogue.table.loc[catalogue.table["kind"] == "personal", "name"])
    leaked = personal.intersection(df.columns)
    if leaked:
        raise PersonalDataLeak(f"{name}: personal columns {sorted(leaked)} were not removed")
    for column in df.columns:
        if df[column].dtype.kind not in "OUT" and str(df[column].dtype) != "str":
            continue
        values = pd.Series(df[column].dropna().unique()).astype(str)
        for what, pattern in PATTERNS.items():
            hit = values[values.str.contains(pattern.pattern, regex=True)]
            if len(hit):
                raise PersonalDataLeak(f"{name}: column {column!r} holds what looks like a {what}")
