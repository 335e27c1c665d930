"""Administrative-unit matcher for Vietnam: names to official codes, both periods, old → new.

All units come from ``vietnam-provinces`` (pinned to 2026.9.0):

* period ``"old"``: before 1 July 2025 (63 provinces, 696 districts, 10,051 communes; the
  package's ``vietnam_provinces.legacy`` January-2025 snapshot), plus the few communes of
  ``resources/units_supplement.csv`` that were merged in 2019–2024 and are missing from it;
* period ``"new"``: from 1 July 2025 (34 provinces, 3,321 communes, no district level).

Codes are GSO integers that are reused across periods with other meanings, so every code column
carries its period in its name (``province_code_old``, ``commune_code_new``, ...).

Matching compares normalised keys (:func:`normalize_name`): diacritics, case, tone-mark
placement, Unicode form, punctuation, extra whitespace and one leading type word ("Xã", "P.",
"TT", "TP.", "Huyện", ...) are ignored; word order is kept. Communes are only looked for inside
their province (and district, when one is given). Lookups are dictionary joins on tables built
once per process, so 100,000 names take well under a second once the tables are built.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import logging
import os
import pickle
import re
import sys
import unicodedata
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis import store

__all__ = [
    "attach_new_units",
    "communes",
    "crosswalk",
    "districts",
    "match_communes",
    "match_provinces",
    "normalize_name",
    "normalize_series",
    "provinces",
    "review_table",
    "suggest_provinces",
]

Period = Literal["old", "new"]
log = logging.getLogger(__name__)

MATCHED, AMBIGUOUS, UNMATCHED = "matched", "ambiguous", "unmatched"
SOURCE_PACKAGE, SOURCE_SUPPLEMENT = "package", "supplement"

#: Unmatched names for which close names are suggested (difflib), per call; beyond this the
#: candidates text only says that nothing matched (keeps pathological inputs fast).
MAX_SUGGESTED = 5_000

_SEP = " | "

# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------
# The patterns avoid \s, \w, \d and look-arounds so that they mean the same thing in Python's
# `re` (normalize_name) and in RE2, which pandas uses for Arrow-backed strings (normalize_series).

_WS = "[\t\n\r\f\v\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
_COMBINING = "[\u0300-\u036f]"
_APOSTROPHES = "['`\u2018\u2019\u02bc]"
_NON_ALNUM = "[^a-z0-9]+"
_LEADING_ZEROS = "(^| )0+([0-9])"  # "Phường 01" -> "phuong 1"

# Type words, written out (only with their own diacritics, so "Phương Trung", "Tịnh Biên",
# "Quan Hóa" are names, not prefixes) or in ASCII / abbreviated form. Longest first.
_PREFIXES = (
    "thị trấn|thị xã|thành phố|đặc khu|phường|huyện|quận|tỉnh|xã"
    "|thi tran|thi xa|thanh pho|dac khu|phuong|huyen|quan|tinh|xa"
    "|tp|tt|tx|x|p|q|h"
)
_PREFIX_RE = f"^[ .,;:()\"'-]*(?P<p>{_PREFIXES})[ .:,;-]+(?P<rest>.+)$"
_ABBREVIATIONS = {
    "x": "xa",
    "p": "phuong",
    "tt": "thi tran",
    "tx": "thi xa",
    "tp": "thanh pho",
    "q": "quan",
    "h": "huyen",
}
# Vietnamese tone marks (grave, acute, tilde, hook above, dot below); the other combining marks
# (circumflex, breve, horn) belong to the vowel.
# Type words in ASCII: only a prefix when the rest of the name has no diacritics either (in
# "Quan Hóa", "Xa Dung", "Tinh Nhuệ" the unaccented word is part of the name).
_ASCII_WORDS = frozenset(
    ["thi tran", "thi xa", "thanh pho", "dac khu", "phuong", "huyen", "quan", "tinh", "xa"]
)
_ACCENTED = f"{_COMBINING}|đ|ð"
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")

_ws_re = re.compile(_WS)
_spaces_re = re.compile(" +")
_prefix_re = re.compile(_PREFIX_RE)
_combining_re = re.compile(_COMBINING)
_apostrophes_re = re.compile(_APOSTROPHES)
_non_alnum_re = re.compile(_NON_ALNUM)
_zeros_re = re.compile(_LEADING_ZEROS)
_accented_re = re.compile(_ACCENTED)


def _prepare(text: str) -> str:
    """NFC, lower case, one space between words (the form prefixes are looked for in)."""
    text = unicodedata.normalize("NFC", text).lower()
    return _spaces_re.sub(" ", _ws_re.sub(" ", text)).strip()


def _plain(text: str) -> str:
    """Key of a prepared text: no diacritics, đ→d, no punctuation, no leading zeros."""
    text = _combining_re.sub("", unicodedata.normalize("NFD", text))
    text = text.replace("đ", "d").replace("ð", "d")
    text = _non_alnum_re.sub(" ", _apostrophes_re.sub("", text))
    return _zeros_re.sub(r"\1\2", text).strip()


#: Canonical type word of each word the prefix pattern finds ("thị trấn", "tt" -> "thi tran").
_TYPE_WORDS = {w: _ABBREVIATIONS.get(_plain(w), _plain(w)) for w in _PREFIXES.split("|")}


def _parse_one(name: str) -> tuple[str, str, str, str | None]:
    """(full key, key without a leading type word, key without any leading type-like word,
    canonical type word or None); see :func:`normalize_name` for when a word is stripped."""
    prepared = _prepare(name)
    full = _plain(prepared)
    m = _prefix_re.match(prepared)
    if m:
        rest = _plain(m.group("rest"))
        if rest:
            word = m.group("p")
            accented_rest = bool(_accented_re.search(unicodedata.normalize("NFD", m.group("rest"))))
            if word not in _ASCII_WORDS or not accented_rest:
                return full, rest, rest, _TYPE_WORDS[word]
            return full, full, rest, None
    return full, full, full, None


def normalize_name(name: str) -> str:
    """Matching key of one name.

    Removes diacritics (any tone-mark placement, NFC or NFD input), "đ"→"d", case, punctuation,
    extra whitespace, leading zeros of numbers and one leading type word or abbreviation (Xã/X./
    xa, Phường/P./phuong, Thị trấn/TT, Thị xã/TX, Thành phố/TP., Tỉnh, Quận/Q., Huyện/H., Đặc
    khu). A type word is only stripped when spelt as one: with its own diacritics ("Phương
    Trung", "Tịnh Biên" keep their first word), or without diacritics in a name typed without
    them ("phuong yen giang" -> "yen giang", but "Quan Hóa" -> "quan hoa"). Ambiguous ASCII
    ("quan hoa" -> "hoa") is resolved by the matchers, which also try the unstripped key. Word
    order is kept. Non-strings give "".
    """
    if not isinstance(name, str):
        return ""
    return _parse_one(name)[1]


def _clean_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`_plain` (s already prepared)."""
    s = s.str.normalize("NFD").str.replace(f"{_COMBINING}|{_APOSTROPHES}", "", regex=True)
    s = s.str.replace("đ", "d", regex=False).str.replace("ð", "d", regex=False)
    s = s.str.replace(_NON_ALNUM, " ", regex=True)
    return s.str.replace(_LEADING_ZEROS, r"\1\2", regex=True).str.strip()


def _parse_unique(values: pd.Series) -> pd.DataFrame:
    """Vectorised :func:`_parse_one` on distinct strings.

    Columns: raw, prepared, rest_prepared (prepared text after any type-like word), full, rem,
    loose (keys as in _parse_one) and ptype.
    """
    raw = values.astype("str").reset_index(drop=True)
    prepared = raw.str.normalize("NFC").str.lower().str.replace(_WS, " ", regex=True)
    prepared = prepared.str.replace(" +", " ", regex=True).str.strip()
    found = pc.extract_regex(pa.array(prepared), _PREFIX_RE)  # null where no type-like word
    parts = {g: pd.Series(pc.struct_field(found, g), dtype="str") for g in ("p", "rest")}
    full = _clean_series(prepared)
    rest = _clean_series(parts["rest"])
    has_prefix = parts["p"].notna() & rest.fillna("").ne("")
    accented_rest = parts["rest"].str.normalize("NFD").str.contains(_ACCENTED, regex=True)
    strict = has_prefix & ~(parts["p"].isin(_ASCII_WORDS) & accented_rest.fillna(False))
    ptype = parts["p"].map(_TYPE_WORDS)
    out = pd.DataFrame(
        {
            "raw": raw,
            "prepared": prepared,
            "rest_prepared": parts["rest"].where(has_prefix, prepared),
            "full": full,
            "rem": rest.where(strict, full),
            "loose": rest.where(has_prefix, full),
            "ptype": ptype.where(strict),
        }
    )
    for col in ("full", "rem", "loose"):
        out[col] = out[col].where(out[col].fillna("").ne(""))
    return out


def normalize_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_name` (same keys); index kept, missing values stay missing.

    Works on the distinct values only, so repeated names cost nothing.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    keys = _parse_unique(pd.Series(uniques))["rem"].fillna("").to_numpy()
    out = pd.Series(keys.take(codes), index=s.index, dtype="str", name=s.name)
    return out.where(codes >= 0)


def _accent_key(prepared: str) -> str:
    """Diacritic-preserving key with a canonical tone position ("hoà" == "hòa")."""
    text = _apostrophes_re.sub("", unicodedata.normalize("NFD", prepared))
    tokens = []
    for token in re.split("[^0-9a-z\u0300-\u036f\u0111\u00f0]+", text):
        if token:
            tones = "".join(c for c in token if c in _TONES)
            base = "".join(c for c in token if c not in _TONES)
            tokens.append(unicodedata.normalize("NFC", base) + tones[:1])
    return _zeros_re.sub(r"\1\2", " ".join(tokens))


def _type_key(division_type: str) -> str:
    key = _plain(_prepare(division_type))
    return "thanh pho" if key == "thanh pho trung uong" else key


# --------------------------------------------------------------------------------------------
# Reference tables, built from the package once per machine: importing its pre-2025 lists
# and deriving the matching keys costs about a second, reading them back a few milliseconds.
# --------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where reference tables are kept between runs: ``$ANALYSIS_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/commune-dx-analysis``, else ``~/.cache/commune-dx-analysis``."""
    if os.environ.get("ANALYSIS_CACHE_DIR"):
        return Path(os.environ["ANALYSIS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "commune-dx-analysis"


@lru_cache(maxsize=1)
def _cache_key() -> str:
    """Changes with anything the tables are built from: the package, pandas, this module and
    the supplement."""
    h = hashlib.sha256()
    for part in (
        metadata.version("vietnam-provinces"),
        pd.__version__,
        sys.version,
        Path(__file__).read_bytes(),
        (resources.files("analysis") / "resources" / "units_supplement.csv").read_bytes(),
    ):
        h.update(part if isinstance(part, bytes) else str(part).encode())
    return h.hexdigest()[:16]


def _kept(func):
    """``lru_cache``, and a copy on disk (see :func:`cache_dir`); a missing, unreadable or
    unwritable cache only costs the time to build the table."""

    @lru_cache(maxsize=2)
    @functools.wraps(func)
    def wrapper(*args):
        table = "-".join([func.__name__.strip("_"), *map(str, args)])
        name = f"{table}-{_cache_key()}"
        path = cache_dir() / f"{name}.pickle"
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged file: built again and replaced
            log.warning("ignoring unreadable reference cache %s (%s)", path, exc)
        value = func(*args)
        try:
            with store.atomic_path(path) as tmp:  # whole or not at all, also in parallel builds
                tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            for stale in path.parent.glob(f"{table}-*.pickle"):  # built by other versions
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError as exc:
            log.info("reference cache not written to %s (%s)", path, exc)
        return value

    return wrapper


def _check_period(period: str) -> None:
    if period not in ("old", "new"):
        raise ValueError(f"period must be 'old' or 'new', not {period!r}")


def _int64(values) -> pd.Series:
    return pd.Series(values, dtype="Int64")


def _with_keys(frame: pd.DataFrame, name_col: str, type_col: str) -> pd.DataFrame:
    """Add key (name without its own type word), ckey (no spaces), typ, akey (accented)."""
    parsed = _parse_unique(frame[name_col])
    typ = frame[type_col].map(_type_key)
    # The official type word is removed only when it is the unit's own type (so "Phường
    # Phường Đúc" keeps its second "phường").
    own = parsed["ptype"].to_numpy() == typ.to_numpy()
    key = parsed["rem"].where(own, parsed["full"])
    accent_src = parsed["rest_prepared"].where(own, parsed["prepared"])
    out = frame.reset_index(drop=True).assign(
        key=key.to_numpy(),
        ckey=key.str.replace(" ", "", regex=False).to_numpy(),
        typ=typ.to_numpy(),
        akey=[_accent_key(a) for a in accent_src],
    )
    return out


@_kept
def _old_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from vietnam_provinces import legacy

    prov = pd.DataFrame(
        [(p.code.value, p.name, p.division_type.value) for p in legacy.Province.iter_all()],
        columns=["province_code_old", "province_name_old", "province_type_old"],
    )
    dist = pd.DataFrame(
        [
            (d.code.value, d.name, d.division_type.value, d.province_code.value)
            for d in legacy.District.iter_all()
        ],
        columns=[
            "district_code_old",
            "district_name_old",
            "district_type_old",
            "province_code_old",
        ],
    )
    comm = pd.DataFrame(
        [
            (w.code.value, w.name, w.division_type.value, w.district_code.value)
            for w in legacy.Ward.iter_all()
        ],
        columns=["commune_code_old", "commune_name_old", "commune_type_old", "district_code_old"],
    )
    for frame in (prov, dist, comm):
        for col in frame.columns:
            if col.endswith("_code_old"):
                frame[col] = frame[col].astype("Int64")
    dist = dist.merge(prov[["province_code_old", "province_name_old"]], how="left")
    comm = comm.merge(
        dist[["district_code_old", "district_name_old", "province_code_old", "province_name_old"]],
        how="left",
    )
    comm["source"] = SOURCE_PACKAGE
    return prov, dist, comm


@_kept
def _new_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    from vietnam_provinces import Province, Ward

    prov = pd.DataFrame(
        [(p.code.value, p.name, p.division_type.value) for p in Province.iter_all()],
        columns=["province_code_new", "province_name_new", "province_type_new"],
    )
    comm = pd.DataFrame(
        [
            (w.code.value, w.name, w.division_type.value, w.province_code.value)
            for w in Ward.iter_all()
        ],
        columns=["commune_code_new", "commune_name_new", "commune_type_new", "province_code_new"],
    )
    prov["province_code_new"] = prov["province_code_new"].astype("Int64")
    comm[["commune_code_new", "province_code_new"]] = comm[
        ["commune_code_new", "province_code_new"]
    ].astype("Int64")
    comm = comm.merge(prov[["province_code_new", "province_name_new"]], how="left")
    comm["source"] = SOURCE_PACKAGE
    return prov, comm


@lru_cache(maxsize=1)
def _supplement() -> pd.DataFrame:
    """The sourced supplement (resources/units_supplement.csv), codes as Int64."""
    path = resources.files("analysis") / "resources" / "units_supplement.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    sup = pd.DataFrame(rows)
    for col in sup.columns:
        if col.endswith("_code_old") or col.endswith("_code_new"):
            sup[col] = pd.to_numeric(sup[col].replace("", None)).astype("Int64")
    sup["in_package"] = sup["in_package"].str.lower().eq("true")
    return sup


@_kept
def _pairs() -> pd.DataFrame:
    """Package old→new commune pairs (private table of the pinned package; see docs/units.md)."""
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW

    rows = [
        (old, e.old_ward.province_code, e.old_ward.is_partly_merged, new.code)
        for old, e in OLD_TO_NEW.items()
        for new in e.new_wards
    ]
    return pd.DataFrame(
        rows,
        columns=["commune_code_old", "tagged_province_old", "partly_merged", "commune_code_new"],
    ).astype(
        {"commune_code_old": "Int64", "tagged_province_old": "Int64", "commune_code_new": "Int64"}
    )


@_kept
def _crosswalk() -> pd.DataFrame:
    _, _, comm_old = _old_tables()
    _, comm_new = _new_tables()
    pairs = _pairs().assign(source=SOURCE_PACKAGE)
    sup = _supplement()
    sup = sup[sup["successor_code_old"].notna()]
    sup_pairs = sup[["commune_code_old", "successor_code_old"]].merge(
        pairs[["commune_code_old", "partly_merged", "commune_code_new"]].rename(
            columns={"commune_code_old": "successor_code_old"}
        ),
        how="inner",
    )
    sup_pairs = sup_pairs.drop(columns="successor_code_old").assign(source=SOURCE_SUPPLEMENT)
    cw = pd.concat([pairs, sup_pairs], ignore_index=True)
    cw = cw.drop_duplicates(["commune_code_old", "commune_code_new"], keep="first")
    names_old = pd.concat(
        [
            comm_old[["commune_code_old", "commune_name_old", "province_code_old"]],
            sup[~sup["in_package"]][["commune_code_old", "commune_name_old", "province_code_old"]],
        ]
    ).drop_duplicates("commune_code_old", keep="first")
    cw = cw.merge(names_old, how="left", on="commune_code_old")
    # The package data (not the mapping's province tag) says which province an old commune was
    # in; the tag is wrong for at least two communes (27691 Long An, 30781 Kiên Giang).
    cw["province_code_old"] = cw["province_code_old"].fillna(cw["tagged_province_old"])
    cw = cw.merge(
        comm_new[["commune_code_new", "commune_name_new", "province_code_new"]],
        how="left",
        on="commune_code_new",
    )
    cw["n_successors"] = cw.groupby("commune_code_old")["commune_code_new"].transform("size")
    cw["n_successors"] = cw["n_successors"].astype("Int64")
    cols = [
        "commune_code_old",
        "commune_name_old",
        "province_code_old",
        "commune_code_new",
        "commune_name_new",
        "province_code_new",
        "n_successors",
        "partly_merged",
        "source",
    ]
    return cw[cols].sort_values(["commune_code_old", "commune_code_new"], ignore_index=True)


def _joined(values: pd.Series, by: pd.Series) -> pd.Series:
    """``values`` ';'-joined per value of ``by`` (rows already sorted by ``by``)."""
    starts = np.flatnonzero(np.r_[True, by.to_numpy()[1:] != by.to_numpy()[:-1]])
    items = values.to_numpy(dtype=object)
    ends = np.r_[starts[1:], len(items)]
    joined = [";".join(items[a:b]) for a, b in zip(starts, ends, strict=True)]
    return pd.Series(joined, index=pd.Index(by.iloc[starts].array, name=by.name), dtype="str")


@_kept
def _successors() -> pd.DataFrame:
    """One row per old commune of the crosswalk: its successors joined, counted, flagged."""
    cw = _crosswalk()
    grouped = cw.groupby("commune_code_old")
    return pd.DataFrame(
        {
            "commune_codes_new": _joined(
                cw["commune_code_new"].astype(str), cw["commune_code_old"]
            ),
            "commune_names_new": _joined(cw["commune_name_new"], cw["commune_code_old"]),
            "n_successors": grouped.size(),
            "first_code": grouped["commune_code_new"].first(),
            "first_name": grouped["commune_name_new"].first(),
            "partly": grouped["partly_merged"].any(),
            "province_code_from_commune": grouped["province_code_old"].first(),
        }
    )


@_kept
def _province_map() -> pd.DataFrame:
    """Old → new province by majority of the old province's communes' successors."""
    cw = _crosswalk()
    counts = cw.groupby(["province_code_old", "province_code_new"]).size().rename("n").reset_index()
    counts = counts.sort_values(["province_code_old", "n"], ascending=[True, False])
    best = counts.drop_duplicates("province_code_old")[["province_code_old", "province_code_new"]]
    prov_new, _ = _new_tables()
    return best.merge(prov_new[["province_code_new", "province_name_new"]], how="left")


@_kept
def _province_ref(period: str) -> pd.DataFrame:
    if period == "old":
        prov = _old_tables()[0]
    else:
        prov = _new_tables()[0]
    ref = _with_keys(prov, f"province_name_{period}", f"province_type_{period}")
    return ref.assign(uid=range(len(ref)), block=0)


@_kept
def _district_ref() -> pd.DataFrame:
    ref = _with_keys(_old_tables()[1], "district_name_old", "district_type_old")
    return ref.assign(uid=range(len(ref)))


@_kept
def _commune_ref(period: str) -> pd.DataFrame:
    if period == "old":
        base = _old_tables()[2]
        sup = _supplement()
        sup = sup[~sup["in_package"]].assign(source=SOURCE_SUPPLEMENT)
        base = pd.concat([base, sup[base.columns]], ignore_index=True)
    else:
        base = _new_tables()[1]
    ref = _with_keys(base, f"commune_name_{period}", f"commune_type_{period}")
    return ref.assign(uid=range(len(ref)))


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["key", "ckey", "typ", "akey", "uid", "block"], errors="ignore")


def provinces(period: Period = "old") -> pd.DataFrame:
    """Provinces of a period (one row each).

    ``period="old"`` (63) also gives each one's post-2025 province (``province_code_new``,
    ``province_name_new``), taken from the majority of its communes' successors in the package's
    mapping (the package's own province mapping wrongly adds Tây Ninh to Tiền Giang).
    """
    _check_period(period)
    if period == "new":
        return _new_tables()[0].copy()
    return _old_tables()[0].merge(_province_map(), how="left", on="province_code_old")


def districts() -> pd.DataFrame:
    """Pre-2025 districts (696; there are none after 1 July 2025) with their province."""
    return _old_tables()[1].copy()


def communes(period: Period = "old") -> pd.DataFrame:
    """Communes (xã/phường/thị trấn, and đặc khu after 2025) of a period with their parents.

    For ``period="old"`` the supplement's communes that the package lacks are appended with
    ``source="supplement"``; their ``commune_code_old`` is the historical GSO code and may equal
    their successor's (phường Trưng Nhị and phường Hai Bà Trưng are both 8740).
    """
    _check_period(period)
    return _public(_commune_ref(period)).copy()


# --------------------------------------------------------------------------------------------
# Matching engine
# --------------------------------------------------------------------------------------------

# Candidate tiers, best first: key without the typed prefix and same type; the whole key (the
# "prefix" was part of the name: "Phương Trung", "P Rao"); key without the prefix, any type
# (a xã that became a phường); keys compared without spaces ("Hanoi", "Daklak").


def _join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, j) of all left[i] == right[j] >= 0 of two integer key arrays, in the order
    of a pandas inner merge (by i, then by j)."""
    order = np.argsort(right, kind="stable")
    start = np.searchsorted(right[order], left, "left")
    count = np.where(left >= 0, np.searchsorted(right[order], left, "right") - start, 0)
    i = np.repeat(np.arange(len(left)), count)
    offset = np.arange(len(i)) - np.repeat(np.cumsum(count) - count, count)
    return i, order[np.repeat(start, count) + offset]


def _hits(q: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Candidates of every tier; q has qid, block, full, rem, loose, ptype; ref has uid, block,
    key, ckey, typ. Returns qid, uid, tier (0..3). Blocks are non-negative integers (or NA)."""
    q = q[q["block"].notna() & q["full"].notna()]
    if q.empty:
        return pd.DataFrame({"qid": [], "uid": [], "tier": []}, dtype="int64")
    vocab = pa.array(pd.concat([ref["key"], ref["ckey"]]).dropna().unique())

    def coded(block: pd.Series, keys: pd.Series) -> np.ndarray:
        """(block, key) as one integer: -1 for a key that no reference unit has."""
        code = pc.fill_null(pc.index_in(pa.array(keys), value_set=vocab), -1).to_numpy()
        block = block.to_numpy("int64", na_value=-1)
        return np.where((code >= 0) & (block >= 0), block * len(vocab) + code, -1)

    key, ckey = coded(ref["block"], ref["key"]), coded(ref["block"], ref["ckey"])
    searches = [  # (tier, query key, reference key), in the order the results are listed
        (0, q["rem"], key),
        (1, q["full"], key),
        (2, q["loose"], key),
        (3, q["loose"].str.replace(" ", "", regex=False), ckey),
        (3, q["full"].str.replace(" ", "", regex=False), ckey),
    ]
    qids, uids, tiers = [], [], []
    for tier, query, target in searches:
        i, j = _join(coded(q["block"], query), target)
        if tier == 0:  # the typed prefix is the unit's own type
            same = q["ptype"].to_numpy(dtype=object)[i] == ref["typ"].to_numpy(dtype=object)[j]
            i, j = i[same], j[same]
        qids.append(q["qid"].to_numpy()[i])
        uids.append(ref["uid"].to_numpy()[j])
        tiers.append(np.full(len(i), tier))
    return pd.DataFrame(
        {"qid": np.concatenate(qids), "uid": np.concatenate(uids), "tier": np.concatenate(tiers)}
    )


def _best(found: pd.DataFrame) -> pd.DataFrame:
    """Candidates of the lowest tier that found anything for each qid."""
    best = found.groupby("qid")["tier"].transform("min")
    return found[found["tier"].eq(best)].drop_duplicates(["qid", "uid"])


def _candidates(q: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Best-tier candidates (qid, uid, tier) of the queries ``q`` (see :func:`_hits`)."""
    return _best(_hits(q, ref))


def _pair_candidates(pairs: pd.DataFrame, names: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Best-tier candidates of queries given as (qid, block, name): ``name`` is a row of
    ``names`` (parsed distinct strings, -1 for none). A query may have several rows (several
    blocks); each distinct (block, name) is searched once, however many queries share it."""
    pairs = pairs[pairs["block"].notna().to_numpy() & (pairs["name"].to_numpy() >= 0)]
    block, name = pairs["block"].to_numpy("int64"), pairs["name"].to_numpy("int64")
    search, searched = pd.factorize(block * len(names) + name)  # one per distinct (block, name)
    q = names[["full", "rem", "loose", "ptype"]].take(searched % len(names))
    q = q.assign(qid=np.arange(len(searched)), block=searched // len(names))
    found = _candidates(q, ref)  # best per search, so per query when it has only one
    i, j = _join(search, found["qid"].to_numpy())
    found = found.iloc[j].reset_index(drop=True).assign(qid=pairs["qid"].to_numpy()[i])
    return found if pairs["qid"].is_unique else _best(found)


def _break_ties(cands: pd.DataFrame, info: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Among same-key candidates keep the one spelt with the query's diacritics, if only one is.

    ("Song Phượng" vs "Song Phương" in Hà Nội; "Phường Sa Pa" vs "Phường Sa Pả"). Only for names
    typed with diacritics somewhere (an all-ASCII name gives no evidence); compact-tier ties are
    left as they are. ``info`` gives each qid's prepared and rest_prepared text; ``cands`` has
    one tier per qid (as :func:`_best` leaves it).
    """
    n = cands.groupby("qid")["uid"].transform("size").to_numpy()
    tied = np.flatnonzero((n > 1) & cands["tier"].lt(3).to_numpy())
    if not len(tied):
        return cands
    qid, uid = cands["qid"].to_numpy()[tied], cands["uid"].to_numpy()[tied]
    texts = info.loc[qid]
    prepared = texts["prepared"].to_numpy(dtype=object)
    src = np.where(cands["tier"].to_numpy()[tied] == 1, prepared, texts["rest_prepared"])
    accented = {
        p: bool(_accented_re.search(unicodedata.normalize("NFD", p))) for p in set(prepared)
    }
    akeys = {a: _accent_key(a) for a in set(src)}
    ref_akeys = ref.set_index("uid")["akey"].loc[uid]
    spelt = np.array(  # the candidate is spelt as typed, and the name was typed with diacritics
        [accented[p] and akeys[a] == k for p, a, k in zip(prepared, src, ref_akeys, strict=True)]
    )
    decided = pd.Series(spelt).groupby(qid).transform("sum").eq(1).to_numpy()  # one spelt only
    drop = np.zeros(len(cands), dtype=bool)
    drop[tied] = np.isin(qid, qid[decided]) & ~spelt
    return cands[~drop]


def _suggest(q: pd.DataFrame, ref: pd.DataFrame, n: int = 3) -> dict[int, list[int]]:
    """Closest keys (difflib) within each query's block; {qid: [uid, ...]}."""
    out: dict[int, list[int]] = {}
    q = q[q["block"].notna() & q["loose"].notna()].drop_duplicates("qid").head(MAX_SUGGESTED)
    if q.empty:
        return out
    by_block = {
        b: g.groupby("key")["uid"].apply(list).to_dict()
        for b, g in ref[ref["block"].isin(set(q["block"]))].groupby("block")
    }
    for qid, block, rem in q[["qid", "block", "loose"]].itertuples(index=False):
        keys = by_block.get(block, {})
        close = difflib.get_close_matches(rem, list(keys), n=n, cutoff=0.6)
        out[qid] = [u for k in close for u in keys[k]]
    return out


def _resolve(q: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Candidates after tie-breaking: qid, uid, tier, n (number of candidates of the qid)."""
    return _counted(
        _break_ties(_candidates(q, ref), q.drop_duplicates("qid").set_index("qid"), ref)
    )


def _counted(cands: pd.DataFrame) -> pd.DataFrame:
    return cands.assign(n=cands.groupby("qid")["uid"].transform("size"))


# --------------------------------------------------------------------------------------------
# Provinces
# --------------------------------------------------------------------------------------------

# Common ways of writing provinces that normalisation alone does not reach; each value is the
# key of the official name and is used only in a period whose list has that key.
_PROVINCE_ALIASES = {
    "hcm": "ho chi minh",
    "tphcm": "ho chi minh",
    "hcmc": "ho chi minh",
    "ho chi minh city": "ho chi minh",
    "sai gon": "ho chi minh",
    "hn": "ha noi",
    "thua thien hue": "hue",
    "brvt": "ba ria vung tau",
    "ba ria": "ba ria vung tau",
    "vung tau": "ba ria vung tau",
    "bac can": "bac kan",
    "dac lac": "dak lak",
    "dac nong": "dak nong",
}


def _province_queries(names: pd.Series, period: str) -> pd.DataFrame:
    parsed = _parse_unique(names)
    keys = set(_province_ref(period)["key"])
    aliases = {a: k for a, k in _PROVINCE_ALIASES.items() if k in keys}
    for col in ("full", "rem", "loose"):
        parsed[col] = parsed[col].replace(aliases)
    return parsed.assign(qid=range(len(parsed)), block=0)


def _fmt_province(ref: pd.DataFrame, uids: list[int], period: str) -> str:
    rows = ref.set_index("uid").loc[uids]
    code, name = f"province_code_{period}", f"province_name_{period}"
    return _SEP.join(f"{r[name]} [{r[code]}]" for _, r in rows.iterrows())


def match_provinces(names: pd.Series, period: Period = "old") -> pd.DataFrame:
    """Match province names to the official list of a period.

    Accepts prefixes (Tỉnh, Thành phố, TP.), no diacritics, and common aliases ("HCM", "TP HCM",
    "Sài Gòn", "Thừa Thiên Huế" → Huế, ...). Returns, aligned to ``names.index``:
    ``province_code_<period>`` (Int64), ``province_name_<period>``, ``status``
    (matched/ambiguous/unmatched) and ``candidates`` (the tied names, or for unmatched names the
    closest ones as "closest: ..."; missing when matched).
    """
    _check_period(period)
    code_col, name_col = f"province_code_{period}", f"province_name_{period}"
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    ref = _province_ref(period)
    q = _province_queries(pd.Series(uniques, dtype="str"), period)
    res = _resolve(q, ref)
    single = res[res["n"].eq(1)].set_index("qid")["uid"]
    per = pd.DataFrame(index=pd.RangeIndex(len(q)))
    per[code_col] = _int64(single.map(ref.set_index("uid")[code_col]).reindex(per.index))
    per[name_col] = single.map(ref.set_index("uid")[name_col]).reindex(per.index).astype("str")
    n = res.groupby("qid")["n"].first().reindex(per.index).fillna(0)
    per["status"] = pd.Series(UNMATCHED, index=per.index, dtype="str")
    per.loc[n.eq(1), "status"] = MATCHED
    per.loc[n.gt(1), "status"] = AMBIGUOUS
    cand = pd.Series(pd.NA, index=per.index, dtype="str")
    for qid, grp in res[res["n"].gt(1)].groupby("qid"):
        cand[qid] = _fmt_province(ref, list(grp["uid"]), period)
    for qid, uids in _suggest(q[per["status"].eq(UNMATCHED).to_numpy()], ref).items():
        cand[qid] = "closest: " + _fmt_province(ref, uids, period) if uids else pd.NA
    if period == "new":  # a pre-2025 name: say where it went
        still = per["status"].eq(UNMATCHED).to_numpy()
        old_ref = _province_ref("old")
        q_old = _province_queries(q.loc[still, "raw"], "old").assign(qid=q.loc[still, "qid"].values)
        hits = _resolve(q_old, old_ref)
        pmap = _province_map().set_index("province_code_old")
        for qid, grp in hits[hits["n"].eq(1)].groupby("qid"):
            old = old_ref.set_index("uid").loc[grp["uid"].iloc[0]]
            new = pmap.loc[old["province_code_old"]]
            cand[qid] = (
                f"pre-2025 province {old['province_name_old']} [{old['province_code_old']}], "
                f"now {new['province_name_new']} [{new['province_code_new']}]"
            )
    per["candidates"] = cand
    out = per.reindex(codes).reset_index(drop=True)
    missing = codes < 0
    out.loc[missing, "status"] = UNMATCHED
    out.index = names.index
    out[code_col] = out[code_col].astype("Int64")
    return out


def suggest_provinces(name: str, n: int = 3, period: Period = "old") -> list[str]:
    """Up to ``n`` official province names closest to ``name`` (difflib on normalised keys)."""
    _check_period(period)
    ref = _province_ref(period)
    key = normalize_name(name)
    key = _PROVINCE_ALIASES.get(key, key)
    close = difflib.get_close_matches(key, list(ref["key"]), n=n, cutoff=0.5)
    by_key = ref.set_index("key")[f"province_name_{period}"]
    return [by_key[k] for k in close]


# --------------------------------------------------------------------------------------------
# Communes
# --------------------------------------------------------------------------------------------


def _fmt_communes(uids: list[int], period: str) -> str:
    return _SEP.join(_commune_labels(period)[uids])


def _texts(cands: pd.DataFrame, period: str) -> dict[int, str]:
    """Candidates text of each qid of ``cands`` (qid, uid), its units in the order listed."""
    labels: dict[int, list[str]] = {}
    shown = _commune_labels(period)[cands["uid"].to_numpy()]
    for qid, label in zip(cands["qid"].tolist(), shown, strict=True):
        labels.setdefault(qid, []).append(label)
    return {qid: _SEP.join(each) for qid, each in labels.items()}


@lru_cache(maxsize=2)
def _commune_labels(period: str) -> np.ndarray:
    """How a candidate commune is shown, by uid: "name [code]" (old units: ", district")."""
    ref = _commune_ref(period)
    label = ref[f"commune_name_{period}"] + " [" + ref[f"commune_code_{period}"].astype(str) + "]"
    if period == "old":
        label = label + ", " + ref["district_name_old"]
    return label.to_numpy(dtype=object)


def _factorized(s: pd.Series | None, n: int) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1 for missing) and distinct strings of a name column (all missing when None)."""
    if s is None:
        return np.full(n, -1, dtype="int64"), pd.Series([], dtype="str")
    codes, uniques = pd.factorize(s.astype("str"), use_na_sentinel=True)
    return codes.astype("int64"), pd.Series(uniques, dtype="str")


def match_communes(
    df: pd.DataFrame,
    *,
    province: str,
    commune: str,
    district: str | None = None,
    period: Period = "old",
) -> pd.DataFrame:
    """Match commune names, each within its province (and district, when given).

    ``province``, ``commune`` and ``district`` name columns of ``df``. Districts exist only for
    ``period="old"`` (for ``"new"`` the district column is ignored); a district name that fits
    several districts of the province (Huyện/Thị xã Kỳ Anh) searches all of them; a missing
    district searches the whole province, and a district that is not found makes the row
    unmatched (its candidates show where the commune is).

    Returns a frame aligned to ``df.index`` with the period's code and name columns (province,
    district for old, commune, ``commune_type_<period>``), ``match_status`` (matched/ambiguous/
    unmatched), ``match_candidates`` (tied units, or for unmatched names the closest ones and
    why) and ``match_source`` (package/supplement). Province and district columns are filled
    whenever they matched, even if the commune did not. Same-named communes elsewhere never
    match. When tied candidates differ only in diacritics and the name was typed with
    diacritics, the exactly-spelt one is taken ("Song Phượng" in Hà Nội); all-ASCII names stay
    ambiguous.

    Cost: each distinct string is parsed once, and each distinct (province or district,
    commune spelling) searched once, however many spellings of the province and district
    accompany it.
    """
    _check_period(period)
    if period == "new":
        district = None  # no district level after 1 July 2025: a district column is ignored
    given_cols = {"prov": province, "comm": commune} | ({"dist": district} if district else {})
    missing = [c for c in given_cols.values() if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in df: {missing}")
    P = f"_{period}"
    columns = {k: df[given_cols[k]] if k in given_cols else None for k in ("prov", "dist", "comm")}
    codes, names = {}, {}
    for k, col in columns.items():
        codes[k], names[k] = _factorized(col, len(df))
    key = np.zeros(len(df), dtype="int64")
    for k in ("prov", "dist", "comm"):
        key = key * (len(names[k]) + 1) + codes[k] + 1
        key = pd.factorize(key)[0].astype("int64")
    gid = key
    _, first = np.unique(gid, return_index=True)  # combination qid → its first row
    of = {k: codes[k][first] for k in codes}  # combination → distinct string (-1: missing)
    index = pd.RangeIndex(len(first))
    prov_text = names["prov"].reindex(of["prov"]).set_axis(index)

    pm = match_provinces(names["prov"], period).reset_index(drop=True).reindex(of["prov"])
    pm.index = index
    prov_code = pm[f"province_code{P}"].astype("Int64")
    ref = _commune_ref(period)
    if period == "old":
        ref_p = ref.assign(block=ref["province_code_old"])
        ref_d = ref.assign(block=ref["district_code_old"])
    else:
        ref_p, ref_d = ref.assign(block=ref["province_code_new"]), None

    comm = _parse_unique(names["comm"])  # one row per distinct commune string
    info = comm[["prepared", "rest_prepared", "loose"]].reindex(of["comm"]).set_axis(index)
    note = pd.Series(pd.NA, index=index, dtype="str")
    prov_missing = pm["status"].ne(MATCHED)
    note[prov_missing] = ("province not matched: " + prov_text.fillna("<missing>"))[prov_missing]

    def pairs(qids: np.ndarray, blocks) -> pd.DataFrame:
        return pd.DataFrame({"qid": qids, "block": blocks, "name": of["comm"][qids]})

    # Rows that give a district search only in its candidate districts (ambiguous district
    # names: all of them); each distinct (province, district spelling) is searched once.
    dist_uids = pd.DataFrame({"qid": pd.Series(dtype="int64"), "uid": pd.Series(dtype="int64")})
    dist_given = np.zeros(len(index), dtype=bool)
    q_d = pairs(np.array([], dtype="int64"), pd.array([], dtype="Int64"))
    results = []
    if period == "old":
        blank = names["dist"].str.strip().eq("").to_numpy(dtype=bool)
        dist_given = (of["dist"] >= 0) & prov_code.notna().to_numpy()
        dist_given[dist_given] = ~blank[of["dist"][dist_given]]
        if dist_given.any():
            qids = np.flatnonzero(dist_given)
            dq = pd.DataFrame(
                {"qid": qids, "block": prov_code.array[qids], "name": of["dist"][qids]}
            )
            dref = _district_ref().assign(block=lambda d: d["province_code_old"])
            dist_uids = _pair_candidates(dq, _parse_unique(names["dist"]), dref)[["qid", "uid"]]
        no_dist = dist_given & ~index.isin(dist_uids["qid"])
        note[no_dist] = (
            "district not matched in the province: " + names["dist"].to_numpy()[of["dist"][no_dist]]
        )
        dcode = _district_ref().set_index("uid")["district_code_old"]
        q_d = pairs(dist_uids["qid"].to_numpy(), dist_uids["uid"].map(dcode).array)
        results.append(_break_ties(_pair_candidates(q_d, comm, ref_d), info, ref_d))
    q_p = pairs(np.flatnonzero(~dist_given), prov_code.array[~dist_given])
    results.append(_break_ties(_pair_candidates(q_p, comm, ref_p), info, ref_p))
    res = _counted(pd.concat(results, ignore_index=True))

    n = res.groupby("qid")["n"].first().reindex(index).fillna(0)
    status = pd.Series(UNMATCHED, index=index, dtype="str")
    status[n.eq(1)] = MATCHED
    status[n.gt(1)] = AMBIGUOUS
    texts: dict[int, object] = {}  # qid → candidates text (set once below: one copy)
    texts |= _texts(res[res["n"].gt(1)], period)

    # Unmatched: say why, and show what exists (elsewhere in the province, or closest names).
    unmatched = (status.eq(UNMATCHED) & prov_code.notna()).to_numpy()
    q_else = pairs(np.flatnonzero(unmatched & dist_given), prov_code.array[unmatched & dist_given])
    elsewhere = _counted(_break_ties(_pair_candidates(q_else, comm, ref_p), info, ref_p))
    for qid, text in _texts(elsewhere, period).items():
        texts[qid] = "found elsewhere in the province: " + text
    rest = np.flatnonzero(unmatched & ~index.isin(elsewhere["qid"]))
    near: dict[int, list[int]] = {}
    if period == "old":  # closest names in the given district, else in the province
        in_district = q_d[q_d["qid"].isin(rest)]
        near |= _suggest(
            in_district.assign(loose=info["loose"].reindex(in_district["qid"]).array), ref_d
        )
        rest = rest[~np.isin(rest, in_district["qid"])]
    near |= _suggest(
        pd.DataFrame(
            {"qid": rest, "block": prov_code.array[rest], "loose": info["loose"].array[rest]}
        ),
        ref_p,
    )
    for qid, uids in near.items():
        texts[qid] = "closest: " + _fmt_communes(uids, period) if uids else pd.NA
    cand = pd.Series(pd.NA, index=index, dtype=object)
    cand.iloc[list(texts)] = list(texts.values())
    cand = cand.astype("str")
    has_note = note.notna()
    cand[has_note] = note[has_note] + ("; " + cand[has_note]).fillna("")

    # Per distinct input: codes of the matched unit, else of the parents that matched.
    cols = [f"province_code{P}", f"province_name{P}"]
    if period == "old":
        cols += ["district_code_old", "district_name_old"]
    cols += [f"commune_code{P}", f"commune_name{P}", f"commune_type{P}"]
    single = res[res["n"].eq(1)].set_index("qid")["uid"]
    # (the reference tables' row labels are their uids)
    unit = ref[[*cols, "source"]].reindex(single.reindex(index, fill_value=-1)).set_axis(index)
    per = unit[cols].copy()
    per[f"province_code{P}"] = per[f"province_code{P}"].fillna(prov_code)
    per[f"province_name{P}"] = per[f"province_name{P}"].fillna(pm[f"province_name{P}"])
    if period == "old" and len(dist_uids):
        one = dist_uids.drop_duplicates("qid", keep=False).set_index("qid")["uid"]
        one = one.reindex(index, fill_value=-1)
        fill = _district_ref()[["district_code_old", "district_name_old"]].reindex(one)
        for col in fill.columns:
            per[col] = per[col].fillna(fill[col].set_axis(index))
    per["match_status"] = status
    per["match_candidates"] = cand
    per["match_source"] = unit["source"].where(status.eq(MATCHED))

    out = per.reindex(gid).reset_index(drop=True)
    out.index = df.index
    for col in out.columns:
        out[col] = out[col].astype("Int64" if "_code_" in col else "str")
    return out


def review_table(matched: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """Rows that need a person: what was given (``original``'s columns) next to the status,
    the candidates and whatever parent codes did match. Works on the output of
    :func:`match_communes` or :func:`match_provinces` (same index as ``original``).
    """
    if len(matched) != len(original) or not matched.index.equals(original.index):
        raise ValueError("matched and original must have the same index (the matcher keeps it)")
    status_col = "match_status" if "match_status" in matched.columns else "status"
    cand_col = "match_candidates" if "match_candidates" in matched.columns else "candidates"
    need = matched[status_col].ne(MATCHED).to_numpy()
    codes = [
        c for c in matched.columns if c.startswith("province_code_") or c == "district_code_old"
    ]
    info = matched.loc[need, [status_col, cand_col, *codes]].rename(
        columns={status_col: "match_status", cand_col: "match_candidates"}
    )
    given = original.loc[need]
    return given.assign(**{c: info[c].array for c in info.columns if c not in given.columns})


# --------------------------------------------------------------------------------------------
# Old → new
# --------------------------------------------------------------------------------------------


def crosswalk() -> pd.DataFrame:
    """Every (old commune, new commune) pair of the package's mapping, plus supplement rows.

    Columns: commune_code_old, commune_name_old, province_code_old, commune_code_new,
    commune_name_new, province_code_new, n_successors (new communes of the old one),
    partly_merged (the package's flag: only part of the old commune went to this new one),
    source (package/supplement). No weights: a split commune's successors are all listed.
    28 old communes of the package have no successor in its mapping and are absent here, except
    those the supplement resolves (xã Quế Phước, Quảng Nam).
    """
    return _crosswalk().copy()


def attach_new_units(df: pd.DataFrame) -> pd.DataFrame:
    """Add the post-2025 units to a frame with ``commune_code_old`` and/or ``province_code_old``.

    Adds province_code_new / province_name_new (majority mapping of the old province, or of the
    commune's old province when only the commune is given), commune_code_new and
    commune_name_new (only when the old commune has exactly one successor, NA otherwise),
    commune_codes_new / commune_names_new (all successors, ';'-joined), n_successors (0 when the
    mapping has none), commune_new_split (more than one successor) and commune_partly_merged
    (the package flags the old commune as only partly merged into its successor(s)).
    """
    if "commune_code_old" not in df.columns and "province_code_old" not in df.columns:
        raise KeyError("df needs commune_code_old and/or province_code_old")
    out = df.copy()
    n = len(df)
    comm = (
        df["commune_code_old"].astype("Int64")
        if "commune_code_old" in df.columns
        else _int64([pd.NA] * n).set_axis(df.index)
    )
    agg = _successors()
    got = agg.reindex(comm.to_numpy())
    got.index = df.index
    known = _commune_ref("old").drop_duplicates("commune_code_old")
    from_commune = comm.map(known.set_index("commune_code_old")["province_code_old"])
    from_commune = from_commune.fillna(got["province_code_from_commune"]).astype("Int64")
    if "province_code_old" in df.columns:
        prov_old = df["province_code_old"].astype("Int64").fillna(from_commune)
    else:
        prov_old = from_commune
    pmap = _province_map().set_index("province_code_old")
    out["province_code_new"] = _int64(
        pmap["province_code_new"].reindex(prov_old.to_numpy()).to_numpy()
    ).set_axis(df.index)
    out["province_name_new"] = (
        pmap["province_name_new"].reindex(prov_old.to_numpy()).astype("str").to_numpy()
    )
    single = got["n_successors"].eq(1)
    out["commune_code_new"] = got["first_code"].astype("Int64").where(single)
    out["commune_name_new"] = got["first_name"].astype("str").where(single)
    out["commune_codes_new"] = got["commune_codes_new"].astype("str")
    out["commune_names_new"] = got["commune_names_new"].astype("str")
    out["n_successors"] = got["n_successors"].fillna(0).astype("Int64")
    out["commune_new_split"] = got["n_successors"].gt(1).fillna(False).astype(bool)
    out["commune_partly_merged"] = got["partly"].fillna(False).astype(bool)
    return out
