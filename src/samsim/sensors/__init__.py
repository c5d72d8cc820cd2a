"""Sensors: rotating 3-D radar, detection probability, IFF."""

from samsim.sensors.detection import (
    albersheim_pd,
    albersheim_snr_db,
    pd_swerling0,
    pd_swerling1,
    snr_for_pd_swerling1,
)
from samsim.sensors.iff import interrogate
from samsim.sensors.radar import Detections, Radars, build_radars, detections_to_enu, scan

__all__ = [
    "Detections",
    "Radars",
    "albersheim_pd",
    "albersheim_snr_db",
    "build_radars",
    "detections_to_enu",
    "interrogate",
    "pd_swerling0",
    "pd_swerling1",
    "scan",
    "snr_for_pd_swerling1",
]
