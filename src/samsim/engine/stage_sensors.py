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

from samsim.sensors import Detections, observe
from samsim.sensors.eo_ir import visible as eo_ir_visible
from samsim.sensors.radar import looks, scan_measurements, turn
from samsim.tracking import Measurements, TrackerParams, TrackTable
from samsim.tracking import step as track_step
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


def sensor_and_track_stage(w: World, t1_s: float, dt_s: float) -> None:
    """Sensors over (t1 - dt, t1], IFF, then the network tracker; then turn the beams."""
    radars, eo = w.radars, w.eo_ir
    if radars.n == 0 and eo.n == 0:
        return
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


def _track(w: World, batch: _Batch, t1_s: float) -> None:
    picture = w.picture
    air = w.air
    res = track_step(picture, batch.meas, _looked(picture, batch.looked_ids), t1_s, TRACKER)
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
