import numpy as np
import pytest
from scipy import stats

from analysis.stats import StaggeredDesign, monte_carlo, simulate_clustered, simulate_selection
from analysis.stats.results import EstimateResult


def test_simulate_clustered_assigns_by_cluster_within_strata():
    df = simulate_clustered(np.random.default_rng(0), n_clusters=12, cluster_size=4, n_strata=3)
    assert len(df) == 48 and df.cluster.nunique() == 12
    assert (df.groupby("cluster").treated.nunique() == 1).all()
    per_stratum = df.drop_duplicates("cluster").groupby("stratum").treated.sum()
    assert per_stratum.tolist() == [2, 2, 2]


def test_simulate_selection_is_confounded():
    df = simulate_selection(np.random.default_rng(1), n=5000)
    raw = df.y[df.treated == 1].mean() - df.y[df.treated == 0].mean()
    assert raw > 0.3  # selection on x1 biases the raw difference; the true effect is 0


def test_staggered_design_truth_and_panel():
    design = StaggeredDesign(n_units=40, n_periods=4, cohorts=(1, 3), growth=1.0)
    # cohort 1: effects 1+1+0, 1+1+1, 1+1+2 → mean 3; cohort 3: 1 → overall (3 + 1)/2
    assert design.truth() == pytest.approx(2.0)
    df = design.simulate(np.random.default_rng(2))
    assert len(df) == 160 and set(df.wave) == {2020, 2021, 2022, 2023}
    assert ((df.treated == 1) == (df.wave >= df.adoption)).all()
    households = StaggeredDesign(n_units=5, n_periods=3, cohorts=(1,), households=3)
    rows = households.simulate(np.random.default_rng(3))
    assert len(rows) == 45 and "weight" in rows


def test_monte_carlo_counts_rejections_and_coverage():
    def dgp(rng):
        return rng.normal(size=1)

    def estimator(draw):
        x = float(draw[0])
        return EstimateResult(
            estimator="t",
            outcome="y",
            estimate=x,
            se=1.0,
            ci_low=x - 1.96,
            ci_high=x + 1.96,
            pvalue=2 * stats.norm.sf(abs(x)),
            df=np.inf,
            alpha=0.05,
            n_treated=1,
            n_control=1,
            method="z",
        )

    mc = monte_carlo(dgp, estimator, truth=0.0, reps=4000, seed=4)
    assert 0.04 <= mc.rejection_rate <= 0.06
    assert mc.coverage == pytest.approx(1 - mc.rejection_rate, abs=1e-3)
    assert mc.mc_se_rejection == pytest.approx(np.sqrt(0.05 * 0.95 / 4000), rel=0.2)
    assert mc == monte_carlo(dgp, estimator, truth=0.0, reps=4000, seed=4)
