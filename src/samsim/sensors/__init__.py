"""Sensors: rotating 3-D radar, passive EO/IR, detection probability, IFF."""

from samsim.sensors.detection import (
    albersheim_pd,
    albersheim_snr_db,
    pd_exact,
    pd_swerling0,
    pd_swerling1,
    pd_swerling3,
    shnidman_snr_db,
    snr_for_pd,
    snr_for_pd_swerling1,
)
from samsim.sensors.eo_ir import EoIrSensors, build_eo_ir, observe
from samsim.sensors.iff import interrogate
from samsim.sensors.radar import (
    Detections,
    Radars,
    RangeLimits,
    build_radars,
    detections_to_enu,
    range_limits,
    scan,
)
from samsim.sensors.visibility import TerrainGrid

__all__ = [
    "Detections",
    "EoIrSensors",
    "Radars",
    "RangeLimits",
    "TerrainGrid",
    "albersheim_pd",
    "albersheim_snr_db",
    "build_eo_ir",
    "build_radars",
    "detections_to_enu",
    "interrogate",
    "observe",
    "pd_exact",
    "pd_swerling0",
    "pd_swerling1",
    "pd_swerling3",
    "range_limits",
    "scan",
    "shnidman_snr_db",
    "snr_for_pd",
    "snr_for_pd_swerling1",
]
