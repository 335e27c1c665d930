import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats.results import (
    EstimateResult,
    MDEResult,
    PermutationResult,
    caveat_fields,
    format_number,
    format_p,
    invert_test,
    t_inference,
)


def make(**kw) -> EstimateResult:
    base = dict(
        estimator="test",
        outcome="y",
        estimate=4.2,
        se=1.0,
        ci_low=2.2,
        ci_high=6.2,
        pvalue=0.0004,
        df=30.0,
        alpha=0.05,
        n_treated=12,
        n_control=40,
        method="Welch",
        caveats=["c1"],
        caveats_vi=["c1 vi"],
    )
    return EstimateResult(**(base | kw))


def test_format_number_languages():
    assert format_number(1234.5) == "1,234"
    assert format_number(1234.5, "vi") == "1.234"
    assert format_number(0.01234, "vi") == "0,0123"
    assert format_number(-4.2) == "−4.20"
    assert format_number(math.inf) == "∞"
    assert format_p(0.0004) == "< 0.001"
    assert format_p(0.0123, "vi") == "= 0,012"
    assert format_p(0.4567) == "= 0.46"


def test_t_inference_matches_scipy_scalar_and_array():
    p, lo, hi = t_inference(2.0, 1.0, 11, 0.05)
    assert p == pytest.approx(2 * stats.t.sf(2.0, 11), rel=1e-12)
    assert hi - 2.0 == pytest.approx(stats.t.ppf(0.975, 11), rel=1e-12)
    p_norm, *_ = t_inference(2.0, 1.0, np.inf, 0.05)
    assert p_norm == pytest.approx(2 * stats.norm.sf(2.0), rel=1e-12)
    ps, _, _ = t_inference(np.array([1.0, 2.0]), np.array([1.0, 0.0]), 5, 0.05)
    assert np.isfinite(ps[0]) and np.isnan(ps[1])


def test_invert_test_recovers_normal_interval():
    def p(theta):
        return 2 * stats.norm.sf(abs(theta - 3.0) / 0.5)

    lo, hi = invert_test(p, 3.0, 0.5, 0.05)
    assert lo == pytest.approx(3.0 - 1.959964 * 0.5, abs=1e-5)
    assert hi == pytest.approx(3.0 + 1.959964 * 0.5, abs=1e-5)
    assert invert_test(lambda t: 1.0, 0.0, 1.0, 0.05) == (-math.inf, math.inf)


def test_tidy_and_summary_name_the_method():
    res = make()
    tidy = res.tidy()
    assert list(tidy.columns[:7]) == [
        "outcome",
        "estimator",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "pvalue",
    ]
    assert tidy.loc[0, "method"] == "Welch"
    assert "Welch" in res.summary() and "c1" in res.summary()


def test_sentence_significant_english_and_vietnamese():
    res = make()
    en = res.sentence("en", label="E-ID coverage", unit="percentage points")
    assert en.startswith("E-ID coverage: pilot communes scored 4.20 percentage points higher")
    assert "p < 0.001" in en and "statistically significant at the 5% level" in en
    assert "selected, not randomised" in en
    vi = res.sentence("vi", label="Định danh điện tử")
    assert "cao hơn các xã không thí điểm 4,20" in vi
    assert "có ý nghĩa thống kê ở mức 5%" in vi and "không phải ngẫu nhiên" in vi


def test_sentence_hedges_not_significant_and_few_units():
    res = make(estimate=-1.5, pvalue=0.3, ci_low=-4.0, ci_high=1.0, n_treated=3)
    en = res.sentence()
    assert "lower than" in en and "not statistically significant" in en
    assert "the pilot group is very small (n = 3)" in en
    assert "không có ý nghĩa thống kê" in res.sentence("vi")
    assert res.sentence(groups=("group A", "group B")).startswith("Group A scored")
    with pytest.raises(ValueError):
        res.sentence("fr")


def test_permutation_sentence_when_data_cannot_answer():
    res = PermutationResult(
        **make(pvalue=0.25, n_treated=1, n_control=3).__dict__,
        statistic="difference in means",
        exact=True,
        n_assignments=4,
        draws=None,
        seed=None,
        min_pvalue=0.25,
        mde=math.inf,
        power=0.8,
        distribution=np.zeros(4),
    )
    assert not res.answerable
    assert "too few pilot communes to tell" in res.sentence()
    assert "(pilot group: 1; comparison group: 3)" in res.sentence()
    assert "0.25 > 0.05" in res.sentence()
    assert res.sentence("vi").startswith("Quá ít xã thí điểm để kết luận")
    assert "0,25 > 0,05" in res.sentence("vi")


def test_mde_sentence_and_caveat_fields():
    base = dict(outcome="y", sd=10.0, icc=0.0, cluster_size=1.0, n_treated=3, n_control=25)
    res = MDEResult(
        **base, mde=12.4, mde_sd=1.24, clustered=False, df=26.0, alpha=0.05, power=0.8, method="m"
    )
    assert "at least 12.4" in res.sentence() and "80% probability" in res.sentence()
    assert "từ 12,4" in res.sentence("vi")
    none = MDEResult(
        **base,
        mde=math.inf,
        mde_sd=math.inf,
        clustered=False,
        df=0,
        alpha=0.05,
        power=0.8,
        method="m",
    )
    assert "however large" in none.sentence()
    assert isinstance(res.tidy(), pd.DataFrame)
    assert caveat_fields([("a", "á"), ("a", "á"), ("b", "b́")]) == {
        "caveats": ["a", "b"],
        "caveats_vi": ["á", "b́"],
    }
