"""Seeker acquisition and loss of lock, checked once per engine step.

A round without lock looks for the real object nearest to where the FDC's
datalink says its target is (extrapolated at constant velocity); it locks on it
when that object is

- within ``SEEKER_BASKET_M`` of the uplinked position (the seeker searches a
  basket around the cue, it does not pick arbitrary objects),
- within the seeker's acquisition range (catalog ``seeker_range_m``),
- within its gimbal limit off the round's velocity (``seeker_gimbal_deg``);
  a lock-on-before-launch seeker is cued on the canister and skips this check
  while still in it,
- in line of sight: above the horizon of an effective earth (k = 4/3 for a
  radar seeker, 7/6 for an IR seeker, whose refraction is weaker), and not
  masked by terrain when the scenario has a DEM (``Terrain.masked``).

A locked round loses lock when the line of sight to its object is lost (horizon
or terrain); it then flies mid-course on the datalink again and may reacquire.
(When its object is destroyed the round self-destructs, ``flyout``.)
Acquisition happens at the start of an engine step (0.1-0.2 s), not inside its
sub-steps.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo import LocalFrame
from samsim.geo.relief import relief
from samsim.geo.terrain import Terrain
from samsim.interceptors.params import K_IR, K_RADAR, InterceptorTable
from samsim.interceptors.state import Interceptors

SEEKER_BASKET_M = 1500.0
__all__ = ["K_IR", "K_RADAR", "SEEKER_BASKET_M", "acquire", "line_of_sight"]


def line_of_sight(
    frame: LocalFrame,
    terrain: Terrain | None,
    a_enu_m: NDArray,
    b_enu_m: NDArray,
    k_factor: NDArray,
) -> NDArray[np.bool_]:
    """(n,) True where the paired points see each other over the k-earth and terrain.

    Horizon: ground distance <= sqrt(2 k R h_a) + sqrt(2 k R h_b), the same
    4/3-earth rule as ``geo.horizon.above_horizon`` with the seeker's k.
    """
    a = np.ascontiguousarray(np.atleast_2d(a_enu_m), dtype=np.float64)
    b = np.ascontiguousarray(np.atleast_2d(b_enu_m), dtype=np.float64)
    kf = np.ascontiguousarray(np.broadcast_to(k_factor, (len(a),)), dtype=np.float64)
    ok = np.empty(len(a), dtype=np.bool_)
    _horizon_kernel(a, b, kf, frame.radius_m, ok)
    if relief(terrain) is not None and ok.any():
        idx = ok.nonzero()[0]
        ok[idx] = ~terrain.masked(frame, a[idx], b[idx])
    return ok


@jit
def _horizon_kernel(a, b, kf, radius, out):  # pragma: no cover - compiled
    for i in range(a.shape[0]):
        out[i] = _clear(a[i, 0], a[i, 1], a[i, 2], b[i, 0], b[i, 1], b[i, 2], kf[i], radius)


def acquire(
    icpt: Interceptors,
    tab: InterceptorTable,
    frame: LocalFrame,
    terrain: Terrain | None,
    air_pos_m: NDArray,
    air_flying: NDArray[np.bool_],
    t_s: float,
    rows: NDArray[np.intp] | None = None,
    candidate: NDArray[np.intp] | None = None,
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]]:
    """Lock seekers that can acquire now and drop locks whose line of sight is lost.

    ``candidate`` (one air object per interceptor row, optional) restricts each
    seeker to one object, for batches of one-on-one engagements; by default it
    picks the flying object nearest to its uplinked position.

    Returns ``(locked, lost)``: lists of (interceptor row, air object, time_s).
    """
    rows = icpt.flying() if rows is None else np.asarray(rows, dtype=np.intp)
    if rows.size == 0:
        return [], []
    new = np.full(rows.size, -1, np.int64)
    lost = np.zeros(rows.size, dtype=np.bool_)
    cand = np.full(1, -1, np.int64) if candidate is None else np.asarray(candidate, dtype=np.int64)
    _acquire_kernel(
        rows,
        icpt.type_idx,
        icpt.pos_enu_m,
        icpt.vel_enu_mps,
        icpt.launch_time_s,
        icpt.est_pos_m,
        icpt.est_vel_mps,
        icpt.est_time_s,
        icpt.locked_idx,
        tab.seeker_range_m,
        tab.seeker_gimbal_rad,
        tab.lock_before_launch,
        tab.canister_clear_s,
        tab.seeker_k_factor,
        np.ascontiguousarray(air_pos_m, dtype=np.float64),
        air_flying,
        cand,
        candidate is not None,
        float(t_s),
        frame.radius_m,
        new,
        lost,
    )
    if relief(terrain) is not None:
        # Terrain masking, for the locks kept and the locks proposed.
        obj = icpt.locked_idx[rows]
        held = (obj >= 0) & ~lost & air_flying[np.maximum(obj, 0)]
        for sel, target in ((held, icpt.locked_idx[rows]), (new >= 0, new)):
            idx = sel.nonzero()[0]
            if idx.size:
                masked = terrain.masked(frame, icpt.pos_enu_m[rows[idx]], air_pos_m[target[idx]])
                if sel is held:
                    lost[idx[masked]] = True
                else:
                    new[idx[masked]] = -1
    lost_ev = []
    for k in lost.nonzero()[0]:
        r = int(rows[k])
        lost_ev.append((r, int(icpt.locked_idx[r]), float(t_s)))
        icpt.locked_idx[r] = -1
    locked_ev = []
    for k in (new >= 0).nonzero()[0]:
        r = int(rows[k])
        icpt.locked_idx[r] = new[k]
        locked_ev.append((r, int(new[k]), float(t_s)))
    return locked_ev, lost_ev


@jit
def _acquire_kernel(
    rows,
    type_idx,
    pos,
    vel,
    launch_t,
    est_pos,
    est_vel,
    est_t,
    locked,
    seeker_r,
    gimbal,
    lobl,
    clear_s,
    kf,
    air_pos,
    air_flying,
    candidate,
    use_candidate,
    t,
    radius,
    new,
    lost,
):  # pragma: no cover - compiled
    n_air = air_pos.shape[0]
    for k in range(rows.size):
        i = rows[k]
        ty = type_idx[i]
        px, py, pz = pos[i, 0], pos[i, 1], pos[i, 2]
        j = locked[i]
        if j >= 0:
            # A dead target is the fly-out's business (self-destruct); only sight is lost here.
            if air_flying[j] and not _clear(
                px, py, pz, air_pos[j, 0], air_pos[j, 1], air_pos[j, 2], kf[ty], radius
            ):
                lost[k] = True
            continue
        dte = t - est_t[i]
        ex = est_pos[i, 0] + est_vel[i, 0] * dte
        ey = est_pos[i, 1] + est_vel[i, 1] * dte
        ez = est_pos[i, 2] + est_vel[i, 2] * dte
        best, best_d = -1, SEEKER_BASKET_M
        if use_candidate:
            c = candidate[i]
            if air_flying[c]:
                d = np.sqrt(
                    (air_pos[c, 0] - ex) ** 2
                    + (air_pos[c, 1] - ey) ** 2
                    + (air_pos[c, 2] - ez) ** 2
                )
                if d <= best_d:
                    best = c
        else:
            for c in range(n_air):
                if not air_flying[c]:
                    continue
                d = np.sqrt(
                    (air_pos[c, 0] - ex) ** 2
                    + (air_pos[c, 1] - ey) ** 2
                    + (air_pos[c, 2] - ez) ** 2
                )
                if d <= best_d:
                    best, best_d = c, d
        if best < 0:
            continue
        lx, ly, lz = air_pos[best, 0] - px, air_pos[best, 1] - py, air_pos[best, 2] - pz
        rng = np.sqrt(lx * lx + ly * ly + lz * lz)
        if rng > seeker_r[ty]:
            continue
        cued = lobl[ty] and (t - launch_t[i]) <= clear_s[ty] + 1e-9
        if not cued:
            vx, vy, vz = vel[i, 0], vel[i, 1], vel[i, 2]
            sp = np.sqrt(vx * vx + vy * vy + vz * vz)
            c_off = (lx * vx + ly * vy + lz * vz) / max(rng * sp, 1e-9)
            if np.arccos(min(max(c_off, -1.0), 1.0)) > gimbal[ty]:
                continue
        if not _clear(
            px, py, pz, air_pos[best, 0], air_pos[best, 1], air_pos[best, 2], kf[ty], radius
        ):
            continue
        new[k] = best


@jit
def _clear(ax, ay, az, bx, by, bz, k, radius):  # pragma: no cover - compiled
    """Line of sight over the k-earth between two ENU points (no terrain)."""
    az += radius
    bz += radius
    ra = np.sqrt(ax * ax + ay * ay + az * az)
    rb = np.sqrt(bx * bx + by * by + bz * bz)
    c = (ax * bx + ay * by + az * bz) / (ra * rb)
    ground = radius * np.arccos(min(max(c, -1.0), 1.0))
    ha = max(ra - radius, 0.0)
    hb = max(rb - radius, 0.0)
    return ground <= np.sqrt(2.0 * k * radius * ha) + np.sqrt(2.0 * k * radius * hb)
