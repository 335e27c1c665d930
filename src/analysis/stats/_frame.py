"""Turning a tidy DataFrame into the float64 arrays the estimators use.

Every estimator takes a DataFrame and column names; this module checks the columns, drops rows
with a missing value in any column the estimator uses (listwise deletion, reported as a caveat),
and codes treatment, weights, clusters and fixed effects.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .results import Caveat

log = logging.getLogger(__name__)


def as_list(columns: str | Sequence[str] | None) -> list[str]:
    """Column argument as a list: None → [], "a" → ["a"], ["a", "b"] → ["a", "b"]."""
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def complete_rows(
    df: pd.DataFrame, columns: Iterable[str | None], *, weights: str | None = None
) -> tuple[pd.DataFrame, list[Caveat]]:
    """Rows of ``df`` with no missing value in ``columns`` (None entries are ignored).

    Weights must be non-negative; rows with zero weight are dropped as well. Returns the
    subset (only those columns, fresh 0..n−1 index) and caveats describing what was dropped.
    """
    used = list(dict.fromkeys(c for c in columns if c is not None))
    absent = [c for c in used if c not in df.columns]
    if absent:
        raise KeyError(f"columns not in the DataFrame: {absent}")
    sub = df.loc[:, used]
    keep = sub.notna().all(axis=1).to_numpy().copy()
    if weights is not None:
        w = numeric(sub[weights], weights)
        if np.any(w[keep] < 0):
            raise ValueError(f"weights column {weights!r} has negative values")
        keep &= w != 0
    dropped = int(len(keep) - keep.sum())
    sub = (sub.loc[keep] if dropped else sub).reset_index(drop=True)
    notes: list[Caveat] = []
    if dropped:
        log.info("dropped %d of %d rows with missing values or zero weight", dropped, len(keep))
        notes.append(
            (
                f"{dropped} of {len(keep)} rows dropped (missing values or zero weight).",
                f"Đã loại {dropped}/{len(keep)} dòng (thiếu giá trị hoặc trọng số bằng 0).",
            )
        )
    if sub.empty:
        raise ValueError(f"no complete rows for columns {used}")
    return sub, notes


def numeric(series: pd.Series, name: str) -> np.ndarray:
    """A column as float64; raises if it is not numeric (or boolean)."""
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise TypeError(f"column {name!r} must be numeric, got dtype {series.dtype}")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def binary(series: pd.Series, name: str) -> np.ndarray:
    """A 0/1 (or boolean) column as float64 zeros and ones; raises on any other value."""
    z = numeric(series, name)
    if not np.isin(z, (0.0, 1.0)).all():
        raise ValueError(f"column {name!r} must be 0/1 or boolean")
    return z


def codes(series: pd.Series) -> np.ndarray:
    """Integer codes 0..L−1 for a grouping column (cluster, fixed effect, stratum, unit)."""
    return pd.factorize(series, sort=True)[0].astype(np.intp)


def weights_or_ones(sub: pd.DataFrame, weights: str | None) -> np.ndarray:
    """The weights column as float64, or ones when no weights are given."""
    return np.ones(len(sub)) if weights is None else numeric(sub[weights], weights)


def design(sub: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Covariate matrix (float64) and column names.

    Numeric and boolean columns enter as they are; other columns (strings, categories) are
    dummy-coded with the first level (sorted) as reference.
    """
    blocks: list[pd.DataFrame] = []
    for name in covariates:
        col = sub[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            blocks.append(pd.DataFrame({name: col.astype(np.float64)}))
        else:
            blocks.append(
                pd.get_dummies(col, prefix=name, prefix_sep="=", drop_first=True, dtype=np.float64)
            )
    if not blocks:
        return np.empty((len(sub), 0)), []
    x = pd.concat(blocks, axis=1)
    return x.to_numpy(dtype=np.float64), [str(c) for c in x.columns]
