"""Interceptors: array state, catalog parameters, 3-DOF fly-out, seekers, envelopes."""

from samsim.interceptors.atmosphere import isa
from samsim.interceptors.engage import EngagementResult, launch_direction, simulate
from samsim.interceptors.envelope import (
    Envelope,
    FlyoutSet,
    FlyoutTable,
    engagement_envelope,
    flyout_table,
)
from samsim.interceptors.flyout import FlyoutEvents, fly, kill_probability, pn_command
from samsim.interceptors.params import InterceptorTable
from samsim.interceptors.seeker import acquire
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
    "EngagementResult",
    "Envelope",
    "FlyoutEvents",
    "FlyoutSet",
    "FlyoutTable",
    "InterceptorTable",
    "Interceptors",
    "acquire",
    "engagement_envelope",
    "fly",
    "flyout_table",
    "isa",
    "kill_probability",
    "launch_direction",
    "pn_command",
    "simulate",
]
