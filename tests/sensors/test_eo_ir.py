"""The passive EO/IR sensor: angles only, range limits by category, frame rate, line of sight."""

import math

import numpy as np
import pytest

from samsim.sensors import Detections, TerrainGrid, observe
from samsim.threats.state import CATEGORY_CODE

from .conftest import FRAME, eo_ir_at, eo_ir_type, polar_points, surface_points

DRONE, CM, AIRCRAFT = (
    CATEGORY_CODE["drone"],
    CATEGORY_CODE["cruise_missile"],
    CATEGORY_CODE["aircraft"],
)


def _run(eo, pos, category, seconds, vel=None, terrain=None, seed=0, dt=1.0):
    rng = np.random.default_rng(seed)
    vel = np.zeros_like(pos) if vel is None else vel
    grid = terrain or TerrainGrid.of(None)
    return Detections.concat(
        [
            observe(eo, FRAME, pos + vel * (k + 1) * dt, vel, category, (k + 1) * dt, dt, rng, grid)
            for k in range(int(seconds / dt))
        ]
    )


def test_eo_ir_measures_angles_only_within_its_range_per_category():
    et = eo_ir_type(prob_detection=1.0)
    eo = eo_ir_at([et])
    p, ax = eo.pos_enu_m[0], eo.axes[0]
    ranges = [
        (et.range_small_drone_m - 500, DRONE),  # seen
        (et.range_small_drone_m + 500, DRONE),  # a drone just beyond its range: not seen
        (et.range_cruise_missile_m - 500, CM),  # seen
        (et.range_cruise_missile_m + 500, CM),  # not seen
        (et.range_aircraft_m - 500, AIRCRAFT),  # seen
        (et.range_aircraft_m + 500, AIRCRAFT),  # not seen
    ]
    pos = np.stack([polar_points(p, ax, r, 0.3 + i, 0.05) for i, (r, _) in enumerate(ranges)])
    cats = np.array([c for _, c in ranges])
    det = _run(eo, pos, cats, 10.0)
    frames = int(10.0 / et.update_period_s)
    counts = np.bincount(det.truth_idx, minlength=len(ranges))
    assert counts.tolist() == [frames, 0, frames, 0, frames, 0]
    assert np.all(np.isnan(det.range_m))
    # Angles in the sensor's level frame, with the catalog noise.
    az_true = 0.3 + det.truth_idx
    err_az = np.mod(det.az_rad - az_true + np.pi, 2 * np.pi) - np.pi
    assert np.abs(err_az).max() < 5 * math.radians(et.sigma_azimuth_deg)
    assert np.abs(det.el_rad - 0.05).max() < 5 * math.radians(et.sigma_elevation_deg)


def test_eo_ir_frames_come_at_the_update_period_with_their_own_time_stamps():
    et = eo_ir_type(prob_detection=1.0, update_period_s=0.25)
    eo = eo_ir_at([et])
    pos = polar_points(eo.pos_enu_m[0], eo.axes[0], 5000.0, 1.0, 0.1)[None]
    vel = np.array([[0.0, 100.0, 0.0]])
    det = _run(eo, pos, np.array([DRONE]), 20.0, vel=vel)
    assert det.n == 80
    np.testing.assert_allclose(np.diff(det.time_s), 0.25, atol=1e-9)
    # Each frame measures where the target was at its own time.
    truth = pos[0] + vel[0] * det.time_s[:, None]
    local = (truth - eo.pos_enu_m[0]) @ eo.axes[0].T
    az = np.arctan2(local[:, 0], local[:, 1]) % (2 * np.pi)
    assert np.abs(det.az_rad - az).max() < 5 * math.radians(et.sigma_azimuth_deg)


def test_eo_ir_detection_probability_per_frame():
    et = eo_ir_type(prob_detection=0.6)
    eo = eo_ir_at([et])
    n = 200
    az = np.linspace(0, 2 * np.pi, n, endpoint=False)
    pos = polar_points(eo.pos_enu_m[0], eo.axes[0], 3000.0, az, 0.1)
    det = _run(eo, pos, np.full(n, DRONE), 20.0)
    looks = n * int(20.0 / et.update_period_s)
    assert det.n / looks == pytest.approx(0.6, abs=4 * math.sqrt(0.24 / looks))


def test_eo_ir_sees_nothing_below_its_horizon_or_behind_terrain(ridge_terrain):
    et = eo_ir_type(prob_detection=1.0, range_aircraft_m=60_000.0)
    eo = eo_ir_at([et])  # head 3 m above the sea: horizon 7.1 km + 4.12 km x sqrt(h)
    pos = surface_points([[0.0, 15_000.0], [0.0, 40_000.0]], [10.0, 10.0])
    det = _run(eo, pos, np.array([AIRCRAFT, AIRCRAFT]), 5.0)
    assert set(det.truth_idx.tolist()) == {0}
    # Terrain: a 1000 m ridge 9-11 km east hides a helicopter at 300 m 15 km east.
    eo = eo_ir_at([et], ground_alt_m=[20.0])
    pos = surface_points([[15_000.0, 0.0], [-15_000.0, 0.0]], [300.0, 300.0])
    det = _run(eo, pos, np.array([AIRCRAFT, AIRCRAFT]), 5.0, terrain=TerrainGrid.of(ridge_terrain))
    assert set(det.truth_idx.tolist()) == {1}
    eo = eo_ir_at([et], ground_alt_m=[20.0])
    det = _run(eo, pos, np.array([AIRCRAFT, AIRCRAFT]), 5.0)
    assert set(det.truth_idx.tolist()) == {0, 1}


def test_lost_eo_ir_sensor_reports_nothing():
    eo = eo_ir_at([eo_ir_type(prob_detection=1.0)])
    eo.alive[:] = False
    pos = polar_points(eo.pos_enu_m[0], eo.axes[0], 3000.0, 1.0, 0.1)[None]
    assert _run(eo, pos, np.array([DRONE]), 5.0).n == 0
