"""Statistics for pilot versus non-pilot comparisons on any tidy DataFrame.

Every estimator takes a DataFrame and column names (``outcome=``, ``treatment=``, ``cluster=``,
``weights=``, ``fe=``, ``covariates=``, ``time=``, ``unit=``, ``strata=``) and returns a result
object with ``.tidy()``, ``.summary()`` and ``.sentence(lang="vi" | "en")``. The conventions
that change the numbers are named in each result's ``method``; see the README, section Statistics.

The names below are imported from their modules on first use (PEP 562): formatting a number for
the index page does not load statsmodels.
"""

from __future__ import annotations

import importlib

#: public name → the module defining it
_MODULES = {
    "adjust_pvalues": "multitest",
    "BalanceTable": "results",
    "DiDResult": "results",
    "EstimateResult": "results",
    "Inference": "results",
    "MDEResult": "results",
    "MonteCarlo": "simulation",
    "PermutationResult": "results",
    "PropensityResult": "results",
    "RegressionResult": "results",
    "StaggeredDesign": "simulation",
    "StatsWarning": "results",
    "WaldTest": "results",
    "WildBootstrap": "results",
    "balance_table": "balance",
    "did": "did",
    "mde": "power",
    "minimum_detectable_effect": "power",
    "monte_carlo": "simulation",
    "normalized_differences": "balance",
    "permutation_test": "permutation",
    "propensity_weighting": "propensity",
    "regress": "regression",
    "simulate_clustered": "simulation",
    "simulate_selection": "simulation",
}
__all__ = sorted(_MODULES)


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])
