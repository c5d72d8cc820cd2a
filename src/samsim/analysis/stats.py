"""Confidence intervals for Monte Carlo means and proportions."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> dict[str, float]:
    """Mean with a Student-t confidence interval; NaNs are ignored.

    With one value the interval is that value (no spread can be estimated).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    m = float(x.mean())
    if n == 1:
        return {"mean": m, "ci_low": m, "ci_high": m, "n": 1}
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sem
    return {"mean": m, "ci_low": m - half, "ci_high": m + half, "n": int(n)}


def proportion_ci(successes: int, n: int, confidence: float = 0.95) -> dict[str, float]:
    """Share of successes with a Wilson score interval."""
    if n == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return {
        "mean": p,
        "ci_low": max(0.0, centre - half),
        "ci_high": min(1.0, centre + half),
        "n": int(n),
    }
