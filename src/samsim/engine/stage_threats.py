"""Engine stages for doctrine changes and threat flight: launches, movement, leakers.

Evasion cue: an air object whose type has a ``warning_range_m`` (an aircraft
with a radar-warning receiver or missile-approach warner) learns of an
interceptor when one closes on it from within that range, and turns to put it
on its beam (``threats.flight``). The cue uses the interceptors' true positions
and velocities, which is what such a warner senses; it gives the aircraft no
knowledge of the FDC's decisions or of rounds beyond its warning range.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from samsim.threats import ALLEGIANCE_NAMES
from samsim.threats.flight import step as step_threats
from samsim.threats.state import ARRIVED, LEAKED
from samsim.world import World


def doctrine_stage(w: World, t_s: float) -> None:
    """Apply weapons-status changes that are due (in time order)."""
    changes = sorted(w.scenario.doctrine.status_changes, key=lambda c: c.time_s)
    while (
        w.status_changes_applied < len(changes) and changes[w.status_changes_applied].time_s <= t_s
    ):
        ch = changes[w.status_changes_applied]
        w.status_changes_applied += 1
        w.weapons_status = ch.status
        w.events.add(ch.time_s, "weapons_status", "doctrine", ch.status)


def threat_stage(w: World, t0_s: float, t1_s: float) -> NDArray:
    """Launch due objects and fly every flying object; return positions at t0.

    Launches, evasion cues and flight are one compiled call
    (``threats.flight.step``); the events follow in that order.
    """
    air = w.air
    pos0 = air.pos_enu_m.copy()
    icpt = w.icpt
    launched, started, dist, arrived = step_threats(
        air,
        w.frame,
        t0_s,
        t1_s,
        icpt.phase[: icpt.n_used],
        icpt.pos_enu_m,
        icpt.vel_enu_mps,
        terrain=w.terrain,
        wind_enu_mps=wind_enu_mps(w),
    )
    evading = (started >= 0).nonzero()[0]
    threat_events(w, t0_s, t1_s, pos0, launched, evading, started, dist, arrived)
    return pos0


def threat_events(
    w: World,
    t0_s: float,
    t1_s: float,
    pos0: NDArray,
    launched: NDArray[np.intp],
    evading: NDArray[np.intp],
    started: NDArray[np.int64],
    dist: NDArray,
    arrived: NDArray[np.intp],
) -> None:
    """Events of a threat step, and the fates and asset damage of the arrived objects.

    ``pos0`` positions at ``t0_s``; ``evading`` the rows that started evading
    interceptor ``started[i]`` at ``dist[i]`` [m]; ``arrived`` the rows that
    reached their last waypoint (or the surface) by ``t1_s``.
    """
    air = w.air
    for i in launched:
        w.events.add(
            t0_s,
            "threat_launch",
            air.name[i],
            w.threat_type_names[air.type_idx[i]],
            pos0[i],
            ALLEGIANCE_NAMES[air.allegiance[i]],
        )
    for i in evading:
        m = int(started[i])
        w.events.add(
            t0_s,
            "evade",
            air.name[i],
            f"interceptor#{m}:{w.icpt_table.names[w.icpt.type_idx[m]]}",
            pos0[i],
            f"distance_m={dist[i]:.0f}",
        )
    for i in arrived:
        target = int(air.target_asset[i])
        if target < 0:
            air.fate[i] = ARRIVED
            air.fate_time_s[i] = t1_s
            w.events.add(t1_s, "arrived", air.name[i], "", air.pos_enu_m[i])
            continue
        air.fate[i] = LEAKED
        air.fate_time_s[i] = t1_s
        w.events.add(
            t1_s,
            "leaker",
            air.name[i],
            w.assets.name[target],
            air.pos_enu_m[i],
            w.threat_type_names[air.type_idx[i]],
        )
        ground = w.frame.ground_distance_m(air.pos_enu_m[i], w.assets.pos_enu_m[target])
        if ground <= w.assets.radius_m[target]:
            frac = w.catalog.threats[w.threat_type_names[air.type_idx[i]]].damage_fraction
            before = w.assets.damage[target]
            w.assets.damage[target] = min(
                w.assets.value[target], before + frac * w.assets.value[target]
            )
            w.events.add(
                t1_s,
                "asset_hit",
                air.name[i],
                w.assets.name[target],
                air.pos_enu_m[i],
                f"damage={w.assets.damage[target] - before:.3f}",
            )


def wind_enu_mps(w: World) -> NDArray | None:
    """The scenario's wind as an ENU vector [m/s] (None when calm)."""
    wind = getattr(w.scenario, "wind", None)
    if wind is None or wind.speed_mps == 0:
        return None
    towards = math.radians(wind.from_deg) + math.pi
    return np.array([wind.speed_mps * math.sin(towards), wind.speed_mps * math.cos(towards), 0.0])
