"""Interceptor fly-out: 3-DOF point mass over the curved earth, with guidance and fuzing.

Forces on each round (all per unit mass):

- motor thrust along the velocity, boost then sustain then coast, mass falling
  with the propellant burnt (one specific impulse per motor);
- drag q S (Cd0(M) + k CL^2) against the velocity: q = rho v^2 / 2 in the ICAO
  standard atmosphere (``atmosphere.isa_rho_a``), Cd0 interpolated in the
  catalog's Mach table, and induced drag from the lift the manoeuvre needs,
  CL = m a_lat / (q S) (k = ``induced_drag_factor``);
- gravity g0 (R / (R + h))^2 toward the centre of the local sphere;
- a lateral acceleration: the guidance command, limited to the smaller of the
  structural g-limit and what the airframe and the thrust vector can make,
  q S CL_max / m + T sin(delta_max) / m (the aerodynamic limit falls with
  dynamic pressure, so a slow or high round turns poorly), and passed through
  a first-order guidance lag of time constant T (exact discretisation).

Guidance. For ``canister_clear_s`` after launch the round flies straight out of
its canister (vertical or inclined, from the launcher catalog); then it pitches
over toward its aim. Mid-course is inertial: it steers by proportional
navigation toward the predicted intercept point (PIP) of the FDC's latest
datalink estimate of its target (extrapolated at constant velocity, the time
to go from the range and the type's planning speed), raised by a loft of
``loft_gain`` times the ground range to go (at most ``loft_max_m``) so that the
long fly-out happens in thin air. Once the seeker has locked (``seeker.acquire``,
called by the engine before each step), the round homes on the real object by
proportional navigation a = N' Vc (Omega x m_hat), with Omega the
line-of-sight rate and m_hat its own velocity direction (pure PN: the command
is across the velocity, which an airframe can produce at any look angle), or
augmented PN adding N'/2 times the target acceleration across the line of
sight, seen through seeker angle noise; gravity across the velocity is
compensated throughout.

Fuzing and kill: each sub-step the closest point of approach (CPA) to the
locked object is found by taking the relative motion inside the sub-step as
straight; the warhead fires there and kills with the Carleton damage function
P_k = P_0 exp(-(miss / R_L)^2), P_0 = ``pk_in_lethal_radius`` and R_L =
``lethal_radius_m``. Self-destruct: when the flight time runs out, when the
motor has burnt out and the speed falls below the type's minimum, on hitting
the ground, or when its locked target is gone.

The per-round arithmetic runs in a compiled kernel (``_fly_kernel``): for the
few to few hundred rounds in flight, array expressions spent far more time in
call overhead than in arithmetic (docs/benchmarks.md). Random numbers are drawn
outside the kernel from the replication's Generator, one set per round and
sub-step, so results do not depend on the order rounds are processed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo import LocalFrame
from samsim.interceptors.atmosphere import G0_MPS2, isa_rho_a
from samsim.interceptors.params import (
    P_A_STRUCT,
    P_APN,
    P_AREA,
    P_CL_MAX,
    P_CLEAR_S,
    P_K_INDUCED,
    P_LAG_S,
    P_LETHAL_R,
    P_LOFT_GAIN,
    P_LOFT_MAX,
    P_MASS,
    P_MDOT_BOOST,
    P_MDOT_SUSTAIN,
    P_NAV,
    P_PK0,
    P_PROP,
    P_SEEKER_NOISE,
    P_SIN_TVC,
    P_T_BOOST,
    P_T_MAX,
    P_T_SUSTAIN,
    P_THR_BOOST,
    P_THR_SUSTAIN,
    P_V_MIN,
    P_V_PLAN,
    InterceptorTable,
)
from samsim.interceptors.state import (
    DONE,
    END_KILL,
    END_MISS,
    END_SELF_DESTRUCT,
    NO_END,
    Interceptors,
)

GLINT_M = 0.5  # floor of the seeker's position noise (target extent)
GROUND_GRACE_S = 2.0  # a round below the surface this long after launch has crashed
KILL_RADII = 4.0  # beyond this many lethal radii the Carleton P_k is treated as 0


# Why a round self-destructed.
SD_NONE, SD_TIME, SD_ENERGY, SD_GROUND, SD_TARGET_GONE = 0, 1, 2, 3, 4
SD_NAMES = ("", "flight_time", "energy", "ground", "target_gone")


@dataclass(slots=True)
class FlyoutEvents:
    """What happened to interceptors during one engine step."""

    locked: list[tuple[int, int, float]]  # (row, air object, time_s)
    ended: list[tuple[int, int, float]]  # (row, end code, time_s)
    killed_air: list[tuple[int, int, float]]  # (air object, row, time_s)
    reasons: dict[int, int] = field(default_factory=dict)  # row -> SD_* of a self-destruct


def kill_probability(miss_m: NDArray, lethal_radius_m: float, pk0: float) -> NDArray:
    """Carleton damage function P_k = P_0 exp(-(miss / R_L)^2) (0 beyond 4 R_L)."""
    m = np.asarray(miss_m, dtype=float)
    return np.where(
        m <= KILL_RADII * lethal_radius_m, pk0 * np.exp(-((m / lethal_radius_m) ** 2)), 0.0
    )


@jit
def _pn(rx, ry, rz, vx, vy, vz, mx, my, mz, nav):  # pragma: no cover - compiled
    """PN command for one round, across its own velocity (pure PN).

    a = N' Vc (Omega x m_hat), Omega = (r x v_rel) / |r|^2 the line-of-sight
    rate, m_hat the round's velocity direction, Vc the closing speed floored at
    the own speed (so that guidance acts early in the fly-out and when the aim
    point is abeam). For small angles this is the textbook a = N' Vc lambda'.
    """
    r2 = max(rx * rx + ry * ry + rz * rz, 1e-6)
    r = np.sqrt(r2)
    ox, oy, oz = (ry * vz - rz * vy) / r2, (rz * vx - rx * vz) / r2, (rx * vy - ry * vx) / r2
    closing = -(rx * vx + ry * vy + rz * vz) / r
    speed = np.sqrt(mx * mx + my * my + mz * mz)
    vc = max(closing, speed)
    s = max(speed, 1e-9)
    hx, hy, hz = mx / s, my / s, mz / s
    ax = nav * vc * (oy * hz - oz * hy)
    ay = nav * vc * (oz * hx - ox * hz)
    az = nav * vc * (ox * hy - oy * hx)
    return ax, ay, az


@jit
def _pn_many(rel, rel_vel, own_vel, nav):  # pragma: no cover - compiled
    out = np.empty_like(rel)
    for i in range(rel.shape[0]):
        out[i, 0], out[i, 1], out[i, 2] = _pn(
            rel[i, 0],
            rel[i, 1],
            rel[i, 2],
            rel_vel[i, 0],
            rel_vel[i, 1],
            rel_vel[i, 2],
            own_vel[i, 0],
            own_vel[i, 1],
            own_vel[i, 2],
            nav[i],
        )
    return out


def pn_command(
    rel_pos_m: NDArray, rel_vel_mps: NDArray, own_vel_mps: NDArray, nav_ratio: NDArray
) -> NDArray:
    """Proportional navigation command (k, 3) [m/s^2], across the own velocity (pure PN).

    a = N Vc (Omega x m_hat), Omega = (r x v_rel) / |r|^2, m_hat the own velocity
    direction, with the closing speed Vc floored at the own speed.
    """
    return _pn_many(
        np.ascontiguousarray(rel_pos_m, float),
        np.ascontiguousarray(rel_vel_mps, float),
        np.ascontiguousarray(own_vel_mps, float),
        np.broadcast_to(np.asarray(nav_ratio, float), (len(rel_pos_m),)).copy(),
    )


@jit
def drag_cd0(mach, cd_mach, cd_value):  # pragma: no cover - compiled
    """Zero-lift drag coefficient at a Mach number: linear in the table, flat outside."""
    n = cd_mach.size
    if mach <= cd_mach[0]:
        return cd_value[0]
    for k in range(1, n):
        if mach <= cd_mach[k]:
            f = (mach - cd_mach[k - 1]) / (cd_mach[k] - cd_mach[k - 1])
            return cd_value[k - 1] + f * (cd_value[k] - cd_value[k - 1])
    return cd_value[n - 1]


def motor(tab: InterceptorTable, type_idx: NDArray, age_s: NDArray) -> tuple[NDArray, NDArray]:
    """Thrust [N] and mass flow [kg/s] at a time since launch."""
    boost = age_s < tab.boost_s[type_idx]
    sustain = ~boost & (age_s < tab.boost_s[type_idx] + tab.sustain_s[type_idx])
    thrust = np.where(
        boost, tab.thrust_boost_n[type_idx], np.where(sustain, tab.thrust_sustain_n[type_idx], 0.0)
    )
    mdot = np.where(
        boost,
        tab.mass_flow_boost_kgps[type_idx],
        np.where(sustain, tab.mass_flow_sustain_kgps[type_idx], 0.0),
    )
    return thrust, mdot


def fly(
    icpt: Interceptors,
    tab: InterceptorTable,
    frame: LocalFrame,
    air_pos0: NDArray,
    air_pos1: NDArray,
    air_vel: NDArray,
    air_flying: NDArray[np.bool_],
    t0_s: float,
    dt_s: float,
    substeps: int | NDArray,
    rng: np.random.Generator | None,
    rows: NDArray[np.intp] | None = None,
    *,
    air_acc: NDArray | None = None,
    gravity_scale: float = 1.0,
) -> FlyoutEvents:
    """Advance flying interceptors over one engine step of ``dt_s``.

    ``air_pos0`` and ``air_pos1`` are the air objects' positions at the start
    and end of the step (threats moved first); positions in between are
    interpolated linearly; ``air_acc`` their accelerations (for augmented PN;
    zero if not given). ``air_flying`` is updated in place when a round kills.
    ``substeps`` is one number for all rows or one per row of ``rows``.
    ``rows`` limits the step to some interceptors. ``rng`` None means no seeker
    noise and kills decided by P_k >= 0.5 (used by envelope and validation runs).
    ``gravity_scale`` 0 switches gravity off (textbook guidance checks only).
    """
    rows = icpt.flying() if rows is None else np.asarray(rows, dtype=np.intp)
    if rows.size == 0:
        return FlyoutEvents([], [], [])
    subs = np.asarray(substeps, dtype=np.int64)
    if subs.shape != rows.shape:
        subs = np.broadcast_to(subs, (rows.size,))
    n_sub = int(subs.max())
    if (n_sub % subs).any():
        raise ValueError(f"substeps: every count must divide the largest ({sorted(set(subs))})")
    if rng is None:
        noise = np.zeros((rows.size, n_sub, 3))
        draw = np.full((rows.size, n_sub), 0.5)
    else:
        noise = rng.standard_normal((rows.size, n_sub, 3))
        draw = rng.random((rows.size, n_sub))
    if air_acc is None:
        air_acc = np.zeros_like(air_vel)
    end_code = np.zeros(rows.size, np.int8)
    end_time = np.zeros(rows.size)
    reason = np.zeros(rows.size, np.int8)
    killed = np.full(rows.size, -1, np.int64)
    _fly_kernel(
        rows,
        icpt.type_idx,
        icpt.pos_enu_m,
        icpt.vel_enu_mps,
        icpt.mass_kg,
        icpt.launch_time_s,
        icpt.est_pos_m,
        icpt.est_vel_mps,
        icpt.est_time_s,
        icpt.locked_idx,
        icpt.accel_cmd_mps2,
        icpt.miss_m,
        tab.kernel,
        tab.cd_mach,
        tab.cd_value,
        air_pos0,
        air_pos1,
        air_vel,
        air_acc,
        air_flying,
        noise,
        draw,
        float(t0_s),
        float(dt_s),
        np.ascontiguousarray(subs),
        frame.radius_m,
        float(gravity_scale),
        end_code,
        end_time,
        reason,
        killed,
    )
    events = FlyoutEvents([], [], [])
    for k in (end_code != NO_END).nonzero()[0]:
        r = int(rows[k])
        icpt.phase[r] = DONE
        icpt.end[r] = end_code[k]
        icpt.end_time_s[r] = end_time[k]
        events.ended.append((r, int(end_code[k]), float(end_time[k])))
        if reason[k]:
            events.reasons[r] = int(reason[k])
        if killed[k] >= 0:
            events.killed_air.append((int(killed[k]), r, float(end_time[k])))
    return events


@jit
def _fly_kernel(
    rows,
    type_idx,
    pos,
    vel,
    mass,
    launch_t,
    est_pos,
    est_vel,
    est_t,
    locked,
    acc_cmd,
    miss_out,
    tp,
    cd_mach,
    cd_value,
    air_p0,
    air_p1,
    air_v,
    air_a,
    air_flying,
    noise,
    draw,
    t0,
    dt,
    substeps,
    radius,
    g_scale,
    end_code,
    end_time,
    reason,
    killed,
):  # pragma: no cover
    # Sub-steps outside, rounds inside: every round reaches time t before any
    # goes further, so a kill is seen by the other rounds only after it happened
    # and the round that arrives first gets the target, whatever its row. Rounds
    # take different numbers of sub-steps; each count divides the largest one,
    # and a round advances on the fine steps that start one of its own.
    s_max = 1
    for k in range(rows.size):
        s_max = max(s_max, substeps[k])
    for s_fine in range(s_max):
        for k in range(rows.size):
            if end_code[k] != NO_END:
                continue
            n_sub = substeps[k]
            stride = s_max // n_sub
            if s_fine % stride != 0:
                continue
            s = s_fine // stride
            i = rows[k]
            ty = type_idx[i]
            area = tp[ty, P_AREA]
            nav = tp[ty, P_NAV]
            h = dt / n_sub
            t = t0 + s * h
            f0 = s / n_sub
            f1 = (s + 1) / n_sub
            px, py, pz = pos[i, 0], pos[i, 1], pos[i, 2]
            vx, vy, vz = vel[i, 0], vel[i, 1], vel[i, 2]
            age = t - launch_t[i]
            speed = max(np.sqrt(vx * vx + vy * vy + vz * vz), 1e-6)
            hx, hy, hz = vx / speed, vy / speed, vz / speed
            cx, cy, cz = px, py, pz + radius
            cr = np.sqrt(cx * cx + cy * cy + cz * cz)
            ux, uy, uz = cx / cr, cy / cr, cz / cr
            alt = cr - radius
            g = g_scale * G0_MPS2 * (radius / (radius + alt)) ** 2
            gx, gy, gz = -g * ux, -g * uy, -g * uz
            rho, a_snd = isa_rho_a(alt)
            q_s = 0.5 * rho * speed * speed * area
            m = mass[i]
            if age < tp[ty, P_T_BOOST]:
                thrust, mdot = tp[ty, P_THR_BOOST], tp[ty, P_MDOT_BOOST]
            elif age < tp[ty, P_T_BOOST] + tp[ty, P_T_SUSTAIN]:
                thrust, mdot = tp[ty, P_THR_SUSTAIN], tp[ty, P_MDOT_SUSTAIN]
            else:
                thrust, mdot = 0.0, 0.0
            # --- guidance command ---
            j = locked[i]
            if j >= 0:
                tx = air_p0[j, 0] + (air_p1[j, 0] - air_p0[j, 0]) * f0
                ty_ = air_p0[j, 1] + (air_p1[j, 1] - air_p0[j, 1]) * f0
                tz = air_p0[j, 2] + (air_p1[j, 2] - air_p0[j, 2]) * f0
                rng_t = np.sqrt((tx - px) ** 2 + (ty_ - py) ** 2 + (tz - pz) ** 2)
                sig = max(tp[ty, P_SEEKER_NOISE] * rng_t, GLINT_M)
                rx = tx + noise[k, s, 0] * sig - px
                ry = ty_ + noise[k, s, 1] * sig - py
                rz = tz + noise[k, s, 2] * sig - pz
                ax, ay, az = _pn(
                    rx,
                    ry,
                    rz,
                    air_v[j, 0] - vx,
                    air_v[j, 1] - vy,
                    air_v[j, 2] - vz,
                    vx,
                    vy,
                    vz,
                    nav,
                )
                if tp[ty, P_APN] > 0.0:
                    # Augmented PN: + N'/2 a_T across the line of sight and the own velocity.
                    rn = max(np.sqrt(rx * rx + ry * ry + rz * rz), 1e-6)
                    lx, ly, lz = rx / rn, ry / rn, rz / rn
                    tax, tay, taz = air_a[j, 0], air_a[j, 1], air_a[j, 2]
                    al = tax * lx + tay * ly + taz * lz
                    tax, tay, taz = tax - al * lx, tay - al * ly, taz - al * lz
                    ah = tax * hx + tay * hy + taz * hz
                    ax += 0.5 * nav * (tax - ah * hx)
                    ay += 0.5 * nav * (tay - ah * hy)
                    az += 0.5 * nav * (taz - ah * hz)
            else:
                # Mid-course: PN toward the lofted predicted intercept point.
                dte = t - est_t[i]
                ex = est_pos[i, 0] + est_vel[i, 0] * dte
                ey = est_pos[i, 1] + est_vel[i, 1] * dte
                ez = est_pos[i, 2] + est_vel[i, 2] * dte
                v_plan = max(speed, tp[ty, P_V_PLAN])
                tgo = np.sqrt((ex - px) ** 2 + (ey - py) ** 2 + (ez - pz) ** 2) / v_plan
                for _ in range(2):
                    qx = ex + est_vel[i, 0] * tgo - px
                    qy = ey + est_vel[i, 1] * tgo - py
                    qz = ez + est_vel[i, 2] * tgo - pz
                    tgo = np.sqrt(qx * qx + qy * qy + qz * qz) / v_plan
                rx = ex + est_vel[i, 0] * tgo - px
                ry = ey + est_vel[i, 1] * tgo - py
                rz = ez + est_vel[i, 2] * tgo - pz
                up_r = rx * ux + ry * uy + rz * uz
                ground = np.sqrt(max(rx * rx + ry * ry + rz * rz - up_r * up_r, 0.0))
                loft = min(tp[ty, P_LOFT_GAIN] * ground, tp[ty, P_LOFT_MAX])
                rx, ry, rz = rx + loft * ux, ry + loft * uy, rz + loft * uz
                ax, ay, az = _pn(rx, ry, rz, -vx, -vy, -vz, vx, vy, vz, nav)
            # Hold the flight path against gravity (its component across the velocity).
            g_along = gx * hx + gy * hy + gz * hz
            ax -= gx - g_along * hx
            ay -= gy - g_along * hy
            az -= gz - g_along * hz
            # Lateral limit: structure, and what lift and the thrust vector can make.
            if age < tp[ty, P_CLEAR_S]:
                a_lim = 0.0
            else:
                a_aero = q_s * tp[ty, P_CL_MAX] / m
                a_lim = min(tp[ty, P_A_STRUCT], a_aero + thrust * tp[ty, P_SIN_TVC] / m)
            mag = np.sqrt(ax * ax + ay * ay + az * az)
            scale = min(1.0, a_lim / max(mag, 1e-9))
            ax, ay, az = ax * scale, ay * scale, az * scale
            lag_s = tp[ty, P_LAG_S]
            alpha = 1.0 if lag_s <= 0.0 else 1.0 - np.exp(-h / lag_s)
            lx = acc_cmd[i, 0] + (ax - acc_cmd[i, 0]) * alpha
            ly = acc_cmd[i, 1] + (ay - acc_cmd[i, 1]) * alpha
            lz = acc_cmd[i, 2] + (az - acc_cmd[i, 2]) * alpha
            # The achieved acceleration stays across the velocity and inside the limit.
            la = lx * hx + ly * hy + lz * hz
            lx, ly, lz = lx - la * hx, ly - la * hy, lz - la * hz
            lmag = np.sqrt(lx * lx + ly * ly + lz * lz)
            if lmag > a_lim:
                c = a_lim / lmag
                lx, ly, lz, lmag = lx * c, ly * c, lz * c, a_lim
            acc_cmd[i, 0], acc_cmd[i, 1], acc_cmd[i, 2] = lx, ly, lz
            # --- drag: zero-lift (Mach table) plus induced by the lift in use ---
            cd0 = drag_cd0(speed / a_snd, cd_mach[ty], cd_value[ty])
            cl = 0.0
            if q_s > 1e-9:
                cl = min(m * lmag / q_s, tp[ty, P_CL_MAX])
            drag = q_s * (cd0 + tp[ty, P_K_INDUCED] * cl * cl)
            axial = (thrust - drag) / m
            nvx = vx + (axial * hx + gx + lx) * h
            nvy = vy + (axial * hy + gy + ly) * h
            nvz = vz + (axial * hz + gz + lz) * h
            vel[i, 0], vel[i, 1], vel[i, 2] = nvx, nvy, nvz
            pos[i, 0] = px + 0.5 * (vx + nvx) * h
            pos[i, 1] = py + 0.5 * (vy + nvy) * h
            pos[i, 2] = pz + 0.5 * (vz + nvz) * h
            mass[i] = max(m - mdot * h, tp[ty, P_MASS] - tp[ty, P_PROP])
            # --- fuzing against the locked object ---
            code = NO_END
            t_end = t + h
            if j >= 0:
                r0x = air_p0[j, 0] + (air_p1[j, 0] - air_p0[j, 0]) * f0 - px
                r0y = air_p0[j, 1] + (air_p1[j, 1] - air_p0[j, 1]) * f0 - py
                r0z = air_p0[j, 2] + (air_p1[j, 2] - air_p0[j, 2]) * f0 - pz
                r1x = air_p0[j, 0] + (air_p1[j, 0] - air_p0[j, 0]) * f1 - pos[i, 0]
                r1y = air_p0[j, 1] + (air_p1[j, 1] - air_p0[j, 1]) * f1 - pos[i, 1]
                r1z = air_p0[j, 2] + (air_p1[j, 2] - air_p0[j, 2]) * f1 - pos[i, 2]
                dvx, dvy, dvz = (r1x - r0x) / h, (r1y - r0y) / h, (r1z - r0z) / h
                dv2 = max(dvx * dvx + dvy * dvy + dvz * dvz, 1e-12)
                ts = min(max(-(r0x * dvx + r0y * dvy + r0z * dvz) / dv2, 0.0), h)
                mx, my, mz = r0x + dvx * ts, r0y + dvy * ts, r0z + dvz * ts
                miss = np.sqrt(mx * mx + my * my + mz * mz)
                if not air_flying[j]:
                    code = END_SELF_DESTRUCT  # its target died or landed: nothing to hit
                    reason[k] = SD_TARGET_GONE
                elif ts < h:  # closest approach inside this sub-step
                    miss_out[i] = miss
                    t_end = t + ts
                    lr = tp[ty, P_LETHAL_R]
                    pk = 0.0
                    if miss <= KILL_RADII * lr:
                        pk = tp[ty, P_PK0] * np.exp(-((miss / lr) ** 2))
                    if draw[k, s] < pk:
                        code = END_KILL
                        air_flying[j] = False
                        killed[k] = j
                    else:
                        code = END_MISS
            if code == NO_END:
                speed_n = np.sqrt(nvx * nvx + nvy * nvy + nvz * nvz)
                burnt = age + h > tp[ty, P_T_BOOST] + tp[ty, P_T_SUSTAIN]
                alt_n = (
                    np.sqrt(pos[i, 0] ** 2 + pos[i, 1] ** 2 + (pos[i, 2] + radius) ** 2) - radius
                )
                if age + h > tp[ty, P_T_MAX]:
                    code, reason[k] = END_SELF_DESTRUCT, SD_TIME
                elif burnt and speed_n < tp[ty, P_V_MIN]:
                    code, reason[k] = END_SELF_DESTRUCT, SD_ENERGY
                elif alt_n < 0.0 and age > GROUND_GRACE_S:
                    code, reason[k] = END_SELF_DESTRUCT, SD_GROUND
            if code != NO_END:
                end_code[k] = code
                end_time[k] = t_end
