"""The notional catalog: every number has a source, overrides are marked."""

import numbers

import pydantic
import pytest

from samsim.catalog import TAGS, catalog_values, load_catalog, provenance
from samsim.scenario import ScenarioError, scenario_from_data


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    else:
        yield ".".join(path), node


def test_every_numeric_leaf_has_a_known_tag_and_a_source():
    values, prov = catalog_values()
    numeric = {p: v for p, v in _leaves(values) if isinstance(v, numbers.Number)}
    assert len(numeric) > 150
    missing = sorted(set(numeric) - set(prov))
    assert missing == []
    for path in numeric:
        assert prov[path].tag in TAGS and prov[path].tag != "S", path
        assert prov[path].source.strip(), path


def test_provenance_points_at_real_values():
    values, prov = catalog_values()
    leaves = dict(_leaves(values))
    assert set(prov) <= set(leaves)
    # labels are descriptions, not parameters
    assert "radars.sentinel.label" not in prov
    assert prov["radars.sentinel.pfa"].tag == "A"
    assert prov["interceptors.amraam.pk_planning.drone"].tag == "A"


def test_catalog_values_match_the_typed_catalog(catalog):
    values, _ = catalog_values()
    assert catalog.radars["sentinel"].pfa == values["radars"]["sentinel"]["pfa"] == 1e-6
    assert catalog.launchers["canister_6"].rounds == 6
    assert catalog.interceptors["amraam"].pk_planning["cruise_missile"] == 0.8


def test_override_changes_the_value_and_marks_it_set_by_the_scenario():
    over = {"radars": {"sentinel": {"pfa": 1e-5}}, "iff": {"civil_reply_probability": 0.9}}
    values, prov = catalog_values(over)
    assert values["radars"]["sentinel"]["pfa"] == 1e-5
    assert prov["radars.sentinel.pfa"].tag == "S"
    assert prov["iff.civil_reply_probability"].tag == "S"
    assert prov["radars.sentinel.sigma_range_m"].tag == "A"  # untouched neighbours keep theirs
    assert load_catalog(over).radars["sentinel"].pfa == 1e-5
    assert provenance(over)["radars.sentinel.pfa"].source == "scenario override"


def test_overrides_do_not_leak_into_later_loads():
    load_catalog({"launchers": {"canister_6": {"rounds": 8}}})
    assert load_catalog().launchers["canister_6"].rounds == 6
    assert provenance()["launchers.canister_6.rounds"].tag == "N"


def test_a_whole_new_entry_can_come_from_the_scenario(single_battery_data):
    new_drone = dict(load_catalog().threats["owa_drone"].model_dump(), speed_mps=70.0)
    data = single_battery_data
    data["catalog"] = {"threats": {"fast_drone": new_drone}}
    data["raids"][0]["type"] = "fast_drone"
    sc, cat = scenario_from_data(data)
    assert cat.threats["fast_drone"].speed_mps == 70.0
    prov = provenance(sc.catalog)
    assert prov["threats.fast_drone.speed_mps"].tag == "S"


def test_override_with_a_wrong_type_fails_validation():
    with pytest.raises(pydantic.ValidationError):
        load_catalog({"launchers": {"canister_6": {"rounds": "six"}}})


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"radars": {"sentinel": {"pfa": "often"}}}, "catalog.radars.sentinel.pfa"),
        ({"radars": {"sentinel": {"pfa": 0.5}}}, "catalog.radars.sentinel.pfa"),
        ({"launchers": {"canister_6": {"rounds": [6]}}}, "catalog.launchers.canister_6.rounds"),
        ({"interceptors": {"amraam": {"seeker": "laser"}}}, "catalog.interceptors.amraam.seeker"),
        ({"iff": 0.9}, "catalog.iff"),
    ],
)
def test_scenario_override_with_a_wrong_value_names_a_path_under_catalog(
    single_battery_data, override, path
):
    single_battery_data["catalog"] = override
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(single_battery_data)
    assert [p.path for p in info.value.problems] == [path]


def test_override_applies_in_the_scenario(single_battery_data):
    single_battery_data["catalog"] = {"launchers": {"canister_6": {"rounds": 8}}}
    single_battery_data["batteries"][0]["launchers"][0]["loadout"] = {"amraam": 8}
    _, cat = scenario_from_data(single_battery_data)  # 8 rounds now fit
    assert cat.launchers["canister_6"].rounds == 8
