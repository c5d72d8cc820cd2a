"""Batches of one-on-one engagements flown with the engine's own fly-out.

``simulate`` launches n rounds at n targets whose motion is given as a
function of time, and steps them exactly as the engine does (datalink uplinks,
``seeker.acquire`` at the start of each step, then ``flyout.fly``). Envelope
tables, the validation suite and the tests all use it, so that what they
measure is the model the engine flies, not a copy of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim.geo import LocalFrame
from samsim.geo.terrain import Terrain
from samsim.interceptors.flyout import fly
from samsim.interceptors.params import InterceptorTable
from samsim.interceptors.seeker import acquire
from samsim.interceptors.state import FLYING, NO_END, Interceptors

# Speed at which a round leaves its canister; equal to engine.stage_fdc.LAUNCH_SPEED_MPS.
CANISTER_EXIT_SPEED_MPS = 40.0

TargetFn = Callable[[float], tuple[NDArray, NDArray, NDArray]]


@dataclass(slots=True)
class EngagementResult:
    """Outcome of each round of a batch (row i: round i against target i)."""

    end_code: NDArray[np.int8]  # NO_END (still flying at t_end), END_KILL, END_MISS, ...
    end_time_s: NDArray[np.float64]
    miss_m: NDArray[np.float64]  # closest approach (NaN if it never fuzed)
    lock_time_s: NDArray[np.float64]  # first seeker lock (NaN if none)
    pos_m: NDArray[np.float64]  # (n, 3) position at the end
    vel_mps: NDArray[np.float64]  # (n, 3) velocity at the end
    mass_kg: NDArray[np.float64]
    paths_m: NDArray[np.float64] | None  # (T, n, 3) positions every step if recorded


def launch_direction(
    frame: LocalFrame, launcher_pos_m: NDArray, target_pos_m: NDArray, elevation_rad: float
) -> NDArray:
    """(n, 3) unit vectors: toward each target's azimuth at the canister elevation.

    Same construction as the engine's launch (the launcher's own level frame).
    """
    lp = np.atleast_2d(np.asarray(launcher_pos_m, dtype=float))
    tp = np.atleast_2d(np.asarray(target_pos_m, dtype=float))
    n = max(len(lp), len(tp))
    lp = np.broadcast_to(lp, (n, 3))
    tp = np.broadcast_to(tp, (n, 3))
    out = np.empty((n, 3))
    uniq, inverse = np.unique(lp, axis=0, return_inverse=True)
    for u, p in enumerate(uniq):
        sel = inverse.reshape(-1) == u
        axes = frame.local_axes(p)
        rel = (tp[sel] - p) @ axes.T
        az = np.arctan2(rel[:, 0], rel[:, 1])
        local = np.stack(
            [
                math.cos(elevation_rad) * np.sin(az),
                math.cos(elevation_rad) * np.cos(az),
                np.full(az.shape, math.sin(elevation_rad)),
            ],
            axis=1,
        )
        out[sel] = local @ axes
    return out


def simulate(
    tab: InterceptorTable,
    type_idx: NDArray | int,
    frame: LocalFrame,
    launch_pos_m: NDArray,
    launch_dir: NDArray,
    targets: TargetFn,
    *,
    t_end_s: float,
    dt_s: float = 0.05,
    substeps: int = 1,
    datalink_period_s: float | None = 1.0,
    terrain: Terrain | None = None,
    lock_at_launch: bool = False,
    gravity_scale: float = 1.0,
    rng: np.random.Generator | None = None,
    record_paths: bool = False,
    launch_speed_mps: float = CANISTER_EXIT_SPEED_MPS,
) -> EngagementResult:
    """Fly n rounds at n targets until each ends or ``t_end_s`` passes.

    Parameters
    ----------
    type_idx : interceptor type row in ``tab``, one or (n,)
    launch_pos_m, launch_dir : (n, 3) launch points [m] and unit launch directions
    targets : t_s -> (pos (n, 3) [m], vel (n, 3) [m/s], acc (n, 3) [m/s^2]); row i
        is the target of round i
    datalink_period_s : interval of the (perfect) track uplinks; None: only the cue
        at launch
    lock_at_launch : start every round locked on its target (terminal homing only)
    rng : seeker noise and kill draws; None: no noise, kill when P_k >= 0.5
    """
    pos0, vel0, acc0 = targets(0.0)
    n = len(pos0)
    icpt = Interceptors.empty(n)
    icpt.n_used = n
    icpt.type_idx[:] = np.broadcast_to(np.asarray(type_idx, np.int16), (n,))
    icpt.phase[:] = FLYING
    icpt.pos_enu_m[:] = np.broadcast_to(launch_pos_m, (n, 3))
    icpt.vel_enu_mps[:] = launch_speed_mps * np.broadcast_to(launch_dir, (n, 3))
    icpt.mass_kg[:] = tab.mass_kg[icpt.type_idx]
    icpt.est_pos_m[:] = pos0
    icpt.est_vel_mps[:] = vel0
    icpt.est_time_s[:] = 0.0
    if lock_at_launch:
        icpt.locked_idx[:] = np.arange(n)
    lock_time = np.where(icpt.locked_idx >= 0, 0.0, np.nan)
    flying = np.ones(n, dtype=bool)
    own = np.arange(n)
    paths: list[NDArray] = []
    next_uplink = datalink_period_s if datalink_period_s else math.inf
    n_steps = math.ceil(t_end_s / dt_s - 1e-9)
    p0, v0, a0 = pos0, vel0, acc0
    for k in range(n_steps):
        t0 = k * dt_s
        rows = icpt.flying()
        if rows.size == 0:
            break
        if t0 + 1e-9 >= next_uplink:
            next_uplink += datalink_period_s
            icpt.est_pos_m[rows] = p0[rows]
            icpt.est_vel_mps[rows] = v0[rows]
            icpt.est_time_s[rows] = t0
        locked, _ = acquire(icpt, tab, frame, terrain, p0, flying, t0, rows, own)
        for r, _obj, t in locked:
            if np.isnan(lock_time[r]):
                lock_time[r] = t
        p1, v1, a1 = targets(t0 + dt_s)
        fly(
            icpt,
            tab,
            frame,
            p0,
            p1,
            v0,
            flying,
            t0,
            dt_s,
            substeps,
            rng,
            rows,
            air_acc=a0,
            gravity_scale=gravity_scale,
        )
        if record_paths:
            paths.append(icpt.pos_enu_m.copy())
        p0, v0, a0 = p1, v1, a1
    return EngagementResult(
        end_code=np.where(icpt.phase == FLYING, NO_END, icpt.end).astype(np.int8),
        end_time_s=icpt.end_time_s.copy(),
        miss_m=icpt.miss_m.copy(),
        lock_time_s=lock_time,
        pos_m=icpt.pos_enu_m.copy(),
        vel_mps=icpt.vel_enu_mps.copy(),
        mass_kg=icpt.mass_kg.copy(),
        paths_m=np.array(paths) if record_paths else None,
    )


def straight_targets(pos0_m: NDArray, vel_mps: NDArray) -> TargetFn:
    """Targets flying straight at constant velocity from ``pos0_m`` (n, 3)."""
    p = np.asarray(pos0_m, dtype=float)
    v = np.broadcast_to(np.asarray(vel_mps, dtype=float), p.shape).copy()
    zero = np.zeros_like(p)

    def at(t_s: float) -> tuple[NDArray, NDArray, NDArray]:
        return p + v * t_s, v, zero

    return at
