"""Interceptor fly-out: 3-DOF point mass with guidance and fuzing.

Forces: motor thrust along the velocity (boost then sustain, mass falling with
the propellant burnt), drag 0.5 rho v^2 Cd A against the velocity in an
exponential atmosphere (scale height 8.5 km; the flight-model issue brings the
standard atmosphere and a Mach-dependent Cd), gravity toward the local
sphere's centre, and a lateral guidance acceleration limited to the catalog
g-limit and passed through a first-order autopilot lag.

Guidance: true proportional navigation, a = N Vc (Omega x r_hat) with
Omega = (r x v) / |r|^2, plus gravity compensation. Mid-course it steers on
the FDC's datalink estimate of the target (extrapolated at constant velocity
from the last uplink), aiming above it while far (loft) to fly in thinner air;
once the estimate comes within seeker range the seeker locks on the nearest
real object to it and guidance switches to that object, seen with angle noise.
Fuzing: each sub-step the closest approach to the locked object is found by
assuming straight relative motion inside the sub-step; the warhead fires
there, and kills with the catalog probability when the miss distance is inside
the lethal radius.

The per-round arithmetic runs in a compiled kernel (``_fly_kernel``): for the
few to few hundred rounds in flight, array expressions spent far more time in
call overhead than in arithmetic (docs/benchmarks.md). Random numbers are drawn
outside the kernel from the replication's Generator, one set per round and
sub-step, so results do not depend on the order rounds are processed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo import LocalFrame
from samsim.interceptors.params import G0_MPS2, InterceptorTable
from samsim.interceptors.state import (
    DONE,
    END_KILL,
    END_MISS,
    END_SELF_DESTRUCT,
    NO_END,
    Interceptors,
)

RHO0_KGPM3 = 1.225
SCALE_HEIGHT_M = 8500.0
AUTOPILOT_LAG_S = 0.1
CANISTER_CLEAR_S = 0.6
FUZE_RANGE_FACTOR = 4.0  # the fuze looks out to this many lethal radii
SEEKER_BASKET_M = 1500.0  # a seeker acquires only objects this close to the uplinked position
GLINT_M = 0.5  # floor of the seeker's position noise
LOFT_GAIN = 0.3  # mid-course aims this fraction of the range-to-go above the target
LOFT_MAX_M = 12_000.0


@dataclass(slots=True)
class FlyoutEvents:
    """What happened to interceptors during one engine step."""

    locked: list[tuple[int, int, float]]  # (row, air object, time_s)
    ended: list[tuple[int, int, float]]  # (row, end code, time_s)
    killed_air: list[tuple[int, int, float]]  # (air object, row, time_s)


def air_density_kgpm3(alt_m: NDArray) -> NDArray:
    """Exponential atmosphere density [kg/m^3]."""
    return RHO0_KGPM3 * np.exp(-np.maximum(alt_m, 0.0) / SCALE_HEIGHT_M)


@jit
def _pn(rx, ry, rz, vx, vy, vz, mx, my, mz, nav):  # pragma: no cover - compiled
    """True PN command for one round, perpendicular to its own velocity (m)."""
    r2 = max(rx * rx + ry * ry + rz * rz, 1e-6)
    r = np.sqrt(r2)
    ox, oy, oz = (ry * vz - rz * vy) / r2, (rz * vx - rx * vz) / r2, (rx * vy - ry * vx) / r2
    closing = -(rx * vx + ry * vy + rz * vz) / r
    speed = np.sqrt(mx * mx + my * my + mz * mz)
    vc = max(closing, speed)
    ux, uy, uz = rx / r, ry / r, rz / r
    ax = nav * vc * (oy * uz - oz * uy)
    ay = nav * vc * (oz * ux - ox * uz)
    az = nav * vc * (ox * uy - oy * ux)
    s = max(speed, 1e-9)
    hx, hy, hz = mx / s, my / s, mz / s
    along = ax * hx + ay * hy + az * hz
    return ax - along * hx, ay - along * hy, az - along * hz


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
    """True proportional navigation command (k, 3) [m/s^2], perpendicular to the own velocity.

    a = N Vc (Omega x r_hat), Omega = (r x v_rel) / |r|^2, with the closing speed
    Vc floored at the own speed so that guidance acts early in the fly-out.
    """
    return _pn_many(
        np.ascontiguousarray(rel_pos_m, float),
        np.ascontiguousarray(rel_vel_mps, float),
        np.ascontiguousarray(own_vel_mps, float),
        np.broadcast_to(np.asarray(nav_ratio, float), (len(rel_pos_m),)).copy(),
    )


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
    substeps: int,
    rng: np.random.Generator,
    rows: NDArray[np.intp] | None = None,
) -> FlyoutEvents:
    """Advance flying interceptors over one engine step of ``dt_s``.

    ``air_pos0`` and ``air_pos1`` are the air objects' positions at the start
    and end of the step (threats moved first); positions in between are
    interpolated linearly. ``air_flying`` is updated in place when a round
    kills. ``rows`` limits the step to some interceptors.
    """
    rows = icpt.flying() if rows is None else np.asarray(rows, dtype=np.intp)
    if rows.size == 0:
        return FlyoutEvents([], [], [])
    noise = rng.standard_normal((rows.size, substeps, 3))
    draw = rng.random((rows.size, substeps))
    end_code = np.zeros(rows.size, np.int8)
    end_time = np.zeros(rows.size)
    lock_obj = np.full(rows.size, -1, np.int64)
    lock_time = np.zeros(rows.size)
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
        tab.mass_kg,
        tab.propellant_kg,
        tab.area_m2,
        tab.thrust_boost_n,
        tab.boost_s,
        tab.thrust_sustain_n,
        tab.sustain_s,
        tab.mass_flow_boost_kgps,
        tab.mass_flow_sustain_kgps,
        tab.drag_coefficient,
        tab.max_accel_mps2,
        tab.max_flight_s,
        tab.min_speed_mps,
        tab.seeker_range_m,
        tab.seeker_noise_rad,
        tab.nav_ratio,
        tab.lethal_radius_m,
        tab.pk_in_lethal_radius,
        air_pos0,
        air_pos1,
        air_vel,
        air_flying,
        noise,
        draw,
        float(t0_s),
        float(dt_s),
        int(substeps),
        frame.radius_m,
        end_code,
        end_time,
        lock_obj,
        lock_time,
        killed,
    )
    events = FlyoutEvents([], [], [])
    for k in np.flatnonzero(lock_obj >= 0):
        events.locked.append((int(rows[k]), int(lock_obj[k]), float(lock_time[k])))
    for k in np.flatnonzero(end_code != NO_END):
        r = int(rows[k])
        icpt.phase[r] = DONE
        icpt.end[r] = end_code[k]
        icpt.end_time_s[r] = end_time[k]
        events.ended.append((r, int(end_code[k]), float(end_time[k])))
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
    m0,
    prop,
    area,
    thr_b,
    t_b,
    thr_s,
    t_s_,
    mdot_b,
    mdot_s,
    cd,
    a_max,
    t_max,
    v_min,
    seeker_r,
    seeker_noise,
    nav,
    lethal_r,
    pk_lethal,
    air_p0,
    air_p1,
    air_v,
    air_flying,
    noise,
    draw,
    t0,
    dt,
    substeps,
    radius,
    end_code,
    end_time,
    lock_obj,
    lock_time,
    killed,
):  # pragma: no cover
    h = dt / substeps
    n_air = air_p0.shape[0]
    # Sub-steps outside, rounds inside: every round reaches time t before any
    # goes further, so a kill is seen by the other rounds only after it happened
    # and the round that arrives first gets the target, whatever its row.
    for s in range(substeps):
        t = t0 + s * h
        f0 = s / substeps
        f1 = (s + 1) / substeps
        for k in range(rows.size):
            if end_code[k] != NO_END:
                continue
            i = rows[k]
            ty = type_idx[i]
            px, py, pz = pos[i, 0], pos[i, 1], pos[i, 2]
            # Seeker acquisition on the uplinked estimate.
            if locked[i] < 0:
                ex = est_pos[i, 0] + est_vel[i, 0] * (t - est_t[i])
                ey = est_pos[i, 1] + est_vel[i, 1] * (t - est_t[i])
                ez = est_pos[i, 2] + est_vel[i, 2] * (t - est_t[i])
                dx, dy, dz = ex - px, ey - py, ez - pz
                if np.sqrt(dx * dx + dy * dy + dz * dz) <= seeker_r[ty]:
                    best, best_d = -1, SEEKER_BASKET_M
                    for j in range(n_air):
                        if not air_flying[j]:
                            continue
                        qx = air_p0[j, 0] + (air_p1[j, 0] - air_p0[j, 0]) * f0 - ex
                        qy = air_p0[j, 1] + (air_p1[j, 1] - air_p0[j, 1]) * f0 - ey
                        qz = air_p0[j, 2] + (air_p1[j, 2] - air_p0[j, 2]) * f0 - ez
                        d = np.sqrt(qx * qx + qy * qy + qz * qz)
                        if d <= best_d:
                            best, best_d = j, d
                    if best >= 0:
                        locked[i] = best
                        lock_obj[k] = best
                        lock_time[k] = t
            j = locked[i]
            if j >= 0:
                tx = air_p0[j, 0] + (air_p1[j, 0] - air_p0[j, 0]) * f0
                ty_ = air_p0[j, 1] + (air_p1[j, 1] - air_p0[j, 1]) * f0
                tz = air_p0[j, 2] + (air_p1[j, 2] - air_p0[j, 2]) * f0
                tvx, tvy, tvz = air_v[j, 0], air_v[j, 1], air_v[j, 2]
                rng_t = np.sqrt((tx - px) ** 2 + (ty_ - py) ** 2 + (tz - pz) ** 2)
                sig = max(seeker_noise[ty] * rng_t, GLINT_M)
                sx = tx + noise[k, s, 0] * sig
                sy = ty_ + noise[k, s, 1] * sig
                sz = tz + noise[k, s, 2] * sig
            else:
                sx = est_pos[i, 0] + est_vel[i, 0] * (t - est_t[i])
                sy = est_pos[i, 1] + est_vel[i, 1] * (t - est_t[i])
                sz = est_pos[i, 2] + est_vel[i, 2] * (t - est_t[i])
                tvx, tvy, tvz = est_vel[i, 0], est_vel[i, 1], est_vel[i, 2]
            # --- dynamics ---
            vx, vy, vz = vel[i, 0], vel[i, 1], vel[i, 2]
            age = t - launch_t[i]
            speed = max(np.sqrt(vx * vx + vy * vy + vz * vz), 1e-6)
            hx, hy, hz = vx / speed, vy / speed, vz / speed
            cx, cy, cz = px, py, pz + radius
            cr = np.sqrt(cx * cx + cy * cy + cz * cz)
            ux, uy, uz = cx / cr, cy / cr, cz / cr
            alt = cr - radius
            g = G0_MPS2 * (radius / (radius + alt)) ** 2
            gx, gy, gz = -g * ux, -g * uy, -g * uz
            if age < t_b[ty]:
                thrust, mdot = thr_b[ty], mdot_b[ty]
            elif age < t_b[ty] + t_s_[ty]:
                thrust, mdot = thr_s[ty], mdot_s[ty]
            else:
                thrust, mdot = 0.0, 0.0
            rho = RHO0_KGPM3 * np.exp(-max(alt, 0.0) / SCALE_HEIGHT_M)
            drag = 0.5 * rho * speed * speed * cd[ty] * area[ty]
            axial = (thrust - drag) / mass[i]
            rx, ry, rz = sx - px, sy - py, sz - pz
            if j < 0:
                far = np.sqrt(rx * rx + ry * ry + rz * rz)
                loft = min(LOFT_GAIN * far, LOFT_MAX_M)
                rx, ry, rz = rx + loft * ux, ry + loft * uy, rz + loft * uz
            ax, ay, az = _pn(rx, ry, rz, tvx - vx, tvy - vy, tvz - vz, vx, vy, vz, nav[ty])
            # Hold the flight path against gravity (its component across the velocity).
            g_along = gx * hx + gy * hy + gz * hz
            ax -= gx - g_along * hx
            ay -= gy - g_along * hy
            az -= gz - g_along * hz
            mag = np.sqrt(ax * ax + ay * ay + az * az)
            scale = min(1.0, a_max[ty] / max(mag, 1e-9))
            ax, ay, az = ax * scale, ay * scale, az * scale
            if age < CANISTER_CLEAR_S:
                ax, ay, az = 0.0, 0.0, 0.0
            lag = min(1.0, h / AUTOPILOT_LAG_S)
            acc_cmd[i, 0] += (ax - acc_cmd[i, 0]) * lag
            acc_cmd[i, 1] += (ay - acc_cmd[i, 1]) * lag
            acc_cmd[i, 2] += (az - acc_cmd[i, 2]) * lag
            nvx = vx + (axial * hx + gx + acc_cmd[i, 0]) * h
            nvy = vy + (axial * hy + gy + acc_cmd[i, 1]) * h
            nvz = vz + (axial * hz + gz + acc_cmd[i, 2]) * h
            vel[i, 0], vel[i, 1], vel[i, 2] = nvx, nvy, nvz
            pos[i, 0] = px + 0.5 * (vx + nvx) * h
            pos[i, 1] = py + 0.5 * (vy + nvy) * h
            pos[i, 2] = pz + 0.5 * (vz + nvz) * h
            mass[i] = max(mass[i] - mdot * h, m0[ty] - prop[ty])
            # --- fuzing against the locked object ---
            code = NO_END
            t_end = t + h
            if j >= 0:
                alive = air_flying[j]
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
                if not alive:
                    code = END_SELF_DESTRUCT  # its target died or landed: nothing to hit
                elif ts < h:  # closest approach inside this sub-step
                    miss_out[i] = miss
                    t_end = t + ts
                    if (
                        miss <= lethal_r[ty]
                        and miss <= FUZE_RANGE_FACTOR * lethal_r[ty]
                        and draw[k, s] < pk_lethal[ty]
                    ):
                        code = END_KILL
                        air_flying[j] = False
                        killed[k] = j
                    else:
                        code = END_MISS
            if code == NO_END:
                speed_n = np.sqrt(nvx * nvx + nvy * nvy + nvz * nvz)
                burnt = age + h > t_b[ty] + t_s_[ty]
                alt_n = (
                    np.sqrt(pos[i, 0] ** 2 + pos[i, 1] ** 2 + (pos[i, 2] + radius) ** 2) - radius
                )
                if (
                    age + h > t_max[ty]
                    or (burnt and speed_n < v_min[ty])
                    or (alt_n < 0.0 and age > 2.0)
                ):
                    code = END_SELF_DESTRUCT
            if code != NO_END:
                end_code[k] = code
                end_time[k] = t_end
