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
