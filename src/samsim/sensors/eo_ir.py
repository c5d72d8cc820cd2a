"""Passive EO/IR sensor: angles only (azimuth, elevation), no range.

Each sensor takes a frame every ``update_period_s`` (its own phase). In a
frame it detects, with the catalog probability, every object that

* lies within the sensor's range limit for the object's category (small drone,
  cruise missile, or aircraft-sized: aircraft, airliners, ballistic missiles),
* lies within its elevation field of regard, above the 4/3-earth horizon of
  the sensor head, and (with a DEM) in line of sight over the terrain.

Measurements are azimuth (clockwise from the sensor's north) and elevation in
the sensor's level frame with Gaussian noise; their range is NaN. The sensor
is modelled as staring all round (no slewing or cueing, no field-of-view
limit, no weather), which makes it an optimistic passive tracker: its limits
are the range table of the catalog. Visibility is evaluated at the end of each
engine sensor step for the frames inside it (at most one step, 1 s, apart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim.catalog import EoIrType
from samsim.geo import LocalFrame
from samsim.geo.horizon import EARTH_RADIUS_M, K_FACTOR
from samsim.sensors.radar import Detections
from samsim.sensors.visibility import TerrainGrid, refraction_per_m2, visible_pairs
from samsim.threats.state import CATEGORY_CODE

TWO_PI = 2.0 * math.pi
_FLAT = TerrainGrid.of(None)

# Catalog range field for each threat category (samsim.threats.state.CATEGORIES order).
RANGE_FIELD_BY_CATEGORY = {
    "drone": "range_small_drone_m",
    "cruise_missile": "range_cruise_missile_m",
    "aircraft": "range_aircraft_m",
    "ballistic": "range_aircraft_m",
    "civil": "range_aircraft_m",
}


@dataclass(slots=True)
class EoIrSensors:
    """Every EO/IR sensor of one replication, one row each."""

    name: list[str]
    battery_idx: NDArray[np.int16]  # (s,)
    pos_enu_m: NDArray[np.float64]  # (s, 3) sensor head
    axes: NDArray[np.float64]  # (s, 3, 3) rows: local east, north, up
    height_m: NDArray[np.float64]  # (s,) head height above the sea (local sphere)
    range_by_category_m: NDArray[np.float64]  # (s, n_categories)
    el_min_rad: NDArray[np.float64]
    el_max_rad: NDArray[np.float64]
    prob_detection: NDArray[np.float64]
    sigma_az_rad: NDArray[np.float64]
    sigma_el_rad: NDArray[np.float64]
    update_period_s: NDArray[np.float64]
    next_frame_s: NDArray[np.float64]  # (s,) time of the next frame
    lost_at_s: NDArray[np.float64]  # (s,) time the sensor is lost (inf: never)
    alive: NDArray[np.bool_]

    @property
    def n(self) -> int:
        return len(self.name)


def build_eo_ir(
    names: list[str],
    types: list[EoIrType],
    ground_pos_enu_m: NDArray,
    ground_alt_m: NDArray,
    battery_idx: list[int],
    frame: LocalFrame,
    rng: np.random.Generator,
    lost_at_s: NDArray | None = None,
) -> EoIrSensors:
    """EO/IR sensors from catalog types at ground positions (the mast is added here).

    Parameters
    ----------
    ground_pos_enu_m : (s, 3) positions on the surface [m]
    ground_alt_m : (s,) height of the ground (or site) above the sea [m]
    lost_at_s : (s,) time each sensor is lost [s]; default never
    """
    s = len(names)
    height = np.array([g + t.mast_height_m for g, t in zip(ground_alt_m, types, strict=True)])
    pos, axes = frame.sites(ground_pos_enu_m, height)

    def col(attr: str) -> NDArray:
        return np.array([float(getattr(t, attr)) for t in types])

    ranges = np.array(
        [[getattr(t, RANGE_FIELD_BY_CATEGORY[c]) for c in CATEGORY_CODE] for t in types], float
    ).reshape(s, len(CATEGORY_CODE))
    period = col("update_period_s")
    lost = np.full(s, np.inf) if lost_at_s is None else np.asarray(lost_at_s, float)
    return EoIrSensors(
        name=list(names),
        battery_idx=np.array(battery_idx, np.int16),
        pos_enu_m=pos,
        axes=axes,
        height_m=height,
        range_by_category_m=ranges,
        el_min_rad=np.radians(col("elevation_min_deg")),
        el_max_rad=np.radians(col("elevation_max_deg")),
        prob_detection=col("prob_detection"),
        sigma_az_rad=np.radians(col("sigma_azimuth_deg")),
        sigma_el_rad=np.radians(col("sigma_elevation_deg")),
        update_period_s=period,
        next_frame_s=rng.uniform(0.0, 1.0, s) * period,
        lost_at_s=lost,
        alive=lost > 0.0,
    )


def visible(
    eo: EoIrSensors,
    frame: LocalFrame,
    pos_enu_m: NDArray,
    category: NDArray | None,
    terrain: TerrainGrid = _FLAT,
    range_m: NDArray | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(sensor, object) pairs inside range limits, field of regard and line of sight.

    Parameters
    ----------
    category : (n,) category code of each object; sets its range limit
    range_m : (s,) one range limit per sensor for every object instead [m]
    """
    if eo.n == 0 or len(pos_enu_m) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    limit = eo.range_by_category_m if range_m is None else np.asarray(range_m, float)[:, None]
    si, oi, rng_m, *_ = visible_pairs(
        eo.pos_enu_m,
        eo.axes,
        np.zeros(eo.n),
        np.full(eo.n, 2.0 * TWO_PI),  # staring: the whole circle every frame
        np.zeros(eo.n),
        limit.max(axis=1),
        eo.el_min_rad,
        eo.el_max_rad,
        eo.height_m,
        eo.alive,
        np.ascontiguousarray(pos_enu_m, dtype=np.float64).reshape(-1, 3),
        frame.radius_m,
        K_FACTOR * EARTH_RADIUS_M,
        terrain.use,
        terrain.height_m,
        terrain.east0_m,
        terrain.north0_m,
        terrain.cell_m,
        terrain.max_height_m,
        refraction_per_m2(),
    )
    if range_m is not None:
        return si, oi
    inside = rng_m <= limit[si, np.asarray(category)[oi]]
    return si[inside], oi[inside]


def observe(
    eo: EoIrSensors,
    frame: LocalFrame,
    pos_enu_m: NDArray,
    vel_enu_mps: NDArray,
    category: NDArray,
    t1_s: float,
    dt_s: float,
    rng: np.random.Generator,
    terrain: TerrainGrid = _FLAT,
) -> Detections:
    """Angles-only detections of the frames taken in (t1 - dt, t1]; advances the frame clocks.

    Parameters
    ----------
    pos_enu_m, vel_enu_mps : (n, 3) positions at t1 and velocities [m, m/s]
    category : (n,) category code of each object (``samsim.threats.state.CATEGORIES``)

    Returns
    -------
    Detections with ``range_m`` NaN, one per detected (sensor, object, frame),
    time-stamped at the frame and measured where the object was then.
    """
    if eo.n == 0:
        return Detections.empty()
    # Frame times of each sensor inside the interval.
    f_sensor: list[NDArray] = []
    f_time: list[NDArray] = []
    for s in range(eo.n):
        due = np.arange(eo.next_frame_s[s], t1_s + 1e-9, eo.update_period_s[s])
        if due.size:
            eo.next_frame_s[s] = due[-1] + eo.update_period_s[s]
        # Frames that fell before the interval (the clock skipped a quiet stretch) are lost.
        times = due[due > t1_s - dt_s + 1e-9]
        if eo.alive[s]:
            f_sensor.append(np.full(times.size, s, np.intp))
            f_time.append(times)
    frames_s = np.concatenate(f_sensor) if f_sensor else np.zeros(0, np.intp)
    frames_t = np.concatenate(f_time) if f_time else np.zeros(0)
    si, oi = visible(eo, frame, pos_enu_m, category, terrain)
    if si.size == 0 or frames_s.size == 0:
        return Detections.empty()
    # Every (visible pair, frame of that sensor).
    counts = np.bincount(frames_s, minlength=eo.n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    per_pair = counts[si]
    pair = np.repeat(np.arange(si.size), per_pair)
    offset = np.arange(pair.size) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    f_idx = starts[si[pair]] + offset
    s_k, o_k, t_k = si[pair], oi[pair], frames_t[f_idx]
    hit = rng.random(pair.size) < eo.prob_detection[s_k]
    s_k, o_k, t_k = s_k[hit], o_k[hit], t_k[hit]
    p = pos_enu_m[o_k] - vel_enu_mps[o_k] * (t1_s - t_k)[:, None]
    local = np.einsum("kij,kj->ki", eo.axes[s_k], p - eo.pos_enu_m[s_k])
    horiz = np.hypot(local[:, 0], local[:, 1])
    k = s_k.size
    az = np.mod(
        np.arctan2(local[:, 0], local[:, 1]) + rng.standard_normal(k) * eo.sigma_az_rad[s_k],
        TWO_PI,
    )
    el = np.arctan2(local[:, 2], horiz) + rng.standard_normal(k) * eo.sigma_el_rad[s_k]
    order = np.lexsort((o_k, t_k))
    return Detections(
        sensor_idx=s_k[order],
        time_s=t_k[order],
        range_m=np.full(k, np.nan),
        az_rad=az[order],
        el_rad=el[order],
        truth_idx=o_k[order],
    )
