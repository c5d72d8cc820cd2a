"""Remote canister launchers: magazines, launch rate and reloads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(slots=True)
class Launchers:
    """Every launcher of one replication, one row each; columns of ``rounds`` are
    interceptor types."""

    name: list[str]
    battery_idx: NDArray[np.int16]  # (L,)
    pos_enu_m: NDArray[np.float64]  # (L, 3)
    loadout: NDArray[np.int32]  # (L, k) rounds per type after a reload
    rounds: NDArray[np.int32]  # (L, k) rounds ready now
    reloads_left: NDArray[np.int32]  # (L,)
    next_ready_s: NDArray[np.float64]  # (L,) earliest next launch
    reload_done_s: NDArray[np.float64]  # (L,) end of a reload in progress, NaN if none
    launch_interval_s: NDArray[np.float64]
    reload_s: NDArray[np.float64]
    launch_elevation_rad: NDArray[np.float64]

    @property
    def n(self) -> int:
        return len(self.name)

    def ready(self, time_s: float) -> NDArray[np.bool_]:
        """(L,) launchers that can fire now."""
        return (
            (self.rounds.sum(axis=1) > 0)
            & (self.next_ready_s <= time_s)
            & np.isnan(self.reload_done_s)
        )


def fire_round(launchers: Launchers, launcher_idx: int, type_idx: int, time_s: float) -> None:
    """Take one round of a type from a launcher and start its launch interval."""
    launchers.rounds[launcher_idx, type_idx] -= 1
    launchers.next_ready_s[launcher_idx] = time_s + launchers.launch_interval_s[launcher_idx]


def service_reloads(
    launchers: Launchers, time_s: float, which: NDArray[np.intp]
) -> NDArray[np.intp]:
    """Start reloads of empty launchers among ``which`` and finish due ones;
    return the launchers reloaded now."""
    mask = np.zeros(launchers.n, dtype=bool)
    mask[which] = True
    empty = (
        mask
        & (launchers.rounds.sum(axis=1) == 0)
        & (launchers.reloads_left > 0)
        & np.isnan(launchers.reload_done_s)
    )
    launchers.reload_done_s[empty] = time_s + launchers.reload_s[empty]
    done = np.flatnonzero(
        mask & ~np.isnan(launchers.reload_done_s) & (launchers.reload_done_s <= time_s)
    )
    launchers.rounds[done] = launchers.loadout[done]
    launchers.reloads_left[done] -= 1
    launchers.reload_done_s[done] = np.nan
    return done
