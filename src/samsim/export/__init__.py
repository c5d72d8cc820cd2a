"""Exports of scenarios and replications: scenario YAML, replay data, CZML, KML."""

from samsim.export.czml import replay_to_czml
from samsim.export.kml import replay_to_kml
from samsim.export.record import record_replication
from samsim.export.replay import replay_from_result
from samsim.export.scenario_yaml import scenario_to_yaml

__all__ = [
    "record_replication",
    "replay_from_result",
    "replay_to_czml",
    "replay_to_kml",
    "scenario_to_yaml",
]
