"""Comparison (balance) table between pilot and non-pilot units, the equivalent of iebaltab.

Per outcome: N, mean, SD and SE of the mean per group; the difference (treated − control) with
CI and p-value; two normalized differences; a multiple-testing correction over the table; and a
joint test of orthogonality (treatment regressed on all outcomes).

Conventions:

- No weights, clusters or fixed effects: Welch's unequal-variance t-test (scipy), CI with the
  Welch–Satterthwaite df. Otherwise the difference is the treatment coefficient of a WLS of the
  outcome on the treatment (+ absorbed fixed effects), with HC1 or CR1/t(G−1) inference as in
  :func:`analysis.stats.regress`; the ``test`` column says which.
- Weighted SD: √(n/(n−1) · Σw(x−x̄)²/Σw) (Stata ``summarize [aweight]``). SE of a group mean:
  linearization (Stata ``mean [pweight]``, ``vce(cluster)`` when clustered).
- ``nd_pooled_sd`` = (x̄₁ − x̄₀)/√((s₁² + s₀²)/2) (Imbens & Rubin; iebaltab ``nrmd``);
  ``nd_treated_sd`` = (x̄₁ − x̄₀)/s₁ with s₁ = √(p₁(1−p₁)) for 0/1 variables (MatchIt, cobalt for
  the ATT). Both use the (weighted) group statistics; neither is adjusted for fixed effects.
- Multiple testing: Holm (default) or Benjamini–Hochberg via statsmodels ``multipletests``.
- Joint test: WLS of the treatment on all outcomes (+ fixed effects), complete cases, Wald F of
  all outcome coefficients with the same HC1 or CR1 covariance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._frame import as_list, binary, codes, complete_rows, numeric, weights_or_ones
from .multitest import METHODS as CORRECTIONS
from .multitest import adjust_pvalues
from .regression import describe, fit_linear, group_sum
from .results import FEW_TREATED, BalanceTable, Caveat, WaldTest, caveat_fields

JOINT_NOT_COMPUTABLE: Caveat = (
    "Joint test not computable (too few observations or clusters for the outcomes).",
    "Không tính được kiểm định đồng thời (quá ít quan sát hoặc cụm so với số chỉ tiêu).",
)


def describe_group(
    x: np.ndarray, w: np.ndarray, cluster: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(mean, SD, SE of the mean) of ``x`` with weights ``w``, SE clustered if ``cluster``."""
    n = len(x)
    wsum = w.sum()
    mean = float(w @ x / wsum)
    dev = x - mean
    sd = float(np.sqrt(n / (n - 1) * (w @ dev**2) / wsum)) if n > 1 else np.nan
    score = w * dev / wsum
    if cluster is None:
        se = float(np.sqrt(n / (n - 1) * (score @ score))) if n > 1 else np.nan
    else:
        _, g = np.unique(cluster, return_inverse=True)
        n_g = int(g.max()) + 1
        sums = group_sum(score, g, n_g)
        se = float(np.sqrt(n_g / (n_g - 1) * (sums @ sums))) if n_g > 1 else np.nan
    return mean, sd, se


def treated_scale(x: np.ndarray, w: np.ndarray, sd: float) -> float:
    """Denominator of the treated-SD normalized difference: √(p(1−p)) for a 0/1 variable
    (p its weighted mean), else ``sd``."""
    if np.isin(x, (0.0, 1.0)).all():
        p = float(w @ x / w.sum())
        return float(np.sqrt(p * (1 - p)))
    return sd


def normalized_difference(
    mean_t: float, mean_c: float, sd_t: float, sd_c: float, scale_t: float
) -> tuple[float, float]:
    """(pooled-SD form, treated-SD form): difference / √((s₁²+s₀²)/2) and difference /
    ``scale_t`` (see :func:`treated_scale`); inf or nan when the denominator is 0."""
    diff = mean_t - mean_c
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(diff / np.sqrt((sd_t**2 + sd_c**2) / 2)), float(np.float64(diff) / scale_t)


def balance_rows(
    x: np.ndarray, names: Sequence[str], z: np.ndarray, w: np.ndarray, w_sd: np.ndarray
) -> pd.DataFrame:
    """Means (weights ``w``) and normalized differences (SDs with weights ``w_sd``) of the
    columns of ``x`` between ``z`` = 1 and ``z`` = 0; see :func:`normalized_differences`."""
    treated = z == 1
    rows = []
    for name, col in zip(names, x.T, strict=True):
        mean_t, mean_c = (float(w[m] @ col[m] / w[m].sum()) for m in (treated, ~treated))
        sd_t, sd_c = (describe_group(col[m], w_sd[m])[1] for m in (treated, ~treated))
        pooled, by_treated = normalized_difference(
            mean_t, mean_c, sd_t, sd_c, treated_scale(col[treated], w_sd[treated], sd_t)
        )
        rows.append(
            {
                "column": name,
                "mean_treated": mean_t,
                "mean_control": mean_c,
                "nd_pooled_sd": pooled,
                "nd_treated_sd": by_treated,
            }
        )
    return pd.DataFrame(rows)


def normalized_differences(
    df: pd.DataFrame,
    *,
    columns: str | Sequence[str],
    treatment: str,
    weights: str | None = None,
    sd_weights: str | None = None,
) -> pd.DataFrame:
    """Weighted means per group and normalized differences of numeric ``columns``.

    Means use ``weights``; SDs use ``sd_weights`` (the same weights by default). Pass the
    sampling weights as ``sd_weights`` and the balancing weights as ``weights`` to follow cobalt:
    balance after weighting standardized by the SDs before it. Each column uses its complete
    rows. Columns: ``column``, ``mean_treated``, ``mean_control``, ``nd_pooled_sd``,
    ``nd_treated_sd``.
    """
    frames = []
    for col in as_list(columns):
        sub, _ = complete_rows(df, [col, treatment, weights, sd_weights])
        w = weights_or_ones(sub, weights)
        w_sd = weights_or_ones(sub, sd_weights) if sd_weights else w
        x = numeric(sub[col], col)[:, None]
        frames.append(balance_rows(x, [col], binary(sub[treatment], treatment), w, w_sd))
    return pd.concat(frames, ignore_index=True)


def _difference(
    sub: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    weights: str | None,
    cluster: str | None,
    fe: list[str],
    alpha: float,
) -> dict[str, object]:
    """Difference, SE, CI, df and p-value of one outcome, Welch or regression-based."""
    y, z = numeric(sub[outcome], outcome), binary(sub[treatment], treatment)
    if weights is None and cluster is None and not fe:
        y1, y0 = y[z == 1], y[z == 0]
        if min(len(y1), len(y0)) < 2:  # no variance within a group: nothing to test
            nan = float("nan")
            return {"difference": float(y1.mean() - y0.mean()) if len(y1) and len(y0) else nan,
                    "se": nan, "ci_low": nan, "ci_high": nan, "df": nan, "pvalue": nan,
                    "test": "Welch t-test"}  # fmt: skip
        res = stats.ttest_ind(y1, y0, equal_var=False)
        ci = res.confidence_interval(1 - alpha)
        return {
            "difference": float(y1.mean() - y0.mean()),
            "se": float(np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0))),
            "ci_low": float(ci.low),
            "ci_high": float(ci.high),
            "df": float(res.df),
            "pvalue": float(res.pvalue),
            "test": "Welch t-test",
        }
    fit = fit_linear(
        y,
        z[:, None],
        [treatment],
        weights=weights_or_ones(sub, weights),
        cluster=codes(sub[cluster]) if cluster else None,
        fe=[codes(sub[f]) for f in fe],
    )
    if treatment in fit.dropped:
        raise ValueError(f"{treatment!r} is collinear with the fixed effects")
    est, se, p, lo, hi = fit.inference(treatment, alpha)
    return {
        "difference": est,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "df": fit.df_inference,
        "pvalue": p,
        "test": "regression, " + ("CR1 t(G−1)" if cluster else "HC1 t(N−K)"),
    }


def balance_table(
    df: pd.DataFrame,
    *,
    outcomes: str | Sequence[str],
    treatment: str,
    weights: str | None = None,
    cluster: str | None = None,
    fe: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    correction: Literal["holm", "bh"] = "holm",
) -> BalanceTable:
    """Comparison table of ``outcomes`` between treatment = 1 and treatment = 0 (see module).

    Each outcome uses its own complete rows; the joint test uses rows complete on all outcomes.
    Units: differences and CIs in each outcome's units; normalized differences in SDs.
    """
    outcomes, fe = as_list(outcomes), as_list(fe)
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {list(CORRECTIONS)}")
    notes: list[Caveat] = []
    rows = []
    for outcome in outcomes:
        sub, dropped = complete_rows(
            df, [outcome, treatment, weights, cluster, *fe], weights=weights
        )
        notes += [(f"{outcome}: {en}", f"{outcome}: {vi}") for en, vi in dropped]
        y, z = numeric(sub[outcome], outcome), binary(sub[treatment], treatment) == 1
        if z.all() or not z.any():
            raise ValueError(f"{outcome!r}: both groups need at least one observation")
        w = weights_or_ones(sub, weights)
        g = sub[cluster].to_numpy() if cluster else None
        row: dict[str, object] = {"outcome": outcome}
        for label, mask in (("treated", z), ("control", ~z)):
            mean, sd, se = describe_group(y[mask], w[mask], None if g is None else g[mask])
            row |= {f"n_{label}": int(mask.sum()), f"mean_{label}": mean, f"sd_{label}": sd}
            row[f"se_{label}"] = se
        row |= _difference(
            sub, outcome, treatment, weights=weights, cluster=cluster, fe=fe, alpha=alpha
        )
        moments = [float(row[k]) for k in ("mean_treated", "mean_control")]
        moments += [float(row[k]) for k in ("sd_treated", "sd_control")]
        row["nd_pooled_sd"], row["nd_treated_sd"] = normalized_difference(
            *moments, treated_scale(y[z], w[z], moments[2])
        )
        n_small = len(np.unique(g[z])) if g is not None else int(z.sum())
        if n_small < FEW_TREATED:
            notes.append(
                (
                    f"Only {n_small} treated {'clusters' if cluster else 'units'}: t-based "
                    "p-values are unreliable with so few, use permutation_test.",
                    f"Chỉ có {n_small} {'cụm' if cluster else 'đơn vị'} thí điểm: giá trị p dựa "
                    "trên phân phối t kém tin cậy, nên dùng kiểm định hoán vị.",
                )
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    valid = table["pvalue"].notna().to_numpy()
    table["p_adjusted"] = np.nan
    if valid.any():
        table.loc[valid, "p_adjusted"] = adjust_pvalues(
            table.loc[valid, "pvalue"].to_numpy(), correction
        )
    order = ["outcome", "n_treated", "mean_treated", "sd_treated", "se_treated", "n_control"]
    order += ["mean_control", "sd_control", "se_control", "difference", "se", "ci_low"]
    order += ["ci_high", "df", "pvalue", "p_adjusted", "nd_pooled_sd", "nd_treated_sd", "test"]
    joint, joint_notes = _joint_test(
        df, outcomes, treatment, weights=weights, cluster=cluster, fe=fe
    )
    method = (
        "Per outcome: Welch t-test without weights/clusters/fixed effects, else WLS difference "
        f"(see 'test'); {BalanceTable.CORRECTION_NAMES[correction]} correction over "
        f"{int(valid.sum())} tests "
        "(statsmodels multipletests); nd_pooled_sd = diff/√((s₁²+s₀²)/2), nd_treated_sd = "
        "diff/s₁ (√(p(1−p)) for 0/1); weighted SD √(n/(n−1)·Σw(x−x̄)²/Σw); SE of group means by "
        "linearization" + (f", clustered by {cluster!r}" if cluster else "")
    )
    return BalanceTable(
        table=table[order],
        joint=joint,
        alpha=alpha,
        correction=correction,
        method=method,
        **caveat_fields(notes + joint_notes),
    )


def _joint_test(
    df: pd.DataFrame,
    outcomes: list[str],
    treatment: str,
    *,
    weights: str | None,
    cluster: str | None,
    fe: list[str],
) -> tuple[WaldTest | None, list[Caveat]]:
    """Joint orthogonality test: Wald F that all outcome coefficients are zero in a WLS of the
    treatment on the outcomes. None (with a caveat) when it cannot be computed."""
    sub, _ = complete_rows(df, [*outcomes, treatment, weights, cluster, *fe], weights=weights)
    if len(sub) <= len(outcomes) + 1:  # fewer complete rows than parameters
        return None, [JOINT_NOT_COMPUTABLE]
    x = np.column_stack([numeric(sub[o], o) for o in outcomes])
    fit = fit_linear(
        binary(sub[treatment], treatment),
        x,
        outcomes,
        weights=weights_or_ones(sub, weights),
        cluster=codes(sub[cluster]) if cluster else None,
        fe=[codes(sub[f]) for f in fe],
    )
    tested = [o for o in outcomes if o in fit.names]
    if not tested or fit.df_inference <= 0:
        return None, [JOINT_NOT_COMPUTABLE]
    method = "Wald F, " + describe(fit, cluster=cluster, fe=fe, weights=weights and repr(weights))
    test = fit.wald(tested, method)
    notes: list[Caveat] = []
    if test.df1 < len(outcomes):
        notes.append(
            (
                f"Joint test uses {test.df1} of {len(outcomes)} restrictions (collinear outcomes "
                "or fewer clusters than outcomes).",
                f"Kiểm định đồng thời chỉ dùng {test.df1}/{len(outcomes)} ràng buộc (chỉ tiêu đa "
                "cộng tuyến hoặc số cụm ít hơn số chỉ tiêu).",
            )
        )
    return test, notes
