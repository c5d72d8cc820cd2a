"""Malformed scenarios, each made by breaking a copy of scenarios/single_battery.yaml.

Each case is ``(id, break_it, expected)``: ``break_it(data)`` mutates the
parsed scenario in place, or returns the file's new content (str or bytes);
``expected`` must appear in the error message (a field path where there is one).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """Set a dotted path (``raids.0.count``) to a value."""

    def mutate(data: dict) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        del node[last]

    return mutate


def _duplicate_asset(data: dict) -> None:
    data["assets"].append(copy.deepcopy(data["assets"][0]))


def _duplicate_raid(data: dict) -> None:
    data["raids"][1]["name"] = data["raids"][0]["name"]


def _too_many_launchers(data: dict) -> None:
    ln = data["batteries"][0]["launchers"][0]
    data["batteries"][0]["launchers"] = [
        {**copy.deepcopy(ln), "name": f"ln_{i}"} for i in range(13)
    ]


CASES: list[tuple[str, Callable[[dict], Any], str]] = [
    ("missing duration", _delete("duration_s"), "duration_s: required field is missing"),
    ("missing assets", _delete("assets"), "assets: required field is missing"),
    ("missing raid launch", _delete("raids.0.launch"), "raids[0].launch:"),
    (
        "missing launcher loadout",
        _delete("batteries.0.launchers.1.loadout"),
        "batteries[0].launchers[1].loadout:",
    ),
    ("duration is text", _set("duration_s", "long"), "duration_s:"),
    ("duration is NaN", _set("duration_s", float("nan")), "duration_s:"),
    ("seed is a float", _set("seed", 1.5), "seed:"),
    ("negative seed", _set("seed", -1), "seed:"),
    ("zero step", _set("step_s", 0), "step_s:"),
    ("negative count", _set("raids.0.count", -3), "raids[0].count:"),
    ("zero count", _set("raids.1.count", 0), "raids[1].count:"),
    ("latitude 200", _set("assets.0.lat_deg", 200), "assets[0].lat_deg:"),
    (
        "longitude -190",
        _set("batteries.0.radars.0.lon_deg", -190),
        "batteries[0].radars[0].lon_deg:",
    ),
    ("unknown threat type", _set("raids.1.type", "hypersonic_glider"), "raids[1].type:"),
    ("civil type in a raid", _set("raids.0.type", "airliner"), "raids[0].type:"),
    (
        "unknown radar type",
        _set("batteries.0.radars.0.type", "patriot_radar"),
        "batteries[0].radars[0].type:",
    ),
    (
        "unknown interceptor",
        _set("batteries.0.launchers.0.loadout", {"pac3": 4}),
        "batteries[0].launchers[0].loadout.pac3:",
    ),
    ("unknown traffic type", _set("traffic.0.type", "zeppelin"), "traffic[0].type:"),
    ("raid target missing", _set("raids.0.target", "taipei"), "raids[0].target:"),
    ("typo top level", _set("seeed", 3), "seeed: unknown key"),
    ("typo nested", _set("raids.0.altitude.cruise_ft", 100), "raids[0].altitude.cruise_ft:"),
    (
        "loadout above 6 canisters",
        _set("batteries.0.launchers.0.loadout", {"amraam": 7}),
        "batteries[0].launchers[0].loadout:",
    ),
    (
        "loadout split above 6",
        _set("batteries.0.launchers.1.loadout", {"amraam": 4, "amraam_er": 3}),
        "batteries[0].launchers[1].loadout:",
    ),
    (
        "empty loadout",
        _set("batteries.0.launchers.0.loadout", {}),
        "batteries[0].launchers[0].loadout:",
    ),
    (
        "negative loadout",
        _set("batteries.0.launchers.0.loadout", {"amraam": -1}),
        "batteries[0].launchers[0].loadout.amraam:",
    ),
    ("13 launchers on one FDC", _too_many_launchers, "batteries[0].launchers:"),
    ("duplicate asset names", _duplicate_asset, "assets[1].name:"),
    ("duplicate raid names", _duplicate_raid, "raids[1].name:"),
    ("name with spaces", _set("name", "single battery"), "name: String should match pattern"),
    ("markup in a name", _set("name", "[/oops]"), "(got '[/oops]')"),  # printed, not parsed
    ("unknown weapons status", _set("doctrine.weapons_status", "yolo"), "doctrine.weapons_status:"),
    (
        "unknown shot doctrine",
        _set("doctrine.shot_doctrine", "shoot_twice"),
        "doctrine.shot_doctrine:",
    ),
    (
        "unknown shot doctrine of a category",
        _set("doctrine.shot_doctrine", {"drone": "look"}),
        "doctrine.shot_doctrine.drone:",
    ),
    (
        "no fire unit per target",
        _set("doctrine.fire_units_per_target", 0),
        "doctrine.fire_units_per_target:",
    ),
    ("unknown assignment", _set("doctrine.assignment", "random"), "doctrine.assignment:"),
    ("Pk tolerance above 1", _set("doctrine.pk_tolerance", 2.0), "doctrine.pk_tolerance:"),
    (
        "magazine reserve of an unknown category",
        _set("doctrine.magazine_reserve", {"tank": 3}),
        "doctrine.magazine_reserve.tank",
    ),
    ("negative urgency", _set("doctrine.urgency_s", -5), "doctrine.urgency_s:"),
    (
        "status change after the end",
        _set("doctrine.status_changes", [{"time_s": 5000, "status": "hold"}]),
        "doctrine.status_changes[0].time_s:",
    ),
    (
        "one traffic waypoint",
        _set("traffic.0.waypoints", [{"lat_deg": 25.0, "lon_deg": 121.0}]),
        "traffic[0].waypoints:",
    ),
    (
        "batteries is a mapping",
        _set("batteries", {"fu": 1}),
        "batteries: Input should be a valid list",
    ),
    (
        "catalog override wrong type",
        _set("catalog", {"radars": {"sentinel": {"pfa": "high"}}}),
        "catalog.radars.sentinel.pfa:",
    ),
    (
        "catalog override unknown key",
        _set("catalog", {"interceptors": {"amraam": {"rnage_m": 1}}}),
        "catalog.interceptors.amraam.rnage_m:",
    ),
    ("DEM file missing", _set("terrain", {"dem_path": "no_such_dem.tif"}), "terrain.dem_path:"),
    ("key given twice", lambda data: yaml.safe_dump(data) + "seed: 8\n", "duplicate key 'seed'"),
    ("empty file", lambda data: "", "empty"),
    ("only a comment", lambda data: "# nothing here\n", "empty"),
    ("not YAML", lambda data: "name: [unclosed\nseed: {\n", "not valid YAML"),
    ("a list, not a mapping", lambda data: "- name: x\n- seed: 1\n", "mapping"),
    ("a bare string", lambda data: "just some words\n", "mapping"),
    ("binary garbage", lambda data: bytes(range(256)) * 8, "UTF-8"),
    ("too large", lambda data: "# " + "x" * 2_100_000 + "\n", "larger than"),
]


def write_case(directory: Path, data: dict, break_it: Callable[[dict], Any]) -> Path:
    """Apply one case to a copy of the scenario data and write it to ``directory``."""
    data = copy.deepcopy(data)
    content = break_it(data)
    if content is None:
        content = yaml.safe_dump(data, sort_keys=False)
    path = directory / "broken.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path
