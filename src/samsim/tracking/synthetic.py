"""Seeded synthetic truth and radar detections for testing and benchmarking trackers.

Targets fly analytic paths: a straight leg, one constant-rate horizontal
turn, another straight leg, with a constant vertical acceleration (gravity for
a ballistic missile, zero otherwise). A rotating radar at the origin of a
local East-North-Up frame looks at each target once per scan, when its beam
passes the target's azimuth, detects it with probability ``pd`` inside its
range and elevation limits, adds Gaussian range/azimuth/elevation noise, and
adds a Poisson number of false alarms spread uniformly over its resolution
cells (uniform in range, azimuth and elevation, as radar false alarms are).
The output is a detection table in the format of
:func:`samsim.tracking.track_detections` plus a ``truth_id`` column (-1 for
false alarms) that trackers must not see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, slots=True)
class Truth:
    """Analytic paths of n targets (struct of arrays, ENU, SI units).

    Target i appears at ``start_s[i]`` at ``pos0_m[i]`` with velocity
    ``vel0_mps[i]``, flies straight for ``turn_after_s[i]``, turns its
    horizontal velocity at ``turn_rate_rps[i]`` (positive = left, counter-
    clockwise seen from above) for ``turn_for_s[i]``, then flies straight, all
    the while accelerating vertically at ``accel_up_mps2[i]``; it disappears
    at ``end_s[i]``.
    """

    pos0_m: NDArray[np.float64]  # (n, 3)
    vel0_mps: NDArray[np.float64]  # (n, 3)
    start_s: NDArray[np.float64]  # (n,)
    end_s: NDArray[np.float64]  # (n,)
    turn_after_s: NDArray[np.float64]  # (n,)
    turn_for_s: NDArray[np.float64]  # (n,)
    turn_rate_rps: NDArray[np.float64]  # (n,)
    accel_up_mps2: NDArray[np.float64]  # (n,)

    @property
    def n(self) -> int:
        return len(self.start_s)

    @classmethod
    def straight(cls, pos0_m: NDArray, vel0_mps: NDArray, start_s: NDArray | None = None) -> Truth:
        """Targets in straight, level, constant-velocity flight for ever."""
        n = len(pos0_m)
        zeros = np.zeros(n)
        return cls(
            np.asarray(pos0_m, float),
            np.asarray(vel0_mps, float),
            zeros if start_s is None else np.asarray(start_s, float),
            np.full(n, np.inf),
            np.full(n, np.inf),
            zeros,
            zeros,
            zeros,
        )

    @staticmethod
    def concat(parts: list[Truth]) -> Truth:
        return Truth(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Truth.__dataclass_fields__)
        )

    def alive(self, time_s: NDArray, idx: NDArray | None = None) -> NDArray[np.bool_]:
        idx = np.arange(self.n) if idx is None else idx
        return (time_s >= self.start_s[idx]) & (time_s <= self.end_s[idx])

    def state(self, time_s: NDArray, idx: NDArray | None = None) -> tuple[NDArray, NDArray]:
        """Positions and velocities (k, 3) of targets ``idx`` (k,) at times (k,)."""
        idx = np.arange(self.n) if idx is None else np.asarray(idx)
        t = np.broadcast_to(np.asarray(time_s, float), idx.shape) - self.start_s[idx]
        p0, v0 = self.pos0_m[idx], self.vel0_mps[idx]
        w = self.turn_rate_rps[idx]
        t1 = np.minimum(t, self.turn_after_s[idx])
        tau = np.clip(t - self.turn_after_s[idx], 0.0, self.turn_for_s[idx])
        t3 = np.maximum(t - self.turn_after_s[idx] - self.turn_for_s[idx], 0.0)
        ve, vn = v0[:, 0], v0[:, 1]
        wt = w * tau
        small = np.abs(w) < 1e-12
        w_safe = np.where(small, 1.0, w)
        s = np.where(small, tau, np.sin(wt) / w_safe)
        c = np.where(small, 0.0, (1.0 - np.cos(wt)) / w_safe)
        ve_end = np.cos(wt) * ve - np.sin(wt) * vn
        vn_end = np.sin(wt) * ve + np.cos(wt) * vn
        pos = np.empty((idx.size, 3))
        pos[:, 0] = p0[:, 0] + ve * t1 + (s * ve - c * vn) + ve_end * t3
        pos[:, 1] = p0[:, 1] + vn * t1 + (c * ve + s * vn) + vn_end * t3
        a = self.accel_up_mps2[idx]
        pos[:, 2] = p0[:, 2] + v0[:, 2] * t + 0.5 * a * t * t
        vel = np.stack([ve_end, vn_end, v0[:, 2] + a * t], axis=1)
        return pos, vel


@dataclass(frozen=True, slots=True)
class SampledPaths:
    """Paths sampled on a fine time grid (e.g. with random accelerations).

    ``pos_m[k, i]`` and ``vel_mps[k, i]`` are target i at ``time_s[k]``; states
    between samples are interpolated (Hermite on position, linear on velocity),
    so the grid step should be small against the radar's revisit time.
    """

    time_s: NDArray[np.float64]  # (T,) uniform
    pos_m: NDArray[np.float64]  # (T, n, 3)
    vel_mps: NDArray[np.float64]  # (T, n, 3)

    @property
    def n(self) -> int:
        return self.pos_m.shape[1]

    @classmethod
    def nearly_constant_velocity(
        cls,
        pos0_m: NDArray,
        vel0_mps: NDArray,
        q_m2ps3: float,
        duration_s: float,
        rng: np.random.Generator,
        dt_s: float = 0.05,
    ) -> SampledPaths:
        """Paths driven by white-noise acceleration of spectral density q per axis.

        Each step draws the exact discrete increments of the continuous model
        (Bar-Shalom et al. 2001, 6.2.2): velocity and position noise with
        covariance q [dt, dt^2/2; dt^2/2, dt^3/3].
        """
        steps = math.ceil(duration_s / dt_s) + 1
        n = len(pos0_m)
        cov = q_m2ps3 * np.array([[dt_s**3 / 3, dt_s**2 / 2], [dt_s**2 / 2, dt_s]])
        chol = np.linalg.cholesky(cov)
        pos = np.empty((steps, n, 3))
        vel = np.empty((steps, n, 3))
        pos[0], vel[0] = pos0_m, vel0_mps
        for k in range(1, steps):
            w = np.einsum("ab,nib->nia", chol, rng.standard_normal((n, 3, 2)))
            pos[k] = pos[k - 1] + vel[k - 1] * dt_s + w[..., 0]
            vel[k] = vel[k - 1] + w[..., 1]
        return cls(np.arange(steps) * dt_s, pos, vel)

    @classmethod
    def coordinated_turn(
        cls,
        pos0_m: NDArray,
        vel0_mps: NDArray,
        turn_rate_rps: NDArray,
        q_m2ps3: float,
        q_turn_rad2ps3: float,
        duration_s: float,
        rng: np.random.Generator,
        dt_s: float = 0.05,
    ) -> SampledPaths:
        """Horizontal coordinated turns whose rate random-walks (spectral density
        ``q_turn``) plus white-noise acceleration ``q`` per axis: the coordinated-
        turn model of :mod:`samsim.tracking.imm`, integrated in small steps.
        """
        steps = math.ceil(duration_s / dt_s) + 1
        n = len(pos0_m)
        pos = np.empty((steps, n, 3))
        vel = np.empty((steps, n, 3))
        pos[0], vel[0] = pos0_m, vel0_mps
        w = np.array(turn_rate_rps, float) * np.ones(n)
        cov = q_m2ps3 * np.array([[dt_s**3 / 3, dt_s**2 / 2], [dt_s**2 / 2, dt_s]])
        chol = np.linalg.cholesky(cov)
        for k in range(1, steps):
            c, s_ = np.cos(w * dt_s), np.sin(w * dt_s)
            v = vel[k - 1]
            turned = np.stack([c * v[:, 0] - s_ * v[:, 1], s_ * v[:, 0] + c * v[:, 1], v[:, 2]], 1)
            noise = np.einsum("ab,nib->nia", chol, rng.standard_normal((n, 3, 2)))
            pos[k] = pos[k - 1] + 0.5 * (v + turned) * dt_s + noise[..., 0]
            vel[k] = turned + noise[..., 1]
            w = w + rng.standard_normal(n) * math.sqrt(q_turn_rad2ps3 * dt_s)
        return cls(np.arange(steps) * dt_s, pos, vel)

    def alive(self, time_s: NDArray, idx: NDArray | None = None) -> NDArray[np.bool_]:
        t = np.asarray(time_s, float)
        return (t >= self.time_s[0]) & (t <= self.time_s[-1])

    def state(self, time_s: NDArray, idx: NDArray | None = None) -> tuple[NDArray, NDArray]:
        """Positions and velocities (k, 3) of targets ``idx`` (k,) at times (k,)."""
        idx = np.arange(self.n) if idx is None else np.asarray(idx)
        t = np.clip(np.broadcast_to(np.asarray(time_s, float), idx.shape), *self.time_s[[0, -1]])
        dt = self.time_s[1] - self.time_s[0]
        k = np.minimum(((t - self.time_s[0]) // dt).astype(np.int64), self.time_s.size - 2)
        u = ((t - self.time_s[k]) / dt)[:, None]
        p0, p1 = self.pos_m[k, idx], self.pos_m[k + 1, idx]
        v0, v1 = self.vel_mps[k, idx], self.vel_mps[k + 1, idx]
        h00, h10 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u
        h01, h11 = -2 * u**3 + 3 * u**2, u**3 - u**2
        pos = h00 * p0 + h10 * dt * v0 + h01 * p1 + h11 * dt * v1
        return pos, v0 + u * (v1 - v0)


@dataclass(frozen=True, slots=True)
class RadarSpec:
    """A rotating 3-D radar at the origin (notional values, units in the names)."""

    scan_period_s: float = 2.0
    pd: float = 0.9
    clutter_per_scan: float = 0.0
    min_range_m: float = 500.0
    max_range_m: float = 100_000.0
    min_elevation_rad: float = math.radians(-2.0)
    max_elevation_rad: float = math.radians(60.0)
    sigma_range_m: float = 50.0
    sigma_azimuth_rad: float = math.radians(0.2)
    sigma_elevation_rad: float = math.radians(0.2)

    @property
    def sigmas(self) -> dict[str, float]:
        """The ``sigma_*`` keyword arguments of :func:`samsim.tracking.track_detections`."""
        return {
            "sigma_range_m": self.sigma_range_m,
            "sigma_azimuth_rad": self.sigma_azimuth_rad,
            "sigma_elevation_rad": self.sigma_elevation_rad,
        }

    def covers(self, pos_m: NDArray) -> NDArray[np.bool_]:
        """(k,) positions inside the radar's range and elevation limits."""
        r = np.linalg.norm(pos_m, axis=1)
        el = np.arcsin(np.clip(pos_m[:, 2] / np.maximum(r, 1e-9), -1.0, 1.0))
        return (
            (r >= self.min_range_m)
            & (r <= self.max_range_m)
            & (el >= self.min_elevation_rad)
            & (el <= self.max_elevation_rad)
        )


def polar(pos_m: NDArray) -> NDArray:
    """(k, 3) range [m], azimuth [rad] in [0, 2 pi) clockwise from north, elevation [rad]."""
    r = np.linalg.norm(pos_m, axis=1)
    az = np.mod(np.arctan2(pos_m[:, 0], pos_m[:, 1]), TWO_PI)
    el = np.arcsin(np.clip(pos_m[:, 2] / np.maximum(r, 1e-9), -1.0, 1.0))
    return np.stack([r, az, el], axis=1)


def look_times(truth: Truth | SampledPaths, scan: int, period_s: float) -> tuple[NDArray, NDArray]:
    """When the beam passes each target in a scan (fixed point of t = t0 + az(t) T / 2 pi)."""
    t0 = scan * period_s
    idx = np.arange(truth.n)
    t = np.full(truth.n, t0 + 0.5 * period_s)
    for _ in range(4):
        pos, _ = truth.state(t, idx)
        az = polar(pos)[:, 1]
        t = t0 + az / TWO_PI * period_s
    pos, _ = truth.state(t, idx)
    return t, pos


def radar_detections(
    truth: Truth | SampledPaths, radar: RadarSpec, n_scans: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Detections of ``n_scans`` rotations, sorted by scan then time.

    Columns: scan, time_s, range_m, azimuth_rad, elevation_rad (what
    ``track_detections`` takes) and truth_id (target index, -1 false alarm).
    Random draws per scan are fixed in number (one detection and three noise
    draws per target whatever happens), so results are reproducible and
    stable when targets are added elsewhere in the scene.
    """
    T = radar.scan_period_s
    sig = np.array([radar.sigma_range_m, radar.sigma_azimuth_rad, radar.sigma_elevation_rad])
    parts = []
    for k in range(n_scans):
        t, pos = look_times(truth, k, T)
        draw = rng.random(truth.n)
        noise = rng.standard_normal((truth.n, 3)) * sig
        seen = truth.alive(t) & radar.covers(pos) & (draw < radar.pd)
        z = polar(pos[seen]) + noise[seen]
        n_fa = rng.poisson(radar.clutter_per_scan)
        fa = np.stack(
            [
                rng.uniform(radar.min_range_m, radar.max_range_m, n_fa),
                rng.uniform(0.0, TWO_PI, n_fa),
                rng.uniform(radar.min_elevation_rad, radar.max_elevation_rad, n_fa),
            ],
            axis=1,
        )
        z = np.concatenate([z, fa])
        z[:, 1] = np.mod(z[:, 1], TWO_PI)
        z[:, 2] = np.clip(z[:, 2], -math.pi / 2, math.pi / 2)
        z[:, 0] = np.maximum(z[:, 0], 1.0)
        times = np.concatenate([t[seen], k * T + fa[:, 1] / TWO_PI * T])
        ids = np.concatenate([np.flatnonzero(seen), np.full(n_fa, -1)])
        order = np.argsort(times, kind="stable")
        parts.append(
            pd.DataFrame(
                {
                    "scan": np.full(order.size, k, np.int64),
                    "time_s": times[order],
                    "range_m": z[order, 0],
                    "azimuth_rad": z[order, 1],
                    "elevation_rad": z[order, 2],
                    "truth_id": ids[order].astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def truth_table(
    truth: Truth | SampledPaths, radar: RadarSpec, scans: NDArray, times_s: NDArray
) -> pd.DataFrame:
    """Truth positions at the given scan report times, for targets alive and in coverage.

    Columns: scan, time_s, truth_id, east_m, north_m, up_m (the format the
    metrics in :mod:`samsim.analysis` take).
    """
    scans = np.asarray(scans)
    times_s = np.asarray(times_s, float)
    ks = np.repeat(np.arange(scans.size), truth.n)
    idx = np.tile(np.arange(truth.n), scans.size)
    t = times_s[ks]
    pos, _ = truth.state(t, idx)
    keep = truth.alive(t, idx) & radar.covers(pos)
    return pd.DataFrame(
        {
            "scan": scans[ks][keep].astype(np.int64),
            "time_s": t[keep],
            "truth_id": idx[keep].astype(np.int64),
            "east_m": pos[keep, 0],
            "north_m": pos[keep, 1],
            "up_m": pos[keep, 2],
        }
    )
