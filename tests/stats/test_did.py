import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.stats import StaggeredDesign, StatsWarning, did
from analysis.stats.simulation import monte_carlo


def quiet_did(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)
        return did(df, **kw)


@pytest.fixture
def hand_panel() -> pd.DataFrame:
    """Units 1–2 adopt in 2022, 3–4 in 2023, 5–6 never; waves 2021–2023."""
    y = {1: [1, 4, 6], 2: [3, 5, 9], 3: [2, 5, 7], 4: [4, 4, 10], 5: [0, 1, 2], 6: [2, 2, 5]}
    adoption = {1: 2022, 2: 2022, 3: 2023, 4: 2023, 5: np.inf, 6: np.inf}
    rows = [
        {"commune": u, "wave": 2021 + k, "y": float(v), "pilot": int(2021 + k >= adoption[u])}
        for u, values in y.items()
        for k, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_att_gt_equals_hand_computed_2x2_of_means(hand_panel):
    res = quiet_did(hand_panel, outcome="y", treatment="pilot", time="wave", unit="commune")
    att = res.att_gt.set_index(["cohort", "time"])["estimate"]
    # cohort 2022, base 2021: treated means 2, 4.5, 7.5; never-treated means 1, 1.5, 3.5
    assert att[(2022, 2022)] == pytest.approx((4.5 - 2) - (1.5 - 1))  # 2.0
    assert att[(2022, 2023)] == pytest.approx((7.5 - 2) - (3.5 - 1))  # 3.0
    # cohort 2023, base 2022: treated means 3, 4.5, 8.5
    assert att[(2023, 2023)] == pytest.approx((8.5 - 4.5) - (3.5 - 1.5))  # 2.0
    assert att[(2023, 2021)] == pytest.approx((3 - 4.5) - (1 - 1.5))  # −1.0, pre-period
    # overall: equal cohort shares, mean of post ATTs per cohort: ½·2.5 + ½·2
    assert res.estimate == pytest.approx(2.25)
    es = res.event_study.set_index("event_time")["estimate"]
    assert es.to_dict() == pytest.approx({-2: -1.0, -1: 0.0, 0: 2.0, 1: 3.0})
    assert res.pretrend is not None and res.pretrend.df1 == 1


def test_not_yet_treated_controls_by_hand(hand_panel):
    res = quiet_did(
        hand_panel, outcome="y", treatment="pilot", time="wave", unit="commune", control="not_yet"
    )
    att = res.att_gt.set_index(["cohort", "time"])["estimate"]
    # ATT(2022, 2022): controls are units 3–6 (not yet treated in 2022): means 2 and 3
    assert att[(2022, 2022)] == pytest.approx((4.5 - 2) - (3 - 2))
    assert att[(2022, 2023)] == pytest.approx(3.0)  # only never-treated are untreated in 2023


def test_two_by_two_equals_twfe_and_delta_regression():
    rng = np.random.default_rng(2)
    n = 30
    unit = np.repeat(np.arange(n), 2)
    post = np.tile([0, 1], n)
    group = (unit < 12).astype(int)
    y = rng.normal(size=n)[unit] + post + 2 * group * post + rng.normal(size=2 * n)
    df = pd.DataFrame({"u": unit, "t": post, "d": group * post, "y": y})
    res = did(df, outcome="y", treatment="d", time="t", unit="u")
    wide = df.pivot(index="u", columns="t", values="y")
    delta = pd.DataFrame({"dy": wide[1] - wide[0], "g": (wide.index < 12).astype(int)})
    hc0 = smf.ols("dy ~ g", delta).fit(cov_type="HC0")
    assert res.estimate == pytest.approx(hc0.params["g"])
    assert res.se == pytest.approx(hc0.bse["g"] * np.sqrt(n / (n - 1)), rel=1e-10)
    assert res.twfe.estimate == pytest.approx(res.estimate)
    assert not res.diverges and res.pretrend is None
    assert any("cannot be checked" in c for c in res.caveats)


def reference_panel() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    cohort = rng.choice([0, 2022, 2023], size=60)
    rows = []
    for i in range(60):
        a = rng.normal()
        for t in (2021, 2022, 2023, 2024):
            eff = (t - cohort[i] + 1) * 1.0 if cohort[i] and t >= cohort[i] else 0
            rows.append((i, t, cohort[i], a + 0.3 * (t - 2021) + eff + rng.normal()))
    df = pd.DataFrame(rows, columns=["id", "year", "g", "y"])
    return df.assign(d=((df.g > 0) & (df.year >= df.g)).astype(int))


def test_matches_differences_package_numbers():
    """Reference values from the PyPI package ``differences`` 0.3.0 (ATTgt, universal base
    period, analytic SE, no G/(G−1) factor) on the same panel; csdid 0.4.3 agrees on ATT(g,t)."""
    res = quiet_did(reference_panel(), outcome="y", treatment="d", time="year", unit="id")
    g = 60
    undo = np.sqrt((g - 1) / g)
    att = res.att_gt.set_index(["cohort", "time"])
    expected = {
        (2022, 2022): (0.6405026958, 0.4061245442),
        (2022, 2023): (1.9643294740, 0.4717367849),
        (2022, 2024): (3.2783139735, 0.3680521439),
        (2023, 2021): (-0.7703332356, 0.3862475977),
        (2023, 2023): (0.5544813818, 0.3404920335),
        (2023, 2024): (1.2653631739, 0.4061883368),
    }
    for key, (estimate, se) in expected.items():
        assert att.loc[key, "estimate"] == pytest.approx(estimate, abs=1e-9)
        assert att.loc[key, "se"] * undo == pytest.approx(se, rel=1e-8)
    es = res.event_study.set_index("event_time")
    for e, se in {-2: 0.3862475977, 0: 0.2287207210, 1: 0.2915960658, 2: 0.3680521439}.items():
        assert es.loc[e, "se"] * undo == pytest.approx(se, rel=1e-8)
    not_yet = quiet_did(
        reference_panel(), outcome="y", treatment="d", time="year", unit="id", control="not_yet"
    )
    assert not_yet.att_gt.set_index(["cohort", "time"]).loc[(2022, 2022), "estimate"] == (
        pytest.approx(0.2810138525, abs=1e-9)
    )


def test_households_clustered_by_commune_equal_weighted_commune_panel():
    design = StaggeredDesign(n_units=20, households=4)
    hh = design.simulate(np.random.default_rng(3))
    communes = (
        hh.assign(wy=hh.y * hh.weight)
        .groupby(["unit", "wave"], as_index=False)
        .agg(wy=("wy", "sum"), weight=("weight", "sum"), treated=("treated", "first"))
    )
    communes["y"] = communes.wy / communes.weight
    kw = dict(
        outcome="y", treatment="treated", time="wave", unit="unit", weights="weight", twfe=False
    )
    a, b = quiet_did(hh, **kw), quiet_did(communes, **kw)
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12)
    assert a.se == pytest.approx(b.se, rel=1e-10)
    assert a.att_gt.se.to_numpy() == pytest.approx(b.att_gt.se.to_numpy(), rel=1e-10)


def test_input_checks(hand_panel):
    kw = dict(outcome="y", treatment="pilot", time="wave", unit="commune")
    switched = hand_panel.copy()
    switched.loc[(switched.commune == 1) & (switched.wave == 2023), "pilot"] = 0
    with pytest.raises(ValueError, match="absorbing"):
        did(switched, **kw)
    with pytest.raises(ValueError, match="not_yet"):
        did(hand_panel[hand_panel.commune < 5], **kw)
    early = hand_panel.assign(pilot=np.where(hand_panel.commune == 1, 1, hand_panel.pilot))
    res = quiet_did(early, **kw)
    assert res.n_treated == 3 * 3 and "left out" in res.caveats[0]


def test_pretrend_test_flags_diverging_trends():
    design = StaggeredDesign(n_units=80, cohorts=(4,), never_share=0.5)
    df = design.simulate(np.random.default_rng(5))
    tilted = df.assign(y=df.y + 0.5 * (df.adoption < np.inf) * (df.wave - 2020))
    res = quiet_did(tilted, outcome="y", treatment="treated", time="wave", unit="unit")
    assert res.pretrend.pvalue < 0.001 and res.pretrend.df1 == 3
    assert "casts doubt" in res.sentence()
    assert any("rejects parallel trends" in c for c in res.caveats)


def test_staggered_heterogeneous_effect_recovered_while_twfe_is_biased():
    """Planted effects that grow with exposure and differ by cohort (200 panels)."""
    design = StaggeredDesign()
    truth = design.truth()
    rng = np.random.default_rng(7)
    cs, twfe, diverged = [], [], []
    for _ in range(200):
        res = quiet_did(
            design.simulate(rng), outcome="y", treatment="treated", time="wave", unit="unit"
        )
        cs.append(res.estimate)
        twfe.append(res.twfe.estimate)
        diverged.append(res.diverges)
    cs_bias, twfe_bias = np.mean(cs) - truth, np.mean(twfe) - truth
    assert abs(cs_bias) < 3 * np.std(cs) / np.sqrt(200)
    assert twfe_bias < -0.5  # TWFE misses about a third of the planted effect (3.0)
    assert np.mean(diverged) > 0.9
    with pytest.warns(StatsWarning, match="Plain TWFE"):
        did(design.simulate(rng), outcome="y", treatment="treated", time="wave", unit="unit")


def staggered(d):
    return did(d, outcome="y", treatment="treated", time="wave", unit="unit", twfe=False)


def test_size_and_coverage_by_simulation():
    """1000 commune panels (150 communes, 6 waves, AR(1) errors) under no effect and under the
    planted heterogeneous effect."""
    null, planted = StaggeredDesign(scale=0.0), StaggeredDesign()
    assert (
        0.03
        <= monte_carlo(null.simulate, staggered, truth=0.0, reps=1000, seed=51).rejection_rate
        <= 0.07
    )
    cover = monte_carlo(planted.simulate, staggered, truth=planted.truth(), reps=1000, seed=52)
    assert 0.93 <= cover.coverage <= 0.97
