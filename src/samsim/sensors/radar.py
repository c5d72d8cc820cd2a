"""Rotating 3-D surveillance radar (Sentinel-class by default, notional).

The beam turns at the catalog rotation rate: in each engine sensor step a
radar looks only at the azimuth sector its beam sweeps, so a target is looked
at once per rotation, at the moment the beam passes its bearing. A look at a
target in the sector yields a detection when

* the target lies inside minimum and instrumented range and the elevation
  limits, above the 4/3-earth radio horizon, and (with a DEM) no terrain
  blocks the line of sight (``samsim.sensors.visibility``);
* the square-law detector's output crosses the threshold T = -ln Pfa (noise
  power 1): the target's RCS is drawn for the look from its Swerling case,
  the SNR follows the radar range equation calibrated on the catalog
  reference (SNR = SNR_ref (sigma / sigma_ref) (R_ref / R)^4, SNR_ref the
  exact Swerling-1 SNR of the reference Pd), and the detector sees
  |sqrt(SNR) + w|^2 with w complex Gaussian noise of unit power. That event
  has exactly the probability Q_1(sqrt(2 SNR), sqrt(2 T)) (Marcum), so Pd per
  look is the exact square-law Pd of ``samsim.sensors.detection`` without
  evaluating a special function in the engine.

False alarms: every resolution cell (range cell x azimuth beam x elevation
beam) crosses the threshold with probability Pfa per look, so a sector holds a
Poisson number of false alarms with mean Pfa times its cells, placed uniformly
over the cells of the surveillance volume (uniform in range, in azimuth over
the swept sector and in elevation between the limits).

Measurements are range, azimuth (clockwise from north) and elevation in the
radar's own level frame (rows of ``axes``), with Gaussian noise from the
catalog, of the object where it was when the beam passed it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.catalog import RadarType
from samsim.geo import LocalFrame
from samsim.geo.horizon import EARTH_RADIUS_M, K_FACTOR, radar_horizon_m
from samsim.sensors.detection import snr_for_pd, snr_for_pd_swerling1
from samsim.sensors.iff import CIVIL_REPLY, FRIEND_REPLY
from samsim.sensors.visibility import TerrainGrid, refraction_per_m2, visible_pairs
from samsim.threats.state import CIVIL, FRIEND
from samsim.tracking._step_kernels import _pairwise_sum

TWO_PI = 2.0 * math.pi
SQRT_HALF = math.sqrt(0.5)
_FLAT = TerrainGrid.of(None)


@dataclass(slots=True)
class Radars:
    """Every radar of one replication, one row each."""

    name: list[str]
    battery_idx: NDArray[np.int16]  # (r,)
    pos_enu_m: NDArray[np.float64]  # (r, 3) antenna phase centre
    axes: NDArray[np.float64]  # (r, 3, 3) rows: local east, north, up
    height_m: NDArray[np.float64]  # (r,) antenna height above the sea (local sphere)
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
    threshold: NDArray[np.float64]  # (r,) square-law threshold -ln Pfa (noise power 1)
    cells_per_scan: NDArray[np.float64]  # (r,) resolution cells in one rotation
    sigma_range_m: NDArray[np.float64]
    sigma_az_rad: NDArray[np.float64]
    sigma_el_rad: NDArray[np.float64]
    lost_at_s: NDArray[np.float64]  # (r,) time the radar is lost (inf: never)
    alive: NDArray[np.bool_]  # (r,) False once a radar is lost

    @property
    def n(self) -> int:
        return len(self.name)


def resolution_cells(t: RadarType) -> float:
    """Resolution cells of one rotation: range cells x azimuth beams x elevation beams."""
    return (
        (t.instrumented_range_m - t.min_range_m)
        / t.range_resolution_m
        * 360.0
        / t.azimuth_beamwidth_deg
        * t.elevation_beams
    )


def build_radars(
    names: list[str],
    types: list[RadarType],
    ground_pos_enu_m: NDArray,
    ground_alt_m: NDArray,
    battery_idx: list[int],
    frame: LocalFrame,
    rng: np.random.Generator,
    lost_at_s: NDArray | None = None,
) -> Radars:
    """Radars from catalog types placed at ground positions (the mast is added here).

    Parameters
    ----------
    ground_pos_enu_m : (r, 3) positions on the surface [m]
    ground_alt_m : (r,) height of the ground (or site) above the sea [m]
    lost_at_s : (r,) time each radar is lost [s]; default never
    """
    r = len(names)
    height = np.array([g + t.antenna_height_m for g, t in zip(ground_alt_m, types, strict=True)])
    pos, axes = frame.sites(ground_pos_enu_m, height)

    def col(attr: str) -> NDArray:
        return np.array([float(getattr(t, attr)) for t in types])

    lost = np.full(r, np.inf) if lost_at_s is None else np.asarray(lost_at_s, float)
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
        snr_ref=np.array([snr_for_pd_swerling1(t.ref_pd, t.pfa) for t in types]),
        ref_range_m=col("ref_range_m"),
        ref_rcs_m2=col("ref_rcs_m2"),
        pfa=col("pfa"),
        threshold=-np.log(col("pfa")),
        cells_per_scan=np.array([resolution_cells(t) for t in types]),
        sigma_range_m=col("sigma_range_m"),
        sigma_az_rad=np.radians(col("sigma_azimuth_deg")),
        sigma_el_rad=np.radians(col("sigma_elevation_deg")),
        lost_at_s=lost,
        alive=lost > 0.0,
    )


@dataclass(slots=True)
class Detections:
    """Measurements of one step from a set of sensors (polar, each in its sensor's level frame).

    ``range_m`` is NaN for angles-only (EO/IR) measurements.
    """

    sensor_idx: NDArray[np.intp]
    time_s: NDArray[np.float64]  # when the beam (or frame) saw the object
    range_m: NDArray[np.float64]
    az_rad: NDArray[np.float64]
    el_rad: NDArray[np.float64]
    truth_idx: NDArray[np.intp]  # air object row, -1 for a false alarm (truth only)

    @property
    def n(self) -> int:
        return len(self.sensor_idx)

    def take(self, rows: NDArray) -> Detections:
        """The detections at ``rows`` (an index or mask)."""
        return Detections(
            self.sensor_idx[rows],
            self.time_s[rows],
            self.range_m[rows],
            self.az_rad[rows],
            self.el_rad[rows],
            self.truth_idx[rows],
        )

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            np.zeros(0, np.intp),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, np.intp),
        )

    @classmethod
    def concat(cls, parts: list[Detections]) -> Detections:
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("sensor_idx", "time_s", "range_m", "az_rad", "el_rad", "truth_idx")
            )
        )


def looks(
    radars: Radars,
    frame: LocalFrame,
    pos_enu_m: NDArray,
    dt_s: float,
    terrain: TerrainGrid = _FLAT,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray, NDArray, NDArray, NDArray]:
    """(radar, point) pairs the beams look at in the coming step.

    A pair is looked at when the point's azimuth falls in the sector the beam
    sweeps during the step and the radar can see it: range and elevation
    limits, 4/3-earth horizon and terrain.

    Returns
    -------
    radar and point indices, range [m], azimuth [rad], elevation [rad], and the
    fraction of the step at which the beam passes the point.
    """
    sweep = TWO_PI * dt_s / radars.rotation_period_s
    return visible_pairs(
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


def snr_at(radars: Radars, radar_idx: NDArray, rcs_m2: NDArray, range_m: NDArray) -> NDArray:
    """Radar-equation SNR (linear) of targets of RCS ``rcs_m2`` at ``range_m``."""
    ri = radar_idx
    scale = (radars.ref_range_m[ri] / range_m) ** 4
    return radars.snr_ref[ri] * rcs_m2 / radars.ref_rcs_m2[ri] * scale


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
    terrain: TerrainGrid = _FLAT,
) -> Detections:
    """Detections and false alarms of the beam rotation over (t1 - dt, t1].

    ``turn`` moves the beams afterwards. Each detection is time-stamped when
    the beam passed the object, and measured where the object was then
    (positions at ``t1_s`` extrapolated back along their velocity).

    Parameters
    ----------
    pos_enu_m, vel_enu_mps : (n, 3) positions at t1 and velocities of the objects [m, m/s]
    rcs_m2, swerling : (n,) mean RCS [m^2] and Swerling case (0, 1, 3) of each
    terrain : the DEM's grid, or flat sea
    """
    ri, ti, frac, hit = _looks_and_hits(
        radars, frame, pos_enu_m, rcs_m2, swerling, dt_s, rng, terrain
    )
    ri, ti, frac = ri[hit], ti[hit], frac[hit]
    back_s = (1.0 - frac) * dt_s
    true_r, true_az, true_el = _measure_true(
        ri, ti, back_s, pos_enu_m, vel_enu_mps, radars.axes, radars.pos_enu_m
    )
    noise = rng.standard_normal((3, ri.size))
    real = Detections(
        ri,
        t1_s - back_s,
        true_r + noise[0] * radars.sigma_range_m[ri],
        np.mod(true_az + noise[1] * radars.sigma_az_rad[ri], TWO_PI),
        true_el + noise[2] * radars.sigma_el_rad[ri],
        ti,
    )
    fa = false_alarms(radars, t1_s, dt_s, rng)
    return real if fa.n == 0 else Detections.concat([real, fa])


def _looks_and_hits(
    radars: Radars,
    frame: LocalFrame,
    pos_enu_m: NDArray,
    rcs_m2: NDArray,
    swerling: NDArray,
    dt_s: float,
    rng: np.random.Generator,
    terrain: TerrainGrid,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray, NDArray[np.bool_]]:
    """The looked-at (radar, object) pairs of the step, the fraction of the step at
    which the beam passes each, and whether each is detected."""
    ri, ti, rng_m, _, _, frac = looks(radars, frame, pos_enu_m, dt_s, terrain)
    # Per (radar, target), whatever the geometry, two exponential draws (RCS) and
    # two normal draws (receiver noise), so that the stream stays aligned.
    n = len(pos_enu_m)
    e = rng.standard_exponential((2, radars.n, n))
    g = rng.standard_normal((2, radars.n, n))
    hit = _detected(
        ri, ti, rng_m, e, g, rcs_m2, swerling, radars.snr_ref, radars.ref_rcs_m2,
        radars.ref_range_m, radars.threshold,
    )  # fmt: skip
    return ri, ti, frac, hit


@jit
def _detected(
    ri, ti, rng_m, e, g, rcs_m2, swerling, snr_ref, ref_rcs, ref_range, threshold
):  # pragma: no cover - compiled
    """Whether each looked-at (radar, object) pair is detected in this look.

    The fluctuating RCS (``detection.swerling_factor``), the radar-equation SNR
    (``snr_at``) and a square-law detector on signal plus complex Gaussian
    noise against the radar's threshold, written as one pass over the pairs.
    """
    hit = np.empty(ri.size, np.bool_)
    for k in range(ri.size):
        r, t = ri[k], ti[k]
        e1, e2 = e[0, r, t], e[1, r, t]
        sw = swerling[t]
        factor = e1 if sw == 1 else (0.5 * (e1 + e2) if sw == 3 else 1.0)
        rcs = rcs_m2[t] * factor
        snr = snr_ref[r] * rcs / ref_rcs[r] * math.pow(ref_range[r] / rng_m[k], 4.0)
        amp = math.sqrt(snr) + SQRT_HALF * g[0, r, t]
        quad = SQRT_HALF * g[1, r, t]
        hit[k] = amp * amp + quad * quad > threshold[r]
    return hit


@jit
def _measure_true(ri, ti, back_s, pos, vel, axes, spos):  # pragma: no cover - compiled
    """True range [m], azimuth and elevation [rad] of each detection when the beam passed.

    The object's position at the end of the step is taken back along its
    velocity by ``back_s`` and seen in the radar's level frame.
    """
    k_n = ri.size
    rng_m = np.empty(k_n)
    az = np.empty(k_n)
    el = np.empty(k_n)
    d = np.empty(3)
    loc = np.empty(3)
    for k in range(k_n):
        r, t = ri[k], ti[k]
        for a in range(3):
            d[a] = (pos[t, a] - vel[t, a] * back_s[k]) - spos[r, a]
        for a in range(3):
            loc[a] = axes[r, a, 0] * d[0] + axes[r, a, 1] * d[1] + axes[r, a, 2] * d[2]
        rr = math.sqrt(loc[0] * loc[0] + loc[1] * loc[1] + loc[2] * loc[2])
        rng_m[k] = rr
        az[k] = math.atan2(loc[0], loc[1])
        el[k] = math.asin(min(max(loc[2] / max(rr, 1e-9), -1.0), 1.0))
    return rng_m, az, el


def false_alarms(radars: Radars, t1_s: float, dt_s: float, rng: np.random.Generator) -> Detections:
    """False alarms of the sectors swept over (t1 - dt, t1]: Poisson(Pfa x cells).

    Each lies uniformly over the resolution cells of the swept volume and is
    stamped with the time the beam crossed its azimuth.
    """
    sweep, u, cum = _false_alarm_draws(radars, dt_s, rng)
    k = u.shape[1]
    if k == 0:
        return Detections.empty()
    ri = np.minimum(np.searchsorted(cum, u[3], side="right"), radars.n - 1)
    lo_r, lo_el = radars.min_range_m[ri], radars.el_min_rad[ri]
    return Detections(
        sensor_idx=ri,
        time_s=t1_s - (1.0 - u[0]) * dt_s,
        range_m=lo_r + u[1] * (radars.max_range_m[ri] - lo_r),
        az_rad=np.mod(radars.beam_az_rad[ri] + u[0] * sweep[ri], TWO_PI),
        el_rad=lo_el + u[2] * (radars.el_max_rad[ri] - lo_el),
        truth_idx=np.full(k, -1, dtype=np.intp),
    )


def _false_alarm_draws(
    radars: Radars, dt_s: float, rng: np.random.Generator
) -> tuple[NDArray, NDArray, NDArray]:
    """Each radar's swept sector [rad], the false alarms' uniform draws (4, k) and
    the radars' cumulative share of the expected false alarms (r,).

    Independent Poisson counts per radar are drawn as one Poisson total split
    multinomially (the same distribution; a scalar draw is much cheaper): row 3
    of the draws picks the radar, rows 0-2 place the alarm in time, range and
    elevation.
    """
    sweep = np.minimum(TWO_PI * dt_s / radars.rotation_period_s, TWO_PI)
    mean = radars.pfa * radars.cells_per_scan * sweep / TWO_PI * radars.alive
    total = float(mean.sum())
    k = int(rng.poisson(total)) if total > 0 else 0
    if k == 0:
        return sweep, np.zeros((4, 0)), np.zeros(radars.n)
    return sweep, rng.random((4, k)), np.cumsum(mean) / total


def turn(radars: Radars, dt_s: float) -> None:
    """Advance every beam by one step of rotation."""
    radars.beam_az_rad = np.mod(
        radars.beam_az_rad + TWO_PI * dt_s / radars.rotation_period_s, TWO_PI
    )


def detections_to_enu(radars: Radars, det: Detections) -> NDArray:
    """Measured positions of radar detections in the scenario ENU frame (n, 3) [m]."""
    ce = np.cos(det.el_rad)
    local = np.stack(
        [
            det.range_m * ce * np.sin(det.az_rad),
            det.range_m * ce * np.cos(det.az_rad),
            det.range_m * np.sin(det.el_rad),
        ],
        axis=1,
    )
    return radars.pos_enu_m[det.sensor_idx] + np.einsum(
        "nji,nj->ni", radars.axes[det.sensor_idx], local
    )


@dataclass(frozen=True, slots=True)
class RangeLimits:
    """Ranges that bound detection of one target by one radar [m], and which one binds."""

    instrumented_m: float
    radar_equation_m: float
    horizon_m: float

    @property
    def effective_m(self) -> float:
        return min(self.instrumented_m, self.radar_equation_m, self.horizon_m)

    @property
    def binding(self) -> str:
        """'instrumented', 'radar_equation' or 'horizon': the smallest of the three."""
        pairs = {
            "instrumented": self.instrumented_m,
            "radar_equation": self.radar_equation_m,
            "horizon": self.horizon_m,
        }
        return min(pairs, key=pairs.__getitem__)


def range_limits(
    radar: RadarType,
    rcs_m2: float,
    target_alt_m: float,
    *,
    site_alt_m: float = 0.0,
    pd: float = 0.5,
    swerling: int = 1,
) -> RangeLimits:
    """Which limit binds detection of a target (PUBLIC-DATA 4.3, 4.4).

    The radar-equation range is where the single-look Pd of a target of mean
    RCS ``rcs_m2`` and Swerling case ``swerling`` falls to ``pd``:
    R = R_ref (sigma / sigma_ref * SNR_ref / SNR(pd))^(1/4). The horizon range
    is the 4/3-earth ground distance for the antenna (site + mast) and target
    heights; terrain is not included.
    """
    snr_ref = snr_for_pd_swerling1(radar.ref_pd, radar.pfa)
    need = snr_for_pd(pd, radar.pfa, swerling)
    r_eq = radar.ref_range_m * (rcs_m2 / radar.ref_rcs_m2 * snr_ref / need) ** 0.25
    horizon = float(radar_horizon_m(site_alt_m + radar.antenna_height_m, target_alt_m))
    return RangeLimits(float(radar.instrumented_range_m), float(r_eq), horizon)


def scan_measurements(
    radars: Radars,
    frame: LocalFrame,
    pos_enu_m: NDArray,
    vel_enu_mps: NDArray,
    rcs_m2: NDArray,
    swerling: NDArray,
    object_rows: NDArray[np.intp],
    allegiance: NDArray[np.int8],
    p_civil: float,
    p_friend: float,
    t1_s: float,
    dt_s: float,
    rng: np.random.Generator,
    rng_iff: np.random.Generator,
    terrain: TerrainGrid = _FLAT,
) -> tuple[NDArray, ...]:
    """``scan`` and ``iff.interrogate`` of the engine, as tracker measurement arrays by radar.

    The same detections, false alarms, IFF replies and random draws as
    ``scan`` followed by ``interrogate`` on the detections' air-object rows
    (``object_rows[truth_idx]``, -1 for false alarms), computed in one
    compiled pass after the draws and ordered by radar (stably), so that
    radar ``s``'s returns are rows ``bounds[s]:bounds[s + 1]``
    (tests/sensors/test_radar.py checks it bit for bit against the two).

    Returns
    -------
    time_s, z (k, 3) range [m], azimuth and elevation [rad], sensor_pos_m
    (k, 3), sensor_axes (k, 3, 3), sigma (k, 3), iff (k,) reply codes,
    truth (k,) air-object rows, bounds (r + 1,)
    """
    ri, ti, frac, hit = _looks_and_hits(
        radars, frame, pos_enu_m, rcs_m2, swerling, dt_s, rng, terrain
    )
    n_hit = int(np.count_nonzero(hit))
    noise = rng.standard_normal((3, n_hit))
    sweep, u, cum = _false_alarm_draws(radars, dt_s, rng)
    draw = rng_iff.random(n_hit + u.shape[1])
    return _returns_by_radar(
        ri, ti, frac, hit, noise, u, cum, sweep, draw, pos_enu_m, vel_enu_mps, object_rows,
        allegiance, float(p_civil), float(p_friend), float(t1_s), float(dt_s), radars.pos_enu_m,
        radars.axes, radars.sigma_range_m, radars.sigma_az_rad, radars.sigma_el_rad,
        radars.beam_az_rad, radars.min_range_m, radars.max_range_m, radars.el_min_rad,
        radars.el_max_rad,
    )  # fmt: skip


@jit
def _mod_2pi(x):  # pragma: no cover - compiled
    """``np.mod(x, 2 pi)`` for a float, with numpy's rounding (fmod, then the sign fix)."""
    m = np.fmod(x, TWO_PI)
    if m != 0.0:
        if m < 0.0:
            m += TWO_PI
    else:
        m = math.copysign(0.0, TWO_PI)
    return m


@jit
def _returns_by_radar(
    ri, ti, frac, hit, noise, u, cum, sweep, draw, pos, vel, object_rows, allegiance, p_civil,
    p_friend, t1, dt, spos, axes, sig_r, sig_az, sig_el, beam_az, r_min, r_max, el_min, el_max,
):  # pragma: no cover - compiled  # fmt: skip
    n_r = spos.shape[0]
    n_hit = noise.shape[1]
    k_fa = u.shape[1]
    k = n_hit + k_fa
    si = np.empty(k, np.intp)
    t_all = np.empty(k)
    z_all = np.empty((k, 3))
    truth = np.full(k, -1, np.int64)
    # Detections, in the order of the looked-at pairs.
    hi_ri = np.empty(n_hit, np.intp)
    hi_ti = np.empty(n_hit, np.intp)
    back = np.empty(n_hit)
    j = 0
    for q in range(ri.size):
        if hit[q]:
            hi_ri[j] = ri[q]
            hi_ti[j] = ti[q]
            back[j] = (1.0 - frac[q]) * dt
            j += 1
    true_r, true_az, true_el = _measure_true(hi_ri, hi_ti, back, pos, vel, axes, spos)
    for j in range(n_hit):
        s = hi_ri[j]
        si[j] = s
        t_all[j] = t1 - back[j]
        z_all[j, 0] = true_r[j] + noise[0, j] * sig_r[s]
        z_all[j, 1] = _mod_2pi(true_az[j] + noise[1, j] * sig_az[s])
        z_all[j, 2] = true_el[j] + noise[2, j] * sig_el[s]
        truth[j] = object_rows[hi_ti[j]]
    # False alarms.
    for q in range(k_fa):
        s = 0
        while s < n_r and cum[s] <= u[3, q]:
            s += 1
        s = min(s, n_r - 1)
        j = n_hit + q
        si[j] = s
        t_all[j] = t1 - (1.0 - u[0, q]) * dt
        z_all[j, 0] = r_min[s] + u[1, q] * (r_max[s] - r_min[s])
        z_all[j, 1] = _mod_2pi(beam_az[s] + u[0, q] * sweep[s])
        z_all[j, 2] = el_min[s] + u[2, q] * (el_max[s] - el_min[s])
    # IFF replies (iff.interrogate).
    reply = np.zeros(k, np.int8)
    for j in range(k):
        if truth[j] >= 0:
            a = allegiance[truth[j]]
            if a == CIVIL and draw[j] < p_civil:
                reply[j] = CIVIL_REPLY
            elif a == FRIEND and draw[j] < p_friend:
                reply[j] = FRIEND_REPLY
    # Stable counting sort by radar.
    bounds = np.zeros(n_r + 1, np.intp)
    for j in range(k):
        bounds[si[j] + 1] += 1
    for s in range(n_r):
        bounds[s + 1] += bounds[s]
    fill = bounds[:-1].copy()
    t_out = np.empty(k)
    z = np.empty((k, 3))
    p_out = np.empty((k, 3))
    ax_out = np.empty((k, 3, 3))
    sigma = np.empty((k, 3))
    iff = np.empty(k, np.int8)
    tr = np.empty(k, np.int64)
    for j in range(k):
        s = si[j]
        o = fill[s]
        fill[s] += 1
        t_out[o] = t_all[j]
        for a in range(3):
            z[o, a] = z_all[j, a]
            p_out[o, a] = spos[s, a]
            for b in range(3):
                ax_out[o, a, b] = axes[s, a, b]
        sigma[o, 0], sigma[o, 1], sigma[o, 2] = sig_r[s], sig_az[s], sig_el[s]
        iff[o] = reply[j]
        tr[o] = truth[j]
    return t_out, z, p_out, ax_out, sigma, iff, tr, bounds


def scan_hits(
    radars: Radars,
    frame: LocalFrame,
    flying: NDArray[np.bool_],
    pos_enu_m: NDArray,
    vel_enu_mps: NDArray,
    rcs_m2: NDArray,
    swerling: NDArray,
    e: NDArray,
    g: NDArray,
    t1_s: float,
    dt_s: float,
    terrain: TerrainGrid = _FLAT,
) -> tuple:
    """The first half of :func:`scan_measurements` in one compiled call, with its
    draws made by the caller.

    Marks the radars lost by ``t1_s`` (``alive``, in place), finds the
    looked-at (radar, object) pairs of the flying objects and whether each is
    detected from the RCS and receiver-noise draws ``e`` (standard
    exponential) and ``g`` (standard normal), each (2, radars, flying
    objects), and sums the expected false alarms, so that the caller can draw
    the receiver noise (3, hits), the false-alarm count (Poisson of ``total``
    when positive) and their placements in the same order as ``scan_measurements``.

    Parameters
    ----------
    flying : (N,) mask of the air objects that fly
    pos_enu_m, vel_enu_mps : (N, 3) every air object's position [m] at t1 and velocity [m/s]
    rcs_m2, swerling : (N,) every air object's mean RCS [m^2] and Swerling case

    Returns
    -------
    rows (n,) flying rows, their pos (n, 3) and vel (n, 3), ri, ti, frac and
    hit of the looked-at pairs, n_hit, sweep [rad] of the looks (r,) and of
    the false alarms (r,), total expected false alarms, and their cumulative
    share by radar (r,)
    """
    return _scan_hits(
        flying, pos_enu_m, vel_enu_mps, rcs_m2, swerling, e, g, float(t1_s), float(dt_s),
        radars.lost_at_s, radars.alive, radars.pos_enu_m, radars.axes, radars.beam_az_rad,
        radars.rotation_period_s, radars.min_range_m, radars.max_range_m, radars.el_min_rad,
        radars.el_max_rad, radars.height_m, frame.radius_m, K_FACTOR * EARTH_RADIUS_M,
        terrain.use, terrain.height_m, terrain.east0_m, terrain.north0_m, terrain.cell_m,
        terrain.max_height_m, refraction_per_m2(), radars.snr_ref, radars.ref_rcs_m2,
        radars.ref_range_m, radars.threshold, radars.pfa, radars.cells_per_scan,
    )  # fmt: skip


@jit
def _scan_hits(
    flying, air_pos, air_vel, air_rcs, air_swerling, e, g, t1, dt, lost_at, alive, spos, axes,
    beam, rot, rmin, rmax, elmin, elmax, sheight, radius, k_earth, use_terrain, h, e0, n0, cell,
    hmax, refr, snr_ref, ref_rcs, ref_range, threshold, pfa, cells,
):  # pragma: no cover - compiled  # fmt: skip
    n_r = spos.shape[0]
    for s in range(n_r):
        alive[s] = alive[s] and lost_at[s] > t1
    rows = np.flatnonzero(flying)
    n = rows.size
    pos = np.empty((n, 3))
    vel = np.empty((n, 3))
    rcs = np.empty(n)
    sw = np.empty(n, air_swerling.dtype)
    for k in range(n):
        o = rows[k]
        for a in range(3):
            pos[k, a] = air_pos[o, a]
            vel[k, a] = air_vel[o, a]
        rcs[k] = air_rcs[o]
        sw[k] = air_swerling[o]
    # looks: sweep = 2 pi dt / period; _false_alarm_draws: the same, at most 2 pi.
    two_pi_dt = TWO_PI * dt
    sweep = np.empty(n_r)
    sweep_fa = np.empty(n_r)
    mean = np.empty(n_r)
    for s in range(n_r):
        sweep[s] = two_pi_dt / rot[s]
        sweep_fa[s] = min(sweep[s], TWO_PI)
        mean[s] = pfa[s] * cells[s] * sweep_fa[s] / TWO_PI * (1.0 if alive[s] else 0.0)
    ri, ti, rng_m, _, _, frac = visible_pairs(
        spos, axes, beam, sweep, rmin, rmax, elmin, elmax, sheight, alive, pos, radius, k_earth,
        use_terrain, h, e0, n0, cell, hmax, refr,
    )  # fmt: skip
    hit = _detected(ri, ti, rng_m, e, g, rcs, sw, snr_ref, ref_rcs, ref_range, threshold)
    n_hit = 0
    for q in range(hit.size):
        if hit[q]:
            n_hit += 1
    total = _pairwise_sum(mean)
    cum = np.zeros(n_r)
    if total > 0:
        cum = np.cumsum(mean) / total
    return rows, pos, vel, ri, ti, frac, hit, n_hit, sweep, sweep_fa, total, cum
