"""Threat and traffic flight over the curved earth: waypoint routes and ballistic arcs.

Route flight (``_route_kernel``, one compiled pass over all flying objects):

- Each object flies at its airspeed toward its next waypoint on the engine's
  local sphere. Its ground course turns toward the waypoint at no more than
  its lateral acceleration limit (a = v omega, the type's ``max_turn_g``), so
  aircraft turn at their g-limit; a waypoint counts as passed once closer than
  the turn radius (fly-by), and the last one is flown to directly inside two
  turn radii, so that an aim point is reached rather than circled.
- Wind (the scenario's constant wind vector) is the air mass moving: the
  object crabs into it to hold its course, so its ground speed is
  w.c + sqrt(v_h^2 - |w x c|^2) along the course c (v_h its horizontal
  airspeed); a slow drone in a strong crosswind is slowed and, if the wind is
  faster than it, drifts.
- Heights are above the surface. Over a DEM (``Terrain``) the commanded height
  is held above the ground ahead: the object climbs early enough, at its climb
  rate, to clear the highest ground within ``LOOKAHEAD_S`` of flight (terrain
  following); over the sea the surface is at 0 m.
- Profile: cruise height, an optional terminal height inside a range of the
  target (pop-up when higher than the cruise), and an optional terminal dive
  (``terminal_dive_deg``): on the last leg the commanded height is capped at
  ground range x tan(dive), so the object dives onto its aim point.
- End-game weave (``weave_g``, ``weave_period_s`` inside ``weave_range_m`` of
  the target): the course is offset from the line to the target by
  psi_max sin(2 pi t / period + phase), psi_max = a_w / (v omega), a sinusoidal
  lateral acceleration of amplitude a_w.
- Evasion: an object with an evasion cue (``evade_dir`` set by the engine from
  its missile-approach warning, see ``engine.stage_threats``) turns at its
  g-limit onto that course (beam to the approaching interceptor) instead of
  its route, and resumes the route when the cue clears.

Ballistic missiles fly a true ballistic arc (``threats.ballistic``).
Velocities are those of the step just flown; accelerations (used by augmented
proportional navigation) are their change over the step.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo import LocalFrame
from samsim.geo.relief import relief
from samsim.geo.terrain import Terrain
from samsim.threats.ballistic import fly_ballistic_kernel
from samsim.threats.state import FLYING, PENDING, AirObjects

_FLAT = Terrain.flat()
_CALM = np.zeros(3)
LOOKAHEAD_S = 12.0  # terrain following looks this far ahead along the course
LOOKAHEAD_POINTS = 6
MAX_WEAVE_RAD = 1.0  # cap on the weave's course offset


def launch_due(air: AirObjects, time_s: float) -> NDArray[np.intp]:
    """Objects whose launch time has come; marks them flying and returns their rows."""
    due = ((air.fate == PENDING) & (air.launch_time_s <= time_s)).nonzero()[0]
    air.fate[due] = FLYING
    return due


def fly(
    air: AirObjects,
    frame: LocalFrame,
    time_s: float,
    dt_s: float,
    *,
    terrain: Terrain | None = None,
    wind_enu_mps: NDArray | None = None,
) -> NDArray[np.intp]:
    """Advance flying objects by ``dt_s``; return rows that reached their last waypoint
    (or, for ballistic missiles, the surface).

    ``time_s`` is the time at the end of the step.
    """
    rows = air.flying.nonzero()[0]
    if rows.size == 0:
        return rows
    ball = air.ballistic[rows]
    if not ball.any():
        return rows[_fly_route(air, frame, rows, time_s, dt_s, terrain, wind_enu_mps)]
    done = np.zeros(rows.size, dtype=bool)
    b_rows = rows[ball]
    b_done = np.zeros(b_rows.size, dtype=bool)
    fly_ballistic_kernel(
        air.pos_enu_m,
        air.vel_enu_mps,
        air.acc_enu_mps2,
        b_rows,
        air.inv_2beta,
        dt_s,
        frame.radius_m,
        b_done,
    )
    done[ball] = b_done
    if not ball.all():
        done[~ball] = _fly_route(air, frame, rows[~ball], time_s, dt_s, terrain, wind_enu_mps)
    return rows[done]


def _fly_route(
    air: AirObjects,
    frame: LocalFrame,
    rows: NDArray[np.intp],
    time_s: float,
    dt_s: float,
    terrain: Terrain | None,
    wind_enu_mps: NDArray | None,
) -> NDArray[np.bool_]:
    ter = relief(terrain)
    ter = _FLAT if ter is None else ter
    wind = _CALM if wind_enu_mps is None else np.asarray(wind_enu_mps, dtype=float)
    return _route_kernel(
        air.pos_enu_m,
        air.vel_enu_mps,
        air.acc_enu_mps2,
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
        air.dive_rad,
        air.weave_mps2,
        air.weave_period_s,
        air.weave_range_m,
        air.weave_phase_rad,
        air.evade_dir,
        rows,
        float(time_s),
        float(dt_s),
        frame.radius_m,
        wind,
        ter.east0_m,
        ter.north0_m,
        ter.cell_m,
        ter.height_m,
        ter is not _FLAT,
    )


@jit
def surface_height(x, y, e0, n0, cell, h):  # pragma: no cover - compiled
    """Bilinear ground height under ENU (x, y), 0 off the grid (as Terrain.surface_m)."""
    fx = (x - e0) / cell
    fy = (y - n0) / cell
    ny, nx = h.shape
    if fx < 0.0 or fy < 0.0 or fx > nx - 1 or fy > ny - 1:
        return 0.0
    ix = min(int(np.floor(fx)), nx - 2)
    iy = min(int(np.floor(fy)), ny - 2)
    tx = min(max(fx - ix, 0.0), 1.0)
    ty = min(max(fy - iy, 0.0), 1.0)
    return (
        (1 - tx) * (1 - ty) * h[iy, ix]
        + tx * (1 - ty) * h[iy, ix + 1]
        + (1 - tx) * ty * h[iy + 1, ix]
        + tx * ty * h[iy + 1, ix + 1]
    )


@jit
def _route_kernel(
    pos,
    vel,
    acc,
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
    dive,
    weave_acc,
    weave_period,
    weave_range,
    weave_phase,
    evade_dir,
    rows,
    t,
    dt,
    radius,
    wind,
    te0,
    tn0,
    tcell,
    theight,
    has_terrain,
):  # pragma: no cover
    """Move each row along its route on the sphere centred at (0, 0, -radius)."""
    done = np.zeros(rows.size, dtype=np.bool_)
    for k in range(rows.size):
        i = rows[k]
        ox, oy, oz = pos[i, 0], pos[i, 1], pos[i, 2]
        px, py, pz = ox, oy, oz + radius
        r = np.sqrt(px * px + py * py + pz * pz)
        alt = r - radius
        ux, uy, uz = px / r, py / r, pz / r
        v = speed[i]
        wp = wp_idx[i]
        last = route_len[i] - 1
        turn_r = v * v / max(turn_acc[i], 1e-6)
        # Current ground course (from the last step's velocity).
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
            if wp < last and dist <= max(turn_r, v * dt):
                wp += 1
                continue
            break
        # Ground distance to the last waypoint (terminal height, dive, weave).
        lx, ly, lz = route[i, last, 0], route[i, last, 1], route[i, last, 2] + radius
        lr = np.sqrt(lx * lx + ly * ly + lz * lz)
        qx, qy, qz = ux - lx / lr, uy - ly / lr, uz - lz / lr
        chord = np.sqrt(qx * qx + qy * qy + qz * qz)
        ground_to_last = 2.0 * radius * np.arcsin(min(0.5 * chord, 1.0))
        on_last = wp == last
        dx, dy, dz = dx / max(dist, 1e-9), dy / max(dist, 1e-9), dz / max(dist, 1e-9)
        # End-game weave: offset the desired course sinusoidally.
        if weave_acc[i] > 0.0 and on_last and ground_to_last <= weave_range[i]:
            omega = 2.0 * np.pi / weave_period[i]
            psi = min(weave_acc[i] / max(v * omega, 1e-6), MAX_WEAVE_RAD) * np.sin(
                omega * t + weave_phase[i]
            )
            wx, wy, wz = uy * dz - uz * dy, uz * dx - ux * dz, ux * dy - uy * dx
            cp, sp = np.cos(psi), np.sin(psi)
            dx, dy, dz = dx * cp + wx * sp, dy * cp + wy * sp, dz * cp + wz * sp
        evading = evade_dir[i, 0] != 0.0 or evade_dir[i, 1] != 0.0 or evade_dir[i, 2] != 0.0
        if evading:
            ed = evade_dir[i, 0] * ux + evade_dir[i, 1] * uy + evade_dir[i, 2] * uz
            dx, dy, dz = (
                evade_dir[i, 0] - ed * ux,
                evade_dir[i, 1] - ed * uy,
                evade_dir[i, 2] - ed * uz,
            )
            dn = max(np.sqrt(dx * dx + dy * dy + dz * dz), 1e-9)
            dx, dy, dz = dx / dn, dy / dn, dz / dn
        direct = (not have_heading) or (on_last and dist <= 2.0 * turn_r and not evading)
        if direct:
            hx, hy, hz = dx, dy, dz
        else:
            # Signed angle from course to desired about the local up, rate-limited.
            cx, cy, cz = hy * dz - hz * dy, hz * dx - hx * dz, hx * dy - hy * dx
            sin_a = cx * ux + cy * uy + cz * uz
            cos_a = hx * dx + hy * dy + hz * dz
            ang = np.arctan2(sin_a, cos_a)
            lim = turn_acc[i] / max(v, 1e-6) * dt
            ang = min(max(ang, -lim), lim)
            wx, wy, wz = uy * hz - uz * hy, uz * hx - ux * hz, ux * hy - uy * hx
            ca, sa = np.cos(ang), np.sin(ang)
            hx, hy, hz = hx * ca + wx * sa, hy * ca + wy * sa, hz * ca + wz * sa
            hn = max(np.sqrt(hx * hx + hy * hy + hz * hz), 1e-12)
            hx, hy, hz = hx / hn, hy / hn, hz / hn
        # --- height: commanded above the surface, terrain ahead, dive ---
        terminal_leg = on_last and ground_to_last <= terminal_range[i]
        agl_cmd = terminal[i] if terminal_leg else cruise[i]
        if not np.isnan(route_alt[i, wp]):
            agl_cmd = route_alt[i, wp]
        ground_here = surface_height(ox, oy, te0, tn0, tcell, theight) if has_terrain else 0.0
        down_rate = climb[i]
        if dive[i] > 0.0 and on_last and ground_to_last * np.tan(dive[i]) < agl_cmd:
            g_last = (
                surface_height(route[i, last, 0], route[i, last, 1], te0, tn0, tcell, theight)
                if has_terrain
                else 0.0
            )
            msl_cmd = g_last + ground_to_last * np.tan(dive[i])
            down_rate = max(climb[i], v * np.sin(dive[i]))
        else:
            msl_cmd = ground_here + agl_cmd
            if has_terrain:
                step_ahead = max(v, 1.0) * LOOKAHEAD_S / LOOKAHEAD_POINTS
                for m in range(1, LOOKAHEAD_POINTS + 1):
                    d_ahead = m * step_ahead
                    g = surface_height(
                        ox + hx * d_ahead, oy + hy * d_ahead, te0, tn0, tcell, theight
                    )
                    need = g + agl_cmd - d_ahead * climb[i] / max(v, 1.0)
                    if need > msl_cmd:
                        msl_cmd = need
        vz_new = min(max((msl_cmd - alt) / dt, -down_rate), climb[i])
        vh = np.sqrt(max(v * v - vz_new * vz_new, 0.01 * v * v))
        # --- wind: crab to hold the course; ground speed along it ---
        wu = wind[0] * ux + wind[1] * uy + wind[2] * uz
        whx, why, whz = wind[0] - wu * ux, wind[1] - wu * uy, wind[2] - wu * uz
        w_along = whx * hx + why * hy + whz * hz
        w_cross2 = max(whx * whx + why * why + whz * whz - w_along * w_along, 0.0)
        gs = max(w_along + np.sqrt(max(vh * vh - w_cross2, 0.0)), 0.0)
        step = gs * dt
        if on_last and dist <= max(step, 1e-6) and not evading:
            done[k] = True
            nx, ny, nz = ux * radius + dx * dist, uy * radius + dy * dist, uz * radius + dz * dist
        else:
            nx, ny, nz = ux * radius + hx * step, uy * radius + hy * step, uz * radius + hz * step
        s = np.sqrt(nx * nx + ny * ny + nz * nz)
        sx, sy, sz = nx / s, ny / s, nz / s
        alt_new = alt + vz_new * dt
        if has_terrain:
            # Ground under the new position (sampled at its ENU east/north, as Terrain does).
            for _ in range(2):  # twice: raising it moves its east/north a little
                rr = radius + alt_new
                g_new = surface_height(sx * rr, sy * rr, te0, tn0, tcell, theight)
                alt_new = max(alt_new, g_new)
        else:
            alt_new = max(alt_new, 0.0)
        pos[i, 0] = sx * (radius + alt_new)
        pos[i, 1] = sy * (radius + alt_new)
        pos[i, 2] = sz * (radius + alt_new) - radius
        nvx, nvy, nvz = (pos[i, 0] - ox) / dt, (pos[i, 1] - oy) / dt, (pos[i, 2] - oz) / dt
        # Acceleration over the step; zero on the first step (a route starts at rest).
        started = vx != 0.0 or vy != 0.0 or vz != 0.0
        acc[i, 0] = (nvx - vx) / dt if started else 0.0
        acc[i, 1] = (nvy - vy) / dt if started else 0.0
        acc[i, 2] = (nvz - vz) / dt if started else 0.0
        vel[i, 0], vel[i, 1], vel[i, 2] = nvx, nvy, nvz
        wp_idx[i] = wp
    return done


@jit
def evasion_courses(
    pos, vel, warn_r, evade_dir, cand, m_pos, m_vel, m_rows, radius, started, dist
):  # pragma: no cover - compiled
    """Beam courses of warned objects against their nearest closing interceptor.

    For each candidate row: among the interceptors within its warning range
    that close on it, the nearest; its course is set to the horizontal
    direction across the line of sight on the side of its current velocity,
    or cleared if there is none. ``started[k]`` gets the interceptor row when
    candidate k starts evading now (-1 otherwise). Returns whether any evades.
    """
    anyone = False
    for k in range(cand.size):
        i = cand[k]
        was = evade_dir[i, 0] != 0.0 or evade_dir[i, 1] != 0.0 or evade_dir[i, 2] != 0.0
        evade_dir[i, 0], evade_dir[i, 1], evade_dir[i, 2] = 0.0, 0.0, 0.0
        best, best_d = -1, warn_r[i]
        for q in range(m_rows.size):
            m = m_rows[q]
            rx, ry, rz = pos[i, 0] - m_pos[m, 0], pos[i, 1] - m_pos[m, 1], pos[i, 2] - m_pos[m, 2]
            d = np.sqrt(rx * rx + ry * ry + rz * rz)
            if d > best_d:
                continue
            wx, wy, wz = vel[i, 0] - m_vel[m, 0], vel[i, 1] - m_vel[m, 1], vel[i, 2] - m_vel[m, 2]
            if rx * wx + ry * wy + rz * wz >= 0.0:
                continue  # not closing
            best, best_d = m, d
        if best < 0:
            continue
        ux, uy, uz = pos[i, 0], pos[i, 1], pos[i, 2] + radius
        un = np.sqrt(ux * ux + uy * uy + uz * uz)
        ux, uy, uz = ux / un, uy / un, uz / un
        lx, ly, lz = (
            pos[i, 0] - m_pos[best, 0],
            pos[i, 1] - m_pos[best, 1],
            pos[i, 2] - m_pos[best, 2],
        )
        lu = lx * ux + ly * uy + lz * uz
        lx, ly, lz = lx - lu * ux, ly - lu * uy, lz - lu * uz
        # beam = up x los_h
        bx, by, bz = uy * lz - uz * ly, uz * lx - ux * lz, ux * ly - uy * lx
        bn = np.sqrt(bx * bx + by * by + bz * bz)
        if bn < 1e-9:
            continue
        bx, by, bz = bx / bn, by / bn, bz / bn
        if bx * vel[i, 0] + by * vel[i, 1] + bz * vel[i, 2] < 0.0:
            bx, by, bz = -bx, -by, -bz
        evade_dir[i, 0], evade_dir[i, 1], evade_dir[i, 2] = bx, by, bz
        anyone = True
        if not was:
            started[k] = best
            dist[k] = best_d
    return anyone


def step(
    air: AirObjects,
    frame: LocalFrame,
    t0_s: float,
    t1_s: float,
    icpt_phase: NDArray[np.int8],
    icpt_pos_m: NDArray,
    icpt_vel_mps: NDArray,
    *,
    terrain: Terrain | None = None,
    wind_enu_mps: NDArray | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray, NDArray[np.intp]]:
    """One engine step of the air objects, in one compiled call.

    In order: launch the objects whose time has come (``launch_due``); set
    the evasion courses of warned objects against the interceptors flying
    now (``icpt_phase`` FLYING; ``evasion_courses``, or clear every course
    when none flies); fly every flying object from ``t0_s`` to ``t1_s``
    (``fly``). The engine calls this once per step instead of the three
    functions, whose per-call overhead was most of the stage's cost.

    Returns
    -------
    launched : rows launched now
    started, dist_m : (n,) interceptor row each object started evading (-1 if
        none) and its distance [m]
    arrived : rows that reached their last waypoint (or the surface)
    """
    ter = relief(terrain)
    ter = _FLAT if ter is None else ter
    wind = _CALM if wind_enu_mps is None else np.asarray(wind_enu_mps, dtype=float)
    started = np.full(air.n, -1, np.int64)
    dist = np.zeros(air.n)
    launched, evading, arrived = _step_kernel(
        air.fate, air.launch_time_s, float(t0_s), air.ballistic, air.inv_2beta,
        air.acc_enu_mps2, air.warning_range_m, int(air.any_evading), icpt_phase,
        icpt_pos_m, icpt_vel_mps, started, dist,
        air.pos_enu_m, air.vel_enu_mps, air.route_enu_m, air.route_alt_m, air.route_len,
        air.wp_idx, air.speed_mps, air.max_climb_mps, air.max_turn_mps2, air.cruise_alt_m,
        air.terminal_alt_m, air.terminal_range_m, air.dive_rad, air.weave_mps2,
        air.weave_period_s, air.weave_range_m, air.weave_phase_rad, air.evade_dir,
        float(t1_s), float(t1_s - t0_s), frame.radius_m, wind, ter.east0_m, ter.north0_m,
        ter.cell_m, ter.height_m, ter is not _FLAT,
    )  # fmt: skip
    air.any_evading = bool(evading)
    return launched, started, dist, arrived


@jit
def _step_kernel(
    fate, launch_t, t0, ballistic, inv_2beta, acc, warn_r, any_evading, m_phase, m_pos, m_vel,
    started, dist,
    pos, vel, route, route_alt, route_len, wp_idx, speed, climb, turn_acc, cruise, terminal,
    terminal_range, dive, weave_acc, weave_period, weave_range, weave_phase, evade_dir,
    t1, dt, radius, wind, te0, tn0, tcell, theight, has_terrain,
):  # pragma: no cover - compiled  # fmt: skip
    n = fate.shape[0]
    # Launches (launch_due).
    launched = np.nonzero((fate == PENDING) & (launch_t <= t0))[0]
    for i in launched:
        fate[i] = FLYING
        launch_t[i] = max(launch_t[i], 0.0)
    # Evasion cues (engine.stage_threats: interceptors flying at t0).
    m_rows = np.nonzero(m_phase == FLYING)[0]
    evading = any_evading
    if m_rows.size == 0:
        if any_evading:
            evade_dir[:, :] = 0.0
            evading = 0
    else:
        cand = np.nonzero((fate == FLYING) & (warn_r > 0))[0]
        if cand.size > 0:
            c_started = np.full(cand.size, -1, np.int64)
            c_dist = np.zeros(cand.size)
            evading = 1 if evasion_courses(
                pos, vel, warn_r, evade_dir, cand, m_pos, m_vel, m_rows, radius, c_started, c_dist
            ) else 0  # fmt: skip
            started[cand] = c_started
            dist[cand] = c_dist
    # Flight (fly): ballistic rows, then the others along their routes.
    flying = fate == FLYING
    b_rows = np.nonzero(flying & ballistic)[0]
    r_rows = np.nonzero(flying & ~ballistic)[0]
    done = np.zeros(n, np.bool_)
    if b_rows.size > 0:
        b_done = np.zeros(b_rows.size, np.bool_)
        fly_ballistic_kernel(pos, vel, acc, b_rows, inv_2beta, dt, radius, b_done)
        done[b_rows] = b_done
    if r_rows.size > 0:
        done[r_rows] = _route_kernel(
            pos, vel, acc, route, route_alt, route_len, wp_idx, speed, climb, turn_acc, cruise,
            terminal, terminal_range, dive, weave_acc, weave_period, weave_range, weave_phase,
            evade_dir, r_rows, t1, dt, radius, wind, te0, tn0, tcell, theight, has_terrain,
        )  # fmt: skip
    return launched, evading, np.nonzero(done)[0]
