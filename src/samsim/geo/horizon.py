"""Radar horizon and line of sight over a 4/3-effective-earth (standard refraction).

d = sqrt(2 k R h_r) + sqrt(2 k R h_t), k = 4/3 (Skolnik, Radar Handbook; PUBLIC-DATA 4.3):
about 4.12 km * (sqrt(h_r / 1 m) + sqrt(h_t / 1 m)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_000.0
K_FACTOR = 4.0 / 3.0


def horizon_range_m(
    height_m: ArrayLike, *, k: float = K_FACTOR, earth_radius_m: float = EARTH_RADIUS_M
) -> NDArray:
    """Distance to the radio horizon from a height above the surface [m]."""
    h = np.maximum(np.asarray(height_m, dtype=float), 0.0)
    return np.sqrt(2.0 * k * earth_radius_m * h)


def radar_horizon_m(
    radar_height_m: ArrayLike,
    target_height_m: ArrayLike,
    *,
    k: float = K_FACTOR,
    earth_radius_m: float = EARTH_RADIUS_M,
) -> NDArray:
    """Longest ground distance at which a target at ``target_height_m`` is visible [m]."""
    return horizon_range_m(radar_height_m, k=k, earth_radius_m=earth_radius_m) + horizon_range_m(
        target_height_m, k=k, earth_radius_m=earth_radius_m
    )


def above_horizon(
    ground_distance_m: ArrayLike,
    radar_height_m: ArrayLike,
    target_height_m: ArrayLike,
    *,
    k: float = K_FACTOR,
) -> NDArray[np.bool_]:
    """True where the 4/3-earth line of sight is clear (smooth sea or flat land)."""
    return np.asarray(ground_distance_m) <= radar_horizon_m(radar_height_m, target_height_m, k=k)
