"""Threat and traffic flight at first fidelity: waypoints over the curved earth.

Each object flies at its speed along the local horizontal toward its next
waypoint, holding its commanded height above the surface (with a climb-rate
limit), and turns onto the next leg when it reaches a waypoint. Ballistic
missiles follow a parametric arc: great-circle ground track at constant ground
speed and a parabolic height profile with the catalog apogee. Turn-rate limits,
terrain following and end-game manoeuvres belong to the flight-model issue.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo import LocalFrame
from samsim.threats.state import FLYING, PENDING, AirObjects


def launch_due(air: AirObjects, time_s: float) -> NDArray[np.intp]:
    """Objects whose launch time has come; marks them flying and returns their rows."""
    due = np.flatnonzero((air.fate == PENDING) & (air.launch_time_s <= time_s))
    air.fate[due] = FLYING
    return due


def fly(air: AirObjects, frame: LocalFrame, time_s: float, dt_s: float) -> NDArray[np.intp]:
    """Advance flying objects by ``dt_s``; return rows that reached their last waypoint.

    ``time_s`` is the time at the end of the step.
    """
    rows = np.flatnonzero(air.flying)
    if rows.size == 0:
        return rows
    old = air.pos_enu_m[rows].copy()
    done = np.zeros(rows.size, dtype=bool)
    ball = air.ballistic[rows]
    if ball.any():
        done[ball] = _fly_ballistic(air, frame, rows[ball], time_s)
    if (~ball).any():
        done[~ball] = _fly_route(air, frame, rows[~ball], dt_s)
    air.vel_enu_mps[rows] = (air.pos_enu_m[rows] - old) / dt_s
    return rows[done]


def _fly_route(
    air: AirObjects, frame: LocalFrame, rows: NDArray[np.intp], dt_s: float
) -> NDArray[np.bool_]:
    return _route_kernel(
        air.pos_enu_m,
        air.vel_enu_mps,
        air.route_enu_m,
        air.route_alt_m,
        air.route_len,
        air.wp_idx,
        air.speed_mps,
        air.max_climb_mps,
        air.max_turn_mps2,
        air.cruise_alt_m,
        air.terminal_alt_m,
        air.terminal_range_m,
        rows,
        dt_s,
        frame.radius_m,
    )


@jit
def _route_kernel(
    pos,
    vel,
    route,
    route_alt,
    route_len,
    wp_idx,
    speed,
    climb,
    turn_acc,
    cruise,
    terminal,
    terminal_range,
    rows,
    dt,
    radius,
):  # pragma: no cover
    """Move each row along its route on the sphere centred at (0, 0, -radius).

    The heading turns toward the next waypoint at no more than the type's turn
    rate (a = v omega); a waypoint counts as passed once it is closer than the
    turn radius (fly-by), and the last one is flown to directly once within
    two turn radii, so that an aim point is reached rather than circled.
    """
    done = np.zeros(rows.size, dtype=np.bool_)
    for k in range(rows.size):
        i = rows[k]
        px, py, pz = pos[i, 0], pos[i, 1], pos[i, 2] + radius
        r = np.sqrt(px * px + py * py + pz * pz)
        alt = r - radius
        ux, uy, uz = px / r, py / r, pz / r
        v = speed[i]
        step = v * dt
        wp = wp_idx[i]
        last = route_len[i] - 1
        turn_r = v * v / max(turn_acc[i], 1e-6)
        # Current horizontal heading (from the last step's velocity).
        vx, vy, vz = vel[i, 0], vel[i, 1], vel[i, 2]
        vu = vx * ux + vy * uy + vz * uz
        hx, hy, hz = vx - vu * ux, vy - vu * uy, vz - vu * uz
        hn = np.sqrt(hx * hx + hy * hy + hz * hz)
        have_heading = hn > 1e-3 * max(v, 1.0)
        if have_heading:
            hx, hy, hz = hx / hn, hy / hn, hz / hn
        # Desired direction, passing waypoints that are within the turn radius.
        dist = 0.0
        dx, dy, dz = 0.0, 0.0, 0.0
        for _ in range(8):
            tx, ty, tz = route[i, wp, 0], route[i, wp, 1], route[i, wp, 2] + radius
            ex, ey, ez = tx - ux * radius, ty - uy * radius, tz - uz * radius
            along = ex * ux + ey * uy + ez * uz
            dx, dy, dz = ex - along * ux, ey - along * uy, ez - along * uz
            dist = np.sqrt(dx * dx + dy * dy + dz * dz)
            if wp < last and dist <= max(turn_r, step):
                wp += 1
                continue
            break
        if wp == last and dist <= step:
            done[k] = True
            nx, ny, nz = ux * radius + dx, uy * radius + dy, uz * radius + dz
        else:
            dx, dy, dz = dx / max(dist, 1e-9), dy / max(dist, 1e-9), dz / max(dist, 1e-9)
            direct = (not have_heading) or (wp == last and dist <= 2.0 * turn_r)
            if direct:
                hx, hy, hz = dx, dy, dz
            else:
                # Signed angle from heading to desired about the local up.
                cx, cy, cz = hy * dz - hz * dy, hz * dx - hx * dz, hx * dy - hy * dx
                sin_a = cx * ux + cy * uy + cz * uz
                cos_a = hx * dx + hy * dy + hz * dz
                ang = np.arctan2(sin_a, cos_a)
                lim = turn_acc[i] / max(v, 1e-6) * dt
                ang = min(max(ang, -lim), lim)
                # Rotate the heading by ang about up: h cos + (u x h) sin.
                wx, wy, wz = uy * hz - uz * hy, uz * hx - ux * hz, ux * hy - uy * hx
                ca, sa = np.cos(ang), np.sin(ang)
                hx, hy, hz = hx * ca + wx * sa, hy * ca + wy * sa, hz * ca + wz * sa
            nx = ux * radius + hx * step
            ny = uy * radius + hy * step
            nz = uz * radius + hz * step
        # Back onto the sphere, then to the commanded height.
        s = np.sqrt(nx * nx + ny * ny + nz * nz)
        sx, sy, sz = nx / s, ny / s, nz / s
        lx, ly, lz = route[i, last, 0], route[i, last, 1], route[i, last, 2] + radius
        lr = np.sqrt(lx * lx + ly * ly + lz * lz)
        qx, qy, qz = sx - lx / lr, sy - ly / lr, sz - lz / lr
        chord = np.sqrt(qx * qx + qy * qy + qz * qz)
        ground_to_last = 2.0 * radius * np.arcsin(min(0.5 * chord, 1.0))
        terminal_leg = wp == last and ground_to_last <= terminal_range[i]
        alt_cmd = terminal[i] if terminal_leg else cruise[i]
        if not np.isnan(route_alt[i, wp]):
            alt_cmd = route_alt[i, wp]
        dz_max = climb[i] * dt
        alt = alt + min(max(alt_cmd - alt, -dz_max), dz_max)
        pos[i, 0] = sx * (radius + alt)
        pos[i, 1] = sy * (radius + alt)
        pos[i, 2] = sz * (radius + alt) - radius
        wp_idx[i] = wp
    return done


def _fly_ballistic(
    air: AirObjects, frame: LocalFrame, rows: NDArray[np.intp], time_s: float
) -> NDArray[np.bool_]:
    """Parametric arc from the first to the last waypoint."""
    tau = np.clip((time_s - air.launch_time_s[rows]) / air.flight_time_s[rows], 0.0, 1.0)
    start = air.route_enu_m[rows, 0]
    end = air.route_enu_m[rows, air.route_len[rows].astype(np.intp) - 1]
    centre = frame.centre_m
    a = start - centre
    b = end - centre
    omega = np.arccos(
        np.clip(
            np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)), -1, 1
        )
    )
    sin_o = np.maximum(np.sin(omega), 1e-12)
    w_a = np.sin((1.0 - tau) * omega) / sin_o
    w_b = np.sin(tau * omega) / sin_o
    surface = centre + w_a[:, None] * a + w_b[:, None] * b
    alt = 4.0 * air.apogee_m[rows] * tau * (1.0 - tau)
    air.pos_enu_m[rows] = frame.lift(surface, alt)
    return tau >= 1.0
