"""Threats and traffic: array state and flight along waypoints or ballistic arcs."""

from samsim.threats.flight import fly, launch_due
from samsim.threats.state import (
    ALLEGIANCE_NAMES,
    CATEGORIES,
    CATEGORY_CODE,
    CIVIL,
    FATE_NAMES,
    FRIEND,
    HOSTILE,
    AirObjects,
)

__all__ = [
    "ALLEGIANCE_NAMES",
    "CATEGORIES",
    "CATEGORY_CODE",
    "CIVIL",
    "FATE_NAMES",
    "FRIEND",
    "HOSTILE",
    "AirObjects",
    "fly",
    "launch_due",
]
