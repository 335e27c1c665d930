import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.stats import StatsWarning, regress
from analysis.stats._frame import codes
from analysis.stats.regression import WildT, demean, fit_linear, wild_cluster_bootstrap
from analysis.stats.simulation import monte_carlo, simulate_clustered


def quiet_regress(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)
        return regress(df, **kw)


def test_cr1_matches_statsmodels_cluster(households):
    res = quiet_regress(
        households, outcome="y", treatment="z", covariates="x", cluster="commune", weights="w"
    )
    sm_res = smf.wls("y ~ z + x", households, weights=households.w).fit(
        cov_type="cluster", cov_kwds={"groups": households.commune}
    )
    assert res.estimate == pytest.approx(sm_res.params["z"], rel=1e-10)
    assert res.se == pytest.approx(sm_res.bse["z"], rel=1e-10)
    # Stata's t(G−1) p-value, not statsmodels' normal one
    t = res.estimate / res.se
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(t), 11), rel=1e-10)
    assert res.pvalue > sm_res.pvalues["z"]
    assert res.df == 11 and res.n_clusters == 12 and res.n_treated_clusters == 6


def test_hc1_matches_statsmodels_without_clusters(households):
    res = regress(households, outcome="y", treatment="z", covariates="x", weights="w")
    sm_res = smf.wls("y ~ z + x", households, weights=households.w).fit(cov_type="HC1")
    assert res.se == pytest.approx(sm_res.bse["z"], rel=1e-10)
    assert res.df == len(households) - 3
    assert "HC1" in res.method and res.wild is None


def test_absorbed_fe_not_nested_counts_like_dummies(households):
    res = quiet_regress(
        households, outcome="y", treatment="z", covariates="x", fe="province", cluster="commune"
    )
    sm_res = smf.ols("y ~ z + x + C(province)", households).fit(
        cov_type="cluster", cov_kwds={"groups": households.commune}
    )
    assert res.estimate == pytest.approx(sm_res.params["z"], rel=1e-10)
    assert res.se == pytest.approx(sm_res.bse["z"], rel=1e-9)


def test_fe_nested_in_clusters_not_counted_in_k(households):
    df = households.assign(x2=households.x**2 + households.z * households.x)
    fit = fit_linear(
        df.y.to_numpy(),
        df[["x2", "x"]].to_numpy(),
        ["x2", "x"],
        cluster=codes(df.commune),
        fe=[codes(df.commune)],
    )
    sm_res = smf.ols("y ~ x2 + x + C(commune)", df).fit(
        cov_type="cluster", cov_kwds={"groups": df.commune}
    )
    n, k_dummies = len(df), 2 + 12
    assert fit.k == 2  # commune FE nested in commune clusters: not counted (reghdfe/fixest)
    ratio = np.sqrt((n - k_dummies) / (n - fit.k))
    assert np.sqrt(fit.cov[0, 0]) == pytest.approx(sm_res.bse["x2"] * ratio, rel=1e-9)


def test_two_way_fe_on_unbalanced_panel_matches_dummies():
    rng = np.random.default_rng(3)
    panel = pd.DataFrame(
        {"unit": np.repeat(np.arange(30), 4), "wave": np.tile(np.arange(4), 30)}
    ).sample(frac=0.8, random_state=1)
    panel["d"] = ((panel.unit % 3 == 0) & (panel.wave >= 2)).astype(float)
    panel["y"] = panel.unit * 0.1 + panel.wave * 0.3 + panel.d + rng.normal(size=len(panel))
    fit = fit_linear(
        panel.y.to_numpy(),
        panel[["d"]].to_numpy(),
        ["d"],
        cluster=codes(panel.unit),
        fe=[codes(panel.unit), codes(panel.wave)],
    )
    sm_res = smf.ols("y ~ d + C(unit) + C(wave)", panel).fit(
        cov_type="cluster", cov_kwds={"groups": panel.unit}
    )
    assert fit.params[0] == pytest.approx(sm_res.params["d"], rel=1e-8)
    assert fit.k == 1 + 3  # slope + wave FE (4 − 1); unit FE nested in unit clusters
    n = len(panel)
    ratio = np.sqrt((n - (2 + 29 + 3)) / (n - fit.k))
    assert np.sqrt(fit.cov[0, 0]) == pytest.approx(sm_res.bse["d"] * ratio, rel=1e-7)


def test_demean_single_set_is_exact():
    a = np.array([1.0, 3.0, 2.0, 6.0])
    out = demean(a, np.array([1.0, 1.0, 1.0, 3.0]), [np.array([0, 0, 1, 1])])
    assert out.tolist() == pytest.approx([-1.0, 1.0, -3.0, 1.0])


def test_collinearity_is_reported(households):
    with pytest.raises(ValueError, match="collinear"):
        quiet_regress(households, outcome="y", treatment="z", fe="commune", cluster="commune")
    res = regress(
        households.assign(x3=2 * households.x), outcome="y", treatment="z", covariates=["x", "x3"]
    )
    assert "x3" in res.caveats[0] and "x3" not in res.coefficients.index


def test_few_clusters_warn_and_run_wild_bootstrap(households):
    with pytest.warns(StatsWarning, match="Only 12 clusters"):
        res = regress(households, outcome="y", treatment="z", cluster="commune")
    assert res.wild is not None and res.wild.enumerated and res.wild.reps == 2**12
    assert "wild-bootstrap p" in res.sentence()
    assert res.tidy().loc[0, "wild_pvalue"] == res.wild.pvalue
    with pytest.raises(ValueError, match="cluster"):
        regress(households, outcome="y", treatment="z", wild_bootstrap=True)


@pytest.mark.parametrize("fe", [[], ["province"], ["commune"]])
def test_wild_bootstrap_t_stats_equal_brute_force_refits(households, fe):
    df = households.assign(v=households.x**2 + households.z * households.x)
    target = "v" if fe == ["commune"] else "z"  # z is collinear with commune FE
    fit = fit_linear(
        df.y.to_numpy(),
        df[[target, "x"]].to_numpy(),
        [target, "x"],
        weights=df.w.to_numpy(),
        cluster=codes(df.commune),
        fe=[codes(df[f]) for f in fe],
    )
    beta0 = 0.3
    draws = np.random.default_rng(5).choice([-1.0, 1.0], size=(12, 4))
    fast = WildT(fit, target).t_stats(beta0, draws)
    rhs = "x" + "".join(f" + C({f})" for f in fe)
    restricted = smf.wls(f"I(y - {beta0} * {target}) ~ {rhs}", df, weights=df.w).fit()
    n_dummies = sum(df[f].nunique() - 1 for f in fe)
    for b in range(draws.shape[1]):
        star = df.assign(
            y=restricted.fittedvalues + beta0 * df[target] + restricted.resid * draws[df.commune, b]
        )
        refit = smf.wls(f"y ~ {target} + {rhs}", star, weights=df.w).fit(
            cov_type="cluster", cov_kwds={"groups": df.commune}
        )
        n = len(df)
        se = refit.bse[target] * np.sqrt((n - 3 - n_dummies) / (n - fit.k))
        assert fast[b] == pytest.approx((refit.params[target] - beta0) / se, rel=1e-8)


def test_wild_ci_inverts_the_test(households):
    fit = fit_linear(
        households.y.to_numpy(),
        households[["z"]].to_numpy(),
        ["z"],
        cluster=codes(households.commune),
    )
    res = wild_cluster_bootstrap(fit, "z", reps=999, weights="webb", seed=7)
    again = wild_cluster_bootstrap(fit, "z", reps=999, weights="webb", seed=7)
    assert res == again and not res.enumerated
    wild = WildT(fit, "z")
    draws = (
        np.random.default_rng(7)
        .choice(
            np.array([-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)]), (999, 12)
        )
        .T
    )
    eps = 1e-6 * wild.se
    assert wild.pvalue(res.ci_low + eps, draws) > 0.05 >= wild.pvalue(res.ci_low - eps, draws)
    assert wild.pvalue(res.ci_high - eps, draws) > 0.05 >= wild.pvalue(res.ci_high + eps, draws)


def test_wald_matches_manual_formula(households):
    fit = fit_linear(
        households.y.to_numpy(),
        households[["z", "x"]].to_numpy(),
        ["z", "x"],
        cluster=codes(households.commune),
    )
    test = fit.wald(["z", "x"], "m")
    b, v = fit.params[1:], fit.cov[1:, 1:]
    assert test.statistic == pytest.approx(b @ np.linalg.solve(v, b) / 2, rel=1e-10)
    assert test.pvalue == pytest.approx(stats.f.sf(test.statistic, 2, 11), rel=1e-10)


def test_cr1_size_and_coverage_by_simulation():
    """1000 data sets of 40 communes × 10 households: rejection ≈ 5%, coverage ≈ 95%."""

    def estimator(d):
        return regress(
            d, outcome="y", treatment="treated", covariates="x", cluster="cluster", weights="weight"
        )

    null = monte_carlo(simulate_clustered, estimator, truth=0.0, reps=1000, seed=11)
    assert 0.03 <= null.rejection_rate <= 0.07

    def planted(rng):
        return simulate_clustered(rng, effect=0.5)

    effect = monte_carlo(planted, estimator, truth=0.5, reps=1000, seed=12)
    assert 0.93 <= effect.coverage <= 0.97
    assert abs(effect.bias) < 3 * effect.sd_estimate / np.sqrt(1000)


def test_wild_bootstrap_size_with_12_clusters():
    def dgp(rng):
        return simulate_clustered(rng, n_clusters=12, cluster_size=8)

    def estimator(d):
        return regress(d, outcome="y", treatment="treated", cluster="cluster", reps=399)

    null = monte_carlo(dgp, estimator, truth=0.0, reps=1000, seed=13)
    assert 0.03 <= null.rejection_rate <= 0.07
