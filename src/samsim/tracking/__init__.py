"""Tracking: batched EKF, gated GNN association, M-of-N initiation, deletion."""

from samsim.tracking.api import track_detections
from samsim.tracking.table import CONFIRMED, FREE, TENTATIVE, TrackTable
from samsim.tracking.tracker import Measurements, StepResult, TrackerParams, step

__all__ = [
    "CONFIRMED",
    "FREE",
    "TENTATIVE",
    "Measurements",
    "StepResult",
    "TrackTable",
    "TrackerParams",
    "step",
    "track_detections",
]
