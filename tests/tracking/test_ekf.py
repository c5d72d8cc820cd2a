"""EKF consistency (NEES) and its building blocks."""

import math

import numpy as np
import pytest
from scipy import stats

from samsim.tracking import CONFIRMED, Measurements, TrackerParams, TrackTable, ekf, step

SIGMA = np.array([50.0, math.radians(0.2), math.radians(0.2)])  # the catalog radar's noise
SCAN_S = 2.0
N_SCANS = 40
CONVERGED_AFTER = 10
N_RUNS = 40


def _polar(pos: np.ndarray) -> np.ndarray:
    e, n, u = pos
    return np.array(
        [
            math.sqrt(e * e + n * n + u * u),
            math.atan2(e, n) % (2 * math.pi),
            math.atan2(u, math.hypot(e, n)),
        ]
    )


def _measurement(z: np.ndarray, t: float) -> Measurements:
    return Measurements(
        time_s=np.array([t]),
        z=z[None, :],
        sensor_pos_m=np.zeros((1, 3)),
        sensor_axes=np.eye(3)[None],
        sigma=SIGMA[None, :],
        iff=np.array([-1], np.int8),
        truth_idx=np.array([0], np.int64),
    )


def _run_nees(rng: np.random.Generator, q_true: float, q_filter: float) -> np.ndarray:
    """NEES per scan of one run: a target flown at (nearly) constant velocity."""
    x = np.array([20e3, 30e3, 3000.0, -150.0, 60.0, 0.0])
    F = ekf.transition(np.array([SCAN_S]))[0]
    Q = ekf.process_noise(np.array([SCAN_S]), q_true)[0]
    table = TrackTable.empty(8)
    params = TrackerParams(q_m2ps3=q_filter)
    nees = np.full(N_SCANS, np.nan)
    track_id = None
    for k in range(N_SCANS):
        t = k * SCAN_S
        if k:
            x = F @ x + (rng.multivariate_normal(np.zeros(6), Q) if q_true > 0 else 0.0)
        z = _polar(x[:3]) + rng.standard_normal(3) * SIGMA
        step(table, _measurement(z, t), table.status != 0, t, params)
        if track_id is None:
            track_id = int(table.track_id[table.live()[0]])
        row = table.row_of(track_id)
        assert row >= 0, "the single target's track was lost"
        if table.time_s[row] == t:  # updated by this scan
            err = table.x[row] - x
            nees[k] = err @ np.linalg.solve(table.P[row], err)
    assert table.status[table.row_of(track_id)] == CONFIRMED
    return nees


def _chi2_band(dof: int, n_runs: int, confidence: float) -> tuple[float, float]:
    a = (1.0 - confidence) / 2.0
    return stats.chi2.ppf(a, dof * n_runs) / n_runs, stats.chi2.ppf(1 - a, dof * n_runs) / n_runs


def test_nees_of_a_straight_constant_velocity_track_is_chi_square_6():
    rng = np.random.default_rng(2024)
    # The truth flies a straight line, so the filter's model is exact with q -> 0.
    nees = np.array([_run_nees(rng, 0.0, 1e-6) for _ in range(N_RUNS)])
    after = nees[:, CONVERGED_AFTER:]
    # a scan is skipped only when its measurement fell outside the 99.9 % gate
    assert np.mean(np.isnan(after)) < 0.01
    mean_nees = float(np.nanmean(after))
    lo, hi = _chi2_band(6, N_RUNS, 0.99)
    assert lo < mean_nees < hi, (mean_nees, lo, hi)
    # and at most scans the run average alone lies in its 95 % band
    per_scan = np.nanmean(after, axis=0)
    lo95, hi95 = _chi2_band(6, N_RUNS, 0.95)
    assert np.mean((per_scan > lo95) & (per_scan < hi95)) > 0.8


def test_nees_with_white_noise_acceleration_matching_the_filter():
    rng = np.random.default_rng(7)
    q = 2.0
    nees = np.array([_run_nees(rng, q, q) for _ in range(N_RUNS)])
    assert np.mean(np.isnan(nees[:, CONVERGED_AFTER:])) < 0.01
    mean_nees = float(np.nanmean(nees[:, CONVERGED_AFTER:]))
    lo, hi = _chi2_band(6, N_RUNS, 0.99)
    assert lo < mean_nees < hi, (mean_nees, lo, hi)


def test_default_process_noise_is_conservative_on_a_straight_track():
    # q = 40 m^2/s^3 leaves room for manoeuvres: on a straight line NEES falls below 6.
    rng = np.random.default_rng(3)
    nees = np.array([_run_nees(rng, 0.0, TrackerParams().q_m2ps3) for _ in range(10)])
    assert float(np.nanmean(nees[:, CONVERGED_AFTER:])) < 6.0


def test_process_noise_is_the_discretised_white_noise_acceleration():
    q, dt = 3.0, 2.0
    Q = ekf.process_noise(np.array([dt]), q)[0]
    block = q * np.array([[dt**3 / 3, dt**2 / 2], [dt**2 / 2, dt]])
    for axis in range(3):
        idx = [axis, axis + 3]
        np.testing.assert_allclose(Q[np.ix_(idx, idx)], block)
    assert Q[0, 1] == 0.0 and Q[0, 4] == 0.0
    np.testing.assert_allclose(Q, Q.T)


def test_measurement_jacobian_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = np.array([[12e3, -8e3, 2500.0, 100.0, 20.0, 0.0]])
    axes = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    axes *= np.sign(np.linalg.det(axes))
    sensor = np.array([[100.0, 200.0, 30.0]])
    z, H = ekf.measure(x, sensor, axes[None])
    eps = 1e-3
    num = np.zeros((3, 6))
    for i in range(3):
        dx = np.zeros((1, 6))
        dx[0, i] = eps
        zp, _ = ekf.measure(x + dx, sensor, axes[None])
        zm, _ = ekf.measure(x - dx, sensor, axes[None])
        num[:, i] = ekf.innovation(zp, zm)[0] / (2 * eps)
    np.testing.assert_allclose(H[0], num, rtol=1e-5, atol=1e-12)
    assert z[0, 0] == pytest.approx(np.linalg.norm(x[0, :3] - sensor[0]))


def test_innovation_wraps_azimuth_across_north():
    nu = ekf.innovation(
        np.array([[1000.0, 0.01, 0.0]]), np.array([[1000.0, 2 * math.pi - 0.01, 0.0]])
    )
    assert nu[0, 1] == pytest.approx(0.02)


def test_polar_covariance_is_range_times_angle_sigma_across_the_beam():
    cov = ekf.polar_covariance(
        np.array([30e3]),
        np.array([0.0]),
        np.array([0.0]),
        np.array([50.0]),
        np.array([1e-3]),
        np.array([2e-3]),
    )[0]
    # looking north on the horizon: east is cross-range (r sigma_az), up is r sigma_el
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), [30.0, 50.0, 60.0], rtol=1e-9)
