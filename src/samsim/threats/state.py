"""Array state of every air object: threats, decoys and civil or friendly traffic."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Allegiance codes (truth; the FDC only sees IFF replies and kinematics).
HOSTILE, CIVIL, FRIEND = 0, 1, 2
ALLEGIANCE_NAMES = ("hostile", "civil", "friend")

# Threat categories, in the order of catalog.models.ThreatCategory.
CATEGORIES = ("drone", "cruise_missile", "aircraft", "ballistic", "civil")
CATEGORY_CODE = {name: i for i, name in enumerate(CATEGORIES)}

# Fates.
PENDING, FLYING, KILLED, LEAKED, ARRIVED = 0, 1, 2, 3, 4
FATE_NAMES = ("pending", "flying", "killed", "leaked", "arrived")


@dataclass(slots=True)
class AirObjects:
    """All air objects of one replication; row i is object i for the whole run.

    Routes are padded to the longest route: ``route_enu_m[i, k]`` is waypoint k
    on the surface, ``route_alt_m[i, k]`` its commanded height (NaN: use the
    altitude profile), ``route_len[i]`` the number of waypoints.
    """

    name: list[str]  # "raid_name#k" or "traffic_name#k"
    type_idx: NDArray[np.int16]  # (n,) index into World.threat_type_names
    category: NDArray[np.int8]  # (n,) CATEGORIES code
    allegiance: NDArray[np.int8]  # (n,) HOSTILE / CIVIL / FRIEND
    group_idx: NDArray[np.int16]  # (n,) raid or traffic entry it came from
    pos_enu_m: NDArray[np.float64]  # (n, 3)
    vel_enu_mps: NDArray[np.float64]  # (n, 3)
    speed_mps: NDArray[np.float64]  # (n,)
    max_climb_mps: NDArray[np.float64]  # (n,)
    max_turn_mps2: NDArray[np.float64]  # (n,) lateral acceleration limit in turns
    rcs_m2: NDArray[np.float64]  # (n,)
    swerling: NDArray[np.int8]  # (n,)
    launch_time_s: NDArray[np.float64]  # (n,)
    route_enu_m: NDArray[np.float64]  # (n, w, 3) surface points
    route_alt_m: NDArray[np.float64]  # (n, w)
    route_len: NDArray[np.int16]  # (n,)
    wp_idx: NDArray[np.int16]  # (n,) next waypoint
    cruise_alt_m: NDArray[np.float64]  # (n,)
    terminal_alt_m: NDArray[np.float64]  # (n,)
    terminal_range_m: NDArray[np.float64]  # (n,)
    target_asset: NDArray[np.int16]  # (n,) asset index or -1
    ballistic: NDArray[np.bool_]  # (n,) flies a ballistic arc
    flight_time_s: NDArray[np.float64]  # (n,) ballistic time of flight
    apogee_m: NDArray[np.float64]  # (n,) ballistic apogee
    fate: NDArray[np.int8]  # (n,) PENDING ... ARRIVED
    fate_time_s: NDArray[np.float64]  # (n,)
    acc_enu_mps2: NDArray[np.float64] = None  # type: ignore[assignment]  # (n, 3)
    dive_rad: NDArray[np.float64] = None  # type: ignore[assignment]  # (n,) terminal dive, 0 none
    weave_mps2: NDArray[np.float64] = None  # type: ignore[assignment]  # (n,) weave amplitude
    weave_period_s: NDArray[np.float64] = None  # type: ignore[assignment]  # (n,)
    weave_range_m: NDArray[np.float64] = None  # type: ignore[assignment]  # (n,)
    weave_phase_rad: NDArray[np.float64] = None  # type: ignore[assignment]  # (n,)
    warning_range_m: NDArray[np.float64] = None  # type: ignore[assignment]  # (n,) MAWS cue
    evade_dir: NDArray[np.float64] = None  # type: ignore[assignment]  # (n, 3) 0: not evading
    inv_2beta: NDArray[np.float64] = None  # type: ignore[assignment]  # (n,) 1/(2 beta), 0 no drag
    any_evading: bool = False  # some object has an evasion course set

    def __post_init__(self) -> None:
        # Flight-model columns default to "none of it" so older builders keep working.
        n = len(self.type_idx)
        for name, shape in (
            ("acc_enu_mps2", (n, 3)),
            ("dive_rad", (n,)),
            ("weave_mps2", (n,)),
            ("weave_period_s", (n,)),
            ("weave_range_m", (n,)),
            ("weave_phase_rad", (n,)),
            ("warning_range_m", (n,)),
            ("evade_dir", (n, 3)),
            ("inv_2beta", (n,)),
        ):
            if getattr(self, name) is None:
                setattr(self, name, np.ones(shape) if name == "weave_period_s" else np.zeros(shape))

    @property
    def n(self) -> int:
        return len(self.type_idx)

    @property
    def flying(self) -> NDArray[np.bool_]:
        """Launched and neither killed nor arrived."""
        return self.fate == FLYING
