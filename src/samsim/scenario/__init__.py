"""Scenario format: pydantic models, YAML loading and clear error messages."""

from samsim.scenario.load import (
    Problem,
    ScenarioError,
    load_scenario,
    parse_yaml,
    scenario_from_data,
    scenario_json_schema,
)
from samsim.scenario.models import (
    Asset,
    Battery,
    Doctrine,
    Launcher,
    Point,
    Radar,
    Raid,
    Scenario,
    Traffic,
)

__all__ = [
    "Asset",
    "Battery",
    "Doctrine",
    "Launcher",
    "Point",
    "Problem",
    "Radar",
    "Raid",
    "Scenario",
    "ScenarioError",
    "Traffic",
    "load_scenario",
    "parse_yaml",
    "scenario_from_data",
    "scenario_json_schema",
]
