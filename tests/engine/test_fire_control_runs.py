"""Fire control in whole replications: rules of engagement, shot doctrine, several FDCs.

Each replication here is shortened to what the assertion needs (a few seconds each).
"""

from __future__ import annotations

import copy
import itertools
import re

import pandas as pd
import pytest
import yaml

from samsim.engine import run_replication
from samsim.scenario import load_scenario, scenario_from_data
from tests.conftest import SCENARIOS, shortened

GRAYZONE = SCENARIOS / "grayzone_yonaguni.yaml"
SWITCH_S = 1400.0


def _events(sc, cat, rep: int = 0) -> tuple[dict, pd.DataFrame]:
    res = run_replication(sc, cat, rep)
    return res.metrics, res.events.to_pandas()


def _detail(events: pd.DataFrame, key: str) -> pd.Series:
    return events["detail"].str.extract(rf"{key}=([^;]+)")[0]


def _two_units(single_battery_data: dict, *, lose_radar_b: bool = False) -> dict:
    """single_battery shortened, with a second fire unit beside the first.

    Unit B's launchers stand where unit A's do, so that both can engage every
    threat; with ``lose_radar_b`` B's radar is lost at the start, and A's
    launchers move out of reach, so that only B can fire, on A's radar picture.
    """
    data = shortened(single_battery_data)
    a = data["batteries"][0]
    b = copy.deepcopy(a)
    b["name"] = "fu_second"
    b["fdc"] = {"lat_deg": 25.065, "lon_deg": 121.270}
    b["radars"][0]["name"] = "sentinel_b"
    b["radars"][0]["lat_deg"] = 25.030
    if lose_radar_b:
        b["radars"][0]["lost_at_s"] = 0.0
        for ln in a["launchers"]:
            ln["lat_deg"] += 1.5  # 160 km north: nothing is in reach
    data["batteries"].append(b)
    return data


# -- every shipped scenario: never civil or friendly ------------------------------------


@pytest.mark.parametrize(
    ("name", "duration_s", "traffic"),
    [
        ("single_battery", 1300.0, {"civil"}),
        # to 700 s: drones, the cruise-missile salvo, airliners and the friendly
        # patrol are all in the air by then
        ("taiwan_north", 700.0, {"civil", "friend"}),
    ],
)
def test_shipped_scenarios_never_engage_civil_or_friendly_tracks(name, duration_s, traffic):
    # grayzone_yonaguni: see the gray-zone tests below
    sc, cat = load_scenario(SCENARIOS / f"{name}.yaml")
    sc = sc.model_copy(update={"duration_s": duration_s})
    metrics, events = _events(sc, cat)
    engaged = events[events["kind"] == "engage"]
    assert len(engaged) > 0
    assert metrics["civil_or_friendly_engagements"] == 0
    assert set(_detail(engaged, "allegiance")) == {"hostile"}
    assert metrics["civil_or_friendly_killed"] == 0
    # the civil and friendly traffic was in the picture meanwhile
    idents = events.loc[events["kind"] == "track_identified", "detail"]
    assert traffic <= set(idents)


def test_every_shipped_scenario_is_covered():
    shipped = {p.stem for p in SCENARIOS.glob("*.yaml")}
    assert shipped == {"single_battery", "taiwan_north", "grayzone_yonaguni"}


# -- gray zone: hold, then tight -------------------------------------------------------


@pytest.fixture(scope="module")
def grayzone():
    sc, cat = load_scenario(GRAYZONE)
    sc = sc.model_copy(update={"duration_s": 1600.0})
    return _events(sc, cat)


def test_grayzone_fires_nothing_under_weapons_hold(grayzone):
    _, events = grayzone
    fired = events[events["kind"].isin(["engage", "launch"])]
    assert (fired["time_s"] >= SWITCH_S).all()
    status = events[events["kind"] == "weapons_status"]
    assert status[["time_s", "object"]].values.tolist() == [[SWITCH_S, "tight"]]


def test_grayzone_keeps_the_picture_under_hold(grayzone):
    _, events = grayzone
    before = events[events["time_s"] < SWITCH_S]
    confirmed = set(before.loc[before["kind"] == "track_confirmed", "object"])
    assert {"drone#0", "fighter#0"} <= confirmed
    ident = before[before["kind"] == "track_identified"]
    watched = set(ident.loc[ident["detail"].isin(["suspect", "hostile"]), "object"])
    assert {"drone#0", "fighter#0"} <= watched  # identified, and still not fired at
    civil = set(ident.loc[ident["detail"] == "civil", "object"])
    assert {"commuter_arrival#0", "airway_north#0"} <= civil


def test_grayzone_engages_hostiles_after_the_switch_to_tight(grayzone):
    metrics, events = grayzone
    engaged = events[events["kind"] == "engage"]
    assert len(engaged) >= 2
    assert set(_detail(engaged, "truth")) == {"drone#0", "fighter#0"}
    assert set(_detail(engaged, "ident")) == {"hostile"}
    assert metrics["civil_or_friendly_engagements"] == 0
    assert metrics["kills"] >= 1


# -- shot doctrine ---------------------------------------------------------------------


def test_shoot_look_shoot_second_shot_follows_the_kill_assessment(single_battery_data):
    data = shortened(single_battery_data)
    data["doctrine"]["shots_per_target"] = {"drone": 3, "cruise_missile": 2}
    data["doctrine"]["shot_doctrine"] = {"drone": "shoot_look_shoot"}
    # a poor warhead, so that first shots miss and looks are needed
    data["catalog"] = {
        "interceptors": {
            "amraam": {"pk_in_lethal_radius": 0.3},
            "amraam_er": {"pk_in_lethal_radius": 0.3},
        }
    }
    sc, cat = scenario_from_data(data)
    _, events = _events(sc, cat)
    engaged = events[events["kind"] == "engage"].copy()
    engaged["truth"] = _detail(engaged, "truth")
    drones = engaged[engaged["truth"].str.startswith("drones")]
    assessments = events[events["kind"] == "kill_assessment"]
    handovers = events[events["kind"] == "track_handover"]
    follow_ups = 0
    for _, shots in drones.groupby("truth"):
        # the drone's tracks: those engaged, and those linked to them by handovers
        tracks = set(shots["subject"])
        for _ in range(3):
            linked = handovers["subject"].isin(tracks) | handovers["object"].isin(tracks)
            tracks |= set(handovers.loc[linked, "subject"]) | set(handovers.loc[linked, "object"])
        own = assessments[assessments["subject"].isin(tracks)]
        order = list(zip(shots["time_s"], shots["subject"], strict=True))
        for (prev, _), (nxt, nxt_track) in itertools.pairwise(order):
            follow_ups += 1
            # a kill assessment of this drone lies between the two shots ...
            between = own[(own["time_s"] > prev) & (own["time_s"] <= nxt)]
            assert len(between), (prev, nxt)
            assert nxt - prev >= cat.fdcs["nasams_fdc"].kill_assessment_s
            # ... and found it alive, or judged it killed because its track was lost:
            # then the next shot is at a new track of the same drone, not the one assessed
            if not (between["detail"] == "survived").any():
                assert nxt_track not in set(between["subject"]), (prev, nxt, nxt_track)
    assert follow_ups >= 1  # the rule was exercised


# -- several FDCs on the shared picture ----------------------------------------------------


def _overlaps(events: pd.DataFrame) -> int:
    """Engage orders on a track while another fire unit's engagement of it is active.

    A unit's engagement of a track is active from its engage order until its
    kill assessment of that track (handovers carry it to the successor track).
    """
    ev = events.sort_values("time_s", kind="stable")
    active: dict[tuple[str, str], bool] = {}  # (track, fdc) -> active
    count = 0
    for kind, subject, obj, detail in ev[["kind", "subject", "object", "detail"]].itertuples(
        index=False
    ):
        if kind == "engage":
            fdc = re.search(r"fdc=([^;]+)", detail).group(1)
            if any(on and t == subject and f != fdc for (t, f), on in active.items()):
                count += 1
            active[(subject, fdc)] = True
        elif kind == "kill_assessment":
            active[(subject, obj)] = False
        elif kind == "track_handover":
            fdc = re.search(r"fdc=([^;]+)", detail).group(1)
            if active.pop((subject, fdc), False):
                active[(obj, fdc)] = True
    return count


@pytest.mark.parametrize(("units_per_target", "double"), [(1, False), (2, True)])
def test_no_double_engagement_between_fire_units_unless_doctrine_asks(
    single_battery_data, units_per_target, double
):
    data = _two_units(single_battery_data)
    data["doctrine"]["fire_units_per_target"] = units_per_target
    sc, cat = scenario_from_data(data)
    _, events = _events(sc, cat)
    engaged = events[events["kind"] == "engage"]
    assert set(_detail(engaged, "fdc")) == {"fu_taoyuan", "fu_second"}
    assert (_overlaps(events) > 0) == double


def test_a_unit_that_lost_its_radar_fights_on_the_shared_picture(single_battery_data):
    sc, cat = scenario_from_data(_two_units(single_battery_data, lose_radar_b=True))
    metrics, events = _events(sc, cat)
    engaged = events[events["kind"] == "engage"]
    assert set(_detail(engaged, "fdc")) == {"fu_second"}
    assert metrics["kills"] >= 3


def test_taiwan_scenario_never_engages_the_ballistic_missiles_out_of_the_envelope():
    sc, cat = load_scenario(SCENARIOS / "taiwan_north.yaml")
    data = yaml.safe_load((SCENARIOS / "taiwan_north.yaml").read_text("utf-8"))
    srbm = [r for r in data["raids"] if r["type"] == "srbm"]
    first = min(r.get("start_s", 0) for r in srbm)
    sc = sc.model_copy(
        update={
            "duration_s": first + 400.0,
            "raids": [r for r in sc.raids if r.type == "srbm"],
            "traffic": [],
        }
    )
    metrics, events = _events(sc, cat)
    assert metrics["threats"] == sum(r["count"] for r in srbm)
    assert "track_confirmed" in set(events["kind"])  # seen, ...
    assert metrics["interceptors_fired"] == 0  # ... but never in reach
