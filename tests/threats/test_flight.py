"""Threat flight: speed, height above the curved surface, arrival; ballistic arcs."""

import numpy as np
import pytest

from samsim.scenario import scenario_from_data
from samsim.threats import fly, launch_due
from samsim.threats.state import FLYING, PENDING
from samsim.world import build_world

DT_S = 0.5


def _world(single_battery_data, raid_type, count=1, **raid):
    data = single_battery_data
    data["raids"] = [
        {
            "name": "r",
            "type": raid_type,
            "count": count,
            "launch": {"lat_deg": 25.10, "lon_deg": 120.66},
            "target": "taoyuan_airport",
            "aim_radius_m": 0,
            **raid,
        }
    ]
    data["traffic"] = []
    sc, cat = scenario_from_data(data)
    return build_world(sc, cat)


def _fly_until_done(w, t_max_s):
    t = 0.0
    launch_due(w.air, t)
    heights, arrived_at = [], None
    while t < t_max_s:
        done = fly(w.air, w.frame, t + DT_S, DT_S)
        t += DT_S
        heights.append(float(w.frame.altitude_m(w.air.pos_enu_m[0])))
        if done.size:
            arrived_at = t
            break
    return np.array(heights), arrived_at


def test_launch_waits_for_the_launch_time(single_battery_data):
    w = _world(single_battery_data, "owa_drone", count=3, start_s=10, interval_s=5)
    np.testing.assert_allclose(w.air.launch_time_s, [10.0, 15.0, 20.0])
    assert launch_due(w.air, 12.0).tolist() == [0]
    assert w.air.fate.tolist() == [FLYING, PENDING, PENDING]


def test_drone_flies_at_its_speed_and_holds_cruise_height_to_the_target(
    single_battery_data, catalog
):
    w = _world(single_battery_data, "owa_drone", altitude={"cruise_m": 600})
    start = w.air.pos_enu_m[0].copy()
    target = w.assets.pos_enu_m[0]
    ground_m = float(w.frame.ground_distance_m(start, target))
    assert ground_m == pytest.approx(58e3, rel=0.05)
    heights, arrived_at = _fly_until_done(w, 3000.0)
    assert arrived_at is not None
    speed = catalog.threats["owa_drone"].speed_mps
    assert arrived_at == pytest.approx(ground_m / speed, rel=0.01)
    np.testing.assert_allclose(heights, 600.0, atol=1e-6)
    assert float(w.frame.ground_distance_m(w.air.pos_enu_m[0], target)) < speed * DT_S


def test_sea_skimmer_climbs_at_its_climb_rate_to_the_terminal_height(single_battery_data, catalog):
    w = _world(
        single_battery_data,
        "subsonic_cm",
        altitude={"cruise_m": 30, "terminal_m": 300, "terminal_range_m": 10_000},
    )
    heights, _ = _fly_until_done(w, 1000.0)
    climb = catalog.threats["subsonic_cm"].max_climb_mps
    assert np.diff(heights).max() <= climb * DT_S + 1e-6
    assert heights[:100] == pytest.approx(30.0)
    assert heights[-1] == pytest.approx(300.0)


def test_ballistic_missile_peaks_at_its_apogee_halfway(single_battery_data, catalog):
    w = _world(single_battery_data, "srbm")
    heights, arrived_at = _fly_until_done(w, 1000.0)
    flight_s = float(w.air.flight_time_s[0])
    assert arrived_at == pytest.approx(flight_s, abs=DT_S)
    apogee = catalog.threats["srbm"].altitude_m
    assert heights.max() == pytest.approx(apogee, rel=1e-3)
    assert np.argmax(heights) * DT_S == pytest.approx(flight_s / 2, abs=DT_S)
    assert heights[-1] == pytest.approx(0.0, abs=1.0)


def test_raid_spreads_over_its_launch_area(single_battery_data):
    w = _world(
        single_battery_data,
        "owa_drone",
        count=50,
        launch={"lat_deg": 25.10, "lon_deg": 120.66, "radius_m": 4000},
    )
    centre = w.frame.to_enu(25.10, 120.66, 0.0)
    d = w.frame.ground_distance_m(w.air.pos_enu_m, centre)
    assert d.max() <= 4000.0 + 1.0
    assert d.max() > 3000.0 and np.median(d) > 1500.0  # uniform in the disc: median r/sqrt 2
