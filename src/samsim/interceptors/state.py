"""Array state of interceptors: one row per round that can be fired in the run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Phases.
READY, FLYING, DONE = 0, 1, 2
# Ends.
NO_END, END_KILL, END_MISS, END_SELF_DESTRUCT = 0, 1, 2, 3


@dataclass(slots=True)
class Interceptors:
    """Interceptors in flight or spent. Rows are used in launch order."""

    type_idx: NDArray[np.int16]  # (c,) index into World.interceptor_type_names
    phase: NDArray[np.int8]  # (c,) READY (unused row), FLYING, DONE
    end: NDArray[np.int8]  # (c,) how it ended
    pos_enu_m: NDArray[np.float64]  # (c, 3)
    vel_enu_mps: NDArray[np.float64]  # (c, 3)
    mass_kg: NDArray[np.float64]  # (c,)
    launch_time_s: NDArray[np.float64]  # (c,)
    launcher_idx: NDArray[np.int16]  # (c,)
    fdc_idx: NDArray[np.int16]  # (c,) FDC that fired it and uplinks to it
    track_id: NDArray[np.int64]  # (c,) track it was fired at
    est_pos_m: NDArray[np.float64]  # (c, 3) last datalink target position
    est_vel_mps: NDArray[np.float64]  # (c, 3) last datalink target velocity
    est_time_s: NDArray[np.float64]  # (c,) time of that uplink
    locked_idx: NDArray[np.int64]  # (c,) air object the seeker tracks, -1 none
    accel_cmd_mps2: NDArray[np.float64]  # (c, 3) last guidance command (lagged)
    miss_m: NDArray[np.float64]  # (c,) closest approach at the end
    end_time_s: NDArray[np.float64]  # (c,)
    n_used: int = 0

    @classmethod
    def empty(cls, capacity: int) -> Interceptors:
        c = capacity
        return cls(
            type_idx=np.zeros(c, np.int16),
            phase=np.zeros(c, np.int8),
            end=np.zeros(c, np.int8),
            pos_enu_m=np.zeros((c, 3)),
            vel_enu_mps=np.zeros((c, 3)),
            mass_kg=np.zeros(c),
            launch_time_s=np.zeros(c),
            launcher_idx=np.zeros(c, np.int16),
            fdc_idx=np.zeros(c, np.int16),
            track_id=np.zeros(c, np.int64),
            est_pos_m=np.zeros((c, 3)),
            est_vel_mps=np.zeros((c, 3)),
            est_time_s=np.zeros(c),
            locked_idx=np.full(c, -1, np.int64),
            accel_cmd_mps2=np.zeros((c, 3)),
            miss_m=np.full(c, np.nan),
            end_time_s=np.full(c, np.nan),
        )

    @property
    def capacity(self) -> int:
        return len(self.phase)

    def flying(self) -> NDArray[np.intp]:
        return (self.phase[: self.n_used] == FLYING).nonzero()[0]
