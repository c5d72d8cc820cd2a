"""Probability of detection from signal-to-noise ratio, and the inverse.

Which formula is used where:

* **In the engine (every radar look)**: the exact single-look square-law Pd.
  A look integrates the pulses of one beam dwell; the catalog calibrates the
  radar equation on the per-look SNR, so a look is one "pulse" (N = 1), for
  which the linear and the square-law detector coincide. The target's RCS is
  drawn for each look from its Swerling case (steady, exponential, or
  chi-square with 4 degrees of freedom, ``swerling_factor``) and the detector
  statistic |sqrt(SNR) + w|^2 (w unit-power complex Gaussian noise) is drawn
  and compared with the threshold T = -ln Pfa: the detection event then has
  probability Marcum Q_1(sqrt(2 SNR), sqrt(2 T)) (``pd_swerling0``) for the
  drawn RCS, which averaged over the draws is exactly the textbook Swerling 0,
  1 and 3 curve (``pd_swerling1``, ``pd_swerling3`` in closed form).
* **Calibration** of the radar equation: the exact inverse ``snr_for_pd``
  (closed form for Swerling 1, root finding for 0 and 3).
* **Planning and validation** with N non-coherently integrated pulses:
  Albersheim's equation (steady target; Richards, "Alternative Forms of
  Albersheim's Equation"; accurate to 0.2 dB for 1e-7 <= Pfa <= 1e-3,
  0.1 <= Pd <= 0.9) and Shnidman's equation (Swerling 0 to 4; Shnidman 2002,
  IEEE TAES 38(3); accurate to about 1 dB for 0.1 <= Pd <= 0.99,
  1e-9 <= Pfa <= 1e-3, N <= 100), as in MathWorks ``albersheim`` and
  ``shnidman``. They are not used inside the engine, where the exact N = 1
  forms cost no more.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

SWERLING_CASES = (0, 1, 3)


def pd_swerling0(snr: ArrayLike, pfa: ArrayLike) -> NDArray:
    """Exact single-look Pd of a steady target: Marcum Q_1(sqrt(2 SNR), sqrt(-2 ln Pfa)).

    Parameters
    ----------
    snr : linear signal-to-noise ratio (power), any shape
    pfa : probability of false alarm per resolution cell
    """
    snr = np.asarray(snr, dtype=float)
    threshold = -np.log(np.asarray(pfa, dtype=float))
    # Q_1(a, b) is the survival function of a non-central chi-square with 2 dof.
    return 1.0 - special.chndtr(2.0 * threshold, 2.0, 2.0 * np.maximum(snr, 1e-12))


def pd_swerling1(snr: ArrayLike, pfa: ArrayLike) -> NDArray:
    """Single-look Pd averaged over Swerling-1 fluctuation: Pfa ** (1 / (1 + SNR))."""
    return np.power(np.asarray(pfa, dtype=float), 1.0 / (1.0 + np.asarray(snr, dtype=float)))


def pd_swerling3(snr: ArrayLike, pfa: ArrayLike) -> NDArray:
    """Single-look Pd averaged over Swerling-3 fluctuation (chi-square, 4 dof).

    Pd = exp(-T / (1 + S/2)) (1 + T (S/2) / (1 + S/2)^2), T = -ln Pfa
    (Mahafza, Radar Systems Analysis and Design Using MATLAB, Swerling III, N = 1).
    """
    s = np.asarray(snr, dtype=float)
    t = -np.log(np.asarray(pfa, dtype=float))
    a = 1.0 + 0.5 * s
    return np.exp(-t / a) * (1.0 + t * 0.5 * s / a**2)


def pd_exact(snr: ArrayLike, pfa: ArrayLike, swerling: int) -> NDArray:
    """Single-look Pd of a Swerling 0, 1 or 3 target at mean SNR (linear)."""
    if swerling == 0:
        return pd_swerling0(snr, pfa)
    if swerling == 1:
        return pd_swerling1(snr, pfa)
    if swerling == 3:
        return pd_swerling3(snr, pfa)
    raise ValueError(f"swerling: expected one of {SWERLING_CASES} (got {swerling!r})")


def snr_for_pd_swerling1(pd: float, pfa: float) -> float:
    """Exact single-look SNR (linear) of a Swerling-1 target: ln Pfa / ln Pd - 1."""
    return math.log(pfa) / math.log(pd) - 1.0


def snr_for_pd(pd: float, pfa: float, swerling: int = 1) -> float:
    """Exact single-look mean SNR (linear) at which Pd is reached.

    Closed form for Swerling 1; Brent's method on ``pd_exact`` otherwise.
    """
    if not 0.0 < pd < 1.0:
        raise ValueError(f"pd: must be in (0, 1) (got {pd!r})")
    if not 0.0 < pfa < pd:
        raise ValueError(f"pfa: must be in (0, pd) (got {pfa!r})")
    if swerling == 1:
        return snr_for_pd_swerling1(pd, pfa)
    pd_exact(1.0, pfa, swerling)  # validates the case

    def gap(snr_db: float) -> float:
        return float(pd_exact(10.0 ** (snr_db / 10.0), pfa, swerling)) - pd

    return 10.0 ** (optimize.brentq(gap, -40.0, 80.0, xtol=1e-10) / 10.0)


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


_SHNIDMAN_K = {0: math.inf, 5: math.inf, 1: 1.0, 3: 2.0}


def shnidman_snr_db(pd: float, pfa: float, n_pulses: int = 1, swerling: int = 0) -> float:
    """Shnidman's required single-pulse SNR [dB] for N square-law-integrated pulses.

    Swerling 0 (or 5) to 4; K = inf, 1, N, 2, 2N for cases 0, 1, 2, 3, 4
    (Shnidman, "Determination of required SNR values", IEEE TAES 38(3), 2002).
    """
    if swerling not in (0, 1, 2, 3, 4, 5):
        raise ValueError(f"swerling: expected 0 to 5 (got {swerling!r})")
    n = int(n_pulses)
    k = {2: float(n), 4: 2.0 * n}.get(swerling, _SHNIDMAN_K.get(swerling, math.inf))
    alpha = 0.0 if n <= 40 else 0.25
    eta = math.sqrt(-0.8 * math.log(4.0 * pfa * (1.0 - pfa))) + math.copysign(
        math.sqrt(-0.8 * math.log(4.0 * pd * (1.0 - pd))), pd - 0.5
    )
    x_inf = eta * (eta + 2.0 * math.sqrt(n / 2.0 + alpha - 0.25))
    if math.isinf(k):
        c_db = 0.0
    else:
        c1 = (((17.7006 * pd - 18.4496) * pd + 14.5339) * pd - 3.525) / k
        tail = (pd - 0.8) * (0.7 * math.log(1e-5 / pfa) + (2 * n - 20) / 80)
        c2 = (math.exp(27.31 * pd - 25.14) + tail) / k
        c_db = c1 if pd <= 0.872 else c1 + c2
    return 10.0 * math.log10(10.0 ** (c_db / 10.0) * x_inf / n)


def swerling_factor(swerling: NDArray, e1: NDArray, e2: NDArray) -> NDArray:
    """RCS over its mean for one look from two standard exponential draws per row.

    Swerling 0: 1; Swerling 1: e1 (exponential); Swerling 3: (e1 + e2) / 2
    (chi-square with 4 degrees of freedom, mean 1).
    """
    return np.where(swerling == 1, e1, np.where(swerling == 3, 0.5 * (e1 + e2), 1.0))
