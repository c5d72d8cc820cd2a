"""The engine's stages: each advances one part of the World and logs what happened.

Model packages compute; stages apply the results to the World and write the
event log. Order within a step (DESIGN.md): threats move -> interceptors fly
and fuze -> sensors detect -> trackers update -> FDCs decide and fire ->
launchers reload.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from samsim.fire_control import Engagement, decide, fire_round, service_reloads
from samsim.fire_control.identify import ID_NAMES
from samsim.interceptors import (
    END_KILL,
    END_MISS,
    END_SELF_DESTRUCT,
    FLYING,
    FlyoutEvents,
    fly,
)
from samsim.sensors import interrogate, scan
from samsim.sensors.radar import looks, turn
from samsim.threats import ALLEGIANCE_NAMES, launch_due
from samsim.threats import fly as fly_threats
from samsim.threats.state import ARRIVED, KILLED, LEAKED
from samsim.tracking import Measurements, TrackerParams
from samsim.tracking import step as track_step
from samsim.world import World

END_NAMES = {END_KILL: "kill", END_MISS: "miss", END_SELF_DESTRUCT: "self_destruct"}
LAUNCH_SPEED_MPS = 40.0
ENDGAME_S = 2.0
HANDOVER_M = 2000.0
TRACKER = TrackerParams()


def doctrine_stage(w: World, t_s: float) -> None:
    """Apply weapons-status changes that are due (in time order)."""
    changes = sorted(w.scenario.doctrine.status_changes, key=lambda c: c.time_s)
    while (
        w.status_changes_applied < len(changes) and changes[w.status_changes_applied].time_s <= t_s
    ):
        ch = changes[w.status_changes_applied]
        w.status_changes_applied += 1
        w.weapons_status = ch.status
        w.events.add(ch.time_s, "weapons_status", "doctrine", ch.status)


def threat_stage(w: World, t0_s: float, t1_s: float) -> NDArray:
    """Launch due objects and fly every flying object; return positions at t0."""
    air = w.air
    for i in launch_due(air, t0_s):
        air.launch_time_s[i] = max(air.launch_time_s[i], 0.0)
        w.events.add(
            t0_s,
            "threat_launch",
            air.name[i],
            w.threat_type_names[air.type_idx[i]],
            air.pos_enu_m[i],
            ALLEGIANCE_NAMES[air.allegiance[i]],
        )
    pos0 = air.pos_enu_m.copy()
    arrived = fly_threats(air, w.frame, t1_s, t1_s - t0_s)
    for i in arrived:
        target = int(air.target_asset[i])
        if target < 0:
            air.fate[i] = ARRIVED
            air.fate_time_s[i] = t1_s
            w.events.add(t1_s, "arrived", air.name[i], "", air.pos_enu_m[i])
            continue
        air.fate[i] = LEAKED
        air.fate_time_s[i] = t1_s
        w.events.add(
            t1_s,
            "leaker",
            air.name[i],
            w.assets.name[target],
            air.pos_enu_m[i],
            w.threat_type_names[air.type_idx[i]],
        )
        ground = w.frame.ground_distance_m(air.pos_enu_m[i], w.assets.pos_enu_m[target])
        if ground <= w.assets.radius_m[target]:
            frac = w.catalog.threats[w.threat_type_names[air.type_idx[i]]].damage_fraction
            before = w.assets.damage[target]
            w.assets.damage[target] = min(
                w.assets.value[target], before + frac * w.assets.value[target]
            )
            w.events.add(
                t1_s,
                "asset_hit",
                air.name[i],
                w.assets.name[target],
                air.pos_enu_m[i],
                f"damage={w.assets.damage[target] - before:.3f}",
            )
    return pos0


def interceptor_stage(w: World, pos0: NDArray, t0_s: float, dt_s: float, substeps: int) -> None:
    """Fly interceptors, fuze, and settle kills and engagement bookkeeping.

    Sub-steps are used only when some interceptor is in its end-game (within
    ``ENDGAME_S`` seconds of closest approach to its target); mid-course flight
    takes the engine step whole.
    """
    rows = w.icpt.flying()
    if rows.size == 0:
        return
    air = w.air
    flying = air.flying.copy()
    lk = w.icpt.locked_idx[rows]
    rel = air.pos_enu_m[np.maximum(lk, 0)] - w.icpt.pos_enu_m[rows]
    closing = np.linalg.norm(w.icpt.vel_enu_mps[rows], axis=1) + 1000.0
    near = (lk >= 0) & (np.linalg.norm(rel, axis=1) < closing * (ENDGAME_S + dt_s))
    ev = FlyoutEvents([], [], [])
    for subset, n_sub in ((rows[near], substeps), (rows[~near], 1)):
        if subset.size:
            part = fly(
                w.icpt,
                w.icpt_table,
                w.frame,
                pos0,
                air.pos_enu_m,
                air.vel_enu_mps,
                flying,
                t0_s,
                dt_s,
                n_sub,
                w.rng["kill"],
                subset,
            )
            ev.locked += part.locked
            ev.ended += part.ended
            ev.killed_air += part.killed_air
    for row, obj, t in ev.locked:
        w.events.add(t, "seeker_lock", _icpt_name(w, row), air.name[obj], w.icpt.pos_enu_m[row])
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
            _icpt_name(w, row),
            target,
            w.icpt.pos_enu_m[row],
            "" if math.isnan(miss) else f"miss_m={miss:.1f}",
        )
        fdc = w.fdcs[w.icpt.fdc_idx[row]]
        eng = fdc.engagements.get(int(w.icpt.track_id[row]))
        if eng is not None:
            eng.in_flight -= 1
            if eng.in_flight == 0:
                eng.last_end_s = t


def _icpt_name(w: World, row: int) -> str:
    return f"interceptor#{row}:{w.icpt_table.names[w.icpt.type_idx[row]]}"


def sensor_and_track_stage(w: World, t1_s: float, dt_s: float) -> None:
    """Radar scan over (t1 - dt, t1], IFF, then every FDC's tracker; then turn the beams."""
    air = w.air
    if w.radars.n == 0:
        return
    rows = np.flatnonzero(air.flying)
    det = scan(
        w.radars,
        w.frame,
        air.pos_enu_m[rows],
        air.vel_enu_mps[rows],
        air.rcs_m2[rows],
        air.swerling[rows],
        t1_s,
        dt_s,
        w.rng["radar"],
    )
    truth = np.full(det.n, -1, dtype=np.int64)
    real = det.truth_idx >= 0
    truth[real] = rows[det.truth_idx[real]]
    iff_params = w.catalog.iff
    reply = interrogate(
        truth,
        air.allegiance,
        iff_params.civil_reply_probability,
        iff_params.friend_reply_probability,
        w.rng["iff"],
    )
    for f_idx, fdc in enumerate(w.fdcs):
        mine = w.radars.battery_idx[det.radar_idx] == f_idx
        tracks = fdc.tracks
        live = tracks.live()
        looked = np.zeros(tracks.capacity, dtype=bool)
        if live.size and fdc.radar_idx.size:
            ri, ti, *_ = looks(w.radars, w.frame, tracks.position_at(live, t1_s), dt_s)
            looked[live[ti[w.radars.battery_idx[ri] == f_idx]]] = True
        if not mine.any() and not looked.any():
            continue
        ri = det.radar_idx[mine]
        meas = Measurements(
            time_s=det.time_s[mine],
            z=np.stack([det.range_m[mine], det.az_rad[mine], det.el_rad[mine]], axis=1),
            sensor_pos_m=w.radars.pos_enu_m[ri],
            sensor_axes=w.radars.axes[ri],
            sigma=np.stack(
                [w.radars.sigma_range_m[ri], w.radars.sigma_az_rad[ri], w.radars.sigma_el_rad[ri]],
                axis=1,
            ),
            iff=reply[mine],
            truth_idx=truth[mine],
        )
        res = track_step(tracks, meas, looked, t1_s, TRACKER)
        for row in res.confirmed:
            obj = int(tracks.truth_idx[row])
            w.events.add(
                t1_s,
                "track_confirmed",
                f"{fdc.name}/T{tracks.track_id[row]}",
                air.name[obj] if obj >= 0 else "clutter",
                tracks.x[row, :3],
            )
        for tid, obj in zip(res.deleted_ids, res.deleted_truth, strict=True):
            w.events.add(
                t1_s,
                "track_dropped",
                f"{fdc.name}/T{tid}",
                air.name[obj] if obj >= 0 else "clutter",
            )
    turn(w.radars, dt_s)


def fdc_stage(w: World, t_s: float) -> None:
    """FDC decision cycles that are due, launches, datalink uplinks and reloads."""
    for f_idx, fdc in enumerate(w.fdcs):
        if t_s + 1e-9 >= fdc.next_uplink_s:
            fdc.next_uplink_s = t_s + fdc.params.datalink_period_s
            _uplink(w, f_idx, t_s)
        if t_s + 1e-9 < fdc.next_cycle_s:
            continue
        fdc.next_cycle_s = t_s + fdc.params.cycle_s
        for L in service_reloads(w.launchers, t_s, fdc.launcher_idx):
            w.events.add(t_s, "reload", w.launchers.name[L], "", w.launchers.pos_enu_m[L])
        res = decide(
            fdc,
            w.frame,
            t_s,
            w.launchers,
            w.planning,
            w.assets.pos_enu_m,
            w.assets.radius_m,
            w.assets.value,
            w.scenario.doctrine,
            w.weapons_status,
        )
        for row in res.ident_changed:
            obj = int(fdc.tracks.truth_idx[row])
            w.events.add(
                t_s,
                "track_identified",
                f"{fdc.name}/T{fdc.tracks.track_id[row]}",
                w.air.name[obj] if obj >= 0 else "clutter",
                fdc.tracks.x[row, :3],
                ID_NAMES[fdc.tracks.ident[row]],
            )
        for shot in res.shots:
            _launch(w, f_idx, shot, t_s)


def _uplink(w: World, f_idx: int, t_s: float) -> None:
    """Send each flying interceptor its track's latest estimate.

    When its track was dropped and a new confirmed track lies within
    ``HANDOVER_M`` of where the interceptor expects its target, the FDC hands the
    engagement over to that track, so that it is not engaged again as new.
    """
    icpt = w.icpt
    fdc = w.fdcs[f_idx]
    tracks = fdc.tracks
    rows = icpt.flying()
    rows = rows[icpt.fdc_idx[rows] == f_idx]
    for r in rows:
        tid = int(icpt.track_id[r])
        tr = tracks.row_of(tid)
        if tr < 0:
            tr = _handover(w, fdc, r, t_s)
            if tr < 0:
                continue
        icpt.est_pos_m[r] = tracks.position_at(np.array([tr]), t_s)[0]
        icpt.est_vel_mps[r] = tracks.x[tr, 3:]
        icpt.est_time_s[r] = t_s


def _handover(w: World, fdc, r: int, t_s: float) -> int:
    icpt = w.icpt
    tracks = fdc.tracks
    conf = tracks.confirmed()
    if conf.size == 0:
        return -1
    expected = icpt.est_pos_m[r] + icpt.est_vel_mps[r] * (t_s - icpt.est_time_s[r])
    d = np.linalg.norm(tracks.position_at(conf, t_s) - expected, axis=1)
    best = int(np.argmin(d))
    if d[best] > HANDOVER_M:
        return -1
    old_id, new_id = int(icpt.track_id[r]), int(tracks.track_id[conf[best]])
    icpt.track_id[r] = new_id
    old = fdc.engagements.pop(old_id, None)
    if old is not None:
        eng = fdc.engagements.setdefault(new_id, Engagement())
        eng.in_flight += old.in_flight
        eng.salvo_fired += old.salvo_fired
        eng.total_fired += old.total_fired
        eng.last_end_s = max(eng.last_end_s, old.last_end_s)
        # Other rounds still flying on the old track follow it to the new one.
        others = icpt.flying()
        icpt.track_id[
            others[(icpt.track_id[others] == old_id) & (icpt.fdc_idx[others] == icpt.fdc_idx[r])]
        ] = new_id
    w.events.add(
        t_s,
        "track_handover",
        f"{fdc.name}/T{old_id}",
        f"{fdc.name}/T{new_id}",
        expected,
        f"distance_m={d[best]:.0f}",
    )
    return int(conf[best])


def _launch(w: World, f_idx: int, shot, t_s: float) -> None:
    fdc = w.fdcs[f_idx]
    tracks = fdc.tracks
    L = shot.launcher_idx
    fire_round(w.launchers, L, shot.type_idx, t_s)
    icpt = w.icpt
    r = icpt.n_used
    if r >= icpt.capacity:
        return
    icpt.n_used += 1
    pos = w.launchers.pos_enu_m[L]
    target = tracks.position_at(np.array([shot.track_row]), t_s)[0]
    axes = w.frame.local_axes(pos)
    rel = axes @ (target - pos)
    az = math.atan2(rel[0], rel[1])
    el = w.launchers.launch_elevation_rad[L]
    local_dir = np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])
    tab = w.icpt_table
    icpt.type_idx[r] = shot.type_idx
    icpt.phase[r] = FLYING
    icpt.pos_enu_m[r] = pos
    icpt.vel_enu_mps[r] = LAUNCH_SPEED_MPS * (axes.T @ local_dir)
    icpt.mass_kg[r] = tab.mass_kg[shot.type_idx]
    icpt.launch_time_s[r] = t_s
    icpt.launcher_idx[r] = L
    icpt.fdc_idx[r] = f_idx
    icpt.track_id[r] = shot.track_id
    icpt.est_pos_m[r] = target
    icpt.est_vel_mps[r] = tracks.x[shot.track_row, 3:]
    icpt.est_time_s[r] = t_s
    icpt.locked_idx[r] = -1
    icpt.accel_cmd_mps2[r] = 0.0
    eng = fdc.engagements.setdefault(shot.track_id, Engagement())
    eng.in_flight += 1
    eng.salvo_fired += 1
    eng.total_fired += 1
    obj = int(tracks.truth_idx[shot.track_row])
    truth = w.air.name[obj] if obj >= 0 else "clutter"
    allegiance = ALLEGIANCE_NAMES[w.air.allegiance[obj]] if obj >= 0 else "none"
    w.engaged_truth.append(obj)
    w.events.add(
        t_s,
        "engage",
        f"{fdc.name}/T{shot.track_id}",
        w.launchers.name[L],
        target,
        f"truth={truth};allegiance={allegiance};tti_s={shot.time_to_intercept_s:.1f}",
    )
    w.events.add(
        t_s, "launch", _icpt_name(w, r), f"{fdc.name}/T{shot.track_id}", pos, w.launchers.name[L]
    )
