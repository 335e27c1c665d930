import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from openpyxl import load_workbook
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.stats import balance_table, normalized_differences, regress
from analysis.stats.balance import describe_group
from analysis.stats.simulation import monte_carlo, simulate_clustered


@pytest.fixture
def communes() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 40
    return pd.DataFrame(
        {
            "pilot": np.r_[np.ones(9), np.zeros(31)].astype(int),
            "a": rng.normal(size=n),
            "b": rng.integers(0, 2, n),
            "c": (rng.normal(size=n) * 3 + np.r_[np.ones(9), np.zeros(31)]).astype(np.float32),
            "province": np.repeat(list("ABCDEFGH"), 5),
            "w": rng.uniform(1, 3, n),
        }
    )


def test_welch_matches_scipy_in_float64(communes):
    table = balance_table(communes, outcomes=["a", "c"], treatment="pilot").table
    for outcome, row in zip(["a", "c"], table.itertuples(), strict=True):
        y = communes[outcome].to_numpy(dtype=np.float64)
        ref = stats.ttest_ind(y[communes.pilot == 1], y[communes.pilot == 0], equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
        assert row.df == pytest.approx(ref.df, rel=1e-12)
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
        assert row.test == "Welch t-test"


def test_corrections_match_multipletests(communes):
    holm = balance_table(communes, outcomes=["a", "b", "c"], treatment="pilot")
    bh = balance_table(communes, outcomes=["a", "b", "c"], treatment="pilot", correction="bh")
    p = holm.table.pvalue.to_numpy()
    assert holm.table.p_adjusted.to_numpy() == pytest.approx(multipletests(p, method="holm")[1])
    assert bh.table.p_adjusted.to_numpy() == pytest.approx(multipletests(p, method="fdr_bh")[1])
    assert "Benjamini–Hochberg" in bh.sentence()


def test_normalized_differences_by_hand():
    df = pd.DataFrame(
        {"t": [1, 1, 1, 0, 0, 0, 0], "x": [2.0, 4, 6, 1, 2, 3, 6], "b": [1, 1, 0, 0, 0, 1, 0]}
    )
    nd = normalized_differences(df, columns=["x", "b"], treatment="t").set_index("column")
    # x: means 4 and 3, SDs 2 and √(14/3)
    pooled = (4 - 3) / np.sqrt((4 + 14 / 3) / 2)
    assert nd.loc["x", "nd_pooled_sd"] == pytest.approx(pooled)
    assert nd.loc["x", "nd_treated_sd"] == pytest.approx(1 / 2)
    # binary b: treated-SD form uses √(p(1−p)) with p = 2/3
    p1, p0 = 2 / 3, 1 / 4
    assert nd.loc["b", "nd_treated_sd"] == pytest.approx((p1 - p0) / np.sqrt(p1 * (1 - p1)))


def test_weighted_group_statistics_match_statsmodels(communes):
    y, w = communes.a.to_numpy(), communes.w.to_numpy()
    mean, sd, se = describe_group(y, w)
    ones = np.ones((len(y), 1))
    hc1 = sm.WLS(y, ones, weights=w).fit(cov_type="HC1")
    assert mean == pytest.approx(np.average(y, weights=w))
    assert se == pytest.approx(hc1.bse[0], rel=1e-10)
    n = len(y)
    assert sd == pytest.approx(np.sqrt(n / (n - 1) * np.average((y - mean) ** 2, weights=w)))
    clustered = sm.WLS(y, ones, weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": communes.province}
    )
    assert describe_group(y, w, communes.province.to_numpy())[2] == pytest.approx(
        clustered.bse[0], rel=1e-10
    )


def test_weighted_clustered_fe_difference_equals_regress(communes):
    table = balance_table(
        communes, outcomes="a", treatment="pilot", weights="w", cluster="province"
    ).table
    with pytest.warns(UserWarning):
        ref = regress(communes, outcome="a", treatment="pilot", weights="w", cluster="province")
    assert table.loc[0, "difference"] == pytest.approx(ref.estimate)
    assert table.loc[0, "se"] == pytest.approx(ref.se)
    assert table.loc[0, "test"] == "regression, CR1 t(G−1)"
    assert table.loc[0, "mean_treated"] == pytest.approx(
        np.average(communes.a[communes.pilot == 1], weights=communes.w[communes.pilot == 1])
    )


def test_joint_test_matches_statsmodels_hc1(communes):
    res = balance_table(communes, outcomes=["a", "b", "c"], treatment="pilot")
    ols = smf.ols("pilot ~ a + b + c", communes.astype({"c": float})).fit(cov_type="HC1")
    ref = ols.f_test("a = 0, b = 0, c = 0")
    assert res.joint.statistic == pytest.approx(float(np.squeeze(ref.fvalue)), rel=1e-6)
    assert res.joint.df2 == ref.df_denom and res.joint.df1 == 3
    assert res.joint.pvalue == pytest.approx(float(ref.pvalue), rel=1e-5)


def test_exports_and_sentence(communes, tmp_path):
    res = balance_table(communes, outcomes=["a", "b"], treatment="pilot", fe="province")
    assert res.table.loc[0, "test"] == "regression, HC1 t(N−K)"
    html = res.to_html(tmp_path / "t.html")
    assert "<table" in html and "joint test" in (tmp_path / "t.html").read_text()
    path = res.to_excel(tmp_path / "t.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["table", "notes"]
    assert book["table"]["A1"].value == "outcome"
    assert res.tidy().shape[0] == 2 and "Holm" in res.summary()
    assert res.sentence().startswith("Of 2 indicators compared, ")
    assert res.sentence("vi").startswith("Trong 2 chỉ tiêu được so sánh, ")
    one = res.estimate("a")
    assert one.estimate == res.table.loc[0, "difference"] and "HC1" in one.method
    assert one.sentence().startswith("Pilot communes scored")


def test_few_treated_caveat():
    df = pd.DataFrame({"t": [1, 1, 0, 0, 0, 0], "y": [3.0, 4, 1, 2, 2, 1]})
    res = balance_table(df, outcomes="y", treatment="t")
    assert any("permutation_test" in c for c in res.caveats)


def test_clustered_weighted_difference_size_by_simulation():
    """1000 data sets of 40 communes: the weighted, clustered difference rejects ≈ 5%."""

    def estimator(d):
        return balance_table(
            d,
            outcomes="y",
            treatment="treated",
            weights="weight",
            cluster="cluster",
            correction="bh",
        ).estimate("y")

    null = monte_carlo(simulate_clustered, estimator, truth=0.0, reps=1000, seed=21)
    assert 0.03 <= null.rejection_rate <= 0.07
    assert 0.93 <= null.coverage <= 0.97
