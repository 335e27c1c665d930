import gc

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from analysis.stats import adjust_pvalues


@pytest.mark.parametrize(("method", "sm_method"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_same_as_statsmodels(method, sm_method):
    p = np.random.default_rng(7).uniform(size=25) ** 2
    np.testing.assert_allclose(adjust_pvalues(p, method), multipletests(p, method=sm_method)[1])


def test_gc_collect_is_restored_and_empty_input():
    before = gc.collect
    assert adjust_pvalues([]).size == 0
    adjust_pvalues([0.01, 0.2])
    assert gc.collect is before
