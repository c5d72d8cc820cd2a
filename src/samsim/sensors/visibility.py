"""Which (sensor, object) pairs a sensor can see: the compiled geometry kernel.

One pass over sensors x objects applies the cheap tests first (beam sector,
range, elevation, 4/3-earth horizon) and marches the line of sight over the
terrain grid only for the pairs that pass them, so terrain masking costs little
even with a DEM. Shared by the rotating radars and the EO/IR sensors.

Terrain masking mirrors ``samsim.geo.terrain.Terrain.masked``: the straight
ray is sampled every grid cell; at each sample the ground height (bilinear on
the ENU grid, 0 off the grid) is compared with the ray's height above the
local sphere raised by d1 d2 (1/R - 1/(k R)) / 2, the standard-refraction
correction of the 4/3-earth model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.geo.horizon import EARTH_RADIUS_M, K_FACTOR
from samsim.geo.terrain import Terrain

TWO_PI = 2.0 * math.pi
MAX_RAY_SAMPLES = 2000


@dataclass(frozen=True, slots=True)
class TerrainGrid:
    """The arrays of a Terrain the kernel needs (``use`` False for flat sea)."""

    use: bool
    east0_m: float
    north0_m: float
    cell_m: float
    height_m: NDArray[np.float64]
    max_height_m: float  # highest ground: a ray above it cannot be blocked there

    @classmethod
    def of(cls, terrain: Terrain | None) -> TerrainGrid:
        if terrain is None or terrain.is_flat:
            return cls(False, 0.0, 0.0, 1.0, np.zeros((2, 2)), 0.0)
        height = np.ascontiguousarray(terrain.height_m, dtype=np.float64)
        return cls(
            True,
            float(terrain.east0_m),
            float(terrain.north0_m),
            float(terrain.cell_m),
            height,
            float(height.max()),
        )


@jit
def _surface(h, e0, n0, cell, x, y):  # pragma: no cover - compiled
    fx = (x - e0) / cell
    fy = (y - n0) / cell
    ny, nx = h.shape
    if fx < 0.0 or fy < 0.0 or fx > nx - 1 or fy > ny - 1:
        return 0.0
    ix = min(max(math.floor(fx), 0), nx - 2)
    iy = min(max(math.floor(fy), 0), ny - 2)
    tx = min(max(fx - ix, 0.0), 1.0)
    ty = min(max(fy - iy, 0.0), 1.0)
    return (
        (1 - tx) * (1 - ty) * h[iy, ix]
        + tx * (1 - ty) * h[iy, ix + 1]
        + (1 - tx) * ty * h[iy + 1, ix]
        + tx * ty * h[iy + 1, ix + 1]
    )


@jit
def ray_blocked(
    ax, ay, az, bx, by, bz, h, e0, n0, cell, hmax, radius, refr_per_m2
):  # pragma: no cover - compiled
    """True where the ground rises above the refracted ray from a to b (ENU, m)."""
    dx, dy, dz = bx - ax, by - ay, bz - az
    length = math.sqrt(dx * dx + dy * dy + dz * dz)
    n = math.ceil(length / cell)
    n = min(max(n, 2), MAX_RAY_SAMPLES)
    for i in range(1, n):
        t = i / n
        px, py, pz = ax + dx * t, ay + dy * t, az + dz * t
        d1 = length * t
        ray = math.sqrt(px * px + py * py + (pz + radius) ** 2) - radius
        ray += d1 * (length - d1) * refr_per_m2
        if ray >= hmax:
            continue  # above the highest ground
        ground = _surface(h, e0, n0, cell, px, py)
        # Sea (ground 0) is left to the smooth-earth horizon test.
        if ground > 0.0 and ground > ray:
            return True
    return False


@jit
def visible_pairs(
    spos,
    axes,
    beam,
    sweep,
    rmin,
    rmax,
    elmin,
    elmax,
    sheight,
    alive,
    pos,
    radius,
    k_earth_m,
    use_terrain,
    h,
    e0,
    n0,
    cell,
    hmax,
    refr_per_m2,
):  # pragma: no cover - compiled
    """(sensor, object) pairs inside the swept sector that the sensor can see.

    Returns sensor and object indices, range, azimuth (clockwise from the
    sensor's north), elevation and the fraction of the sweep at which the beam
    passes the object (0.5 for a staring sensor, ``sweep >= 2 pi``).
    """
    n_s = spos.shape[0]
    n = pos.shape[0]
    cap = n_s * n
    si = np.empty(cap, np.intp)
    oi = np.empty(cap, np.intp)
    rr = np.empty(cap)
    aa = np.empty(cap)
    ee = np.empty(cap)
    ff = np.empty(cap)
    m = 0
    for s in range(n_s):
        if not alive[s]:
            continue
        # Sensor's unit up vector on the local sphere.
        qx, qy, qz = spos[s, 0], spos[s, 1], spos[s, 2] + radius
        qn = math.sqrt(qx * qx + qy * qy + qz * qz)
        qx, qy, qz = qx / qn, qy / qn, qz / qn
        h_s = max(sheight[s], 0.0)
        staring = sweep[s] >= TWO_PI
        for t in range(n):
            dx, dy, dz = pos[t, 0] - spos[s, 0], pos[t, 1] - spos[s, 1], pos[t, 2] - spos[s, 2]
            le = axes[s, 0, 0] * dx + axes[s, 0, 1] * dy + axes[s, 0, 2] * dz
            ln = axes[s, 1, 0] * dx + axes[s, 1, 1] * dy + axes[s, 1, 2] * dz
            lu = axes[s, 2, 0] * dx + axes[s, 2, 1] * dy + axes[s, 2, 2] * dz
            az = math.atan2(le, ln) % TWO_PI
            off = (az - beam[s]) % TWO_PI
            if not (staring or off < sweep[s]):
                continue
            rng = math.sqrt(le * le + ln * ln + lu * lu)
            if rng < rmin[s] or rng > rmax[s]:
                continue
            el = math.asin(min(max(lu / max(rng, 1e-9), -1.0), 1.0))
            if el < elmin[s] or el > elmax[s]:
                continue
            px, py, pz = pos[t, 0], pos[t, 1], pos[t, 2] + radius
            pn = math.sqrt(px * px + py * py + pz * pz)
            h_t = max(pn - radius, 0.0)
            cx, cy, cz = px / pn - qx, py / pn - qy, pz / pn - qz
            chord = math.sqrt(cx * cx + cy * cy + cz * cz)
            ground = 2.0 * radius * math.asin(min(0.5 * chord, 1.0))
            if ground > math.sqrt(2.0 * k_earth_m * h_s) + math.sqrt(2.0 * k_earth_m * h_t):
                continue
            if use_terrain and ray_blocked(
                spos[s, 0],
                spos[s, 1],
                spos[s, 2],
                pos[t, 0],
                pos[t, 1],
                pos[t, 2],
                h,
                e0,
                n0,
                cell,
                hmax,
                radius,
                refr_per_m2,
            ):
                continue
            si[m] = s
            oi[m] = t
            rr[m] = rng
            aa[m] = az
            ee[m] = el
            ff[m] = 0.5 if staring else min(off / sweep[s], 1.0)
            m += 1
    return si[:m], oi[:m], rr[:m], aa[:m], ee[:m], ff[:m]


def refraction_per_m2(k: float = K_FACTOR) -> float:
    """Coefficient c of the ray-height correction c d1 d2 [1/m] for a k-earth."""
    return (1.0 / EARTH_RADIUS_M - 1.0 / (k * EARTH_RADIUS_M)) / 2.0


def los_blocked(
    grid: TerrainGrid, frame_radius_m: float, a_enu_m: NDArray, b_enu_m: NDArray
) -> NDArray[np.bool_]:
    """(k,) True where terrain blocks the line of sight between paired points (k, 3)."""
    a = np.atleast_2d(np.asarray(a_enu_m, float))
    b = np.atleast_2d(np.asarray(b_enu_m, float))
    out = np.zeros(len(a), dtype=bool)
    if not grid.use:
        return out
    c = refraction_per_m2()
    for i in range(len(a)):
        out[i] = ray_blocked(
            a[i, 0],
            a[i, 1],
            a[i, 2],
            b[i, 0],
            b[i, 1],
            b[i, 2],
            grid.height_m,
            grid.east0_m,
            grid.north0_m,
            grid.cell_m,
            grid.max_height_m,
            frame_radius_m,
            c,
        )
    return out
