"""Engine stage for sensing and tracking: radar scans, IFF, and every FDC's tracker."""

from __future__ import annotations

import numpy as np

from samsim.sensors import interrogate, scan
from samsim.sensors.radar import looks, turn
from samsim.tracking import Measurements, TrackerParams
from samsim.tracking import step as track_step
from samsim.world import World

TRACKER = TrackerParams()


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
