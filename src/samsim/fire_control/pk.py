"""Planning kill probability that depends on the engagement geometry.

The catalog's ``pk_planning`` (per interceptor type and threat category) is the
single-shot Pk of a round that reaches its predicted intercept point (PIP) with
energy to spare: inside what air-to-air practice calls the no-escape zone,
where the round arrives fast and agile enough for its end-game whatever the
target does. Toward the edge of the kinematic envelope (maximum range, long
time of flight, high crossing) the round arrives slow, with little lateral
acceleration left, and a target that turns away or a late track correction
defeats it more often.

samsim measures that margin with its own fly-out model: the fly-out table
(``interceptors.envelope``) gives the speed the round has left at the PIP,
v_arr. The table's envelope ends where v_arr = (1 + RESERVE) v_min (the
planning reserve over the speed at which the round self-destructs); the type's
``endgame_speed_mps`` (catalog) is the arrival speed from which the round has
its full end-game. In between the planning Pk falls linearly:

    s  = clip((v_arr - v_edge) / (v_full - v_edge), 0, 1)
    Pk = pk_planning[type, category] * (e + (1 - e) s)

with e = ``pk_edge_fraction[category]`` (catalog) the fraction of the centre Pk
left at the kinematic edge. e = 1 makes the Pk flat over the envelope (the
first-fidelity model). ``benchmarks/pk_geometry.py`` flies the engine's own
end-game over envelope geometries and compares the realised kill fraction with
this planning Pk (docs/benchmarks.md).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def geometry_pk(
    pk_centre: NDArray,
    arrival_speed_mps: NDArray,
    *,
    v_edge_mps: float,
    v_full_mps: float | None,
    edge_fraction: NDArray | float,
) -> NDArray:
    """Planning Pk (L, T) of each launcher on each target from the round's arrival speed.

    Parameters
    ----------
    pk_centre : (L, T) or broadcastable, catalog ``pk_planning`` of the type
        against each target's category (the Pk at the envelope centre)
    arrival_speed_mps : (L, T) speed of the round at the PIP from the fly-out
        table [m/s]
    v_edge_mps : arrival speed at the edge of the table's envelope [m/s]
    v_full_mps : arrival speed from which the full ``pk_centre`` applies [m/s];
        None: no fall-off (the Pk is ``pk_centre`` everywhere)
    edge_fraction : (L, T) or broadcastable, fraction of ``pk_centre`` kept at
        ``v_edge_mps``, in [0, 1]
    """
    pk = np.asarray(pk_centre, dtype=float)
    if v_full_mps is None:
        return np.broadcast_to(pk, np.shape(arrival_speed_mps)).astype(float)
    if not v_full_mps > v_edge_mps:
        raise ValueError(f"v_full_mps: must exceed v_edge_mps ({v_edge_mps} m/s), got {v_full_mps}")
    s = np.clip(
        (np.asarray(arrival_speed_mps, dtype=float) - v_edge_mps) / (v_full_mps - v_edge_mps),
        0.0,
        1.0,
    )
    e = np.asarray(edge_fraction, dtype=float)
    return pk * (e + (1.0 - e) * s)
