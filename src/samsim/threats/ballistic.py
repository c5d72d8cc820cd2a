"""Short-range ballistic missiles: a true ballistic arc from launch to impact.

After an instantaneous boost (the missile leaves the surface with its burn-out
velocity) it flies under inverse-square gravity toward the centre of the
engine's local sphere, GM = g0 R^2, and optionally drag on the way down (re-
entry) in the standard atmosphere with a ballistic coefficient
beta = m / (Cd A): a = -GM r / |r|^3 - rho(h) |v| v / (2 beta). The drag of the
climb through the dense air is part of the boost, which is not modelled.
Integration is classical RK4 in fixed sub-steps (``BALLISTIC_STEP_S``); impact
is interpolated to the surface inside the last sub-step.

The launch velocity is found at build time, in the vertical plane through the
launch and aim points: the flight-path angle and speed for which the arc
reaches the catalog apogee (height above the launch point's surface) and comes
down on the aim point. Without drag it comes from Keplerian closed forms (the
free-flight range equation, Bate, Mueller and White, *Fundamentals of
Astrodynamics*, 1971, sec. 6.2, and the apoapsis radius a (1 + e)); with drag it
is refined by Newton iterations on the integrated arc. A drag-free arc flown by
the integrator matches the closed-form range (docs/validation.md).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.interceptors.atmosphere import G0_MPS2, isa_rho_a

BALLISTIC_STEP_S = 0.25


@jit
def _accel(x, y, z, vx, vy, vz, gm, radius, inv_2beta):  # pragma: no cover - compiled
    cz = z + radius
    r2 = x * x + y * y + cz * cz
    r = np.sqrt(r2)
    k = -gm / (r2 * r)
    ax, ay, az = k * x, k * y, k * cz
    if inv_2beta > 0.0 and vx * x + vy * y + vz * cz < 0.0:  # descending
        alt = r - radius
        if alt < 90_000.0:
            rho, _ = isa_rho_a(alt)
            sp = np.sqrt(vx * vx + vy * vy + vz * vz)
            d = rho * sp * inv_2beta
            ax -= d * vx
            ay -= d * vy
            az -= d * vz
    return ax, ay, az


@jit
def _rk4(s, h, gm, radius, inv_2beta):  # pragma: no cover - compiled
    """One RK4 step of the state s = (x, y, z, vx, vy, vz); returns the new state."""
    x, y, z, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
    a1 = _accel(x, y, z, vx, vy, vz, gm, radius, inv_2beta)
    x2, y2, z2 = x + 0.5 * h * vx, y + 0.5 * h * vy, z + 0.5 * h * vz
    vx2, vy2, vz2 = vx + 0.5 * h * a1[0], vy + 0.5 * h * a1[1], vz + 0.5 * h * a1[2]
    a2 = _accel(x2, y2, z2, vx2, vy2, vz2, gm, radius, inv_2beta)
    x3, y3, z3 = x + 0.5 * h * vx2, y + 0.5 * h * vy2, z + 0.5 * h * vz2
    vx3, vy3, vz3 = vx + 0.5 * h * a2[0], vy + 0.5 * h * a2[1], vz + 0.5 * h * a2[2]
    a3 = _accel(x3, y3, z3, vx3, vy3, vz3, gm, radius, inv_2beta)
    x4, y4, z4 = x + h * vx3, y + h * vy3, z + h * vz3
    vx4, vy4, vz4 = vx + h * a3[0], vy + h * a3[1], vz + h * a3[2]
    a4 = _accel(x4, y4, z4, vx4, vy4, vz4, gm, radius, inv_2beta)
    out = np.empty(6)
    out[0] = x + h / 6.0 * (vx + 2 * vx2 + 2 * vx3 + vx4)
    out[1] = y + h / 6.0 * (vy + 2 * vy2 + 2 * vy3 + vy4)
    out[2] = z + h / 6.0 * (vz + 2 * vz2 + 2 * vz3 + vz4)
    out[3] = vx + h / 6.0 * (a1[0] + 2 * a2[0] + 2 * a3[0] + a4[0])
    out[4] = vy + h / 6.0 * (a1[1] + 2 * a2[1] + 2 * a3[1] + a4[1])
    out[5] = vz + h / 6.0 * (a1[2] + 2 * a2[2] + 2 * a3[2] + a4[2])
    return out


@jit
def _altitude(s, radius):  # pragma: no cover - compiled
    return np.sqrt(s[0] * s[0] + s[1] * s[1] + (s[2] + radius) ** 2) - radius


@jit
def fly_ballistic_kernel(pos, vel, acc, rows, inv_2beta, dt, radius, done):  # pragma: no cover
    """Advance ballistic rows by dt (RK4 sub-steps); mark rows that hit the surface."""
    gm = G0_MPS2 * radius * radius
    n_sub = max(1, int(np.ceil(dt / BALLISTIC_STEP_S - 1e-9)))
    h = dt / n_sub
    s = np.empty(6)
    for k in range(rows.size):
        i = rows[k]
        for c in range(3):
            s[c] = pos[i, c]
            s[3 + c] = vel[i, c]
        for _ in range(n_sub):
            alt0 = _altitude(s, radius)
            nxt = _rk4(s, h, gm, radius, inv_2beta[i])
            alt1 = _altitude(nxt, radius)
            descending = nxt[3] * nxt[0] + nxt[4] * nxt[1] + nxt[5] * (nxt[2] + radius) < 0.0
            if alt1 <= 0.0 and descending:
                f = alt0 / max(alt0 - alt1, 1e-12)
                for c in range(6):
                    s[c] = s[c] + f * (nxt[c] - s[c])
                done[k] = True
                break
            for c in range(6):
                s[c] = nxt[c]
        for c in range(3):
            acc[i, c] = (s[3 + c] - vel[i, c]) / dt
            pos[i, c] = s[c]
            vel[i, c] = s[3 + c]


@jit
def _trajectory_2d(v0, gamma, radius, inv_2beta, h):  # pragma: no cover - compiled
    """Range angle [rad], apogee [m] and time of flight [s] of an arc launched from the
    surface at (0, 0, 0) in the north-up plane."""
    gm = G0_MPS2 * radius * radius
    s = np.zeros(6)
    s[4] = v0 * np.cos(gamma)
    s[5] = v0 * np.sin(gamma)
    apogee = 0.0
    t = 0.0
    while t < 4000.0:
        nxt = _rk4(s, h, gm, radius, inv_2beta)
        alt1 = _altitude(nxt, radius)
        if alt1 > apogee:
            apogee = alt1
        if alt1 <= 0.0 and t > 0.0:
            alt0 = _altitude(s, radius)
            f = alt0 / max(alt0 - alt1, 1e-12)
            for c in range(6):
                s[c] = s[c] + f * (nxt[c] - s[c])
            t += f * h
            break
        for c in range(6):
            s[c] = nxt[c]
        t += h
    angle = np.arctan2(s[1], s[2] + radius)
    return angle, apogee, t


def arc_range_m(
    speed_mps: float, gamma_rad: float, radius_m: float, beta_kgpm2: float = 0.0
) -> tuple[float, float, float]:
    """Ground range [m], apogee [m] and time of flight [s] of samsim's ballistic arc."""
    inv = 0.0 if beta_kgpm2 <= 0 else 0.5 / beta_kgpm2
    ang, apo, t = _trajectory_2d(speed_mps, gamma_rad, radius_m, inv, BALLISTIC_STEP_S / 5)
    return float(ang * radius_m), float(apo), float(t)


def free_flight_range_m(speed_mps: float, gamma_rad: float, radius_m: float) -> float:
    """Closed-form Keplerian range over a sphere, launch and impact on the surface.

    Free-flight range equation (Bate, Mueller and White 1971, eq. 6.2-7):
    cos(Psi / 2) = (1 - Q cos^2 g) / sqrt(1 + Q (Q - 2) cos^2 g), Q = v^2 r / GM.
    """
    gm = G0_MPS2 * radius_m**2
    q = speed_mps**2 * radius_m / gm
    c2 = math.cos(gamma_rad) ** 2
    cos_half = (1.0 - q * c2) / math.sqrt(1.0 + q * (q - 2.0) * c2)
    return 2.0 * math.acos(max(-1.0, min(1.0, cos_half))) * radius_m


def kepler_arc(speed_mps: float, gamma_rad: float, radius_m: float) -> tuple[float, float]:
    """Closed-form ground range [m] and apogee [m] of a drag-free arc from the surface."""
    gm = G0_MPS2 * radius_m**2
    rng = free_flight_range_m(speed_mps, gamma_rad, radius_m)
    energy = 0.5 * speed_mps**2 - gm / radius_m
    h_ang = radius_m * speed_mps * math.cos(gamma_rad)
    a = -gm / (2.0 * energy)
    e = math.sqrt(max(1.0 + 2.0 * energy * h_ang**2 / gm**2, 0.0))
    return rng, a * (1.0 + e) - radius_m


def kepler_launch(ground_range_m: float, apogee_m: float, radius_m: float) -> tuple[float, float]:
    """Burn-out speed [m/s] and flight-path angle [rad] of the drag-free arc from the
    surface with this range and apogee, in closed form.

    The arc is symmetric about its apoapsis r_a = R + H, which lies at true
    anomaly pi; launch is at pi - Psi/2 (Psi = range / R). From r = p / (1 + e cos
    nu): e = (r_a - R) / (r_a - R cos(Psi/2)), p = r_a (1 - e); then h = sqrt(GM p)
    = R v cos(gamma) and v^2 = GM (2/R - 1/a), a = p / (1 - e^2).
    """
    gm = G0_MPS2 * radius_m**2
    r_a = radius_m + apogee_m
    half = 0.5 * ground_range_m / radius_m
    e = (r_a - radius_m) / (r_a - radius_m * math.cos(half))
    p = r_a * (1.0 - e)
    a = p / (1.0 - e * e)
    v = math.sqrt(gm * (2.0 / radius_m - 1.0 / a))
    gamma = math.acos(min(1.0, math.sqrt(gm * p) / (radius_m * v)))
    return v, gamma


def solve_launch(
    ground_range_m: float, apogee_m: float, radius_m: float, beta_kgpm2: float = 0.0
) -> tuple[float, float, float]:
    """Burn-out speed [m/s], flight-path angle [rad] and time of flight [s] of the arc
    that reaches ``apogee_m`` and lands ``ground_range_m`` away.

    Drag-free: the Keplerian closed form (``kepler_launch``). With drag: Newton
    iterations from there on the integrated arc.
    """
    if ground_range_m <= 0 or apogee_m <= 0:
        raise ValueError("ground_range_m and apogee_m must be positive")
    v, gamma = kepler_launch(ground_range_m, apogee_m, radius_m)
    inv = 0.0 if beta_kgpm2 <= 0 else 0.5 / beta_kgpm2
    h = BALLISTIC_STEP_S
    if inv > 0.0:
        x = np.array([v, gamma])
        target = np.array([ground_range_m, apogee_m])

        def resid(p: NDArray) -> NDArray:
            ang, apo, _ = _trajectory_2d(p[0], p[1], radius_m, inv, h)
            return np.array([ang * radius_m, apo]) - target

        for _ in range(12):
            f = resid(x)
            if abs(f[0]) < 1.0 and abs(f[1]) < 1.0:
                break
            jac = np.empty((2, 2))
            for c, step in enumerate((0.5, 1e-5)):
                dx = x.copy()
                dx[c] += step
                jac[:, c] = (resid(dx) - f) / step
            x = x - np.linalg.solve(jac, f)
        v, gamma = float(x[0]), float(x[1])
    _, _, tof = _trajectory_2d(v, gamma, radius_m, inv, h)
    return v, gamma, tof


def launch_velocity(
    start_enu_m: NDArray, aim_enu_m: NDArray, apogee_m: float, radius_m: float, beta_kgpm2: float
) -> tuple[NDArray, float]:
    """ENU burn-out velocity (3,) [m/s] from ``start`` toward ``aim``, and time of flight [s]."""
    c = np.array([0.0, 0.0, -radius_m])
    a = np.asarray(start_enu_m, dtype=float) - c
    b = np.asarray(aim_enu_m, dtype=float) - c
    up = a / np.linalg.norm(a)
    ang = math.acos(float(np.clip(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1)))
    ground = ang * radius_m
    v, gamma, tof = solve_launch(ground, apogee_m, radius_m, beta_kgpm2)
    horiz = b - np.dot(b, up) * up
    horiz = horiz / max(np.linalg.norm(horiz), 1e-9)
    return v * (math.cos(gamma) * horiz + math.sin(gamma) * up), tof
