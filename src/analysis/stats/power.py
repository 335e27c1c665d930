"""Minimum detectable effect (MDE) of a two-sided comparison of means for the groups at hand.

The MDE is the smallest true difference that a two-sided t-test at level ``alpha`` detects with
probability ``power``, computed with the exact noncentral t distribution (statsmodels
``ttest_power``; equals ``TTestIndPower.solve_power`` without clustering, and Stata
``power twomeans``). With clustering (Bloom 2005): J₁ and J₀ clusters of mean size m with
intra-cluster correlation ρ give SE = σ·√((ρ + (1−ρ)/m)·(1/J₁ + 1/J₀)) and df = J₁ + J₀ − 2.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.power import ttest_power

from ._frame import binary, codes, complete_rows, numeric, weights_or_ones
from .balance import describe_group
from .results import MDEResult, caveat_fields


def mde(
    *,
    n_treated: float,
    n_control: float,
    sd: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    icc: float = 0.0,
    cluster_size: float = 1.0,
) -> float:
    """MDE in the units of ``sd`` (``sd=1``: in standard deviations).

    ``n_treated``/``n_control`` count units, or clusters of ``cluster_size`` units with
    intra-cluster correlation ``icc``. Returns inf when df = n_treated + n_control − 2 < 1.
    """
    df = n_treated + n_control - 2
    if df < 1 or min(n_treated, n_control) <= 0:
        return np.inf
    se = sd * np.sqrt((icc + (1 - icc) / cluster_size) * (1 / n_treated + 1 / n_control))
    if not alpha < power < 1:
        raise ValueError("power must lie between alpha and 1")
    return _detectable(df, alpha, power) * se


@lru_cache(maxsize=1024)
def _detectable(df: float, alpha: float, power: float) -> float:
    """The true difference, in standard errors, that a two-sided t-test with ``df`` degrees of
    freedom detects with probability ``power`` (cached: it depends on nothing else)."""

    def shortfall(delta: float) -> float:
        return float(ttest_power(delta, nobs=1, alpha=alpha, df=df)) - power

    # bracket around the usual approximation t(1 − alpha/2) + t(power)
    guess = max(float(stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)), 1e-3)
    lower, upper = 0.5 * guess, 1.5 * guess
    if shortfall(lower) > 0:
        lower = 0.0
    while shortfall(upper) < 0:
        lower, upper = upper, 2 * upper
    return float(optimize.brentq(shortfall, lower, upper, xtol=1e-10))


def icc_anova(y: np.ndarray, groups: np.ndarray) -> float:
    """Intra-cluster correlation by one-way ANOVA, (MSB − MSW)/(MSB + (m₀−1)·MSW) with m₀ the
    size-adjusted mean cluster size; truncated at 0. Unweighted."""
    g = codes(pd.Series(groups))
    n, n_g = len(y), int(g.max()) + 1
    sizes = np.bincount(g, minlength=n_g).astype(float)
    means = np.bincount(g, weights=y, minlength=n_g) / sizes
    msb = float(sizes @ (means - y.mean()) ** 2) / (n_g - 1)
    msw = float(((y - means[g]) ** 2).sum()) / (n - n_g)
    m0 = (n - (sizes**2).sum() / n) / (n_g - 1)
    denom = msb + (m0 - 1) * msw
    return max(0.0, (msb - msw) / denom) if denom > 0 else 0.0


class GroupMDE(NamedTuple):
    """MDE for given groups and the quantities it was computed from."""

    mde: float
    sd: float
    icc: float
    cluster_size: float
    n_treated: int
    n_control: int


def group_mde(
    y: np.ndarray,
    treated: np.ndarray,
    w: np.ndarray,
    cluster: np.ndarray | None = None,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> GroupMDE:
    """MDE from arrays: SD pooled within groups (weights ``w``); with integer ``cluster`` codes,
    treated/control clusters, the ANOVA ICC and the mean cluster size."""
    n1, n0 = int(treated.sum()), int((~treated).sum())
    squares = [
        (m.sum() - 1) * describe_group(y[m], w[m])[1] ** 2 if m.sum() > 1 else 0.0
        for m in (treated, ~treated)
    ]
    sd = float(np.sqrt(sum(squares) / (n1 + n0 - 2))) if n1 + n0 > 2 else np.nan
    icc, size = 0.0, 1.0
    if cluster is not None:
        n1, n0 = len(np.unique(cluster[treated])), len(np.unique(cluster[~treated]))
        if n1 + n0 != len(np.unique(cluster)):
            raise ValueError("treatment must be constant within each cluster")
        icc, size = icc_anova(y, cluster), len(y) / (n1 + n0)
    value = mde(
        n_treated=n1, n_control=n0, sd=sd, alpha=alpha, power=power, icc=icc, cluster_size=size
    )
    return GroupMDE(value, sd, icc, size, n1, n0)


def minimum_detectable_effect(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> MDEResult:
    """MDE for the groups in ``df``, with the outcome SD (pooled within groups, weighted if
    ``weights``) and, with ``cluster``, the ICC (one-way ANOVA, unweighted) and mean cluster size
    estimated from the data. Units: the outcome's units (``mde``) and SDs (``mde_sd``)."""
    sub, notes = complete_rows(df, [outcome, treatment, cluster, weights], weights=weights)
    y, z = numeric(sub[outcome], outcome), binary(sub[treatment], treatment) == 1
    res = group_mde(
        y,
        z,
        weights_or_ones(sub, weights),
        codes(sub[cluster]) if cluster else None,
        alpha=alpha,
        power=power,
    )
    method = "two-sided t-test, exact noncentral t (statsmodels ttest_power); SD pooled within "
    method += "groups" + (f", weighted by {weights!r}" if weights else "")
    if cluster is not None:
        method += (
            f"; clusters {cluster!r}: SE = σ·√((ρ + (1−ρ)/m)(1/J₁ + 1/J₀)), ICC ρ by one-way "
            "ANOVA, m = mean cluster size, df = J₁ + J₀ − 2"
        )
        notes.append(
            (
                "Unequal cluster sizes are summarized by their mean, which understates the MDE "
                "when sizes vary a lot.",
                "Quy mô cụm không đều được tóm tắt bằng trung bình, có thể làm MDE thấp hơn "
                "thực tế.",
            )
        )
    return MDEResult(
        outcome=outcome,
        mde=res.mde,
        mde_sd=res.mde / res.sd if res.sd > 0 else np.nan,
        sd=res.sd,
        icc=res.icc,
        cluster_size=res.cluster_size,
        n_treated=res.n_treated,
        n_control=res.n_control,
        clustered=cluster is not None,
        df=float(res.n_treated + res.n_control - 2),
        alpha=alpha,
        power=power,
        method=method,
        **caveat_fields(notes),
    )
