"""The track picture of one tracker: struct-of-arrays with free rows reused.

Besides the combined estimate that the fire-control code reads (``x``, ``P``),
each row keeps its interacting-multiple-model (IMM) state: one estimate per
motion model (``xm``, ``Pm``, see :mod:`samsim.tracking.imm`) and the model
probabilities (``mode_prob``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from samsim.tracking._step_kernels import rows_holding as _rows_holding
from samsim.tracking.imm import N_MODELS, NX

FREE, TENTATIVE, CONFIRMED = 0, 1, 2


@dataclass(slots=True)
class TrackTable:
    """Tracks of one tracker. Row i is free when ``status[i] == FREE``.

    States are kept at the time of their last update (``time_s``) and
    predicted on demand, so a track costs nothing between looks.
    """

    x: NDArray[np.float64]  # (m, 6) e, n, u, ve, vn, vu [m, m/s], IMM combination
    P: NDArray[np.float64]  # (m, 6, 6)
    xm: NDArray[np.float64]  # (m, 2, 7) per model: x plus turn rate [rad/s]
    Pm: NDArray[np.float64]  # (m, 2, 7, 7)
    mode_prob: NDArray[np.float64]  # (m, 2) P(constant velocity), P(coordinated turn)
    turn_rate_rps: NDArray[np.float64]  # (m,) combined horizontal turn rate, + = left
    time_s: NDArray[np.float64]  # (m,) time of x and P
    status: NDArray[np.int8]  # (m,) FREE, TENTATIVE, CONFIRMED
    track_id: NDArray[np.int64]  # (m,) stable number, unique within the run
    hits: NDArray[np.int16]  # (m,) looks with an update
    looks: NDArray[np.int16]  # (m,) looks since the track was started (M-of-N window)
    misses: NDArray[np.int16]  # (m,) consecutive looks without one
    score: NDArray[np.float64]  # (m,) track log-likelihood ratio, target vs clutter
    born_s: NDArray[np.float64]  # (m,) first detection
    confirmed_s: NDArray[np.float64]  # (m,) confirmation time, NaN before
    interrogations: NDArray[np.int16]  # (m,) IFF interrogations of this track
    civil_replies: NDArray[np.int16]  # (m,)
    friend_replies: NDArray[np.int16]  # (m,)
    truth_idx: NDArray[np.int64]  # (m,) object of the last associated detection, -1 clutter
    ident: NDArray[np.int8]  # (m,) identification held by the FDC (0 = pending)
    next_id: int = 1

    @classmethod
    def empty(cls, capacity: int = 64) -> TrackTable:
        c = capacity
        return cls(
            x=np.zeros((c, 6)),
            P=np.zeros((c, 6, 6)),
            xm=np.zeros((c, N_MODELS, NX)),
            Pm=np.zeros((c, N_MODELS, NX, NX)),
            mode_prob=np.zeros((c, N_MODELS)),
            turn_rate_rps=np.zeros(c),
            time_s=np.zeros(c),
            status=np.zeros(c, np.int8),
            track_id=np.zeros(c, np.int64),
            hits=np.zeros(c, np.int16),
            looks=np.zeros(c, np.int16),
            misses=np.zeros(c, np.int16),
            score=np.zeros(c),
            born_s=np.zeros(c),
            confirmed_s=np.full(c, np.nan),
            interrogations=np.zeros(c, np.int16),
            civil_replies=np.zeros(c, np.int16),
            friend_replies=np.zeros(c, np.int16),
            truth_idx=np.full(c, -1, np.int64),
            ident=np.zeros(c, np.int8),
        )

    @property
    def capacity(self) -> int:
        return len(self.status)

    def live(self) -> NDArray[np.intp]:
        return np.flatnonzero(self.status != FREE)

    def confirmed(self) -> NDArray[np.intp]:
        return np.flatnonzero(self.status == CONFIRMED)

    def row_of(self, track_id: int) -> int:
        """Row holding a live track number, or -1."""
        rows = np.flatnonzero((self.track_id == track_id) & (self.status != FREE))
        return int(rows[0]) if rows.size else -1

    def rows_holding(self, track_ids: NDArray[np.int64]) -> NDArray[np.bool_]:
        """(capacity,) mask of the live rows that hold any of these track numbers."""
        return _rows_holding(self.track_id, self.status, np.asarray(track_ids, np.int64))

    def kernel_columns(self) -> tuple[NDArray, ...]:
        """The table's arrays in the parameter order of the compiled tracker
        step (``_step_kernels.step_batch`` and ``apply_stage``)."""
        return (
            self.status, self.x, self.P, self.xm, self.Pm, self.mode_prob, self.turn_rate_rps,
            self.time_s, self.track_id, self.hits, self.looks, self.misses, self.score,
            self.born_s, self.confirmed_s, self.interrogations, self.civil_replies,
            self.friend_replies, self.truth_idx, self.ident,
        )  # fmt: skip

    def allocate(self, k: int) -> NDArray[np.intp]:
        """k free rows (growing the table if needed) with fresh track numbers."""
        free = np.flatnonzero(self.status == FREE)
        if free.size < k:
            self._grow(max(2 * self.capacity, self.capacity + k - free.size))
            free = np.flatnonzero(self.status == FREE)
        rows = free[:k]
        self.track_id[rows] = np.arange(self.next_id, self.next_id + k)
        self.next_id += k
        self.hits[rows] = 0
        self.looks[rows] = 0
        self.turn_rate_rps[rows] = 0.0
        self.misses[rows] = 0
        self.score[rows] = 0.0
        self.confirmed_s[rows] = np.nan
        self.interrogations[rows] = 0
        self.civil_replies[rows] = 0
        self.friend_replies[rows] = 0
        self.truth_idx[rows] = -1
        self.ident[rows] = 0
        return rows

    def _grow(self, capacity: int) -> None:
        extra = capacity - self.capacity
        blank = TrackTable.empty(extra)
        for f in fields(self):
            if f.name == "next_id":
                continue
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(blank, f.name)]))

    def position_at(self, rows: NDArray[np.intp], time_s: float) -> NDArray:
        """Constant-velocity extrapolation of track positions (k, 3) to a time."""
        dt = time_s - self.time_s[rows]
        return self.x[rows, :3] + self.x[rows, 3:] * dt[:, None]
