"""Clean: raw exports in, tidy processed tables out (with a log of every correction).

Stages, in order, for each raw file: read (``ingest``) → drop blank and total rows → parse
cells by catalogue dtype (``parse``) → range checks (``validate``); then, for all files of an
instrument together: match place names to official codes (``units``) → remove duplicate
submissions → attach pilot status → remove personal data (``privacy``). Nothing is written
unless every file could be read; then all outputs replace ``out_dir`` at once (``store``).

Rows are never dropped silently: blank rows, total rows and superseded duplicate submissions
are the only rows removed, and each is in the cleaning log or the duplicates report; rows
whose place cannot be matched are kept (with missing codes) and listed for review.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from analysis import __version__, ingest, privacy, store, units
from analysis.catalogue import Catalogue, header_key, load
from analysis.exceptions import RawDataError
from analysis.parse import PARSERS, Parsed, ValueProblem, parse_category
from analysis.validate import out_of_range

log = logging.getLogger(__name__)

LOG_COLUMNS = ["file", "row", "column", "variable", "old_value", "new_value", "rule"]
TOTAL_ROW = re.compile(r"^(?:tong cong|tong so|tong|cong|total|toan tinh|toan huyen)$")
#: Waves up to 2024 use the administrative units before 1 July 2025; later waves the new ones.
LAST_OLD_UNITS_WAVE = 2024
NUMERIC = ("number", "integer")


def period_of(wave: pd.Series) -> pd.Series:
    """ "old" for waves up to 2024 (units before the 1 July 2025 reform), else "new"."""
    return pd.Series(np.where(wave <= LAST_OLD_UNITS_WAVE, "old", "new"), index=wave.index)


def adoption_wave(start: pd.Series) -> pd.Series:
    """First survey wave counted as treated: a pilot started by 30 June counts from that
    year's wave (surveys are taken at year end), a later start from the next year's."""
    return (start.dt.year + (start.dt.month > 6).astype("int64")).astype("Int64")


@dataclass
class CleanResult:
    """The processed tables and the reports about cleaning."""

    communes: pd.DataFrame
    households: pd.DataFrame
    pilots: pd.DataFrame
    log: pd.DataFrame
    duplicates: pd.DataFrame
    unmatched: pd.DataFrame
    codebook: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    def outputs(self) -> dict[str, object]:
        """Relative file name → object, as written to ``data/processed``."""
        from analysis.codebook import to_markdown

        return {
            "communes.parquet": self.communes,
            "households.parquet": self.households,
            "pilots.parquet": self.pilots,
            "cleaning_log.csv": self.log,
            "duplicates.csv": self.duplicates,
            "unmatched_units.csv": self.unmatched,
            "codebook.csv": self.codebook,
            "codebook.md": to_markdown(self.codebook),
            "manifest.json": self.manifest,
        }


class _Log:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(
        self,
        file: str,
        row: object,
        column: object,
        variable: object,
        old: object,
        new: object,
        rule: str,
    ) -> None:
        self.rows.append((file, row, column, variable, old, new, rule))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=LOG_COLUMNS)
        for col in ("old_value", "new_value"):
            df[col] = df[col].map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
        df["row"] = df["row"].astype("Int64")
        return df


# ----------------------------------------------------------------------------- per file


def _typed(table: ingest.RawTable, catalogue: Catalogue, rel: str, clog: _Log) -> pd.DataFrame:
    """One raw table → catalogue-named, typed columns plus ``source_file``/``source_row``."""
    spec = catalogue.variables(table.instrument)
    for header in table.skipped:
        name = next(
            (
                catalogue.match_header(i, header)
                for i in ("household", "commune")
                if catalogue.match_header(i, header)
            ),
            None,
        )
        rule = "personal-column-not-read" if name else "unknown-column-ignored"
        clog.add(rel, None, header, name, None, None, rule)
    raw = table.data.rename(columns=table.columns)[list(table.columns.values())]
    rows = table.rows
    # blank rows and total rows
    blank = raw.isna().all(axis=1)
    place = raw["commune"].where(raw["commune"].notna(), raw["province"]).astype("str")
    total = place.map(header_key, na_action="ignore").str.fullmatch(TOTAL_ROW.pattern).fillna(False)
    total = total.astype(bool) & ~blank
    for idx in raw.index[blank]:
        clog.add(rel, rows[idx], None, None, None, None, "blank-row-dropped")
    for idx in raw.index[total]:
        clog.add(
            rel,
            rows[idx],
            table.columns and _header(table, "commune"),
            "commune",
            place[idx],
            None,
            "total-row-dropped",
        )
    keep = ~(blank | total)
    raw, rows = raw[keep], rows[keep]
    out = pd.DataFrame(index=raw.index)
    for name in raw.columns:
        var = spec.loc[name]
        header = _header(table, name)
        try:
            if name == "citizen_id":
                parsed = Parsed(
                    privacy.citizen_id_key(raw[name]), pd.Series(False, index=raw.index)
                )
            elif var["dtype"] == "category":
                parsed = parse_category(raw[name], list(var["categories"]))
            else:
                parsed = PARSERS[var["dtype"]](raw[name])
        except ValueProblem as problem:
            raise RawDataError(
                rel,
                "value cannot be read",
                row=int(rows[problem.label]),
                column=header,
                expected=problem.expected,
                value=problem.value,
            ) from None
        out[name] = parsed.values
        if var["dtype"] in NUMERIC and var["kind"] in ("indicator", "context"):
            out[f"{name}_approx"] = parsed.approx.astype(bool)
        if var["kind"] != "personal":
            for idx, old, new, rule in parsed.changes:
                clog.add(rel, rows[idx], header, name, old, new, rule)
            if parsed.converted:
                clog.add(
                    rel,
                    None,
                    header,
                    name,
                    f"{parsed.converted} cells",
                    None,
                    "vietnamese-number-format-converted",
                )
    for name in spec.index[spec["required"] & (spec["kind"] == "key")]:
        missing = out[name].isna()
        if missing.any():
            idx = out.index[missing][0]
            raise RawDataError(
                rel,
                "a required value is missing",
                row=int(rows[idx]),
                column=_header(table, name),
                expected=f"the {spec.loc[name, 'label_en'].lower()} of every row",
            )
    bad = out_of_range(out, catalogue, table.instrument)
    for case in bad.itertuples():
        clog.add(
            rel,
            rows[case.index],
            _header(table, case.column),
            case.column,
            case.value,
            None,
            f"out-of-range ({_range(spec.loc[case.column])}) set missing",
        )
        out.loc[case.index, case.column] = pd.NA
    out["source_file"] = rel
    out["source_row"] = rows.astype("int64")
    return out.reset_index(drop=True)


def _header(table: ingest.RawTable, name: str) -> str:
    return next(h for h, n in table.columns.items() if n == name)


def _range(var: pd.Series) -> str:
    return f"valid {var['min']}–{var['max']}"


# ----------------------------------------------------------------------------- all files


def _match_units(df: pd.DataFrame, instrument: str, unmatched: list[pd.DataFrame]) -> pd.DataFrame:
    """Add official codes for both periods; unknown provinces raise, unmatched communes are kept."""
    if df.empty:
        return df
    parts = []
    # the pilot registry has no wave: its names are those of the survey waves (old units)
    periods = period_of(df["wave"]) if "wave" in df else pd.Series("old", index=df.index)
    for period, part in df.groupby(periods, sort=True):
        provinces = part["province"].drop_duplicates()
        found = units.match_provinces(provinces, period=period)
        unknown = found["status"] != "matched"
        if unknown.any():
            idx = found.index[unknown][0]
            name = provinces[idx]
            suggest = units.suggest_provinces(name, period=period)
            raise RawDataError(
                part.loc[idx, "source_file"],
                "unknown province",
                row=int(part.loc[idx, "source_row"]),
                column="province",
                value=name,
                expected="a province of Vietnam"
                + (f" (closest: {', '.join(suggest)})" if suggest else ""),
            )
        matched = units.match_communes(
            part,
            province="province",
            commune="commune",
            district="district" if "district" in part else None,
            period=period,
        )
        joined = pd.concat([part, matched], axis=1)
        if period == "old":
            joined = units.attach_new_units(joined)
        parts.append(joined)
        review = joined["match_status"] != "matched"
        if review.any():
            cols = [
                "source_file",
                "source_row",
                "wave",
                "province",
                "district",
                "commune",
                "match_status",
                "match_candidates",
            ]
            rows = joined.loc[review, [c for c in cols if c in joined]].assign(
                instrument=instrument, period=period
            )
            unmatched.append(rows)
    return pd.concat(parts, ignore_index=True)


def _place_key(df: pd.DataFrame) -> pd.Series:
    """Commune identity for de-duplication: its official code, or its normalised names."""
    names = (
        df["province"].map(header_key)
        + "|"
        + df.get("district", pd.Series("", index=df.index)).fillna("").map(header_key)
        + "|"
        + df["commune"].map(header_key)
    )
    code = df.get("commune_code_old", pd.Series(pd.NA, index=df.index))
    code = code.where(code.notna(), df.get("commune_code_new", pd.Series(pd.NA, index=df.index)))
    return code.astype("str").where(code.notna(), names)


def deduplicate(
    df: pd.DataFrame, key: pd.Series, instrument: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the latest submission per key (ties: the last in file order); report the others.

    Like Stata's ``ieduplicates``: every row of a duplicated group is listed with the group, whether
    it was kept, and which columns differ from the kept row.
    """
    has_key = key.notna()
    order = df.assign(_key=key, _t=df.get("submitted_at", pd.NaT))
    order = order.sort_values(
        ["_key", "_t", "source_file", "source_row"], na_position="first", kind="stable"
    )
    dup = has_key & key.duplicated(keep=False)
    kept_idx = order[has_key[order.index]].drop_duplicates("_key", keep="last").index
    drop = dup & ~df.index.isin(kept_idx)
    report = pd.DataFrame()
    if dup.any():
        groups = df[dup].assign(_key=key[dup], kept=~drop[dup])
        kept_rows = groups[groups["kept"]].set_index("_key").reindex(groups["_key"])
        kept_rows.index = groups.index
        value_cols = [
            c
            for c in df.columns
            if c not in ("source_file", "source_row", "submitted_at") and not c.endswith("_approx")
        ]
        same = pd.DataFrame(
            {
                c: (groups[c] == kept_rows[c]).fillna(False).astype(bool)
                | (groups[c].isna() & kept_rows[c].isna())
                for c in value_cols
            }
        )
        names = np.array(value_cols, dtype=object)
        differs = [";".join(names[~row]) for row in same.to_numpy()]
        report = pd.DataFrame(
            {
                "instrument": instrument,
                "duplicate_group": pd.factorize(groups["_key"], sort=True)[0] + 1,
                "source_file": groups["source_file"],
                "source_row": groups["source_row"],
                "wave": groups["wave"],
                "province": groups["province"],
                "commune": groups["commune"],
                "submitted_at": groups.get("submitted_at"),
                "kept": groups["kept"],
                "differs_from_kept": differs,
            }
        )
    return df[~drop].reset_index(drop=True), report


def _attach_pilots(df: pd.DataFrame, pilots: pd.DataFrame) -> pd.DataFrame:
    table = pilots.dropna(subset=["commune_code_old"])[
        ["commune_code_old", "pilot_start", "adoption_wave", "programme"]
    ]
    out = df.merge(table, on="commune_code_old", how="left", validate="many_to_one")
    out["pilot"] = out["pilot_start"].notna()
    out["treated"] = (
        (out["pilot"] & (out["wave"] >= out["adoption_wave"])).fillna(False).astype(bool)
    )
    return out


def raw_files(raw_dir: str | Path) -> tuple[list[Path], list[Path]]:
    """(files a reader exists for, other files), sorted, hidden files skipped."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise RawDataError(raw_dir, "raw data folder not found", expected="a folder of exports")
    files = sorted(
        p
        for p in raw_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)
    )
    return [p for p in files if ingest.supported(p)], [p for p in files if not ingest.supported(p)]


def clean(
    raw_dir: str | Path, catalogue: Catalogue | None = None, *, progress: bool = False
) -> CleanResult:
    """Clean every raw export under ``raw_dir`` (in memory; see :func:`run` to write)."""
    from analysis.codebook import codebook

    catalogue = catalogue or load()
    raw_dir = Path(raw_dir)
    files, others = raw_files(raw_dir)
    clog = _Log()
    for path in others:
        clog.add(
            path.relative_to(raw_dir).as_posix(),
            None,
            None,
            None,
            None,
            None,
            "file-ignored (not a CSV/XLSX export)",
        )
    frames: dict[str, list[pd.DataFrame]] = {"commune": [], "household": [], "pilots": []}
    for path in tqdm(files, desc="reading raw exports", unit="file", disable=not progress):
        rel = path.relative_to(raw_dir).as_posix()
        table = ingest.read(path, catalogue)
        frames[table.instrument].append(_typed(table, catalogue, rel, clog))
        log.debug("read %s: %s, %d rows", rel, table.instrument, len(table.data))
    if not frames["commune"]:
        raise RawDataError(
            raw_dir,
            "no commune questionnaire export found",
            expected="at least one CSV/XLSX file of the commune questionnaire",
        )
    unmatched: list[pd.DataFrame] = []
    tables = {
        ins: _match_units(pd.concat(fr, ignore_index=True), ins, unmatched)
        if fr
        else pd.DataFrame()
        for ins, fr in frames.items()
    }
    duplicates = []
    communes, rep = deduplicate(
        tables["commune"],
        _place_key(tables["commune"]) + "|" + tables["commune"]["wave"].astype(str),
        "commune",
    )
    duplicates.append(rep)
    households = tables["household"]
    if not households.empty:
        key = households.get("citizen_id", pd.Series(pd.NA, index=households.index))
        households, rep = deduplicate(
            households,
            key.where(key.isna(), key + "|" + households["wave"].astype(str)),
            "household",
        )
        duplicates.append(rep)
    pilots = tables["pilots"]
    if pilots.empty:
        pilots = pd.DataFrame(
            {
                "commune_code_old": pd.Series(dtype="Int64"),
                "pilot_start": pd.Series(dtype="datetime64[us]"),
                "programme": pd.Series(dtype="str"),
            }
        )
    else:
        pilots, rep = deduplicate(pilots, _place_key(pilots), "pilots")
        duplicates.append(rep)
    pilots["adoption_wave"] = adoption_wave(pilots["pilot_start"])
    communes = _attach_pilots(communes, pilots)
    if not households.empty:
        households = _attach_pilots(households, pilots)
        households = households.sort_values(
            ["wave", "province_code_old", "commune_code_old", "source_file", "source_row"],
            na_position="last",
        )
        households.insert(0, "respondent_id", np.arange(1, len(households) + 1))
        households = privacy.drop_personal(households, catalogue, "household")
    communes = (
        privacy.drop_personal(communes, catalogue, "commune")
        .sort_values(
            ["wave", "province_code_old", "commune_code_old", "source_file", "source_row"],
            na_position="last",
        )
        .reset_index(drop=True)
    )
    result_tables = {
        "communes": communes,
        "households": households.reset_index(drop=True),
        "pilots": pilots.reset_index(drop=True),
    }
    for name, df in result_tables.items():
        privacy.assert_clean(df, name, catalogue)
    unmatched_df = (
        pd.concat(unmatched, ignore_index=True)
        if unmatched
        else pd.DataFrame(columns=["instrument", "period", "source_file", "source_row"])
    )
    dups = (
        pd.concat([d for d in duplicates if not d.empty], ignore_index=True)
        if any(not d.empty for d in duplicates)
        else pd.DataFrame()
    )
    log_df = clog.frame()
    manifest = {
        "code_version": __version__,
        "raw_files": store.fingerprint(files + others, raw_dir),
        "rows": {k: len(v) for k, v in result_tables.items()},
        "corrections": int(len(log_df)),
        "duplicates_removed": int((~dups["kept"]).sum()) if len(dups) else 0,
        "unmatched_rows": int(len(unmatched_df)),
    }
    return CleanResult(
        communes=result_tables["communes"],
        households=result_tables["households"],
        pilots=result_tables["pilots"],
        log=log_df,
        duplicates=dups,
        unmatched=unmatched_df,
        codebook=codebook(catalogue, result_tables, log_df),
        manifest=manifest,
    )


def run(raw_dir: str | Path, out_dir: str | Path, *, progress: bool = False) -> CleanResult:
    """Clean ``raw_dir`` and replace ``out_dir`` with the results, all at once."""
    result = clean(raw_dir, progress=progress)
    store.replace_dir(result.outputs(), out_dir)
    log.info(
        "cleaned %d files: %s; %d corrections logged, %d duplicates removed, %d rows to "
        "review → %s",
        len(result.manifest["raw_files"]),
        result.manifest["rows"],
        result.manifest["corrections"],
        result.manifest["duplicates_removed"],
        result.manifest["unmatched_rows"],
        out_dir,
    )
    return result
