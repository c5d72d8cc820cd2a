"""Engine stage for interceptors in flight: seeker acquisition, guidance, fuzing, kills.

Each step: seekers acquire or lose lock (``interceptors.seeker.acquire``, at
the start of the step, with line of sight over the horizon and the scenario's
terrain), then every round flies the step in sub-steps of at most
``MIDCOURSE_STEP_S`` (the step of the fly-out tables the FDC plans with), or
``substeps`` per step in its end-game, where the closest approach is found.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo.relief import relief
from samsim.interceptors import END_KILL, END_MISS, END_SELF_DESTRUCT, fly
from samsim.interceptors.envelope import TABLE_DT_S
from samsim.interceptors.flyout import SD_NAMES
from samsim.interceptors.seeker import _acquire_kernel, acquire
from samsim.interceptors.state import FLYING
from samsim.threats.state import KILLED
from samsim.world import World

END_NAMES = {END_KILL: "kill", END_MISS: "miss", END_SELF_DESTRUCT: "self_destruct"}
ENDGAME_S = 2.0
MIDCOURSE_STEP_S = TABLE_DT_S


def interceptor_stage(w: World, pos0: NDArray, t0_s: float, dt_s: float, substeps: int) -> None:
    """Fly interceptors, fuze, and settle kills and engagement bookkeeping.

    A round in its end-game (within ``ENDGAME_S`` seconds of closest approach to
    its locked target) takes ``substeps`` sub-steps per step; the others take
    sub-steps of at most ``MIDCOURSE_STEP_S``, the step of the fly-out tables.
    """
    icpt, air = w.icpt, w.air
    if icpt.n_used == 0:
        return
    n_far = max(1, math.ceil(dt_s / MIDCOURSE_STEP_S - 1e-9))
    n_near = n_far * math.ceil(max(substeps, n_far) / n_far)  # a multiple of n_far
    flying = air.flying  # a new array (fate == FLYING); fly() marks kills in it
    if relief(w.terrain) is None:
        # Seekers (seeker.acquire, without terrain to mask the lines of sight) and
        # the sub-steps of each round in one compiled call.
        tab = w.icpt_table
        rows, locked_rows, locked_obj, lost_rows, lost_obj, subs = _seek(
            icpt.phase, icpt.n_used, icpt.type_idx, icpt.pos_enu_m, icpt.vel_enu_mps,
            icpt.launch_time_s, icpt.est_pos_m, icpt.est_vel_mps, icpt.est_time_s,
            icpt.locked_idx, tab.seeker_range_m, tab.seeker_gimbal_rad, tab.lock_before_launch,
            tab.canister_clear_s, tab.seeker_k_factor, pos0, flying, float(t0_s),
            w.frame.radius_m, air.pos_enu_m, ENDGAME_S + dt_s, n_near, n_far,
        )  # fmt: skip
        if rows.size == 0:
            return
        t = float(t0_s)
        locked = [(int(r), int(o), t) for r, o in zip(locked_rows, locked_obj, strict=True)]
        lost = [(int(r), int(o), t) for r, o in zip(lost_rows, lost_obj, strict=True)]
    else:
        rows = icpt.flying()
        if rows.size == 0:
            return
        locked, lost = acquire(icpt, w.icpt_table, w.frame, w.terrain, pos0, flying, t0_s, rows)
        subs = _substeps(
            rows, icpt.locked_idx, icpt.pos_enu_m, icpt.vel_enu_mps, air.pos_enu_m,
            ENDGAME_S + dt_s, n_near, n_far,
        )  # fmt: skip
    seeker_events(w, locked, lost, icpt.pos_enu_m)
    ev = fly(
        w.icpt,
        w.icpt_table,
        w.frame,
        pos0,
        air.pos_enu_m,
        air.vel_enu_mps,
        flying,
        t0_s,
        dt_s,
        subs,
        w.rng["kill"],
        rows,
        air_acc=air.acc_enu_mps2,
    )
    for obj, _row, t in ev.killed_air:
        air.fate[obj] = KILLED
        air.fate_time_s[obj] = t
    end_events(w, ev.ended, ev.reasons)


def seeker_events(
    w: World,
    locked: list[tuple[int, int, float]],
    lost: list[tuple[int, int, float]],
    pos_enu_m: NDArray,
) -> None:
    """``seeker_lock`` and ``seeker_lost`` events of (row, object, time_s) triples;
    ``pos_enu_m[row]`` the round's position then."""
    air = w.air
    for row, obj, t in locked:
        w.events.add(t, "seeker_lock", icpt_name(w, row), air.name[obj], pos_enu_m[row])
    for row, obj, t in lost:
        w.events.add(t, "seeker_lost", icpt_name(w, row), air.name[obj], pos_enu_m[row])


def end_events(w: World, ended: list[tuple[int, int, float]], reasons: dict[int, int]) -> None:
    """Events of the rounds that ended, (row, END_* code, time_s), and their FDCs'
    engagement bookkeeping; ``reasons`` the SD_* reason of each self-destructed row."""
    air = w.air
    for row, code, t in ended:
        obj = int(w.icpt.locked_idx[row])
        target = air.name[obj] if obj >= 0 else ""
        miss = w.icpt.miss_m[row]
        w.events.add(
            t,
            END_NAMES[code],
            icpt_name(w, row),
            target,
            w.icpt.pos_enu_m[row],
            f"reason={SD_NAMES[reasons[row]]}"
            if row in reasons
            else ("" if math.isnan(miss) else f"miss_m={miss:.1f}"),
        )
        fdc = w.fdcs[w.icpt.fdc_idx[row]]
        eng = fdc.engagements.get(int(w.icpt.track_id[row]))
        if eng is not None:
            eng.in_flight -= 1
            if eng.in_flight == 0:
                eng.last_end_s = t


@jit
def _substeps(rows, locked, pos, vel, air_pos, horizon_s, n_near, n_far):  # pragma: no cover
    """Sub-steps of each round: ``n_near`` in its end-game, ``n_far`` otherwise.

    End-game: locked, and closer to its target than (its speed + 1 km/s) x
    ``horizon_s`` (the end-game time plus the step).
    """
    out = np.empty(rows.size, np.int64)
    for k in range(rows.size):
        r = rows[k]
        lk = locked[r]
        out[k] = n_far
        if lk < 0:
            continue
        d0 = air_pos[lk, 0] - pos[r, 0]
        d1 = air_pos[lk, 1] - pos[r, 1]
        d2 = air_pos[lk, 2] - pos[r, 2]
        closing = math.sqrt(vel[r, 0] ** 2 + vel[r, 1] ** 2 + vel[r, 2] ** 2) + 1000.0
        if math.sqrt(d0 * d0 + d1 * d1 + d2 * d2) < closing * horizon_s:
            out[k] = n_near
    return out


@jit
def _seek(
    phase, n_used, type_idx, pos, vel, launch_t, est_pos, est_vel, est_t, locked, seeker_r,
    gimbal, lobl, clear_s, kf, air_pos0, air_flying, t0, radius, air_pos1, horizon_s, n_near,
    n_far,
):  # pragma: no cover - compiled  # fmt: skip
    """``seeker.acquire`` over the flying rounds (no terrain) and ``_substeps``.

    Returns the flying rows, the (row, object) pairs that locked and that lost
    lock (in acquire's order), and each row's sub-steps.
    """
    rows = np.nonzero(phase[:n_used] == FLYING)[0]
    new = np.full(rows.size, -1, np.int64)
    lost = np.zeros(rows.size, np.bool_)
    _acquire_kernel(
        rows, type_idx, pos, vel, launch_t, est_pos, est_vel, est_t, locked, seeker_r, gimbal,
        lobl, clear_s, kf, air_pos0, air_flying, np.full(1, -1, np.int64), False, t0, radius,
        new, lost,
    )  # fmt: skip
    # As acquire(): the lost locks are dropped first, then the new ones set.
    lost_rows = rows[lost]
    lost_obj = locked[lost_rows].astype(np.int64)
    locked[lost_rows] = -1
    gained = new >= 0
    new_rows = rows[gained]
    new_obj = new[gained]
    locked[new_rows] = new_obj
    subs = _substeps(rows, locked, pos, vel, air_pos1, horizon_s, n_near, n_far)
    return rows, new_rows, new_obj, lost_rows, lost_obj, subs


def icpt_name(w: World, row: int) -> str:
    return f"interceptor#{row}:{w.icpt_table.names[w.icpt.type_idx[row]]}"
