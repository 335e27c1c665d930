import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from analysis.stats import mde, minimum_detectable_effect
from analysis.stats.power import icc_anova


def test_mde_matches_statsmodels_two_sample_t():
    for n1, n0 in ((2, 20), (10, 10), (30, 120)):
        d = TTestIndPower().solve_power(nobs1=n1, ratio=n0 / n1, alpha=0.05, power=0.8)
        assert mde(n_treated=n1, n_control=n0) == pytest.approx(d, rel=1e-5)


def test_clustered_mde_has_the_stated_power():
    j1, j0, m, rho, sd = 5, 15, 20, 0.1, 3.0
    value = mde(n_treated=j1, n_control=j0, sd=sd, icc=rho, cluster_size=m, power=0.9)
    se = sd * np.sqrt((rho + (1 - rho) / m) * (1 / j1 + 1 / j0))
    df = j1 + j0 - 2
    crit = stats.t.ppf(0.975, df)
    power = stats.nct.sf(crit, df, value / se) + stats.nct.cdf(-crit, df, value / se)
    assert power == pytest.approx(0.9, abs=1e-8)
    assert math.isinf(mde(n_treated=1, n_control=1))


def test_icc_anova_by_hand():
    # Two clusters of 2: means 1 and 3, grand mean 2; MSB = 2·(1+1)/1 = 4;
    # MSW = (0.25·4)/2 = 0.5; m0 = 2 → ICC = (4 − 0.5)/(4 + 0.5) = 7/9.
    y = np.array([0.5, 1.5, 2.5, 3.5])
    assert icc_anova(y, np.array([0, 0, 1, 1])) == pytest.approx(7 / 9)
    assert icc_anova(np.array([0.0, 1, 0, 1]), np.array([0, 0, 1, 1])) == 0.0


def test_minimum_detectable_effect_from_data():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.normal(10, 2, 40), "t": np.r_[np.ones(4), np.zeros(36)]})
    res = minimum_detectable_effect(df, outcome="y", treatment="t")
    sd = np.sqrt((3 * df.y[:4].var() + 35 * df.y[4:].var()) / 38)
    assert res.sd == pytest.approx(sd)
    assert res.mde == pytest.approx(mde(n_treated=4, n_control=36, sd=sd))
    assert "4 units in the pilot group" in res.sentence()
    clustered = minimum_detectable_effect(
        df.assign(c=np.r_[0, 0, 1, 1, np.repeat(np.arange(2, 20), 2)]),
        outcome="y",
        treatment="t",
        cluster="c",
    )
    assert (clustered.n_treated, clustered.n_control) == (2, 18) and clustered.clustered
    assert clustered.mde > res.mde
