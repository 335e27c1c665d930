"""Synthetic raw survey exports (SYNTHETIC DATA), written the way Vietnamese provinces send them.

:func:`generate` writes a deterministic set of raw files for the cleaning pipeline
(``analysis.clean``) to read: the commune and household questionnaires, one file per province
and wave, in the formats, encodings, header styles and with the messiness provinces produce,
plus the pilot registry and a README. :func:`simulate` returns the true values behind those
files, which carry a documented planted pilot effect (:data:`PILOT_EFFECTS`,
:func:`planted_effects`) and pilot selection on a higher baseline (:data:`SELECTION_SD`), so that
cleaning and estimators can be checked against a known truth.

Assumptions: units are the pre-2025 ones (``analysis.units.communes("old")``, the January 2025
list, plus phường Trưng Nhị by name); waves are survey years 2022–2024 whose field work ends in
December; values are in the catalogue's units (percent 0–100, not shares); timestamps are
Vietnam local time (UTC+7).
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import math
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from openpyxl import Workbook

from analysis import catalogue, store
from analysis.clean import adoption_wave  # the processed data's rule, one definition

__all__ = [
    "DEFAULT_SEED",
    "PILOT_EFFECTS",
    "SELECTION_SD",
    "WAVES",
    "Simulation",
    "file_styles",
    "generate",
    "planted_effects",
    "simulate",
]

log = logging.getLogger(__name__)

Scale = Literal["sample", "national"]
DEFAULT_SEED = 20251125
WAVES = (2022, 2023, 2024)

# ------------------------------------------------------------------------------------------------
# The planted pilot effect
# ------------------------------------------------------------------------------------------------
#: Effect of being a pilot, added to the true value in every wave from the adoption wave on, in
#: the catalogue unit of the indicator (percentage points for %, probability for household
#: binaries, points of 1-5 for satisfaction, minutes). It is the effect of the reference cohort
#: (adoption wave 2024) in its first treated wave; see :func:`effect_multiplier`. Zero = no effect
#: (a null indicator, for checking false positives).
PILOT_EFFECTS: dict[str, float] = {
    # commune questionnaire
    "procedures_online_pct": 5.0,
    "dossiers_online_pct": 8.0,
    "online_dossiers_per_household_pct": 15.0,
    "digital_signature_pct": 4.0,
    "official_email_pct": 0.0,
    "documents_digital_pct": 3.0,
    "processing_time_cut_pct": 6.0,
    "dti_score": 40.0,
    "vneid_pct": 6.0,
    "smartphone_pct": 3.0,
    "broadband_pct": 0.0,
    "ehealth_pct": 5.0,
    "public_wifi_points": 2.0,
    "digital_teams": 2.0,
    "bank_account_pct": 4.0,
    "epayment_pct": 5.0,
    "cashless_school_fees_pct": 0.0,
    "businesses_on_maps_pct": 10.0,
    "ocop_ecommerce_pct": 0.0,
    # household questionnaire
    "has_smartphone": 0.03,
    "has_vneid": 0.06,
    "used_online_service_12m": 0.06,
    "uses_epayment": 0.06,
    "satisfaction": 0.3,
    "minutes_procedure": -10.0,
}
#: Cohort heterogeneity: each wave of adoption earlier than REFERENCE_COHORT adds this share.
COHORT_SLOPE = 0.25
#: Dynamic effect: each wave of exposure after the adoption wave adds this share.
EXPOSURE_SLOPE = 0.5
REFERENCE_COHORT = 2024
#: Selection: a pilot commune's latent level is this many between-commune SDs (the model's
#: ``sd``) higher in every indicator, in every wave (better: lower for minutes_procedure).
SELECTION_SD = 0.4
#: Synthetic pilots start between these months (inclusive).
PILOT_START_RANGE = ("2022-10", "2024-06")
#: Share of each province's communes that are pilots in national mode (at least one).
NATIONAL_PILOT_SHARE = 0.05


def effect_multiplier(cohort: np.ndarray, wave: np.ndarray) -> np.ndarray:
    """Multiplier of PILOT_EFFECTS for adoption cohort (NaN = never) and wave; 0 before adoption.

    ``(1 + COHORT_SLOPE * (REFERENCE_COHORT - cohort)) * (1 + EXPOSURE_SLOPE * (wave - cohort))``:
    cohort 2023 gets 1.25 in 2023 and 1.875 in 2024; cohort 2024 gets 1.0 in 2024.
    """
    cohort = np.asarray(cohort, dtype=float)
    exposure = np.asarray(wave, dtype=float) - cohort
    mult = (1 + COHORT_SLOPE * (REFERENCE_COHORT - cohort)) * (1 + EXPOSURE_SLOPE * exposure)
    return np.where(np.isfinite(exposure) & (exposure >= 0), mult, 0.0)


@dataclass(frozen=True)
class _Model:
    """Data-generating model of one indicator, in its catalogue unit.

    Value = base + sign*sd*latent + trend*(wave-2022) + noise*N(0,1) + pilot effect, clipped
    to the catalogue range (commune) or to a probability (household binaries).
    """

    base: float  # 2022 level of a non-pilot commune of average latent level
    sd: float  # between-commune scale (one unit of latent level)
    trend: float  # common change per wave, the same for everyone
    noise: float  # commune-wave noise SD
    decimals: int  # decimals written in raw files


_COMMUNE_MODELS: dict[str, _Model] = {
    "procedures_online_pct": _Model(55, 12, 8, 4, 1),
    "dossiers_online_pct": _Model(30, 10, 7, 3, 1),
    "online_dossiers_per_household_pct": _Model(35, 20, 15, 6, 2),
    "digital_signature_pct": _Model(68, 10, 6, 3, 1),
    "official_email_pct": _Model(72, 10, 5, 3, 1),
    "documents_digital_pct": _Model(70, 10, 6, 3, 1),
    "processing_time_cut_pct": _Model(15, 8, 3, 3, 1),
    "dti_score": _Model(420, 80, 40, 25, 1),
    "vneid_pct": _Model(45, 10, 10, 3, 1),
    "smartphone_pct": _Model(70, 8, 3, 2, 1),
    "broadband_pct": _Model(55, 15, 5, 3, 1),
    "ehealth_pct": _Model(25, 12, 12, 4, 1),
    "public_wifi_points": _Model(3, 2, 1, 1, 0),
    "digital_teams": _Model(6, 3, 1, 1, 0),
    "bank_account_pct": _Model(65, 10, 5, 3, 1),
    "epayment_pct": _Model(40, 12, 8, 4, 1),
    "cashless_school_fees_pct": _Model(60, 20, 10, 5, 1),
    "businesses_on_maps_pct": _Model(25, 12, 8, 4, 1),
    "ocop_ecommerce_pct": _Model(35, 20, 8, 5, 1),
}
# Binaries: probability of "yes" (clipped to [0.01, 0.99]); satisfaction and minutes: the
# commune-wave mean, around which respondents vary by _RESPONDENT_SD.
_HOUSEHOLD_MODELS: dict[str, _Model] = {
    "has_smartphone": _Model(0.80, 0.06, 0.02, 0.02, 0),
    "has_vneid": _Model(0.45, 0.08, 0.10, 0.03, 0),
    "used_online_service_12m": _Model(0.30, 0.08, 0.07, 0.03, 0),
    "uses_epayment": _Model(0.45, 0.10, 0.07, 0.03, 0),
    "satisfaction": _Model(3.4, 0.3, 0.1, 0.1, 0),
    "minutes_procedure": _Model(70, 12, -5, 4, 0),
}
_RESPONDENT_SD = {"satisfaction": 0.7, "minutes_procedure": 18.0}
_LOADING = 0.7  # weight of the commune's common latent level in each indicator's latent level
_TYPE_LEVEL = {"xã": 0.0, "thị trấn": 0.3, "phường": 0.5}
_PROVINCE_LEVEL_SD = 0.4

# ------------------------------------------------------------------------------------------------
# Seed pilots and the figures the seed articles report (../shared/seeds)
# ------------------------------------------------------------------------------------------------
#: (province code, district, commune, start, programme, article): the real pilots. Start dates
#: are the articles' (Quảng Ninh "tháng 10/2022") or, where they give none, a plausible month.
SEED_PILOTS: tuple[tuple[int, str, str, str, str, str], ...] = (
    (22, "Thị xã Quảng Yên", "Phường Yên Giang", "2022-10-01", "Xã, phường chuyển đổi số", "000"),
    (22, "Thị xã Quảng Yên", "Xã Cẩm La", "2022-10-01", "Xã, phường chuyển đổi số", "000"),
    (49, "Huyện Quế Sơn", "Xã Quế Phú", "2023-03-01",
     "Xã nông thôn mới thông minh gắn với chuyển đổi số toàn diện", "001"),
    (26, "Thành phố Phúc Yên", "Phường Trưng Nhị", "2023-01-01", "Chuyển đổi số cấp xã", "002"),
    (26, "Huyện Sông Lô", "Thị trấn Tam Sơn", "2023-01-01", "Chuyển đổi số cấp xã", "002"),
    (1, "Huyện Đan Phượng", "Xã Song Phượng", "2022-12-01", "Thôn thông minh", "003"),
    (1, "Quận Long Biên", "Phường Giang Biên", "2024-02-01", "Chuyển đổi số cấp phường", "004"),
    (1, "Quận Long Biên", "Phường Thạch Bàn", "2024-02-01", "Tổ dân phố chuyển đổi số", "004"),
    (1, "Quận Long Biên", "Phường Ngọc Thụy", "2024-02-01", "Tổ dân phố chuyển đổi số", "004"),
)  # fmt: skip
#: Communes missing from the official list, added by name (code unknown): Trưng Nhị was merged
#: into phường Hai Bà Trưng (8740) in 2023-24, which is left out so the unit is not counted twice.
_BY_NAME_ONLY = {(26, "Thành phố Phúc Yên", "Phường Trưng Nhị", "phường")}
_EXCLUDED_SUCCESSORS = {8740}
#: (district, commune, wave, variable, raw text as the article writes it, true value). Context
#: figures (population, area, villages, rural status) hold in every wave; the raw text is written
#: in the wave the article reports. The article on Quế Phú says "gần 11.000" (not "khoảng").
SEED_FIGURES: tuple[tuple[str, str, int, str, str, float | str], ...] = (
    ("Thị xã Quảng Yên", "Phường Yên Giang", 2023, "procedures_online_pct", "100%", 100.0),
    ("Thị xã Quảng Yên", "Phường Yên Giang", 2023, "digital_signature_pct", "100%", 100.0),
    ("Thị xã Quảng Yên", "Phường Yên Giang", 2023, "businesses_on_maps_pct", "100%", 100.0),
    ("Thị xã Quảng Yên", "Phường Yên Giang", 2023, "cashless_school_fees_pct", "100%", 100.0),
    ("Thị xã Quảng Yên", "Xã Cẩm La", 2023, "procedures_online_pct", "100%", 100.0),
    ("Thị xã Quảng Yên", "Xã Cẩm La", 2023, "businesses_on_maps_pct", "hơn 30%", 30.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "smartphone_pct", "trên 90%", 90.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "vneid_pct", "gần 85%", 85.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "ehealth_pct", "71%", 71.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "official_email_pct", "100%", 100.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "documents_digital_pct", "100%", 100.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "ocop_ecommerce_pct", "100%", 100.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "digital_teams", "9", 9.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "area_ha", "1.706,44", 1706.44),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "population", "gần 11.000", 11000.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "villages", "8", 8.0),
    ("Huyện Quế Sơn", "Xã Quế Phú", 2024, "new_rural_status", "Nâng cao", "nâng cao"),
    ("Thành phố Phúc Yên", "Phường Trưng Nhị", 2023, "dossiers_online_pct", "hơn 46%", 46.0),
    ("Thành phố Phúc Yên", "Phường Trưng Nhị", 2023, "broadband_pct", "90%", 90.0),
    ("Thành phố Phúc Yên", "Phường Trưng Nhị", 2023, "official_email_pct", "100%", 100.0),
    ("Thành phố Phúc Yên", "Phường Trưng Nhị", 2023, "documents_digital_pct", "100%", 100.0),
    ("Thành phố Phúc Yên", "Phường Trưng Nhị", 2023, "villages", "8", 8.0),
    ("Huyện Sông Lô", "Thị trấn Tam Sơn", 2023, "digital_signature_pct", "100%", 100.0),
    ("Huyện Sông Lô", "Thị trấn Tam Sơn", 2023, "documents_digital_pct", "100%", 100.0),
    ("Huyện Đan Phượng", "Xã Song Phượng", 2023, "bank_account_pct", "93,7%", 93.7),
    ("Huyện Đan Phượng", "Xã Song Phượng", 2023, "epayment_pct", "92,3%", 92.3),
    ("Huyện Đan Phượng", "Xã Song Phượng", 2023, "villages", "4", 4.0),
    ("Huyện Đan Phượng", "Xã Song Phượng", 2023, "public_wifi_points", "4", 4.0),
    ("Quận Long Biên", "Phường Giang Biên", 2024, "online_dossiers_per_household_pct",
     "108,94%", 108.94),
    ("Quận Long Biên", "Phường Giang Biên", 2024, "vneid_pct", "trên 97%", 97.0),
)  # fmt: skip
_CONSTANT_CONTEXT = ("population", "area_ha", "villages", "new_rural_status")

SYNTHETIC_PROGRAMMES = (
    "Xã, phường chuyển đổi số",
    "Thôn thông minh",
    "Xã nông thôn mới thông minh",
    "Tổ dân phố chuyển đổi số",
    "Chợ 4.0 - thanh toán không dùng tiền mặt",
    "Mô hình điểm chuyển đổi số cấp xã",
    "Chiến dịch cao điểm dịch vụ công trực tuyến",
)

# ------------------------------------------------------------------------------------------------
# Formats, header styles and messiness
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How one province writes its exports (both questionnaires, one wave)."""

    fmt: str  # key of WRITERS
    header: str  # "label" (label_vi) | "alias" (one alias per variable) | "kobo" (group/alias)
    province_name: str = "full"  # name style of the province column (see _NAME_STYLES)
    title_rows: int = 0  # xlsx: title rows above the header
    numeric_cells: str = "none"  # xlsx: "none" | "context" (keys, context, counts) | "all"
    pct_sign: float = 0.0  # share of percentage cells written with "%"
    missing: tuple[str, ...] = ("",)  # missing-value markers used
    binary: tuple[str, str] = ("1", "0")  # household yes / no
    total_label: str | None = None  # label of the final total row of the commune file


_KOBO = Style("kobo-csv", "kobo", binary=("co", "khong"))
#: The committed sample: ten pre-2025 provinces spread over the country, one style each.
SAMPLE_STYLES: dict[int, Style] = {
    1: Style("xlsx", "label", "abbr", title_rows=2, numeric_cells="context", pct_sign=1.0,
             missing=("", "-"), binary=("Có", "Không"), total_label="Tổng cộng"),
    10: Style("csv-cp1258", "alias", "full", missing=("", "-", "chưa có số liệu"),
              binary=("Có", "Không"), total_label="Tổng cộng"),
    22: Style("csv-bom", "alias", "full", pct_sign=0.3, missing=("", "-", "N/A"),
              total_label="Tổng cộng"),
    26: Style("csv-cp1258", "label", "bare", pct_sign=0.5, missing=("", "chưa có số liệu", "-"),
              binary=("Có", "Không"), total_label="Cộng"),
    38: Style("xlsx", "label", "full", numeric_cells="all", total_label="Cộng"),
    49: Style("xlsx", "alias", "ascii_bare", title_rows=1, numeric_cells="all",
              missing=("", "N/A"), total_label="Tổng cộng"),
    52: replace(_KOBO, province_name="full"),
    66: replace(_KOBO, province_name="bare"),
    79: Style("csv-bom", "label", "abbr", pct_sign=0.2, missing=("", "N/A"),
              binary=("Có", "Không"), total_label="Tổng cộng"),
    89: Style("csv-bom", "label", "full", pct_sign=1.0, missing=("", "-", "N/A", "chưa có số liệu"),
              total_label="Tổng cộng"),
}  # fmt: skip
#: The one province that changes style: TP Hồ Chí Minh moves to KoboToolbox from 2023.
STYLE_SWITCH = (79, 2023, replace(_KOBO, province_name="abbr"))
#: National mode: styles for the other provinces are drawn from these (CSV only).
_NATIONAL_TEMPLATES = (
    Style("csv-bom", "label", "full", pct_sign=0.3, missing=("", "-", "N/A"),
          total_label="Tổng cộng"),
    Style("csv-bom", "alias", "bare", pct_sign=0.5, missing=("", "chưa có số liệu"),
          binary=("Có", "Không"), total_label="Cộng"),
    _KOBO,
)  # fmt: skip

SAMPLE_COMMUNES_PER_PROVINCE = (30, 40)  # inclusive range
RESPONDENTS_PER_COMMUNE = {"sample": (10, 15), "national": (45, 55)}  # inclusive ranges
SAMPLE_EXTRA_PILOTS = (2, 5)  # synthetic pilots per province, inclusive; total capped at 6

COMMUNE_MISSING_RATE = 0.03  # numeric context and indicator cells
HOUSEHOLD_MISSING_RATE = {
    "has_smartphone": 0.02,
    "has_vneid": 0.02,
    "used_online_service_12m": 0.02,
    "uses_epayment": 0.02,
    "satisfaction": 0.08,
    "minutes_procedure": 0.05,
}
APPROX_RATE = 0.01  # commune numeric cells written as words ("gần 85%"), text cells only
APPROX_WORDS = ("gần", "hơn", "trên", "khoảng", "xấp xỉ")
OUT_OF_RANGE_RATE = 0.003  # indicator cells (not binaries) outside the catalogue range
COMMUNE_DUPLICATE_RATE = 0.03  # commune-waves submitted twice (the later one is correct)
HOUSEHOLD_DUPLICATE_RATE = 0.01  # respondents submitted twice (same citizen_id)
MAX_BLANK_ROWS = {"commune": 2, "household": 1}  # per non-Kobo file
PROVINCE_NAME_DEVIATION = 0.05  # rows whose province name departs from the file's usual form
#: Share of rows writing a district or commune name in each form ("Xã Cẩm La", "Cẩm La",
#: "xã Cẩm La", "X. Cẩm La", "xa Cam La", "Cam La", and the other tone placement "Thuỵ").
_NAME_STYLES = {
    "full": 0.50,
    "bare": 0.20,
    "lower": 0.07,
    "abbr": 0.08,
    "ascii": 0.06,
    "ascii_bare": 0.06,
    "old_tone": 0.03,
}
PHONE_MISSING_RATE = 0.08
EMAIL_RATE = 0.25
COMMENT_RATE = 0.30
NOTES_RATE = 0.20

_STREAMS = {
    name: i
    for i, name in enumerate(
        ["communes", "pilots", "panel", "households", "styles", "headers", "render"]
    )
}


def _rng(seed: int, stream: str, *keys: int) -> np.random.Generator:
    """Independent generator for one component (and file), so parts do not shift each other."""
    return np.random.default_rng([seed, _STREAMS[stream], *keys])


# ------------------------------------------------------------------------------------------------
# Administrative units and names
# ------------------------------------------------------------------------------------------------
_UNIT_COLUMNS = [
    "province_code_old", "province_name_old", "district_code_old", "district_name_old",
    "commune_code_old", "commune_name_old", "commune_type_old",
]  # fmt: skip
_PREFIXES = ("Thành phố", "Thị trấn", "Thị xã", "Phường", "Huyện", "Quận", "Tỉnh", "Xã")
_ABBREVIATIONS = {"Thành phố": "TP.", "Thị trấn": "TT", "Thị xã": "TX", "Phường": "P.",
                  "Huyện": "H.", "Quận": "Q.", "Xã": "X."}  # fmt: skip
_TONE_PAIRS = [("òa", "oà"), ("óa", "oá"), ("ỏa", "oả"), ("õa", "oã"), ("ọa", "oạ"),
               ("òe", "oè"), ("óe", "oé"), ("ùy", "uỳ"), ("úy", "uý"), ("ủy", "uỷ"),
               ("ũy", "uỹ"), ("ụy", "uỵ")]  # fmt: skip
_TONE_SWAP = {**{a: b for a, b in _TONE_PAIRS}, **{b: a for a, b in _TONE_PAIRS}}
_TONE_RE = re.compile("|".join(_TONE_SWAP))


def _old_communes() -> pd.DataFrame:
    """The official pre-2025 communes (January 2025 list, 10,051), one row each.

    The supplement of ``analysis.units`` (communes merged before 2025) is left out: the sample
    is drawn from the official list, and the seed communes missing from it are added by name.
    """
    from analysis import units

    frame = units.communes("old")
    return frame.loc[frame["source"].eq("package"), _UNIT_COLUMNS].reset_index(drop=True)


@cache
def _ascii(text: str) -> str:
    """Vietnamese text without diacritics ("Đắk Lắk" → "Dak Lak")."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _split_name(name: str) -> tuple[str, str]:
    """(type prefix, bare name): "Thị xã Quảng Yên" → ("Thị xã", "Quảng Yên")."""
    for prefix in _PREFIXES:
        if name.startswith(prefix + " "):
            return prefix, name[len(prefix) + 1 :]
    return "", name


def _slug(province_name: str) -> str:
    """ASCII file-name slug of a province: "Tỉnh Quảng Ninh" → "quang-ninh"."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(_split_name(province_name)[1]).lower()).strip("-")


@cache
def _name_variants(name: str) -> dict[str, str]:
    """The forms one official name is written in, keyed by _NAME_STYLES style."""
    prefix, bare = _split_name(name)
    lower = f"{prefix.lower()} {bare}" if prefix else bare
    variants = {
        "full": name,
        "bare": bare,
        "lower": lower,
        "abbr": f"{_ABBREVIATIONS.get(prefix, prefix)} {bare}".strip(),
        "ascii": _ascii(lower),
        "ascii_bare": _ascii(bare),
        "old_tone": _TONE_RE.sub(lambda m: _TONE_SWAP[m.group(0)], name),
    }
    if bare.isdigit():  # "Phường 12" is never written "12"
        variants["bare"], variants["ascii_bare"] = name, _ascii(name)
    return variants


# ------------------------------------------------------------------------------------------------
# Simulation (the truth)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    """The true values behind the raw files.

    ``communes``: one row per commune (``uid``, pre-2025 codes and names, ``province_slug``,
    ``pilot``, ``pilot_start``, ``adoption_wave``, ``programme``, ``source``, ``level``: the
    latent level, in SDs, before selection); ``panel``: one
    row per commune and wave with every commune variable in its catalogue unit, ``treated`` and
    ``submitted_at`` (the correct submission); ``households``: one row per respondent (``uid``,
    ``wave``, ``weight``, outcomes, ``submitted_at``); ``pilots``: the registry as written.
    """

    scale: str
    seed: int
    communes: pd.DataFrame
    panel: pd.DataFrame
    households: pd.DataFrame
    pilots: pd.DataFrame


def simulate(
    scale: Scale = "sample", seed: int = DEFAULT_SEED, provinces: Collection[str] | None = None
) -> Simulation:
    """Simulate communes, pilots, the commune panel and household respondents.

    ``provinces`` restricts to province slugs (a subset of the sample's in sample mode); the
    draws then differ from the full run's.
    """
    if scale not in RESPONDENTS_PER_COMMUNE:
        raise ValueError(f"scale must be 'sample' or 'national', got {scale!r}")
    communes = _choose_communes(_old_communes(), scale, provinces, _rng(seed, "communes"))
    communes = _assign_pilots(communes, scale, _rng(seed, "pilots"))
    panel_rng = _rng(seed, "panel")
    communes["level"] = _latent_level(communes, panel_rng)
    panel = _commune_panel(communes, panel_rng)
    households = _households(communes, panel, scale, _rng(seed, "households"))
    pilots = communes[communes["pilot"]]
    registry = pd.DataFrame(
        {
            "province": pilots["province_name_old"],
            "district": pilots["district_name_old"],
            "commune": pilots["commune_name_old"],
            "pilot_start": pilots["pilot_start"].dt.strftime("%Y-%m-%d"),
            "programme": pilots["programme"],
            "source": pilots["source"],
        }
    ).reset_index(drop=True)
    return Simulation(scale, seed, communes, panel, households, registry)


def _choose_communes(
    units: pd.DataFrame, scale: str, provinces: Collection[str] | None, rng: np.random.Generator
) -> pd.DataFrame:
    """Communes of the run: the sample provinces' 30-40 (seeds always in) or all of them."""
    units = units[~units["commune_code_old"].isin(_EXCLUDED_SUCCESSORS)]
    names = units.drop_duplicates("province_code_old").set_index("province_code_old")
    codes = sorted(SAMPLE_STYLES) if scale == "sample" else sorted(names.index)
    slugs = {code: _slug(names.at[code, "province_name_old"]) for code in codes}
    if provinces is not None:
        unknown = set(provinces) - set(slugs.values())
        if unknown:
            raise ValueError(f"unknown province slug(s) for {scale} mode: {sorted(unknown)}")
        codes = [code for code in codes if slugs[code] in provinces]
    extra = [
        {
            **units[(units["province_code_old"] == p) & (units["district_name_old"] == d)]
            .iloc[0][["province_code_old", "province_name_old", "district_code_old"]]
            .to_dict(),
            "district_name_old": d,
            "commune_code_old": pd.NA,
            "commune_name_old": c,
            "commune_type_old": t,
        }
        for p, d, c, t in sorted(_BY_NAME_ONLY)
        if p in codes
    ]
    units = pd.concat([units, pd.DataFrame(extra, columns=_UNIT_COLUMNS)], ignore_index=True)
    units = units.astype({"commune_code_old": "Int64"})
    seeds = pd.MultiIndex.from_tuples([(p, d, c) for p, d, c, *_ in SEED_PILOTS])
    is_seed = units.set_index(
        ["province_code_old", "district_name_old", "commune_name_old"]
    ).index.isin(seeds)
    chosen = []
    for code in codes:
        in_province = units["province_code_old"].eq(code).to_numpy()
        if scale == "national":
            chosen.append(units[in_province])
            continue
        n = int(rng.integers(SAMPLE_COMMUNES_PER_PROVINCE[0], SAMPLE_COMMUNES_PER_PROVINCE[1] + 1))
        seeds_here = units[in_province & is_seed]
        others = units[in_province & ~is_seed].sample(n - len(seeds_here), random_state=rng)
        chosen += [seeds_here, others]
    out = pd.concat(chosen).sort_values(
        ["province_code_old", "district_code_old", "commune_code_old", "commune_name_old"]
    )
    out = out.reset_index(drop=True)
    out.insert(0, "uid", np.arange(len(out)))
    out["province_slug"] = out["province_code_old"].map(slugs)
    missing = seeds.difference(
        out.set_index(["province_code_old", "district_name_old", "commune_name_old"]).index
    )
    missing = [s for s in missing if s[0] in codes]
    if missing:
        raise RuntimeError(f"seed pilots not in the unit list: {missing}")
    return out


def _assign_pilots(communes: pd.DataFrame, scale: str, rng: np.random.Generator) -> pd.DataFrame:
    """Seed pilots plus synthetic ones with staggered starts (2022-10 … 2024-06)."""
    key = list(zip(communes["district_name_old"], communes["commune_name_old"], strict=True))
    seed_rows = {(d, c): (s, prog, f"seed article {art}") for _, d, c, s, prog, art in SEED_PILOTS}
    is_seed = np.array([k in seed_rows for k in key])
    if scale == "sample":
        extra = []
        for _, idx in communes.groupby("province_code_old", sort=True).indices.items():
            n_seed = int(is_seed[idx].sum())
            k = int(rng.integers(SAMPLE_EXTRA_PILOTS[0], SAMPLE_EXTRA_PILOTS[1] + 1))
            k = max(SAMPLE_EXTRA_PILOTS[0], min(k, 6 - n_seed))
            extra.append(rng.choice(idx[~is_seed[idx]], size=k, replace=False))
        extra = np.sort(np.concatenate(extra))
    else:  # every province runs a pilot: the share of its communes, at least one
        extra = []
        for _, idx in communes.groupby("province_code_old", sort=True).indices.items():
            k = max(1, round(NATIONAL_PILOT_SHARE * len(idx))) - int(is_seed[idx].sum())
            extra.append(rng.choice(idx[~is_seed[idx]], size=max(k, 0), replace=False))
        extra = np.sort(np.concatenate(extra))
    first = pd.Period(PILOT_START_RANGE[0], "M")
    n_months = (pd.Period(PILOT_START_RANGE[1], "M") - first).n + 1
    months = rng.integers(0, n_months, size=len(extra))
    days = rng.integers(1, 29, size=len(extra))
    starts = [
        (first + int(m)).to_timestamp() + pd.Timedelta(days=int(d) - 1)
        for m, d in zip(months, days, strict=True)
    ]
    out = communes.assign(pilot=False, pilot_start=pd.NaT, programme=pd.NA, source=pd.NA).astype(
        {"pilot_start": "datetime64[us]", "programme": "str", "source": "str"}
    )
    for i in np.flatnonzero(is_seed):
        start, prog, src = seed_rows[key[i]]
        out.loc[i, ["pilot", "pilot_start", "programme", "source"]] = [
            True, pd.Timestamp(start), prog, src
        ]  # fmt: skip
    out.loc[extra, "pilot"] = True
    out.loc[extra, "pilot_start"] = starts
    out.loc[extra, "programme"] = rng.choice(SYNTHETIC_PROGRAMMES, size=len(extra))
    out.loc[extra, "source"] = "synthetic"
    out["adoption_wave"] = adoption_wave(pd.to_datetime(out["pilot_start"]))
    return out


def _submission_times(rng: np.random.Generator, waves: np.ndarray, start: str) -> np.ndarray:
    """Local submission times in the field period (``start`` "mm-dd" to 20 December) of a wave."""
    first = pd.to_datetime([f"{w}-{start}" for w in waves]).to_numpy()
    span = (pd.to_datetime([f"{w}-12-20" for w in waves]).to_numpy() - first).astype(
        "timedelta64[m]"
    )
    minutes = (rng.random(len(waves)) * span.astype(float)).astype("int64")
    hours = rng.integers(7, 18, len(waves)) * 60 + rng.integers(0, 60, len(waves))
    day = (minutes // 1440) * 1440
    return (first + (day + hours).astype("timedelta64[m]")).astype("datetime64[s]")


def _latent_level(communes: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Common latent level of each commune: N(0,1) + province level + unit-type level."""
    codes = communes["province_code_old"].to_numpy(dtype=int)
    province = rng.normal(0, _PROVINCE_LEVEL_SD, size=codes.max() + 1)[codes]
    unit_type = communes["commune_type_old"].map(_TYPE_LEVEL).to_numpy(dtype=float)
    return rng.normal(size=len(communes)) + province + unit_type


def _commune_panel(communes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """True commune values per wave (catalogue units), with the planted effect and selection.

    Rows are commune-major (uid order, then waves), which :func:`_households` relies on.
    """
    n, waves, w = len(communes), np.array(WAVES), len(WAVES)
    ctype = communes["commune_type_old"].to_numpy()
    pilot = communes["pilot"].to_numpy()
    cohort = communes["adoption_wave"].astype("float").to_numpy()
    level = communes["level"].to_numpy()

    rows = pd.DataFrame(
        {
            "uid": np.repeat(communes["uid"].to_numpy(), w),
            "wave": np.tile(waves, n),
        }
    )
    rows = rows.merge(communes, on="uid", how="left")
    t = np.tile(waves - WAVES[0], n)
    mult = effect_multiplier(np.repeat(cohort, w), rows["wave"].to_numpy())
    rows["treated"] = mult > 0
    rows["unit_type"] = rows["commune_type_old"]

    # context: population and area by unit type, constant villages, slowly improving NTM status
    types = communes["commune_type_old"]
    median_pop = types.map({"xã": 8000, "thị trấn": 11000, "phường": 14000}).to_numpy(float)
    median_area = types.map({"xã": 2500, "thị trấn": 900, "phường": 250}).to_numpy(float)
    pop0 = median_pop * np.exp(rng.normal(0, 0.45, n))
    size = np.exp(rng.normal(0, 0.1, n))
    area = np.clip(median_area * np.exp(rng.normal(0, 0.7, n)), 10, 200000)
    villages = np.where(ctype == "xã", rng.integers(4, 16, n), rng.integers(5, 21, n))
    rows["population"] = np.clip(np.round(np.repeat(pop0, w) * 1.01**t), 100, 500000)
    rows["households"] = np.round(rows["population"] / (3.7 * np.repeat(size, w)))
    rows["area_ha"] = np.round(np.repeat(area, w), 2)
    rows["villages"] = np.repeat(villages, w).astype(float)
    statuses = ["chưa đạt", "đạt chuẩn", "nâng cao", "kiểu mẫu"]
    upgrades = rng.random((n, w)) < 0.15
    upgrades[:, 0] = False
    steps = rng.choice(4, size=n, p=[0.2, 0.5, 0.22, 0.08])[:, None] + upgrades.cumsum(axis=1)
    steps = np.minimum(steps, 3)
    status = np.array(statuses, dtype=object)[steps.ravel()]
    rows["new_rural_status"] = np.where(np.repeat(ctype, w) == "xã", status, "không áp dụng")

    cat = catalogue.load().variables("commune")
    for name, m in _COMMUNE_MODELS.items():
        latent = _LOADING * level + _LOADING * rng.normal(size=n) + SELECTION_SD * pilot
        value = (
            m.base
            + m.sd * np.repeat(latent, w)
            + m.trend * t
            + m.noise * rng.normal(size=n * w)
            + PILOT_EFFECTS[name] * mult
        )
        lo, hi = float(cat.at[name, "min"]), float(cat.at[name, "max"])
        rows[name] = np.round(np.clip(value, lo, hi), m.decimals)
    rows["submitted_at"] = _submission_times(rng, rows["wave"].to_numpy(), "11-01")
    return _apply_seed_figures(rows)


def _apply_seed_figures(rows: pd.DataFrame) -> pd.DataFrame:
    """Set the seed articles' figures as true values (context ones in every wave)."""
    key = rows.set_index(["district_name_old", "commune_name_old", "wave"]).index
    for district, commune, wave, var, _, value in SEED_FIGURES:
        at = key.isin([(district, commune, w) for w in WAVES]) if var in _CONSTANT_CONTEXT else (
            key.isin([(district, commune, wave)])
        )  # fmt: skip
        rows.loc[at, var] = value
        if var == "population":
            rows.loc[at, "households"] = round(value / 3.7)
    return rows


def _households(
    communes: pd.DataFrame, panel: pd.DataFrame, scale: str, rng: np.random.Generator
) -> pd.DataFrame:
    """Respondents nested in commune-waves; outcomes follow the commune's level and the effect."""
    level = communes["level"].to_numpy()
    pilot = communes["pilot"].to_numpy()
    n_c = len(communes)
    lo, hi = RESPONDENTS_PER_COMMUNE[scale]
    size = rng.integers(lo, hi + 1, len(panel))
    row = np.repeat(np.arange(len(panel)), size)
    commune_pos = row // len(WAVES)
    wave = panel["wave"].to_numpy()[row]
    t = wave - WAVES[0]
    mult = effect_multiplier(panel["adoption_wave"].astype("float").to_numpy()[row], wave)
    out = pd.DataFrame(
        {
            "uid": panel["uid"].to_numpy()[row],
            "wave": wave,
            "weight": np.round(panel["households"].to_numpy()[row] / size[row], 2),
        }
    )
    cat = catalogue.load().variables("household")
    n = len(out)
    for name, m in _HOUSEHOLD_MODELS.items():
        sign = 1.0 if cat.at[name, "higher_is_better"] else -1.0
        latent = _LOADING * level + _LOADING * rng.normal(size=n_c) + SELECTION_SD * pilot
        wave_noise = m.noise * rng.normal(size=len(panel))
        mean = (
            m.base
            + sign * m.sd * latent[commune_pos]
            + m.trend * t
            + wave_noise[row]
            + PILOT_EFFECTS[name] * mult
        )
        if cat.at[name, "dtype"] == "binary":
            out[name] = (rng.random(n) < np.clip(mean, 0.01, 0.99)).astype(float)
            continue
        person = mean + _RESPONDENT_SD[name] * rng.normal(size=n)
        if name == "satisfaction":  # stochastic rounding keeps the mean
            out[name] = np.clip(np.floor(person + rng.random(n)), 1, 5)
        else:
            out[name] = np.clip(np.round(person), 5, None)
    out["submitted_at"] = _submission_times(rng, wave, "10-01")
    return out


# ------------------------------------------------------------------------------------------------
# Effects table
# ------------------------------------------------------------------------------------------------


def planted_effects() -> pd.DataFrame:
    """The documented planted effect, one row per indicator, adoption cohort and treated wave.

    Columns: instrument, indicator, unit, base_effect (PILOT_EFFECTS), cohort (adoption wave),
    wave, exposure (waves since adoption), effect (added to a pilot's true value before
    clipping to the catalogue range), baseline_gap (selection: expected pilot minus non-pilot
    difference in every wave, before clipping) and trend (common change per wave).
    """
    cat = catalogue.load()
    rows = []
    for instrument, models in (("commune", _COMMUNE_MODELS), ("household", _HOUSEHOLD_MODELS)):
        var = cat.variables(instrument)
        for name, m in models.items():
            sign = 1.0 if var.at[name, "higher_is_better"] else -1.0
            for cohort in range(WAVES[1], WAVES[-1] + 1):
                for wave in range(cohort, WAVES[-1] + 1):
                    mult = float(effect_multiplier(np.array([cohort]), np.array([wave]))[0])
                    rows.append(
                        {
                            "instrument": instrument,
                            "indicator": name,
                            "unit": var.at[name, "unit"],
                            "base_effect": PILOT_EFFECTS[name],
                            "cohort": cohort,
                            "wave": wave,
                            "exposure": wave - cohort,
                            "effect": round(PILOT_EFFECTS[name] * mult, 6),
                            "baseline_gap": round(sign * SELECTION_SD * m.sd, 6),
                            "trend": m.trend,
                        }
                    )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------
# Styles and headers
# ------------------------------------------------------------------------------------------------


def _styles(scale: str, seed: int, codes: Collection[int]) -> dict[tuple[int, int], Style]:
    """Style of each (province code, wave) file."""
    drawn = _rng(seed, "styles").integers(0, len(_NATIONAL_TEMPLATES), size=100)  # by code
    switch_code, switch_wave, switched = STYLE_SWITCH
    out = {}
    for code in codes:
        base = SAMPLE_STYLES.get(code, _NATIONAL_TEMPLATES[drawn[code]])
        if scale == "national" and base.fmt in ("xlsx", "csv-cp1258"):
            base = replace(base, fmt="csv-bom", title_rows=0, numeric_cells="none")
        for wave in WAVES:
            out[code, wave] = switched if code == switch_code and wave >= switch_wave else base
    return out


def file_styles(
    scale: Scale = "sample", seed: int = DEFAULT_SEED, provinces: Collection[str] | None = None
) -> pd.DataFrame:
    """Format and header style of every province and wave of a run (what the README lists)."""
    communes = _choose_communes(_old_communes(), scale, provinces, _rng(seed, "communes"))
    names = communes.drop_duplicates("province_code_old")
    styles = _styles(scale, seed, names["province_code_old"].tolist())
    return pd.DataFrame(
        [
            {
                "province_code_old": code,
                "province": name,
                "slug": slug,
                "wave": wave,
                "extension": _EXTENSIONS[styles[code, wave].fmt],
                **asdict(styles[code, wave]),
            }
            for code, name, slug in names[
                ["province_code_old", "province_name_old", "province_slug"]
            ].itertuples(index=False)
            for wave in WAVES
        ]
    )


def _kobo_group(section: str) -> str:
    """Kobo group name of a questionnaire section: "B. Tiếp cận số" → "tiep_can_so"."""
    section = re.sub(r"^[A-Z]\. ", "", section)
    return re.sub(r"[^a-z0-9]+", "_", _ascii(section).lower()).strip("_")


def _headers(instrument: str, style: Style, province_code: int, seed: int) -> dict[str, str]:
    """Raw header of every catalogue variable of an instrument, in the province's style.

    Alias choices depend on the province only, so a province keeps its headers across waves.
    """
    rng = _rng(seed, "headers", province_code, ["commune", "household"].index(instrument))
    out = {}
    for row in catalogue.load().variables(instrument).itertuples():
        aliases = [a for a in row.aliases if not a.startswith("_")]
        snake = [a for a in aliases if re.fullmatch(r"[a-z][a-z0-9_]*", a)]
        if style.header == "kobo":
            out[row.name] = (
                "_submission_time"
                if row.name == "submitted_at"
                else f"{_kobo_group(row.section)}/{(snake or [row.name])[0]}"
            )
        elif style.header == "alias" and aliases:
            out[row.name] = str(rng.choice(aliases))
        else:
            out[row.name] = row.label_vi
    return out


# ------------------------------------------------------------------------------------------------
# Rendering: true values → raw cells
# ------------------------------------------------------------------------------------------------
_VN_SWAP = str.maketrans(",.", ".,")
_FAMILY_NAMES = {"Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Huỳnh": 3,
                "Phan": 4.5, "Vũ": 3.9, "Võ": 2, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3,
                "Ngô": 1.3, "Dương": 1, "Lý": 0.5, "Đinh": 1, "Trịnh": 0.8, "Lương": 0.7,
                "Mai": 0.6, "Tạ": 0.4, "Hà": 0.6}  # fmt: skip
_MIDDLE = {
    "m": ["Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Công", "Xuân", "Ngọc", "Tiến",
          "Đình", "Mạnh"],
    "f": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Phương", "Kim", "Thùy",
          "Bích"],
}  # fmt: skip
_GIVEN = {
    "m": ["Anh", "Bình", "Cường", "Dũng", "Đạt", "Đông", "Hải", "Hiếu", "Hòa", "Hùng", "Huy",
          "Khang", "Khánh", "Kiên", "Long", "Lâm", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân",
          "Quang", "Sơn", "Tài", "Thắng", "Thành", "Toàn", "Trung", "Tuấn", "Tùng", "Việt",
          "Vinh", "Vũ"],
    "f": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Hương",
          "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh",
          "Phương", "Quyên", "Tâm", "Thảo", "Thủy", "Trang", "Tuyết", "Vân", "Xuân", "Yến"],
}  # fmt: skip
_MOBILE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "086", "088", "032", "033",
                    "034", "035", "036", "037", "038", "039", "070", "076", "077", "078", "079",
                    "081", "082", "083", "084", "085", "056", "058", "059")  # fmt: skip
_EMAIL_DOMAINS = ("gmail.com",) * 7 + ("yahoo.com", "yahoo.com.vn", "outlook.com", "hotmail.com")
_COMMENTS = (
    "Thủ tục trực tuyến còn phức tạp, cần hướng dẫn thêm.",
    "Cán bộ tổ công nghệ số cộng đồng hỗ trợ rất nhiệt tình.",
    "Mạng internet ở thôn còn yếu, hay bị mất sóng.",
    "Đề nghị mở thêm lớp hướng dẫn sử dụng VNeID cho người cao tuổi.",
    "Người già khó sử dụng điện thoại thông minh.",
    "Nộp hồ sơ online nhanh hơn trước nhiều, không phải đi lại.",
    "Không có ý kiến",
    "Muốn được đóng học phí cho con qua ngân hàng.",
    "Ứng dụng hay bị lỗi đăng nhập, phải làm lại nhiều lần.",
    "Cần hỗ trợ tại nhà cho người khuyết tật.",
    "Tôi là {name}, SĐT {phone}, cần được hỗ trợ kích hoạt tài khoản định danh.",
    "Liên hệ {phone} để được hướng dẫn thêm (gọi buổi tối).",
)
_NOTES = (
    "Số liệu tạm tính đến ngày 30/11",
    "Đã cập nhật theo báo cáo của tổ công nghệ số cộng đồng",
    "Liên hệ đ/c {name} - {phone} nếu cần đối chiếu",
    "Một số chỉ tiêu chưa có số liệu thống kê",
    "Số liệu do công an xã cung cấp",
)


@dataclass
class _Table:
    """One raw file before writing: header and rows of cells (str, int, float, datetime, None)."""

    header: list[str]
    rows: list[list[object]]
    title_rows: tuple[str, ...]
    stats: Counter


@lru_cache(maxsize=1 << 16)
def _number_text(value: float, decimals: int, vn: bool) -> str:
    """A number as text: Vietnamese locale ("1.706,44") or machine style ("1706.44")."""
    text = f"{value:,.{decimals}f}" if vn else f"{value:.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return text.translate(_VN_SWAP) if vn else text


def _approx_text(value: float, word: str) -> str:
    """A number as an approximate phrase: "gần 85", "hơn 46", "khoảng 2.100"."""
    step = 100 if abs(value) >= 1000 else 10 if abs(value) >= 200 else 1
    rounding = {"gần": math.ceil, "hơn": math.floor, "trên": math.floor}.get(word, round)
    return f"{word} {_number_text(rounding(value / step) * step, 0, vn=True)}"


def _out_of_range(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    """Values just outside [lo, hi]: above (60 %, by up to 20 % of the range) or 1-5 below."""
    above = hi + rng.integers(1, max(2, int(0.2 * (hi - lo)) + 1), n)
    below = lo - rng.integers(1, 6, n)
    return np.where(rng.random(n) < 0.6, above, below).astype(float)


def _decimals(name: str) -> int:
    """Decimals written for a numeric variable."""
    model = _COMMUNE_MODELS.get(name) or _HOUSEHOLD_MODELS.get(name)
    return model.decimals if model else {"area_ha": 2, "weight": 2}.get(name, 0)


def _numeric_cell(var: pd.Series, style: Style) -> bool:
    """Whether the province writes this variable as a numeric xlsx cell (else as text)."""
    if style.fmt != "xlsx" or style.numeric_cells == "none":
        return False
    counts = var["kind"] in ("context", "weight", "key") or var["dtype"] in ("integer", "binary")
    return style.numeric_cells == "all" or counts


def _render_numbers(
    values: np.ndarray,
    var: pd.Series,
    style: Style,
    rng: np.random.Generator,
    stats: Counter,
    *,
    missing_rate: float,
    approx_rate: float = 0.0,
) -> np.ndarray:
    """Numeric cells of one column, with missing markers, words and out-of-range values."""
    n = len(values)
    decimals = _decimals(var["name"])
    kobo = style.header == "kobo"
    numeric = _numeric_cell(var, style)
    oor_rate = OUT_OF_RANGE_RATE if var["kind"] == "indicator" else 0.0
    missing = rng.random(n) < missing_rate
    oor = ~missing & (rng.random(n) < oor_rate)
    approx = ~missing & ~oor & (rng.random(n) < (0.0 if kobo else approx_rate))
    words = rng.choice(APPROX_WORDS, n)
    sign = str(var["unit"]).startswith("%") & (rng.random(n) < style.pct_sign)
    markers = rng.choice(np.array(style.missing, dtype=object), n)
    v = np.where(oor, _out_of_range(rng, float(var["min"]), float(var["max"]), n), values)
    missing |= np.isnan(v)
    if numeric:
        out = np.array(np.nan_to_num(v).astype(int).tolist() if decimals == 0 else v.tolist(),
                       dtype=object)  # fmt: skip
    else:
        out = np.array([_number_text(x, decimals, not kobo) for x in v.tolist()], dtype=object)
        for i in np.flatnonzero(sign):
            out[i] += "%"
    for i in np.flatnonzero(approx):
        out[i] = _approx_text(v[i], words[i]) + ("%" if sign[i] else "")
    out[missing] = None if (numeric or kobo) else markers[missing]
    stats.update(missing=int(missing.sum()), out_of_range=int(oor.sum()), approx=int(approx.sum()))
    return out


def _place_names(
    names: np.ndarray, rng: np.random.Generator, usual: str | None = None
) -> np.ndarray:
    """Names in per-row _NAME_STYLES forms, or in the ``usual`` form bar a few rows."""
    n = len(names)
    drawn = rng.choice(np.array(list(_NAME_STYLES)), n, p=list(_NAME_STYLES.values()))
    if usual is not None:
        drawn = np.where(rng.random(n) < PROVINCE_NAME_DEVIATION, drawn, usual)
    return np.array([_name_variants(a)[f] for a, f in zip(names, drawn, strict=True)], dtype=object)


@cache
def _province_codes() -> np.ndarray:
    """Pre-2025 province codes (birth provinces of citizen IDs)."""
    return np.unique(_old_communes()["province_code_old"].to_numpy(dtype=int))


def _people(rng: np.random.Generator, n: int, province_code: int) -> dict[str, np.ndarray]:
    """Synthetic personal data: names, phones, 12-digit citizen IDs, e-mail addresses.

    A citizen ID is the birth province code (3 digits), sex-and-century digit, birth year (2)
    and 6 random digits, as on real CCCD numbers; 90 % are born in the province.
    """
    female = rng.random(n) < 0.52
    weights = np.array(list(_FAMILY_NAMES.values()))
    family = pd.Series(rng.choice(list(_FAMILY_NAMES), n, p=weights / weights.sum()), dtype=str)
    middle = pd.Series(
        np.where(female, rng.choice(_MIDDLE["f"], n), rng.choice(_MIDDLE["m"], n)), dtype=str
    )
    given = pd.Series(
        np.where(female, rng.choice(_GIVEN["f"], n), rng.choice(_GIVEN["m"], n)), dtype=str
    )
    born = pd.Series(rng.integers(1950, 2006, n))
    birth_province = np.where(rng.random(n) < 0.9, province_code, rng.choice(_province_codes(), n))
    sex_century = (born >= 2000) * 2 + female

    def digits(values: np.ndarray | pd.Series, width: int) -> pd.Series:
        return pd.Series(np.asarray(values)).astype(str).str.zfill(width)

    number = pd.Series(rng.choice(_MOBILE_PREFIXES, n), dtype=str) + digits(
        rng.integers(0, 10_000_000, n), 7
    )
    a, b, c, tail = number.str[:4], number.str[4:7], number.str[7:], number.str[1:]
    phones = [number, a + " " + b + " " + c, a + "." + b + "." + c, "+84 " + tail, "+84" + tail]
    fam, giv = family.map(_ascii).str.lower(), given.map(_ascii).str.lower()
    year = born.astype(str)
    locals_ = [giv + fam + year, fam + "." + giv + year.str[2:], giv + "." + fam]
    domain = pd.Series(rng.choice(_EMAIL_DOMAINS, n), dtype=str)

    def pick(options: list[pd.Series], which: np.ndarray) -> np.ndarray:
        stacked = np.stack([o.to_numpy(dtype=object) for o in options])
        return stacked[which, np.arange(n)]

    return {
        "name": (family + " " + middle + " " + given).to_numpy(dtype=object),
        "phone": pick(phones, rng.choice(5, n, p=[0.5, 0.25, 0.1, 0.1, 0.05])),
        "citizen_id": (
            digits(birth_province, 3) + digits(sex_century, 1) + digits(born % 100, 2)
            + digits(rng.integers(0, 1_000_000, n), 6)
        ).to_numpy(dtype=object),
        "email": pick(locals_, rng.integers(0, 3, n)) + "@" + domain.to_numpy(dtype=object),
    }  # fmt: skip


def _free_text(
    rng: np.random.Generator, templates: tuple[str, ...], rate: float, people: dict
) -> np.ndarray:
    """Free-text answers for a share ``rate`` of rows (some quote a name or phone number)."""
    n = len(people["name"])
    pick = rng.integers(0, len(templates), n)
    out = np.full(n, None, dtype=object)
    for i in np.flatnonzero(rng.random(n) < rate):
        out[i] = templates[pick[i]].format(name=people["name"][i], phone=people["phone"][i])
    return out


def _objects(series: pd.Series) -> np.ndarray:
    """Cells of a column as Python objects, None where missing."""
    out = series.to_numpy(dtype=object)
    out[series.isna().to_numpy()] = None
    return out


def _with_duplicates(
    frame: pd.DataFrame, rate: float, rng: np.random.Generator, protect: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Add earlier submissions (1-96 hours before) of a share of rows; returns frame, is_copy.

    ``_order`` places each copy just before its original or at the end of the file.
    """
    chosen = np.flatnonzero((rng.random(len(frame)) < rate) & ~protect)
    copies = frame.iloc[chosen].copy()
    copies["submitted_at"] -= pd.to_timedelta(rng.integers(60, 96 * 60, len(chosen)), unit="min")
    copies["_order"] = np.where(rng.random(len(chosen)) < 0.5, chosen - 0.5, len(frame) + chosen)
    frame = frame.assign(_order=np.arange(len(frame), dtype=float))
    is_copy = np.r_[np.zeros(len(frame), bool), np.ones(len(chosen), bool)]
    return pd.concat([frame, copies], ignore_index=True), is_copy


def _categories(values: np.ndarray, kobo: bool, rng: np.random.Generator) -> np.ndarray:
    """Category cells: Kobo choice names ("thi_tran") or Vietnamese, mostly capitalised."""
    if kobo:
        return np.array([_ascii(v).replace(" ", "_") for v in values], dtype=object)
    cap = rng.random(len(values)) < 0.8
    return np.array([v.capitalize() if c else v for v, c in zip(values, cap, strict=True)], object)


def _timestamps(values: np.ndarray, style: Style) -> np.ndarray:
    """Submission times: ISO 8601 with +07:00 (Kobo), xlsx date cells, or dd/mm/yyyy HH:MM."""
    stamps = pd.DatetimeIndex(values)
    if style.header == "kobo":
        return stamps.strftime("%Y-%m-%dT%H:%M:%S+07:00").to_numpy(dtype=object)
    if style.fmt == "xlsx" and style.numeric_cells == "all":
        return np.array(stamps.to_pydatetime(), dtype=object)
    return stamps.strftime("%d/%m/%Y %H:%M").to_numpy(dtype=object)


def _place_columns(frame: pd.DataFrame, style: Style, rng: np.random.Generator) -> dict:
    """Province, district and commune cells of a file."""
    return {
        "province": _place_names(frame["province_name_old"].to_numpy(), rng, style.province_name),
        "district": _place_names(frame["district_name_old"].to_numpy(), rng),
        "commune": _place_names(frame["commune_name_old"].to_numpy(), rng),
    }


def _finish(
    instrument: str,
    columns: dict[str, np.ndarray],
    style: Style,
    seed: int,
    rng: np.random.Generator,
    *,
    total: dict[str, object] | None,
    titles: tuple[str, ...],
    stats: Counter,
) -> _Table:
    """Header and rows: Kobo metadata columns last, or STT first, blank rows and a total row."""
    code = int(stats["province_code"])
    headers = _headers(instrument, style, code, seed)
    names = [c for c in columns if c != "submitted_at"] if style.header == "kobo" else list(columns)
    rows = [list(r) for r in zip(*(columns[c] for c in names), strict=True)]
    header = [headers[c] for c in names]
    if style.header == "kobo":
        first_id = int(rng.integers(10_000_000, 90_000_000))
        raw = rng.integers(0, 256, size=(len(rows), 16), dtype=np.uint8)
        for i, row in enumerate(rows):
            h = raw[i].tobytes().hex()
            uuid = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
            row += [str(first_id + i), uuid, columns["submitted_at"][i]]
        return _Table([*header, "_id", "_uuid", headers["submitted_at"]], rows, (), stats)
    empty = None if style.fmt == "xlsx" else ""
    n = len(rows)
    numbered = style.fmt == "xlsx" and style.numeric_cells != "none"
    stt = range(1, n + 1) if numbered else map(str, range(1, n + 1))
    rows = [[i, *r] for i, r in zip(stt, rows, strict=True)]
    if total is not None and style.total_label:
        rows.append([empty] + [total.get(c, empty) for c in names])
        stats.update(total_rows=1)
    blanks = int(rng.integers(0, MAX_BLANK_ROWS[instrument] + 1))
    for at in sorted(rng.integers(1, max(2, n), blanks), reverse=True):
        rows.insert(int(at), [empty] * (len(names) + 1))
    stats.update(blank_rows=blanks)
    return _Table(["STT", *header], rows, titles[: style.title_rows], stats)


def _render_commune(rows: pd.DataFrame, style: Style, seed: int, wave: int) -> _Table:
    """The commune questionnaire of one province and wave, as the province writes it."""
    code = int(rows["province_code_old"].iloc[0])
    rng = _rng(seed, "render", 0, wave, code)
    stats: Counter = Counter(province_code=code)
    kobo = style.header == "kobo"
    seed_cells = {(d, c, v): raw for d, c, w, v, raw, _ in SEED_FIGURES if w == wave}
    place = list(zip(rows["district_name_old"], rows["commune_name_old"], strict=True))
    seed_rows = {(d, c) for d, c, _ in seed_cells}
    frame, is_copy = _with_duplicates(
        rows.reset_index(drop=True), COMMUNE_DUPLICATE_RATE, rng,
        np.array([p in seed_rows for p in place], dtype=bool),
    )  # fmt: skip
    cat = catalogue.load().variables("commune")
    for i in np.flatnonzero(is_copy):  # the earlier submission differs in one to three values
        for col in rng.choice(list(_COMMUNE_MODELS), size=int(rng.integers(1, 4)), replace=False):
            m = _COMMUNE_MODELS[col]
            value = frame.at[i, col] + rng.normal(0, 2 * m.noise)
            lo, hi = float(cat.at[col, "min"]), float(cat.at[col, "max"])
            frame.at[i, col] = round(float(np.clip(value, lo, hi)), m.decimals)
    stats.update(rows=len(frame), duplicates=int(is_copy.sum()))
    order = np.argsort(frame["submitted_at" if kobo else "_order"].to_numpy(), kind="stable")
    frame, is_copy = frame.iloc[order].reset_index(drop=True), is_copy[order]
    people = _people(rng, len(frame), code)
    cols: dict[str, np.ndarray] = {
        **_place_columns(frame, style, rng),
        "wave": np.full(len(frame), wave if _numeric_cell(cat.loc["wave"], style) else str(wave),
                        dtype=object),
        "submitted_at": _timestamps(frame["submitted_at"].to_numpy(), style),
        "officer_name": people["name"],
        "officer_phone": people["phone"],
        "notes": _free_text(rng, _NOTES, NOTES_RATE, people),
    }  # fmt: skip
    for name in ("unit_type", "new_rural_status"):
        cols[name] = _categories(frame[name].to_numpy(dtype=object), kobo, rng)
    numbers = cat[cat["dtype"].isin(["number", "integer"]) & cat["kind"].ne("key")]
    for name in numbers.index:
        cols[name] = _render_numbers(
            frame[name].to_numpy(dtype=float), cat.loc[name], style, rng, stats,
            missing_rate=COMMUNE_MISSING_RATE, approx_rate=APPROX_RATE,
        )  # fmt: skip
    where = {p: i for i, p in enumerate(zip(frame["district_name_old"], frame["commune_name_old"],
                                            strict=True)) if not is_copy[i]}  # fmt: skip
    for (d, c, var), raw in seed_cells.items():
        if (d, c) in where:
            cols[var][where[d, c]] = raw
            stats.update(seed_figures=1)
    total: dict[str, object] = {"commune": style.total_label}
    for name in numbers.index:  # sums of counts, means of percentages and scores
        values = frame.loc[~is_copy, name].astype(float)
        summed = cat.at[name, "kind"] == "context" or cat.at[name, "dtype"] == "integer"
        value = float(values.sum() if summed else values.mean())
        decimals = _decimals(name)
        total[name] = (
            round(value, decimals or None)
            if _numeric_cell(cat.loc[name], style)
            else _number_text(value, decimals, vn=True)
        )
    titles = (
        f"BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ CẤP XÃ NĂM {wave}",
        f"(Kèm theo báo cáo của UBND {frame['province_name_old'].iloc[0]})",
    )
    ordered = {name: cols[name] for name in cat.index}
    return _finish(
        "commune", ordered, style, seed, rng,
        total=None if kobo else total, titles=titles, stats=stats,
    )  # fmt: skip


def _render_household(rows: pd.DataFrame, style: Style, seed: int, wave: int) -> _Table:
    """The household questionnaire of one province and wave, as the province writes it."""
    code = int(rows["province_code_old"].iloc[0])
    rng = _rng(seed, "render", 1, wave, code)
    stats: Counter = Counter(province_code=code)
    kobo = style.header == "kobo"
    people = _people(rng, len(rows), code)
    frame = rows.reset_index(drop=True).assign(
        respondent_name=people["name"],
        phone=np.where(rng.random(len(rows)) < PHONE_MISSING_RATE, None, people["phone"]),
        citizen_id=people["citizen_id"],
        email=np.where(rng.random(len(rows)) < EMAIL_RATE, people["email"], None),
        comment=_free_text(rng, _COMMENTS, COMMENT_RATE, people),
    )
    frame, is_copy = _with_duplicates(
        frame, HOUSEHOLD_DUPLICATE_RATE, rng, np.zeros(len(frame), bool)
    )
    binaries = [n for n in _HOUSEHOLD_MODELS if n not in _RESPONDENT_SD]
    for i in np.flatnonzero(is_copy):  # the earlier submission answered one question otherwise
        col = binaries[int(rng.integers(0, len(binaries)))]
        frame.at[i, col] = 1.0 - frame.at[i, col]
    stats.update(rows=len(frame), duplicates=int(is_copy.sum()))
    frame = frame.sort_values(["submitted_at"] if kobo else ["uid", "submitted_at"], kind="stable")
    frame = frame.reset_index(drop=True)
    cat = catalogue.load().variables("household")
    cols: dict[str, np.ndarray] = {
        **_place_columns(frame, style, rng),
        "wave": np.full(len(frame), wave if _numeric_cell(cat.loc["wave"], style) else str(wave),
                        dtype=object),
        "submitted_at": _timestamps(frame["submitted_at"].to_numpy(), style),
        "weight": _render_numbers(frame["weight"].to_numpy(dtype=float), cat.loc["weight"], style,
                                  rng, Counter(), missing_rate=0.0),
    }  # fmt: skip
    for name in ("respondent_name", "phone", "citizen_id", "email", "comment"):
        cols[name] = _objects(frame[name])
    numeric = _numeric_cell(cat.loc[binaries[0]], style) and style.binary == ("1", "0")
    yes, no = (1, 0) if numeric else style.binary
    for name in binaries:
        missing = rng.random(len(frame)) < HOUSEHOLD_MISSING_RATE[name]
        markers = rng.choice(np.array(style.missing, dtype=object), len(frame))
        values = frame[name].to_numpy(dtype=float)
        cols[name] = np.array(
            [
                (None if numeric or kobo else markers[i]) if missing[i]
                else (yes if values[i] == 1 else no)
                for i in range(len(frame))
            ],
            dtype=object,
        )  # fmt: skip
        stats.update(missing=int(missing.sum()))
    for name in _RESPONDENT_SD:
        cols[name] = _render_numbers(
            frame[name].to_numpy(dtype=float), cat.loc[name], style, rng, stats,
            missing_rate=HOUSEHOLD_MISSING_RATE[name],
        )  # fmt: skip
    titles = (
        f"TỔNG HỢP PHIẾU KHẢO SÁT HỘ GIA ĐÌNH VỀ CHUYỂN ĐỔI SỐ NĂM {wave}",
        f"Đơn vị: {frame['province_name_old'].iloc[0]}",
    )
    ordered = {name: cols[name] for name in cat.index}
    return _finish("household", ordered, style, seed, rng, total=None, titles=titles, stats=stats)


# ------------------------------------------------------------------------------------------------
# Writers, one per format
# ------------------------------------------------------------------------------------------------
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_CLUSTER = re.compile(r".[\u0300-\u036f]*", re.DOTALL)
_FIXED_TIME = datetime(2025, 11, 25, 0, 0, 0)


@cache
def _cp1258_cluster(cluster: str) -> bytes:
    """One base letter with its marks in cp1258: precomposed if it can, else tone mark apart."""
    base = cluster[0] + "".join(c for c in cluster[1:] if c not in _TONE_MARKS)
    tones = "".join(c for c in cluster[1:] if c in _TONE_MARKS)
    for candidate in (
        unicodedata.normalize("NFC", cluster),
        unicodedata.normalize("NFC", base) + tones,
        cluster,
    ):
        with contextlib.suppress(UnicodeEncodeError):
            return candidate.encode("cp1258")
    raise UnicodeEncodeError("cp1258", cluster, 0, len(cluster), "no Windows-1258 form")


def encode_cp1258(text: str) -> bytes:
    """Text in Windows-1258: NFD recomposed as far as cp1258 allows (tone marks combining).

    Decoding with ``"cp1258"`` and normalising to NFC gives the original (NFC) text back.
    """
    nfd = unicodedata.normalize("NFD", text)
    return b"".join(_cp1258_cluster(m.group(0)) for m in _CLUSTER.finditer(nfd))


def _write_csv(path: Path, table: _Table, *, encoding: str, newline: str) -> None:
    """CSV (comma, minimal quoting); ``encoding`` "utf-8-sig" writes a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(table.header)
    writer.writerows(table.rows)  # None is written as an empty field
    text = buffer.getvalue()
    path.write_bytes(encode_cp1258(text) if encoding == "cp1258" else text.encode(encoding))


def _write_xlsx(path: Path, table: _Table) -> None:
    """XLSX (openpyxl) with merged title rows above the header; byte-identical for equal input."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    for title in table.title_rows:
        ws.append([title])
        ws.merge_cells(
            start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(table.header)
        )
    ws.append(table.header)
    for row in table.rows:
        ws.append(row)
    wb.properties.creator = "analysis.sample (SYNTHETIC)"
    path.write_bytes(store.workbook_bytes(wb, _FIXED_TIME))


WRITERS: dict[str, Callable[[Path, _Table], None]] = {
    "csv-bom": partial(_write_csv, encoding="utf-8-sig", newline="\r\n"),
    "csv-cp1258": partial(_write_csv, encoding="cp1258", newline="\r\n"),
    "kobo-csv": partial(_write_csv, encoding="utf-8", newline="\n"),
    "xlsx": _write_xlsx,
}
_EXTENSIONS = {"csv-bom": "csv", "csv-cp1258": "csv", "kobo-csv": "csv", "xlsx": "xlsx"}
_FORMAT_TEXT = {
    "csv-bom": "CSV, UTF-8 with BOM, CRLF",
    "csv-cp1258": "CSV, Windows-1258 (tone marks as combining characters), CRLF",
    "kobo-csv": "Kobo-style CSV, UTF-8 without BOM, LF",
    "xlsx": "XLSX",
}


# ------------------------------------------------------------------------------------------------
# Generation
# ------------------------------------------------------------------------------------------------


def _refuse_to_overwrite(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(
            f"{out} is not empty; regenerating raw data is explicit: pass overwrite=True"
        )


@contextlib.contextmanager
def _atomic_dir(out: Path) -> Iterator[Path]:
    """A temporary directory beside ``out`` that replaces it on success and vanishes on failure."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    os.chmod(tmp, 0o755)
    try:
        yield tmp
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, trash / out.name)
            os.replace(tmp, out)
            shutil.rmtree(trash)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def generate(
    out_dir: str | Path,
    *,
    scale: Scale = "sample",
    seed: int = DEFAULT_SEED,
    overwrite: bool = False,
    provinces: Collection[str] | None = None,
) -> dict[str, Path]:
    """Write synthetic raw exports to ``out_dir``; returns relative path → final path.

    ``scale="sample"``: ten provinces, 30-40 communes each, 10-15 respondents per commune and
    wave, in every format (CSV UTF-8 with BOM, CSV Windows-1258, XLSX, Kobo CSV); committed as
    data/raw. ``scale="national"``: every pre-2025 commune, 45-55 respondents each, UTF-8 CSV
    only. ``provinces`` restricts to province slugs. Files are written in a directory beside
    ``out_dir`` that is renamed into place; an existing non-empty ``out_dir`` is replaced only
    if ``overwrite``. Same arguments → byte-identical files.
    """
    out = Path(out_dir)
    _refuse_to_overwrite(out, overwrite)
    started = time.perf_counter()
    sim = simulate(scale, seed, provinces)
    log.info(
        "simulated %d communes (%d pilots), %d commune-waves, %d respondents in %.1f s",
        len(sim.communes), int(sim.communes["pilot"].sum()), len(sim.panel),
        len(sim.households), time.perf_counter() - started,
    )  # fmt: skip
    slugs = sim.communes.drop_duplicates("province_code_old").set_index("province_code_old")
    styles = _styles(scale, seed, slugs.index.tolist())
    households = sim.households.merge(
        sim.communes[["uid", *_UNIT_COLUMNS]], on="uid", how="left", sort=False
    )
    written: dict[str, Path] = {}
    manifest: list[dict[str, object]] = []
    with _atomic_dir(out) as tmp:
        for instrument, render, source in (
            ("commune", _render_commune, sim.panel),
            ("household", _render_household, households),
        ):
            groups = source.groupby(["province_code_old", "wave"], sort=True).indices
            for (code, wave), idx in groups.items():
                style = styles[int(code), int(wave)]
                slug = slugs.at[code, "province_slug"]
                rel = f"{instrument}/{wave}/{slug}.{_EXTENSIONS[style.fmt]}"
                table = render(source.iloc[idx], style, seed, int(wave))
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                WRITERS[style.fmt](tmp / rel, table)
                written[rel] = out / rel
                del table.stats["province_code"]
                manifest.append({"file": rel, "format": style.fmt, **table.stats})
        registry = "pilots/pilot_registry.csv"
        (tmp / registry).parent.mkdir(parents=True)
        labels = catalogue.load().variables("pilots")["label_vi"].to_dict()
        sim.pilots.rename(columns=labels).to_csv(
            tmp / registry, index=False, encoding="utf-8-sig", lineterminator="\r\n"
        )
        written[registry] = out / registry
        (tmp / "README.md").write_text(_readme(sim, styles, manifest), encoding="utf-8")
        written["README.md"] = out / "README.md"
    size = sum(p.stat().st_size for p in written.values())
    log.info(
        "wrote %d files (%.2f MB) to %s in %.1f s",
        len(written), size / 1e6, out, time.perf_counter() - started,
    )  # fmt: skip
    return written


# ------------------------------------------------------------------------------------------------
# README
# ------------------------------------------------------------------------------------------------


def _markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table."""
    cells = frame.astype(str)
    lines = ["| " + " | ".join(cells.columns) + " |", "|" + "---|" * len(cells.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines)


def _style_table(sim: Simulation, styles: dict[tuple[int, int], Style]) -> pd.DataFrame:
    """One row per province and style (two for the province that switches)."""
    names = sim.communes.drop_duplicates("province_code_old")
    rows = []
    for code, name, slug in names[
        ["province_code_old", "province_name_old", "province_slug"]
    ].itertuples(index=False):
        by_wave = {w: styles[int(code), w] for w in WAVES}
        for s in dict.fromkeys(by_wave.values()):
            rows.append(
                {
                    "province": name,
                    "slug": slug,
                    "waves": ", ".join(str(w) for w, x in by_wave.items() if x == s),
                    "format": _FORMAT_TEXT[s.fmt],
                    "headers": s.header,
                    "title rows": s.title_rows,
                    "numeric cells": s.numeric_cells if s.fmt == "xlsx" else "-",
                    "province as": s.province_name,
                    "'%' share": s.pct_sign,
                    "missing markers": " ".join(repr(m) for m in s.missing),
                    "yes/no": "/".join(s.binary),
                    "total row": s.total_label or "-",
                }
            )
    return pd.DataFrame(rows)


def _readme(sim: Simulation, styles: dict[tuple[int, int], Style], manifest: list[dict]) -> str:
    """The README of a generated directory: what is synthetic, layout, effects, messiness."""
    effects = planted_effects()
    effects["column"] = "ATT " + effects["cohort"].astype(str) + "@" + effects["wave"].astype(str)
    table = effects.pivot_table(
        index=["instrument", "indicator", "unit", "base_effect", "baseline_gap", "trend"],
        columns="column",
        values="effect",
        sort=False,
    ).reset_index()
    files = pd.DataFrame(manifest).fillna(0)
    counts = files.drop(columns=["file", "format"]).sum().astype(int)
    duplicates = files.groupby(files["file"].str.split("/").str[0])["duplicates"].sum()
    pilots = sim.communes[sim.communes["pilot"]]
    real = pilots[pilots["source"].ne("synthetic")]
    figures = pd.DataFrame(
        [
            {"commune": c, "district": d, "wave": w, "variable": v, "written": raw}
            for d, c, w, v, raw, _ in SEED_FIGURES
            if c in set(real["commune_name_old"])
        ]
    )
    per_commune = sim.households.groupby(["uid", "wave"]).size()
    command = "python -m analysis sample" + (" --national" if sim.scale == "national" else "")
    name_forms = ", ".join(f"{k} {v:.0%}" for k, v in _NAME_STYLES.items())
    messiness = pd.DataFrame(
        [
            ("duplicate commune submissions",
             f"{COMMUNE_DUPLICATE_RATE:.0%} of commune rows submitted twice: the later "
             "`submitted_at` is correct, the earlier is 1–96 h before with 1–3 values changed",
             duplicates.get("commune", 0)),
            ("duplicate household submissions",
             f"{HOUSEHOLD_DUPLICATE_RATE:.0%} of respondents submitted twice (same citizen ID): "
             "the earlier is 1–96 h before with one yes/no answer changed",
             duplicates.get("household", 0)),
            ("missing values",
             f"commune numeric cells {COMMUNE_MISSING_RATE:.0%}; household yes/no 2 %, "
             "satisfaction 8 %, minutes 5 %; markers per province (Kobo files and numeric cells: "
             "empty)", counts.get("missing", 0)),
            ("approximate words",
             f"{APPROX_RATE:.0%} of commune numeric text cells: {', '.join(APPROX_WORDS)} and a "
             "rounded number (`gần 85%`, `khoảng 2.100`)", counts.get("approx", 0)),
            ("out-of-range values",
             f"{OUT_OF_RANGE_RATE:.1%} of indicator cells (not yes/no): above the maximum by up to "
             "20 % of the range (`112`), or 1–5 below the minimum (`-3`)",
             counts.get("out_of_range", 0)),
            ("legitimately above 100", "online_dossiers_per_household_pct (maximum 500)", "-"),
            ("blank rows",
             f"0–{MAX_BLANK_ROWS['commune']} per commune file, 0–{MAX_BLANK_ROWS['household']} per "
             "household file (non-Kobo); empty cells", counts.get("blank_rows", 0)),
            ("total row", "last row of non-Kobo commune files, label in the commune column, sums "
             "of counts and means of percentages", counts.get("total_rows", 0)),
            ("place names", f"district and commune per row: {name_forms} (Xã Cẩm La, Cẩm La, xã "
             "Cẩm La, X. Cẩm La, xa Cam La, Cam La, Thuỵ for Thụy); the province column keeps the "
             f"file's form bar {PROVINCE_NAME_DEVIATION:.0%} of rows", "-"),
            ("personal data", "officer name, phone, notes; respondent name, phone "
             f"({PHONE_MISSING_RATE:.0%} blank; 0912345678, 0912 345 678, 0912.345.678, "
             "+84 912345678), 12-digit citizen ID (text), e-mail "
             f"({EMAIL_RATE:.0%}), comment ({COMMENT_RATE:.0%}; some quote a name or phone)", "-"),
            ("seed figures", "written verbatim in the wave the article reports",
             counts.get("seed_figures", 0)),
        ],
        columns=["feature", "rule", "count"],
    )  # fmt: skip
    return "\n".join(
        [
            "# SYNTHETIC raw survey exports: not real data",
            "",
            f"Everything here was generated by `analysis.sample.generate` (scale `{sim.scale}`, "
            f"seed `{sim.seed}`); regenerate with `{command} --overwrite`. Province, district and "
            "commune names and the seed pilots' published figures are real; every other value, "
            "person, phone number, citizen ID and e-mail address is invented. The files imitate "
            "what provinces send (formats, encodings, headers, messiness) so that cleaning can "
            "be built and tested against a known truth (`analysis.sample.simulate`, "
            "`analysis.sample.planted_effects`).",
            "",
            "## Layout",
            "",
            f"- `commune/<wave>/<province-slug>.<csv|xlsx>`: commune questionnaire, one row per "
            f"commune (plus duplicates, blank rows, a total row), waves "
            f"{', '.join(map(str, WAVES))}.",
            f"- `household/<wave>/<province-slug>.<csv|xlsx>`: household questionnaire, one row "
            f"per respondent, {per_commune.min()}–{per_commune.max()} respondents per commune and "
            f"wave (mean {per_commune.mean():.1f}); `weight` = households in the commune / "
            "respondents.",
            "- `pilots/pilot_registry.csv`: the pilot registry (UTF-8 with BOM; the catalogue's "
            "`label_vi` headers; official names with their type word; start date ISO "
            "`yyyy-mm-dd`; `Nguồn` = `seed article 00N` for the real pilots of the seed "
            "articles, `synthetic` otherwise).",
            "",
            f"{len(sim.communes)} communes in {len(sim.communes['province_code_old'].unique())} "
            f"provinces; {len(pilots)} pilots ({len(real)} real). A pilot is treated from its "
            "adoption wave: the start year if it started by 30 June, else the next year. Phường "
            "Trưng Nhị (TP Phúc Yên) is not in the official January 2025 list: it is written by "
            "name only, and its successor phường Hai Bà Trưng is left out.",
            "",
            "## Formats and header styles",
            "",
            _markdown(_style_table(sim, styles)),
            "",
            "Headers: `label` = the catalogue's `label_vi`; `alias` = one of the variable's "
            "aliases, fixed per province; `kobo` = `group/alias` (group from the questionnaire "
            "section) then Kobo's `_id`, `_uuid`, `_submission_time`. Non-Kobo files start with "
            "an `STT` (row number) column. Numbers are in the Vietnamese locale (`1.706,44`, "
            "`93,7%`) except in Kobo files (machine style `1706.44`, at most two decimals, so a "
            "dot followed by exactly three digits is always a thousands separator) and in XLSX "
            "numeric cells (real numbers in the catalogue unit, 93.7 not 0.937; words, seed "
            "figures and markers stay text cells there). `submitted_at`: `dd/mm/yyyy HH:MM` local "
            "time; ISO 8601 with `+07:00` in Kobo files; date cells in XLSX files whose numeric "
            "cells are `all`. Citizen IDs are 12-digit text (text cells in XLSX). Kobo categories "
            "are choice names (`thi_tran`, `dat_chuan`).",
            "",
            "## Planted effect",
            "",
            "True value = `base + sd·latent + trend·(wave−2022) + noise + effect`, clipped to the "
            "catalogue range (household yes/no: a probability in [0.01, 0.99], then a draw; "
            "satisfaction: respondents around the commune mean, stochastically rounded to 1–5). "
            f"`effect = base_effect × (1 + {COHORT_SLOPE}·({REFERENCE_COHORT} − cohort)) × "
            f"(1 + {EXPOSURE_SLOPE}·(wave − cohort))` from the adoption wave (cohort) on: earlier "
            f"cohorts gain more and effects grow with exposure. Selection: pilots' latent level "
            f"is {SELECTION_SD} SD higher in every wave (`baseline_gap`), so a naive pilot/"
            "non-pilot gap overstates the effect. The trend is common to all (parallel trends "
            "hold). Clipping at 100 % trims realised effects a little for indicators near the "
            "ceiling in 2024.",
            "",
            _markdown(table),
            "",
            "Seed figures, written as the articles write them and taken as true values:",
            "",
            _markdown(figures) if len(figures) else "(none in this run)",
            "",
            "## Messiness (realised counts over all files)",
            "",
            _markdown(messiness),
            "",
            "Non-numeric garbage (`abc` in a number column) and unknown provinces never occur: "
            "those are error cases for tests, not normal messiness.",
            "",
            "## Files",
            "",
            _markdown(files[["file", "format", "rows", "duplicates"]].astype(
                {"rows": int, "duplicates": int})),
            "",
        ]
    )  # fmt: skip
