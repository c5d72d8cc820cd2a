"""Fire control: identification, threat evaluation, engageability, WTA and the FDC cycle."""

from samsim.fire_control.evaluate import (
    ThreatAssessment,
    evaluate_threats,
    rank_threats,
    threat_scores,
)
from samsim.fire_control.fdc import (
    CycleResult,
    Engagement,
    Fdc,
    PlanningTable,
    Shot,
    assess_kills,
    decide,
    held_by_others,
)
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
    "ThreatAssessment",
    "assess_kills",
    "classify",
    "decide",
    "evaluate_threats",
    "fire_round",
    "held_by_others",
    "identify",
    "may_engage",
    "rank_threats",
    "service_reloads",
    "solve_wta",
    "surviving_value",
    "threat_scores",
]
