"""Threat evaluation: which asset a track threatens and how soon it gets there.

Straight-line extrapolation of the track's horizontal velocity: a track
threatens an asset when its closest approach passes within the asset's radius
plus a margin, ahead in time; its time to reach is the time to that closest
approach. The most valuable of the threatened assets (earliest on a tie) sets
the track's value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

THREAT_MARGIN_M = 3000.0
HORIZON_S = 1800.0


@dataclass(slots=True)
class ThreatAssessment:
    """Per track: threatened asset (-1 none), time to reach it [s] and its value."""

    asset_idx: NDArray[np.intp]
    time_to_asset_s: NDArray[np.float64]
    value: NDArray[np.float64]

    @property
    def inbound(self) -> NDArray[np.bool_]:
        return self.asset_idx >= 0


def evaluate_threats(
    pos_enu_m: NDArray,
    vel_enu_mps: NDArray,
    asset_pos_enu_m: NDArray,
    asset_radius_m: NDArray,
    asset_value: NDArray,
) -> ThreatAssessment:
    """Assess tracks (k, 3) against assets (a, 3)."""
    k = len(pos_enu_m)
    if k == 0 or len(asset_pos_enu_m) == 0:
        return ThreatAssessment(np.full(k, -1, np.intp), np.full(k, np.inf), np.zeros(k))
    d = asset_pos_enu_m[None, :, :2] - pos_enu_m[:, None, :2]  # (k, a, 2)
    v = vel_enu_mps[:, None, :2]
    v2 = np.maximum(np.sum(v * v, axis=2), 1e-6)
    t_cpa = np.sum(d * v, axis=2) / v2
    miss = np.linalg.norm(d - v * t_cpa[..., None], axis=2)
    inside = np.linalg.norm(d, axis=2) <= asset_radius_m[None, :]
    threat = (
        (t_cpa > 0) & (t_cpa < HORIZON_S) & (miss <= asset_radius_m[None, :] + THREAT_MARGIN_M)
    ) | inside
    t_cpa = np.where(inside, 0.0, t_cpa)
    score = np.where(threat, asset_value[None, :] * 1e6 - t_cpa, -np.inf)
    best = np.argmax(score, axis=1)
    any_threat = threat.any(axis=1)
    rows = np.arange(k)
    return ThreatAssessment(
        asset_idx=np.where(any_threat, best, -1),
        time_to_asset_s=np.where(any_threat, t_cpa[rows, best], np.inf),
        value=np.where(any_threat, asset_value[best], 0.0),
    )
