import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.stats import propensity_weighting
from analysis.stats.simulation import monte_carlo, simulate_selection


@pytest.fixture
def selected() -> pd.DataFrame:
    data = simulate_selection(np.random.default_rng(8), n=300, effect=1.0)
    return data.assign(w=np.random.default_rng(9).uniform(0.5, 2, len(data)))


def stacked_sandwich_se(df, estimand):
    """SE of the Hájek IPW estimate from the stacked estimating equations (logit score,
    treated mean, control mean) with a numerical Jacobian: an independent check."""
    x = sm.add_constant(df[["x1", "x2"]].to_numpy())
    z, y, w = df.treated.to_numpy(float), df.y.to_numpy(), df.w.to_numpy()
    gamma = sm.GLM(z, x, sm.families.Binomial(), freq_weights=w).fit().params

    def psi(theta):
        g, mu1, mu0 = theta[:3], theta[3], theta[4]
        e = 1 / (1 + np.exp(-x @ g))
        omega = (
            np.where(z == 1, 1.0, e / (1 - e))
            if estimand == "ATT"
            else (np.where(z == 1, 1 / e, 1 / (1 - e)))
        )
        return np.column_stack(
            [x * (w * (z - e))[:, None], z * w * omega * (y - mu1), (1 - z) * w * omega * (y - mu0)]
        )

    e = 1 / (1 + np.exp(-x @ gamma))
    omega = (
        np.where(z == 1, 1.0, e / (1 - e))
        if estimand == "ATT"
        else (np.where(z == 1, 1 / e, 1 / (1 - e)))
    )
    theta = np.r_[gamma, [np.average(y[z == k], weights=(w * omega)[z == k]) for k in (1, 0)]]
    jac = np.empty((5, 5))
    for j in range(5):
        step = np.zeros(5)
        step[j] = 1e-6
        jac[:, j] = (psi(theta + step).sum(0) - psi(theta - step).sum(0)) / 2e-6
    meat = psi(theta).T @ psi(theta)
    bread = np.linalg.inv(jac)
    cov = bread @ meat @ bread.T
    c = np.r_[0, 0, 0, 1, -1]
    return theta[3] - theta[4], np.sqrt(c @ cov @ c)


@pytest.mark.filterwarnings("ignore:Covariates still imbalanced")
@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_se_equals_stacked_m_estimation_sandwich(selected, estimand):
    res = propensity_weighting(
        selected,
        outcome="y",
        treatment="treated",
        covariates=["x1", "x2"],
        weights="w",
        estimand=estimand,
        trim=None,
    )
    estimate, se = stacked_sandwich_se(selected, estimand)
    n = len(selected)
    assert res.estimate == pytest.approx(estimate, rel=1e-10)
    assert res.se == pytest.approx(se * np.sqrt(n / (n - 1)), rel=1e-5)
    assert res.df == np.inf


def test_diagnostics_tables(selected):
    res = propensity_weighting(selected, outcome="y", treatment="treated", covariates=["x1", "x2"])
    assert set(res.overlap.columns) == {"group", "bin_low", "bin_high", "n", "share"}
    counts = res.overlap.groupby("group")["n"].sum()
    assert counts["treated"] == res.n_treated and counts["control"] == res.n_control
    assert res.n_treated + res.n_control + res.n_trimmed == len(selected)
    assert set(res.overlap_summary.group) == {"treated", "control"}
    bal = res.balance.set_index("covariate")
    assert (bal.nd_pooled_sd_after.abs() < bal.nd_pooled_sd_before.abs()).all()
    assert res.ess_control < res.n_control
    assert "Crump" in res.caveats[0]
    assert res.sentence().startswith("The estimated effect of the pilot is +")
    assert "characteristics in the model" in res.sentence()
    assert "covariate balance" in res.summary()


@pytest.mark.filterwarnings("ignore:Covariates still imbalanced")
def test_clustered_se_uses_cluster_sums(selected):
    kw = dict(outcome="y", treatment="treated", covariates=["x1", "x2"], trim=None)
    data = selected.assign(commune=np.arange(len(selected)) // 3)
    res = propensity_weighting(data, cluster="commune", **kw)
    assert res.n_clusters == 100 and res.df == 99
    assert "cluster sums by 'commune'" in res.method
    # one row per cluster reproduces the unclustered SE exactly (n/(n−1) = G/(G−1))
    single = propensity_weighting(
        data.assign(commune=np.arange(len(data))), cluster="commune", **kw
    )
    plain = propensity_weighting(data, **kw)
    assert single.se == pytest.approx(plain.se, rel=1e-12)


@pytest.mark.parametrize(("estimand", "effect", "seed"), [("ATT", 0.0, 41), ("ATE", 1.0, 42)])
def test_size_and_coverage_by_simulation(estimand, effect, seed):
    """1000 data sets of 400 communes selected on two characteristics."""

    def dgp(rng):
        return simulate_selection(rng, n=400, effect=effect)

    def estimator(d):
        return propensity_weighting(
            d, outcome="y", treatment="treated", covariates=["x1", "x2"], estimand=estimand
        )

    mc = monte_carlo(dgp, estimator, truth=effect, reps=1000, seed=seed)
    if effect == 0:
        assert 0.03 <= mc.rejection_rate <= 0.07
    assert 0.93 <= mc.coverage <= 0.97
