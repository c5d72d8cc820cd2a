"""Engine stage for sensing and tracking: radar scans, EO/IR frames, IFF, the network tracker.

Fusion: all fire units' sensors feed ONE network tracker (a single
``TrackTable``, ``World.picture``, Link-16 style), which every FDC's
``tracks`` refers to, so track numbers are stable and shared, and a fire unit
that loses its own radar keeps the picture. Fusion is at measurement level:
every measurement carries its sensor's position and level-frame rotation
(``sensor_pos_m``, ``sensor_axes``), which registers it in the common ENU
frame. Each sensor's measurements of the step go to the tracker as one batch,
batches in order of their mean time, so that a target seen by two radars in
one step is updated by both.

EO/IR angles-only rows (range NaN) update existing tracks; the tracker never
initiates a track from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo.horizon import EARTH_RADIUS_M, K_FACTOR
from samsim.sensors import Detections, observe
from samsim.sensors.eo_ir import visible as eo_ir_visible
from samsim.sensors.radar import (
    TWO_PI,
    _mod_2pi,
    _returns_by_radar,
    looks,
    scan_hits,
    scan_measurements,
    turn,
)
from samsim.sensors.visibility import refraction_per_m2, visible_pairs
from samsim.tracking import Measurements, TrackerParams, TrackTable
from samsim.tracking import step as track_step
from samsim.tracking._step_kernels import DONE, FREE, _pairwise_sum, rows_holding, step_batch
from samsim.tracking.tracker import COMPILED_GROUP_MAX, _compiled_params
from samsim.world import World

# Global nearest neighbour throughout: the engine's false alarms (at the catalog
# Pfa, spread over the surveillance volume) are sparse, and the adaptive JPDA of
# track_detections ("auto") has not yet been compared with it over many
# replications of the shipped scenarios.
TRACKER = TrackerParams(association="gnn")
PICTURE_NAME = "net"
NO_IFF = -1


def track_name(track_id: int) -> str:
    """Event name of a network track, e.g. ``net/T12``."""
    return f"{PICTURE_NAME}/T{int(track_id)}"


@dataclass(slots=True)
class _Batch:
    time_s: float  # mean measurement time, for ordering
    meas: Measurements
    looked_ids: NDArray[np.int64]  # numbers of the tracks the sensor looked at


# Radars without EO/IR go through the compiled second (_radar_stage); False sends
# every second through the general code (tests compare the two).
COMPILED_RADAR_SECOND = True


def sensor_and_track_stage(w: World, t1_s: float, dt_s: float) -> None:
    """Sensors over (t1 - dt, t1], IFF, then the network tracker; then turn the beams."""
    radars, eo = w.radars, w.eo_ir
    if radars.n == 0 and eo.n == 0:
        return
    if eo.n == 0 and COMPILED_RADAR_SECOND:
        _radar_stage(w, t1_s, dt_s)
        return
    _stage_general(w, t1_s, dt_s)


def _stage_general(w: World, t1_s: float, dt_s: float) -> None:
    """:func:`sensor_and_track_stage` for any sensors, in array code around the
    compiled detection and tracker steps."""
    radars, eo = w.radars, w.eo_ir
    radars.alive &= radars.lost_at_s > t1_s
    eo.alive &= eo.lost_at_s > t1_s
    air = w.air
    rows = air.flying.nonzero()[0]
    pos, vel = air.pos_enu_m[rows], air.vel_enu_mps[rows]
    grid = w.terrain_grid
    picture = w.picture
    live = picture.live()
    track_pos = picture.position_at(live, t1_s)
    batches: list[_Batch] = []
    if radars.n:
        # The scan's detections, false alarms and IFF replies as one set of
        # measurement arrays ordered by radar (stably): each radar's batch is a
        # slice of it.
        iff = w.catalog.iff
        *arrays, bounds = scan_measurements(
            radars,
            w.frame,
            pos,
            vel,
            air.rcs_m2[rows],
            air.swerling[rows],
            rows,
            air.allegiance,
            iff.civil_reply_probability,
            iff.friend_reply_probability,
            t1_s,
            dt_s,
            w.rng["radar"],
            w.rng["iff"],
            grid,
        )
        meas = Measurements(*arrays)
        ri, ti, *_ = looks(radars, w.frame, track_pos, dt_s, grid)
        looked_by = picture.track_id[live[ti]]
        for s in range(radars.n):
            lo, hi = int(bounds[s]), int(bounds[s + 1])
            looked = looked_by[ri == s]
            if hi > lo or looked.size:
                batch = _rows(meas, lo, hi)
                # np.mean's own arithmetic (sum, then divide), without its overhead
                mean_s = float(batch.time_s.sum()) / (hi - lo) if hi > lo else t1_s
                batches.append(_Batch(mean_s, batch, looked))
    if eo.n:
        obs = observe(eo, w.frame, pos, vel, air.category[rows], t1_s, dt_s, w.rng["eoir"], grid)
        obs = _latest_frame(obs)
        truth = _truth_rows(obs, rows)
        # A track counts as looked at inside the range at which the smallest targets show.
        close = eo.range_by_category_m.min(axis=1)
        si, ti = eo_ir_visible(eo, w.frame, track_pos, None, grid, close)
        for s in range(eo.n):
            mine = obs.sensor_idx == s
            looked = picture.track_id[live[ti[si == s]]]
            if mine.any() or looked.size:
                batches.append(_eo_ir_batch(w, obs.take(mine), truth[mine], looked, t1_s))
    if not batches and live.size:
        # Nothing seen and nothing looked at: run the tracker for coasting deletion.
        batches.append(_Batch(t1_s, _empty_measurements(), np.zeros(0, np.int64)))
    for b in sorted(batches, key=lambda b: b.time_s):
        _track(w, b, t1_s)
    turn(radars, dt_s)


def _truth_rows(det: Detections, rows: NDArray[np.intp]) -> NDArray[np.int64]:
    """Air-object rows of detections (-1 for false alarms)."""
    truth = np.full(det.n, -1, dtype=np.int64)
    real = det.truth_idx >= 0
    truth[real] = rows[det.truth_idx[real]]
    return truth


def _looked(picture: TrackTable, track_ids: NDArray[np.int64]) -> NDArray[np.bool_]:
    """(capacity,) mask of the rows that still hold these track numbers.

    Numbers, not rows, cross from the look geometry to the tracker call: an
    earlier batch of the same step may have grown the table, or freed a row and
    given it to a new track.
    """
    return picture.rows_holding(track_ids)


def _rows(meas: Measurements, lo: int, hi: int) -> Measurements:
    """Rows ``lo:hi`` of a batch (views)."""
    return Measurements(
        meas.time_s[lo:hi],
        meas.z[lo:hi],
        meas.sensor_pos_m[lo:hi],
        meas.sensor_axes[lo:hi],
        meas.sigma[lo:hi],
        meas.iff[lo:hi],
        meas.truth_idx[lo:hi],
    )


def _eo_ir_batch(
    w: World, det: Detections, truth: NDArray, looked_ids: NDArray, t1_s: float
) -> _Batch:
    e = w.eo_ir
    si = det.sensor_idx
    meas = Measurements(
        time_s=det.time_s,
        z=np.stack([det.range_m, det.az_rad, det.el_rad], axis=1),
        sensor_pos_m=e.pos_enu_m[si],
        sensor_axes=e.axes[si],
        sigma=np.stack([np.full(det.n, np.nan), e.sigma_az_rad[si], e.sigma_el_rad[si]], axis=1),
        iff=np.full(det.n, NO_IFF, np.int8),
        truth_idx=truth,
    )
    return _Batch(float(det.time_s.mean()) if det.n else t1_s, meas, looked_ids)


def _latest_frame(det: Detections) -> Detections:
    """The last detection of each (sensor, object) in the step.

    One tracker batch updates a track at most once, so earlier frames of the
    same step would be discarded by the association anyway.
    """
    if det.n == 0:
        return det
    key = det.sensor_idx.astype(np.int64) * (int(det.truth_idx.max()) + 1) + det.truth_idx
    order = np.lexsort((det.time_s, key))
    last = np.ones(order.size, dtype=bool)
    last[:-1] = key[order][1:] != key[order][:-1]
    return det.take(np.sort(order[last]))


def _empty_measurements() -> Measurements:
    return Measurements(
        time_s=np.zeros(0),
        z=np.zeros((0, 3)),
        sensor_pos_m=np.zeros((0, 3)),
        sensor_axes=np.zeros((0, 3, 3)),
        sigma=np.zeros((0, 3)),
        iff=np.zeros(0, np.int8),
        truth_idx=np.zeros(0, np.int64),
    )


def _track(w: World, batch: _Batch, t1_s: float, handed_back: bool = False) -> None:
    """The tracker step of one batch, and its events. ``handed_back``: the compiled
    step (``step_batch``) just handed this batch back on this very table, so it goes
    straight to the step by groups that ``tracker.step`` would try next."""
    picture = w.picture
    air = w.air
    looked = _looked(picture, batch.looked_ids)
    res = track_step(picture, batch.meas, looked, t1_s, TRACKER, whole_batch=not handed_back)
    for row in res.confirmed:
        obj = int(picture.truth_idx[row])
        w.events.add(
            t1_s,
            "track_confirmed",
            track_name(picture.track_id[row]),
            air.name[obj] if obj >= 0 else "clutter",
            picture.x[row, :3],
        )
    for tid, obj in zip(res.deleted_ids, res.deleted_truth, strict=True):
        w.events.add(
            t1_s, "track_dropped", track_name(tid), air.name[obj] if obj >= 0 else "clutter"
        )


# --- the radar-only second in compiled calls ------------------------------------------------

# Events of the compiled second (``_radar_second``'s ev_kind).
_CONFIRMED, _DROPPED = 0, 1
# TRACKER as the compiled step's parameter vectors (read-only), built once:
# the lru_cache of _compiled_params hashes every field on each call.
_PARAMS_OF, _TRACKER_PARAMS = TRACKER, _compiled_params(TRACKER)


def _radar_stage(w: World, t1_s: float, dt_s: float) -> None:
    """:func:`sensor_and_track_stage` for radars alone (no EO/IR), in two compiled calls.

    The same draws, measurements, batches (by radar, in order of their mean
    time), tracker steps, events and beam turn as the general code
    (:func:`_stage_general`), which tests/engine/test_stage_sensors_compiled.py checks
    bit for bit. A batch the compiled tracker step hands back (a table too
    small, a conflict too large for a dense block) and every batch after it
    go through :func:`_track`.
    """
    radars = w.radars
    air = w.air
    picture = w.picture
    rng = w.rng["radar"]
    flying = air.flying
    n = int(np.count_nonzero(flying))
    # scan_measurements' draws, in its order.
    e = rng.standard_exponential((2, radars.n, n))
    g = rng.standard_normal((2, radars.n, n))
    rows, pos, vel, ri, ti, frac, hit, n_hit, sweep, sweep_fa, total, cum = scan_hits(
        radars, w.frame, flying, air.pos_enu_m, air.vel_enu_mps, air.rcs_m2, air.swerling, e, g,
        t1_s, dt_s, w.terrain_grid,
    )  # fmt: skip
    noise = rng.standard_normal((3, n_hit))
    k = int(rng.poisson(total)) if total > 0 else 0
    u = rng.random((4, k)) if k else np.zeros((4, 0))
    draw = w.rng["iff"].random(n_hit + k)
    iff = w.catalog.iff
    grid = w.terrain_grid
    fp, ip = _TRACKER_PARAMS if TRACKER is _PARAMS_OF else _compiled_params(TRACKER)
    next_id = np.array([picture.next_id], np.int64)
    (stop, order, means, meas_arrays, bounds, look_ri, looked_by, ev_kind, ev_id, ev_truth, ev_pos,
     beam) = _radar_second(
        ri, ti, frac, hit, noise, u, cum, sweep_fa, draw, pos, vel, rows, air.allegiance,
        float(iff.civil_reply_probability), float(iff.friend_reply_probability), float(t1_s),
        float(dt_s), radars.pos_enu_m, radars.axes, radars.sigma_range_m, radars.sigma_az_rad,
        radars.sigma_el_rad, radars.beam_az_rad, radars.min_range_m, radars.max_range_m,
        radars.el_min_rad, radars.el_max_rad, radars.rotation_period_s, sweep, radars.height_m,
        radars.alive, w.frame.radius_m, K_FACTOR * EARTH_RADIUS_M, grid.use, grid.height_m,
        grid.east0_m, grid.north0_m, grid.cell_m, grid.max_height_m, refraction_per_m2(),
        next_id, *picture.kernel_columns(), fp, ip, COMPILED_GROUP_MAX,
    )  # fmt: skip
    picture.next_id = int(next_id[0])
    if ev_kind.size:
        names = air.name
        events = w.events
        for kind, tid, obj, p in zip(
            ev_kind.tolist(), ev_id.tolist(), ev_truth.tolist(), ev_pos, strict=True
        ):
            who = names[obj] if obj >= 0 else "clutter"
            if kind == _CONFIRMED:
                events.add(t1_s, "track_confirmed", track_name(tid), who, p)
            else:
                events.add(t1_s, "track_dropped", track_name(tid), who)
    if stop < order.size:
        # The rest of the batches, in order, through the general tracker step.
        meas = Measurements(*meas_arrays)
        for b in range(stop, order.size):
            s = int(order[b])
            if s < 0:
                batch = _Batch(t1_s, _empty_measurements(), np.zeros(0, np.int64))
            else:
                lo, hi = int(bounds[s]), int(bounds[s + 1])
                batch = _Batch(float(means[b]), _rows(meas, lo, hi), looked_by[look_ri == s])
            _track(w, batch, t1_s, handed_back=b == stop)
    radars.beam_az_rad = beam


@jit
def _radar_second(
    ri, ti, frac, hit, noise, u, cum, sweep_fa, draw, pos, vel, rows, allegiance, p_civil,
    p_friend, t1, dt, spos, axes, sig_r, sig_az, sig_el, beam, r_min, r_max, el_min, el_max, rot,
    sweep, sheight, alive, radius, k_earth, use_terrain, h, e0, n0, cell, hmax, refr, next_id,
    status, x, P, xm, Pm, mode_prob, turn_rate, ttime, track_id, hits, n_looks, misses, score,
    born_s, confirmed_s, interrogations, civil, friend, truth, ident, fp, ip, group_max,
):  # pragma: no cover - compiled  # fmt: skip
    """The radars' returns (``scan_measurements``), the looks at the live tracks,
    the batches in order and the tracker step of each, and the beams' turn.

    Returns the number of batches stepped (all of them unless the tracker
    step handed one back), the batch order (radar, or -1 for the empty batch
    of coasting deletion) and mean times, the measurement arrays by radar and
    their bounds, the looks (radar, track number), the events of the batches
    stepped (kind, track number, truth row, position) and the turned beam
    azimuths [rad].
    """
    t_meas, z, p_meas, ax_meas, sigma, miff, mtruth, bounds = _returns_by_radar(
        ri, ti, frac, hit, noise, u, cum, sweep_fa, draw, pos, vel, rows, allegiance, p_civil,
        p_friend, t1, dt, spos, axes, sig_r, sig_az, sig_el, beam, r_min, r_max, el_min, el_max,
    )  # fmt: skip
    n_r = spos.shape[0]
    cap = status.size
    # TrackTable.live and position_at(live, t1).
    n_live = 0
    for r in range(cap):
        if status[r] != FREE:
            n_live += 1
    live = np.empty(n_live, np.int64)
    tpos = np.empty((n_live, 3))
    q = 0
    for r in range(cap):
        if status[r] != FREE:
            live[q] = r
            d = t1 - ttime[r]
            for a in range(3):
                tpos[q, a] = x[r, a] + x[r, 3 + a] * d
            q += 1
    look_ri, look_ti, _, _, _, _ = visible_pairs(
        spos, axes, beam, sweep, r_min, r_max, el_min, el_max, sheight, alive, tpos, radius,
        k_earth, use_terrain, h, e0, n0, cell, hmax, refr,
    )  # fmt: skip
    looked_by = np.empty(look_ri.size, np.int64)
    n_looked = np.zeros(n_r, np.int64)
    for q in range(look_ri.size):
        looked_by[q] = track_id[live[look_ti[q]]]
        n_looked[look_ri[q]] += 1
    # One batch per radar with returns or looks, stably sorted by mean time.
    order = np.empty(max(n_r, 1), np.int64)
    means = np.empty(max(n_r, 1))
    nb = 0
    for s in range(n_r):
        lo, hi = bounds[s], bounds[s + 1]
        if hi > lo or n_looked[s]:
            m = _pairwise_sum(t_meas[lo:hi]) / (hi - lo) if hi > lo else t1
            j = nb
            while j > 0 and means[j - 1] > m:
                order[j] = order[j - 1]
                means[j] = means[j - 1]
                j -= 1
            order[j] = s
            means[j] = m
            nb += 1
    if nb == 0 and n_live:
        # Nothing seen and nothing looked at: the tracker runs for coasting deletion.
        order[0] = -1
        means[0] = t1
        nb = 1
    order = order[:nb]
    means = means[:nb]
    ev_kind = np.empty(0, np.int8)
    ev_id = np.empty(0, np.int64)
    ev_truth = np.empty(0, np.int64)
    ev_pos = np.empty((0, 3))
    stop = nb
    for b in range(nb):
        s = order[b]
        lo, hi = (bounds[s], bounds[s + 1]) if s >= 0 else (0, 0)
        ids = np.empty(n_looked[s] if s >= 0 else 0, np.int64)
        j = 0
        for q in range(look_ri.size):
            if look_ri[q] == s:
                ids[j] = looked_by[q]
                j += 1
        looked = rows_holding(track_id, status, ids)
        code, _upd, _new, confirmed, d_ids, d_truth = step_batch(
            looked, t1, next_id, status, x, P, xm, Pm, mode_prob, turn_rate, ttime, track_id, hits,
            n_looks, misses, score, born_s, confirmed_s, interrogations, civil, friend, truth,
            ident, np.ascontiguousarray(t_meas[lo:hi]), np.ascontiguousarray(z[lo:hi]),
            np.ascontiguousarray(p_meas[lo:hi]), np.ascontiguousarray(ax_meas[lo:hi]),
            np.ascontiguousarray(sigma[lo:hi]), np.ascontiguousarray(miff[lo:hi]),
            np.ascontiguousarray(mtruth[lo:hi]), fp, ip, group_max,
        )  # fmt: skip
        if code != DONE:
            stop = b
            break
        n_ev = confirmed.size + d_ids.size
        if n_ev:
            k0 = ev_kind.size
            kind = np.empty(k0 + n_ev, np.int8)
            tid = np.empty(k0 + n_ev, np.int64)
            obj = np.empty(k0 + n_ev, np.int64)
            where = np.full((k0 + n_ev, 3), np.nan)
            kind[:k0] = ev_kind
            tid[:k0] = ev_id
            obj[:k0] = ev_truth
            where[:k0] = ev_pos
            for q in range(confirmed.size):
                r = confirmed[q]
                kind[k0 + q] = _CONFIRMED
                tid[k0 + q] = track_id[r]
                obj[k0 + q] = truth[r]
                for a in range(3):
                    where[k0 + q, a] = x[r, a]
            k1 = k0 + confirmed.size
            for q in range(d_ids.size):
                kind[k1 + q] = _DROPPED
                tid[k1 + q] = d_ids[q]
                obj[k1 + q] = d_truth[q]
            ev_kind, ev_id, ev_truth, ev_pos = kind, tid, obj, where
    # turn: every beam advances by one step of rotation.
    two_pi_dt = TWO_PI * dt
    new_beam = np.empty(n_r)
    for s in range(n_r):
        new_beam[s] = _mod_2pi(beam[s] + two_pi_dt / rot[s])
    meas = (t_meas, z, p_meas, ax_meas, sigma, miff, mtruth)
    return (
        stop, order, means, meas, bounds, look_ri, looked_by, ev_kind, ev_id, ev_truth, ev_pos,
        new_beam,
    )  # fmt: skip
