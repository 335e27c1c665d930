"""Codebook: what each processed column means, from the catalogue and the data itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.catalogue import Catalogue

TABLE_INSTRUMENT = {"communes": "commune", "households": "household", "pilots": "pilots"}
#: Columns the cleaning adds (not in the catalogue).
DERIVED = {
    "respondent_id": ("Sequential respondent number (pseudonym; no link to identity)", "id"),
    "province_code_old": ("Province code (GSO), units before 1 July 2025", "code"),
    "province_name_old": ("Province name, units before 1 July 2025", "text"),
    "district_code_old": ("District code (GSO), units before 1 July 2025", "code"),
    "district_name_old": ("District name, units before 1 July 2025", "text"),
    "commune_code_old": ("Commune code (GSO), units before 1 July 2025", "code"),
    "commune_name_old": ("Commune name, units before 1 July 2025", "text"),
    "commune_type_old": ("Commune type (xã/phường/thị trấn), before 1 July 2025", "text"),
    "province_code_new": ("Province code (GSO), units from 1 July 2025", "code"),
    "province_name_new": ("Province name, units from 1 July 2025", "text"),
    "commune_code_new": (
        "Commune code from 1 July 2025 (missing when split across several)",
        "code",
    ),
    "commune_codes_new": ("All successor commune codes from 1 July 2025, ';'-separated", "text"),
    "commune_name_new": ("Commune name, units from 1 July 2025", "text"),
    "commune_new_split": ("The old commune was split across several new communes", "bool"),
    "match_status": ("Place-name matching: matched / ambiguous / unmatched", "text"),
    "match_candidates": ("Candidate official units when not matched uniquely", "text"),
    "match_source": ("Where the official unit came from: package / supplement", "text"),
    "pilot": ("Commune is in the pilot registry", "bool"),
    "adoption_wave": ("First wave counted as treated (start by 30 June → that year)", "year"),
    "treated": ("Pilot and wave ≥ adoption wave", "bool"),
    "source_file": ("Raw export the row came from (relative to data/raw)", "text"),
    "source_row": ("Row number of the record in that export, as a spreadsheet shows it", "row"),
}


def _summary(series: pd.Series) -> dict:
    """What a column holds: n, n_missing, and mean, min, max (numbers), mean (flags) or the number
    of distinct values (the rest)."""
    missing = series.isna().to_numpy()
    n_missing = int(np.count_nonzero(missing))
    out = {"n": len(series) - n_missing, "n_missing": n_missing}
    if series.dtype.kind in "fiu" or str(series.dtype) in ("Int64", "Int8"):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        if n_missing:
            values = values[~missing]
        if len(values):  # NumPy's mean sums pairwise, as pandas does
            out.update(
                mean=round(float(values.mean()), 4),
                min=float(values.min()),
                max=float(values.max()),
            )
    elif series.dtype == bool:
        out.update(mean=round(float(series.mean()), 4) if len(series) else None)
    else:
        out.update(distinct=int(series.nunique()))
    return out


def codebook(
    catalogue: Catalogue, tables: dict[str, pd.DataFrame], log: pd.DataFrame
) -> pd.DataFrame:
    """One row per column of each processed table: meaning, unit, range, and what the data hold."""
    rows = []
    corrections = log["variable"].value_counts() if len(log) else pd.Series(dtype="int64")
    for table, df in tables.items():
        spec = catalogue.variables(TABLE_INSTRUMENT[table])
        for column in df.columns:
            base = column.removesuffix("_approx")
            series = df[column]
            entry = {"table": table, "column": column, "dtype": str(series.dtype)}
            if base in spec.index:
                var = spec.loc[base]
                approx = column.endswith("_approx")
                entry.update(
                    label_vi=var["label_vi"] + (" — giá trị ước lượng" if approx else ""),
                    label_en=var["label_en"] + (" — approximate value flag" if approx else ""),
                    kind="flag" if approx else var["kind"],
                    unit=None if approx else var["unit"],
                    valid_min=None if approx else var["min"],
                    valid_max=None if approx else var["max"],
                    higher_is_better=None if approx else var["higher_is_better"],
                    section=var["section"],
                    corrections=0 if approx else int(corrections.get(base, 0)),
                )
            else:
                label, unit = DERIVED.get(column, (column, None))
                entry.update(label_vi=label, label_en=label, kind="derived", unit=unit)
            entry.update(_summary(series))
            rows.append(entry)
    columns = [
        "table",
        "column",
        "label_vi",
        "label_en",
        "kind",
        "dtype",
        "unit",
        "valid_min",
        "valid_max",
        "higher_is_better",
        "section",
        "n",
        "n_missing",
        "mean",
        "min",
        "max",
        "distinct",
        "corrections",
    ]
    out = pd.DataFrame(rows).reindex(columns=columns)
    for col in ("valid_min", "valid_max", "higher_is_better"):
        out[col] = (
            out[col]
            .astype(object)
            .where(out[col].notna(), None)
            .map(lambda v: None if v is None else str(v))
        )
    return out


def to_markdown(book: pd.DataFrame) -> str:
    """The codebook as Markdown, one section per table."""
    lines = [
        "# Codebook",
        "",
        "Generated by `python -m analysis clean` from the indicator catalogue and the data.",
        "",
    ]
    show = ["column", "label_en", "unit", "valid_min", "valid_max", "n", "n_missing", "mean"]
    for table, part in book.groupby("table", sort=False):
        lines += [f"## {table}", "", "| " + " | ".join(show) + " |", "|" + "---|" * len(show)]
        for row in part[show].itertuples(index=False):
            cells = ["" if pd.isna(v) else str(v).replace("|", "\\|") for v in row]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
