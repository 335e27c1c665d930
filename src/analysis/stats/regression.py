"""Regression-adjusted difference: OLS/WLS with covariates and absorbed fixed effects,
cluster-robust or heteroskedasticity-robust SEs, and a wild cluster bootstrap for few clusters.

Conventions (each result names them in ``method``):

- Weights are sampling (probability) weights: WLS point estimates with robust SEs (Stata
  ``[pweight]``).
- No clusters: HC1, factor N/(N−K), p-values and CI from t(N−K) (Stata ``, robust``).
- Clusters: CR1, factor G/(G−1)·(N−1)/(N−K), p-values and CI from t(G−1) (Stata
  ``vce(cluster)``; the factor of R ``sandwich::vcovCL`` and statsmodels; statsmodels' own
  p-values use the normal instead).
- Fixed effects are absorbed (weighted within transformation, alternating projections). K is the
  number of slope coefficients plus the fixed-effect degrees of freedom **not nested within the
  clusters** (reghdfe; fixest ``fixef.K = "nested"``): commune fixed effects with commune clusters
  do not count, province fixed effects with commune clusters do. Redundant levels are found
  exactly for the first two fixed-effect sets (connected components), one per further set.
- With fewer than 30 clusters a :class:`StatsWarning` is raised and, by default, a wild cluster
  bootstrap-t (restricted: null imposed; Rademacher or Webb weights; seeded) gives a p-value and
  a CI by test inversion (Cameron, Gelbach & Miller 2008; Roodman et al. 2019).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components
from statsmodels.regression.linear_model import WLS

from ._frame import as_list, binary, codes, complete_rows, design, numeric, weights_or_ones
from .results import (
    DEFAULT_SEED,
    FEW_CLUSTERS,
    FEW_TREATED,
    Caveat,
    RegressionResult,
    StatsWarning,
    WaldTest,
    WildBootstrap,
    caveat_fields,
    invert_test,
    t_inference,
)

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def indicator(codes_: np.ndarray, n_levels: int | None = None) -> sparse.csr_matrix:
    """Sparse N × L 0/1 matrix of a coded grouping (row i has a one in column codes_[i])."""
    n = len(codes_)
    n_levels = int(codes_.max()) + 1 if n_levels is None else n_levels
    return sparse.csr_matrix((np.ones(n), (np.arange(n), codes_)), shape=(n, n_levels))


def group_sum(values: np.ndarray, codes_: np.ndarray, n_levels: int) -> np.ndarray:
    """Sums of ``values`` (N or N × k) within the groups ``codes_`` (L or L × k)."""
    if values.ndim == 1:
        return np.bincount(codes_, weights=values, minlength=n_levels)
    return np.asarray(indicator(codes_, n_levels).T @ values)


def demean(
    a: np.ndarray, w: np.ndarray, fe: Sequence[np.ndarray], *, tol: float = 1e-11
) -> np.ndarray:
    """Weighted within transformation of the columns of ``a`` (N or N × k) by the fixed-effect
    codes ``fe`` (alternating projections; one pass is exact for a single set)."""
    out = np.array(a, dtype=np.float64, copy=True)
    flat = out.ndim == 1
    out = out.reshape(len(out), -1)
    sets = [(indicator(c), np.bincount(c, weights=w)) for c in fe]
    scale = max(1.0, float(np.abs(out).max(initial=0.0)))
    for _ in range(10_000):
        change = 0.0
        for dummies, wsum in sets:
            means = np.asarray(dummies.T @ (out * w[:, None])) / wsum[:, None]
            out -= np.asarray(dummies @ means)
            change = max(change, float(np.abs(means).max(initial=0.0)))
        if len(sets) <= 1 or change <= tol * scale:
            break
    else:
        warnings.warn("fixed-effect demeaning did not converge", StatsWarning, stacklevel=2)
    return out[:, 0] if flat else out


def _nested(fe_codes: np.ndarray, cluster: np.ndarray) -> bool:
    """True when every fixed-effect level lies within a single cluster."""
    pairs = fe_codes.astype(np.int64) * (int(cluster.max()) + 1) + cluster
    return len(np.unique(pairs)) == int(fe_codes.max()) + 1


def _fe_dof(fe: Sequence[np.ndarray], cluster: np.ndarray | None) -> tuple[int, bool]:
    """Fixed-effect degrees of freedom counted in K, and whether all sets nest in the clusters."""
    if not fe:
        return 0, False
    levels = [int(c.max()) + 1 for c in fe]
    total = sum(levels) - (len(fe) - 1)
    if len(fe) >= 2:
        graph = sparse.coo_matrix(
            (np.ones(len(fe[0])), (fe[0], levels[0] + fe[1])),
            shape=(levels[0] + levels[1],) * 2,
        )
        total += 1 - connected_components(graph, directed=False)[0]
    nested = [cluster is not None and _nested(c, cluster) for c in fe]
    counted = total - sum(n for n, is_nested in zip(levels, nested, strict=True) if is_nested)
    return max(counted, 0), all(nested)


@dataclass(frozen=True)
class LinearFit:
    """A weighted least-squares fit after absorbing fixed effects (internal building block).

    ``x``/``y`` are the demeaned design and outcome, ``bread`` is (X'WX)⁻¹, ``cov`` the robust
    covariance with the small-sample ``cov_factor`` applied, ``k`` the K used in that factor.
    """

    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    cov_factor: float
    df_inference: float
    nobs: int
    k: int
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    resid: np.ndarray
    bread: np.ndarray
    cluster: np.ndarray | None
    n_clusters: int | None
    fe: list[np.ndarray]
    fe_nested: bool
    dropped: list[str]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def inference(self, name: str, alpha: float) -> tuple[float, float, float, float, float]:
        """(estimate, se, p, ci_low, ci_high) for one coefficient, t(df_inference)."""
        j = self.index(name)
        est, se = float(self.params[j]), float(np.sqrt(self.cov[j, j]))
        return est, se, *t_inference(est, se, self.df_inference, alpha)

    def influence(self) -> np.ndarray:
        """Per-row influence on the coefficients: β̂ − β ≈ Σᵢ rowᵢ (N × K)."""
        return (self.x * (self.w * self.resid)[:, None]) @ self.bread

    def coefficients(self, alpha: float) -> pd.DataFrame:
        keys = ("estimate", "se", "pvalue", "ci_low", "ci_high")
        rows = [dict(zip(keys, self.inference(n, alpha), strict=True)) for n in self.names]
        return pd.DataFrame(rows, index=pd.Index(self.names, name="term"))

    def wald(self, names: Sequence[str], method: str) -> WaldTest:
        """Joint Wald test that the coefficients ``names`` are all zero (see :func:`wald_test`)."""
        idx = [self.index(n) for n in names]
        return wald_test(
            self.params[idx], self.cov[np.ix_(idx, idx)], self.df_inference, self.nobs, method
        )


def wald_test(b: np.ndarray, v: np.ndarray, df2: float, n: int, method: str) -> WaldTest:
    """Wald test of b = 0 with covariance ``v`` as F(q, df2), q = rank(v) (restrictions beyond
    the rank are dropped, as Stata's ``test`` does)."""
    q = int(np.linalg.matrix_rank(v))
    stat = float(b @ np.linalg.pinv(v) @ b) / q if q else np.nan
    pvalue = float(stats.f.sf(stat, q, df2)) if q else np.nan
    return WaldTest(statistic=stat, df1=q, df2=df2, pvalue=pvalue, n=n, method=method)


def _independent_columns(x: np.ndarray, w: np.ndarray, norms: np.ndarray) -> list[int]:
    """Indices of columns kept in order (earlier columns win), dropping those collinear with
    the kept ones or (near) zero after absorbing fixed effects."""
    sx = x * np.sqrt(w)[:, None]
    kept: list[int] = []
    for j in range(x.shape[1]):
        if np.linalg.norm(sx[:, j]) <= 1e-9 * norms[j]:
            continue
        if np.linalg.matrix_rank(sx[:, [*kept, j]]) == len(kept) + 1:
            kept.append(j)
    return kept


def fit_linear(
    y: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    *,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    fe: Sequence[np.ndarray] = (),
) -> LinearFit:
    """WLS of ``y`` on ``x`` (+ intercept, or + absorbed ``fe``) with HC1 or CR1 covariance.

    statsmodels computes the fit and the sandwich; the small-sample factor is then rescaled so
    that K also counts the non-nested fixed-effect degrees of freedom (see module docstring).
    """
    n = len(y)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    fe = list(fe)
    if fe:
        both = demean(np.column_stack([y, x]), w, fe)
        yt, xt, cols = both[:, 0], both[:, 1:], list(names)
        norms = np.linalg.norm(x * np.sqrt(w)[:, None], axis=0)
    else:
        yt, xt, cols = y, np.column_stack([np.ones(n), x]), ["Intercept", *names]
        norms = np.linalg.norm(xt * np.sqrt(w)[:, None], axis=0)
    kept = _independent_columns(xt, w, norms)
    if not kept:
        raise ValueError("every regressor is collinear with the fixed effects")
    dropped = [c for i, c in enumerate(cols) if i not in kept]
    xt, cols = xt[:, kept], [cols[i] for i in kept]
    model = WLS(yt, xt, weights=w)
    if cluster is None:
        res = model.fit(cov_type="HC1")
        n_clusters = None
    else:
        res = model.fit(cov_type="cluster", cov_kwds={"groups": cluster})
        n_clusters = len(np.unique(cluster))
    fe_dof, fe_nested = _fe_dof(fe, cluster)
    k_sm = xt.shape[1]
    k = k_sm + fe_dof
    if n - k <= 0:
        raise ValueError(f"not enough observations ({n}) for {k} parameters")
    rescale = (n - k_sm) / (n - k)
    if n_clusters is None:
        factor, df_inf = n / (n - k), float(n - k)
    else:
        if n_clusters < 2:
            raise ValueError("cluster-robust inference needs at least 2 clusters")
        factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
        df_inf = float(n_clusters - 1)
    return LinearFit(
        names=cols,
        params=np.asarray(res.params),
        cov=np.asarray(res.cov_params()) * rescale,
        cov_factor=factor,
        df_inference=df_inf,
        nobs=n,
        k=k,
        x=xt,
        y=yt,
        w=w,
        resid=np.asarray(res.resid),
        bread=np.asarray(res.normalized_cov_params),
        cluster=cluster,
        n_clusters=n_clusters,
        fe=fe,
        fe_nested=fe_nested,
        dropped=dropped,
    )


def describe(fit: LinearFit, *, cluster: str | None, fe: Sequence[str], weights: str | None) -> str:
    """The conventions of a fit, in words, for a result's ``method``; ``weights`` describes the
    weights (None: unweighted OLS)."""
    parts = [f"WLS with weights {weights}" if weights else "OLS"]
    if fe:
        parts.append(f"absorbed fixed effects {list(fe)}")
    if cluster is None:
        parts.append(f"HC1 robust SE (N/(N−K), K = {fit.k}), t(N−K) p-values and CI")
    else:
        parts.append(
            f"CR1 cluster-robust SE by {cluster!r} (G/(G−1)·(N−1)/(N−K), G = {fit.n_clusters}, "
            f"K = {fit.k}; fixed effects nested in clusters not counted in K), t(G−1) p-values "
            "and CI"
        )
    return "; ".join(parts)


class WildT:
    """Bootstrap t-statistics of the wild cluster restricted bootstrap for one coefficient.

    The null β = β₀ is imposed, the restricted residuals are multiplied by one draw per cluster
    and the bootstrap t uses the fit's CR1 studentization. Everything is linear in the draws and
    in β₀, so the t-statistics for any draws and any β₀ come from G × G matrices (the algebra of
    Roodman et al. 2019, with fixed effects not nested in the clusters re-absorbed exactly).
    """

    def __init__(self, fit: LinearFit, name: str):
        if fit.cluster is None or fit.n_clusters is None:
            raise ValueError("the wild cluster bootstrap needs a clustered fit")
        self.fit, j = fit, fit.index(name)
        x, w, bread = fit.x, fit.w, fit.bread
        self._to_cluster = indicator(fit.cluster, fit.n_clusters).T
        self._a = x @ bread[:, j]
        self._c = np.asarray(self._to_cluster @ (x * (w * self._a)[:, None])) @ bread
        others = np.delete(x, j, axis=1)
        sw = np.sqrt(w)

        def restricted(v: np.ndarray) -> np.ndarray:
            if others.shape[1] == 0:
                return v
            return v - others @ np.linalg.lstsq(others * sw[:, None], v * sw, rcond=None)[0]

        self._a0, self._b0 = self._pieces(restricted(fit.y))
        self._a1, self._b1 = self._pieces(restricted(x[:, j]))
        self.estimate = float(fit.params[j])
        self.se = float(np.sqrt(fit.cov[j, j]))

    def _pieces(self, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fit, a, w = self.fit, self._a, self.fit.w
        b = np.asarray(self._to_cluster @ (a * w * e))
        s = np.asarray(self._to_cluster @ (fit.x * (w * e)[:, None]))
        if fit.fe and not fit.fe_nested:
            spread = demean(self._to_cluster.T.multiply(e[:, None]).toarray(), w, fit.fe)
            p_mat = np.asarray(self._to_cluster @ ((a * w)[:, None] * spread))
        else:
            p_mat = np.diag(b)
        return p_mat - self._c @ s.T, b

    def t_stats(self, beta0: float, draws: np.ndarray) -> np.ndarray:
        """Bootstrap t-statistics for H0: β = ``beta0``; ``draws`` is G × B."""
        num = (self._b0 - beta0 * self._b1) @ draws
        den = np.sqrt(self.fit.cov_factor * (((self._a0 - beta0 * self._a1) @ draws) ** 2).sum(0))
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def pvalue(self, beta0: float, draws: np.ndarray) -> float:
        """Symmetric bootstrap p-value: share of |t*| ≥ |t| for H0: β = ``beta0``."""
        t_obs = abs(self.estimate - beta0) / self.se
        return float(np.mean(np.abs(self.t_stats(beta0, draws)) >= t_obs * (1 - 1e-10)))


def wild_cluster_bootstrap(
    fit: LinearFit,
    name: str,
    *,
    alpha: float = 0.05,
    reps: int = 9999,
    weights: Literal["rademacher", "webb"] = "rademacher",
    seed: int = DEFAULT_SEED,
) -> WildBootstrap:
    """Wild cluster restricted bootstrap-t (WCR) p-value and CI for the coefficient ``name``.

    Rademacher draws are enumerated exactly when 2^G ≤ ``reps``; otherwise ``reps`` draws with
    ``seed``. The CI collects the β₀ whose p-value exceeds ``alpha`` (bisection on each side).
    """
    if weights not in ("rademacher", "webb"):
        raise ValueError("weights must be 'rademacher' or 'webb'")
    wild = WildT(fit, name)
    n_g = int(fit.n_clusters)
    enumerated = weights == "rademacher" and 2**n_g <= reps
    if enumerated:
        draws = ((np.arange(2**n_g)[:, None] >> np.arange(n_g)) & 1) * 2.0 - 1.0
    else:
        support = np.array([-1.0, 1.0]) if weights == "rademacher" else WEBB
        draws = np.random.default_rng(seed).choice(support, size=(reps, n_g))
    draws = draws.T
    ci_low, ci_high = invert_test(
        lambda beta0: wild.pvalue(beta0, draws), wild.estimate, wild.se, alpha
    )
    kind = f"all {2**n_g} sign vectors enumerated" if enumerated else f"{reps} draws, seed {seed}"
    return WildBootstrap(
        pvalue=wild.pvalue(0.0, draws),
        ci_low=ci_low,
        ci_high=ci_high,
        reps=draws.shape[1],
        weights=weights,
        enumerated=enumerated,
        seed=seed,
        method=f"wild cluster bootstrap-t, restricted (null imposed), {weights} weights, "
        f"{kind}; CR1 studentization; symmetric p-value; CI by test inversion",
    )


def few_clusters_caveat(n_clusters: int, n_treated_clusters: int) -> list[Caveat]:
    """Caveats (and a warning) when clusters or treated clusters are few."""
    notes: list[Caveat] = []
    if n_clusters < FEW_CLUSTERS:
        msg = (
            f"Only {n_clusters} clusters: cluster-robust SEs are unreliable with fewer than "
            f"{FEW_CLUSTERS}; see the wild cluster bootstrap or randomization inference."
        )
        warnings.warn(msg, StatsWarning, stacklevel=3)
        notes.append(
            (
                msg,
                f"Chỉ có {n_clusters} cụm: sai số chuẩn theo cụm kém tin cậy khi ít hơn "
                f"{FEW_CLUSTERS} cụm; xem kết quả wild bootstrap hoặc kiểm định hoán vị.",
            )
        )
    if n_treated_clusters < FEW_TREATED:
        notes.append(
            (
                f"Only {n_treated_clusters} treated clusters: even the wild cluster bootstrap is "
                "unreliable with so few treated clusters (MacKinnon & Webb 2017); prefer "
                "permutation_test.",
                f"Chỉ có {n_treated_clusters} cụm thí điểm: ngay cả wild bootstrap cũng kém tin "
                "cậy khi có quá ít cụm thí điểm; nên dùng kiểm định hoán vị.",
            )
        )
    return notes


def regress(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    covariates: str | Sequence[str] | None = None,
    fe: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    wild_bootstrap: bool | None = None,
    bootstrap_weights: Literal["rademacher", "webb"] = "rademacher",
    reps: int = 9999,
    seed: int = DEFAULT_SEED,
) -> RegressionResult:
    """Regression-adjusted difference: coefficient of the 0/1 ``treatment`` in a WLS of
    ``outcome`` on it, ``covariates`` (non-numeric ones dummy-coded) and absorbed ``fe``.

    Cluster at the level of treatment (the commune for household data). ``wild_bootstrap=None``
    runs the wild cluster bootstrap when there are fewer than 30 clusters. The estimate is in the
    outcome's units; it is causal only if assignment is as good as random given the controls.
    """
    covariates, fe = as_list(covariates), as_list(fe)
    sub, notes = complete_rows(
        df, [outcome, treatment, *covariates, *fe, cluster, weights], weights=weights
    )
    z = binary(sub[treatment], treatment)
    x_cov, cov_names = design(sub, covariates)
    g = codes(sub[cluster]) if cluster else None
    fit = fit_linear(
        numeric(sub[outcome], outcome),
        np.column_stack([z, x_cov]),
        [treatment, *cov_names],
        weights=weights_or_ones(sub, weights),
        cluster=g,
        fe=[codes(sub[f]) for f in fe],
    )
    if treatment in fit.dropped:
        raise ValueError(f"{treatment!r} is collinear with the fixed effects or covariates")
    if fit.dropped:
        notes.append(
            (
                f"Dropped as collinear: {fit.dropped}.",
                f"Đã loại do đa cộng tuyến: {fit.dropped}.",
            )
        )
    est, se, p, lo, hi = fit.inference(treatment, alpha)
    n_treated_clusters = None
    wild = None
    method = describe(
        fit, cluster=cluster, fe=fe, weights=weights and f"sampling weights {weights!r}"
    )
    if g is not None:
        n_treated_clusters = len(np.unique(g[z == 1]))
        notes += few_clusters_caveat(fit.n_clusters, n_treated_clusters)
        if wild_bootstrap is None:
            wild_bootstrap = fit.n_clusters < FEW_CLUSTERS
        if wild_bootstrap:
            wild = wild_cluster_bootstrap(
                fit, treatment, alpha=alpha, reps=reps, weights=bootstrap_weights, seed=seed
            )
            method += "; " + wild.method
    elif wild_bootstrap:
        raise ValueError("wild_bootstrap=True needs a cluster column")
    return RegressionResult(
        estimator="Regression-adjusted difference",
        outcome=outcome,
        estimate=est,
        se=se,
        ci_low=lo,
        ci_high=hi,
        pvalue=p,
        df=fit.df_inference,
        alpha=alpha,
        n_treated=int(z.sum()),
        n_control=int((1 - z).sum()),
        n_clusters=fit.n_clusters,
        n_treated_clusters=n_treated_clusters,
        method=method,
        coefficients=fit.coefficients(alpha),
        covariates=cov_names,
        fe=fe,
        wild=wild,
        **caveat_fields(notes),
    )
