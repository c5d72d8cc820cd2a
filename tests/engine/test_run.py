"""Invariants of simulated replications of single_battery."""

import numpy as np
import pytest

from samsim.engine import run_replication
from samsim.scenario import scenario_from_data
from samsim.threats.state import ARRIVED, FLYING, HOSTILE, KILLED, LEAKED, PENDING
from samsim.world import EVENT_KINDS
from tests.conftest import shortened

END_KINDS = ("kill", "miss", "self_destruct")


@pytest.fixture
def events(single_battery_run):
    return single_battery_run.events.to_pandas()


def test_interceptors_fired_never_exceed_the_magazine(single_battery_run):
    w = single_battery_run.world
    magazine = sum(
        sum(ln.loadout.values()) * (1 + ln.reloads)
        for b in w.scenario.batteries
        for ln in b.launchers
    )
    assert magazine == 12
    fired = single_battery_run.metrics["interceptors_fired"]
    assert 0 < fired <= magazine
    assert w.icpt.n_used == fired
    assert (w.launchers.rounds >= 0).all()
    assert w.launchers.rounds.sum() == magazine - fired
    by_type = single_battery_run.metrics["interceptors_by_type"]
    assert by_type.get("amraam", 0) <= 6 and by_type.get("amraam_er", 0) <= 6


def test_no_civil_or_friendly_object_is_engaged(single_battery_run, events):
    assert single_battery_run.metrics["civil_or_friendly_engagements"] == 0
    assert single_battery_run.metrics["civil_or_friendly_killed"] == 0
    engage = events[events["kind"] == "engage"]
    assert len(engage) > 0
    assert not engage["detail"].str.contains("allegiance=civil|allegiance=friend").any()
    w = single_battery_run.world
    airliner = w.air.name.index("approach#0")
    assert w.air.fate[airliner] == ARRIVED


def test_every_threat_ends_killed_leaked_or_still_flying(single_battery_run):
    m = single_battery_run.metrics
    air = single_battery_run.world.air
    hostile = air.allegiance == HOSTILE
    assert m["threats"] == hostile.sum() == 8
    assert np.isin(air.fate[hostile], [KILLED, LEAKED, FLYING]).all()
    assert not (air.fate[hostile] == PENDING).any()
    flying = int((air.fate[hostile] == FLYING).sum())
    assert m["kills"] + m["leakers"] + flying == m["threats"]
    assert sum(m["kills_by_type"].values()) == m["kills"]
    assert sum(m["leakers_by_type"].values()) == m["leakers"]


def test_events_are_in_time_order(events):
    assert (np.diff(events["time_s"].to_numpy()) >= 0).all()
    assert set(events["kind"]) <= set(EVENT_KINDS)
    assert (events["replication"] == events["replication"].iloc[0]).all()
    assert events["time_s"].between(0.0, 1300.0).all()


def test_every_kill_follows_the_launch_of_its_interceptor(events):
    launches = events[events["kind"] == "launch"].set_index("subject")["time_s"]
    assert launches.index.is_unique
    ends = events[events["kind"].isin(END_KINDS)]
    assert ends["subject"].is_unique  # a round ends once
    assert len(ends) <= len(launches)
    for _, e in ends.iterrows():
        assert e["subject"] in launches.index, e["subject"]
        assert launches[e["subject"]] < e["time_s"]
    kills = events[events["kind"] == "kill"]
    assert len(kills) > 0


def test_every_launch_follows_an_engage_order_and_the_threats_launch(events):
    engage_times = events.loc[events["kind"] == "engage", "time_s"].to_numpy()
    for t in events.loc[events["kind"] == "launch", "time_s"]:
        assert np.any(engage_times == t)
    launched = events[events["kind"] == "threat_launch"].set_index("subject")["time_s"]
    for kind in ("kill", "leaker"):
        for _, e in events[events["kind"] == kind].iterrows():
            obj = e["object"] if kind == "kill" else e["subject"]
            assert launched[obj] <= e["time_s"]


def test_event_counts_match_the_metrics(single_battery_run, events):
    m = single_battery_run.metrics
    kinds = events["kind"].value_counts()
    assert kinds.get("launch", 0) == m["interceptors_fired"]
    assert kinds.get("leaker", 0) == m["leakers"]
    assert kinds.get("kill", 0) == m["kills"]  # only hostiles are ever engaged
    assert kinds.get("threat_launch", 0) == 9  # 8 threats and the airliner


def test_kills_happen_inside_the_lethal_radius(single_battery_run, events, catalog):
    kills = events[events["kind"] == "kill"]
    miss = kills["detail"].str.extract(r"miss_m=([0-9.]+)")[0].astype(float)
    radius = max(t.lethal_radius_m for t in catalog.interceptors.values())
    assert (miss <= radius).all()


def test_costs_follow_the_catalog(single_battery_run, catalog):
    m = single_battery_run.metrics
    expected = sum(
        n * catalog.interceptors[name].unit_cost_usd
        for name, n in m["interceptors_by_type"].items()
    )
    assert m["cost_defence"] == pytest.approx(expected)
    assert m["cost_threats"] == pytest.approx(
        6 * catalog.threats["owa_drone"].unit_cost_usd
        + 2 * catalog.threats["subsonic_cm"].unit_cost_usd
    )


def test_weapons_hold_fires_nothing(single_battery_data):
    data = shortened(single_battery_data)
    data["doctrine"]["weapons_status"] = "hold"
    sc, cat = scenario_from_data(data)
    res = run_replication(sc, cat, 0)
    assert res.metrics["interceptors_fired"] == 0
    kinds = set(res.events.column("kind").to_pylist())
    assert "engage" not in kinds and "launch" not in kinds
    assert "track_confirmed" in kinds  # the radar still sees them


def test_status_change_to_hold_stops_the_firing(single_battery_data):
    # without the change this replication launches at about 140, 172, 226, 240 ... s
    data = shortened(single_battery_data)
    data["doctrine"]["status_changes"] = [{"time_s": 200.0, "status": "hold"}]
    sc, cat = scenario_from_data(data)
    events = run_replication(sc, cat, 0).events.to_pandas()
    change = events[events["kind"] == "weapons_status"]
    assert change["time_s"].tolist() == [200.0] and change["object"].tolist() == ["hold"]
    launch_times = events.loc[events["kind"] == "launch", "time_s"]
    assert len(launch_times) >= 1
    assert (launch_times <= 200.0 + sc.step_s).all()
