"""Shared fixtures for the statistics tests."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def households() -> pd.DataFrame:
    """12 communes × 15 households, pilots in alternate communes, 4 provinces, weights."""
    rng = np.random.default_rng(0)
    g, m = 12, 15
    commune = np.repeat(np.arange(g), m)
    z = (commune % 2).astype(float)
    x = rng.normal(size=g * m)
    y = 1 + 0.5 * z + 0.3 * x + rng.normal(size=g)[commune] + rng.normal(size=g * m)
    return pd.DataFrame(
        {
            "y": y,
            "z": z,
            "x": x,
            "province": pd.Series(commune // 3).map("P{}".format).astype("str"),
            "commune": commune,
            "w": rng.uniform(0.5, 2, g * m),
        }
    )
