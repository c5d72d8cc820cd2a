"""Fusion into one network picture: two radars beat either alone; the reference scenario stays safe.

The comparison uses a small local GOSPA (Rahmathullah, Garcia-Fernandez and Svensson,
"Generalized optimal sub-pattern assignment metric", FUSION 2017; p = 2, alpha = 2,
cut-off c) between confirmed network tracks and the true positions of every flying
object, averaged over the run once a second.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from samsim.engine import run_replication
from samsim.engine.run import SENSOR_PERIOD_S
from samsim.engine.stage_sensors import sensor_and_track_stage
from samsim.engine.stage_threats import threat_stage
from samsim.scenario import load_scenario, scenario_from_data
from samsim.world import build_world

CUTOFF_M = 1000.0


def gospa(
    truth_m: np.ndarray, tracks_m: np.ndarray, c: float = CUTOFF_M
) -> tuple[float, float, int]:
    """GOSPA (p = 2, alpha = 2), its localisation part (sum of squared errors [m^2]) and
    the number of assigned pairs between two point sets."""
    if len(truth_m) == 0 or len(tracks_m) == 0:
        return math.sqrt(c**2 / 2 * (len(truth_m) + len(tracks_m))), 0.0, 0
    d = np.linalg.norm(truth_m[:, None, :] - tracks_m[None, :, :], axis=2)
    cost = np.minimum(d, c) ** 2
    r, k = linear_sum_assignment(cost)
    assigned = d[r, k] < c
    loc = float((d[r, k][assigned] ** 2).sum())
    unassigned = len(truth_m) + len(tracks_m) - 2 * int(assigned.sum())
    return math.sqrt(loc + c**2 / 2 * unassigned), loc, int(assigned.sum())


def _scenario(radars: list[dict]) -> dict:
    """Two groups of sea-skimmers, one near each radar site, and drones down the middle."""
    return {
        "name": "fusion",
        "seed": 11,
        "duration_s": 300,
        "step_s": 0.2,
        "origin": {"lat_deg": 25.0, "lon_deg": 121.0},
        "assets": [
            {"name": f"a{i}", "lat_deg": 24.62, "lon_deg": lon, "value": 10}
            for i, lon in enumerate((120.72, 121.0, 121.28))
        ],
        "batteries": [
            {
                "name": "fu",
                "fdc": {"lat_deg": 25.0, "lon_deg": 121.0},
                "radars": radars,
                "launchers": [
                    {"name": "ln", "lat_deg": 25.0, "lon_deg": 121.0, "loadout": {"amraam": 6}}
                ],
            }
        ],
        "raids": [
            {
                "name": "cm_west",
                "type": "subsonic_cm",
                "count": 4,
                "launch": {"lat_deg": 25.30, "lon_deg": 120.72, "radius_m": 2000},
                "target": "a0",
                "interval_s": 10,
                "altitude": {"cruise_m": 30},
            },
            {
                "name": "cm_east",
                "type": "subsonic_cm",
                "count": 4,
                "launch": {"lat_deg": 25.30, "lon_deg": 121.28, "radius_m": 2000},
                "target": "a2",
                "interval_s": 10,
                "altitude": {"cruise_m": 30},
            },
            {
                "name": "drones",
                "type": "owa_drone",
                "count": 6,
                "launch": {"lat_deg": 25.25, "lon_deg": 121.0, "radius_m": 3000},
                "target": "a1",
                "interval_s": 5,
                "speed_mps": 120,
                "altitude": {"cruise_m": 500},
            },
        ],
    }


RADAR_WEST = {"name": "west", "lat_deg": 25.0, "lon_deg": 120.80, "alt_m": 20}
RADAR_EAST = {"name": "east", "lat_deg": 25.0, "lon_deg": 121.20, "alt_m": 20}


def _mean_gospa(radars: list[dict]) -> tuple[float, float]:
    """Mean GOSPA [m] over the run and the RMS position error of assigned tracks [m]."""
    sc, cat = scenario_from_data(_scenario(radars))
    w = build_world(sc, cat)
    dt = sc.step_s
    every = round(SENSOR_PERIOD_S / dt)
    total, loc_total, pairs, n = 0.0, 0.0, 0, 0
    for k in range(round(sc.duration_s / dt)):
        t0, t1 = k * dt, (k + 1) * dt
        threat_stage(w, t0, t1)
        if (k + 1) % every:
            continue
        sensor_and_track_stage(w, t1, dt * every)
        if t1 < 60.0:
            continue  # let tracks form
        truth = w.air.pos_enu_m[w.air.flying]
        rows = w.picture.confirmed()
        g, loc, k_assigned = gospa(truth, w.picture.position_at(rows, t1))
        total += g
        loc_total += loc
        pairs += k_assigned
        n += 1
    return total / n, math.sqrt(loc_total / pairs)


def test_two_radars_fused_give_a_lower_gospa_than_either_alone():
    west, rms_west = _mean_gospa([RADAR_WEST])
    east, rms_east = _mean_gospa([RADAR_EAST])
    both, rms_both = _mean_gospa([RADAR_WEST, RADAR_EAST])
    # Each radar alone misses the sea-skimmers beyond its horizon near the other site
    # (missed-target part of GOSPA); fused, both groups are held.
    assert both < 0.5 * min(west, east), (west, east, both)
    # And the fused tracks are no less accurate where they are held.
    assert rms_both < 1.05 * min(rms_west, rms_east), (rms_west, rms_east, rms_both)


def test_reference_scenario_runs_with_no_civil_or_friendly_engagement():
    path = Path(str(resources.files("samsim").joinpath("scenarios/taiwan_north.yaml")))
    sc, cat = load_scenario(path)
    sc = sc.model_copy(update={"duration_s": 1500.0})
    res = run_replication(sc, cat, 0)
    m = res.metrics
    assert m["civil_or_friendly_engagements"] == 0
    assert m["civil_or_friendly_killed"] == 0
    assert m["interceptors_fired"] > 20 and m["kills"] > 10
    ev = res.events.to_pandas()
    tracks = ev[ev.kind.isin(["track_confirmed", "engage", "launch"])]
    subjects = tracks.loc[tracks.kind != "launch", "subject"]
    assert subjects.str.fullmatch(r"net/T\d+").all(), subjects.head()
