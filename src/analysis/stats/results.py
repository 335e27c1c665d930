"""Result objects returned by the estimators: estimate, SE, CI, p-value, sample sizes, the
conventions used (``method``), caveats, a tidy DataFrame, a text summary and a one-sentence
plain-language reading in Vietnamese or English.

Caveats are kept in English (``caveats``) and Vietnamese (``caveats_vi``), in the same order.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, NamedTuple

import numpy as np
import pandas as pd

DEFAULT_SEED = 20250701
FEW_CLUSTERS = 30
FEW_TREATED = 5

Lang = Literal["en", "vi"]
Caveat = tuple[str, str]
"""A caveat as (English, Vietnamese)."""


class StatsWarning(UserWarning):
    """A statistical problem worth a warning: few clusters, diverging estimators, poor overlap."""


def caveat_fields(notes: list[Caveat]) -> dict[str, list[str]]:
    """Keyword arguments ``caveats``/``caveats_vi`` for a result, from (en, vi) pairs."""
    unique = list(dict.fromkeys(notes))
    return {"caveats": [en for en, _ in unique], "caveats_vi": [vi for _, vi in unique]}


def t_inference(estimate, se, df: float, alpha: float):
    """Two-sided p-value and (1 − alpha) CI bounds from a t(df) reference (df = inf: normal).

    Works on floats or arrays; NaN where the SE is not a positive finite number."""
    from scipy import stats  # here: the result classes and number formats do not need scipy

    est, se = np.asarray(estimate, dtype=np.float64), np.asarray(se, dtype=np.float64)
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    safe = np.where(ok, se, 1.0)
    args = (df,) if np.isfinite(df) else ()
    dist = stats.t if np.isfinite(df) else stats.norm
    q = dist.ppf(1 - alpha / 2, *args)
    p = np.where(ok, 2 * dist.sf(np.abs(est) / safe, *args), np.nan)
    lo, hi = np.where(ok, est - q * safe, np.nan), np.where(ok, est + q * safe, np.nan)
    if p.ndim == 0:
        return float(p), float(lo), float(hi)
    return p, lo, hi


def invert_test(
    pvalue: Callable[[float], float], estimate: float, scale: float, alpha: float
) -> tuple[float, float]:
    """Confidence set {θ₀ : p(θ₀) > alpha} as an interval, by stepping outward from the
    estimate in doubling steps of ``scale`` and bisecting each side (±inf if never rejected)."""
    if not (np.isfinite(scale) and scale > 0):
        return math.nan, math.nan

    def bound(direction: float) -> float:
        inside, step = estimate, scale
        while pvalue(estimate + direction * step) > alpha:
            inside = estimate + direction * step
            step *= 2
            if step > 1e6 * scale:
                return direction * math.inf
        outside = estimate + direction * step
        for _ in range(60):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if pvalue(mid) > alpha else (inside, mid)
        return (inside + outside) / 2

    return bound(-1.0), bound(1.0)


def format_number(x: float, lang: Lang = "en", digits: int = 3) -> str:
    """``x`` rounded to ``digits`` significant digits (at least units), in the language's style:
    ``1,234.5`` in English, ``1.234,5`` in Vietnamese; a true minus sign."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a" if lang == "en" else "không có"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    decimals = min(max(digits - 1 - math.floor(math.log10(abs(x))), 0), 6)
    text = f"{x:,.{decimals}f}"
    if lang == "vi":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text.replace("-", "−")


def format_p(p: float, lang: Lang = "en") -> str:
    """A p-value with its relation: ``= 0.012`` (three decimals below 0.1, two above) or
    ``< 0.001``."""
    if math.isnan(p):
        return "= " + format_number(p, lang)
    text = "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.1 else f"= {p:.2f}"
    return text.replace(".", ",") if lang == "vi" else text


_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "treated": "pilot communes",
        "control": "non-pilot communes",
        "difference": "{treated} scored {x}{unit} {direction} than {control}",
        "adjusted": "after adjustment, {treated} scored {x}{unit} {direction} than {control}",
        "effect": "the estimated effect of the pilot is {signed}{unit}",
        "higher": "higher",
        "lower": "lower",
        "ci": "{level}% CI {lo} to {hi}",
        "p": "p {p}",
        "p_wild": "wild-bootstrap p {p}",
        "significant": "statistically significant at the {level}% level",
        "not_significant": "not statistically significant",
        "few": "the pilot group is very small (n = {n}), so treat this with caution",
        "selected": "pilots were selected, not randomised, so this is an association, "
        "not necessarily an effect of the pilot",
        "selected_short": "pilots were selected, not randomised",
        "parallel_trends": "this assumes that without the pilot, pilot and other communes would "
        "have followed parallel trends",
        "parallel_trends_doubt": "this assumes parallel trends, which the pre-trend test casts "
        "doubt on (p {p})",
        "observables": "this assumes pilots were selected only on the characteristics in the model",
        "cannot": "there are too few pilot communes to tell (pilot group: {n1}; comparison "
        "group: {n0}): even the largest possible difference would not be statistically "
        "significant (smallest attainable p-value {pmin} > {alpha})",
        "balance": "of {k} indicators compared, {m} differ between {treated} and {control} at "
        "the {level}% level after {correction} correction",
        "joint": "joint test p {p}",
        "mde": "with {n1} units in the pilot group and {n0} in the comparison group, only a "
        "difference of at least {mde}{unit} ({mde_sd} SD) would be detected with {power}% "
        "probability at the {level}% level",
        "mde_none": "with {n1} units in the pilot group and {n0} in the comparison group, no "
        "difference, however large, could be detected at the {level}% level",
    },
    "vi": {
        "treated": "các xã thí điểm",
        "control": "các xã không thí điểm",
        "difference": "{treated} {direction} {control} {x}{unit}",
        "adjusted": "sau khi điều chỉnh, {treated} {direction} {control} {x}{unit}",
        "effect": "tác động ước tính của thí điểm là {signed}{unit}",
        "higher": "cao hơn",
        "lower": "thấp hơn",
        "ci": "KTC {level}%: {lo} đến {hi}",
        "p": "p {p}",
        "p_wild": "p (wild bootstrap) {p}",
        "significant": "có ý nghĩa thống kê ở mức {level}%",
        "not_significant": "không có ý nghĩa thống kê",
        "few": "nhóm thí điểm rất nhỏ (n = {n}) nên cần thận trọng",
        "selected": "các xã thí điểm được lựa chọn chứ không phải ngẫu nhiên, nên đây là mối "
        "liên hệ, chưa chắc là tác động của thí điểm",
        "selected_short": "các xã thí điểm được lựa chọn chứ không phải ngẫu nhiên",
        "parallel_trends": "kết quả dựa trên giả định rằng nếu không có thí điểm, các xã thí "
        "điểm và các xã khác sẽ thay đổi theo xu hướng song song",
        "parallel_trends_doubt": "kết quả dựa trên giả định xu hướng song song, nhưng kiểm định "
        "xu hướng trước thí điểm cho thấy giả định này đáng nghi ngờ (p {p})",
        "observables": "kết quả dựa trên giả định rằng việc chọn xã thí điểm chỉ phụ thuộc vào "
        "các đặc điểm đã đưa vào mô hình",
        "cannot": "quá ít xã thí điểm để kết luận (nhóm thí điểm: {n1}; nhóm so sánh: {n0}): "
        "ngay cả khác biệt lớn nhất có thể cũng không có ý nghĩa thống kê (giá trị p nhỏ nhất "
        "có thể đạt được là {pmin} > {alpha})",
        "balance": "trong {k} chỉ tiêu được so sánh, {m} chỉ tiêu khác biệt giữa {treated} và "
        "{control} ở mức ý nghĩa {level}% sau khi hiệu chỉnh {correction}",
        "joint": "kiểm định đồng thời p {p}",
        "mde": "với {n1} đơn vị ở nhóm thí điểm và {n0} ở nhóm so sánh, chỉ khác biệt từ "
        "{mde}{unit} trở lên ({mde_sd} độ lệch chuẩn) mới có {power}% khả năng được phát hiện "
        "ở mức ý nghĩa {level}%",
        "mde_none": "với {n1} đơn vị ở nhóm thí điểm và {n0} ở nhóm so sánh, không khác biệt "
        "nào, dù lớn đến đâu, có thể được phát hiện ở mức ý nghĩa {level}%",
    },
}


def _text(lang: Lang) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'en' or 'vi', got {lang!r}")
    return _TEXT[lang]


def _percent(alpha: float) -> str:
    return f"{100 * alpha:g}"


def _plain(x: float, lang: Lang) -> str:
    text = f"{x:g}"
    return text.replace(".", ",") if lang == "vi" else text


def _unit(unit: str) -> str:
    return unit if not unit or unit.startswith("%") else " " + unit


def _finish(parts: list[str], label: str | None) -> str:
    body = "; ".join(p for p in parts if p)
    if label:
        return f"{label}: {body}."
    return body[:1].upper() + body[1:] + "."


def _caveat_lines(caveats: list[str]) -> list[str]:
    return [f"  - {c}" for c in caveats] if caveats else ["  (none)"]


class Inference(NamedTuple):
    """p-value and confidence interval of an estimate, and which kind ("p" or "p_wild")."""

    pvalue: float
    ci_low: float
    ci_high: float
    kind: str


@dataclass(frozen=True, kw_only=True)
class WaldTest:
    """A joint Wald test reported as F(df1, df2) (df2 = inf: chi-square/df1)."""

    statistic: float
    df1: int
    df2: float
    pvalue: float
    n: int
    method: str

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


@dataclass(frozen=True, kw_only=True)
class WildBootstrap:
    """Wild cluster bootstrap (restricted, null imposed) p-value and test-inversion CI."""

    pvalue: float
    ci_low: float
    ci_high: float
    reps: int
    weights: str
    enumerated: bool
    seed: int
    method: str


@dataclass(frozen=True, kw_only=True)
class EstimateResult:
    """One estimate of the pilot/non-pilot difference (treated − control), in outcome units.

    ``df`` is the degrees of freedom of the t reference used for p and CI (inf = normal).
    ``n_treated``/``n_control`` count rows; ``n_clusters``/``n_treated_clusters`` count
    clusters when inference is clustered (None otherwise).
    """

    estimator: str
    outcome: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    df: float
    alpha: float
    n_treated: int
    n_control: int
    n_clusters: int | None = None
    n_treated_clusters: int | None = None
    method: str
    caveats: list[str] = field(default_factory=list)
    caveats_vi: list[str] = field(default_factory=list)

    _kind: ClassVar[str] = "difference"
    _design: ClassVar[str] = "selected"

    def inference(self) -> Inference:
        """The p-value and CI the sentence reports (the wild bootstrap's when it was run)."""
        return Inference(self.pvalue, self.ci_low, self.ci_high, "p")

    def _tidy_extra(self) -> dict[str, object]:
        return {}

    def _summary_extra(self) -> list[str]:
        return []

    def _design_phrase(self, lang: Lang) -> str:
        return _text(lang)[self._design]

    def tidy(self) -> pd.DataFrame:
        """One row: estimate, SE, CI, p-value, df, sample sizes, method and extra fields."""
        row = {
            "outcome": self.outcome,
            "estimator": self.estimator,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "pvalue": self.pvalue,
            "df": self.df,
            "alpha": self.alpha,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "n_clusters": self.n_clusters,
            "n_treated_clusters": self.n_treated_clusters,
            **self._tidy_extra(),
            "method": self.method,
        }
        return pd.DataFrame([row])

    def summary(self) -> str:
        """Plain-text summary: estimate line, sample sizes, method, caveats, extra tables."""
        level = _percent(1 - self.alpha)
        clusters = (
            f"; clusters {self.n_clusters} (treated {self.n_treated_clusters})"
            if self.n_clusters is not None
            else ""
        )
        lines = [
            f"{self.estimator}: {self.outcome}",
            f"  estimate {self.estimate:.6g}  SE {self.se:.4g}  {level}% CI "
            f"[{self.ci_low:.6g}, {self.ci_high:.6g}]  p {self.pvalue:.4g}  df {self.df:.4g}",
            f"  N treated {self.n_treated}, control {self.n_control}{clusters}",
            *self._summary_extra(),
            f"  method: {self.method}",
            "  caveats:",
            *_caveat_lines(self.caveats),
        ]
        return "\n".join(lines)

    def sentence(
        self,
        lang: Lang = "en",
        *,
        label: str | None = None,
        unit: str = "",
        groups: tuple[str, str] | None = None,
    ) -> str:
        """One plain-language sentence with honest hedging.

        ``label`` names the outcome (e.g. the indicator's label in ``lang``), ``unit`` its unit
        (e.g. "percentage points"), ``groups`` the (treated, control) group names; by default
        pilot and non-pilot communes.
        """
        t = _text(lang)
        treated, control = groups or (t["treated"], t["control"])
        level = _percent(self.alpha)
        p, lo, hi, p_key = self.inference()
        direction = t["higher"] if self.estimate >= 0 else t["lower"]
        signed = ("+" if self.estimate > 0 else "") + format_number(self.estimate, lang)
        main = t[self._kind].format(
            treated=treated,
            control=control,
            x=format_number(abs(self.estimate), lang),
            signed=signed,
            unit=_unit(unit),
            direction=direction,
        )
        ci = t["ci"].format(
            level=_percent(1 - self.alpha),
            lo=format_number(lo, lang),
            hi=format_number(hi, lang),
        )
        sig = t["significant" if p < self.alpha else "not_significant"].format(level=level)
        few = t["few"].format(n=self.treated_units) if self.treated_units < FEW_TREATED else ""
        stated = f"{main} ({ci}; {t[p_key].format(p=format_p(p, lang))}), {sig}"
        return _finish([stated, few, self._design_phrase(lang)], label)

    @property
    def treated_units(self) -> int:
        """Treated units of assignment: treated clusters when clustered, else treated rows."""
        return self.n_treated if self.n_treated_clusters is None else self.n_treated_clusters

    @property
    def control_units(self) -> int:
        """Control units of assignment: control clusters when clustered, else control rows."""
        if self.n_clusters is None or self.n_treated_clusters is None:
            return self.n_control
        return self.n_clusters - self.n_treated_clusters


@dataclass(frozen=True, kw_only=True)
class PermutationResult(EstimateResult):
    """Randomization-inference result.

    ``se`` is the SD of the randomization distribution; the CI inverts the test under a constant
    additive effect. ``min_pvalue`` is the smallest p-value any assignment could give;
    ``mde`` the minimum detectable effect (inf when ``min_pvalue > alpha``).
    """

    statistic: str
    exact: bool
    n_assignments: int
    draws: int | None
    seed: int | None
    min_pvalue: float
    mde: float
    power: float
    distribution: np.ndarray = field(repr=False, compare=False)

    @property
    def answerable(self) -> bool:
        """False when no assignment could reach significance at ``alpha``, whatever the data."""
        return self.min_pvalue <= self.alpha

    def sentence(
        self,
        lang: Lang = "en",
        *,
        label: str | None = None,
        unit: str = "",
        groups: tuple[str, str] | None = None,
    ) -> str:
        """As :meth:`EstimateResult.sentence`; says plainly when the groups are too small."""
        if self.answerable:
            return super().sentence(lang, label=label, unit=unit, groups=groups)
        body = _text(lang)["cannot"].format(
            n1=self.treated_units,
            n0=self.control_units,
            pmin=_plain(round(self.min_pvalue, 3), lang),
            alpha=_plain(self.alpha, lang),
        )
        return _finish([body], label)

    def _tidy_extra(self) -> dict[str, object]:
        return {
            "exact": self.exact,
            "n_assignments": self.n_assignments,
            "draws": self.draws,
            "min_pvalue": self.min_pvalue,
            "answerable": self.answerable,
            "mde": self.mde,
            "power": self.power,
        }

    def _summary_extra(self) -> list[str]:
        kind = "exact" if self.exact else f"Monte Carlo, {self.draws} draws, seed {self.seed}"
        return [
            f"  assignments {self.n_assignments} ({kind}); smallest attainable p "
            f"{self.min_pvalue:.4g}; MDE ({self.power:.0%} power) {self.mde:.4g}",
            f"  statistic: {self.statistic}",
        ]


@dataclass(frozen=True, kw_only=True)
class RegressionResult(EstimateResult):
    """Regression-adjusted difference; ``coefficients`` holds every slope, ``wild`` the wild
    cluster bootstrap (run by default when clusters are fewer than 30). When ``wild`` is present
    the sentence reports its p-value and CI."""

    coefficients: pd.DataFrame = field(repr=False)
    covariates: list[str]
    fe: list[str]
    wild: WildBootstrap | None = None

    @property
    def _kind(self) -> str:  # type: ignore[override]
        return "adjusted" if self.covariates or self.fe else "difference"

    def inference(self) -> Inference:
        if self.wild is None:
            return super().inference()
        return Inference(self.wild.pvalue, self.wild.ci_low, self.wild.ci_high, "p_wild")

    def _tidy_extra(self) -> dict[str, object]:
        if self.wild is None:
            return {}
        return {
            "wild_pvalue": self.wild.pvalue,
            "wild_ci_low": self.wild.ci_low,
            "wild_ci_high": self.wild.ci_high,
            "wild_reps": self.wild.reps,
            "wild_weights": self.wild.weights,
        }

    def _summary_extra(self) -> list[str]:
        lines = [
            "  coefficients:",
            *("    " + s for s in self.coefficients.to_string().split("\n")),
        ]
        if self.wild is not None:
            w = self.wild
            lines.append(
                f"  wild cluster bootstrap: p {w.pvalue:.4g}, CI [{w.ci_low:.6g}, "
                f"{w.ci_high:.6g}] ({w.method})"
            )
        return lines


@dataclass(frozen=True, kw_only=True)
class PropensityResult(EstimateResult):
    """Inverse-probability-weighted difference (ATT or ATE) with overlap and balance tables.

    ``overlap``: counts of propensity scores by group in bins of 0.1 (tidy);
    ``overlap_summary``: quantiles by group; ``balance``: normalized differences of the
    covariates before and after weighting (denominators from the unweighted sample).
    """

    estimand: str
    trim: tuple[float, float] | None
    n_trimmed: int
    ess_treated: float
    ess_control: float
    overlap: pd.DataFrame = field(repr=False)
    overlap_summary: pd.DataFrame = field(repr=False)
    balance: pd.DataFrame = field(repr=False)

    _kind: ClassVar[str] = "effect"
    _design: ClassVar[str] = "observables"

    def _tidy_extra(self) -> dict[str, object]:
        return {
            "estimand": self.estimand,
            "n_trimmed": self.n_trimmed,
            "ess_treated": self.ess_treated,
            "ess_control": self.ess_control,
        }

    def _summary_extra(self) -> list[str]:
        bal = self.balance.to_string(index=False, float_format="{:.3f}".format)
        return [
            f"  estimand {self.estimand}; trimmed {self.n_trimmed} rows (rule {self.trim}); "
            f"effective N treated {self.ess_treated:.1f}, control {self.ess_control:.1f}",
            "  propensity score by group:",
            *("    " + s for s in self.overlap_summary.to_string(index=False).split("\n")),
            "  covariate balance:",
            *("    " + s for s in bal.split("\n")),
        ]


@dataclass(frozen=True, kw_only=True)
class DiDResult(EstimateResult):
    """Difference-in-differences over waves (Callaway–Sant'Anna group-time ATTs).

    ``att_gt``: one row per cohort × period; ``event_study``: ATT by event time (periods since
    adoption, −1 is the reference); ``pretrend``: joint test of the pre-adoption ATT(g,t);
    ``twfe``: the plain two-way fixed-effects estimate; ``twfe_gap``/``twfe_gap_pvalue``: its
    difference from ``estimate`` and a cluster-robust test that the two agree.
    """

    control_group: str
    att_gt: pd.DataFrame = field(repr=False)
    event_study: pd.DataFrame = field(repr=False)
    pretrend: WaldTest | None
    twfe: EstimateResult | None
    twfe_gap: float
    twfe_gap_pvalue: float

    _kind: ClassVar[str] = "effect"

    @property
    def diverges(self) -> bool:
        """True when TWFE differs significantly (at ``alpha``) from the staggered estimate."""
        return bool(self.twfe_gap_pvalue < self.alpha)

    def _design_phrase(self, lang: Lang) -> str:
        if self.pretrend is not None and self.pretrend.pvalue < self.alpha:
            return _text(lang)["parallel_trends_doubt"].format(
                p=format_p(self.pretrend.pvalue, lang)
            )
        return _text(lang)["parallel_trends"]

    def _tidy_extra(self) -> dict[str, object]:
        return {
            "control_group": self.control_group,
            "pretrend_pvalue": self.pretrend.pvalue if self.pretrend else math.nan,
            "twfe_estimate": self.twfe.estimate if self.twfe else math.nan,
            "twfe_gap_pvalue": self.twfe_gap_pvalue,
        }

    def _summary_extra(self) -> list[str]:
        es = self.event_study.to_string(index=False, float_format="{:.4g}".format)
        lines = ["  event study:", *("    " + s for s in es.split("\n"))]
        if self.pretrend is not None:
            pt = self.pretrend
            lines.append(
                f"  pre-trend test: F({pt.df1}, {pt.df2:g}) = {pt.statistic:.4g}, p {pt.pvalue:.4g}"
            )
        if self.twfe is not None:
            lines.append(
                f"  TWFE {self.twfe.estimate:.6g} (SE {self.twfe.se:.4g}); gap "
                f"{self.twfe_gap:.4g}, p {self.twfe_gap_pvalue:.4g}"
            )
        return lines


@dataclass(frozen=True, kw_only=True)
class MDEResult:
    """Minimum detectable effect (two-sided test at ``alpha``, power ``power``) in outcome
    units (``mde``) and in standard deviations of the outcome (``mde_sd``). With clustering
    ``n_treated``/``n_control`` count clusters."""

    outcome: str
    mde: float
    mde_sd: float
    sd: float
    icc: float
    cluster_size: float
    n_treated: int
    n_control: int
    clustered: bool
    df: float
    alpha: float
    power: float
    method: str
    caveats: list[str] = field(default_factory=list)
    caveats_vi: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__]).drop(columns=["caveats", "caveats_vi"])

    def summary(self) -> str:
        units = "clusters" if self.clustered else "units"
        return "\n".join(
            [
                f"Minimum detectable effect: {self.outcome}",
                f"  MDE {self.mde:.4g} ({self.mde_sd:.3g} SD) at alpha {self.alpha:g}, power "
                f"{self.power:g}; {units} treated {self.n_treated}, control {self.n_control}",
                f"  SD {self.sd:.4g}, ICC {self.icc:.3g}, mean cluster size "
                f"{self.cluster_size:.3g}, df {self.df:g}",
                f"  method: {self.method}",
                "  caveats:",
                *_caveat_lines(self.caveats),
            ]
        )

    def sentence(self, lang: Lang = "en", *, label: str | None = None, unit: str = "") -> str:
        t = _text(lang)
        key = "mde" if np.isfinite(self.mde) else "mde_none"
        body = t[key].format(
            n1=self.n_treated,
            n0=self.n_control,
            mde=format_number(self.mde, lang),
            mde_sd=format_number(self.mde_sd, lang, 2),
            unit=_unit(unit),
            power=_percent(self.power),
            level=_percent(self.alpha),
        )
        return _finish([body], label)


@dataclass(frozen=True, kw_only=True)
class BalanceTable:
    """Comparison (balance) table, one row per outcome, with a joint orthogonality test.

    Columns: n/mean/sd/se per group (``_treated``, ``_control``), ``difference`` (treated −
    control) with ``se``, ``ci_low``, ``ci_high``, ``df``, ``pvalue`` (test named in ``test``),
    ``p_adjusted`` (multiple-testing correction over the table), ``nd_pooled_sd`` (difference /
    √((s₁²+s₀²)/2), Imbens–Rubin, iebaltab) and ``nd_treated_sd`` (difference / treated SD,
    √(p(1−p)) for 0/1 variables, MatchIt/cobalt for the ATT).
    """

    table: pd.DataFrame
    joint: WaldTest | None
    alpha: float
    correction: str
    method: str
    caveats: list[str] = field(default_factory=list)
    caveats_vi: list[str] = field(default_factory=list)

    CORRECTION_NAMES: ClassVar[dict[str, str]] = {"holm": "Holm", "bh": "Benjamini–Hochberg"}

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def estimate(self, outcome: str) -> EstimateResult:
        """One row of the table as an :class:`EstimateResult` (e.g. for its sentence); the
        p-value is the unadjusted one, ``p_adjusted`` is in the table."""
        row = self.table.set_index("outcome").loc[outcome]
        return EstimateResult(
            estimator=f"Comparison ({row['test']})",
            outcome=outcome,
            estimate=float(row["difference"]),
            se=float(row["se"]),
            ci_low=float(row["ci_low"]),
            ci_high=float(row["ci_high"]),
            pvalue=float(row["pvalue"]),
            df=float(row["df"]),
            alpha=self.alpha,
            n_treated=int(row["n_treated"]),
            n_control=int(row["n_control"]),
            method=f"{row['test']}; {self.method}",
            caveats=self.caveats,
            caveats_vi=self.caveats_vi,
        )

    def _notes(self) -> list[tuple[str, str]]:
        notes = [("method", self.method), ("correction", self.CORRECTION_NAMES[self.correction])]
        if self.joint is not None:
            j = self.joint
            notes.append(
                (
                    "joint test",
                    f"F({j.df1}, {j.df2:g}) = {j.statistic:.4g}, p = {j.pvalue:.4g}, "
                    f"N = {j.n}; {j.method}",
                )
            )
        notes.extend(("caveat", c) for c in self.caveats)
        return notes

    def summary(self) -> str:
        lines = [
            "Comparison table",
            self.table.to_string(index=False, float_format="{:.4g}".format),
        ]
        lines.extend(f"{k}: {v}" for k, v in self._notes())
        return "\n".join(lines)

    def sentence(self, lang: Lang = "en", *, groups: tuple[str, str] | None = None) -> str:
        t = _text(lang)
        treated, control = groups or (t["treated"], t["control"])
        tested = self.table["p_adjusted"].notna()
        body = t["balance"].format(
            k=int(tested.sum()),
            m=int((self.table.loc[tested, "p_adjusted"] < self.alpha).sum()),
            treated=treated,
            control=control,
            level=_percent(self.alpha),
            correction=self.CORRECTION_NAMES[self.correction],
        )
        joint = (
            t["joint"].format(p=format_p(self.joint.pvalue, lang))
            if self.joint is not None and np.isfinite(self.joint.pvalue)
            else ""
        )
        return _finish([f"{body} ({joint})" if joint else body, t["selected_short"]], None)

    def to_html(self, path: str | Path | None = None) -> str:
        """The table as an HTML fragment followed by the notes; written to ``path`` if given."""
        table = self.table.to_html(index=False, float_format="{:.3f}".format, na_rep="")
        notes = "".join(
            f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in self._notes()
        )
        text = f'<div class="balance-table">{table}<ul class="notes">{notes}</ul></div>'
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_excel(self, path: str | Path) -> Path:
        """Write the table (sheet "table") and notes (sheet "notes") with openpyxl."""
        path = Path(path)
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            self.table.to_excel(writer, sheet_name="table", index=False)
            pd.DataFrame(self._notes(), columns=["item", "value"]).to_excel(
                writer, sheet_name="notes", index=False
            )
        return path
