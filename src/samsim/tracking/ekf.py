"""Extended Kalman filter measurement pieces, batched over filters.

Radar measurements are (range [m], azimuth [rad], elevation [rad]) in each
sensor's level frame: azimuth clockwise from the sensor's north,
``atan2(east, north)``, in [0, 2 pi); elevation above its level plane. Passive
(EO/IR) measurements are (azimuth, elevation) only. Both depend on a state's
position alone, so the Jacobians are returned for the position block and the
update works on any state size. First-order (EKF) linearisation: Bar-Shalom,
Li and Kirubarajan, *Estimation with Applications to Tracking and Navigation*
(2001), 10.3.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

TWO_PI = 2.0 * np.pi


def polar_measure(
    pos_m: NDArray, sensor_pos_m: NDArray, sensor_axes: NDArray
) -> tuple[NDArray, NDArray]:
    """Predicted (range, az, el) (k, 3) and Jacobians (k, 3, 3) in ENU position.

    Parameters
    ----------
    pos_m : (k, 3) ENU positions [m]
    sensor_pos_m : (k, 3) sensor positions [m]
    sensor_axes : (k, 3, 3) rows are the sensor's level-frame east, north, up in ENU
    """
    rel = pos_m - sensor_pos_m
    loc = np.einsum("kij,kj->ki", sensor_axes, rel)
    e, n, u = loc[:, 0], loc[:, 1], loc[:, 2]
    rho2 = np.maximum(e * e + n * n, 1e-6)
    rho = np.sqrt(rho2)
    r2 = rho2 + u * u
    r = np.sqrt(r2)
    z = np.stack([r, np.mod(np.arctan2(e, n), TWO_PI), np.arctan2(u, rho)], axis=1)
    J = np.empty((len(pos_m), 3, 3))
    J[:, 0] = loc / r[:, None]
    J[:, 1, 0] = n / rho2
    J[:, 1, 1] = -e / rho2
    J[:, 1, 2] = 0.0
    J[:, 2, 0] = -e * u / (r2 * rho)
    J[:, 2, 1] = -n * u / (r2 * rho)
    J[:, 2, 2] = rho / r2
    return z, J @ sensor_axes


def innovation(z_meas: NDArray, z_pred: NDArray, az_col: int = 1) -> NDArray:
    """Measurement minus prediction, azimuth (column ``az_col``) wrapped to [-pi, pi)."""
    nu = z_meas - z_pred
    nu[:, az_col] = np.mod(nu[:, az_col] + np.pi, TWO_PI) - np.pi
    return nu


def inv_logdet(S: NDArray) -> tuple[NDArray, NDArray]:
    """Inverse and log-determinant of stacked symmetric 2x2 or 3x3 matrices.

    Closed form (adjugate over determinant): for thousands of tiny matrices it
    is several times faster than ``np.linalg.inv``, which pays LAPACK's per-
    matrix overhead.
    """
    d = S.shape[-1]
    if d == 2:
        a, b, c = S[:, 0, 0], S[:, 0, 1], S[:, 1, 1]
        det = a * c - b * b
        inv = np.empty_like(S)
        inv[:, 0, 0] = c
        inv[:, 1, 1] = a
        inv[:, 0, 1] = inv[:, 1, 0] = -b
    elif d == 3:
        a, b, c = S[:, 0, 0], S[:, 0, 1], S[:, 0, 2]
        e, f, i = S[:, 1, 1], S[:, 1, 2], S[:, 2, 2]
        A = e * i - f * f
        B = c * f - b * i
        C = b * f - c * e
        det = a * A + b * B + c * C
        inv = np.empty_like(S)
        inv[:, 0, 0] = A
        inv[:, 0, 1] = inv[:, 1, 0] = B
        inv[:, 0, 2] = inv[:, 2, 0] = C
        inv[:, 1, 1] = a * i - c * c
        inv[:, 1, 2] = inv[:, 2, 1] = b * c - a * f
        inv[:, 2, 2] = a * e - b * b
    else:
        return np.linalg.inv(S), np.linalg.slogdet(S)[1]
    det = np.maximum(det, 1e-300)
    return inv / det[:, None, None], np.log(det)


def innovation_terms(
    P: NDArray, Hpos: NDArray, R: NDArray
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Innovation covariance and gain pieces for position-only measurements.

    Parameters
    ----------
    P : (k, n, n) state covariances (position in the first three entries)
    Hpos : (k, d, 3) measurement Jacobians in position
    R : (k, d, d) measurement noise covariances

    Returns
    -------
    S, S_inv : (k, d, d); logdet : (k,); PHt : (k, n, d) = P H^T
    """
    PHt = P[:, :, :3] @ Hpos.transpose(0, 2, 1)
    S = Hpos @ PHt[:, :3, :] + R
    S = 0.5 * (S + S.transpose(0, 2, 1))
    S_inv, logdet = inv_logdet(S)
    return S, S_inv, logdet, PHt


def mahalanobis2(nu: NDArray, S_inv: NDArray) -> NDArray:
    """Squared Mahalanobis distances (k,) of innovations (k, d)."""
    return np.einsum("ki,kij,kj->k", nu, S_inv, nu)


def update(
    x: NDArray, P: NDArray, nu: NDArray, S: NDArray, S_inv: NDArray, PHt: NDArray
) -> tuple[NDArray, NDArray]:
    """EKF update of states (k, n) and covariances (k, n, n) with innovations (k, d)."""
    K = PHt @ S_inv
    x_new = x + np.einsum("kij,kj->ki", K, nu)
    P_new = P - K @ S @ K.transpose(0, 2, 1)
    return x_new, 0.5 * (P_new + P_new.transpose(0, 2, 1))


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
    return G @ D @ G.transpose(0, 2, 1)
