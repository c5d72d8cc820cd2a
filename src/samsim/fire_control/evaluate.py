"""Threat evaluation: which assets a track threatens, how soon, and how much it matters.

Straight-line extrapolation of the track's horizontal velocity: a track
threatens an asset when its closest approach passes within the asset's radius
plus a margin, ahead in time; its time to reach is the time to that closest
approach. Everything is computed for all tracks x all assets at once.

The threat score of track i against asset a (``threat_scores``) is

    s_ia = value_a * w(category_i) * c(ident_i) / (1 + t_ia / tau)

with w the doctrine's threat weight of the track's category, c the confidence
of its identification (``identify.ID_CONFIDENCE``), t_ia the predicted time to
reach the asset [s] and tau the doctrine's urgency time [s]; zero for assets
the track does not threaten. A track's score is its largest s_ia; tracks are
ranked by it (the expected value at risk, discounted by how long the defence
still has). This is the classic threat-evaluation rule of proximity, capability
and intent (e.g. Roux and van Vuuren, ORiON 2007, "Threat evaluation and weapon
assignment decision support: a review of the state of the art").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

THREAT_MARGIN_M = 3000.0
HORIZON_S = 1800.0


@dataclass(slots=True)
class ThreatAssessment:
    """Per track: threatened asset (-1 none), time to reach it [s] and its value.

    ``time_by_asset_s`` (k, a) holds the predicted time to reach each asset,
    inf where the track does not threaten it; ``closing_m`` (k,) the distance
    to the nearest asset the track is closing on (inf if none).
    """

    asset_idx: NDArray[np.intp]
    time_to_asset_s: NDArray[np.float64]
    value: NDArray[np.float64]
    time_by_asset_s: NDArray[np.float64]
    closing_m: NDArray[np.float64]

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
    k, n_a = len(pos_enu_m), len(asset_pos_enu_m)
    if k == 0 or n_a == 0:
        return ThreatAssessment(
            np.full(k, -1, np.intp),
            np.full(k, np.inf),
            np.zeros(k),
            np.full((k, n_a), np.inf),
            np.full(k, np.inf),
        )
    d = asset_pos_enu_m[None, :, :2] - pos_enu_m[:, None, :2]  # (k, a, 2)
    v = vel_enu_mps[:, None, :2]
    v2 = np.maximum(np.sum(v * v, axis=2), 1e-6)
    t_cpa = np.sum(d * v, axis=2) / v2
    miss = np.linalg.norm(d - v * t_cpa[..., None], axis=2)
    dist = np.linalg.norm(d, axis=2)
    inside = dist <= asset_radius_m[None, :]
    threat = (
        (t_cpa > 0) & (t_cpa < HORIZON_S) & (miss <= asset_radius_m[None, :] + THREAT_MARGIN_M)
    ) | inside
    t_cpa = np.where(inside, 0.0, t_cpa)
    score = np.where(threat, asset_value[None, :] * 1e6 - t_cpa, -np.inf)
    best = np.argmax(score, axis=1)
    any_threat = threat.any(axis=1)
    rows = np.arange(k)
    # Closing: the range to the asset shrinks (velocity has a component towards it).
    closing = (t_cpa > 0) & (np.sum(d * v, axis=2) > 0)
    return ThreatAssessment(
        asset_idx=np.where(any_threat, best, -1),
        time_to_asset_s=np.where(any_threat, t_cpa[rows, best], np.inf),
        value=np.where(any_threat, asset_value[best], 0.0),
        time_by_asset_s=np.where(threat, t_cpa, np.inf),
        closing_m=np.min(np.where(closing, dist, np.inf), axis=1),
    )


def threat_scores(
    time_by_asset_s: NDArray,
    asset_value: NDArray,
    weight: NDArray,
    confidence: NDArray,
    urgency_s: float,
) -> NDArray[np.float64]:
    """Threat score (k,) of each track: max over assets of value x weight x confidence x urgency.

    Parameters
    ----------
    time_by_asset_s : (k, a) predicted time to reach each asset [s], inf if not threatened
    asset_value : (a,) asset values
    weight : (k,) threat weight of each track's category
    confidence : (k,) identification confidence in [0, 1]
    urgency_s : tau [s]: a threat t seconds away weighs 1 / (1 + t / tau)
    """
    if time_by_asset_s.size == 0:
        return np.zeros(time_by_asset_s.shape[0])
    urgency = 1.0 / (1.0 + np.maximum(time_by_asset_s, 0.0) / urgency_s)  # 0 where inf
    s = asset_value[None, :] * urgency
    return np.max(s, axis=1) * weight * confidence


def rank_threats(score: NDArray) -> NDArray[np.intp]:
    """Track indices, most threatening first (stable: earlier rows first on ties)."""
    return np.argsort(-np.asarray(score, float), kind="stable")
