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
from samsim.interceptors import END_KILL, END_MISS, END_SELF_DESTRUCT, fly
from samsim.interceptors.envelope import TABLE_DT_S
from samsim.interceptors.flyout import SD_NAMES
from samsim.interceptors.seeker import acquire
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
    rows = w.icpt.flying()
    if rows.size == 0:
        return
    air = w.air
    flying = air.flying.copy()
    locked, lost = acquire(w.icpt, w.icpt_table, w.frame, w.terrain, pos0, flying, t0_s, rows)
    for row, obj, t in locked:
        w.events.add(t, "seeker_lock", icpt_name(w, row), air.name[obj], w.icpt.pos_enu_m[row])
    for row, obj, t in lost:
        w.events.add(t, "seeker_lost", icpt_name(w, row), air.name[obj], w.icpt.pos_enu_m[row])
    n_far = max(1, math.ceil(dt_s / MIDCOURSE_STEP_S - 1e-9))
    n_near = n_far * math.ceil(max(substeps, n_far) / n_far)  # a multiple of n_far
    subs = _substeps(
        rows, w.icpt.locked_idx, w.icpt.pos_enu_m, w.icpt.vel_enu_mps, air.pos_enu_m,
        ENDGAME_S + dt_s, n_near, n_far,
    )  # fmt: skip
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
    for row, code, t in ev.ended:
        obj = int(w.icpt.locked_idx[row])
        target = air.name[obj] if obj >= 0 else ""
        miss = w.icpt.miss_m[row]
        w.events.add(
            t,
            END_NAMES[code],
            icpt_name(w, row),
            target,
            w.icpt.pos_enu_m[row],
            f"reason={SD_NAMES[ev.reasons[row]]}"
            if row in ev.reasons
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


def icpt_name(w: World, row: int) -> str:
    return f"interceptor#{row}:{w.icpt_table.names[w.icpt.type_idx[row]]}"
