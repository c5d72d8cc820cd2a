"""Interacting multiple model (IMM) motion models, batched over tracks.

Two models share one state ``[e, n, u, ve, vn, vu, w]`` [m, m/s, rad/s] in the
local East-North-Up frame:

* model 0, nearly constant velocity (NCV): position integrates velocity,
  white-noise acceleration with spectral density ``q_cv`` [m^2/s^3] per axis,
  and the turn rate ``w`` is held at zero;
* model 1, coordinated turn (CT): the horizontal velocity turns at the
  estimated rate ``w`` (positive counter-clockwise seen from above, i.e. a
  left turn), vertical motion is NCV, white-noise acceleration ``q_ct`` per
  axis and a random-walk turn rate with spectral density ``q_turn``
  [rad^2/s^3].

The CT transition and its Jacobian follow Bar-Shalom, Li and Kirubarajan,
*Estimation with Applications to Tracking and Navigation* (2001), 11.7.1;
the IMM cycle (mixing, mode-matched filtering, mode probability update,
combination) is their 11.6.6. Every function works on stacked arrays: ``k``
filters (track-measurement pairs) by ``M = 2`` models, no Python loop over
tracks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

NX = 7  # state size
N_MODELS = 2
CV, CT = 0, 1
SMALL_TURN = 1e-6  # |w T| below which the CT terms use their series [rad]


def transition_probs(dt_s: NDArray, sojourn_s: tuple[float, float]) -> NDArray:
    """(k, M, M) Markov mode-switch matrices for step lengths dt_s (k,).

    Entry [i, j] is P(model j at the end | model i at the start); model i is
    left at the rate 1 / sojourn_s[i] (a continuous-time Markov chain of two
    states, so the matrices compose over any split of dt).
    """
    dt = np.abs(np.asarray(dt_s, dtype=float))
    tau0, tau1 = sojourn_s
    rate = 1.0 / tau0 + 1.0 / tau1
    # Two-state chain: stationary probabilities and the decay of the transient.
    pi1 = (1.0 / tau0) / rate
    pi0 = 1.0 - pi1
    decay = np.exp(-rate * dt)
    T = np.empty((dt.size, 2, 2))
    T[:, 0, 1] = pi1 * (1.0 - decay)
    T[:, 0, 0] = 1.0 - T[:, 0, 1]
    T[:, 1, 0] = pi0 * (1.0 - decay)
    T[:, 1, 1] = 1.0 - T[:, 1, 0]
    return T


def mix(mu: NDArray, xm: NDArray, Pm: NDArray, T: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """IMM interaction step.

    Parameters
    ----------
    mu : (k, M) mode probabilities
    xm, Pm : (k, M, NX), (k, M, NX, NX) mode-matched estimates
    T : (k, M, M) mode transition probabilities

    Returns
    -------
    c : (k, M) predicted mode probabilities
    x0, P0 : mixed initial conditions of each model
    """
    joint = mu[:, :, None] * T  # (k, i, j)
    c = joint.sum(axis=1)
    w = joint / np.maximum(c[:, None, :], 1e-300)  # mu_{i|j}
    x0 = np.einsum("kij,kia->kja", w, xm)
    d = xm[:, :, None, :] - x0[:, None, :, :]  # (k, i, j, a)
    P0 = np.einsum("kij,kiab->kjab", w, Pm) + np.einsum("kij,kija,kijb->kjab", w, d, d)
    return c, x0, P0


def combine(mu: NDArray, xm: NDArray, Pm: NDArray) -> tuple[NDArray, NDArray]:
    """Moment-matched combination (k, NX), (k, NX, NX) of the models' estimates."""
    x = np.einsum("kj,kja->ka", mu, xm)
    d = xm - x[:, None, :]
    P = np.einsum("kj,kjab->kab", mu, Pm) + np.einsum("kj,kja,kjb->kab", mu, d, d)
    return x, P


def _wna_noise(dt: NDArray, q: NDArray, axes: slice) -> NDArray:
    """White-noise-acceleration process noise blocks for position/velocity axes."""
    Q = np.zeros((dt.size, NX, NX))
    ad = np.abs(dt)
    idx = np.arange(3)[axes]
    Q[:, idx, idx] = (q * ad**3 / 3.0)[:, None]
    Q[:, idx, idx + 3] = (q * ad**2 / 2.0)[:, None] * np.sign(dt)[:, None]
    Q[:, idx + 3, idx] = Q[:, idx, idx + 3]
    Q[:, idx + 3, idx + 3] = (q * ad)[:, None]
    return Q


def predict_cv(x: NDArray, P: NDArray, dt_s: NDArray, q_cv: float) -> tuple[NDArray, NDArray]:
    """NCV prediction of (k, NX) states over dt_s (k,); the turn rate is reset to zero."""
    k = x.shape[0]
    x_new = x.copy()
    x_new[:, :3] += x[:, 3:6] * dt_s[:, None]
    x_new[:, 6] = 0.0
    F = np.zeros((k, NX, NX))
    i3 = np.arange(6)
    F[:, i3, i3] = 1.0
    F[:, np.arange(3), np.arange(3) + 3] = dt_s[:, None]
    P_new = F @ P @ F.transpose(0, 2, 1) + _wna_noise(dt_s, np.full(k, q_cv), slice(0, 3))
    # A tiny turn-rate variance keeps the mixed covariances positive definite.
    P_new[:, 6, 6] = 1e-12
    return x_new, P_new


def _turn_terms(w: NDArray, T: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """sin(wT)/w, (1 - cos wT)/w and their derivatives in w, with small-angle series."""
    wT = w * T
    small = np.abs(wT) < SMALL_TURN
    w_safe = np.where(small, 1.0, w)
    s_w, c_w = np.sin(wT), np.cos(wT)
    s = np.where(small, T - w * w * T**3 / 6.0, s_w / w_safe)
    c = np.where(small, w * T**2 / 2.0, (1.0 - c_w) / w_safe)
    ds = np.where(small, -w * T**3 / 3.0, (T * c_w - s) / w_safe)
    dc = np.where(small, T**2 / 2.0, (T * s_w - c) / w_safe)
    return s, c, ds, dc


def predict_ct(
    x: NDArray, P: NDArray, dt_s: NDArray, q_ct: float, q_turn: float
) -> tuple[NDArray, NDArray]:
    """Coordinated-turn EKF prediction of (k, NX) states over dt_s (k,)."""
    k = x.shape[0]
    T = dt_s
    ve, vn, w = x[:, 3], x[:, 4], x[:, 6]
    s, c, ds, dc = _turn_terms(w, T)
    cw, sw = np.cos(w * T), np.sin(w * T)
    x_new = x.copy()
    x_new[:, 0] += s * ve - c * vn
    x_new[:, 1] += c * ve + s * vn
    x_new[:, 2] += x[:, 5] * T
    x_new[:, 3] = cw * ve - sw * vn
    x_new[:, 4] = sw * ve + cw * vn
    F = np.zeros((k, NX, NX))
    F[:, np.arange(NX), np.arange(NX)] = 1.0
    F[:, 0, 3], F[:, 0, 4], F[:, 0, 6] = s, -c, ds * ve - dc * vn
    F[:, 1, 3], F[:, 1, 4], F[:, 1, 6] = c, s, dc * ve + ds * vn
    F[:, 2, 5] = T
    F[:, 3, 3], F[:, 3, 4], F[:, 3, 6] = cw, -sw, -T * (sw * ve + cw * vn)
    F[:, 4, 3], F[:, 4, 4], F[:, 4, 6] = sw, cw, T * (cw * ve - sw * vn)
    P_new = F @ P @ F.transpose(0, 2, 1) + ct_noise(x, T, q_ct, q_turn)
    return x_new, P_new


def predict_models(
    xm: NDArray,
    Pm: NDArray,
    dt_s: NDArray,
    q_cv: float,
    q_ct: float,
    q_turn: float,
) -> tuple[NDArray, NDArray]:
    """Mode-matched predictions of (k, M, NX) states over dt_s (k,)."""
    x_out = np.empty_like(xm)
    P_out = np.empty_like(Pm)
    x_out[:, CV], P_out[:, CV] = predict_cv(xm[:, CV], Pm[:, CV], dt_s, q_cv)
    x_out[:, CT], P_out[:, CT] = predict_ct_unscented(xm[:, CT], Pm[:, CT], dt_s, q_ct, q_turn)
    return x_out, P_out


def ct_transition(x: NDArray, dt_s: NDArray) -> NDArray:
    """Coordinated-turn motion of states (k, NX) over dt_s (k,), without noise."""
    T = dt_s
    ve, vn, w = x[:, 3], x[:, 4], x[:, 6]
    s, c, _, _ = _turn_terms(w, T)
    cw, sw = np.cos(w * T), np.sin(w * T)
    out = x.copy()
    out[:, 0] += s * ve - c * vn
    out[:, 1] += c * ve + s * vn
    out[:, 2] += x[:, 5] * T
    out[:, 3] = cw * ve - sw * vn
    out[:, 4] = sw * ve + cw * vn
    return out


def predict_ct_unscented(
    x: NDArray, P: NDArray, dt_s: NDArray, q_ct: float, q_turn: float
) -> tuple[NDArray, NDArray]:
    """Coordinated-turn prediction by the unscented transform (2 NX sigma points).

    The turn rate is uncertain by up to tenths of a radian per second right
    after a turn starts; over a 2 s scan the linearisation of sin(w T) and
    cos(w T) then understates the spread of the predicted positions (the EKF
    becomes overconfident). Symmetric sigma points at +- sqrt(NX) columns of a
    Cholesky factor, equal weights (Julier and Uhlmann 2004, kappa = 0).
    """
    k = x.shape[0]
    L = np.linalg.cholesky(P + 1e-9 * np.eye(NX)[None])
    spread = np.sqrt(NX) * np.concatenate([L, -L], axis=2)  # (k, NX, 2 NX)
    sig = x[:, :, None] + spread
    pts = sig.transpose(0, 2, 1).reshape(k * 2 * NX, NX)
    moved = ct_transition(pts, np.repeat(dt_s, 2 * NX)).reshape(k, 2 * NX, NX)
    mean = moved.mean(axis=1)
    d = moved - mean[:, None, :]
    cov = np.einsum("kia,kib->kab", d, d) / (2 * NX)
    return mean, cov + ct_noise(x, dt_s, q_ct, q_turn)


def ct_noise(x: NDArray, dt_s: NDArray, q_ct: float, q_turn: float) -> NDArray:
    """(k, NX, NX) process noise of the coordinated-turn model over dt_s (k,).

    White-noise acceleration ``q_ct`` per axis, and the turn rate as a random
    walk of intensity ``q_turn``, whose effect on the heading, hence on the
    horizontal velocity and position, over the step is included to first
    order: the heading error theta(T) = int_0^T dw has variance q_turn T^3 / 3
    and moves the velocity along g = (-vn, ve), so that
    Q_vv += q_turn T^3/3 g g', Q_pv += q_turn T^4/8 g g', Q_pp += q_turn T^5/20 g g',
    Q_vw += q_turn T^2/2 g, Q_pw += q_turn T^3/6 g, Q_ww = q_turn T. Leaving
    these out makes the filter overconfident in its velocity on turning tracks.
    """
    k = x.shape[0]
    T = np.abs(dt_s)
    sgn = np.sign(dt_s)
    Q = _wna_noise(dt_s, np.full(k, q_ct), slice(0, 3))
    g = np.stack([-x[:, 4], x[:, 3]], axis=1)  # (k, 2)
    gg = g[:, :, None] * g[:, None, :]
    qt = q_turn
    Q[:, :2, :2] += (qt * T**5 / 20.0)[:, None, None] * gg
    Q[:, :2, 3:5] += (qt * T**4 / 8.0 * sgn)[:, None, None] * gg
    Q[:, 3:5, :2] += (qt * T**4 / 8.0 * sgn)[:, None, None] * gg
    Q[:, 3:5, 3:5] += (qt * T**3 / 3.0)[:, None, None] * gg
    Q[:, :2, 6] += (qt * T**3 / 6.0)[:, None] * g
    Q[:, 6, :2] = Q[:, :2, 6]
    Q[:, 3:5, 6] += (qt * T**2 / 2.0 * sgn)[:, None] * g
    Q[:, 6, 3:5] = Q[:, 3:5, 6]
    Q[:, 6, 6] = qt * T
    return Q
