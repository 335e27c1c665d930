"""Monte Carlo check of the estimators in analysis.stats (more replications than the tests).

For each estimator, data are simulated with no effect (rejection rate should be about 5% at
alpha = 0.05) and with a planted effect (95% CIs should cover it about 95% of the time); then a
staggered design with heterogeneous, growing effects compares the bias of the staggered
(Callaway–Sant'Anna) estimator with that of plain TWFE.

Usage: python scripts/simulate_stats.py [--reps 2000] [--jobs 2] [--seed 20250701]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
import pandas as pd

from analysis.stats import (
    StaggeredDesign,
    StatsWarning,
    balance_table,
    did,
    monte_carlo,
    permutation_test,
    propensity_weighting,
    regress,
    simulate_clustered,
    simulate_selection,
)


def welch(d: pd.DataFrame):
    return balance_table(d, outcomes="y", treatment="treated", correction="bh").estimate("y")


def weighted_clustered_comparison(d: pd.DataFrame):
    return balance_table(
        d, outcomes="y", treatment="treated", weights="weight", cluster="cluster", correction="bh"
    ).estimate("y")


def cr1(d: pd.DataFrame):
    return regress(
        d, outcome="y", treatment="treated", covariates="x", cluster="cluster", weights="weight"
    )


def wild(d: pd.DataFrame):
    return regress(d, outcome="y", treatment="treated", cluster="cluster", reps=999)


def exact_permutation(d: pd.DataFrame):
    return permutation_test(d, outcome="y", treatment="treated")


def stratified_permutation(d: pd.DataFrame):
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


def ipw(d: pd.DataFrame, estimand: str):
    return propensity_weighting(
        d, outcome="y", treatment="treated", covariates=["x1", "x2"], estimand=estimand
    )


def staggered(d: pd.DataFrame):
    return did(d, outcome="y", treatment="treated", time="wave", unit="unit", twfe=False)


# name, data-generating process given the effect, estimator, planted effect
SCENARIOS = [
    (
        "Welch t-test, 20 vs 20",
        partial(simulate_clustered, n_clusters=40, cluster_size=1),
        welch,
        0.5,
    ),
    (
        "Weighted, CR1 difference, 40 communes x 10 households",
        simulate_clustered,
        weighted_clustered_comparison,
        0.5,
    ),
    ("Regression CR1 t(G-1), 40 communes x 10, covariate, weights", simulate_clustered, cr1, 0.5),
    (
        "Wild cluster bootstrap, 12 communes x 8",
        partial(simulate_clustered, n_clusters=12, cluster_size=8),
        wild,
        0.5,
    ),
    (
        "Exact permutation, 6 vs 6",
        partial(simulate_clustered, n_clusters=12, cluster_size=1),
        exact_permutation,
        1.0,
    ),
    (
        "Monte Carlo permutation, 3 strata, clusters, weights",
        partial(simulate_clustered, n_clusters=24, cluster_size=5, n_strata=3),
        stratified_permutation,
        0.5,
    ),
    (
        "IPW (ATT), selection on 2 covariates, n = 400",
        partial(simulate_selection, n=400),
        partial(ipw, estimand="ATT"),
        1.0,
    ),
    (
        "IPW (ATE), selection on 2 covariates, n = 400",
        partial(simulate_selection, n=400),
        partial(ipw, estimand="ATE"),
        1.0,
    ),
]


def run_scenario(index: int, planted: bool, reps: int, seed: int) -> dict[str, object]:
    name, dgp, estimator, effect = SCENARIOS[index]
    truth = effect if planted else 0.0
    mc = monte_carlo(partial(dgp, effect=truth), estimator, truth=truth, reps=reps, seed=seed)
    return {"estimator": name, "effect": truth} | mc.__dict__


def run_staggered(planted: bool, reps: int, seed: int) -> dict[str, object]:
    design = StaggeredDesign(scale=1.0 if planted else 0.0)
    truth = design.truth() if planted else 0.0
    mc = monte_carlo(design.simulate, staggered, truth=truth, reps=reps, seed=seed)
    name = "Staggered DiD (Callaway-Sant'Anna), 150 communes x 6 waves"
    return {"estimator": name, "effect": truth} | mc.__dict__


def staggered_bias(reps: int, seed: int) -> dict[str, float]:
    design = StaggeredDesign()
    rng = np.random.default_rng(seed)
    cs, twfe, diverged = np.empty(reps), np.empty(reps), np.empty(reps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatsWarning)
        for i in range(reps):
            res = did(
                design.simulate(rng), outcome="y", treatment="treated", time="wave", unit="unit"
            )
            cs[i], twfe[i], diverged[i] = res.estimate, res.twfe.estimate, res.diverges
    truth = design.truth()
    return {
        "truth": truth,
        "staggered_mean": cs.mean(),
        "staggered_bias": cs.mean() - truth,
        "staggered_bias_mc_se": cs.std(ddof=1) / np.sqrt(reps),
        "twfe_mean": twfe.mean(),
        "twfe_bias": twfe.mean() - truth,
        "twfe_bias_mc_se": twfe.std(ddof=1) / np.sqrt(reps),
        "share_flagged_diverging": diverged.mean(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000, help="replications per scenario")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--seed", type=int, default=20250701)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [
            pool.submit(run_scenario, i, planted, args.reps, args.seed + 2 * i + planted)
            for i in range(len(SCENARIOS))
            for planted in (False, True)
        ]
        jobs += [
            pool.submit(run_staggered, planted, args.reps, args.seed + 100 + planted)
            for planted in (False, True)
        ]
        bias_job = pool.submit(staggered_bias, max(args.reps // 4, 100), args.seed + 200)
        rows = [job.result() for job in jobs]
        bias = bias_job.result()
    table = pd.DataFrame(rows)
    size = table[table.effect == 0].set_index("estimator")
    power = table[table.effect != 0].set_index("estimator")
    summary = pd.DataFrame(
        {
            "reject_H0_no_effect": size.rejection_rate,
            "mc_se": size.mc_se_rejection,
            "coverage_planted": power.coverage,
            "mc_se ": power.mc_se_coverage,
            "power": power.rejection_rate,
            "bias_planted": power.bias,
            "sd": power.sd_estimate,
            "mean_se": power.mean_se,
        }
    )
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 60)
    print(f"Monte Carlo, {args.reps} replications per scenario, alpha = 0.05, seed {args.seed}")
    print("(targets: rejection under no effect 3-7%, coverage of the planted effect 93-97%)\n")
    print(summary.to_string(float_format="{:.4f}".format))
    print(
        f"\nStaggered adoption with heterogeneous, growing effects ({max(args.reps // 4, 100)} "
        "panels of 150 communes x 6 waves):"
    )
    for key, value in bias.items():
        print(f"  {key:26s} {value: .4f}")
    ok = summary.reject_H0_no_effect.between(0.03, 0.07).all() and (
        summary.coverage_planted.between(0.93, 0.97).all()
    )
    print(f"\nAll within bands: {ok}; {time.perf_counter() - start:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
