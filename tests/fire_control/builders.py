"""Test builders shared by the fire-control tests."""

from __future__ import annotations

import numpy as np

from samsim.fire_control import Launchers


def make_launchers(
    type_names: tuple[str, ...] | list[str],
    loadouts: list[dict[str, int]],
    positions_m=None,
    elevation_rad: float = np.radians(30.0),
) -> Launchers:
    """Ready launchers, one per loadout (rounds per type name), no reloads.

    ``positions_m`` (n, 3) ENU [m]; default 1 km apart along east at 2 m height.
    """
    n, k = len(loadouts), len(type_names)
    names = list(type_names)
    load = np.zeros((n, k), np.int32)
    for i, lo in enumerate(loadouts):
        for name, rounds in lo.items():
            load[i, names.index(name)] = rounds
    pos = (
        np.array([[1000.0 * i, 0.0, 2.0] for i in range(n)])
        if positions_m is None
        else np.asarray(positions_m, float)
    )
    return Launchers(
        name=[f"ln_{i}" for i in range(n)],
        battery_idx=np.zeros(n, np.int16),
        pos_enu_m=pos,
        loadout=load,
        rounds=load.copy(),
        reloads_left=np.zeros(n, np.int32),
        next_ready_s=np.zeros(n),
        reload_done_s=np.full(n, np.nan),
        launch_interval_s=np.full(n, 2.0),
        reload_s=np.full(n, 1200.0),
        launch_elevation_rad=np.full(n, elevation_rad),
    )
