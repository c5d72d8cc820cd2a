"""Map layers of a run: sites, radar coverage rings, and the paths of one replication."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from samsim.catalog import Catalog
from samsim.engine import ReplicationResult
from samsim.geo import LocalFrame, radar_horizon_m
from samsim.plotting.engagement_map import MapLayers
from samsim.scenario.models import Scenario
from samsim.threats.state import FATE_NAMES, HOSTILE, KILLED, LEAKED
from samsim.world import scenario_origin

# (height above the surface [m], RCS [m^2], word): a sea-skimming cruise missile and an aircraft.
RING_TARGETS = ((15.0, 0.1, "low"), (3000.0, 1.0, "high"))


def detection_range_m(
    instrumented_m: float, ref_range_m: float, ref_rcs_m2: float, rcs_m2: float
) -> float:
    """Range at which a target has the reference Pd: R ~ sigma^(1/4) (PUBLIC-DATA 4.4)."""
    return min(instrumented_m, ref_range_m * (rcs_m2 / ref_rcs_m2) ** 0.25)


def coverage_ring(
    frame: LocalFrame, lat_deg: float, lon_deg: float, range_m: float, n: int = 120
) -> NDArray:
    """(n + 1, 2) lat, lon of points at a ground distance around a site."""
    centre = frame.to_enu(lat_deg, lon_deg, 0.0)
    axes = frame.local_axes(centre)
    ang = np.linspace(0.0, 2.0 * math.pi, n + 1)
    pts = centre + range_m * (np.sin(ang)[:, None] * axes[0] + np.cos(ang)[:, None] * axes[1])
    lat, lon, _ = frame.to_geodetic(frame.lift(pts, np.zeros(len(pts))))
    return np.stack([lat, lon], axis=1)


def _bbox(points: list[tuple[float, float]], pad_deg: float = 0.25):
    lat = [p[0] for p in points]
    lon = [p[1] for p in points]
    return (min(lon) - pad_deg, min(lat) - pad_deg, max(lon) + pad_deg, max(lat) + pad_deg)


def run_layers(sc: Scenario, cat: Catalog, result: ReplicationResult, notes: str = "") -> MapLayers:
    """Layers for the engagement map of one replication recorded with paths."""
    frame = LocalFrame.at(*scenario_origin(sc))
    assets = [(a.name, a.lat_deg, a.lon_deg) for a in sc.assets]
    fdcs = [(b.name, b.fdc.lat_deg, b.fdc.lon_deg) for b in sc.batteries]
    launchers = [
        (f"{b.name}/{ln.name}", ln.lat_deg, ln.lon_deg) for b in sc.batteries for ln in b.launchers
    ]
    radars = [(f"{b.name}/{r.name}", r.lat_deg, r.lon_deg) for b in sc.batteries for r in b.radars]
    coverage = []
    for b in sc.batteries:
        for r in b.radars:
            t = cat.radars[r.type]
            for alt, rcs, word in RING_TARGETS:
                det = detection_range_m(t.instrumented_range_m, t.ref_range_m, t.ref_rcs_m2, rcs)
                rng = min(det, float(radar_horizon_m(r.alt_m + t.antenna_height_m, alt)))
                label = f"radar vs {word} target ({alt:g} m, {rcs:g} m², Pd 0.5)"
                coverage.append((label, coverage_ring(frame, r.lat_deg, r.lon_deg, rng)))
    threat_paths: list[tuple[NDArray, str]] = []
    civil_paths: list[NDArray] = []
    icpt_paths: list[NDArray] = []
    w = result.world
    paths = result.paths
    if paths is not None and w is not None:
        for i in range(w.air.n):
            track = _latlon(frame, paths.air_enu_m[:, i])
            if track is None:
                continue
            if w.air.allegiance[i] != HOSTILE:
                civil_paths.append(track)
                continue
            fate = w.air.fate[i]
            label = "killed" if fate == KILLED else "leaked" if fate == LEAKED else FATE_NAMES[fate]
            threat_paths.append((track, label))
        for j in range(w.icpt.n_used):
            track = _latlon(frame, paths.interceptor_enu_m[:, j])
            if track is not None:
                icpt_paths.append(track)
    pts = [(a[1], a[2]) for a in assets] + [
        (p[0], p[1]) for tr, _ in threat_paths for p in tr[[0, -1]]
    ]
    return MapLayers(
        title=f"samsim: {sc.name}, replication {result.replication} (notional)",
        bbox_deg=_bbox(pts),
        assets=assets,
        fdcs=fdcs,
        launchers=launchers,
        radars=radars,
        coverage=coverage,
        threat_paths=threat_paths,
        interceptor_paths=icpt_paths,
        civil_paths=civil_paths,
        notes=notes,
    )


def _latlon(frame: LocalFrame, enu: NDArray) -> NDArray | None:
    ok = np.isfinite(enu[:, 0])
    if ok.sum() < 2:
        return None
    lat, lon, _ = frame.to_geodetic(enu[ok].astype(float))
    return np.stack([lat, lon], axis=1)
