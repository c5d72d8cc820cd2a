"""World state of one replication: arrays, RNG streams and the event log."""

from samsim.world.build import Assets, World, build_world, scenario_origin
from samsim.world.events import EVENT_KINDS, EventLog
from samsim.world.rng import STREAMS, spawn_streams

__all__ = [
    "EVENT_KINDS",
    "STREAMS",
    "Assets",
    "EventLog",
    "World",
    "build_world",
    "scenario_origin",
    "spawn_streams",
]
