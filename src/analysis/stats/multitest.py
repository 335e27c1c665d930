"""Multiple-testing correction: statsmodels' ``multipletests``, without its garbage collection.

statsmodels 0.15 calls ``gc.collect()`` in its Holm branch on every call; in a process holding
the processed data that full collection costs 0.1–0.25 s, more than everything else a brief's
correction does. The arithmetic is statsmodels'; only that call is skipped.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import statsmodels.stats.multitest as _sm

METHODS = {"holm": "holm", "bh": "fdr_bh"}


@contextmanager
def _without_gc_collect():
    """``gc.collect`` as a no-op for the duration (statsmodels imports ``gc`` inside the call)."""
    saved = gc.collect
    gc.collect = lambda *args, **kwargs: 0
    try:
        yield
    finally:
        gc.collect = saved


def adjust_pvalues(pvalues: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values (``method``: "holm" or "bh", Benjamini–Hochberg) of finite p-values."""
    p = np.asarray(pvalues, dtype="float64")
    if p.size == 0:
        return p
    with _without_gc_collect():
        return _sm.multipletests(p, method=METHODS[method])[1]
