"""Fly-out tables and engagement envelopes computed from samsim's own fly-out model.

A *fly-out table* says, for one interceptor type launched from its canister at
one elevation, how long the round takes to reach a point at a ground range and
height, how fast it arrives, at what flight-path angle, and what lateral
acceleration its airframe can still make there (the aerodynamic limit
q S CL_max / m at arrival, capped by the structural limit). It is made by flying
the engine's own model (``engage.simulate``: the same kernel, seeker and
mid-course law, with perfect datalink updates) at a grid of stationary points
at once; a point is reachable when the round fuzes there within its lethal
radius with ``RESERVE`` (10 %) of its flight time to spare and arriving 10 %
faster than its minimum speed: a planning reserve for track errors, crossing
geometry and the end-game, without which rounds planned at the edge of the
envelope ran out of time in the engine.

Planning rules on top of the table (``feasible``), used alike by the envelope
plots and the FDC:

- the round must still be able to pull ``endgame_min_g`` at the intercept
  point (catalog, per type): this is what caps the envelope in altitude, where
  thin air leaves a coasting round without manoeuvre;
- it must close on the target at ``MIN_CLOSING_MPS`` or more (tail chases);
- the intercept point must lie beyond the type's ``min_range_m``, and the
  target must not be faster than ``max_target_speed_mps``.

The FDC's launch acceptability (``solve_intercepts``) finds, per launcher and
track, the earliest time t with T_fly(PIP(t)) = t, PIP(t) = p + v t, by a
forward search (stepping to the table's time of flight where it is finite) and
bisection in a compiled kernel, and applies the same rules.
The *engagement envelope* (``engagement_envelope``) applies them to targets
flying straight and level at a given speed past the launcher: for each target
height and crossing offset (closest ground distance of the target's track from
the launcher), the shortest and longest ground range at which it can be
intercepted.

Tables are cached per interceptor type and launch elevation, keyed by a hash
of the catalog entry, the elevation and the source of the flight model: in
memory, and on disk under the user cache directory (``platformdirs``; set
``SAMSIM_CACHE_DIR`` to move it, or to ``off`` to keep nothing on disk). The
disk cache only saves time; nothing depends on it.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.catalog import InterceptorType
from samsim.geo import LocalFrame
from samsim.interceptors.atmosphere import G0_MPS2, isa
from samsim.interceptors.state import END_KILL, END_MISS

TABLE_DT_S = 0.05  # fly-out step of the tables (the engine's sub-step is no longer)
MIN_CLOSING_MPS = 100.0  # planning rule: slowest closing speed accepted at intercept
RESERVE = 0.10  # planning reserve of flight time and of speed above the minimum
REFERENCE_RADIUS_M = 6_371_000.0  # sphere the tables are flown over
LAUNCHER_HEIGHT_M = 2.0  # canister height above its ground, as in the engine
SCAN_STEP_S = 2.0  # step of the intercept-time search outside the reachable region
JUMP_S = 8.0  # longest step of that search inside it
BISECTIONS = 9  # refinement of the intercept time: 8 s / 2^9, about 0.02 s
TABLE_FORMAT = 1


@dataclass(frozen=True, slots=True)
class FlyoutTable:
    """Fly-out of one interceptor type at one launch elevation over a (range, height) grid.

    Arrays are (n_range, n_height); ``time_s`` is inf where the point is not
    reachable.
    """

    name: str
    launch_elevation_deg: float
    ground_range_m: NDArray[np.float64]  # (nr,)
    altitude_m: NDArray[np.float64]  # (nh,) height of the point above the launcher's ground
    time_s: NDArray[np.float64]
    speed_mps: NDArray[np.float64]
    gamma_rad: NDArray[np.float64]  # flight-path angle at arrival (negative: diving)
    accel_mps2: NDArray[np.float64]  # lateral acceleration available at arrival
    min_accel_mps2: float
    min_range_m: float
    max_target_speed_mps: float
    key: str


@dataclass(frozen=True, slots=True)
class FlyoutSet:
    """The tables of one type at every launch elevation in use, stacked for the FDC."""

    name: str
    elevations_rad: NDArray[np.float64]  # (e,)
    ground_range_m: NDArray[np.float64]
    altitude_m: NDArray[np.float64]
    time_s: NDArray[np.float64]  # (e, nr, nh)
    speed_mps: NDArray[np.float64]
    gamma_rad: NDArray[np.float64]
    accel_mps2: NDArray[np.float64]
    min_accel_mps2: float
    min_range_m: float
    max_target_speed_mps: float
    lock_before_launch: bool = False
    seeker_ir: bool = False
    seeker_range_m: float = 0.0

    @property
    def grids(self) -> tuple[NDArray, ...]:
        """The table axes and values in the order the compiled kernels take them."""
        return (
            self.ground_range_m,
            self.altitude_m,
            self.time_s,
            self.speed_mps,
            self.gamma_rad,
            self.accel_mps2,
        )

    @classmethod
    def from_tables(
        cls, tables: list[FlyoutTable], itype: InterceptorType | None = None
    ) -> FlyoutSet:
        t0 = tables[0]
        return cls(
            name=t0.name,
            elevations_rad=np.radians([t.launch_elevation_deg for t in tables]),
            ground_range_m=t0.ground_range_m,
            altitude_m=t0.altitude_m,
            time_s=np.stack([t.time_s for t in tables]),
            speed_mps=np.stack([t.speed_mps for t in tables]),
            gamma_rad=np.stack([t.gamma_rad for t in tables]),
            accel_mps2=np.stack([t.accel_mps2 for t in tables]),
            min_accel_mps2=t0.min_accel_mps2,
            min_range_m=t0.min_range_m,
            max_target_speed_mps=t0.max_target_speed_mps,
            lock_before_launch=itype is not None and itype.lock_on == "before",
            seeker_ir=itype is not None and itype.seeker == "ir",
            seeker_range_m=0.0 if itype is None else itype.seeker_range_m,
        )

    def elevation_index(self, elevation_rad: NDArray) -> NDArray[np.int64]:
        """Index of the table nearest to each launcher's canister elevation."""
        e = np.asarray(elevation_rad, dtype=float)
        return np.argmin(np.abs(e[..., None] - self.elevations_rad), axis=-1).astype(np.int64)


# --------------------------------------------------------------------------- grid and key


def table_grid(itype: InterceptorType) -> tuple[NDArray, NDArray]:
    """Ground ranges and heights [m] a type's table covers: beyond its public figures."""
    r_hi = 1.3 * itype.public_range_m[1]
    h_hi = 1.35 * itype.public_altitude_m[1]
    ranges = np.linspace(0.0, r_hi, 53)[1:]
    heights = np.concatenate([[10.0, 100.0, 300.0], np.linspace(600.0, h_hi, 30)])
    return ranges, heights


@lru_cache(maxsize=1)
def _model_digest() -> str:
    """Hash of the source of every module the fly-out depends on."""
    from samsim.interceptors import atmosphere, engage, flyout, params, seeker

    h = hashlib.sha256()
    for mod in (atmosphere, engage, flyout, params, seeker):
        h.update(inspect.getsource(mod).encode())
    h.update(inspect.getsource(compute_flyout_table).encode())
    h.update(inspect.getsource(table_grid).encode())
    return h.hexdigest()


def table_key(itype: InterceptorType, launch_elevation_deg: float) -> str:
    """Cache key: catalog entry, launch elevation and flight-model source."""
    blob = json.dumps(
        {
            "entry": itype.model_dump(mode="json"),
            "elevation_deg": round(float(launch_elevation_deg), 6),
            "model": _model_digest(),
            "format": TABLE_FORMAT,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


# --------------------------------------------------------------------------- computing


def compute_flyout_table(
    itype: InterceptorType, launch_elevation_deg: float, name: str = ""
) -> FlyoutTable:
    """Fly the model at every grid point (no cache): a few seconds per type."""
    from samsim.interceptors.engage import launch_direction, simulate, straight_targets
    from samsim.interceptors.params import InterceptorTable

    tab = InterceptorTable.from_catalog({name or "interceptor": itype})
    frame = LocalFrame(0.0, 0.0, REFERENCE_RADIUS_M)
    ranges, heights = table_grid(itype)
    rr, hh = np.meshgrid(ranges, heights, indexing="ij")
    points = point_at(frame, rr.ravel(), hh.ravel())
    launcher = np.array([0.0, 0.0, LAUNCHER_HEIGHT_M])
    direction = launch_direction(frame, launcher, points, math.radians(launch_elevation_deg))
    res = simulate(
        tab,
        0,
        frame,
        np.broadcast_to(launcher, points.shape),
        direction,
        straight_targets(points, np.zeros(3)),
        t_end_s=itype.max_flight_s + TABLE_DT_S,
        dt_s=TABLE_DT_S,
    )
    speed = np.linalg.norm(res.vel_mps, axis=1)
    reach = (
        ((res.end_code == END_KILL) | (res.end_code == END_MISS))
        & (res.miss_m <= itype.lethal_radius_m)
        & (res.end_time_s <= (1.0 - RESERVE) * itype.max_flight_s)
        & (speed >= (1.0 + RESERVE) * itype.min_speed_mps)
    )
    up = frame.up_unit(res.pos_m)
    gamma = np.arcsin(np.clip(np.sum(res.vel_mps * up, axis=1) / np.maximum(speed, 1e-9), -1, 1))
    rho = isa(frame.altitude_m(res.pos_m))["density_kgpm3"]
    aero = 0.5 * rho * speed**2 * tab.area_m2[0] * itype.lift_coefficient_max / res.mass_kg
    accel = np.minimum(aero, itype.max_accel_g * G0_MPS2)
    shape = rr.shape
    return FlyoutTable(
        name=name,
        launch_elevation_deg=float(launch_elevation_deg),
        ground_range_m=ranges,
        altitude_m=heights,
        time_s=np.where(reach, res.end_time_s, np.inf).reshape(shape),
        speed_mps=np.where(reach, speed, 0.0).reshape(shape),
        gamma_rad=np.where(reach, gamma, 0.0).reshape(shape),
        accel_mps2=np.where(reach, accel, 0.0).reshape(shape),
        min_accel_mps2=itype.endgame_min_g * G0_MPS2,
        min_range_m=itype.min_range_m,
        max_target_speed_mps=itype.max_target_speed_mps,
        key=table_key(itype, launch_elevation_deg),
    )


def point_at(frame: LocalFrame, ground_range_m: NDArray, height_m: NDArray) -> NDArray:
    """ENU points due north of the origin at a ground range and height above the sphere."""
    ang = np.asarray(ground_range_m, dtype=float) / frame.radius_m
    surface = np.stack(
        [
            np.zeros_like(ang),
            frame.radius_m * np.sin(ang),
            frame.radius_m * np.cos(ang) - frame.radius_m,
        ],
        axis=-1,
    )
    return frame.lift(surface, np.asarray(height_m, dtype=float))


# --------------------------------------------------------------------------- caching

_MEMORY: dict[str, FlyoutTable] = {}


def cache_dir() -> Path | None:
    """Directory of the on-disk table cache, or None when disabled."""
    env = os.environ.get("SAMSIM_CACHE_DIR")
    if env is not None:
        if env.strip().lower() in ("", "off", "none", "0"):
            return None
        return Path(env) / "flyout"
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return None
    return Path(platformdirs.user_cache_dir("samsim")) / "flyout"


def _save(table: FlyoutTable, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        meta = json.dumps(
            {
                "name": table.name,
                "launch_elevation_deg": table.launch_elevation_deg,
                "min_accel_mps2": table.min_accel_mps2,
                "min_range_m": table.min_range_m,
                "max_target_speed_mps": table.max_target_speed_mps,
                "key": table.key,
            }
        )
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                meta=np.array(meta),
                ground_range_m=table.ground_range_m,
                altitude_m=table.altitude_m,
                time_s=table.time_s,
                speed_mps=table.speed_mps,
                gamma_rad=table.gamma_rad,
                accel_mps2=table.accel_mps2,
            )
        os.replace(tmp, folder / f"{table.key}.npz")
    except OSError:
        pass  # the disk cache is optional


def _load(key: str, folder: Path) -> FlyoutTable | None:
    path = folder / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("key") != key:
                return None
            return FlyoutTable(
                name=meta["name"],
                launch_elevation_deg=float(meta["launch_elevation_deg"]),
                ground_range_m=z["ground_range_m"],
                altitude_m=z["altitude_m"],
                time_s=z["time_s"],
                speed_mps=z["speed_mps"],
                gamma_rad=z["gamma_rad"],
                accel_mps2=z["accel_mps2"],
                min_accel_mps2=float(meta["min_accel_mps2"]),
                min_range_m=float(meta["min_range_m"]),
                max_target_speed_mps=float(meta["max_target_speed_mps"]),
                key=key,
            )
    except (OSError, ValueError, KeyError):
        return None


def flyout_table(
    itype: InterceptorType, launch_elevation_deg: float, name: str = ""
) -> FlyoutTable:
    """The fly-out table of a type at a launch elevation, from cache or computed."""
    key = table_key(itype, launch_elevation_deg)
    hit = _MEMORY.get(key)
    if hit is not None:
        return hit
    folder = cache_dir()
    table = _load(key, folder) if folder is not None else None
    if table is None:
        table = compute_flyout_table(itype, launch_elevation_deg, name)
        if folder is not None:
            _save(table, folder)
    _MEMORY[key] = table
    return table


def flyout_set(
    itype: InterceptorType, launch_elevations_deg: list[float], name: str = ""
) -> FlyoutSet:
    """Tables of one type at each distinct launch elevation, stacked."""
    elevs = sorted({round(float(e), 6) for e in launch_elevations_deg})
    return FlyoutSet.from_tables([flyout_table(itype, e, name) for e in elevs], itype)


def planning_flyout(
    types: dict[str, InterceptorType],
    loadout: NDArray,
    launch_elevation_rad: NDArray,
) -> tuple[FlyoutSet | None, ...]:
    """Fly-out sets for the FDC: one per type (catalog order) that some launcher carries.

    ``loadout`` (launchers, types) rounds per type; a type no launcher carries
    gets None (it is never fired).
    """
    out: list[FlyoutSet | None] = []
    for k, (name, itype) in enumerate(types.items()):
        carriers = np.flatnonzero(loadout[:, k] > 0) if loadout.size else np.zeros(0, int)
        if carriers.size == 0:
            out.append(None)
            continue
        elevs = np.degrees(launch_elevation_rad[carriers]).tolist()
        out.append(flyout_set(itype, elevs, name))
    return tuple(out)


# --------------------------------------------------------------------------- lookups


@jit
def _lookup(r_axis, h_axis, time, speed, gamma, accel, e, r, h):  # pragma: no cover
    """Bilinear table values at (r, h) for elevation e; time inf if any corner is."""
    nr, nh = r_axis.size, h_axis.size
    if r < 0.0 or h < -50.0:
        return np.inf, 0.0, 0.0, 0.0
    # Closer or lower than the grid's first row: as at that row.
    r = max(r, r_axis[0])
    h = max(h, h_axis[0])
    if r > r_axis[nr - 1] or h > h_axis[nh - 1]:
        return np.inf, 0.0, 0.0, 0.0
    i = min(np.searchsorted(r_axis, r) - 1, nr - 2)
    j = min(np.searchsorted(h_axis, h) - 1, nh - 2)
    i = max(i, 0)
    j = max(j, 0)
    fr = (r - r_axis[i]) / (r_axis[i + 1] - r_axis[i])
    fh = (h - h_axis[j]) / (h_axis[j + 1] - h_axis[j])
    t00, t10 = time[e, i, j], time[e, i + 1, j]
    t01, t11 = time[e, i, j + 1], time[e, i + 1, j + 1]
    if not (np.isfinite(t00) and np.isfinite(t10) and np.isfinite(t01) and np.isfinite(t11)):
        return np.inf, 0.0, 0.0, 0.0
    w00, w10, w01, w11 = (1 - fr) * (1 - fh), fr * (1 - fh), (1 - fr) * fh, fr * fh
    t = w00 * t00 + w10 * t10 + w01 * t01 + w11 * t11
    v = (
        w00 * speed[e, i, j]
        + w10 * speed[e, i + 1, j]
        + w01 * speed[e, i, j + 1]
        + w11 * speed[e, i + 1, j + 1]
    )
    g = (
        w00 * gamma[e, i, j]
        + w10 * gamma[e, i + 1, j]
        + w01 * gamma[e, i, j + 1]
        + w11 * gamma[e, i + 1, j + 1]
    )
    a = (
        w00 * accel[e, i, j]
        + w10 * accel[e, i + 1, j]
        + w01 * accel[e, i, j + 1]
        + w11 * accel[e, i + 1, j + 1]
    )
    return t, v, g, a


@jit
def _geometry(lx, ly, lz, px, py, pz, radius):  # pragma: no cover
    """Ground range [m] and height above the launcher's ground [m] of point p."""
    ax, ay, az = lx, ly, lz + radius
    bx, by, bz = px, py, pz + radius
    ra = np.sqrt(ax * ax + ay * ay + az * az)
    rb = np.sqrt(bx * bx + by * by + bz * bz)
    c = (ax * bx + ay * by + az * bz) / (ra * rb)
    ang = np.arccos(min(max(c, -1.0), 1.0))
    return radius * ang, (rb - radius) - (ra - radius - LAUNCHER_HEIGHT_M)


@jit
def _feasible(
    lx, ly, lz, px, py, pz, tvx, tvy, tvz, v_arr, gamma, accel, min_accel, radius
):  # pragma: no cover - compiled
    """Planning rules at an intercept point (see the module docstring)."""
    if accel < min_accel:
        return False
    # Missile arrival direction: horizontal bearing launcher -> point, pitched by gamma.
    bx, by, bz = px, py, pz + radius
    rb = np.sqrt(bx * bx + by * by + bz * bz)
    ux, uy, uz = bx / rb, by / rb, bz / rb
    dx, dy, dz = px - lx, py - ly, pz - lz
    du = dx * ux + dy * uy + dz * uz
    hx, hy, hz = dx - du * ux, dy - du * uy, dz - du * uz
    hn = np.sqrt(hx * hx + hy * hy + hz * hz)
    if hn > 1e-6:
        hx, hy, hz = hx / hn, hy / hn, hz / hn
    cg, sg = np.cos(gamma), np.sin(gamma)
    mx, my, mz = cg * hx + sg * ux, cg * hy + sg * uy, cg * hz + sg * uz
    closing = v_arr - (tvx * mx + tvy * my + tvz * mz)
    return closing >= MIN_CLOSING_MPS


@jit
def _solve_kernel(
    l_pos,
    l_el,
    t_pos,
    t_vel,
    t_asset,
    radius,
    r_axis,
    h_axis,
    time,
    speed,
    gamma,
    accel,
    min_accel,
    min_range,
    max_tgt_speed,
    ok,
    t_out,
    pip,
):  # pragma: no cover
    # Longest reachable ground range and time of flight at each elevation: beyond them
    # no lookup is needed.
    n_e = time.shape[0]
    reach = np.zeros(n_e)
    t_hi = 0.0
    for e in range(n_e):
        for i in range(time.shape[1]):
            for j in range(time.shape[2]):
                if np.isfinite(time[e, i, j]):
                    reach[e] = max(reach[e], r_axis[i])
                    t_hi = max(t_hi, time[e, i, j])
    h_top = h_axis[h_axis.size - 1]
    for a in range(l_pos.shape[0]):
        lx, ly, lz = l_pos[a, 0], l_pos[a, 1], l_pos[a, 2]
        e = l_el[a]
        for b in range(t_pos.shape[0]):
            ok[a, b] = False
            t_out[a, b] = np.inf
            pip[a, b, 0], pip[a, b, 1], pip[a, b, 2] = t_pos[b, 0], t_pos[b, 1], t_pos[b, 2]
            vx, vy, vz = t_vel[b, 0], t_vel[b, 1], t_vel[b, 2]
            if np.sqrt(vx * vx + vy * vy + vz * vz) > max_tgt_speed:
                continue
            t_stop = min(t_hi, t_asset[b])
            # Search forward for the first t with T_fly(PIP(t)) <= t. Where the table
            # gives a time of flight T > t the next try is T itself (the root lies there
            # or later for an approaching target, earlier for none), at most JUMP_S on.
            t_prev = 0.0
            found = False
            t = 0.0
            while t <= t_stop + SCAN_STEP_S:
                px = t_pos[b, 0] + vx * t
                py = t_pos[b, 1] + vy * t
                pz = t_pos[b, 2] + vz * t
                gr, hr = _geometry(lx, ly, lz, px, py, pz, radius)
                tf = np.inf
                if gr <= reach[e] and hr <= h_top:
                    tf, _, _, _ = _lookup(r_axis, h_axis, time, speed, gamma, accel, e, gr, hr)
                if tf <= t:
                    found = True
                    break
                t_prev = t
                if np.isfinite(tf):
                    t += min(max(tf - t, SCAN_STEP_S), JUMP_S)
                else:
                    t += SCAN_STEP_S
            if not found or t == 0.0:
                continue
            lo, hi = t_prev, t
            for _ in range(BISECTIONS):
                mid = 0.5 * (lo + hi)
                px = t_pos[b, 0] + vx * mid
                py = t_pos[b, 1] + vy * mid
                pz = t_pos[b, 2] + vz * mid
                gr, hr = _geometry(lx, ly, lz, px, py, pz, radius)
                tf, _, _, _ = _lookup(r_axis, h_axis, time, speed, gamma, accel, e, gr, hr)
                if tf <= mid:
                    hi = mid
                else:
                    lo = mid
            # Entering the reachable region already too early is no solution for a launch now.
            px = t_pos[b, 0] + vx * lo
            py = t_pos[b, 1] + vy * lo
            pz = t_pos[b, 2] + vz * lo
            gr, hr = _geometry(lx, ly, lz, px, py, pz, radius)
            tf_lo, _, _, _ = _lookup(r_axis, h_axis, time, speed, gamma, accel, e, gr, hr)
            if not np.isfinite(tf_lo):
                continue
            px = t_pos[b, 0] + vx * hi
            py = t_pos[b, 1] + vy * hi
            pz = t_pos[b, 2] + vz * hi
            gr, hr = _geometry(lx, ly, lz, px, py, pz, radius)
            tf, v_arr, gam, acc = _lookup(r_axis, h_axis, time, speed, gamma, accel, e, gr, hr)
            if not np.isfinite(tf) or hi >= t_asset[b]:
                continue
            slant = np.sqrt((px - lx) ** 2 + (py - ly) ** 2 + (pz - lz) ** 2)
            if slant < min_range:
                continue
            if not _feasible(
                lx, ly, lz, px, py, pz, vx, vy, vz, v_arr, gam, acc, min_accel, radius
            ):
                continue
            ok[a, b] = True
            t_out[a, b] = hi
            pip[a, b, 0], pip[a, b, 1], pip[a, b, 2] = px, py, pz


def solve_intercepts(
    flyout: FlyoutSet,
    launcher_pos_m: NDArray,
    launch_elevation_rad: NDArray,
    target_pos_m: NDArray,
    target_vel_mps: NDArray,
    time_to_asset_s: NDArray,
    radius_m: float,
) -> tuple[NDArray[np.bool_], NDArray, NDArray]:
    """Acceptability (L, k), time to intercept (L, k) [s] and PIPs (L, k, 3) from the tables.

    A launch now is acceptable when the round reaches the predicted intercept
    point when the target does, the planning rules hold there, and the
    intercept comes before the target reaches its asset.
    """
    n_l, n_t = len(launcher_pos_m), len(target_pos_m)
    ok = np.zeros((n_l, n_t), dtype=bool)
    t = np.full((n_l, n_t), np.inf)
    pip = np.zeros((n_l, n_t, 3))
    if n_l == 0 or n_t == 0:
        return ok, t, pip
    _solve_kernel(
        np.ascontiguousarray(launcher_pos_m, dtype=np.float64),
        flyout.elevation_index(launch_elevation_rad).reshape(-1),
        np.ascontiguousarray(target_pos_m, dtype=np.float64),
        np.ascontiguousarray(target_vel_mps, dtype=np.float64),
        np.ascontiguousarray(np.broadcast_to(time_to_asset_s, (n_t,)), dtype=np.float64),
        float(radius_m),
        *flyout.grids,
        float(flyout.min_accel_mps2),
        float(flyout.min_range_m),
        float(flyout.max_target_speed_mps),
        ok,
        t,
        pip,
    )
    return ok, t, pip


# A cheap, conservative pre-filter of ``solve_intercepts`` (``may_intercept``): slack on
# distances [m] and times [s], the time step of its scan [s], the time bins of its reach
# tables [s], and the bound on how fast a target's ground range and height from a
# launcher can change, as a multiple of its speed (1.01 holds for any point above 63 km
# below the sphere).
REACH_SLACK_M = 100.0
REACH_SLACK_S = 1.0
REACH_STEP_S = 4.0
REACH_BIN_S = 0.5
_LIPSCHITZ = 1.01
# Caches by object identity (each replication builds its own fly-out sets), kept small.
_REACH: dict[int, tuple[object, object]] = {}
_REACH_CACHE_MAX = 64


def _remember(key: object, value: object) -> None:
    if len(_REACH) >= _REACH_CACHE_MAX:
        _REACH.clear()
    _REACH[id(key)] = (key, value)


def reach_limits(flyout: FlyoutSet) -> tuple[NDArray, float]:
    """How far the tables reach by a time, per height cell: (n_bins, nh - 1) [m], and the
    longest finite time of flight [s].

    ``reach[n, j]`` is the farthest ground range of a table cell (ranges i..i+1,
    heights j..j+1, any elevation) with a finite time of flight at all four corners
    of which the least is at most ``n * REACH_BIN_S``; -inf if there is none. The
    bilinear time of flight at a point is at least its cell's least corner time, and
    the point lies within the cell's far range, so a point reached within t lies
    within ``reach[ceil(t / REACH_BIN_S), j]`` of its height cell j (the last bin
    holds every cell).
    """
    hit = _REACH.get(id(flyout))
    if hit is not None and hit[0] is flyout:
        return hit[1]
    t = flyout.time_s
    corner = np.minimum(
        np.minimum(t[:, :-1, :-1], t[:, 1:, :-1]), np.minimum(t[:, :-1, 1:], t[:, 1:, 1:])
    )  # (e, nr - 1, nh - 1); inf unless every corner is finite
    finite = np.isfinite(t)
    t_max_s = float(t[finite].max()) if finite.any() else 0.0
    n_bins = math.ceil(t_max_s / REACH_BIN_S) + 2
    bin_of = np.where(np.isfinite(corner), np.ceil(corner / REACH_BIN_S), n_bins)
    bins = np.minimum(bin_of, n_bins).astype(np.int64)  # n_bins: never
    far = np.broadcast_to(flyout.ground_range_m[1:, None], corner.shape[1:])
    reach = np.full((n_bins + 1, corner.shape[2]), -np.inf)
    for e in range(corner.shape[0]):
        for j in range(corner.shape[2]):
            np.maximum.at(reach[:, j], bins[e, :, j], far[:, j])
    reach = np.maximum.accumulate(reach[:n_bins], axis=0)
    out = (np.ascontiguousarray(reach), t_max_s)
    _remember(flyout, out)
    return out


@dataclass(frozen=True, slots=True)
class ReachTables:
    """``reach_limits`` of several types stacked for ``may_intercept_types``.

    Type k: ``reach_m[k, :n_bins[k], :n_height[k] - 1]`` with the height axis
    ``height_m[k, :n_height[k]]`` of its tables (``n_height`` 0: a type without
    tables); ``seeker_m`` is -1 for a type that does not lock on before launch.
    """

    reach_m: NDArray[np.float64]  # (K, bins, cells)
    height_m: NDArray[np.float64]  # (K, heights)
    n_bins: NDArray[np.int64]  # (K,)
    n_height: NDArray[np.int64]  # (K,)
    t_max_s: NDArray[np.float64]  # (K,)
    max_target_speed_mps: NDArray[np.float64]  # (K,)
    seeker_m: NDArray[np.float64]  # (K,)

    def kernel_columns(self) -> tuple[NDArray, ...]:
        """The stacked limits in the parameter order of the compiled reach tests
        (``target_may_reach``, ``_reach_kernel`` and the FDC screens)."""
        return (
            self.reach_m, self.height_m, self.n_bins, self.n_height, self.t_max_s,
            self.max_target_speed_mps, self.seeker_m,
        )  # fmt: skip

    @classmethod
    def of(cls, flyouts: tuple[FlyoutSet | None, ...]) -> ReachTables:
        """Stacked limits of each type's fly-out set (None: a type without tables)."""
        hit = _REACH.get(id(flyouts))
        if hit is not None and hit[0] is flyouts:
            return hit[1]
        n = len(flyouts)
        limits = [None if fs is None else reach_limits(fs) for fs in flyouts]
        nb = max([1] + [lim[0].shape[0] for lim in limits if lim is not None])
        nh = max([2] + [len(fs.altitude_m) for fs in flyouts if fs is not None])
        reach = np.full((n, nb, nh - 1), -np.inf)
        height = np.full((n, nh), np.inf)
        n_bins, n_height = np.zeros(n, np.int64), np.zeros(n, np.int64)
        t_max, v_max, seeker = np.zeros(n), np.zeros(n), np.full(n, -1.0)
        for k, (fs, lim) in enumerate(zip(flyouts, limits, strict=True)):
            if fs is None or lim is None:
                continue
            r_k, t_max[k] = lim
            reach[k, : r_k.shape[0], : r_k.shape[1]] = r_k
            height[k, : len(fs.altitude_m)] = fs.altitude_m
            n_bins[k], n_height[k] = r_k.shape[0], len(fs.altitude_m)
            v_max[k] = fs.max_target_speed_mps
            if fs.lock_before_launch:
                seeker[k] = fs.seeker_range_m
        out = cls(reach, height, n_bins, n_height, t_max, v_max, seeker)
        _remember(flyouts, out)
        return out


@jit
def _height_cell(h_axis, nh, h):  # pragma: no cover - compiled
    """The height cell ``_lookup`` uses at height h (clamped to the first row)."""
    h = max(h, h_axis[0])
    j = np.searchsorted(h_axis[:nh], h) - 1
    return min(max(j, 0), nh - 2)


@jit
def _reach_by(reach, height, n_bins, n_height, k, t, h_lo, h_hi):  # pragma: no cover
    """Farthest ground range [m] of a point at a height in [h_lo, h_hi] reached within t
    [s] by type k (-inf: none), one height cell to spare on each side."""
    nh = n_height[k]
    n = min(max(int(np.ceil(t / REACH_BIN_S)), 0), n_bins[k] - 1)
    j_lo = max(_height_cell(height[k], nh, h_lo) - 1, 0)
    j_hi = min(_height_cell(height[k], nh, h_hi) + 1, nh - 2)
    out = -np.inf
    for j in range(j_lo, j_hi + 1):
        out = max(out, reach[k, n, j])
    return out


@jit
def _pair_may_reach(
    lx,
    ly,
    lz,
    px,
    py,
    pz,
    vx,
    vy,
    vz,
    speed,
    te,
    radius,
    reach,
    height,
    n_bins,
    n_height,
    k,
    seeker_m,
):  # pragma: no cover - compiled
    """Whether one launcher may accept one target with type k (see ``may_intercept``);
    ``te`` the latest intercept time [s]."""
    if seeker_m >= 0.0:
        rng = np.sqrt((px - lx) ** 2 + (py - ly) ** 2 + (pz - lz) ** 2)
        if rng > seeker_m + REACH_SLACK_M:
            return False
    lip = _LIPSCHITZ * speed
    top = height[k, n_height[k] - 1]
    gr, hr = _geometry(lx, ly, lz, px, py, pz, radius)
    if gr - lip * te - REACH_SLACK_M > _reach_by(
        reach, height, n_bins, n_height, k, te + REACH_SLACK_S, -np.inf, np.inf
    ):
        return False
    t = 0.0
    while t <= te:
        tau = min(t + REACH_STEP_S, te)
        gr, hr = _geometry(lx, ly, lz, px + vx * t, py + vy * t, pz + vz * t, radius)
        d = lip * (tau - t) + REACH_SLACK_M
        if (
            hr - d <= top
            and hr + d >= -50.0
            and gr - d
            <= _reach_by(reach, height, n_bins, n_height, k, tau + REACH_SLACK_S, hr - d, hr + d)
        ):
            return True
        t += REACH_STEP_S
    return False


@jit
def target_may_reach(
    l_pos,
    has,
    t_pos,
    t_vel,
    t_asset,
    b,
    k,
    radius,
    reach,
    height,
    n_bins,
    n_height,
    t_max_s,
    max_tgt_speed,
    seeker_m,
    out,
):  # pragma: no cover - compiled
    """``may_intercept_types`` of type k on target b from each launcher into out (L,);
    True if any."""
    any_ok = False
    for a in range(l_pos.shape[0]):
        out[a] = False
    if n_height[k] < 2:
        return False
    vx, vy, vz = t_vel[b, 0], t_vel[b, 1], t_vel[b, 2]
    speed = np.sqrt(vx * vx + vy * vy + vz * vz)
    if speed > max_tgt_speed[k]:
        return False
    te = t_asset[b]  # as np.fmin: the table's limit where t_asset is NaN
    if not te <= t_max_s[k] + SCAN_STEP_S:
        te = t_max_s[k] + SCAN_STEP_S
    px, py, pz = t_pos[b, 0], t_pos[b, 1], t_pos[b, 2]
    for a in range(l_pos.shape[0]):
        if has[a, k] and _pair_may_reach(
            l_pos[a, 0],
            l_pos[a, 1],
            l_pos[a, 2],
            px,
            py,
            pz,
            vx,
            vy,
            vz,
            speed,
            te,
            radius,
            reach,
            height,
            n_bins,
            n_height,
            k,
            seeker_m[k],
        ):
            out[a] = True
            any_ok = True
    return any_ok


@jit
def _reach_kernel(
    l_pos,
    has,
    t_pos,
    t_vel,
    t_asset,
    radius,
    reach,
    height,
    n_bins,
    n_height,
    t_max_s,
    max_tgt_speed,
    seeker_m,
    out,
):  # pragma: no cover - compiled
    """out[k, a, b]: type k from launcher a (if ``has[a, k]``) may accept target b."""
    col = np.zeros(l_pos.shape[0], dtype=np.bool_)
    for k in range(out.shape[0]):
        for b in range(t_pos.shape[0]):
            target_may_reach(
                l_pos,
                has,
                t_pos,
                t_vel,
                t_asset,
                b,
                k,
                radius,
                reach,
                height,
                n_bins,
                n_height,
                t_max_s,
                max_tgt_speed,
                seeker_m,
                col,
            )
            for a in range(l_pos.shape[0]):
                out[k, a, b] = col[a]


def may_intercept_types(
    tables: ReachTables,
    launcher_pos_m: NDArray,
    has: NDArray[np.bool_],
    target_pos_m: NDArray,
    target_vel_mps: NDArray,
    time_to_asset_s: NDArray,
    radius_m: float,
) -> NDArray[np.bool_]:
    """``may_intercept`` of every type at once: (K, L, k), False where launcher l does
    not carry type K (``has`` (L, K)) or ``solve_intercepts`` cannot accept the launch."""
    n_k, n_l, n_t = len(tables.t_max_s), len(launcher_pos_m), len(target_pos_m)
    out = np.zeros((n_k, n_l, n_t), dtype=bool)
    if n_l == 0 or n_t == 0:
        return out
    t_asset = np.asarray(time_to_asset_s, dtype=np.float64)
    if t_asset.shape != (n_t,):
        t_asset = np.full(n_t, t_asset)
    _reach_kernel(
        np.ascontiguousarray(launcher_pos_m, dtype=np.float64),
        np.ascontiguousarray(has, dtype=np.bool_),
        np.ascontiguousarray(target_pos_m, dtype=np.float64),
        np.ascontiguousarray(target_vel_mps, dtype=np.float64),
        np.ascontiguousarray(t_asset),
        float(radius_m),
        *tables.kernel_columns(),
        out,
    )
    return out


def may_intercept(
    flyout: FlyoutSet,
    launcher_pos_m: NDArray,
    target_pos_m: NDArray,
    target_vel_mps: NDArray,
    time_to_asset_s: NDArray,
    radius_m: float,
) -> NDArray[np.bool_]:
    """(L, k) False where ``solve_intercepts`` (with the seeker check of a type that
    locks on before launch) cannot accept the launch: a cheap, conservative pre-filter.

    An accepted launch has an intercept time t in (0, T], T the earlier of
    ``time_to_asset_s`` and the tables' longest time of flight plus one search
    step, at which the target's predicted point lies inside the tables' heights
    and within the ground range the tables reach by t at its height
    (``reach_limits``). This scans each target's straight path up to T in
    ``REACH_STEP_S`` steps, allowing for how far it can move within a step, with
    ``REACH_SLACK_M`` and ``REACH_SLACK_S`` to spare; True does not mean acceptable.
    """
    has = np.ones((len(launcher_pos_m), 1), dtype=bool)
    tables = ReachTables.of((flyout,))
    return may_intercept_types(
        tables, launcher_pos_m, has, target_pos_m, target_vel_mps, time_to_asset_s, radius_m
    )[0]


@jit
def _arrival_kernel(
    l_pos, l_el, pip, ok, radius, r_axis, h_axis, time, speed, gamma, accel, v_out, a_out
):  # pragma: no cover - compiled
    for a in range(l_pos.shape[0]):
        e = l_el[a]
        for b in range(pip.shape[1]):
            v_out[a, b] = 0.0
            a_out[a, b] = 0.0
            if not ok[a, b]:
                continue
            gr, hr = _geometry(
                l_pos[a, 0],
                l_pos[a, 1],
                l_pos[a, 2],
                pip[a, b, 0],
                pip[a, b, 1],
                pip[a, b, 2],
                radius,
            )
            tf, v, _, acc = _lookup(r_axis, h_axis, time, speed, gamma, accel, e, gr, hr)
            if np.isfinite(tf):
                v_out[a, b] = v
                a_out[a, b] = acc


def arrival_state(
    flyout: FlyoutSet,
    launcher_pos_m: NDArray,
    launch_elevation_rad: NDArray,
    pip_m: NDArray,
    ok: NDArray,
    radius_m: float,
) -> tuple[NDArray, NDArray]:
    """Speed [m/s] and available lateral acceleration [m/s^2] of each round at its PIP.

    ``pip_m`` (L, k, 3) and ``ok`` (L, k) as returned by ``solve_intercepts``;
    the values are the fly-out table's at the intercept point (bilinear), 0 where
    ``ok`` is False.
    """
    n_l, n_t = ok.shape
    v = np.zeros((n_l, n_t))
    acc = np.zeros((n_l, n_t))
    if n_l == 0 or n_t == 0:
        return v, acc
    _arrival_kernel(
        np.ascontiguousarray(launcher_pos_m, dtype=np.float64),
        flyout.elevation_index(launch_elevation_rad).reshape(-1),
        np.ascontiguousarray(pip_m, dtype=np.float64),
        np.ascontiguousarray(ok, dtype=np.bool_),
        float(radius_m),
        *flyout.grids,
        v,
        acc,
    )
    return v, acc


# --------------------------------------------------------------------------- envelopes


@dataclass(frozen=True, slots=True)
class Envelope:
    """Engagement envelope of one type against straight and level targets of one speed.

    ``feasible[h, d, x]``: a target at height ``altitude_m[h]`` whose track
    passes ``offset_m[d]`` from the launcher can be intercepted where it is
    ``along_m[x]`` along its track from the point of closest approach (positive:
    still approaching). ``max_range_m`` and ``min_range_m`` (h, d) are the
    longest and shortest ground ranges of such intercept points (NaN if none).
    """

    name: str
    target_speed_mps: float
    altitude_m: NDArray
    offset_m: NDArray
    along_m: NDArray
    feasible: NDArray[np.bool_]
    time_s: NDArray
    max_range_m: NDArray
    min_range_m: NDArray

    @property
    def max_range_overall_m(self) -> float:
        """Longest intercept ground range at any height and offset."""
        return float(np.nanmax(self.max_range_m)) if np.isfinite(self.max_range_m).any() else 0.0

    @property
    def max_altitude_m(self) -> float:
        """Highest target height at which some intercept is possible."""
        any_h = self.feasible.any(axis=(1, 2))
        return float(self.altitude_m[any_h].max()) if any_h.any() else 0.0


def engagement_envelope(
    table: FlyoutTable,
    target_speed_mps: float,
    altitude_m: NDArray | None = None,
    offset_m: NDArray | None = None,
    along_m: NDArray | None = None,
) -> Envelope:
    """Intercept ranges against straight and level targets at ``target_speed_mps``.

    Uses the same tables and planning rules as the FDC (``solve_intercepts``).
    """
    if target_speed_mps < 0:
        raise ValueError(f"target_speed_mps: must be >= 0, got {target_speed_mps}")
    r_max = float(table.ground_range_m[-1])
    h_axis = table.altitude_m
    altitude_m = (
        np.linspace(h_axis[0], h_axis[-1], 80) if altitude_m is None else np.asarray(altitude_m)
    )
    offset_m = np.linspace(0.0, r_max, 41) if offset_m is None else np.asarray(offset_m)
    along_m = np.linspace(-r_max, r_max, 241) if along_m is None else np.asarray(along_m)
    fs = FlyoutSet.from_tables([table])
    hh, dd, xx = np.meshgrid(altitude_m, offset_m, along_m, indexing="ij")
    ground = np.hypot(dd, xx)
    # Intercept points in a local flat frame (east = offset, north = along): the
    # table is in ground range and height, so curvature does not enter here.
    feasible = np.zeros(hh.shape, dtype=bool)
    time = np.full(hh.shape, np.inf)
    _envelope_kernel(
        ground.ravel(),
        hh.ravel(),
        dd.ravel(),
        xx.ravel(),
        float(target_speed_mps),
        *fs.grids,
        fs.min_accel_mps2,
        fs.min_range_m,
        fs.max_target_speed_mps,
        feasible.reshape(-1),
        time.reshape(-1),
    )
    rng = np.where(feasible, ground, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no intercept there
        max_r = np.nanmax(rng, axis=2)
        min_r = np.nanmin(rng, axis=2)
    return Envelope(
        name=table.name,
        target_speed_mps=float(target_speed_mps),
        altitude_m=altitude_m,
        offset_m=offset_m,
        along_m=along_m,
        feasible=feasible,
        time_s=time,
        max_range_m=max_r,
        min_range_m=min_r,
    )


@jit
def _envelope_kernel(
    ground,
    height,
    offset,
    along,
    v_t,
    r_axis,
    h_axis,
    time,
    speed,
    gamma,
    accel,
    min_accel,
    min_range,
    max_tgt_speed,
    feasible,
    t_out,
):  # pragma: no cover
    if v_t > max_tgt_speed:
        return
    for n in range(ground.size):
        r, h = ground[n], height[n]
        tf, v_arr, gam, acc = _lookup(r_axis, h_axis, time, speed, gamma, accel, 0, r, h)
        if not np.isfinite(tf):
            continue
        if np.sqrt(r * r + h * h) < min_range or acc < min_accel:
            continue
        # Missile arrives along the bearing (offset, along) pitched by gamma; the
        # target flies toward -along: closing = v_arr - v_target . u_missile.
        by = along[n] / r if r > 1e-6 else 1.0
        closing = v_arr + v_t * np.cos(gam) * by
        if closing < MIN_CLOSING_MPS:
            continue
        feasible[n] = True
        t_out[n] = tf


__all__ = [
    "MIN_CLOSING_MPS",
    "Envelope",
    "FlyoutSet",
    "FlyoutTable",
    "ReachTables",
    "arrival_state",
    "cache_dir",
    "compute_flyout_table",
    "engagement_envelope",
    "flyout_set",
    "flyout_table",
    "may_intercept",
    "may_intercept_types",
    "planning_flyout",
    "reach_limits",
    "solve_intercepts",
    "table_grid",
    "table_key",
    "target_may_reach",
]
