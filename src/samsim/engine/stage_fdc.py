"""Engine stage for the FDCs: kill assessments, decision cycles, launches, uplinks, reloads.

FDCs decide one after the other within a step, each seeing the engagements the
ones before it just started, so that fire units sharing the picture do not
double-engage (``fire_control.fdc.held_by_others``).
"""

from __future__ import annotations

import math

import numpy as np

from samsim.engine.stage_interceptors import icpt_name
from samsim.engine.stage_sensors import track_name
from samsim.fire_control import Engagement, decide, fire_round, service_reloads
from samsim.fire_control.fdc import PictureView, assess_kills, held_by_others, view_picture
from samsim.fire_control.identify import ID_NAMES
from samsim.interceptors import FLYING
from samsim.threats import ALLEGIANCE_NAMES
from samsim.tracking import FREE
from samsim.world import World

LAUNCH_SPEED_MPS = 40.0
HANDOVER_M = 2000.0


def fdc_stage(w: World, t_s: float) -> None:
    """FDC decision cycles that are due, launches, datalink uplinks and reloads.

    Fire units on the shared picture see the same tracks, threats and
    identities at one time: that view is computed once and handed to each
    (the first FDC reports the identification changes).
    """
    views: dict[tuple[int, int], PictureView] = {}
    # Rounds flying at the start of the stage: an FDC's uplink serves its own, and the
    # rounds an FDC launches here are its own too (after its uplink).
    flying = None
    any_reload = None
    for f_idx, fdc in enumerate(w.fdcs):
        if t_s + 1e-9 >= fdc.next_uplink_s:
            fdc.next_uplink_s = t_s + fdc.params.datalink_period_s
            if flying is None:
                flying = w.icpt.flying()
            if flying.size:
                _uplink(w, f_idx, t_s, flying)
        if t_s + 1e-9 < fdc.next_cycle_s:
            continue
        fdc.next_cycle_s = t_s + fdc.params.cycle_s
        # Reload state changes only in service_reloads, gated here: one look at every
        # launcher per step, then each unit's own only if some reload is left or under way.
        if any_reload is None:
            any_reload = _may_reload(w, slice(None))
        if any_reload and _may_reload(w, fdc.launcher_idx):
            for L in service_reloads(w.launchers, t_s, fdc.launcher_idx):
                w.events.add(t_s, "reload", w.launchers.name[L], "", w.launchers.pos_enu_m[L])
        for tid, survived in assess_kills(fdc, t_s):
            row = fdc.tracks.row_of(tid)
            w.events.add(
                t_s,
                "kill_assessment",
                track_name(tid),
                fdc.name,
                fdc.tracks.x[row, :3] if row >= 0 else np.full(3, np.nan),
                "survived" if survived else "killed",
            )
        key = (id(fdc.tracks), fdc.params.iff_reply_window)
        view = views.get(key)
        if view is None:
            view = views[key] = view_picture(
                fdc.tracks,
                w.frame,
                t_s,
                w.assets.pos_enu_m,
                w.assets.radius_m,
                w.assets.value,
                w.scenario.doctrine,
                fdc.params.iff_reply_window,
            )
        else:
            view = view.seen_again()
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
            held_by_others(w.fdcs, f_idx) if len(w.fdcs) > 1 else None,
            view,
        )
        for row in res.ident_changed:
            obj = int(fdc.tracks.truth_idx[row])
            w.events.add(
                t_s,
                "track_identified",
                track_name(fdc.tracks.track_id[row]),
                w.air.name[obj] if obj >= 0 else "clutter",
                fdc.tracks.x[row, :3],
                ID_NAMES[fdc.tracks.ident[row]],
            )
        for shot in res.shots:
            _launch(w, f_idx, shot, t_s)


def _may_reload(w: World, launcher_idx: np.ndarray | slice) -> bool:
    """Whether any of these launchers has a reload left or under way (else nothing to service)."""
    ln = w.launchers
    return bool(
        (ln.reloads_left[launcher_idx] > 0).any()
        or (~np.isnan(ln.reload_done_s[launcher_idx])).any()
    )


def _uplink(w: World, f_idx: int, t_s: float, flying: np.ndarray | None = None) -> None:
    """Send each flying interceptor its track's latest estimate.

    When its track was dropped and a new confirmed track lies within
    ``HANDOVER_M`` of where the interceptor expects its target, the FDC hands the
    engagement over to that track, so that it is not engaged again as new.
    ``flying``: the flying rounds (``Interceptors.flying``) if known.
    """
    icpt = w.icpt
    fdc = w.fdcs[f_idx]
    tracks = fdc.tracks
    rows = icpt.flying() if flying is None else flying
    rows = rows[icpt.fdc_idx[rows] == f_idx]
    if rows.size == 0:
        return
    # Row of each live track number (``TrackTable.row_of``: the first such row).
    live = np.flatnonzero(tracks.status != FREE)[::-1]
    row_of = dict(zip(tracks.track_id[live].tolist(), live.tolist(), strict=True))
    for r in rows:
        tid = int(icpt.track_id[r])  # read each time: a handover moves other rounds too
        tr = row_of.get(tid, -1)
        if tr < 0:
            tr = _handover(w, fdc, r, t_s)
            if tr < 0:
                continue
        x = tracks.x[tr]
        icpt.est_pos_m[r] = x[:3] + x[3:] * (t_s - tracks.time_s[tr])
        icpt.est_vel_mps[r] = x[3:]
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
        eng = fdc.engagements.get(new_id)
        if eng is None:
            fdc.engagements[new_id] = old
        else:
            eng.in_flight += old.in_flight
            eng.salvo_fired += old.salvo_fired
            eng.total_fired += old.total_fired
            eng.salvos = max(eng.salvos, old.salvos)
            eng.last_end_s = max(eng.last_end_s, old.last_end_s)
            eng.assessed = eng.assessed and old.assessed
        # Other rounds still flying on the old track follow it to the new one.
        others = icpt.flying()
        icpt.track_id[
            others[(icpt.track_id[others] == old_id) & (icpt.fdc_idx[others] == icpt.fdc_idx[r])]
        ] = new_id
    w.events.add(
        t_s,
        "track_handover",
        track_name(old_id),
        track_name(new_id),
        expected,
        f"distance_m={d[best]:.0f};fdc={fdc.name}",
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
    if eng.in_flight == 0:  # a new salvo (or the next shot of shoot-look-shoot)
        eng.salvo_fired = 0
        eng.salvos += 1
        eng.look = shot.look
    eng.assessed = False
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
        track_name(shot.track_id),
        w.launchers.name[L],
        target,
        f"truth={truth};allegiance={allegiance};tti_s={shot.time_to_intercept_s:.1f};"
        f"fdc={fdc.name};ident={ID_NAMES[tracks.ident[shot.track_row]]}",
    )
    w.events.add(
        t_s, "launch", icpt_name(w, r), track_name(shot.track_id), pos, w.launchers.name[L]
    )
