"""Brief: the analyses and sections of a province brief (the notebook only calls these).

``Brief.build(province=..., wave=..., lang=...)`` checks the parameters, computes every table
once, and each section method returns an HTML :class:`~analysis.render.Fragment` that the
notebook displays. The same object gives the tables for the Excel download (:meth:`tables`).

Design, for a province P and wave W (the latest by default):

* groups: pilot communes under way by W (``treated``) against communes that are not pilots;
  pilots whose adoption wave is after W are left out of the cross-section;
* comparison: :func:`~analysis.stats.balance_table` (Welch) plus a permutation test per
  indicator (exact or Monte Carlo) with Holm's correction over indicators — the p-values the
  findings use, because pilot groups are small;
* over waves: Callaway–Sant'Anna difference-in-differences for the headline indicators, with
  the TWFE estimate alongside;
* households: weighted, clustered by commune; groups with fewer respondents than
  ``min_cell`` are suppressed in tables and charts.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import __version__, narrate, plot, stats, store
from analysis.catalogue import Catalogue, load
from analysis.dataset import Dataset, ParameterError, Place
from analysis.dataset import load as load_dataset
from analysis.narrate import t
from analysis.provenance import code_digest
from analysis.render import (
    RECORD_MIME,
    Fragment,
    bullets,
    esc,
    figure,
    paragraph,
    section,
    table,
)

log = logging.getLogger(__name__)

SECTIONS = ["findings", "coverage", "comparison", "charts", "did", "households", "changes",
            "methods", "provenance"]  # fmt: skip
UNIT_COLUMN = "commune_code_old"


@dataclass(frozen=True)
class BriefParams:
    """The parameters of a province brief (the notebook's ``parameters`` cell mirrors them).

    ``province``: name or GSO code, old or new units; ``units``: "auto" (a name of the old list
    first), "old" or "new"; ``wave``: survey year, None for the latest; ``lang``: "vi" or "en";
    ``alpha``: significance level; ``min_cell``: fewest respondents a published cell may have.
    """

    province: str | int = "Quảng Ninh"
    wave: int | None = None
    lang: str = "vi"
    alpha: float = 0.05
    data_dir: str = "data/processed"
    min_cell: int = 10
    units: str = "auto"
    generated_at: str | None = None

    def check(self) -> None:
        if self.lang not in narrate.LANGS:
            raise ParameterError(f"lang must be one of {narrate.LANGS}, got {self.lang!r}")
        if not 0 < float(self.alpha) < 0.5:
            raise ParameterError(f"alpha must be between 0 and 0.5, got {self.alpha!r}")
        if int(self.min_cell) < 1:
            raise ParameterError(f"min_cell must be a positive whole number, got {self.min_cell!r}")
        if self.units not in ("auto", "old", "new"):
            raise ParameterError(f"units must be 'auto', 'old' or 'new', got {self.units!r}")


def resolve(params: BriefParams, data: Dataset | None = None) -> tuple[Place, int, Dataset]:
    """Check a brief's parameters against the data: (place, wave, dataset), or ParameterError."""
    params.check()
    data = data or load_dataset(params.data_dir)
    place = data.place(params.province, params.units)  # type: ignore[arg-type]
    communes = data.communes_of(place)
    if communes.empty:
        have = ", ".join(p.short_name for p in data.provinces(place.period))
        raise ParameterError(f"no survey data for {place.name}; provinces with data: {have}")
    waves = sorted(int(w) for w in communes["wave"].unique())
    wave = waves[-1] if params.wave is None else int(params.wave)
    if wave not in waves:
        raise ParameterError(f"wave {wave} is not in the data for {place.name}; waves: {waves}")
    if not communes["pilot"].any():
        raise ParameterError(
            f"{place.name} has no pilot communes in the registry: there is "
            "nothing to compare (a province brief needs at least one pilot)"
        )
    if not communes.loc[communes["wave"] == wave, "treated"].any():
        first = int(communes.loc[communes["pilot"], "adoption_wave"].min())
        raise ParameterError(
            f"{place.name} has no pilot commune under way by wave {wave} "
            f"(the first pilots count from wave {first})"
        )
    return place, wave, data


def comparison_groups(df: pd.DataFrame, wave: int) -> pd.DataFrame:
    """Rows of ``wave`` in the comparison: pilots under way (``group`` 1) and non-pilots (0);
    pilots not yet under way are left out."""
    rows = df[(df["wave"] == wave) & (df["treated"] | ~df["pilot"])].copy()
    rows["group"] = rows["treated"].astype(int)
    return rows


@dataclass(frozen=True)
class Record:
    """A brief's summary, displayed under :data:`RECORD_MIME` (invisible in the HTML)."""

    data: dict

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {RECORD_MIME: self.data}


@dataclass
class Brief:
    """All numbers, tables and sections of one province brief."""

    params: BriefParams
    place: Place
    wave: int
    data: Dataset
    catalogue: Catalogue = field(default_factory=load)

    @classmethod
    def build(cls, **params: object) -> Brief:
        """Check parameters (ParameterError with a clear message) and prepare the brief."""
        p = BriefParams(**params)  # type: ignore[arg-type]
        place, wave, data = resolve(p)
        return cls(p, place, wave, data)

    # ------------------------------------------------------------------ data
    @property
    def lang(self) -> str:
        return self.params.lang

    def label(self, name: str) -> str:
        return self.catalogue.label(name, self.lang)

    def _unit(self, name: str, instrument: str = "commune") -> str:
        return self.catalogue.unit(name, instrument) or ""

    @cached_property
    def communes(self) -> pd.DataFrame:
        """The province's communes over all waves up to the brief's wave."""
        df = self.data.communes_of(self.place)
        df = df[df["wave"] <= self.wave].copy()
        df["treated_int"] = df["treated"].astype(int)
        return df

    @cached_property
    def current(self) -> pd.DataFrame:
        return comparison_groups(self.communes, self.wave)

    @cached_property
    def indicators(self) -> list[str]:
        """Commune indicators with a value for at least one pilot and two others at wave W."""
        names = []
        for name in self.catalogue.indicators("commune"):
            counts = self.current.groupby("group")[name].count().reindex([0, 1]).fillna(0)
            if counts[1] >= 1 and counts[0] >= 2:
                names.append(name)
        return names

    @cached_property
    def comparison(self) -> stats.BalanceTable:
        return stats.balance_table(
            self.current, outcomes=self.indicators, treatment="group", alpha=self.params.alpha
        )

    @cached_property
    def permutation(self) -> dict[str, stats.PermutationResult]:
        return {
            name: stats.permutation_test(
                self.current, outcome=name, treatment="group", alpha=self.params.alpha
            )
            for name in self.indicators
        }

    @cached_property
    def holm(self) -> pd.Series:
        """Holm-adjusted permutation p-values, by indicator."""
        p = pd.Series({k: r.pvalue for k, r in self.permutation.items()}, dtype="float64")
        if p.empty:
            return p
        return pd.Series(stats.adjust_pvalues(p.to_numpy()), index=p.index)

    @cached_property
    def did(self) -> dict[str, stats.DiDResult]:
        """Staggered DiD for the headline indicators, when the waves allow it."""
        results = {n: self.did_for(n) for n in self.catalogue.headline("commune")
                   if n in self.indicators}  # fmt: skip
        return {n: r for n, r in results.items() if r is not None}

    @cached_property
    def _did_panel(self) -> pd.DataFrame | None:
        """The commune panel for DiD, or None when the waves cannot identify an effect (it
        needs pilots observed before and after adoption, and communes that are not pilots)."""
        panel = self.communes.dropna(subset=[UNIT_COLUMN])
        pilots = panel[panel["pilot"]]
        has_pre = (pilots["wave"] < pilots["adoption_wave"]).any()
        has_post = pilots["treated"].any()
        if panel["wave"].nunique() < 2 or not (has_pre and has_post) or panel["pilot"].all():
            return None
        return panel

    def did_for(self, name: str) -> stats.DiDResult | None:
        """Callaway–Sant'Anna DiD of one commune indicator (never-pilot controls), or None."""
        if self._did_panel is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.StatsWarning)
            try:
                return stats.did(self._did_panel.dropna(subset=[name]), outcome=name,
                                 treatment="treated_int", time="wave", unit=UNIT_COLUMN,
                                 alpha=self.params.alpha)  # fmt: skip
            except ValueError as exc:  # e.g. no cohort with a pre-period for this indicator
                log.info("%s: no DiD for %s: %s", self.place.name, name, exc)
                return None

    @cached_property
    def chart_indicators(self) -> list[str]:
        """Up to six indicators for the distribution chart: the headline ones first."""
        headline = [n for n in self.catalogue.headline("commune") if n in self.indicators]
        return list(dict.fromkeys(headline + self.indicators))[:6]

    @cached_property
    def all_households(self) -> pd.DataFrame:
        """The province's household respondents, all waves."""
        return self.data.households_of(self.place)

    @cached_property
    def households(self) -> pd.DataFrame:
        return comparison_groups(self.all_households, self.wave)

    @cached_property
    def household_indicators(self) -> list[str]:
        names = []
        for name in self.catalogue.indicators("household"):
            counts = self.households.groupby("group")[name].count().reindex([0, 1]).fillna(0)
            if counts.min() >= self.params.min_cell:
                names.append(name)
        return names

    @cached_property
    def household_comparison(self) -> stats.BalanceTable | None:
        if not self.household_indicators or self.households[UNIT_COLUMN].nunique() < 3:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", stats.StatsWarning)
            return stats.balance_table(
                self.households,
                outcomes=self.household_indicators,
                treatment="group",
                weights="weight",
                cluster=UNIT_COLUMN,
                alpha=self.params.alpha,
            )

    # ------------------------------------------------------------------ tables
    def _groups(self) -> tuple[str, str]:
        return t(self.lang, "pilots"), t(self.lang, "others")

    @property
    def _level(self) -> int:
        return round(100 * (1 - self.params.alpha))

    def _mean_n(self, mean: float, n: int, scale: float = 1) -> str:
        return f"{narrate.number(scale * mean, self.lang)} ({int(n)})"

    def _interval(self, low: float, high: float, scale: float = 1) -> str:
        return (
            f"{narrate.number(scale * low, self.lang)} … {narrate.number(scale * high, self.lang)}"
        )

    def comparison_table(self) -> pd.DataFrame:
        """The comparison table as the reader sees it (formatted, in the brief's language)."""
        lang, level = self.lang, self._level
        pilots, others = self._groups()
        tab = self.comparison.tidy().set_index("outcome")
        rows = []
        for name in self.indicators:
            r, perm = tab.loc[name], self.permutation[name]
            rows.append({
                t(lang, "indicator"): self.label(name),
                t(lang, "unit"): self._unit(name),
                t(lang, "mean_n", group=pilots): self._mean_n(r["mean_treated"], r["n_treated"]),
                t(lang, "mean_n", group=others): self._mean_n(r["mean_control"], r["n_control"]),
                t(lang, "difference"): narrate.number(r["difference"], lang),
                t(lang, "ci", level=level): self._interval(r["ci_low"], r["ci_high"]),
                t(lang, "p_welch"): narrate.pvalue(r["pvalue"], lang),
                t(lang, "p_perm"): narrate.pvalue(perm.pvalue, lang),
                t(lang, "p_holm"): narrate.pvalue(self.holm[name], lang),
                t(lang, "std_diff"): narrate.number(r["nd_pooled_sd"], lang, 2),
            })  # fmt: skip
        return pd.DataFrame(rows)

    def comparison_data(self) -> pd.DataFrame:
        """The comparison in numbers (for Excel): balance table plus permutation results."""
        perm = pd.concat([r.tidy() for r in self.permutation.values()], ignore_index=True)
        perm = perm[["outcome", "pvalue", "exact", "n_assignments", "min_pvalue", "mde"]].rename(
            columns=lambda c: c if c == "outcome" else f"permutation_{c}"
        )
        out = self.comparison.tidy().merge(perm, on="outcome", how="left")
        out["permutation_p_holm"] = out["outcome"].map(self.holm)
        out.insert(1, "label", out["outcome"].map(self.label))
        return out

    def household_table(self) -> pd.DataFrame | None:
        hc = self.household_comparison
        if hc is None:
            return None
        lang, pilots, others = self.lang, *self._groups()
        rows = []
        for r in hc.tidy().itertuples():
            unit = self._unit(r.outcome, "household")
            scale = 100 if unit == "0/1" else 1
            rows.append({
                t(lang, "indicator"): self.label(r.outcome),
                t(lang, "unit"): "%" if unit == "0/1" else unit,
                t(lang, "mean_n", group=pilots): self._mean_n(r.mean_treated, r.n_treated, scale),
                t(lang, "mean_n", group=others): self._mean_n(r.mean_control, r.n_control, scale),
                t(lang, "difference"): narrate.number(scale * r.difference, lang),
                t(lang, "ci", level=self._level): self._interval(r.ci_low, r.ci_high, scale),
                "p": narrate.pvalue(r.pvalue, lang),
                "p (Holm)": narrate.pvalue(r.p_adjusted, lang),
            })  # fmt: skip
        return pd.DataFrame(rows)

    def trends_data(self, names: list[str] | None = None) -> pd.DataFrame:
        """Mean by wave and group (ever-pilot vs not) with t-based 95% CIs, for ``names``
        (default: the headline indicators)."""
        rows = []
        if names is None:
            names = [n for n in self.catalogue.headline("commune") if n in self.indicators]
        for name in names:
            for (wave, pilot), x in self.communes.groupby(["wave", "pilot"])[name]:
                x = x.dropna().to_numpy(dtype="float64")
                if len(x) == 0:
                    continue
                se = x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else np.nan
                half = (
                    stats.results.t_inference(0.0, se, len(x) - 1, 0.05)[2]
                    if len(x) > 1
                    else np.nan
                )
                rows.append(
                    {
                        "indicator": name,
                        "wave": int(wave),
                        "pilot": bool(pilot),
                        "n": len(x),
                        "mean": x.mean(),
                        "ci_low": x.mean() - half,
                        "ci_high": x.mean() + half,
                    }
                )
        return pd.DataFrame(
            rows, columns=["indicator", "wave", "pilot", "n", "mean", "ci_low", "ci_high"]
        )

    def changes_data(self) -> pd.DataFrame | None:
        waves = sorted(self.communes["wave"].unique())
        if len(waves) < 2:
            return None
        prev = waves[-2]
        means = (
            self.communes[self.communes["wave"].isin([prev, self.wave])]
            .groupby(["pilot", "wave"])[self.indicators]
            .mean()
        )
        rows = []
        for name in self.indicators:
            row = {"indicator": name}
            for pilot, key in ((True, "pilots"), (False, "others")):
                a = means[name].get((pilot, prev), np.nan)
                b = means[name].get((pilot, self.wave), np.nan)
                row.update({f"{key}_{prev}": a, f"{key}_{self.wave}": b, f"{key}_change": b - a})
            rows.append(row)
        return pd.DataFrame(rows)

    def ranking_data(self) -> pd.DataFrame:
        """Mean of the first headline indicator at wave W, per province of the same period."""
        name = self.catalogue.headline("commune")[0]
        col, nm = f"province_code_{self.place.period}", f"province_name_{self.place.period}"
        c = self.data.communes[self.data.communes["wave"] == self.wave]
        out = c.groupby([col, nm])[name].mean().reset_index()
        out["name"] = out[nm].str.replace(r"^(Tỉnh|Thành phố) ", "", regex=True)
        return out.rename(columns={name: "value"})[["name", "value"]].dropna()

    def coverage_data(self) -> pd.DataFrame:
        lang = self.lang
        c = self.communes
        rows = []
        for wave, part in c.groupby("wave"):
            rows.append({
                t(lang, "wave"): int(wave),
                t(lang, "n_communes"): len(part),
                t(lang, "n_pilots"): int(part["treated"].sum()),
                t(lang, "n_pending"): int((part["pilot"] & ~part["treated"]).sum()),
                t(lang, "n_households"): int((self.all_households["wave"] == wave).sum()),
            })  # fmt: skip
        return pd.DataFrame(rows)

    def pilots_data(self) -> pd.DataFrame:
        """The province's pilot communes (official names, old and new units) and their status."""
        lang = self.lang
        c = self.communes[self.communes["pilot"]].sort_values("wave")
        c = c.drop_duplicates(UNIT_COLUMN, keep="last")
        under_way = c["adoption_wave"] <= self.wave
        split_names = c["commune_names_new"].str.replace(";", "; ")
        return pd.DataFrame({
            t(lang, "commune"): c["commune_name_old"].fillna(c["commune"]).to_numpy(),
            t(lang, "district"): c["district_name_old"].to_numpy(),
            t(lang, "new_unit"): c["commune_name_new"].fillna(split_names).to_numpy(),
            t(lang, "start"): c["pilot_start"].dt.strftime("%d/%m/%Y").to_numpy(),
            t(lang, "adoption_wave"): c["adoption_wave"].to_numpy(),
            t(lang, "status"): np.where(under_way, t(lang, "under_way"), t(lang, "not_yet")),
        }).sort_values(t(lang, "commune")).reset_index(drop=True)  # fmt: skip

    def quality_data(self) -> dict[str, int]:
        files = set(self.communes["source_file"]) | set(self.all_households["source_file"])
        log_ = self.data.log
        dup = self.data.duplicates
        um = self.data.unmatched
        return {
            "corrections": int(log_["file"].isin(files).sum()) if len(log_) else 0,
            "duplicates": int((~dup["kept"].astype(bool) & dup["source_file"].isin(files)).sum())
            if len(dup) else 0,
            "unmatched": int(um["source_file"].isin(files).sum()) if len(um) else 0,
        }  # fmt: skip

    def missing_data(self) -> pd.DataFrame:
        cur = self.communes[self.communes["wave"] == self.wave]
        names = self.catalogue.indicators("commune")
        share = cur[names].isna().mean().mul(100).round(1)
        return pd.DataFrame(
            {
                t(self.lang, "indicator"): [self.label(n) for n in names],
                "%": [narrate.number(v, self.lang) for v in share],
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the brief, in numbers, for the Excel download (one sheet each)."""
        out = {
            "comparison": self.comparison_data(),
            "pilots": self.pilots_data(),
            "trends": self.trends_data(),
            "coverage": self.coverage_data(),
            "missing": self.missing_data(),
        }
        hc = self.household_comparison
        if hc is not None:
            out["households"] = hc.tidy()
        changes = self.changes_data()
        if changes is not None:
            out["changes"] = changes
        if self.did:
            out["did"] = pd.concat([r.tidy() for r in self.did.values()], ignore_index=True)
            out["event_study"] = pd.concat(
                [r.event_study.assign(outcome=k) for k, r in self.did.items()], ignore_index=True
            )
        return out

    # ------------------------------------------------------------------ sections
    @property
    def anchors(self) -> list[str]:
        return list(SECTIONS)

    def header(self, excel_name: str | None = None) -> Fragment:
        lang = self.lang
        date = (self.params.generated_at or dt.date.today().isoformat())[:10]
        title = t(lang, "title", province=self.place.short_name)
        period = t(lang, f"period_{self.place.period}")
        subtitle = t(lang, "subtitle", wave=self.wave)
        contents = t(lang, "toc")
        toc = "".join(f'<li><a href="#{a}">{esc(t(lang, a))}</a></li>' for a in self.anchors)
        link = f'<a href="{esc(excel_name)}" download>{esc(t(lang, "download"))}</a>'
        download = f'<p class="download">{link}</p>' if excel_name else ""
        return Fragment(
            f"<header><h1>{esc(title)}</h1>"
            f'<p class="meta">{esc(subtitle)} <time data-provenance="timestamp">{esc(date)}</time>'
            f" · {esc(period)}</p>"
            f'<p class="callout">{esc(t(lang, "synthetic"))}</p></header>'
            f'<nav class="toc" aria-label="{esc(contents)}"><strong>{esc(contents)}</strong>'
            f"<ol>{toc}</ol></nav>{download}"
        )

    def title(self) -> str:
        return t(self.lang, "title", province=self.place.short_name)

    def key_findings(self) -> list[str]:
        """3–5 findings written from the numbers, with the hedges they need."""
        lang, alpha = self.lang, self.params.alpha
        found = []
        answerable = [k for k, r in self.permutation.items() if r.answerable]
        n1 = int(self.current["group"].sum())
        n0 = int((self.current["group"] == 0).sum())
        if not answerable:
            found.append(t(lang, "none_answerable", n1=n1, n0=n0, level=round(100 * alpha)))
        else:
            sig = int((self.holm[answerable] < alpha).sum())
            found.append(t(lang, "count_sig", k=len(answerable), m=sig))
        headline = [n for n in self.catalogue.headline("commune") if n in self.permutation]
        if headline:
            name = headline[0]
            found.append(
                self.permutation[name].sentence(
                    lang, label=self.label(name), unit=narrate.unit_phrase(self._unit(name), lang)
                )
            )
        if self.did:
            name, res = next(iter(self.did.items()))
            text = res.sentence(
                lang, label=self.label(name), unit=narrate.unit_phrase(self._unit(name), lang)
            )
            if res.diverges and res.twfe is not None:
                text += " " + t(lang, "did_diverges", twfe=narrate.number(res.twfe.estimate, lang))
            found.append(text)
        hc = self.household_comparison
        hh_head = [
            n for n in self.catalogue.headline("household") if n in self.household_indicators
        ]
        if hc is not None and hh_head:
            r = hc.tidy().set_index("outcome").loc[hh_head[0]]
            est = stats.EstimateResult(
                estimator="household comparison",
                outcome=hh_head[0],
                estimate=r["difference"],
                se=r["se"],
                ci_low=r["ci_low"],
                ci_high=r["ci_high"],
                pvalue=r["pvalue"],
                df=r["df"],
                alpha=alpha,
                n_treated=int(r["n_treated"]),
                n_control=int(r["n_control"]),
                method=hc.method,
                n_clusters=self.households[UNIT_COLUMN].nunique(),
                n_treated_clusters=self.households.loc[
                    self.households["group"] == 1, UNIT_COLUMN
                ].nunique(),
            )
            found.append(
                est.sentence(
                    lang,
                    label=self.label(hh_head[0]),
                    unit=narrate.unit_phrase(self._unit(hh_head[0], "household"), lang),
                )
            )
        elif not self.households.empty:
            found.append(t(lang, "hh_suppressed", k=self.params.min_cell))
        if headline and self.permutation[headline[0]].answerable:
            mde = stats.minimum_detectable_effect(
                self.current, outcome=headline[0], treatment="group", alpha=alpha
            )
            found.append(
                mde.sentence(
                    lang,
                    label=self.label(headline[0]),
                    unit=narrate.unit_phrase(self._unit(headline[0]), lang),
                )
            )
        return found[:5]

    def findings(self) -> Fragment:
        return section(
            "findings", t(self.lang, "findings"), bullets(self.key_findings(), "findings")
        )

    def coverage(self) -> Fragment:
        lang = self.lang
        q = self.quality_data()
        items = [f"{t(lang, k)}: {v}" for k, v in q.items()]
        return section(
            "coverage",
            t(lang, "coverage"),
            table(self.coverage_data()),
            f"<h3>{esc(t(lang, 'pilot_list'))}</h3>",
            table(self.pilots_data()),
            bullets(items),
            f"<h3>{esc(t(lang, 'missing'))} ({self.wave})</h3>",
            table(self.missing_data()),
        )

    def comparison_section(self) -> Fragment:
        lang = self.lang
        note = self.comparison.sentence(lang)
        return section(
            "comparison",
            t(lang, "comparison"),
            table(self.comparison_table(), caption=f"{t(lang, 'wave')} {self.wave}"),
            paragraph(note, "note"),
        )

    def charts(self) -> Fragment:
        lang = self.lang
        labels = {n: self.label(n) for n in self.indicators}
        pilots, others = self._groups()
        figs = []
        dist = plot.distributions(
            self.current.assign(pilot=self.current["group"] == 1),
            self.chart_indicators,
            labels,
            group_labels=(others, pilots),
        )
        figs.append(
            figure(
                plot.encode(dist),
                t(lang, "distributions", wave=self.wave),
                t(lang, "distributions", wave=self.wave),
            )
        )
        trends = self.trends_data()
        if trends["wave"].nunique() > 1:
            fig = plot.trends(trends, labels, group_labels=(others, pilots), ncols=2)
            figs.append(figure(plot.encode(fig), t(lang, "trends"), t(lang, "trends")))
        eff = self.comparison.tidy()
        sd0 = eff["sd_control"].replace(0, np.nan)
        eff = pd.DataFrame(
            {
                "indicator": eff["outcome"],
                "estimate": eff["difference"] / sd0,
                "ci_low": eff["ci_low"] / sd0,
                "ci_high": eff["ci_high"] / sd0,
                "significant": eff["outcome"].map(self.holm) < self.params.alpha,
            }
        ).dropna()
        fig = plot.effects(eff, labels, xlabel=t(lang, "effects_x"))
        figs.append(figure(plot.encode(fig), t(lang, "effects"), t(lang, "effects")))
        name = self.catalogue.headline("commune")[0]
        rank = self.ranking_data()
        title = t(lang, "ranking", indicator=self.label(name), wave=self.wave)
        fig = plot.ranking(rank, self.place.short_name, xlabel=self._unit(name), title=title)
        figs.append(figure(plot.encode(fig), title, title))
        return section("charts", t(lang, "charts"), *figs)

    def did_section(self) -> Fragment:
        lang = self.lang
        if not self.did:
            return section("did", t(lang, "did"), paragraph(t(lang, "no_did")))
        parts = []
        for name, res in self.did.items():
            text = res.sentence(
                lang, label=self.label(name), unit=narrate.unit_phrase(self._unit(name), lang)
            )
            if res.diverges and res.twfe is not None:
                text += " " + t(lang, "did_diverges", twfe=narrate.number(res.twfe.estimate, lang))
            parts.append(paragraph(text))
        name, res = next(iter(self.did.items()))
        es = res.event_study.copy()
        shown = pd.DataFrame({
            "e": es.iloc[:, 0],
            **{c: es[c].map(lambda v: narrate.number(v, lang)) for c in es.columns[1:]
               if es[c].dtype.kind == "f"},
        })  # fmt: skip
        parts.append(table(shown, caption=f"{t(lang, 'event_study')}: {self.label(name)}"))
        return section("did", t(lang, "did"), *parts)

    def households_section(self) -> Fragment:
        lang = self.lang
        tab = self.household_table()
        if tab is None:
            return section(
                "households",
                t(lang, "households"),
                paragraph(t(lang, "hh_suppressed", k=self.params.min_cell)),
            )
        return section(
            "households",
            t(lang, "households"),
            table(tab),
            paragraph(self.household_comparison.sentence(lang), "note"),
        )

    def changes(self) -> Fragment:
        lang = self.lang
        data = self.changes_data()
        if data is None:
            return section("changes", t(lang, "changes"), paragraph(t(lang, "prev_missing")))
        shown = data.copy()
        shown["indicator"] = shown["indicator"].map(self.label)
        for col in shown.columns[1:]:
            shown[col] = shown[col].map(lambda v: narrate.number(v, lang))
        pilots, others = self._groups()
        shown.columns = [t(lang, "indicator")] + [
            c.replace("pilots", pilots)
            .replace("others", others)
            .replace("change", t(lang, "change"))
            for c in shown.columns[1:]
        ]
        return section("changes", t(lang, "changes"), table(shown))

    def methods(self) -> Fragment:
        caveats = list(
            dict.fromkeys(
                self.comparison.caveats_vi if self.lang == "vi" else self.comparison.caveats
            )
        )
        return section(
            "methods",
            t(self.lang, "methods"),
            bullets(narrate.METHODS[self.lang]),
            bullets(caveats) if caveats else "",
        )

    def provenance(self) -> Fragment:
        lang = self.lang
        # the data folder is named, not its path on the server (that is not for publication)
        params = {k: v for k, v in asdict(self.params).items() if k != "generated_at"}
        params["data_dir"] = Path(self.params.data_dir).name
        stamp = self.params.generated_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        items = [
            f"{t(lang, 'fingerprint')}: {self.data.fingerprint}",
            f"{t(lang, 'code_version')}: analysis {__version__} ({code_digest()})",
            f"{t(lang, 'parameters')}: " + ", ".join(f"{k}={v}" for k, v in params.items()),
        ]
        return section(
            "provenance",
            t(lang, "provenance"),
            bullets(items, "provenance"),
            f'<p class="provenance">{esc(t(lang, "generated"))}: '
            f'<time data-provenance="timestamp">{esc(stamp)}</time></p>',
        )

    def record(self) -> dict:
        """The brief in one line, for the index page: the headline indicator's gap and p-value."""
        name = next((n for n in self.catalogue.headline("commune") if n in self.permutation), None)
        row = self.comparison.tidy().set_index("outcome").loc[name] if name else None
        return {
            "province": self.place.short_name, "period": self.place.period,
            "code": self.place.code, "slug": self.place.slug, "wave": self.wave,
            "lang": self.lang, "title": self.title(),
            "headline": self.label(name) if name else None,
            "headline_unit": self._unit(name) if name else None,
            "headline_gap": None if row is None else float(row["difference"]),
            "headline_p_holm": None if name is None else float(self.holm[name]),
            "n_pilots": int(self.current["group"].sum()),
            "n_others": int((self.current["group"] == 0).sum()),
            "generated_at": self.params.generated_at,
        }  # fmt: skip

    def export(self, excel_path: str | None = None) -> Record:
        """Write every table to one Excel workbook (if ``excel_path``); return the summary."""
        if excel_path:
            store.write(self.tables(), excel_path)
        return Record(self.record())

    def sections(self, excel_name: str | None = None) -> list[Fragment]:
        """Every section in order (what the notebook shows, cell by cell)."""
        return [
            self.header(excel_name),
            self.findings(),
            self.coverage(),
            self.comparison_section(),
            self.charts(),
            self.did_section(),
            self.households_section(),
            self.changes(),
            self.methods(),
            self.provenance(),
        ]
