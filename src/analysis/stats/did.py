"""Difference-in-differences over waves, for 2 × 2 designs and staggered adoption.

Estimator: Callaway & Sant'Anna (2021) group-time average treatment effects ATT(g, t) under
unconditional parallel trends, without covariates (outcome-regression form), computed from
(weighted) cell means, so that it serves a balanced commune panel and repeated cross-sections of
households nested in communes alike:

    ATT(g, t) = [Ȳ(g, t) − Ȳ(g, g−1)] − [Ȳ(C, t) − Ȳ(C, g−1)]

where g is the cohort (first treated wave), g−1 the wave before adoption (universal base period,
as ``did::att_gt(base_period = "universal")``) and C the controls: never-treated units
(``control="never"``, default) or units not yet treated at t nor at g−1 (``"not_yet"``). Late
adopters are never compared with early adopters. A 2 × 2 design is the case of one cohort and two
waves.

- Aggregation: overall = Σ_g π_g · mean_{t ≥ g} ATT(g, t) with π_g the cohort's share of weight
  (the "group" aggregation θ_sel of the paper, ``did::aggte(type = "group")``); event study
  θ(e) = Σ_g π_g ATT(g, g+e) / Σ_g π_g over the cohorts observed at e. Event time counts waves.
- Inference: analytic influence functions (linearization of the cell means and of the cohort
  shares), summed by cluster (default: the unit) with factor G/(G−1); t(G−1) p-values and CIs.
  R ``did`` has no G/(G−1) factor and uses the normal or a multiplier bootstrap.
- Pre-trend test: joint Wald test that every pre-adoption ATT(g, t) (t < g−1) is zero,
  F(q, G−1) with the influence-function covariance.
- TWFE: Y = unit FE + wave FE + β·D (CR1, as :func:`analysis.stats.regress`) is reported next to
  it, with a cluster-robust test of equality; when they differ significantly a
  :class:`StatsWarning` is raised (TWFE also uses already-treated units as controls and is
  biased under heterogeneous effects, Goodman-Bacon 2021).

Implemented here rather than taken from PyPI: ``csdid`` 0.4.3 installs ``twine`` and
``plotnine`` at run time; ``differences`` 0.3.0 brings ``polars`` and ``joblib`` and a progress
bar; neither gives the influence functions needed to test TWFE against the staggered estimate on
the same clusters.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ._frame import binary, codes, complete_rows, numeric, weights_or_ones
from .regression import (
    LinearFit,
    describe,
    few_clusters_caveat,
    fit_linear,
    group_sum,
    wald_test,
)
from .results import (
    Caveat,
    DiDResult,
    EstimateResult,
    StatsWarning,
    WaldTest,
    caveat_fields,
    t_inference,
)


def _cohorts(period: np.ndarray, unit: np.ndarray, d: np.ndarray) -> np.ndarray:
    """First treated period (position) of each row's unit; inf for never-treated units.

    Raises if treatment is not absorbing (a unit switching off, or rows of a unit-period
    disagreeing)."""
    first = np.full(int(unit.max()) + 1, np.inf)
    np.minimum.at(first, unit[d == 1], period[d == 1].astype(float))
    cohort = first[unit]
    if not np.array_equal(d == 1, period >= cohort):
        raise ValueError(
            "treatment must be absorbing: 0 before adoption and 1 in every wave from adoption "
            "on, the same for all rows of a unit in a wave"
        )
    return cohort


@dataclass
class _Panel:
    """Cleaned arrays: outcome, weights, cluster codes, unit codes, wave positions, cohorts."""

    y: np.ndarray
    w: np.ndarray
    d: np.ndarray
    cluster: np.ndarray
    unit: np.ndarray
    period: np.ndarray
    cohort: np.ndarray
    labels: np.ndarray

    @property
    def n_clusters(self) -> int:
        return int(self.cluster.max()) + 1

    def mean(self, rows: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Weighted mean of y over the boolean mask ``rows`` and its influence summed by cluster
        (linearization: wᵢ(yᵢ − m)/Σw); None for an empty cell."""
        total = self.w[rows].sum()
        if total <= 0:
            return None
        m = float(self.w[rows] @ self.y[rows] / total)
        psi = np.where(rows, self.w * (self.y - m) / total, 0.0)
        return m, group_sum(psi, self.cluster, self.n_clusters)


def _group_time(panel: _Panel, control: str) -> tuple[pd.DataFrame, np.ndarray, list[Caveat]]:
    """ATT(g, t) for every cohort g and wave t ≠ g−1, with their cluster influence (G × P)."""
    cohort, period, labels = panel.cohort, panel.period, panel.labels
    never = np.isinf(cohort)
    rows, infl, notes = [], [], []
    for g in np.unique(cohort[~never]).astype(int):
        base = g - 1
        for t in range(len(labels)):
            if t == base:
                continue
            controls = never.copy()
            if control == "not_yet":
                controls |= (cohort > max(t, base)) & (cohort != g)
            cells = [
                panel.mean((cohort == g) & (period == t)),
                panel.mean((cohort == g) & (period == base)),
                panel.mean(controls & (period == t)),
                panel.mean(controls & (period == base)),
            ]
            if any(c is None for c in cells):
                notes.append(
                    (
                        f"ATT(g={labels[g]}, t={labels[t]}) not estimable (empty cell).",
                        f"Không ước lượng được ATT(g={labels[g]}, t={labels[t]}) (ô trống).",
                    )
                )
                continue
            (m1, i1), (m0, i0), (c1, j1), (c0, j0) = cells
            rows.append(
                {
                    "cohort": labels[g],
                    "time": labels[t],
                    "event_time": t - g,
                    "estimate": m1 - m0 - (c1 - c0),
                    "n_treated_units": len(np.unique(panel.unit[(cohort == g) & (period == t)])),
                    "n_control_units": len(np.unique(panel.unit[controls & (period == t)])),
                    "_g": g,
                }
            )
            infl.append(i1 - i0 - j1 + j0)
    return pd.DataFrame(rows), np.column_stack(infl), notes


class _Aggregator:
    """Cohort-share-weighted averages of ATT(g, t) and their cluster influence.

    θ = Σ_k c_k π_{g(k)} ATT_k / Σ_k c_k π_{g(k)}; the influence includes the estimation of the
    cohort shares π (share of total weight), by the delta method, as R ``did`` does.
    """

    def __init__(self, panel: _Panel, att_gt: pd.DataFrame, infl: np.ndarray):
        cohorts = np.unique(att_gt["_g"])
        w, n_g = panel.w, panel.n_clusters
        in_cohort = panel.cohort[:, None] == cohorts[None, :]
        self.share = (w @ in_cohort) / w.sum()
        psi = (w[:, None] * in_cohort - w[:, None] * self.share) / w.sum()
        self.share_infl = group_sum(psi, panel.cluster, n_g)
        self.cohort_of = np.searchsorted(cohorts, att_gt["_g"].to_numpy())
        self.att, self.infl = att_gt["estimate"].to_numpy(), infl
        self.scale = n_g / (n_g - 1)

    def __call__(self, coef: np.ndarray) -> tuple[float, float, np.ndarray]:
        """(θ, SE, cluster influence) for the weights ``coef`` over the ATT(g, t) rows."""
        pi = self.share[self.cohort_of]
        den = coef @ pi
        theta = float(coef * pi @ self.att / den)
        share_infl = self.share_infl[:, self.cohort_of]
        psi = self.infl @ (coef * pi) + share_infl @ (coef * self.att) - theta * share_infl @ coef
        psi = psi / den
        return theta, float(np.sqrt(self.scale * psi @ psi)), psi


def _event_study(
    att_gt: pd.DataFrame, aggregate: _Aggregator, df: float, alpha: float
) -> pd.DataFrame:
    """θ(e) for each event time e (−1 is the reference, 0 by construction)."""
    event = att_gt["event_time"].to_numpy()
    times = sorted(set(event) | {-1})
    rows = [aggregate((event == e).astype(float))[:2] if e != -1 else (0.0, np.nan) for e in times]
    table = pd.DataFrame(rows, columns=["estimate", "se"])
    table.insert(0, "event_time", times)
    p, lo, hi = t_inference(table["estimate"], table["se"], df, alpha)
    table["ci_low"], table["ci_high"], table["pvalue"] = lo, hi, p
    counts = [int((event == e).sum()) for e in times]
    table["n_cohorts"] = [
        c if e != -1 else int(att_gt["_g"].nunique()) for e, c in zip(times, counts, strict=True)
    ]
    return table


def _pretrend(
    att_gt: pd.DataFrame, infl: np.ndarray, panel: _Panel, alpha: float
) -> tuple[WaldTest | None, list[Caveat]]:
    """Joint test that every pre-adoption ATT(g, t), t < g − 1, is zero."""
    pre = (att_gt["event_time"] < -1).to_numpy()
    if not pre.any():
        return None, [
            (
                "Only one wave before adoption: parallel trends cannot be checked.",
                "Chỉ có một đợt số liệu trước thí điểm: không kiểm tra được xu hướng song song.",
            )
        ]
    n_g = panel.n_clusters
    test = wald_test(
        att_gt["estimate"].to_numpy()[pre],
        n_g / (n_g - 1) * infl[:, pre].T @ infl[:, pre],
        float(n_g - 1),
        len(panel.y),
        "Wald F that all pre-adoption ATT(g,t) (t < g−1) are zero; influence-function "
        "covariance clustered, G/(G−1)",
    )
    if test.pvalue >= alpha:
        return test, []
    return test, [
        (
            f"Pre-trend test rejects parallel trends (p = {test.pvalue:.3g}).",
            f"Kiểm định xu hướng trước thí điểm bác bỏ giả định xu hướng song song "
            f"(p = {test.pvalue:.3g}).",
        )
    ]


def _prepare(
    df: pd.DataFrame,
    outcome: str,
    treatment: str,
    time: str,
    unit: str,
    cluster: str | None,
    weights: str | None,
) -> tuple[_Panel, list[Caveat]]:
    """Complete rows, coded; units treated from the first wave (no pre-period) left out."""
    sub, notes = complete_rows(
        df, [outcome, treatment, time, unit, cluster, weights], weights=weights
    )
    period = pd.factorize(sub[time], sort=True)[0]
    cohort = _cohorts(period, codes(sub[unit]), binary(sub[treatment], treatment))
    if (cohort == 0).any():
        n_always = sub.loc[cohort == 0, unit].nunique()
        notes.append(
            (
                f"{n_always} units treated from the first wave have no pre-adoption wave and "
                "were left out.",
                f"Đã bỏ {n_always} đơn vị được thí điểm ngay từ đợt đầu (không có số liệu trước "
                "thí điểm).",
            )
        )
        sub = sub.loc[cohort != 0].reset_index(drop=True)
    period, labels = pd.factorize(sub[time], sort=True)
    units, d = codes(sub[unit]), binary(sub[treatment], treatment)
    panel = _Panel(
        y=numeric(sub[outcome], outcome),
        w=weights_or_ones(sub, weights),
        d=d,
        cluster=codes(sub[cluster or unit]),
        unit=units,
        period=period,
        cohort=_cohorts(period, units, d),
        labels=np.asarray(labels),
    )
    return panel, notes


def did(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    time: str,
    unit: str,
    cluster: str | None = None,
    weights: str | None = None,
    control: Literal["never", "not_yet"] = "never",
    alpha: float = 0.05,
    twfe: bool = True,
) -> DiDResult:
    """Staggered (or 2 × 2) difference-in-differences of ``outcome`` (see module docstring).

    ``treatment`` is the 0/1 treatment status of each row (1 from the unit's adoption wave on;
    e.g. ``df.wave >= df.adoption_wave``), ``time`` the wave, ``unit`` the level at which
    treatment is assigned (the commune; rows may be households), ``cluster`` defaults to
    ``unit``. Units: the outcome's units. Assumes parallel trends and no anticipation.
    """
    if control not in ("never", "not_yet"):
        raise ValueError("control must be 'never' or 'not_yet'")
    panel, notes = _prepare(df, outcome, treatment, time, unit, cluster, weights)
    never = np.isinf(panel.cohort)
    if control == "never" and not never.any():
        raise ValueError("no never-treated units: use control='not_yet'")
    if never.all():
        raise ValueError("no unit is treated after the first wave")
    att_gt, infl, gt_notes = _group_time(panel, control)
    notes += gt_notes
    n_g = panel.n_clusters
    att_gt["se"] = np.sqrt(n_g / (n_g - 1) * (infl**2).sum(axis=0))
    att_gt["pvalue"], att_gt["ci_low"], att_gt["ci_high"] = t_inference(
        att_gt["estimate"], att_gt["se"], n_g - 1, alpha
    )
    aggregate = _Aggregator(panel, att_gt, infl)
    post = (att_gt["event_time"] >= 0).to_numpy()
    per_cohort = att_gt.loc[post].groupby("_g")["estimate"].transform("size").to_numpy()
    coef = np.zeros(len(att_gt))
    coef[post] = 1 / per_cohort
    estimate, se, psi = aggregate(coef)
    p, lo, hi = t_inference(estimate, se, n_g - 1, alpha)
    pretrend, pre_notes = _pretrend(att_gt, infl, panel, alpha)
    notes += pre_notes

    twfe_result, gap, gap_p = None, np.nan, np.nan
    if twfe:
        fit = fit_linear(
            panel.y,
            panel.d[:, None],
            [treatment],
            weights=panel.w,
            cluster=panel.cluster,
            fe=[panel.unit, panel.period],
        )
        twfe_result, gap, gap_p, twfe_notes = _compare_twfe(
            fit,
            panel.d,
            estimate,
            psi,
            outcome=outcome,
            cluster=cluster or unit,
            weights=weights,
            alpha=alpha,
        )
        notes += twfe_notes
    treated_clusters = len(np.unique(panel.cluster[~never]))
    notes += few_clusters_caveat(n_g, treated_clusters)
    return DiDResult(
        estimator="Staggered difference-in-differences (Callaway–Sant'Anna)",
        outcome=outcome,
        estimate=estimate,
        se=se,
        ci_low=lo,
        ci_high=hi,
        pvalue=p,
        df=float(n_g - 1),
        alpha=alpha,
        n_treated=int((~never).sum()),
        n_control=int(never.sum()),
        n_clusters=n_g,
        n_treated_clusters=treated_clusters,
        method=(
            "Callaway–Sant'Anna ATT(g,t), unconditional parallel trends, no covariates; "
            f"controls: {'never-treated' if control == 'never' else 'not-yet-treated'}; "
            "universal base period g−1; overall = cohort-share-weighted mean of post-adoption "
            "ATT(g,t) per cohort; analytic influence-function SE clustered by "
            f"{cluster or unit!r} with G/(G−1), t(G−1) p-values and CI"
            + (f"; sampling weights {weights!r}" if weights else "")
        ),
        control_group=control,
        att_gt=att_gt.drop(columns="_g"),
        event_study=_event_study(att_gt, aggregate, n_g - 1, alpha),
        pretrend=pretrend,
        twfe=twfe_result,
        twfe_gap=gap,
        twfe_gap_pvalue=gap_p,
        **caveat_fields(notes),
    )


def _compare_twfe(
    fit: LinearFit,
    d: np.ndarray,
    staggered: float,
    staggered_infl: np.ndarray,
    *,
    outcome: str,
    cluster: str,
    weights: str | None,
    alpha: float,
) -> tuple[EstimateResult, float, float, list[Caveat]]:
    """Two-way fixed-effects estimate and a cluster-robust test that it equals ``staggered``."""
    treatment, cl = fit.names[0], fit.cluster
    est, se, p, lo, hi = fit.inference(treatment, alpha)
    n_g = int(fit.n_clusters)
    twfe_infl = group_sum(fit.influence()[:, 0], cl, n_g)
    diff_infl = twfe_infl - staggered_infl
    gap = est - staggered
    gap_se = float(np.sqrt(n_g / (n_g - 1) * diff_infl @ diff_infl))
    identical = abs(gap) <= 1e-9 * (abs(est) + se)  # e.g. a balanced 2 × 2: TWFE is the DiD
    gap_p = 1.0 if identical else t_inference(gap, gap_se, n_g - 1, alpha)[0]
    result = EstimateResult(
        estimator="Two-way fixed effects (unit and wave)",
        outcome=outcome,
        estimate=est,
        se=se,
        ci_low=lo,
        ci_high=hi,
        pvalue=p,
        df=fit.df_inference,
        alpha=alpha,
        n_treated=int(d.sum()),
        n_control=int((1 - d).sum()),
        n_clusters=n_g,
        n_treated_clusters=len(np.unique(cl[d == 1])),
        method=describe(
            fit,
            cluster=cluster,
            fe=["unit", "wave"],
            weights=weights and f"sampling weights {weights!r}",
        ),
    )
    notes: list[Caveat] = []
    if gap_p < alpha:
        msg = (
            f"Plain TWFE ({est:.4g}) differs from the staggered estimate ({staggered:.4g}), "
            f"p = {gap_p:.3g}: TWFE also compares late with early adopters and is biased when "
            "effects vary across cohorts or over time; rely on the staggered estimate."
        )
        warnings.warn(msg, StatsWarning, stacklevel=3)
        notes.append(
            (
                msg,
                f"Ước lượng TWFE thông thường ({est:.4g}) khác ước lượng theo đợt triển khai "
                f"({staggered:.4g}), p = {gap_p:.3g}: TWFE so sánh cả xã thí điểm muộn với xã thí "
                "điểm sớm nên bị chệch khi tác động khác nhau giữa các đợt; nên dùng ước lượng "
                "theo đợt triển khai.",
            )
        )
    return result, gap, gap_p, notes
