"""Rotating 3-D surveillance radar (Sentinel-class by default, notional).

The beam turns at the catalog rotation rate: in each engine step a radar looks
only at the azimuth sector its beam sweeps, so targets are revisited once per
rotation. A look at a target in the sector yields a detection when

* the target lies inside minimum and instrumented range and the elevation
  limits, and above the 4/3-earth radio horizon;
* a uniform draw falls below Pd, where SNR follows the radar range equation
  calibrated on the catalog reference (SNR ~ sigma / R^4), the target's RCS is
  drawn per look for its Swerling case, and Pd is the exact square-law Pd of
  that draw at the catalog Pfa.

False alarms arrive as a Poisson number per sector, with mean Pfa times the
resolution cells swept, spread uniformly over the sector's volume.
Measurements are range, azimuth (clockwise from north) and elevation in the
radar's own level frame, with Gaussian noise from the catalog.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.catalog import RadarType
from samsim.geo import LocalFrame, above_horizon
from samsim.geo.horizon import EARTH_RADIUS_M, K_FACTOR
from samsim.sensors.detection import fluctuate_rcs, pd_swerling0, snr_for_pd_swerling1

TWO_PI = 2.0 * math.pi


@dataclass(slots=True)
class Radars:
    """Every radar of one replication, one row each."""

    name: list[str]
    battery_idx: NDArray[np.int16]  # (r,)
    pos_enu_m: NDArray[np.float64]  # (r, 3) antenna phase centre
    axes: NDArray[np.float64]  # (r, 3, 3) rows: local east, north, up
    height_m: NDArray[np.float64]  # (r,) antenna height above the surface
    beam_az_rad: NDArray[np.float64]  # (r,) current beam azimuth
    rotation_period_s: NDArray[np.float64]
    min_range_m: NDArray[np.float64]
    max_range_m: NDArray[np.float64]
    el_min_rad: NDArray[np.float64]
    el_max_rad: NDArray[np.float64]
    snr_ref: NDArray[np.float64]  # (r,) SNR of the reference target at ref range
    ref_range_m: NDArray[np.float64]
    ref_rcs_m2: NDArray[np.float64]
    pfa: NDArray[np.float64]
    cells_per_scan: NDArray[np.float64]  # (r,) resolution cells in one rotation
    sigma_range_m: NDArray[np.float64]
    sigma_az_rad: NDArray[np.float64]
    sigma_el_rad: NDArray[np.float64]
    alive: NDArray[np.bool_]  # (r,) False once a radar is lost

    @property
    def n(self) -> int:
        return len(self.name)


def build_radars(
    names: list[str],
    types: list[RadarType],
    ground_pos_enu_m: NDArray,
    ground_alt_m: NDArray,
    battery_idx: list[int],
    frame: LocalFrame,
    rng: np.random.Generator,
) -> Radars:
    """Radars from catalog types placed at ground positions (the mast is added here)."""
    r = len(names)
    height = np.array([g + t.antenna_height_m for g, t in zip(ground_alt_m, types, strict=True)])
    pos = (
        frame.lift(np.asarray(ground_pos_enu_m, float).reshape(r, 3), height)
        if r
        else np.zeros((0, 3))
    )
    axes = np.stack([frame.local_axes(p) for p in pos]) if r else np.zeros((0, 3, 3))

    def col(attr: str) -> NDArray:
        return np.array([float(getattr(t, attr)) for t in types])

    snr_ref = np.array([snr_for_pd_swerling1(t.ref_pd, t.pfa) for t in types])
    cells = np.array(
        [
            (t.instrumented_range_m - t.min_range_m)
            / t.range_resolution_m
            * 360.0
            / t.azimuth_beamwidth_deg
            * t.elevation_beams
            for t in types
        ]
    )
    return Radars(
        name=list(names),
        battery_idx=np.array(battery_idx, np.int16),
        pos_enu_m=pos,
        axes=axes,
        height_m=height,
        beam_az_rad=rng.uniform(0.0, TWO_PI, r),
        rotation_period_s=col("rotation_period_s"),
        min_range_m=col("min_range_m"),
        max_range_m=col("instrumented_range_m"),
        el_min_rad=np.radians(col("elevation_min_deg")),
        el_max_rad=np.radians(col("elevation_max_deg")),
        snr_ref=snr_ref,
        ref_range_m=col("ref_range_m"),
        ref_rcs_m2=col("ref_rcs_m2"),
        pfa=col("pfa"),
        cells_per_scan=cells,
        sigma_range_m=col("sigma_range_m"),
        sigma_az_rad=np.radians(col("sigma_azimuth_deg")),
        sigma_el_rad=np.radians(col("sigma_elevation_deg")),
        alive=np.ones(r, dtype=bool),
    )


@dataclass(slots=True)
class Detections:
    """Measurements of one step from all radars (polar, in each radar's level frame)."""

    radar_idx: NDArray[np.intp]
    time_s: NDArray[np.float64]  # when the beam passed the object
    range_m: NDArray[np.float64]
    az_rad: NDArray[np.float64]
    el_rad: NDArray[np.float64]
    truth_idx: NDArray[np.intp]  # air object row, -1 for a false alarm (truth only)

    @property
    def n(self) -> int:
        return len(self.radar_idx)


def polar(radars: Radars, pos_enu_m: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Range, azimuth and elevation (r, n) of points from every radar's level frame."""
    rel = pos_enu_m[None, :, :] - radars.pos_enu_m[:, None, :]
    local = np.einsum("rij,rnj->rni", radars.axes, rel)
    rng_m = np.linalg.norm(local, axis=2)
    az = np.mod(np.arctan2(local[..., 0], local[..., 1]), TWO_PI)
    el = np.arcsin(np.clip(local[..., 2] / np.maximum(rng_m, 1e-9), -1.0, 1.0))
    return rng_m, az, el


def sector_mask(radars: Radars, az_rad: NDArray, dt_s: float) -> NDArray[np.bool_]:
    """(r, n) True where the beam sweeps the azimuth during the coming step."""
    sweep = TWO_PI * dt_s / radars.rotation_period_s
    offset = np.mod(az_rad - radars.beam_az_rad[:, None], TWO_PI)
    return (offset < sweep[:, None]) | (sweep[:, None] >= TWO_PI)


def coverage_pairs(
    radars: Radars,
    frame: LocalFrame,
    pos_enu_m: NDArray,
    radar_idx: NDArray,
    rng_m: NDArray,
    el_rad: NDArray,
) -> NDArray[np.bool_]:
    """(k,) True where radar ``radar_idx[i]`` can see point ``pos_enu_m[i]`` at all:
    range, elevation limits and the 4/3-earth horizon."""
    ri = radar_idx
    ground = frame.ground_distance_m(radars.pos_enu_m[ri], pos_enu_m)
    return (
        (rng_m >= radars.min_range_m[ri])
        & (rng_m <= radars.max_range_m[ri])
        & (el_rad >= radars.el_min_rad[ri])
        & (el_rad <= radars.el_max_rad[ri])
        & above_horizon(ground, radars.height_m[ri], frame.altitude_m(pos_enu_m))
        & radars.alive[ri]
    )


def looks(
    radars: Radars, frame: LocalFrame, pos_enu_m: NDArray, dt_s: float
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray, NDArray, NDArray, NDArray]:
    """(radar, point) pairs the beams look at in the coming step, with range, az, el
    and the fraction of the step at which the beam passes the point.

    A pair is looked at when the point's azimuth falls in the sector the beam
    sweeps during the step and the radar can see it (``coverage_pairs``).
    """
    sweep = TWO_PI * dt_s / radars.rotation_period_s
    return _looks_kernel(
        radars.pos_enu_m,
        radars.axes,
        radars.beam_az_rad,
        sweep,
        radars.min_range_m,
        radars.max_range_m,
        radars.el_min_rad,
        radars.el_max_rad,
        radars.height_m,
        radars.alive,
        np.ascontiguousarray(pos_enu_m, dtype=np.float64),
        frame.radius_m,
        K_FACTOR * EARTH_RADIUS_M,
    )


@jit
def _looks_kernel(
    rpos, axes, beam, sweep, rmin, rmax, elmin, elmax, rheight, alive, pos, radius, k_earth_m
):  # pragma: no cover - compiled
    n_r = rpos.shape[0]
    n = pos.shape[0]
    cap = n_r * n
    ri = np.empty(cap, np.intp)
    ti = np.empty(cap, np.intp)
    rr = np.empty(cap)
    aa = np.empty(cap)
    ee = np.empty(cap)
    ff = np.empty(cap)
    m = 0
    for r in range(n_r):
        if not alive[r]:
            continue
        # Radar's unit up vector on the local sphere.
        qx, qy, qz = rpos[r, 0], rpos[r, 1], rpos[r, 2] + radius
        qn = np.sqrt(qx * qx + qy * qy + qz * qz)
        qx, qy, qz = qx / qn, qy / qn, qz / qn
        h_r = max(rheight[r], 0.0)
        for t in range(n):
            dx, dy, dz = pos[t, 0] - rpos[r, 0], pos[t, 1] - rpos[r, 1], pos[t, 2] - rpos[r, 2]
            le = axes[r, 0, 0] * dx + axes[r, 0, 1] * dy + axes[r, 0, 2] * dz
            ln = axes[r, 1, 0] * dx + axes[r, 1, 1] * dy + axes[r, 1, 2] * dz
            lu = axes[r, 2, 0] * dx + axes[r, 2, 1] * dy + axes[r, 2, 2] * dz
            az = np.arctan2(le, ln) % TWO_PI
            off = (az - beam[r]) % TWO_PI
            if not (off < sweep[r] or sweep[r] >= TWO_PI):
                continue
            rng = np.sqrt(le * le + ln * ln + lu * lu)
            if rng < rmin[r] or rng > rmax[r]:
                continue
            el = np.arcsin(min(max(lu / max(rng, 1e-9), -1.0), 1.0))
            if el < elmin[r] or el > elmax[r]:
                continue
            px, py, pz = pos[t, 0], pos[t, 1], pos[t, 2] + radius
            pn = np.sqrt(px * px + py * py + pz * pz)
            h_t = max(pn - radius, 0.0)
            cx, cy, cz = px / pn - qx, py / pn - qy, pz / pn - qz
            ground = 2.0 * radius * np.arcsin(min(0.5 * np.sqrt(cx * cx + cy * cy + cz * cz), 1.0))
            if ground > np.sqrt(2.0 * k_earth_m * h_r) + np.sqrt(2.0 * k_earth_m * h_t):
                continue
            ri[m] = r
            ti[m] = t
            rr[m] = rng
            aa[m] = az
            ee[m] = el
            ff[m] = min(off / sweep[r], 1.0) if sweep[r] < TWO_PI else 0.5
            m += 1
    return ri[:m], ti[:m], rr[:m], aa[:m], ee[:m], ff[:m]


def scan(
    radars: Radars,
    frame: LocalFrame,
    pos_enu_m: NDArray,
    vel_enu_mps: NDArray,
    rcs_m2: NDArray,
    swerling: NDArray,
    t1_s: float,
    dt_s: float,
    rng: np.random.Generator,
) -> Detections:
    """Detections and false alarms of the beam rotation over (t1 - dt, t1].

    ``turn`` moves the beams afterwards. Each detection is time-stamped when
    the beam passed the object, and measured where the object was then
    (positions at ``t1_s`` extrapolated back along their velocity).

    Parameters
    ----------
    pos_enu_m, vel_enu_mps : (n, 3) positions at t1 and velocities of the objects [m, m/s]
    rcs_m2, swerling : (n,) mean RCS and Swerling case of each
    """
    n = len(pos_enu_m)
    r = radars.n
    ri, ti, rng_m, _, _, frac = looks(radars, frame, pos_enu_m, dt_s)
    # One RCS draw and one detection draw per (radar, target), whatever the geometry.
    rcs = fluctuate_rcs(np.tile(rcs_m2, r), np.tile(swerling, r), rng).reshape(r, n)
    draw = rng.random((r, n))
    snr = (
        radars.snr_ref[ri]
        * rcs[ri, ti]
        / radars.ref_rcs_m2[ri]
        * (radars.ref_range_m[ri] / rng_m) ** 4
    )
    hit = draw[ri, ti] < pd_swerling0(snr, radars.pfa[ri])
    ri, ti, frac = ri[hit], ti[hit], frac[hit]
    back_s = (1.0 - frac) * dt_s
    p = pos_enu_m[ti] - vel_enu_mps[ti] * back_s[:, None]
    local = np.einsum("kij,kj->ki", radars.axes[ri], p - radars.pos_enu_m[ri])
    true_r = np.sqrt(np.einsum("ki,ki->k", local, local))
    true_az = np.arctan2(local[:, 0], local[:, 1])
    true_el = np.arcsin(np.clip(local[:, 2] / np.maximum(true_r, 1e-9), -1.0, 1.0))
    k = ri.size
    meas_r = true_r + rng.standard_normal(k) * radars.sigma_range_m[ri]
    meas_az = np.mod(true_az + rng.standard_normal(k) * radars.sigma_az_rad[ri], TWO_PI)
    meas_el = true_el + rng.standard_normal(k) * radars.sigma_el_rad[ri]
    fa = _false_alarms(radars, t1_s, dt_s, rng)
    return Detections(
        radar_idx=np.concatenate([ri, fa.radar_idx]),
        time_s=np.concatenate([t1_s - back_s, fa.time_s]),
        range_m=np.concatenate([meas_r, fa.range_m]),
        az_rad=np.concatenate([meas_az, fa.az_rad]),
        el_rad=np.concatenate([meas_el, fa.el_rad]),
        truth_idx=np.concatenate([ti, fa.truth_idx]),
    )


def _false_alarms(radars: Radars, t1_s: float, dt_s: float, rng: np.random.Generator) -> Detections:
    sweep = np.minimum(TWO_PI * dt_s / radars.rotation_period_s, TWO_PI)
    mean = radars.pfa * radars.cells_per_scan * sweep / TWO_PI * radars.alive
    counts = rng.poisson(mean)
    k = int(counts.sum())
    if k == 0:
        return _NO_DETECTIONS
    ri = np.repeat(np.arange(radars.n), counts)
    u = rng.uniform(0, 1, k)
    return Detections(
        radar_idx=ri,
        time_s=t1_s - (1.0 - u) * dt_s,
        range_m=rng.uniform(radars.min_range_m[ri], radars.max_range_m[ri]),
        az_rad=np.mod(radars.beam_az_rad[ri] + u * sweep[ri], TWO_PI),
        el_rad=rng.uniform(radars.el_min_rad[ri], np.minimum(radars.el_max_rad[ri], 0.3)),
        truth_idx=np.full(k, -1, dtype=np.intp),
    )


_NO_DETECTIONS = Detections(
    np.zeros(0, np.intp), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.intp)
)


def turn(radars: Radars, dt_s: float) -> None:
    """Advance every beam by one step of rotation."""
    radars.beam_az_rad = np.mod(
        radars.beam_az_rad + TWO_PI * dt_s / radars.rotation_period_s, TWO_PI
    )


def detections_to_enu(radars: Radars, det: Detections) -> NDArray:
    """Measured positions in the scenario ENU frame (n, 3) [m]."""
    ce = np.cos(det.el_rad)
    local = np.stack(
        [
            det.range_m * ce * np.sin(det.az_rad),
            det.range_m * ce * np.cos(det.az_rad),
            det.range_m * np.sin(det.el_rad),
        ],
        axis=1,
    )
    return radars.pos_enu_m[det.radar_idx] + np.einsum(
        "nji,nj->ni", radars.axes[det.radar_idx], local
    )
