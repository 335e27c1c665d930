"""The indicator catalogue: survey variables as data (``resources/catalogue.yaml``).

One entry per variable and instrument. Everything that knows about a variable (header
matching, validation ranges, labels in reports, the codebook) reads it from here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from analysis.exceptions import CatalogueError

INSTRUMENTS = ("commune", "household", "pilots")
KINDS = ("indicator", "context", "key", "meta", "weight", "personal")
DTYPES = ("number", "integer", "binary", "category", "date", "datetime", "text")
COLUMNS = [
    "name", "instrument", "kind", "dtype", "unit", "min", "max", "higher_is_better", "level",
    "section", "label_vi", "label_en", "aliases", "required", "categories", "headline",
]  # fmt: skip


def header_key(text: str) -> str:
    """Normalise a raw column header for matching.

    Drops diacritics (both tone-mark placements, NFC or NFD), case, punctuation and spacing:
    ``"TTHC trực tuyến (%)"`` → ``"tthc truc tuyen"``.
    """
    text = unicodedata.normalize("NFD", str(text).replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The catalogue as a DataFrame (one row per variable and instrument) with lookups."""

    table: pd.DataFrame

    def variables(self, instrument: str, kind: str | tuple[str, ...] | None = None) -> pd.DataFrame:
        """Rows of one instrument, optionally of given kind(s), in catalogue order."""
        rows = self.table[self.table["instrument"] == instrument]
        if kind is not None:
            kinds = (kind,) if isinstance(kind, str) else kind
            rows = rows[rows["kind"].isin(kinds)]
        return rows.set_index("name", drop=False)

    def indicators(self, instrument: str = "commune") -> list[str]:
        """Names of the outcome indicators of an instrument."""
        return [r["name"] for r in _indicators(self, instrument)]

    def headline(self, instrument: str = "commune") -> list[str]:
        """Names of the headline indicators of an instrument (reported first in briefs)."""
        return [r["name"] for r in _indicators(self, instrument) if r["headline"]]

    def header_map(self, instrument: str) -> dict[str, str]:
        """Normalised raw header → catalogue name, for one instrument."""
        mapping: dict[str, str] = {}
        for row in self.variables(instrument).itertuples():
            for alias in [row.name, row.label_vi, row.label_en, *row.aliases]:
                mapping[header_key(alias)] = row.name
        return mapping

    def match_header(self, instrument: str, header: str) -> str | None:
        """The catalogue name a raw header stands for, or None.

        Tries the whole header, then its last ``/`` segment (Kobo exports name columns
        ``group/question``; "Tỉnh/TP" is a whole label, so the whole header wins).
        """
        mapping = self._header_maps()[instrument]
        for candidate in (header, str(header).rsplit("/", 1)[-1]):
            name = mapping.get(header_key(candidate))
            if name is not None:
                return name
        return None

    def _header_maps(self) -> dict[str, dict[str, str]]:
        return _header_maps(self)

    def label(self, name: str, lang: str = "vi", instrument: str | None = None) -> str:
        """The report label of a variable in ``lang`` ("vi" or "en")."""
        return self._row(name, instrument)[f"label_{lang}"]

    def unit(self, name: str, instrument: str | None = None) -> str | None:
        """The unit of a variable (None when it has none)."""
        return self._row(name, instrument)["unit"]

    def _row(self, name: str, instrument: str | None) -> dict:
        row = _rows(self).get((name, instrument))
        if row is None:
            raise KeyError(f"{name!r} is not in the indicator catalogue")
        return row


def _validate(entries: list[dict], source: str) -> None:
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(entries, start=1):
        where = f"{source}, entry {i} ({entry.get('name', '?')})"
        for field, allowed in (("instrument", INSTRUMENTS), ("kind", KINDS), ("dtype", DTYPES)):
            if entry.get(field) not in allowed:
                raise CatalogueError(
                    f"{where}: {field} must be one of {allowed}, got {entry.get(field)!r}"
                )
        for field in ("name", "label_vi", "label_en", "section", "level"):
            if not entry.get(field):
                raise CatalogueError(f"{where}: {field} is required")
        key = (entry["name"], entry["instrument"])
        if key in seen:
            raise CatalogueError(f"{where}: duplicate variable {key}")
        seen.add(key)
        if entry["dtype"] == "category" and not entry.get("categories"):
            raise CatalogueError(f"{where}: a category variable needs its categories")


@cache
def _header_maps(cat: Catalogue) -> dict[str, dict[str, str]]:
    return {instrument: cat.header_map(instrument) for instrument in INSTRUMENTS}


@cache
def _rows(cat: Catalogue) -> dict[tuple[str, str | None], dict]:
    """(name, instrument) → the variable's entry; (name, None) → the name's first entry."""
    out: dict[tuple[str, str | None], dict] = {}
    for row in cat.table.to_dict("records"):
        out[(row["name"], row["instrument"])] = row
        out.setdefault((row["name"], None), row)
    return out


@cache
def _indicators(cat: Catalogue, instrument: str) -> tuple[dict, ...]:
    """The entries of an instrument's indicators, in catalogue order."""
    t = cat.table
    return tuple(t[(t["instrument"] == instrument) & (t["kind"] == "indicator")].to_dict("records"))


@cache
def load(path: str | Path | None = None) -> Catalogue:
    """Read and check the catalogue (the bundled one unless ``path`` is given)."""
    if path is None:
        text = resources.files("analysis.resources").joinpath("catalogue.yaml").read_text("utf-8")
        source = "catalogue.yaml"
    else:
        text, source = Path(path).read_text("utf-8"), str(path)
    entries = yaml.safe_load(text)["variables"]
    _validate(entries, source)
    table = pd.DataFrame(
        [{col: entry.get(col) for col in COLUMNS} for entry in entries], columns=COLUMNS
    ).astype({"min": object, "max": object})
    table["aliases"] = table["aliases"].apply(lambda a: list(a or []))
    table["required"] = table["required"].fillna(False).astype(bool)
    table["headline"] = table["headline"].fillna(False).astype(bool)
    return Catalogue(table)
