"""Geography: WGS-84 to the engine's local ENU frame, horizon and line of sight."""

from samsim.geo.frame import LocalFrame, gaussian_radius_m
from samsim.geo.horizon import above_horizon, horizon_range_m, radar_horizon_m

__all__ = ["LocalFrame", "above_horizon", "gaussian_radius_m", "horizon_range_m", "radar_horizon_m"]
