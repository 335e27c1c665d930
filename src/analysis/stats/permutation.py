"""Randomization (permutation) inference for small groups.

The treatment labels are re-assigned over the units of assignment (clusters when ``cluster`` is
given, e.g. communes for household data; rows otherwise), keeping the number of treated units in
each stratum (e.g. province) fixed. The p-value is the share of assignments whose statistic is at
least as extreme as the observed one (two-sided: |T| ≥ |T_obs|), which tests the sharp null of
no effect for any unit *as if* pilots had been drawn at random within strata.

- Exact when the number of assignments Π C(n_s, t_s) is at most ``max_exact`` (100,000): every
  assignment is enumerated. Otherwise Monte Carlo with ``draws`` draws and ``seed``, p-value
  (1 + #{|T*| ≥ |T_obs|})/(1 + draws) (Phipson & Smyth 2010).
- Statistic: difference in (weighted) means, treated − control; with strata, the average of the
  within-stratum differences weighted by each stratum's share of total weight (of rows when
  unweighted). Strata without both treated and control units are dropped.
- The CI inverts the test under a constant additive effect (Hodges–Lehmann style); the SE is
  the SD of the randomization distribution. The minimum detectable effect comes from
  :func:`analysis.stats.minimum_detectable_effect` (ignoring strata), and is infinite when the
  smallest attainable p-value exceeds ``alpha``: then the data cannot answer, and the result
  says so.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import combinations

import numpy as np
import pandas as pd

from ._frame import binary, codes, complete_rows, numeric, weights_or_ones
from .power import group_mde
from .regression import group_sum
from .results import DEFAULT_SEED, PermutationResult, caveat_fields, invert_test


def _differences(s: np.ndarray, w: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Weighted mean differences for many assignments in one stratum.

    ``s``: units × k weighted sums, ``w``: unit weights, ``treated``: assignments × t indices of
    treated units. Returns assignments × k differences (treated − control)."""
    s1, w1 = s[treated].sum(axis=1), w[treated].sum(axis=1)
    return s1 / w1[:, None] - (s.sum(axis=0) - s1) / (w.sum() - w1)[:, None]


def _chunks(n_units: int, draws: int):
    size = max(1, 2_000_000 // max(n_units, 1))
    for start in range(0, draws, size):
        yield min(size, draws - start)


def randomization_distribution(
    s: np.ndarray,
    w: np.ndarray,
    z: np.ndarray,
    strata: np.ndarray,
    *,
    max_exact: int = 100_000,
    draws: int = 10_000,
    seed: int = DEFAULT_SEED,
) -> tuple[np.ndarray, np.ndarray, bool, int]:
    """Statistic for the observed and for the re-randomized assignments.

    ``s`` (units × k), ``w`` (units) are per-unit weighted sums and weights, ``z`` the observed
    0/1 assignment, ``strata`` stratum codes (every stratum must have treated and control units).
    Returns (observed k-vector, assignments × k array, exact?, number of possible assignments).
    """
    groups = [np.flatnonzero(strata == k) for k in np.unique(strata)]
    share = np.array([w[idx].sum() for idx in groups]) / w.sum()
    observed = sum(
        lam * _differences(s[idx], w[idx], np.flatnonzero(z[idx])[None, :])[0]
        for lam, idx in zip(share, groups, strict=True)
    )
    n_assign = math.prod(math.comb(len(idx), int(z[idx].sum())) for idx in groups)
    if n_assign <= max_exact:
        total = np.zeros((1, s.shape[1]))
        for lam, idx in zip(share, groups, strict=True):
            treated = np.array(list(combinations(range(len(idx)), int(z[idx].sum()))))
            part = lam * _differences(s[idx], w[idx], treated)
            total = (total[:, None, :] + part[None, :, :]).reshape(-1, s.shape[1])
        return observed, total, True, n_assign
    sizes = tuple((len(idx), int(z[idx].sum())) for idx in groups)
    blocks = []
    for chunk in _draws(sizes, draws, seed):
        block = np.zeros((len(chunk[0]), s.shape[1]))
        for lam, idx, treated in zip(share, groups, chunk, strict=True):
            block += lam * _differences(s[idx], w[idx], treated)
        blocks.append(block)
    return observed, np.vstack(blocks), False, n_assign


@lru_cache(maxsize=8)
def _draws(sizes: tuple[tuple[int, int], ...], draws: int, seed: int) -> list[list[np.ndarray]]:
    """Monte Carlo assignments: per chunk, per stratum of (units, treated) ``sizes``, draws × t
    indices of treated units (the t smallest of uniform keys, in order of their keys).

    Cached: outcomes with the same group sizes (e.g. the indicators of one brief) share them,
    as the same seed would draw them anyway."""
    rng = np.random.default_rng(seed)
    chunks = []
    for size in _chunks(max(n for n, _ in sizes), draws):
        chunk = []
        for n, t in sizes:
            keys = rng.random((size, n))
            first = np.argpartition(keys, t - 1, axis=1)[:, :t]
            order = np.argsort(np.take_along_axis(keys, first, axis=1), axis=1)
            treated = np.take_along_axis(first, order, axis=1)
            treated.flags.writeable = False
            chunk.append(treated)
        chunks.append(chunk)
    return chunks


def _pvalue(null: np.ndarray, observed: float, exact: bool) -> float:
    hits = np.sum(np.abs(null) >= abs(observed) - 1e-9 * (1 + abs(observed)))
    return float(hits / len(null)) if exact else float((hits + 1) / (len(null) + 1))


def permutation_test(
    df: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    strata: str | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    max_exact: int = 100_000,
    draws: int = 10_000,
    seed: int = DEFAULT_SEED,
    power: float = 0.8,
) -> PermutationResult:
    """Randomization inference for the difference in (weighted) means of ``outcome`` between
    treatment = 1 and 0, re-assigning treatment over clusters (if ``cluster``) within ``strata``.

    Treatment and strata must be constant within clusters. Units: the outcome's units. The
    result's ``sentence`` says plainly when the groups are too small to reach ``alpha``.
    """
    sub, notes = complete_rows(df, [outcome, treatment, strata, cluster, weights], weights=weights)
    y, z_row = numeric(sub[outcome], outcome), binary(sub[treatment], treatment)
    w_row = weights_or_ones(sub, weights)
    unit = codes(sub[cluster]) if cluster else np.arange(len(sub))
    n_units = int(unit.max()) + 1
    stratum_row = codes(sub[strata]) if strata else np.zeros(len(sub), dtype=np.intp)
    first = np.unique(unit, return_index=True)[1]
    z, stratum = z_row[first], stratum_row[first]
    if not (np.array_equal(z[unit], z_row) and np.array_equal(stratum[unit], stratum_row)):
        raise ValueError(f"treatment and strata must be constant within each {cluster!r}")
    s = group_sum(np.column_stack([w_row * y, w_row * z_row]), unit, n_units)
    w = group_sum(w_row, unit, n_units)

    n_treated = np.bincount(stratum, weights=z)
    n_all = np.bincount(stratum)
    keep = ((n_treated > 0) & (n_treated < n_all))[stratum]
    if not keep.any():
        raise ValueError("no stratum has both treated and control units")
    if not keep.all():
        notes.append(
            (
                f"{int((~keep).sum())} units in strata without both groups were left out.",
                f"Đã bỏ {int((~keep).sum())} đơn vị thuộc các tầng không có đủ cả hai nhóm.",
            )
        )
    observed, null, exact, n_assign = randomization_distribution(
        s[keep], w[keep], z[keep], stratum[keep], max_exact=max_exact, draws=draws, seed=seed
    )
    estimate = float(observed[0])
    pvalue = _pvalue(null[:, 0], estimate, exact)
    extreme = np.abs(null[:, 0]).max()
    min_p = _pvalue(null[:, 0], extreme, exact) if exact else 1 / (len(null) + 1)
    answerable = min_p <= alpha
    if answerable:
        ci = invert_test(
            lambda tau: _pvalue(null[:, 0] - tau * null[:, 1], estimate - tau, exact),
            estimate,
            float(null[:, 0].std()),
            alpha,
        )
        rows = keep[unit]
        effect = group_mde(
            y[rows],
            z_row[rows] == 1,
            w_row[rows],
            unit[rows] if cluster else None,
            alpha=alpha,
            power=power,
        ).mde
    else:
        ci, effect = (-np.inf, np.inf), np.inf
        notes.append(
            (
                f"Too few units: the smallest attainable p-value is {min_p:.3g} > {alpha:g}, so "
                "no difference could be statistically significant; the data cannot answer.",
                f"Quá ít đơn vị: giá trị p nhỏ nhất có thể đạt được là {min_p:.3g} > {alpha:g}, "
                "nên không khác biệt nào có thể có ý nghĩa thống kê; dữ liệu không đủ để kết luận.",
            )
        )
    notes.append(
        (
            "The p-value treats pilots as if randomly assigned within strata; they were selected.",
            "Giá trị p coi các xã thí điểm như được chọn ngẫu nhiên trong từng tầng; thực tế "
            "chúng được lựa chọn.",
        )
    )
    kept_z = z[keep]
    draws_text = "exact enumeration" if exact else f"Monte Carlo, {len(null)} draws, seed {seed}"
    statistic = (
        "difference in " + ("weighted " if weights else "") + "means, treated − control"
        if strata is None
        else "within-stratum differences in means, averaged with stratum weight shares"
    )
    return PermutationResult(
        estimator="Randomization inference",
        outcome=outcome,
        estimate=estimate,
        se=float(null[:, 0].std()),
        ci_low=float(ci[0]),
        ci_high=float(ci[1]),
        pvalue=pvalue,
        df=np.nan,
        alpha=alpha,
        n_treated=int(z_row[keep[unit]].sum()),
        n_control=int((1 - z_row[keep[unit]]).sum()),
        n_clusters=int(keep.sum()) if cluster else None,
        n_treated_clusters=int(kept_z.sum()) if cluster else None,
        method=(
            f"randomization inference over {'clusters ' + repr(cluster) if cluster else 'rows'}"
            + (f" within strata {strata!r}" if strata else "")
            + f"; {draws_text} of {n_assign} possible assignments; two-sided p = share of "
            "|T| ≥ |T_obs|; CI by inverting the test under a constant additive effect; SE = SD "
            "of the randomization distribution"
        ),
        statistic=statistic,
        exact=exact,
        n_assignments=n_assign,
        draws=None if exact else len(null),
        seed=None if exact else seed,
        min_pvalue=float(min_p),
        mde=float(effect),
        power=power,
        distribution=null[:, 0],
        **caveat_fields(notes),
    )
