"""Interceptors: array state, catalog parameters, 3-DOF fly-out with PN and fuzing."""

from samsim.interceptors.flyout import FlyoutEvents, fly, pn_command
from samsim.interceptors.params import InterceptorTable
from samsim.interceptors.state import (
    DONE,
    END_KILL,
    END_MISS,
    END_SELF_DESTRUCT,
    FLYING,
    READY,
    Interceptors,
)

__all__ = [
    "DONE",
    "END_KILL",
    "END_MISS",
    "END_SELF_DESTRUCT",
    "FLYING",
    "READY",
    "FlyoutEvents",
    "InterceptorTable",
    "Interceptors",
    "fly",
    "pn_command",
]
