"""Engageability: predicted intercept points and launch acceptability.

With fly-out tables (``flyout``, the engine's default): the time of flight and
reachability of every point come from tables that samsim precomputes by flying
its own interceptor model (``samsim.interceptors.envelope``); the predicted
intercept point (PIP) is the earliest p + v t that the round reaches at time t,
and a launch is acceptable when the planning rules hold there (manoeuvre left
at arrival, closing speed, minimum range, target speed), the intercept comes
before the threat reaches its asset, and, for a seeker that must lock on before
launch, the target is within its acquisition range and above the horizon of
the launcher now.

Without tables (``flyout=None``) the first-fidelity straight-line model is
used: the interceptor at its catalog mean speed, |p + v t - L| = s t, and the
catalog envelope (minimum and maximum range, maximum altitude).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from samsim.interceptors.envelope import FlyoutSet, solve_intercepts
from samsim.interceptors.seeker import K_IR, K_RADAR


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
    flyout: FlyoutSet | None = None,
    launch_elevation_rad: NDArray | None = None,
    radius_m: float | None = None,
) -> tuple[NDArray, NDArray, NDArray]:
    """Acceptability (L, k), intercept time (L, k) [s] and PIPs (L, k, 3) for one type.

    ``target_alt_fn`` maps ENU points (..., 3) to heights above the surface.
    ``flyout`` (with the launchers' canister elevations and the frame's sphere
    radius) switches from the straight-line model to the fly-out tables.
    """
    if flyout is not None:
        if launch_elevation_rad is None or radius_m is None:
            raise ValueError("launch_elevation_rad and radius_m are needed with flyout tables")
        ok, t, pip = solve_intercepts(
            flyout,
            launcher_pos_m,
            launch_elevation_rad,
            target_pos_m,
            target_vel_mps,
            time_to_asset_s,
            radius_m,
        )
        if flyout.lock_before_launch:
            ok &= seeker_sees_from_launcher(
                flyout, launcher_pos_m, target_pos_m, target_alt_fn, radius_m
            )
        return ok, t, pip
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


def seeker_sees_from_launcher(
    flyout: FlyoutSet,
    launcher_pos_m: NDArray,
    target_pos_m: NDArray,
    target_alt_fn,
    radius_m: float,
) -> NDArray[np.bool_]:
    """(L, k) True where a lock-on-before-launch seeker on the launcher can see the target.

    Acquisition range and the seeker's horizon (k = 7/6 for IR, 4/3 for radar);
    terrain is not checked here (the round's own seeker checks it in flight).
    """
    rel = target_pos_m[None, :, :] - launcher_pos_m[:, None, :]
    rng = np.linalg.norm(rel, axis=2)
    k = K_IR if flyout.seeker_ir else K_RADAR
    h_l = np.maximum(target_alt_fn(launcher_pos_m), 0.0)[:, None]
    h_t = np.maximum(target_alt_fn(target_pos_m), 0.0)[None, :]
    horizon = np.sqrt(2 * k * radius_m * h_l) + np.sqrt(2 * k * radius_m * h_t)
    return (rng <= flyout.seeker_range_m) & (rng <= horizon)
