"""Quality: what cleaning did to the data, for one province or all (the data-quality notebook).

Every table function takes a :class:`~analysis.dataset.Dataset` and a
:class:`~analysis.dataset.Place` (None: all provinces) and returns a DataFrame with
machine-readable columns; the ``*_section`` functions render them as HTML
:class:`~analysis.render.Fragment` s in the reader's language (every data-derived text escaped).

Rows are attributed to a province by the processed tables: a kept row by its own codes, a
removed duplicate by the row kept in its group, a dropped row or a file-level log entry by its
file when every kept row of that file is in one province (the pilot registry, which covers
every province, is therefore counted only in the all-provinces view). A province of the new
units (from 1 July 2025) covers the rows of every old province merged into it.

The last part holds small helpers for the exploration notebook (a chosen indicator of a
:class:`~analysis.brief.Brief`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis import narrate, plot, stats
from analysis.catalogue import load as load_catalogue
from analysis.dataset import Dataset, ParameterError, Place
from analysis.dataset import load as load_dataset
from analysis.render import Fragment, bullets, esc, figure, paragraph, section, table

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

    from analysis.brief import Brief

#: Processed tables with rows that come from raw files, and their questionnaire.
TABLES = {"communes": "commune", "households": "household", "pilots": "pilots"}
INSTRUMENT_TABLE = {v: k for k, v in TABLES.items()}
#: Outcomes of a raw row, in the order of the accounting identity read = sum of the others.
OUTCOMES = ["rows_kept", "duplicates_removed", "blank_rows_dropped", "total_rows_dropped"]
DROP_RULES = {"blank-row-dropped": "blank_rows_dropped", "total-row-dropped": "total_rows_dropped"}
SECTIONS = ["q-overview", "q-counts", "q-log", "q-duplicates", "q-unmatched", "q-missing",
            "q-approx"]  # fmt: skip
LOG_COLUMNS = ["file", "row", "column", "variable", "old_value", "new_value", "rule"]
DUP_COLUMNS = ["instrument", "duplicate_group", "source_file", "source_row", "wave", "province",
               "commune", "submitted_at", "kept", "differs_from_kept"]  # fmt: skip
UNMATCHED_COLUMNS = ["instrument", "period", "wave", "source_file", "source_row", "province",
                     "district", "commune", "match_status", "match_candidates"]  # fmt: skip


def _t(lang: str, key: str, **values: object) -> str:
    if lang not in narrate.LANGS:
        raise ParameterError(f"lang must be one of {narrate.LANGS}, got {lang!r}")
    return narrate.t(lang, key, **values)


def open_data(
    data_dir: str = "data/processed", province: str | int | None = None, units: str = "auto"
) -> tuple[Dataset, Place | None]:
    """The processed data and the place a report is about (None: all provinces).

    ``province``: name or GSO code, old or new units (as
    :func:`analysis.dataset.resolve_province` reads it); ParameterError when it is unknown or
    has no survey data.
    """
    if units not in ("auto", "old", "new"):
        raise ParameterError(f"units must be 'auto', 'old' or 'new', got {units!r}")
    data = load_dataset(data_dir)
    if province is None or str(province).strip() == "":
        return data, None
    place = data.place(province, units)  # type: ignore[arg-type]
    if data.communes_of(place).empty:
        have = ", ".join(p.short_name for p in data.provinces(place.period))
        raise ParameterError(f"no survey data for {place.name}; provinces with data: {have}")
    return data, place


# ----------------------------------------------------------------------------- attribution


def _frame(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``df`` with at least ``columns`` (an empty report file is read as a frame without any)."""
    return df.reindex(columns=list(dict.fromkeys([*columns, *df.columns])))


def _int(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("Int64")


@lru_cache(maxsize=8)
def _rows(data: Dataset) -> pd.DataFrame:
    """Every kept row: table, source_file, source_row, wave, province codes of both periods."""
    parts = []
    for name in TABLES:
        df = getattr(data, name)
        if df.empty or "source_file" not in df:
            continue
        na = pd.Series(pd.NA, index=df.index, dtype="Int64")
        parts.append(
            pd.DataFrame(
                {
                    "table": name,
                    "source_file": df["source_file"].astype("str"),
                    "source_row": _int(df["source_row"]),
                    "wave": _int(df["wave"]) if "wave" in df else na,
                    "province_code_old": _int(df.get("province_code_old", na)),
                    "province_code_new": _int(df.get("province_code_new", na)),
                }
            )
        )
    columns = ["table", "source_file", "source_row", "wave", "province_code_old",
               "province_code_new"]  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


@lru_cache(maxsize=8)
def _file_info(data: Dataset) -> pd.DataFrame:
    """Per file: its table, first wave, and its province code of each period when every kept
    row of the file is in one province (else missing)."""
    rows = _rows(data)
    g = rows.groupby("source_file", sort=True)
    out = pd.DataFrame({"table": g["table"].first(), "wave": g["wave"].min()})
    for period in ("old", "new"):
        col = f"province_code_{period}"
        lo, hi = g[col].min(), g[col].max()
        out[col] = lo.where(lo == hi).astype("Int64")
    return out


def _codes(
    data: Dataset, frame: pd.DataFrame, period: str, file: str, row: str | None
) -> pd.Series:
    """Province code (of ``period``) of each row of ``frame``: by (file, row) among the kept
    rows, else by file when the file is in one province; missing when unknown."""
    col = f"province_code_{period}"
    code = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if row is not None and len(frame):
        kept = _rows(data).drop_duplicates(["source_file", "source_row"])
        keys = pd.DataFrame(
            {"source_file": frame[file].astype("str"), "source_row": _int(frame[row])}
        )
        found = keys.merge(kept[["source_file", "source_row", col]], how="left", validate="m:1")
        code = pd.Series(found[col].to_numpy(), index=frame.index, dtype="Int64")
    by_file = frame[file].astype("str").map(_file_info(data)[col])
    return code.fillna(by_file).astype("Int64")


def _mask(codes: pd.Series, place: Place | None) -> pd.Series:
    if place is None:
        return pd.Series(True, index=codes.index)
    return (codes == place.code).fillna(False).astype(bool)


def log_entries(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """The cleaning log (one row per entry: file, row, column, variable, old and new value,
    rule), of the place's files and rows."""
    log = _frame(data.log, LOG_COLUMNS)
    log = log.assign(row=_int(log["row"]))
    if place is None:
        return log.reset_index(drop=True)
    keep = _mask(_codes(data, log, place.period, "file", "row"), place)
    return log[keep].reset_index(drop=True)


def duplicate_rows(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """The duplicates report (every member of every duplicate group), of the place."""
    dup = _frame(data.duplicates, DUP_COLUMNS)
    dup = dup.assign(kept=dup["kept"].astype("boolean").fillna(False).astype(bool))
    if place is None or dup.empty:
        return dup.reset_index(drop=True)
    code = _codes(data, dup, place.period, "source_file", "source_row")
    group = code.groupby([dup["instrument"], dup["duplicate_group"]]).transform("max")
    keep = _mask(group.astype("Int64"), place)
    return dup[keep].reset_index(drop=True)


def unmatched_rows(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Rows whose place name matched no official unit or several (with the candidates), sorted
    by file and row."""
    um = _frame(data.unmatched, UNMATCHED_COLUMNS)
    if place is not None and not um.empty:
        um = um[_mask(_codes(data, um, place.period, "source_file", "source_row"), place)]
    um = um.assign(source_row=_int(um["source_row"]), wave=_int(um["wave"]))
    return um.sort_values(["source_file", "source_row"], kind="stable")[
        UNMATCHED_COLUMNS
    ].reset_index(drop=True)


# ----------------------------------------------------------------------------- counts


def _events(data: Dataset, place: Place | None) -> pd.DataFrame:
    """One row per raw data row: table, file, wave and outcome (one of :data:`OUTCOMES`)."""
    rows = _rows(data)
    if place is not None:
        rows = rows[_mask(rows[f"province_code_{place.period}"], place)]
    kept = rows[["table", "source_file", "wave"]].assign(outcome="rows_kept")
    dup = duplicate_rows(data, place)
    dup = dup[~dup["kept"]]
    removed = pd.DataFrame(
        {
            "table": dup["instrument"].map(INSTRUMENT_TABLE),
            "source_file": dup["source_file"].astype("str"),
            "wave": _int(dup["wave"]),
            "outcome": "duplicates_removed",
        }
    )
    log = log_entries(data, place)
    log = log[log["rule"].isin(list(DROP_RULES))]
    info = _file_info(data)
    dropped = pd.DataFrame(
        {
            "table": log["file"].map(info["table"]),
            "source_file": log["file"].astype("str"),
            "wave": log["file"].map(info["wave"]).astype("Int64"),
            "outcome": log["rule"].map(DROP_RULES),
        }
    )
    out = pd.concat([kept, removed, dropped], ignore_index=True)
    out["table"] = out["table"].fillna("unknown")
    return out.rename(columns={"source_file": "file"})


def _tally(events: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    n = events.groupby([*by, "outcome"], dropna=False, sort=True).size().unstack("outcome")
    n = n.reindex(columns=OUTCOMES).fillna(0).astype("int64").rename_axis(columns=None)
    n.insert(0, "rows_read", n.sum(axis=1))
    return n.reset_index()


def _table_order(df: pd.DataFrame) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(TABLES)}
    return (
        df.assign(_o=df["table"].map(order).fillna(len(order)))
        .sort_values(["_o", *[c for c in ("wave", "file") if c in df]], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def files(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Per raw file read (of the place's rows): table, wave, rows read, rows kept, duplicates
    removed, blank and total rows dropped, log entries and unmatched rows (all counts of rows)."""
    events = _events(data, place)
    out = _tally(events, ["table", "file"])
    waves = events.groupby("file")["wave"].min()
    out.insert(2, "wave", out["file"].map(waves).astype("Int64"))
    log = log_entries(data, place)
    um = unmatched_rows(data, place)
    out["log_entries"] = out["file"].map(log["file"].value_counts()).fillna(0).astype("int64")
    out["unmatched"] = out["file"].map(um["source_file"].value_counts()).fillna(0).astype("int64")
    return _table_order(out)


def counts(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Per table and wave (missing for the pilot registry): files, rows read, rows kept,
    duplicates removed, blank and total rows dropped. Rows read = the sum of the other four."""
    events = _events(data, place)
    out = _tally(events, ["table", "wave"])
    nfiles = events.groupby(["table", "wave"], dropna=False)["file"].nunique()
    out = out.merge(nfiles.rename("files").reset_index(), on=["table", "wave"], how="left")
    out = out[["table", "wave", "files", "rows_read", *OUTCOMES]]
    return _table_order(out.assign(wave=out["wave"].astype("Int64")))


def overview(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Headline counts (``measure``, ``value``): raw files, files read and ignored, rows read,
    rows kept per table, rows dropped, duplicates removed, log entries, rows to review."""
    c = counts(data, place)
    log = log_entries(data, place)
    ignored = int(log["rule"].astype("str").str.startswith("file-ignored").sum())
    read = int(c["files"].sum())
    if place is None:  # every raw file, also one that held no data rows
        read = len(data.manifest.get("raw_files", {})) - ignored
    rows = [
        ("q_raw_files", read + ignored),
        ("q_files_read", read),
        ("q_files_ignored", ignored),
        ("q_rows_read", int(c["rows_read"].sum())),
        *[(f"rows_kept:{name}", int(c.loc[c["table"] == name, "rows_kept"].sum()))
          for name in TABLES],
        ("duplicates", int(c["duplicates_removed"].sum())),
        ("q_blank_rows", int(c["blank_rows_dropped"].sum())),
        ("q_total_rows", int(c["total_rows_dropped"].sum())),
        ("corrections", len(log)),
        ("unmatched", len(unmatched_rows(data, place))),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["measure", "value"])


# ----------------------------------------------------------------------------- cleaning log


def _summary(log: pd.DataFrame, by: str) -> pd.DataFrame:
    """Entries per value of ``by`` (most first, then by name), their share of all entries (0–1)
    and the number of files they come from."""
    key = log[by].astype("str").where(log[by].notna(), "")
    g = log.groupby(key, sort=True)
    out = pd.DataFrame({"entries": g.size(), "files": g["file"].nunique()})
    out["share"] = out["entries"] / max(len(log), 1)
    out = out.rename_axis(by).reset_index()
    out[by] = out[by].replace("", pd.NA)
    return out.sort_values(["entries", by], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def log_by_rule(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Cleaning-log entries by rule: rule, entries, files, share (0–1). Entries sum to the
    log's length."""
    return _summary(log_entries(data, place), "rule")


def log_by_variable(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Cleaning-log entries by catalogue variable (missing: entries about a whole file or row):
    variable, entries, files, share (0–1)."""
    return _summary(log_entries(data, place), "variable")


def log_by_file(data: Dataset, place: Place | None = None, top: int | None = 10) -> pd.DataFrame:
    """Files with the most cleaning-log entries (``top`` of them; None: all): file, entries,
    rules (distinct), share (0–1), rows kept from the file (of the place)."""
    log = log_entries(data, place)
    out = _summary(log, "file").drop(columns="files")
    out.insert(2, "rules", out["file"].map(log.groupby("file")["rule"].nunique()).astype("int64"))
    rows = _rows(data)
    if place is not None:
        rows = rows[_mask(rows[f"province_code_{place.period}"], place)]
    kept = rows["source_file"].value_counts()
    out["rows_kept"] = out["file"].map(kept).fillna(0).astype("int64")
    return out if top is None else out.head(top)


# ----------------------------------------------------------------------------- duplicates


def duplicates_summary(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Per questionnaire: duplicate groups, submissions in them, submissions removed (all kept
    but the latest of each group). ``removed`` sums to the manifest's ``duplicates_removed``."""
    dup = duplicate_rows(data, place)
    g = dup.groupby("instrument", sort=True)
    out = pd.DataFrame(
        {
            "groups": g["duplicate_group"].nunique(),
            "in_groups": g.size(),
            "removed": g["kept"].agg(lambda k: int((~k).sum())),
        }
    ).astype("int64")
    return out.rename_axis("instrument").reset_index()


def duplicate_columns(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Columns in which removed submissions differ from the kept one: column, submissions
    (removed ones that differ there), share of removed submissions (0–1); most first."""
    dup = duplicate_rows(data, place)
    removed = dup[~dup["kept"]]
    cols = removed["differs_from_kept"].dropna().astype("str").str.split(";").explode()
    cols = cols[cols.str.len() > 0]
    out = cols.value_counts().rename_axis("column").reset_index(name="submissions")
    out["share"] = out["submissions"] / max(len(removed), 1)
    return out.sort_values(
        ["submissions", "column"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


# ----------------------------------------------------------------------------- missing values


def _table_of(data: Dataset, place: Place | None, instrument: str) -> pd.DataFrame:
    if instrument == "household":
        return data.households if place is None else data.households_of(place)
    return data.communes if place is None else data.communes_of(place)


def missingness(
    data: Dataset,
    place: Place | None = None,
    *,
    by: str | None = "province",
    instrument: str = "commune",
    wave: int | None = None,
) -> pd.DataFrame:
    """Share of missing values (0–1) per indicator (rows, catalogue order) and group (columns):
    ``by="province"`` (the place's period, old units for all provinces; short names, in code
    order), ``"wave"`` or None (one column, ``all``). ``wave``: one wave, None for all pooled."""
    df = _table_of(data, place, instrument)
    if wave is not None:
        df = df[df["wave"] == wave]
    names = [n for n in load_catalogue().indicators(instrument) if n in df]
    if df.empty or not names:
        return pd.DataFrame(index=names, dtype="float64")
    miss = df[names].isna()
    if by is None:
        return miss.mean().to_frame("all")
    if by == "wave":
        out = miss.groupby(_int(df["wave"]), sort=True).mean().T
        out.columns = [str(c) for c in out.columns]
        return out.rename_axis(index=None, columns=None)
    if by != "province":
        raise ValueError(f"by must be 'province', 'wave' or None, got {by!r}")
    period = place.period if place is not None else "old"
    code, name = df[f"province_code_{period}"], df[f"province_name_{period}"]
    out = miss.groupby(code, sort=True).mean().T
    names_by_code = name.groupby(code).first()
    out.columns = [_short(names_by_code[c]) for c in out.columns]
    return out.rename_axis(index=None, columns=None)


def _short(name: object) -> str:
    return re.sub(r"^(Tỉnh|Thành phố) ", "", str(name))


def approximate(data: Dataset, place: Place | None = None) -> pd.DataFrame:
    """Values written in words ("gần 85%"), per table and variable that has any value: values
    (non-missing), approximate (of those), share (0–1)."""
    rows = []
    for table_name in ("communes", "households"):
        df = _table_of(data, place, TABLES[table_name])
        for col in [c for c in df.columns if c.endswith("_approx")]:
            name = col.removesuffix("_approx")
            if name not in df:
                continue
            present = df[name].notna()
            n = int(present.sum())
            k = int((df[col].fillna(False).astype(bool) & present).sum())
            if n:
                rows.append((table_name, name, n, k, k / n))
    return pd.DataFrame(rows, columns=["table", "variable", "values", "approximate", "share"])


# ----------------------------------------------------------------------------- chart


def heatmap(values: pd.DataFrame, *, lang: str, label: str) -> plt.Figure:
    """Shares (0–1) as a grid, ``values``' index as rows and columns as columns, each cell
    written in percent; the colour scale runs from 0 to the largest share (at least 10%)."""
    import matplotlib.pyplot as plt

    v = values.to_numpy(dtype="float64")
    top = max(0.1, float(np.nanmax(v))) if np.isfinite(v).any() else 1.0
    nrow, ncol = v.shape
    fig, ax = plt.subplots(figsize=(plot.WIDTH, 0.26 * nrow + 1.4))
    im = ax.imshow(v, cmap="Reds", vmin=0, vmax=top, aspect="auto")
    columns = [str(c) for c in values.columns]
    tilt = {"rotation": 40, "ha": "right"} if max(map(len, columns), default=0) > 4 else {}
    ax.set_xticks(np.arange(ncol), columns, fontsize=7, **tilt)
    ax.set_yticks(np.arange(nrow), [str(i) for i in values.index], fontsize=7)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    if nrow * ncol <= 800:
        for i, j in np.ndindex(v.shape):
            if np.isfinite(v[i, j]):
                ax.text(j, i, narrate.number(100 * v[i, j], lang, 2), ha="center",
                        va="center", fontsize=6,
                        color="white" if v[i, j] > 0.6 * top else "#333")  # fmt: skip
    bar = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    bar.ax.yaxis.set_major_formatter(
        lambda x, _: f"{100 * x:g}".replace(".", "," if lang == "vi" else ".")
    )
    bar.set_label(label, fontsize=7)
    bar.ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- sections


def _label(name: object, lang: str) -> str:
    try:
        return str(load_catalogue().label(str(name), lang))
    except KeyError:
        return str(name)


def _count(n: object, lang: str) -> str:
    """A whole number with the language's thousands separator (9.875 / 9,875)."""
    n = int(n)  # type: ignore[call-overload]
    return narrate.number(n, lang, len(str(abs(n))))


def _counts(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``df`` with its integer columns written as counts."""
    return df.apply(lambda s: s.map(lambda n: _count(n, lang)) if s.dtype.kind == "i" else s)


def _pct(share: float, lang: str) -> str:
    return narrate.number(100 * share, lang, 2)


def _wave(w: object) -> str:
    return "—" if pd.isna(w) else str(int(w))


def _rule_meaning(rule: object, lang: str) -> str:
    key = "q_rule_" + re.split(r"[ (]", str(rule), maxsplit=1)[0]
    return narrate.TEXT[lang].get(key, "")


def _table_name(name: str, lang: str) -> str:
    return narrate.TEXT[lang].get(f"q_table_{name}", name)


def place_name(place: Place | None, lang: str) -> str:
    """How a report names its place: the province and its period, or all provinces."""
    if place is None:
        return _t(lang, "q_all")
    return f"{place.short_name} ({_t(lang, f'period_{place.period}')})"


def header(data: Dataset, place: Place | None = None, lang: str = "vi") -> Fragment:
    """Title, data fingerprint, the synthetic-data notice and the contents."""
    title = _t(lang, "q_title", place=place_name(place, lang))
    missing = "q_missing_province" if place is None else "q_missing_wave"
    keys = ["q_overview", "q_counts", "q_log", "q_duplicates", "q_unmatched", missing, "q_approx"]
    toc = "".join(
        f'<li><a href="#{a}">{esc(_t(lang, k))}</a></li>'
        for a, k in zip(SECTIONS, keys, strict=True)
    )
    meta = f"{_t(lang, 'q_subtitle')} · {_t(lang, 'fingerprint')}: {data.fingerprint}"
    return Fragment(
        f'<header><h1>{esc(title)}</h1><p class="meta">{esc(meta)}</p>'
        f'<p class="callout">{esc(_t(lang, "synthetic"))}</p></header>'
        f'<nav class="toc"><strong>{esc(_t(lang, "toc"))}</strong><ol>{toc}</ol></nav>'
    )


def overview_section(data: Dataset, place: Place | None = None, lang: str = "vi") -> Fragment:
    """The headline counts as a list."""
    items = []
    for measure, value in overview(data, place).itertuples(index=False):
        if measure.startswith("rows_kept:"):
            name = _table_name(measure.split(":", 1)[1], lang)
            text = _t(lang, "q_rows_kept_in", table=name)
        else:
            text = _t(lang, measure)
        items.append(f"{text}: {_count(value, lang)}")
    return section("q-overview", _t(lang, "q_overview"), bullets(items))


def counts_section(data: Dataset, place: Place | None = None, lang: str = "vi") -> Fragment:
    """Files and rows by table and wave, and the files with the most log entries."""
    c = counts(data, place)
    shown = pd.DataFrame({
        _t(lang, "q_table"): c["table"].map(lambda n: _table_name(n, lang)),
        _t(lang, "wave"): c["wave"].map(_wave),
        _t(lang, "q_files"): c["files"],
        _t(lang, "q_rows_read"): c["rows_read"],
        _t(lang, "duplicates"): c["duplicates_removed"],
        _t(lang, "q_blank_rows"): c["blank_rows_dropped"],
        _t(lang, "q_total_rows"): c["total_rows_dropped"],
        _t(lang, "q_rows_kept"): c["rows_kept"],
    })  # fmt: skip
    return section(
        "q-counts",
        _t(lang, "q_counts"),
        table(_counts(shown, lang), note=_t(lang, "q_counts_note")),
    )


def log_section(
    data: Dataset, place: Place | None = None, lang: str = "vi", top: int = 10
) -> Fragment:
    """The cleaning log by rule (with what each rule means), by variable, and its top files."""
    rule = log_by_rule(data, place)
    by_rule = pd.DataFrame({
        _t(lang, "q_rule"): rule["rule"],
        _t(lang, "q_meaning"): rule["rule"].map(lambda r: _rule_meaning(r, lang)),
        _t(lang, "q_entries"): rule["entries"],
        _t(lang, "q_files"): rule["files"],
        _t(lang, "q_share"): rule["share"].map(lambda s: _pct(s, lang)),
    })  # fmt: skip
    var = log_by_variable(data, place)
    by_var = pd.DataFrame({
        _t(lang, "q_variable"): var["variable"].map(
            lambda v: _t(lang, "q_whole") if pd.isna(v) else _label(v, lang)),
        _t(lang, "q_name"): var["variable"].fillna(""),
        _t(lang, "q_entries"): var["entries"],
        _t(lang, "q_files"): var["files"],
        _t(lang, "q_share"): var["share"].map(lambda s: _pct(s, lang)),
    })  # fmt: skip
    f = log_by_file(data, place, top=top)
    by_file = pd.DataFrame({
        _t(lang, "q_file"): f["file"],
        _t(lang, "q_entries"): f["entries"],
        _t(lang, "q_n_rules"): f["rules"],
        _t(lang, "q_rows_kept"): f["rows_kept"],
    })  # fmt: skip
    return section(
        "q-log",
        _t(lang, "q_log"),
        f"<h3>{esc(_t(lang, 'q_by_rule'))}</h3>",
        table(_counts(by_rule, lang)),
        f"<h3>{esc(_t(lang, 'q_by_variable'))}</h3>",
        table(_counts(by_var, lang)),
        f"<h3>{esc(_t(lang, 'q_by_file', n=len(f)))}</h3>",
        table(_counts(by_file, lang)),
    )


def duplicates_section(
    data: Dataset, place: Place | None = None, lang: str = "vi", top: int = 15
) -> Fragment:
    """Duplicate groups per questionnaire and the columns that differed most."""
    s = duplicates_summary(data, place)
    if s.empty:
        return section("q-duplicates", _t(lang, "q_duplicates"), paragraph(_t(lang, "q_none")))
    summary = pd.DataFrame({
        _t(lang, "q_table"): s["instrument"].map(lambda i: _table_name(INSTRUMENT_TABLE[i], lang)),
        _t(lang, "q_groups"): s["groups"],
        _t(lang, "q_in_groups"): s["in_groups"],
        _t(lang, "q_removed"): s["removed"],
    })  # fmt: skip
    cols = duplicate_columns(data, place).head(top)
    differs = pd.DataFrame({
        _t(lang, "q_column"): cols["column"].map(lambda c: _label(c, lang)),
        _t(lang, "q_name"): cols["column"],
        _t(lang, "q_rows"): cols["submissions"],
        _t(lang, "q_share"): cols["share"].map(lambda x: _pct(x, lang)),
    })  # fmt: skip
    return section(
        "q-duplicates",
        _t(lang, "q_duplicates"),
        table(_counts(summary, lang), note=_t(lang, "q_dup_rule")),
        f"<h3>{esc(_t(lang, 'q_differs'))}</h3>",
        table(_counts(differs, lang)),
    )


def unmatched_section(data: Dataset, place: Place | None = None, lang: str = "vi") -> Fragment:
    """Every row whose place name needs review, with the candidate units."""
    um = unmatched_rows(data, place)
    if um.empty:
        return section("q-unmatched", _t(lang, "q_unmatched"), paragraph(_t(lang, "q_none")))
    shown = pd.DataFrame({
        _t(lang, "q_file"): um["source_file"],
        _t(lang, "q_row"): um["source_row"],
        _t(lang, "q_province_raw"): um["province"].fillna(""),
        _t(lang, "q_district_raw"): um["district"].fillna(""),
        _t(lang, "q_commune_raw"): um["commune"].fillna(""),
        _t(lang, "q_match_status"): um["match_status"].map(
            lambda s: narrate.TEXT[lang].get(f"q_status_{s}", s)),
        _t(lang, "q_candidates"): um["match_candidates"].fillna(""),
    })  # fmt: skip
    return section(
        "q-unmatched",
        _t(lang, "q_unmatched"),
        table(shown, note=_t(lang, "q_unmatched_note")),
    )


def _shares(values: pd.DataFrame, lang: str, first: str) -> pd.DataFrame:
    shown = values.map(lambda s: "" if pd.isna(s) else _pct(s, lang))
    shown.insert(0, first, values.index)
    return shown


def missing_section(data: Dataset, place: Place | None = None, lang: str = "vi") -> Fragment:
    """Missing shares by indicator and province (all provinces) or wave (one province): a
    heatmap and the table; the household indicators by wave below."""
    by = "province" if place is None else "wave"
    title = _t(lang, f"q_missing_{by}")
    miss = missingness(data, place, by=by)
    miss.index = [_label(n, lang) for n in miss.index]
    fig = heatmap(miss, lang=lang, label=_t(lang, "q_heatmap_x"))
    parts = [
        figure(plot.encode(fig), title, title),
        table(_shares(miss, lang, _t(lang, "indicator")), note=_t(lang, "q_missing_note")),
    ]
    hh = missingness(data, place, by="wave", instrument="household")
    if not hh.empty and len(hh.columns):
        hh.index = [_label(n, lang) for n in hh.index]
        parts += [
            f"<h3>{esc(_t(lang, 'q_missing_households'))}</h3>",
            table(_shares(hh, lang, _t(lang, "indicator"))),
        ]
    return section("q-missing", title, *parts)


def approximate_section(data: Dataset, place: Place | None = None, lang: str = "vi") -> Fragment:
    """Variables with values written in words, largest share first."""
    a = approximate(data, place)
    a = a[a["approximate"] > 0].sort_values(
        ["share", "table", "variable"], ascending=[False, True, True], kind="stable"
    )
    if a.empty:
        return section("q-approx", _t(lang, "q_approx"), paragraph(_t(lang, "q_none")))
    shown = pd.DataFrame({
        _t(lang, "q_table"): a["table"].map(lambda n: _table_name(n, lang)),
        _t(lang, "q_variable"): a["variable"].map(lambda v: _label(v, lang)),
        _t(lang, "q_values"): a["values"],
        _t(lang, "q_approx_n"): a["approximate"],
        _t(lang, "q_share"): a["share"].map(lambda s: _pct(s, lang)),
    })  # fmt: skip
    return section(
        "q-approx",
        _t(lang, "q_approx"),
        table(_counts(shown, lang), note=_t(lang, "q_approx_note")),
    )


def sections(data: Dataset, place: Place | None = None, lang: str = "vi") -> list[Fragment]:
    """Every section of the data-quality report, in order."""
    return [
        header(data, place, lang),
        overview_section(data, place, lang),
        counts_section(data, place, lang),
        log_section(data, place, lang),
        duplicates_section(data, place, lang),
        unmatched_section(data, place, lang),
        missing_section(data, place, lang),
        approximate_section(data, place, lang),
    ]


# ----------------------------------------------------------------------------- exploration


def check_indicator(brief: Brief, indicator: str) -> str:
    """The indicator's label if the brief compares it (two values or more in each group at
    its wave), else ParameterError listing the ones it does."""
    if not brief.indicators:
        raise ParameterError(
            _t(brief.lang, "q_no_indicators", place=brief.place.short_name, wave=brief.wave)
        )
    if indicator not in brief.indicators:
        raise ParameterError(
            _t(
                brief.lang,
                "q_not_indicator",
                name=indicator,
                place=brief.place.short_name,
                wave=brief.wave,
                names=", ".join(brief.indicators),
            )  # fmt: skip
        )
    return brief.label(indicator)


def _unit(brief: Brief, indicator: str) -> str:
    return brief.catalogue.variables("commune").loc[indicator, "unit"] or ""


def indicator_trends(brief: Brief, indicator: str) -> pd.DataFrame:
    """Mean of one indicator by wave and group with a 95% interval (:meth:`Brief.trends_data`)."""
    return brief.trends_data([indicator])


def indicator_figure(brief: Brief, indicator: str) -> Fragment:
    """Charts of one indicator: its distribution by group at the brief's wave, and its mean by
    wave (pilots vs others) when the data hold several waves."""
    label = check_indicator(brief, indicator)
    lang = brief.lang
    groups = (_t(lang, "others"), _t(lang, "pilots"))
    cur = brief.current.assign(pilot=brief.current["group"] == 1)
    fig = plot.distributions(cur, [indicator], {indicator: label}, group_labels=groups, ncols=1)
    title = f"{label} — {_t(lang, 'distributions', wave=brief.wave)}"
    parts = [figure(plot.encode(fig), title, title)]
    trends = indicator_trends(brief, indicator)
    if trends["wave"].nunique() > 1:
        fig = plot.trends(trends, {indicator: label}, group_labels=groups, ncols=1)
        title = f"{label} — {_t(lang, 'trends')}"
        parts.append(figure(plot.encode(fig), title, title))
    return Fragment("".join(parts))


def covariates(df: pd.DataFrame) -> list[str]:
    """Numeric context variables of the commune catalogue (population, households, area_ha,
    villages) present in ``df`` with at least two distinct values — regression controls."""
    names = load_catalogue().variables("commune", "context")
    numeric = names[names["dtype"].isin(["number", "integer"])]["name"]
    return [n for n in numeric if n in df and df[n].nunique(dropna=True) > 1]


def did_for(brief: Brief, indicator: str) -> stats.DiDResult | None:
    """The staggered DiD of one indicator (:meth:`Brief.did_for`); None when the waves do not
    allow it."""
    check_indicator(brief, indicator)
    return brief.did.get(indicator) or brief.did_for(indicator)


def describe(result: object, brief: Brief, indicator: str) -> str:
    """A result's ``.summary()`` and its ``.sentence(lang)`` (with the indicator's label and
    unit), or the brief's "no DiD" text when ``result`` is None."""
    if result is None:
        return _t(brief.lang, "no_did")
    unit = narrate.unit_phrase(_unit(brief, indicator), brief.lang)
    res: stats.EstimateResult = result  # type: ignore[assignment]
    sentence = res.sentence(brief.lang, label=brief.label(indicator), unit=unit)
    return f"{res.summary()}\n\n{sentence}"
