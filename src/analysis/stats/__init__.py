"""Statistics for pilot versus non-pilot comparisons on any tidy DataFrame.

Every estimator takes a DataFrame and column names (``outcome=``, ``treatment=``, ``cluster=``,
``weights=``, ``fe=``, ``covariates=``, ``time=``, ``unit=``, ``strata=``) and returns a result
object with ``.tidy()``, ``.summary()`` and ``.sentence(lang="vi" | "en")``. The conventions
that change the numbers are named in each result's ``method``; see the README, section Statistics.
"""

from .balance import balance_table, normalized_differences
from .did import did
from .multitest import adjust_pvalues
from .permutation import permutation_test
from .power import mde, minimum_detectable_effect
from .propensity import propensity_weighting
from .regression import regress
from .results import (
    BalanceTable,
    DiDResult,
    EstimateResult,
    Inference,
    MDEResult,
    PermutationResult,
    PropensityResult,
    RegressionResult,
    StatsWarning,
    WaldTest,
    WildBootstrap,
)
from .simulation import (
    MonteCarlo,
    StaggeredDesign,
    monte_carlo,
    simulate_clustered,
    simulate_selection,
)

__all__ = [
    "adjust_pvalues",
    "BalanceTable",
    "DiDResult",
    "EstimateResult",
    "Inference",
    "MDEResult",
    "MonteCarlo",
    "PermutationResult",
    "PropensityResult",
    "RegressionResult",
    "StaggeredDesign",
    "StatsWarning",
    "WaldTest",
    "WildBootstrap",
    "balance_table",
    "did",
    "mde",
    "minimum_detectable_effect",
    "monte_carlo",
    "normalized_differences",
    "permutation_test",
    "propensity_weighting",
    "regress",
    "simulate_clustered",
    "simulate_selection",
]
