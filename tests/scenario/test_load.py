"""Scenario loading: every bad input is a ScenarioError naming the field."""

import json

import pytest
import yaml

from samsim.scenario import (
    ScenarioError,
    load_scenario,
    parse_yaml,
    scenario_from_data,
    scenario_json_schema,
)
from tests.scenario.malformed import CASES, write_case


def test_reference_scenarios_load(single_battery_path, taiwan_north_path):
    sc, cat = load_scenario(single_battery_path)
    assert sc.name == "single_battery" and sc.seed == 7
    assert sum(r.count for r in sc.raids) == 8
    assert sum(sum(ln.loadout.values()) for b in sc.batteries for ln in b.launchers) == 12
    assert "sentinel" in cat.radars
    sc, _ = load_scenario(taiwan_north_path)
    assert len(sc.batteries) == 3


@pytest.mark.parametrize(
    ("break_it", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_scenario_is_a_scenario_error_naming_the_field(
    tmp_path, single_battery_data, break_it, expected
):
    path = write_case(tmp_path, single_battery_data, break_it)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems, "a ScenarioError lists its problems"
    assert expected in str(info.value)


def test_every_problem_is_reported_at_once(single_battery_data):
    data = single_battery_data
    data["raids"][0]["target"] = "nowhere"
    data["raids"][1]["type"] = "unicorn"
    data["assets"][0]["lat_deg"] = 95
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(data)
    # the model error stops before cross-references are checked
    assert [p.path for p in info.value.problems] == ["assets[0].lat_deg"]
    data["assets"][0]["lat_deg"] = 25.0
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(data)
    assert {p.path for p in info.value.problems} == {"raids[0].target", "raids[1].type"}


def test_yaml_error_names_the_line():
    with pytest.raises(ScenarioError, match="line 3, column 1"):
        parse_yaml("name: x\nseed: 1\n\tassets: []\n")
    with pytest.raises(ScenarioError, match="line 4, column 18: duplicate key 'lat_deg'"):
        parse_yaml("name: x\nassets:\n  - lat_deg: 25\n  - {lat_deg: 1, lat_deg: 2}\n")


def test_yaml_merge_keys_may_be_overridden():
    data = parse_yaml("base: &b {lat_deg: 25, lon_deg: 121}\nsite:\n  <<: *b\n  lat_deg: 24\n")
    assert data["site"] == {"lat_deg": 24, "lon_deg": 121}


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")


def test_defaults_fill_optional_fields(single_battery_data):
    data = single_battery_data
    del data["doctrine"]
    sc, _ = scenario_from_data(data)
    assert sc.doctrine.weapons_status == "free"
    assert sc.doctrine.shots_per_target["cruise_missile"] == 2
    assert sc.batteries[0].radars[0].type == "sentinel"
    assert sc.batteries[0].launchers[0].type == "canister_6"


def test_json_schema_describes_the_format():
    schema = scenario_json_schema()
    json.dumps(schema)
    assert {"raids", "assets", "batteries", "catalog"} <= set(schema["properties"])
    assert "duration_s" in schema["required"]


def test_scenario_round_trips_through_its_own_dump(single_battery_data):
    sc, _ = scenario_from_data(single_battery_data)
    again, _ = scenario_from_data(yaml.safe_load(yaml.safe_dump(sc.model_dump(mode="json"))))
    assert again == sc
