"""Overview: the national picture — the pilot gap in every province, side by side.

For each province with pilot communes under way, the headline indicator's pilot − other gap at
the wave, with its permutation-test interval and p-value (Holm-adjusted across provinces), and
whether the province has enough pilots for any test to reach significance at all.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from analysis import narrate, plot, stats
from analysis.brief import comparison_groups
from analysis.catalogue import Catalogue, load
from analysis.dataset import Dataset, ParameterError
from analysis.dataset import load as load_dataset
from analysis.render import Fragment, bullets, esc, figure, paragraph, section, table


@dataclass
class Overview:
    """The national overview for one wave, language and period of units."""

    wave: int
    lang: str
    data: Dataset
    units: str = "old"
    alpha: float = 0.05
    generated_at: str | None = None
    catalogue: Catalogue = field(default_factory=load)

    @classmethod
    def build(
        cls,
        *,
        wave: int | None = None,
        lang: str = "vi",
        data_dir: str = "data/processed",
        units: str = "old",
        alpha: float = 0.05,
        generated_at: str | None = None,
    ) -> Overview:
        if lang not in narrate.LANGS:
            raise ParameterError(f"lang must be one of {narrate.LANGS}, got {lang!r}")
        data = load_dataset(data_dir)
        wave = data.waves[-1] if wave is None else int(wave)
        if wave not in data.waves:
            raise ParameterError(f"wave {wave} is not in the data; waves: {data.waves}")
        return cls(wave, lang, data, units, alpha, generated_at)

    def _t(self, key: str, **values: object) -> str:
        return narrate.OVERVIEW[self.lang][key].format(**values)

    @property
    def indicator(self) -> str:
        return self.catalogue.headline("commune")[0]

    @cached_property
    def provinces(self) -> pd.DataFrame:
        """One row per province with pilots under way: the headline gap and its test."""
        rows = []
        for place in self.data.provinces(self.units):
            cur = comparison_groups(self.data.communes_of(place), self.wave).dropna(
                subset=[self.indicator]
            )
            counts = cur["group"].value_counts()
            if counts.get(1, 0) < 1 or counts.get(0, 0) < 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", stats.StatsWarning)
                res = stats.permutation_test(
                    cur, outcome=self.indicator, treatment="group", alpha=self.alpha
                )
            rows.append({"province": place.short_name, "code": place.code,
                         "n_pilots": int(counts.get(1, 0)), "n_others": int(counts.get(0, 0)),
                         "gap": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
                         "pvalue": res.pvalue, "answerable": res.answerable})  # fmt: skip
        out = pd.DataFrame(rows)
        if len(out):
            out["p_holm"] = stats.adjust_pvalues(out["pvalue"].to_numpy())
        return out

    def header(self) -> Fragment:
        date = (self.generated_at or dt.date.today().isoformat())[:10]
        sub = self._t("subtitle", wave=self.wave, n=len(self.data.provinces(self.units)))
        return Fragment(
            f'<header><h1>{esc(self._t("title"))}</h1><p class="meta">{esc(sub)} '
            f'<time data-provenance="timestamp">{esc(date)}</time></p>'
            f'<p class="callout">{esc(narrate.t(self.lang, "synthetic"))}</p></header>'
        )

    def findings(self) -> Fragment:
        p, lang = self.provinces, self.lang
        label = self.catalogue.label(self.indicator, lang)
        unit = self.catalogue.variables("commune").loc[self.indicator, "unit"]
        items = [
            self._t(
                "enough",
                k=int(p["answerable"].sum()) if len(p) else 0,
                n=len(p),
                level=round(100 * self.alpha),
            )
        ]
        if len(p):
            items.append(self._t("sig", m=int((p["p_holm"] < self.alpha).sum()), indicator=label))
            phrase = narrate.unit_phrase(unit, lang)
            items.append(
                self._t(
                    "median",
                    gap=narrate.number(float(p["gap"].median()), lang),
                    unit=f" {phrase}" if phrase else "",
                )
            )
        items.append(self._t("selected"))
        return section("findings", self._t("findings"), bullets(items, "findings"))

    def table_section(self) -> Fragment:
        p, lang = self.provinces, self.lang
        yes_no = {True: self._t("yes"), False: self._t("no")}
        shown = pd.DataFrame({
            self._t("province"): p["province"], self._t("pilots"): p["n_pilots"],
            self._t("others"): p["n_others"],
            self._t("gap"): p["gap"].map(lambda v: narrate.number(v, lang)),
            self._t("ci"): [f"{narrate.number(a, lang)} … {narrate.number(b, lang)}"
                            for a, b in zip(p["ci_low"], p["ci_high"], strict=True)],
            self._t("p"): p["pvalue"].map(lambda v: narrate.pvalue(v, lang)),
            self._t("p_holm"): p["p_holm"].map(lambda v: narrate.pvalue(v, lang)),
            self._t("answerable"): p["answerable"].map(yes_no),
        }) if len(p) else pd.DataFrame()  # fmt: skip
        return section(
            "table",
            self._t("table"),
            table(shown, caption=self.catalogue.label(self.indicator, lang)),
        )

    def charts(self) -> Fragment:
        p, lang = self.provinces, self.lang
        label = self.catalogue.label(self.indicator, lang)
        parts = []
        if len(p):
            finite = p[np.isfinite(p["ci_low"]) & np.isfinite(p["ci_high"])]
            forest = pd.DataFrame(
                {
                    "indicator": finite["province"],
                    "estimate": finite["gap"],
                    "ci_low": finite["ci_low"],
                    "ci_high": finite["ci_high"],
                    "significant": finite["p_holm"] < self.alpha,
                }
            )
            cap = self._t("forest", indicator=label)
            fig = plot.effects(
                forest, {}, xlabel=self.catalogue.variables("commune").loc[self.indicator, "unit"]
            )
            parts.append(figure(plot.encode(fig), cap, cap))
        nm = f"province_name_{self.units}"
        c = self.data.communes[self.data.communes["wave"] == self.wave]
        means = c.groupby(nm)[self.indicator].mean().reset_index()
        means["name"] = means[nm].str.replace(r"^(Tỉnh|Thành phố) ", "", regex=True)
        cap = self._t("ranking", indicator=label, wave=self.wave)
        fig = plot.ranking(
            means.rename(columns={self.indicator: "value"}).dropna(), None, xlabel="", title=cap
        )
        parts.append(figure(plot.encode(fig), cap, cap))
        return section("charts", self._t("charts"), *parts)

    def methods(self) -> Fragment:
        return section(
            "methods",
            self._t("methods"),
            paragraph(self._t("method_1")),
            paragraph(self._t("method_2")),
        )

    def sections(self) -> list[Fragment]:
        return [self.header(), self.findings(), self.table_section(), self.charts(), self.methods()]
