"""Extended Kalman filter pieces, batched over tracks: nearly-constant-velocity
motion in ENU, radar measurements in range, azimuth and elevation.

State x = [e, n, u, ve, vn, vu] [m, m/s]. Process noise is the discretised
continuous white-noise acceleration model with spectral density q [m^2/s^3]
per axis (Bar-Shalom, Li and Kirubarajan, Estimation with Applications to
Tracking and Navigation, 6.2.2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

TWO_PI = 2.0 * np.pi


def transition(dt_s: NDArray) -> NDArray:
    """(k, 6, 6) constant-velocity transition matrices for step lengths dt_s (k,)."""
    k = len(dt_s)
    F = np.broadcast_to(np.eye(6), (k, 6, 6)).copy()
    idx = np.arange(3)
    F[:, idx, idx + 3] = dt_s[:, None]
    return F


def process_noise(dt_s: NDArray, q: float | NDArray) -> NDArray:
    """(k, 6, 6) white-noise-acceleration process noise for step lengths dt_s (k,)."""
    dt = np.abs(np.asarray(dt_s, dtype=float))
    q = np.broadcast_to(np.asarray(q, dtype=float), dt.shape)
    Q = np.zeros((len(dt), 6, 6))
    idx = np.arange(3)
    Q[:, idx, idx] = (q * dt**3 / 3.0)[:, None]
    Q[:, idx, idx + 3] = (q * dt**2 / 2.0)[:, None]
    Q[:, idx + 3, idx] = (q * dt**2 / 2.0)[:, None]
    Q[:, idx + 3, idx + 3] = (q * dt)[:, None]
    return Q


def predict(x: NDArray, P: NDArray, dt_s: NDArray, q: float | NDArray) -> tuple[NDArray, NDArray]:
    """Predict states (k, 6) and covariances (k, 6, 6) forward by dt_s (k,)."""
    F = transition(dt_s)
    x_new = np.einsum("kij,kj->ki", F, x)
    P_new = np.einsum("kij,kjl,kml->kim", F, P, F) + process_noise(dt_s, q)
    return x_new, P_new


def measure(x: NDArray, sensor_pos_m: NDArray, sensor_axes: NDArray) -> tuple[NDArray, NDArray]:
    """Predicted (range, az, el) (k, 3) and Jacobians H (k, 3, 6) for sensors (k, 3)/(k, 3, 3).

    Azimuth is clockwise from the sensor's north, elevation above its level plane.
    """
    rel = x[:, :3] - sensor_pos_m
    loc = np.einsum("kij,kj->ki", sensor_axes, rel)
    e, n, u = loc[:, 0], loc[:, 1], loc[:, 2]
    rho2 = np.maximum(e * e + n * n, 1e-6)
    rho = np.sqrt(rho2)
    r2 = rho2 + u * u
    r = np.sqrt(r2)
    z = np.stack([r, np.mod(np.arctan2(e, n), TWO_PI), np.arctan2(u, rho)], axis=1)
    J = np.zeros((len(x), 3, 3))
    J[:, 0] = loc / r[:, None]
    J[:, 1, 0] = n / rho2
    J[:, 1, 1] = -e / rho2
    J[:, 2, 0] = -e * u / (r2 * rho)
    J[:, 2, 1] = -n * u / (r2 * rho)
    J[:, 2, 2] = rho / r2
    H = np.zeros((len(x), 3, 6))
    H[:, :, :3] = np.einsum("kij,kjl->kil", J, sensor_axes)
    return z, H


def innovation(z_meas: NDArray, z_pred: NDArray) -> NDArray:
    """Measurement minus prediction, azimuth wrapped to [-pi, pi)."""
    nu = z_meas - z_pred
    nu[:, 1] = np.mod(nu[:, 1] + np.pi, TWO_PI) - np.pi
    return nu


def update(
    x: NDArray, P: NDArray, nu: NDArray, H: NDArray, R: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """EKF update (Joseph form); returns new x, P and the innovation covariance S."""
    S = np.einsum("kij,kjl,kml->kim", H, P, H) + R
    S_inv = np.linalg.inv(S)
    K = np.einsum("kij,kmj,kml->kil", P, H, S_inv)
    x_new = x + np.einsum("kij,kj->ki", K, nu)
    I_KH = np.eye(6)[None] - np.einsum("kij,kjl->kil", K, H)
    P_new = np.einsum("kij,kjl,kml->kim", I_KH, P, I_KH) + np.einsum("kij,kjl,kml->kim", K, R, K)
    return x_new, P_new, S


def polar_to_local(range_m: NDArray, az_rad: NDArray, el_rad: NDArray) -> NDArray:
    """Polar measurements to (k, 3) level-frame east, north, up [m]."""
    ce = np.cos(el_rad)
    return np.stack(
        [range_m * ce * np.sin(az_rad), range_m * ce * np.cos(az_rad), range_m * np.sin(el_rad)],
        axis=1,
    )


def polar_covariance(
    range_m: NDArray,
    az_rad: NDArray,
    el_rad: NDArray,
    sigma_range_m: NDArray,
    sigma_az_rad: NDArray,
    sigma_el_rad: NDArray,
) -> NDArray:
    """Level-frame Cartesian covariance (k, 3, 3) of polar measurements (first order)."""
    ce, se = np.cos(el_rad), np.sin(el_rad)
    ca, sa = np.cos(az_rad), np.sin(az_rad)
    G = np.zeros((len(range_m), 3, 3))
    G[:, 0] = np.stack([ce * sa, range_m * ce * ca, -range_m * se * sa], axis=1)
    G[:, 1] = np.stack([ce * ca, -range_m * ce * sa, -range_m * se * ca], axis=1)
    G[:, 2] = np.stack([se, np.zeros_like(se), range_m * ce], axis=1)
    D = np.zeros((len(range_m), 3, 3))
    D[:, 0, 0] = sigma_range_m**2
    D[:, 1, 1] = sigma_az_rad**2
    D[:, 2, 2] = sigma_el_rad**2
    return np.einsum("kij,kjl,kml->kim", G, D, G)
