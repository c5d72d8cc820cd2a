"""Replay data, CZML (read back by czml3), KML (read back by fastkml and ElementTree), YAML."""

from __future__ import annotations

import json
import math
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pydantic
import pytest
from czml3 import Document, Packet
from typer.testing import CliRunner

from samsim.cli import app
from samsim.cli.commands import reference_scenario
from samsim.engine import run_replication
from samsim.export import (
    record_replication,
    replay_to_czml,
    replay_to_kml,
    scenario_to_yaml,
)
from samsim.scenario import load_scenario, parse_yaml, scenario_from_data

KML_NS = {"kml": "http://www.opengis.net/kml/2.2", "gx": "http://www.google.com/kml/ext/2.2"}


@pytest.fixture(scope="module")
def small():
    """single_battery, 1300 s: drones, cruise missiles, an airliner; one fire unit."""
    return load_scenario(reference_scenario("single_battery"))


@pytest.fixture(scope="module")
def short(small):
    """single_battery cut to its first 400 s (drone engagements only)."""
    sc, cat = small
    return sc.model_copy(update={"duration_s": 400.0}), cat


@pytest.fixture(scope="module")
def replay(small):
    sc, cat = small
    return record_replication(sc, cat, 0, None)


def test_observing_steps_does_not_change_the_replication(short):
    sc, cat = short
    plain = run_replication(sc, cat, 0, 3)
    calls = []
    watched = run_replication(sc, cat, 0, 3, on_step=lambda w, t: calls.append(t))
    assert len(calls) > 100
    assert calls == sorted(calls)
    pd.testing.assert_frame_equal(watched.events.to_pandas(), plain.events.to_pandas())
    drop = {"wall_s"}
    assert {k: v for k, v in watched.metrics.items() if k not in drop} == {
        k: v for k, v in plain.metrics.items() if k not in drop
    }


def test_an_observer_that_raises_ends_the_replication(short):
    sc, cat = short

    class StopError(Exception):
        pass

    def stop_at_100_s(_w, t):
        if t >= 100.0:
            raise StopError

    calls = []

    def record_then_stop(w, t):
        calls.append(t)
        stop_at_100_s(w, t)

    with pytest.raises(StopError):
        run_replication(sc, cat, 0, 3, on_step=record_then_stop)
    assert 100.0 <= calls[-1] < 101.0


def test_replay_matches_the_metrics(small, replay):
    sc, _ = small
    m = replay["metrics"]
    n_threats = sum(r.count for r in sc.raids)
    n_traffic = sum(t.count for t in sc.traffic)
    assert len(replay["air"]) == n_threats + n_traffic
    hostile = [a for a in replay["air"] if a["allegiance"] == "hostile"]
    assert sum(a["fate"] == "leaked" for a in hostile) == m["leakers"]
    assert sum(a["fate"] == "killed" for a in hostile) == m["kills"]
    assert len(replay["interceptors"]) == m["interceptors_fired"]
    assert sum(e["kind"] == "leaker" for e in replay["events"]) == m["leakers"]
    assert sum(e["kind"] == "launch" for e in replay["events"]) == m["interceptors_fired"]
    # ends come from the event log: killed threats end where the kill happened
    kills = {e["object"]: e for e in replay["events"] if e["kind"] == "kill"}
    for a in hostile:
        if a["fate"] == "killed":
            ev = kills[a["name"]]
            assert a["t"][-1] == pytest.approx(ev["t"], abs=0.01)
            assert a["p"][-1][:2] == pytest.approx([ev["lat_deg"], ev["lon_deg"]], abs=1e-5)


def test_replay_tracks_are_time_ordered_and_in_the_area(replay):
    for mover in replay["air"] + replay["interceptors"]:
        t = np.array(mover["t"])
        assert len(t) == len(mover["p"]) > 0
        assert np.all(np.diff(t) > 0), mover["name"]
        p = np.array(mover["p"])
        assert np.all((p[:, 0] > 24.0) & (p[:, 0] < 26.0)), mover["name"]
        assert np.all((p[:, 1] > 120.0) & (p[:, 1] < 122.0)), mover["name"]
        assert np.all(p[:, 2] > -50.0)
    drones = [a for a in replay["air"] if a["type"] == "owa_drone"]
    # cruise at 600 m above the sea (scenario), within a few tens of metres mid-route
    mid = [a["p"][len(a["p"]) // 2][2] for a in drones]
    assert np.median(mid) == pytest.approx(600.0, abs=60.0)


def _haversine_m(a, b):
    la1, lo1, la2, lo2 = map(np.radians, (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_000 * np.arcsin(np.sqrt(h))


def test_radar_tracks_follow_their_truth(replay):
    tracks = replay["radar_tracks"]
    assert tracks, "confirmed tracks were sampled"
    air = {a["name"]: a for a in replay["air"]}
    errors = []
    for tr in tracks:
        if tr["truth"] not in air or len(tr["t"]) < 5:
            continue
        truth = air[tr["truth"]]
        t = np.array(tr["t"])
        tt = np.array(truth["t"])
        inside = (t >= tt[0]) & (t <= tt[-1])
        if inside.sum() < 5:
            continue
        tp = np.array(truth["p"])
        lat = np.interp(t[inside], tt, tp[:, 0])
        lon = np.interp(t[inside], tt, tp[:, 1])
        est = np.array(tr["p"])[inside]
        errors.append(np.median(_haversine_m(est, np.column_stack([lat, lon]))))
    assert len(errors) >= 5
    # a Sentinel-class radar tracks to a few hundred metres, not kilometres
    assert np.median(errors) < 500.0


def test_czml_is_read_back_by_czml3(replay, tmp_path):
    text = replay_to_czml(replay)
    path = tmp_path / "replay.czml"
    path.write_text(text)
    raw = json.loads(path.read_text())
    doc = Document(packets=[Packet.model_validate(p) for p in raw])
    ids = [p.id for p in doc.packets]
    assert ids[0] == "document"
    assert len(ids) == len(set(ids))
    movers = {p["id"]: p for p in raw if p["id"].startswith(("air/", "interceptor/"))}
    assert len(movers) == sum(1 for m in replay["air"] + replay["interceptors"] if m["t"])
    for a in replay["air"]:
        samples = movers[f"air/{a['name']}"]["position"]["cartographicDegrees"]
        assert len(samples) == 4 * len(a["t"])
        # [t, lon, lat, height] order
        assert samples[1:4] == pytest.approx([a["p"][0][1], a["p"][0][0], a["p"][0][2]])
    kills = [p for p in raw if p["id"].startswith("event/") and p["name"].startswith("kill")]
    assert len(kills) == sum(e["kind"] == "kill" for e in replay["events"])


def test_czml3_rejects_a_broken_packet():
    with pytest.raises(pydantic.ValidationError):
        Packet.model_validate({"id": "x", "point": {"pixelSize": "big"}})


def test_kml_is_read_back_by_a_kml_parser(replay, tmp_path):
    text = replay_to_kml(replay)
    (tmp_path / "replay.kml").write_text(text)
    root = ET.fromstring(text)
    tracks = root.findall(".//gx:Track", KML_NS)
    movers = [m for m in replay["air"] + replay["interceptors"] + replay["radar_tracks"] if m["t"]]
    assert len(tracks) == len(movers)
    n_truth = sum(1 for m in replay["air"] + replay["interceptors"] if m["t"])
    for i, trk in enumerate(tracks):
        whens = trk.findall("kml:when", KML_NS)
        coords = trk.findall("gx:coord", KML_NS)
        assert len(whens) == len(coords) > 0
        lon, lat, alt = map(float, coords[0].text.split())
        assert 24 < lat < 26 and 120 < lon < 122
        if i < n_truth:
            # truth flies above the surface; a radar track's altitude estimate of a
            # sea-skimmer may honestly sit below it (elevation noise), so only truth is checked
            assert alt > -50
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fastkml warns when lxml is absent
        from fastkml import kml

        doc = kml.KML.from_string(text.encode())
    folders = {f.name: f for f in doc.features[0].features}
    assert {"sites", "threats", "interceptors", "kills and leakers"} <= set(folders)
    hostile = [a for a in replay["air"] if a["allegiance"] == "hostile"]
    assert len(folders["threats"].features) == len(hostile)
    assert len(folders["interceptors"].features) == len(replay["interceptors"])


def test_scenario_yaml_round_trips_and_the_cli_accepts_it(tmp_path):
    path = reference_scenario("taiwan_north")
    data = parse_yaml(path.read_text())
    text = scenario_to_yaml(data)
    assert parse_yaml(text) == data
    sc1, _ = scenario_from_data(data)
    sc2, _ = scenario_from_data(parse_yaml(text))
    assert sc1 == sc2
    out = tmp_path / "taiwan_north.yaml"
    out.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "valid scenario 'taiwan_north'" in result.output


def test_scenario_yaml_refuses_a_non_mapping():
    with pytest.raises(ValueError, match="data"):
        scenario_to_yaml(["not", "a", "mapping"])


def test_nan_metrics_become_null_in_the_replay(replay):
    text = json.dumps(replay, allow_nan=False)  # raises if any NaN or inf is left
    assert math.isfinite(len(text))
