import numpy as np
import pandas as pd
import pytest

from analysis import codebook


def _pandas_summary(series: pd.Series) -> dict:
    """The column summary as pandas computes it (the codebook's figures before NumPy)."""
    out = {"n": int(series.notna().sum()), "n_missing": int(series.isna().sum())}
    if series.dtype.kind in "fiu" or str(series.dtype) in ("Int64", "Int8"):
        values = series.dropna().astype("float64")
        if len(values):
            out.update(
                mean=round(float(values.mean()), 4),
                min=float(values.min()),
                max=float(values.max()),
            )
    elif series.dtype == bool:
        out.update(mean=round(float(series.mean()), 4) if len(series) else None)
    else:
        out.update(distinct=int(series.nunique()))
    return out


RNG = np.random.default_rng(7)
FLOATS = RNG.lognormal(8, 3, 100_003) * RNG.choice([-1, 1], 100_003)
FLOATS[RNG.random(100_003) < 0.2] = np.nan
INTS = pd.Series(RNG.integers(-(2**40), 2**40, 50_001), dtype="Int64")
INTS[RNG.random(50_001) < 0.1] = pd.NA
COLUMNS = {
    "float64 with gaps": pd.Series(FLOATS),
    "float64 with inf": pd.Series([1.5, np.inf, np.nan, -2.25]),
    "Int64 with gaps": INTS,
    "Int8": pd.Series([1, None, 3, -4], dtype="Int8"),
    "int64": pd.Series(RNG.integers(0, 10**6, 70_000)),
    "uint8": pd.Series([0, 255, 7], dtype="uint8"),
    "all missing": pd.Series([np.nan, np.nan]),
    "empty": pd.Series([], dtype="float64"),
    "bool": pd.Series(RNG.random(10_001) < 0.3),
    "text": pd.Series(["a", None, "b", "a"], dtype="str"),
    "datetime": pd.to_datetime(pd.Series(["2023-01-01", None, "2023-01-01", "2024-05-06"])),
}


@pytest.mark.parametrize("name", COLUMNS)
def test_summary_matches_pandas(name):
    assert codebook._summary(COLUMNS[name]) == _pandas_summary(COLUMNS[name])


def test_numpy_mean_is_pandas_mean_to_the_last_bit():
    """The codebook's means are NumPy's; pandas' (as rounded before) must be the same numbers."""
    values = pd.Series(FLOATS).dropna()
    assert values.to_numpy().mean() == values.mean()
    assert values.to_numpy()[:1001].mean() == values[:1001].mean()
