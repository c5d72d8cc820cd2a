"""Fire control: identification, threat evaluation, engageability, WTA and the FDC cycle."""

from samsim.fire_control.fdc import CycleResult, Engagement, Fdc, PlanningTable, Shot, decide
from samsim.fire_control.identify import ID_NAMES, classify, identify, may_engage
from samsim.fire_control.launchers import Launchers, fire_round, service_reloads
from samsim.fire_control.wta import solve_wta, surviving_value

__all__ = [
    "ID_NAMES",
    "CycleResult",
    "Engagement",
    "Fdc",
    "Launchers",
    "PlanningTable",
    "Shot",
    "classify",
    "decide",
    "fire_round",
    "identify",
    "may_engage",
    "service_reloads",
    "solve_wta",
    "surviving_value",
]
