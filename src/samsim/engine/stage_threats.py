"""Engine stages for doctrine changes and threat flight: launches, movement, leakers."""

from __future__ import annotations

from numpy.typing import NDArray

from samsim.threats import ALLEGIANCE_NAMES, launch_due
from samsim.threats import fly as fly_threats
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
    """Launch due objects and fly every flying object; return positions at t0."""
    air = w.air
    for i in launch_due(air, t0_s):
        air.launch_time_s[i] = max(air.launch_time_s[i], 0.0)
        w.events.add(
            t0_s,
            "threat_launch",
            air.name[i],
            w.threat_type_names[air.type_idx[i]],
            air.pos_enu_m[i],
            ALLEGIANCE_NAMES[air.allegiance[i]],
        )
    pos0 = air.pos_enu_m.copy()
    arrived = fly_threats(air, w.frame, t1_s, t1_s - t0_s)
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
    return pos0
