"""Simulated data with a planted effect, and a Monte Carlo harness, to check the estimators:
rejection rate under no effect, coverage of the confidence intervals, bias.

The data-generating processes mimic the suite's data: households nested in communes with
sampling weights and pilots assigned by commune, selection on observed characteristics, and a
commune panel over waves with staggered adoption and heterogeneous, growing effects.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .results import DEFAULT_SEED, EstimateResult, StatsWarning


def simulate_clustered(
    rng: np.random.Generator,
    *,
    n_clusters: int = 40,
    cluster_size: int = 10,
    n_treated: int | None = None,
    n_strata: int = 1,
    effect: float = 0.0,
    icc: float = 0.2,
) -> pd.DataFrame:
    """Households in communes (``cluster``), pilots drawn by commune within ``stratum``.

    y = 1 + effect·treated + 0.5·x + u_cluster + e, with Var(u) = icc, Var(e) = 1 − icc and
    heteroskedastic e (larger in treated communes); ``weight`` ~ U(0.5, 2) is independent of y,
    so every weighted or unweighted estimand equals ``effect``. ``n_treated`` (default half) is
    the number of treated clusters per stratum.
    """
    per_stratum = n_clusters // n_strata
    n_treated = per_stratum // 2 if n_treated is None else n_treated
    stratum = np.repeat(np.arange(n_strata), per_stratum)
    block = np.r_[np.ones(n_treated), np.zeros(per_stratum - n_treated)]
    treated = np.concatenate([rng.permutation(block) for _ in range(n_strata)])
    g = len(stratum)
    cluster = np.repeat(np.arange(g), cluster_size)
    z = treated[cluster]
    x = rng.normal(size=len(cluster))
    noise = rng.normal(size=len(cluster)) * np.sqrt(1 - icc) * np.where(z == 1, 1.5, 1.0)
    y = 1 + effect * z + 0.5 * x + rng.normal(size=g)[cluster] * np.sqrt(icc) + noise
    return pd.DataFrame(
        {
            "cluster": cluster,
            "stratum": stratum[cluster],
            "treated": z.astype(np.int64),
            "x": x,
            "y": y,
            "weight": rng.uniform(0.5, 2.0, size=len(cluster)),
        }
    )


def simulate_selection(
    rng: np.random.Generator, *, n: int = 600, effect: float = 0.0
) -> pd.DataFrame:
    """Pilots selected on two observed characteristics (logistic), constant ``effect``.

    P(treated) = logistic(−0.3 + 0.8·x1 − 0.5·x2); y = effect·treated + x1 + 0.5·x2 + e. A raw
    difference in means is biased; weighting on x1, x2 recovers ``effect`` (ATT = ATE).
    """
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    z = rng.random(n) < 1 / (1 + np.exp(-(-0.3 + 0.8 * x1 - 0.5 * x2)))
    y = effect * z + x1 + 0.5 * x2 + rng.normal(size=n)
    return pd.DataFrame({"treated": z.astype(np.int64), "x1": x1, "x2": x2, "y": y})


@dataclass(frozen=True)
class StaggeredDesign:
    """A commune panel over ``n_periods`` waves with staggered adoption.

    Each of ``n_units`` communes is never treated with probability ``never_share``, else adopts
    in one of the waves ``cohorts`` (0-based positions) with equal probability. The effect of
    cohort g in wave t ≥ g is ``scale``·(1 + 0.5·(last cohort − g) + ``growth``·(t − g)):
    earlier cohorts gain more and effects grow with exposure, which is what biases plain TWFE.
    Outcomes have commune and wave effects and AR(1) errors (ρ = 0.5). With ``households`` > 0
    each commune-wave is a fresh sample of that many households with weights ~ U(0.5, 2)
    (repeated cross-sections).
    """

    n_units: int = 150
    n_periods: int = 6
    cohorts: tuple[int, ...] = (1, 3, 5)
    never_share: float = 0.2
    scale: float = 1.0
    growth: float = 1.0
    households: int = 0

    def effect(self, g: int, t: int) -> float:
        """True effect of cohort ``g`` in wave ``t`` (0 before adoption)."""
        if t < g:
            return 0.0
        return self.scale * (1 + 0.5 * (max(self.cohorts) - g) + self.growth * (t - g))

    def truth(self) -> float:
        """The estimand of :func:`analysis.stats.did`'s overall estimate in the population: the
        cohort-share-weighted mean over cohorts of each cohort's average post-adoption effect."""
        per_cohort = [
            np.mean([self.effect(g, t) for t in range(g, self.n_periods)]) for g in self.cohorts
        ]
        return float(np.mean(per_cohort))

    def simulate(self, rng: np.random.Generator) -> pd.DataFrame:
        """One panel: columns ``unit``, ``wave`` (2020, 2021, ...), ``adoption`` (inf: never),
        ``treated``, ``y`` (and ``weight`` with households)."""
        k = len(self.cohorts)
        shares = np.r_[np.full(k, (1 - self.never_share) / k), self.never_share]
        cohort = rng.choice(k + 1, size=self.n_units, p=shares)
        adoption = np.r_[np.array(self.cohorts, dtype=float), np.inf][cohort]
        effects = np.array(
            [[self.effect(g, t) for t in range(self.n_periods)] for g in self.cohorts]
            + [[0.0] * self.n_periods]
        )
        n = self.n_units
        errors = np.empty((n, self.n_periods))
        errors[:, 0] = rng.normal(size=n)
        for t in range(1, self.n_periods):
            errors[:, t] = 0.5 * errors[:, t - 1] + rng.normal(size=n) * np.sqrt(0.75)
        unit, wave = np.repeat(np.arange(n), self.n_periods), np.tile(np.arange(self.n_periods), n)
        unit_fe = rng.normal(size=n)
        y = unit_fe[unit] + 0.3 * wave + effects[cohort[unit], wave] + errors[unit, wave]
        frame = pd.DataFrame(
            {
                "unit": unit,
                "wave": 2020 + wave,
                "adoption": adoption[unit] + 2020,
                "treated": (wave >= adoption[unit]).astype(np.int64),
                "y": y,
            }
        )
        if self.households == 0:
            return frame
        rows = frame.loc[frame.index.repeat(self.households)].reset_index(drop=True)
        rows["y"] += rng.normal(size=len(rows))
        rows["weight"] = rng.uniform(0.5, 2.0, size=len(rows))
        return rows


@dataclass(frozen=True)
class MonteCarlo:
    """Summary of repeated estimation on simulated data (rates with their Monte Carlo SEs)."""

    reps: int
    truth: float
    mean_estimate: float
    bias: float
    sd_estimate: float
    mean_se: float
    rejection_rate: float
    coverage: float
    mc_se_rejection: float
    mc_se_coverage: float

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


def monte_carlo(
    dgp: Callable[[np.random.Generator], pd.DataFrame],
    estimator: Callable[[pd.DataFrame], EstimateResult],
    *,
    truth: float,
    reps: int,
    seed: int = DEFAULT_SEED,
) -> MonteCarlo:
    """Run ``estimator`` on ``reps`` data sets from ``dgp`` (one seeded generator).

    Rejection: the reported p-value (:meth:`EstimateResult.inference`) is below the result's
    alpha (H0: no effect; a size check when ``truth`` = 0). Coverage: the reported CI contains
    ``truth``. :class:`StatsWarning` is silenced inside the loop.
    """
    rng = np.random.default_rng(seed)
    est, se, reject, cover = (np.empty(reps) for _ in range(4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)
        for i in range(reps):
            res = estimator(dgp(rng))
            inf = res.inference()
            est[i], se[i] = res.estimate, res.se
            reject[i] = inf.pvalue < res.alpha
            cover[i] = inf.ci_low <= truth <= inf.ci_high
    r, c = reject.mean(), cover.mean()
    return MonteCarlo(
        reps=reps,
        truth=truth,
        mean_estimate=float(est.mean()),
        bias=float(est.mean() - truth),
        sd_estimate=float(est.std(ddof=1)),
        mean_se=float(se.mean()),
        rejection_rate=float(r),
        coverage=float(c),
        mc_se_rejection=float(np.sqrt(r * (1 - r) / reps)),
        mc_se_coverage=float(np.sqrt(c * (1 - c) / reps)),
    )
