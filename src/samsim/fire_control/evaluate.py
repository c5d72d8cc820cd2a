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

from samsim._jit import jit

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
    asset_idx = np.empty(k, np.intp)
    time_to_asset_s = np.empty(k)
    value = np.empty(k)
    time_by_asset_s = np.empty((k, n_a))
    closing_m = np.empty(k)
    _threat_kernel(
        np.ascontiguousarray(pos_enu_m, dtype=np.float64),
        np.ascontiguousarray(vel_enu_mps, dtype=np.float64),
        np.ascontiguousarray(asset_pos_enu_m, dtype=np.float64),
        np.ascontiguousarray(asset_radius_m, dtype=np.float64),
        np.ascontiguousarray(asset_value, dtype=np.float64),
        asset_idx,
        time_to_asset_s,
        value,
        time_by_asset_s,
        closing_m,
    )
    return ThreatAssessment(asset_idx, time_to_asset_s, value, time_by_asset_s, closing_m)


@jit
def _threat_kernel(
    pos, vel, a_pos, a_radius, a_value, asset_idx, t_asset, value, t_by, closing_m
):  # pragma: no cover - compiled
    """``evaluate_threats`` per track and asset (the few dozen tracks of a picture are
    call-overhead bound as array expressions). Horizontal closest approach:
    d = asset - track, t_cpa = d.v / max(|v|^2, 1e-6), miss = |d - v t_cpa|; a
    threat when 0 < t_cpa < ``HORIZON_S`` and miss <= radius + ``THREAT_MARGIN_M``,
    or when already inside the radius (t_cpa = 0); the threatened asset is the most
    valuable one, the soonest on a tie of value.
    """
    for i in range(pos.shape[0]):
        vx, vy = vel[i, 0], vel[i, 1]
        v2 = vx * vx + vy * vy
        if v2 < 1e-6:
            v2 = 1e-6
        best = -1
        best_score = -np.inf
        near = np.inf
        for a in range(a_pos.shape[0]):
            dx = a_pos[a, 0] - pos[i, 0]
            dy = a_pos[a, 1] - pos[i, 1]
            dv = dx * vx + dy * vy
            t = dv / v2
            mx = dx - vx * t
            my = dy - vy * t
            miss = np.sqrt(mx * mx + my * my)
            dist = np.sqrt(dx * dx + dy * dy)
            inside = dist <= a_radius[a]
            threat = (t > 0 and t < HORIZON_S and miss <= a_radius[a] + THREAT_MARGIN_M) or inside
            if inside:
                t = 0.0
            if threat:
                t_by[i, a] = t
                score = a_value[a] * 1e6 - t
                if best < 0 or score > best_score:
                    best = a
                    best_score = score
            else:
                t_by[i, a] = np.inf
            if t > 0 and dv > 0 and dist < near:
                near = dist
        closing_m[i] = near
        if best >= 0:
            asset_idx[i] = best
            t_asset[i] = t_by[i, best]
            value[i] = a_value[best]
        else:
            asset_idx[i] = -1
            t_asset[i] = np.inf
            value[i] = 0.0


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
