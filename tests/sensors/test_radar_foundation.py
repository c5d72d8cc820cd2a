"""Rotating 3-D radar: coverage, horizon, detection and false alarms."""

import math

import numpy as np
import pytest

from samsim.geo import LocalFrame, radar_horizon_m
from samsim.sensors import build_radars, detections_to_enu, scan
from samsim.sensors.radar import looks, turn

STEP_S = 0.2


@pytest.fixture
def sentinel(catalog):
    return catalog.radars["sentinel"]


@pytest.fixture
def frame():
    return LocalFrame.at(25.0, 121.0)


def _radar(sentinel, frame, seed=0):
    """One radar at the origin on flat ground: the 4 m mast is the catalog's."""
    return build_radars(
        ["r"], [sentinel], np.zeros((1, 3)), np.zeros(1), [0], frame, np.random.default_rng(seed)
    )


def _target(frame, north_m, alt_m, east_m=0.0):
    """A target ``north_m`` of the origin along the surface, ``alt_m`` above it."""
    surface = frame.lift(np.array([[east_m, north_m, 0.0]]), np.array([0.0]))
    return frame.lift(surface, np.array([alt_m]))


def _rotations(radars, frame, pos, rcs, n_rot, rng, swerling=1):
    """Per rotation: number of detections of the (single) target, and of false alarms."""
    steps = round(radars.rotation_period_s[0] / STEP_S)
    vel = np.zeros_like(pos)
    rcs_m2 = np.full(len(pos), rcs)
    swerlings = np.full(len(pos), swerling)
    hits = np.zeros(n_rot, int)
    false = np.zeros(n_rot, int)
    t = 0.0
    for k in range(n_rot):
        for _ in range(steps):
            t += STEP_S
            det = scan(radars, frame, pos, vel, rcs_m2, swerlings, t, STEP_S, rng)
            hits[k] += int(np.sum(det.truth_idx == 0))
            false[k] += int(np.sum(det.truth_idx < 0))
            turn(radars, STEP_S)
    return hits, false


def test_radar_stands_on_its_mast(sentinel, frame):
    radars = _radar(sentinel, frame)
    assert sentinel.antenna_height_m == 4.0
    assert radars.height_m[0] == 4.0
    assert frame.altitude_m(radars.pos_enu_m[0]) == pytest.approx(4.0)


def test_beam_looks_at_a_target_once_per_rotation(sentinel, frame):
    radars = _radar(sentinel, frame, seed=4)
    pos = np.vstack([_target(frame, 10e3, 500.0, e) for e in (-7e3, 0.0, 9e3)])
    steps = round(sentinel.rotation_period_s / STEP_S)
    seen = np.zeros(3, int)
    for _ in range(20 * steps):
        _, ti, *_ = looks(radars, frame, pos, STEP_S)
        np.add.at(seen, ti, 1)
        turn(radars, STEP_S)
    np.testing.assert_array_equal(seen, [20, 20, 20])


def test_detects_10_m2_at_10_km_every_rotation(sentinel, frame):
    radars = _radar(sentinel, frame, seed=1)
    pos = _target(frame, 10e3, 300.0)
    hits, _ = _rotations(radars, frame, pos, 10.0, 20, np.random.default_rng(1))
    assert np.mean(hits >= 1) > 0.95
    assert hits.max() == 1  # one look, so at most one detection, per rotation


def test_measurements_scatter_around_the_truth_with_the_catalog_noise(sentinel, frame):
    radars = _radar(sentinel, frame, seed=2)
    pos = _target(frame, 20e3, 1000.0, 5e3)
    rng = np.random.default_rng(2)
    rel = pos[0] - radars.pos_enu_m[0]
    true_range = float(np.linalg.norm(rel))
    ranges, azs = [], []
    for _ in range(300):
        det = scan(radars, frame, pos, np.zeros((1, 3)), np.array([10.0]), np.array([0]), 0, 2, rng)
        ranges += list(det.range_m[det.truth_idx == 0])
        azs += list(det.az_rad[det.truth_idx == 0])
        xyz = detections_to_enu(radars, det)[det.truth_idx == 0]
        assert np.all(np.linalg.norm(xyz - pos, axis=1) < 500.0)
    assert len(ranges) > 250
    assert np.mean(ranges) == pytest.approx(true_range, abs=4 * 50 / math.sqrt(len(ranges)))
    assert np.std(ranges) == pytest.approx(sentinel.sigma_range_m, rel=0.15)
    true_az = math.atan2(rel[0], rel[1])
    assert np.std(azs) == pytest.approx(math.radians(sentinel.sigma_azimuth_deg), rel=0.15)
    assert np.mean(azs) == pytest.approx(true_az, abs=1e-3)


def test_low_target_beyond_the_horizon_is_never_detected(sentinel, frame):
    horizon = float(radar_horizon_m(4.0, 20.0))
    assert horizon == pytest.approx(26.68e3, rel=1e-2)
    radars = _radar(sentinel, frame, seed=3)
    rng = np.random.default_rng(3)
    far_low = _target(frame, 60e3, 20.0)
    hits, _ = _rotations(radars, frame, far_low, 10.0, 50, rng)
    assert hits.sum() == 0
    # just past the horizon: still hidden, however strong the echo
    hits, _ = _rotations(radars, frame, _target(frame, horizon + 800.0, 20.0), 1e3, 30, rng)
    assert hits.sum() == 0


def test_same_range_is_visible_when_above_the_horizon(sentinel, frame):
    radars = _radar(sentinel, frame, seed=5)
    rng = np.random.default_rng(5)
    hits, _ = _rotations(radars, frame, _target(frame, 60e3, 1000.0), 10.0, 30, rng)
    assert np.mean(hits >= 1) > 0.8
    horizon = float(radar_horizon_m(4.0, 20.0))
    hits, _ = _rotations(radars, frame, _target(frame, horizon - 2000.0, 20.0), 10.0, 30, rng)
    assert np.mean(hits >= 1) > 0.8


def test_reference_target_has_pd_one_half_at_reference_range(sentinel, frame):
    # calibration of the catalog: 1 m2 Swerling 1 at 75 km has Pd 0.5 per look
    assert sentinel.ref_rcs_m2 == 1.0 and sentinel.ref_pd == 0.5
    radars = _radar(sentinel, frame, seed=6)
    radars.max_range_m[:] = 80e3  # look just past the instrumented range
    pos = _target(frame, sentinel.ref_range_m, 3000.0)
    rng = np.random.default_rng(6)
    n = 3000
    got = 0
    for _ in range(n):
        det = scan(radars, frame, pos, np.zeros((1, 3)), np.array([1.0]), np.array([1]), 0, 2, rng)
        got += int(np.sum(det.truth_idx == 0))
    # the elevation of the 3 km target and the earth curvature move the range a little
    assert got / n == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / n) + 0.02)


def test_outside_instrumented_range_or_inside_minimum_range_is_not_seen(sentinel, frame):
    radars = _radar(sentinel, frame, seed=7)
    rng = np.random.default_rng(7)
    for north in (300.0, 80e3):
        hits, _ = _rotations(radars, frame, _target(frame, north, 8000.0), 1e4, 5, rng)
        assert hits.sum() == 0, north


def test_false_alarms_per_rotation_match_pfa_times_cells(sentinel, frame):
    cells = (
        (sentinel.instrumented_range_m - sentinel.min_range_m)
        / sentinel.range_resolution_m
        * (360.0 / sentinel.azimuth_beamwidth_deg)
        * sentinel.elevation_beams
    )
    expected_per_rotation = sentinel.pfa * cells  # about 0.79
    radars = _radar(sentinel, frame, seed=8)
    assert radars.cells_per_scan[0] == pytest.approx(cells)
    rng = np.random.default_rng(8)
    n_rot = 400
    _, false = _rotations(radars, frame, np.zeros((0, 3)), 1.0, n_rot, rng)
    mean = expected_per_rotation * n_rot
    assert abs(false.sum() - mean) < 4 * math.sqrt(mean)


def test_false_alarms_lie_inside_the_coverage(sentinel, frame):
    radars = _radar(sentinel, frame, seed=9)
    rng = np.random.default_rng(9)
    ranges, els = [], []
    for k in range(2000):
        det = scan(
            radars, frame, np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros(0), k, 2, rng
        )
        ranges += list(det.range_m)
        els += list(det.el_rad)
    assert len(ranges) > 1000
    assert min(ranges) >= sentinel.min_range_m and max(ranges) <= sentinel.instrumented_range_m
    assert min(els) >= math.radians(sentinel.elevation_min_deg)


def test_lost_radar_sees_nothing(sentinel, frame):
    radars = _radar(sentinel, frame, seed=10)
    radars.alive[:] = False
    hits, false = _rotations(
        radars, frame, _target(frame, 10e3, 300.0), 10.0, 10, np.random.default_rng(10)
    )
    assert hits.sum() == 0 and false.sum() == 0
