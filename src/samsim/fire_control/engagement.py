"""Engageability: predicted intercept points and launch acceptability.

First fidelity: the interceptor is planned at its catalog mean fly-out speed on
a straight line, the target at its track velocity. The predicted intercept
point (PIP) solves |p + v t - L| = s t. A launch is acceptable when the PIP lies
inside the catalog envelope (minimum and maximum range, maximum altitude), the
target is not faster than the type can engage, and the intercept comes before
the threat reaches its asset. The flight-model issue replaces the straight-line
envelope with tables precomputed from the fly-out model.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def intercept_time_s(rel_pos_m: NDArray, target_vel_mps: NDArray, speed_mps: NDArray) -> NDArray:
    """Earliest t > 0 with |rel + v t| = s t, else inf. Broadcasts over leading axes."""
    a = np.sum(target_vel_mps**2, axis=-1) - speed_mps**2
    b = 2.0 * np.sum(rel_pos_m * target_vel_mps, axis=-1)
    c = np.sum(rel_pos_m**2, axis=-1)
    disc = b * b - 4.0 * a * c
    sq = np.sqrt(np.maximum(disc, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-b - sq) / (2.0 * a)
        t2 = (-b + sq) / (2.0 * a)
        lin = -c / b  # a == 0: equal speeds
    big = np.inf
    t1 = np.where(t1 > 0, t1, big)
    t2 = np.where(t2 > 0, t2, big)
    t = np.minimum(t1, t2)
    t = np.where(np.abs(a) < 1e-9, np.where(lin > 0, lin, big), t)
    return np.where(disc >= 0, t, big)


def launch_acceptability(
    launcher_pos_m: NDArray,
    target_pos_m: NDArray,
    target_vel_mps: NDArray,
    target_alt_fn,
    *,
    mean_speed_mps: float,
    min_range_m: float,
    max_range_m: float,
    max_altitude_m: float,
    max_target_speed_mps: float,
    max_flight_s: float,
    time_to_asset_s: NDArray,
) -> tuple[NDArray, NDArray, NDArray]:
    """Acceptability (L, k), intercept time (L, k) [s] and PIPs (L, k, 3) for one type.

    ``target_alt_fn`` maps ENU points (..., 3) to heights above the surface.
    """
    rel = target_pos_m[None, :, :] - launcher_pos_m[:, None, :]
    t = intercept_time_s(rel, target_vel_mps[None, :, :], np.asarray(mean_speed_mps))
    finite = np.isfinite(t)
    t_f = np.where(finite, t, 0.0)
    pip = target_pos_m[None, :, :] + target_vel_mps[None, :, :] * t_f[..., None]
    pip_range = np.linalg.norm(pip - launcher_pos_m[:, None, :], axis=2)
    speed = np.linalg.norm(target_vel_mps, axis=1)[None, :]
    ok = (
        finite
        & (pip_range >= min_range_m)
        & (pip_range <= max_range_m)
        & (target_alt_fn(pip) <= max_altitude_m)
        & (speed <= max_target_speed_mps)
        & (t <= max_flight_s)
        & (t < time_to_asset_s[None, :])
    )
    return ok, t, pip
