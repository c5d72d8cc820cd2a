"""Probability of detection from signal-to-noise ratio.

* Exact square-law detector, one pulse, non-fluctuating (Swerling 0) target:
  Pd = Q_1(sqrt(2 SNR), sqrt(2 T)), T = -ln Pfa (Marcum Q, via scipy's
  non-central chi-square). Swerling 1 and 3 enter by drawing the target's RCS
  for each look (exponential, or chi-square with 4 degrees of freedom), which
  averages to the textbook Swerling curves; for Swerling 1 that average has
  the closed form Pd = Pfa ** (1 / (1 + SNR)).
* Albersheim's equation (Richards, "Alternative Forms of Albersheim's
  Equation"), kept for validation and for planning with N pulses.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special


def pd_swerling0(snr: ArrayLike, pfa: ArrayLike) -> NDArray:
    """Single-pulse square-law Pd of a steady target (Marcum Q)."""
    snr = np.asarray(snr, dtype=float)
    threshold = -np.log(np.asarray(pfa, dtype=float))
    # Q_1(a, b) is the survival function of a non-central chi-square with 2 dof.
    return 1.0 - special.chndtr(2.0 * threshold, 2.0, 2.0 * np.maximum(snr, 1e-12))


def pd_swerling1(snr: ArrayLike, pfa: float) -> NDArray:
    """Single-pulse Pd averaged over Swerling-1 fluctuation: Pfa ** (1 / (1 + SNR))."""
    return np.power(pfa, 1.0 / (1.0 + np.asarray(snr, dtype=float)))


def snr_for_pd_swerling1(pd: float, pfa: float) -> float:
    """Exact single-pulse SNR (linear) for a Swerling-1 target: ln Pfa / ln Pd - 1."""
    return math.log(pfa) / math.log(pd) - 1.0


def albersheim_snr_db(pd: float, pfa: float, n_pulses: int = 1) -> float:
    """Albersheim's required single-pulse SNR [dB], steady target, linear detector."""
    a = math.log(0.62 / pfa)
    b = math.log(pd / (1.0 - pd))
    return -5.0 * math.log10(n_pulses) + (6.2 + 4.54 / math.sqrt(n_pulses + 0.44)) * math.log10(
        a + 0.12 * a * b + 1.7 * b
    )


def albersheim_pd(snr_db: ArrayLike, pfa: float, n_pulses: int = 1) -> NDArray:
    """Albersheim's equation solved for Pd (closed form), steady target."""
    snr_db = np.asarray(snr_db, dtype=float)
    a = math.log(0.62 / pfa)
    z = (snr_db + 5.0 * math.log10(n_pulses)) / (6.2 + 4.54 / math.sqrt(n_pulses + 0.44))
    b = (np.power(10.0, z) - a) / (1.7 + 0.12 * a)
    return 1.0 / (1.0 + np.exp(-b))


def fluctuate_rcs(mean_rcs_m2: NDArray, swerling: NDArray, rng: np.random.Generator) -> NDArray:
    """One scan's RCS draw per target: Swerling 0 steady, 1 exponential, 3 chi-square(4).

    Draws a value for every row whatever its case, so the stream stays aligned.
    """
    u1 = rng.standard_exponential(len(mean_rcs_m2))
    u2 = rng.standard_exponential(len(mean_rcs_m2))
    factor = np.where(swerling == 1, u1, np.where(swerling == 3, 0.5 * (u1 + u2), 1.0))
    return mean_rcs_m2 * factor
