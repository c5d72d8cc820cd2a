"""Linearised homing loop of proportional navigation: forward and adjoint models.

The textbook linear engagement (Zarchan, *Tactical and Strategic Missile
Guidance*, AIAA, ch. 2-6): relative displacement y across the initial line of
sight, y'' = n_T - n_L; the PN command n_c = N' V_c lambda' with the
line-of-sight angle lambda = y / (V_c t_go), so
n_c = N' (y + y' t_go) / t_go^2; a guidance system of one time constant T,
n_L' = (n_c - n_L) / T (T = 0: n_L = n_c). Heading error HE enters as
y'(0) = -V_M HE; a step target manoeuvre as n_T from t = 0. The miss distance
is y(t_F).

``linear_miss`` integrates that system forward for one flight time;
``adjoint_miss`` integrates its adjoint once, backwards in time to go, and so
gives the miss for every flight time at once (Zarchan ch. 3): with
x = (y, y', n_L), x' = A(t_go) x + B n_T and miss = C x(t_F), the adjoint
z' = A(tau)^T z, z(0) = C^T, run in tau = t_go, gives the step-manoeuvre miss
n_T * integral_0^t_F z_2 dtau and the heading-error miss z_2(t_F) y'(0).
``closed_form_step_miss`` and ``closed_form_heading_miss`` are the published
closed forms (PUBLIC-DATA 4.1) they are checked against in docs/validation.md.
samsim's full nonlinear engagement (``flyout``) is checked against the same
curves there.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from samsim._jit import jit

TGO_EPS_S = 1e-5  # t_go floor, as in Zarchan's listings


@jit
def _linear_rhs(y, yd, nl, tgo, nav, lag, n_t):  # pragma: no cover - compiled
    nc = nav * (y + yd * tgo) / (tgo * tgo)
    if lag <= 0.0:
        return yd, n_t - nc, 0.0, nc
    return yd, n_t - nl, (nc - nl) / lag, nc


@jit
def _linear_kernel(nav, lag, t_f, n_t, yd0, n_steps, k_stop):  # pragma: no cover - compiled
    """RK4 of the linear homing loop up to step k_stop; returns (y, n_c) there."""
    h = t_f / n_steps
    y, yd, nl = 0.0, yd0, 0.0
    for k in range(k_stop):
        tgo = t_f - k * h + TGO_EPS_S
        a1, b1, c1, _ = _linear_rhs(y, yd, nl, tgo, nav, lag, n_t)
        a2, b2, c2, _ = _linear_rhs(
            y + 0.5 * h * a1, yd + 0.5 * h * b1, nl + 0.5 * h * c1, tgo - 0.5 * h, nav, lag, n_t
        )
        a3, b3, c3, _ = _linear_rhs(
            y + 0.5 * h * a2, yd + 0.5 * h * b2, nl + 0.5 * h * c2, tgo - 0.5 * h, nav, lag, n_t
        )
        a4, b4, c4, _ = _linear_rhs(y + h * a3, yd + h * b3, nl + h * c3, tgo - h, nav, lag, n_t)
        y += h / 6.0 * (a1 + 2 * a2 + 2 * a3 + a4)
        yd += h / 6.0 * (b1 + 2 * b2 + 2 * b3 + b4)
        nl += h / 6.0 * (c1 + 2 * c2 + 2 * c3 + c4)
    tgo = t_f - k_stop * h + TGO_EPS_S
    _, _, _, nc = _linear_rhs(y, yd, nl, tgo, nav, lag, n_t)
    return y, nc


def linear_miss(
    nav_ratio: float,
    lag_s: float,
    flight_time_s: float,
    *,
    target_accel_mps2: float = 0.0,
    heading_error_rad: float = 0.0,
    missile_speed_mps: float = 1.0,
    n_steps: int = 20_000,
) -> float:
    """Miss distance [m] of the linear homing loop (forward RK4).

    ``lag_s`` 0 is the zero-lag loop (n_L = n_c). The closing speed cancels out
    of the linear loop; heading error enters through the missile speed.
    """
    if flight_time_s <= 0:
        raise ValueError(f"flight_time_s: must be > 0, got {flight_time_s}")
    yd0 = -missile_speed_mps * heading_error_rad
    miss, _ = _linear_kernel(
        float(nav_ratio),
        float(lag_s),
        float(flight_time_s),
        float(target_accel_mps2),
        yd0,
        int(n_steps),
        int(n_steps),
    )
    return float(miss)


def linear_command(
    nav_ratio: float,
    lag_s: float,
    flight_time_s: float,
    fraction: float,
    *,
    target_accel_mps2: float = 1.0,
    n_steps: int = 20_000,
) -> float:
    """PN command n_c [m/s^2] of the linear loop at t = ``fraction`` t_F, step manoeuvre."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction: must be in [0, 1), got {fraction}")
    _, nc = _linear_kernel(
        float(nav_ratio),
        float(lag_s),
        float(flight_time_s),
        float(target_accel_mps2),
        0.0,
        int(n_steps),
        round(fraction * n_steps),
    )
    return float(nc)


@jit
def _adjoint_rhs(z0, z1, z2, tau, nav, lag):  # pragma: no cover - compiled
    return (
        nav / (lag * tau * tau) * z2,
        z0 + nav / (lag * tau) * z2,
        -z1 - z2 / lag,
        z1,
    )


@jit
def _adjoint_kernel(nav, lag, tau_max, n_steps, out_step, out_he):  # pragma: no cover
    h = tau_max / n_steps
    tau = TGO_EPS_S * lag
    z0, z1, z2 = 1.0, tau, -0.5 * tau * tau
    zi = 0.5 * tau * tau
    out_step[0] = zi
    out_he[0] = z1
    for k in range(n_steps):
        a1, b1, c1, d1 = _adjoint_rhs(z0, z1, z2, tau, nav, lag)
        a2, b2, c2, d2 = _adjoint_rhs(
            z0 + 0.5 * h * a1, z1 + 0.5 * h * b1, z2 + 0.5 * h * c1, tau + 0.5 * h, nav, lag
        )
        a3, b3, c3, d3 = _adjoint_rhs(
            z0 + 0.5 * h * a2, z1 + 0.5 * h * b2, z2 + 0.5 * h * c2, tau + 0.5 * h, nav, lag
        )
        a4, b4, c4, d4 = _adjoint_rhs(z0 + h * a3, z1 + h * b3, z2 + h * c3, tau + h, nav, lag)
        z0 += h / 6.0 * (a1 + 2 * a2 + 2 * a3 + a4)
        z1 += h / 6.0 * (b1 + 2 * b2 + 2 * b3 + b4)
        z2 += h / 6.0 * (c1 + 2 * c2 + 2 * c3 + c4)
        zi += h / 6.0 * (d1 + 2 * d2 + 2 * d3 + d4)
        tau += h
        out_step[k + 1] = zi
        out_he[k + 1] = z1


def adjoint_miss(
    nav_ratio: float, lag_s: float, max_flight_time_s: float, n_steps: int = 20_000
) -> tuple[NDArray, NDArray, NDArray]:
    """Miss for every flight time from one adjoint run of the single-lag PN loop.

    Returns
    -------
    flight_time_s : (n_steps + 1,) [s]
    miss_per_step_accel : miss per unit step target acceleration, M / n_T [s^2]
    miss_per_initial_rate : miss per unit initial y' (heading error: y'(0) =
        -V_M HE), M / y'(0) [s]
    """
    if lag_s <= 0:
        raise ValueError(f"lag_s: the adjoint model needs a time constant > 0, got {lag_s}")
    out_step = np.empty(n_steps + 1)
    out_he = np.empty(n_steps + 1)
    _adjoint_kernel(
        float(nav_ratio), float(lag_s), float(max_flight_time_s), int(n_steps), out_step, out_he
    )
    t = TGO_EPS_S * lag_s + np.arange(n_steps + 1) * (max_flight_time_s / n_steps)
    return t, out_step, out_he


def closed_form_step_miss(nav_ratio: int, x: ArrayLike) -> NDArray:
    """Published normalised miss M / (n_T T^2) for a step target manoeuvre, x = t_F / T.

    Zarchan, single time constant, PUBLIC-DATA 4.1: N' = 3: x^2 e^-x / 2;
    4: x^2 e^-x (1 - x/3) / 2; 5: x^2 e^-x (1 - 2x/3 + x^2/12) / 2.
    """
    x = np.asarray(x, dtype=float)
    base = 0.5 * x**2 * np.exp(-x)
    poly = {3: 1.0, 4: 1.0 - x / 3.0, 5: 1.0 - 2.0 * x / 3.0 + x**2 / 12.0}
    if nav_ratio not in poly:
        raise ValueError(f"nav_ratio: closed forms exist for 3, 4 and 5, got {nav_ratio}")
    return base * poly[nav_ratio]


def closed_form_heading_miss(nav_ratio: int, x: ArrayLike) -> NDArray:
    """Published normalised miss M / (V_M HE T) for heading error, x = t_F / T.

    PUBLIC-DATA 4.1: N' = 3: -x e^-x (1 - x/2); 4: -x e^-x (1 - x + x^2/6);
    5: -x e^-x (1 - 3x/2 + x^2/2 - x^3/24).
    """
    x = np.asarray(x, dtype=float)
    base = -x * np.exp(-x)
    poly = {
        3: 1.0 - x / 2.0,
        4: 1.0 - x + x**2 / 6.0,
        5: 1.0 - 1.5 * x + 0.5 * x**2 - x**3 / 24.0,
    }
    if nav_ratio not in poly:
        raise ValueError(f"nav_ratio: closed forms exist for 3, 4 and 5, got {nav_ratio}")
    return base * poly[nav_ratio]


__all__ = [
    "adjoint_miss",
    "closed_form_heading_miss",
    "closed_form_step_miss",
    "linear_command",
    "linear_miss",
]
