"""Dataset: the processed tables, loaded once, and the places (provinces) a report is about.

A province can be named the way the user knows it: old (before 1 July 2025) or new units, by
name (any spelling ``units`` understands) or GSO code. Communes are grouped by the province of
that period: a brief for "Phú Thọ" (new) covers the communes of old Vĩnh Phúc, Phú Thọ and Hòa
Bình; a brief for "Vĩnh Phúc" (old) only those of Vĩnh Phúc.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd

from analysis import units
from analysis.catalogue import header_key
from analysis.exceptions import AnalysisError

Units = Literal["auto", "old", "new"]


class ParameterError(AnalysisError):
    """A report parameter cannot be used (unknown province, wave not in the data, ...)."""


@dataclass(frozen=True)
class Place:
    """A province of one period: ``period`` is "old" (before 1 July 2025) or "new"."""

    period: str
    code: int
    name: str

    @property
    def slug(self) -> str:
        """File-name form, e.g. ``quang-ninh`` (new-period provinces get a ``-2025`` suffix)."""
        bare = re.sub(r"^(tinh|thanh pho) ", "", header_key(self.name))
        return bare.replace(" ", "-") + ("-2025" if self.period == "new" else "")

    @property
    def short_name(self) -> str:
        return re.sub(r"^(Tỉnh|Thành phố) ", "", self.name)


@dataclass(frozen=True, eq=False)
class Dataset:
    """The processed tables of one ``data/processed`` folder."""

    communes: pd.DataFrame
    households: pd.DataFrame
    pilots: pd.DataFrame
    log: pd.DataFrame
    duplicates: pd.DataFrame
    unmatched: pd.DataFrame
    manifest: dict
    path: Path

    @property
    def waves(self) -> list[int]:
        return sorted(int(w) for w in self.communes["wave"].dropna().unique())

    @property
    def fingerprint(self) -> str:
        """Short digest of the raw files the data were cleaned from."""
        import hashlib

        text = json.dumps(self.manifest.get("raw_files", {}), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def place(self, province: str | int, units_: Units = "auto") -> Place:
        return resolve_province(province, units_)

    def communes_of(self, place: Place) -> pd.DataFrame:
        """Rows of the commune table in ``place`` (all waves)."""
        col = f"province_code_{place.period}"
        return self.communes[self.communes[col] == place.code]

    def households_of(self, place: Place) -> pd.DataFrame:
        col = f"province_code_{place.period}"
        if self.households.empty or col not in self.households:
            return self.households.iloc[0:0]
        return self.households[self.households[col] == place.code]

    def provinces(self, period: str = "old") -> list[Place]:
        """Every province of ``period`` present in the commune table, in code order."""
        col, name = f"province_code_{period}", f"province_name_{period}"
        present = self.communes[[col, name]].dropna().drop_duplicates().sort_values(col)
        return [Place(period, int(c), str(n)) for c, n in present.itertuples(index=False)]


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


@lru_cache(maxsize=4)
def _load(path: Path, stamp: float) -> Dataset:
    return Dataset(
        communes=pd.read_parquet(path / "communes.parquet"),
        households=pd.read_parquet(path / "households.parquet"),
        pilots=pd.read_parquet(path / "pilots.parquet"),
        log=_read_csv(path / "cleaning_log.csv"),
        duplicates=_read_csv(path / "duplicates.csv"),
        unmatched=_read_csv(path / "unmatched_units.csv"),
        manifest=json.loads((path / "manifest.json").read_text("utf-8")),
        path=path,
    )


def load(data_dir: str | Path = "data/processed") -> Dataset:
    """The processed tables (cached while ``manifest.json`` is unchanged)."""
    path = Path(data_dir).resolve()
    manifest = path / "manifest.json"
    if not manifest.exists():
        raise ParameterError(
            f"{data_dir}: no processed data (manifest.json missing); run "
            "`python -m analysis clean` first"
        )
    return _load(path, manifest.stat().st_mtime_ns)


def resolve_province(province: str | int, units_: Units = "auto") -> Place:
    """The province a user means. ``units_="auto"``: a name of the old list first (the survey
    waves use old units), else of the new list; a code is read as an old code unless
    ``units_="new"``."""
    periods = ["old", "new"] if units_ == "auto" else [units_]
    text = str(province).strip()
    if text.isdigit():
        period = "new" if units_ == "new" else "old"
        table = units.provinces(period)
        hit = table[table[f"province_code_{period}"] == int(text)]
        if hit.empty:
            raise ParameterError(
                f"province code {text} is not a province code of the "
                f"{'post' if period == 'new' else 'pre'}-2025 list"
            )
        return Place(period, int(text), str(hit[f"province_name_{period}"].iloc[0]))
    for period in periods:
        found = units.match_provinces(pd.Series([text]), period=period).iloc[0]
        if found["status"] == "matched":
            return Place(
                period, int(found[f"province_code_{period}"]), str(found[f"province_name_{period}"])
            )
    suggestions = []
    for period in periods:
        suggestions += units.suggest_provinces(text, period=period)
    hint = f"; closest: {', '.join(dict.fromkeys(suggestions))}" if suggestions else ""
    raise ParameterError(f"unknown province {text!r}{hint}")
