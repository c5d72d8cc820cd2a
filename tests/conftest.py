"""Shared fixtures: the shipped scenarios, the catalog and one simulated replication."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from samsim.catalog import Catalog, load_catalog
from samsim.engine import ReplicationResult, run_replication
from samsim.scenario import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "src" / "samsim" / "scenarios"
SINGLE_BATTERY = SCENARIOS / "single_battery.yaml"
TAIWAN_NORTH = SCENARIOS / "taiwan_north.yaml"


@pytest.fixture(scope="session")
def single_battery_path() -> Path:
    return SINGLE_BATTERY


@pytest.fixture(scope="session")
def taiwan_north_path() -> Path:
    return TAIWAN_NORTH


@pytest.fixture
def single_battery_data() -> dict:
    """The small reference scenario as plain data, fresh for each test to mutate."""
    return yaml.safe_load(SINGLE_BATTERY.read_text("utf-8"))


def shortened(data: dict) -> dict:
    """single_battery cut to 450 s, the cruise missiles and airliner brought forward:
    still launches, kills and civil traffic, in about a third of the time."""
    data["duration_s"] = 450
    data["raids"][1]["start_s"] = 100
    data["traffic"][0]["start_s"] = 150
    return data


@pytest.fixture(scope="session")
def short_single_battery_path(tmp_path_factory) -> Path:
    data = shortened(yaml.safe_load(SINGLE_BATTERY.read_text("utf-8")))
    path = tmp_path_factory.mktemp("scenario") / "short_single_battery.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def single_battery() -> tuple[Scenario, Catalog]:
    return load_scenario(SINGLE_BATTERY)


@pytest.fixture(scope="session")
def single_battery_run(single_battery) -> ReplicationResult:
    """Replication 1 of single_battery with its final World (a few seconds).

    With the scenario's seed it has kills, misses, self-destructs, a leaker and
    the airliner's arrival, so the invariants below are not tested vacuously.
    """
    sc, cat = single_battery
    return run_replication(sc, cat, 1, keep_world=True)
