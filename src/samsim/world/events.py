"""The event log of one replication: a row per launch, kill, miss, leaker, ..."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from samsim.geo import LocalFrame

EVENT_KINDS = (
    "threat_launch",  # a raid member or traffic entered the scenario
    "track_confirmed",  # an FDC confirmed a track
    "track_identified",  # identification changed (civil, friend, unknown, hostile)
    "track_dropped",  # a track was deleted
    "track_handover",  # an engagement moved from a dropped track to its successor
    "engage",  # an FDC assigned a launcher to a track
    "launch",  # an interceptor left its canister
    "seeker_lock",  # the interceptor's seeker acquired an object
    "seeker_lost",  # the seeker lost its line of sight to the object (horizon, terrain)
    "kill",  # fuzed within the lethal radius and killed
    "miss",  # passed the target, or fuzed without a kill
    "self_destruct",  # out of time or energy
    "leaker",  # a threat reached its target
    "evade",  # a warned aircraft began evading an approaching interceptor
    "asset_hit",  # a leaker damaged a defended asset
    "arrived",  # traffic reached the end of its route
    "reload",  # a launcher was reloaded
    "kill_assessment",  # an FDC judged whether its target survived a salvo
    "weapons_status",  # doctrine changed weapons status
)

SCHEMA = pa.schema(
    [
        ("time_s", pa.float64()),
        ("replication", pa.int32()),
        ("kind", pa.string()),
        ("subject", pa.string()),
        ("object", pa.string()),
        ("lat_deg", pa.float64()),
        ("lon_deg", pa.float64()),
        ("alt_m", pa.float64()),
        ("east_m", pa.float64()),
        ("north_m", pa.float64()),
        ("up_m", pa.float64()),
        ("detail", pa.string()),
    ]
)


@dataclass(slots=True)
class EventLog:
    """Append-only log; converted to an Arrow table at the end of a replication."""

    replication: int
    time_s: list[float] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    obj: list[str] = field(default_factory=list)
    pos: list[tuple[float, float, float]] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)

    def add(
        self,
        time_s: float,
        kind: str,
        subject: str,
        obj: str = "",
        pos_enu_m: NDArray | None = None,
        detail: str = "",
    ) -> None:
        """Record one event; ``pos_enu_m`` is where it happened, if anywhere."""
        self.time_s.append(float(time_s))
        self.kind.append(kind)
        self.subject.append(subject)
        self.obj.append(obj)
        p = (np.nan, np.nan, np.nan) if pos_enu_m is None else tuple(map(float, pos_enu_m))
        self.pos.append(p)
        self.detail.append(detail)

    def __len__(self) -> int:
        return len(self.time_s)

    def count(self, kind: str) -> int:
        return sum(1 for k in self.kind if k == kind)

    def to_table(self, frame: LocalFrame) -> pa.Table:
        """Arrow table with geodetic and ENU positions, in time order.

        Stages log in processing order, which can run slightly against time
        (a kill inside a step is logged after a leaker at the step's end); a
        stable sort restores time order and keeps the logging order of ties.
        """
        pos = np.array(self.pos, dtype=float).reshape(-1, 3)
        lat, lon, alt = frame.to_geodetic(pos) if len(pos) else (pos[:, 0],) * 3
        order = np.argsort(np.asarray(self.time_s, dtype=float), kind="stable")
        table = pa.table(
            {
                "time_s": pa.array(self.time_s, pa.float64()),
                "replication": pa.array(np.full(len(self), self.replication, np.int32)),
                "kind": pa.array(self.kind, pa.string()),
                "subject": pa.array(self.subject, pa.string()),
                "object": pa.array(self.obj, pa.string()),
                "lat_deg": pa.array(np.asarray(lat, float)),
                "lon_deg": pa.array(np.asarray(lon, float)),
                "alt_m": pa.array(np.asarray(alt, float)),
                "east_m": pa.array(pos[:, 0]),
                "north_m": pa.array(pos[:, 1]),
                "up_m": pa.array(pos[:, 2]),
                "detail": pa.array(self.detail, pa.string()),
            },
            schema=SCHEMA,
        )
        return table.take(pa.array(order, pa.int64()))
