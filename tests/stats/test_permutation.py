import math

import numpy as np
import pandas as pd
import pytest

from analysis.stats import permutation_test
from analysis.stats.simulation import monte_carlo, simulate_clustered


def test_exact_two_versus_four_by_hand():
    # y = 1,2,3,4,6,7 with units 4 and 7 treated: diff = 5.5 − 3 = 2.5. For a treated pair with
    # sum s the difference is (3s − 23)/4, so |diff| ≥ 2.5 iff s ≥ 11 or s ≤ 4:
    # pairs {4,7}, {6,7}, {1,2}, {1,3} → p = 4/15. The largest |diff| (pair {6,7}) is unique:
    # smallest attainable p = 1/15 > 0.05, so the data cannot answer.
    df = pd.DataFrame({"y": [1, 2, 3, 4, 6, 7], "pilot": [0, 0, 0, 1, 0, 1]})
    res = permutation_test(df, outcome="y", treatment="pilot")
    assert res.estimate == pytest.approx(2.5)
    assert res.pvalue == pytest.approx(4 / 15)
    assert res.exact and res.n_assignments == 15
    assert res.min_pvalue == pytest.approx(1 / 15)
    assert not res.answerable and math.isinf(res.mde)
    assert "too few pilot communes to tell" in res.sentence()
    assert any("cannot answer" in c for c in res.caveats)


def test_one_versus_three_cannot_answer_in_both_languages():
    df = pd.DataFrame({"y": [10.0, 2, 3, 1], "pilot": [1, 0, 0, 0]})
    res = permutation_test(df, outcome="y", treatment="pilot")
    assert res.pvalue == pytest.approx(0.25) and res.min_pvalue == pytest.approx(0.25)
    assert res.sentence(label="E-ID").startswith("E-ID: there are too few pilot communes")
    assert "(nhóm thí điểm: 1; nhóm so sánh: 3)" in res.sentence("vi")
    assert (res.ci_low, res.ci_high) == (-math.inf, math.inf)


def test_stratified_exact_by_hand():
    # Strata A: y = 1, 3 (3 treated); B: y = 2, 6 (6 treated); equal shares 1/2.
    # T = ½·2 + ½·4 = 3; the 4 assignments give 3, 1, −1, −3 → p = 2/4.
    df = pd.DataFrame(
        {"y": [1.0, 3, 2, 6], "pilot": [0, 1, 0, 1], "province": ["A", "A", "B", "B"]}
    )
    res = permutation_test(df, outcome="y", treatment="pilot", strata="province")
    assert res.estimate == pytest.approx(3.0)
    assert res.n_assignments == 4 and res.pvalue == pytest.approx(0.5)
    assert sorted(res.distribution) == pytest.approx([-3, -1, 1, 3])


def test_strata_without_both_groups_are_left_out():
    df = pd.DataFrame({"y": [1.0, 3, 2, 6, 5], "pilot": [0, 1, 0, 1, 0], "province": list("AABBC")})
    res = permutation_test(df, outcome="y", treatment="pilot", strata="province")
    assert res.n_control == 2 and "left out" in res.caveats[0]


def test_cluster_permutation_equals_unit_test_on_cluster_means():
    data = simulate_clustered(np.random.default_rng(1), n_clusters=10, cluster_size=5)
    households = permutation_test(data, outcome="y", treatment="treated", cluster="cluster")
    means = data.groupby("cluster", as_index=False)[["y", "treated"]].mean()
    communes = permutation_test(means, outcome="y", treatment="treated")
    assert households.estimate == pytest.approx(communes.estimate)
    assert households.pvalue == pytest.approx(communes.pvalue)
    assert households.n_clusters == 10 and households.n_treated_clusters == 5
    with pytest.raises(ValueError, match="constant within"):
        permutation_test(
            data.assign(treated=np.arange(len(data)) % 2),
            outcome="y",
            treatment="treated",
            cluster="cluster",
        )


def test_monte_carlo_is_seeded_and_close_to_exact():
    data = simulate_clustered(np.random.default_rng(4), n_clusters=14, cluster_size=1, effect=1)
    exact = permutation_test(data, outcome="y", treatment="treated")
    mc = permutation_test(data, outcome="y", treatment="treated", max_exact=100, draws=20_000)
    again = permutation_test(data, outcome="y", treatment="treated", max_exact=100, draws=20_000)
    assert exact.exact and not mc.exact and mc.draws == 20_000
    assert mc.pvalue == again.pvalue
    assert abs(mc.pvalue - exact.pvalue) < 4 * np.sqrt(exact.pvalue / 20_000) + 1e-4
    assert mc.min_pvalue == pytest.approx(1 / 20_001)


def test_ci_inverts_the_constant_effect_test():
    data = simulate_clustered(np.random.default_rng(6), n_clusters=16, cluster_size=1, effect=1)
    res = permutation_test(data, outcome="y", treatment="treated")
    for bound, side in ((res.ci_low, -1), (res.ci_high, 1)):
        inside = data.assign(y=data.y - (bound - side * 1e-6) * data.treated)
        outside = data.assign(y=data.y - (bound + side * 1e-6) * data.treated)
        assert permutation_test(inside, outcome="y", treatment="treated").pvalue > 0.05
        assert permutation_test(outside, outcome="y", treatment="treated").pvalue <= 0.05
    assert np.isfinite(res.mde) and res.mde > 0


def exact_small(d):
    return permutation_test(d, outcome="y", treatment="treated")


def test_exact_size_and_coverage_by_simulation():
    """6 pilots vs 6 others (924 assignments), 1000 data sets each."""

    def null(rng):
        return simulate_clustered(rng, n_clusters=12, cluster_size=1)

    def planted(rng):
        return simulate_clustered(rng, n_clusters=12, cluster_size=1, effect=1.0)

    assert (
        0.03 <= monte_carlo(null, exact_small, truth=0.0, reps=1000, seed=31).rejection_rate <= 0.07
    )
    assert 0.93 <= monte_carlo(planted, exact_small, truth=1.0, reps=1000, seed=32).coverage <= 0.97


def test_stratified_cluster_monte_carlo_size_by_simulation():
    def dgp(rng):
        return simulate_clustered(rng, n_clusters=24, cluster_size=5, n_strata=3)

    def estimator(d):
        return permutation_test(
            d,
            outcome="y",
            treatment="treated",
            cluster="cluster",
            strata="stratum",
            weights="weight",
            max_exact=1000,
            draws=999,
        )

    null = monte_carlo(dgp, estimator, truth=0.0, reps=1000, seed=33)
    assert 0.03 <= null.rejection_rate <= 0.07
