"""One tracker step: gate, assign (global nearest neighbour), update, initiate,
confirm (M of N) and delete. The engine and ``track_detections`` share it.

Association: a KD-tree pre-gate on positions finds candidate track-measurement
pairs, each pair is predicted to the measurement's own time and gated on the
chi-square Mahalanobis distance in (range, azimuth, elevation), and
``scipy.optimize.linear_sum_assignment`` picks the assignment that minimises
the summed cost d^2 + ln|S| over the gated pairs. A measurement inside some
track's gate that lost the assignment does not start a new track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from samsim.tracking import ekf
from samsim.tracking.table import CONFIRMED, FREE, TENTATIVE, TrackTable

BIG_COST = 1e9


@dataclass(frozen=True, slots=True)
class TrackerParams:
    """Tuning of the EKF / GNN / M-of-N tracker."""

    q_m2ps3: float = 40.0  # white-noise acceleration spectral density per axis
    gate_chi2: float = 16.27  # 3 degrees of freedom, P = 0.999
    init_speed_sigma_mps: float = 400.0
    confirm_hits: int = 3  # M
    confirm_looks: int = 4  # N
    delete_misses_confirmed: int = 4  # consecutive looks without an update
    max_coast_s: float = 12.0
    max_position_sigma_m: float = 5000.0


@dataclass(slots=True)
class Measurements:
    """A batch of polar measurements, each with its sensor's pose and noise."""

    time_s: NDArray[np.float64]  # (k,)
    z: NDArray[np.float64]  # (k, 3) range [m], azimuth [rad], elevation [rad]
    sensor_pos_m: NDArray[np.float64]  # (k, 3)
    sensor_axes: NDArray[np.float64]  # (k, 3, 3)
    sigma: NDArray[np.float64]  # (k, 3) range [m], azimuth [rad], elevation [rad]
    iff: NDArray[np.int8]  # (k,) -1 not interrogated, 0 no reply, 1 civil, 2 friend
    truth_idx: NDArray[np.int64]  # (k,) for analysis only, -1 clutter or unknown

    @property
    def n(self) -> int:
        return len(self.time_s)

    def positions_enu(self) -> NDArray:
        local = ekf.polar_to_local(self.z[:, 0], self.z[:, 1], self.z[:, 2])
        return self.sensor_pos_m + np.einsum("kji,kj->ki", self.sensor_axes, local)


@dataclass(slots=True)
class StepResult:
    """What changed in one tracker step (rows of the table and track numbers)."""

    updated: NDArray[np.intp]
    created: NDArray[np.intp]
    confirmed: NDArray[np.intp]
    deleted_ids: NDArray[np.int64]
    deleted_truth: NDArray[np.int64]


def step(
    table: TrackTable,
    meas: Measurements,
    looked: NDArray[np.bool_],
    now_s: float,
    params: TrackerParams,
) -> StepResult:
    """Process one batch of measurements.

    Parameters
    ----------
    looked : (capacity,) rows a sensor looked at in this batch (a look without
        an update is a miss)
    now_s : time of the batch end, used for coasting deletion
    """
    live = table.live()
    rows, cols = _gate_pairs(table, live, meas, params)
    upd_rows = np.zeros(0, np.intp)
    used = np.zeros(meas.n, dtype=bool)
    in_gate = np.zeros(meas.n, dtype=bool)
    if rows.size:
        x_p, P_p, nu, H, R, d2, logdet = _pair_terms(table, rows, cols, meas, params)
        ok = d2 < params.gate_chi2
        rows, cols, x_p, P_p, nu, H, R = (a[ok] for a in (rows, cols, x_p, P_p, nu, H, R))
        cost = d2[ok] + logdet[ok]
        in_gate[cols] = True
        if rows.size:
            pick = _assign(rows, cols, cost)
            rows, cols = rows[pick], cols[pick]
            x_n, P_n, _ = ekf.update(x_p[pick], P_p[pick], nu[pick], H[pick], R[pick])
            table.x[rows] = x_n
            table.P[rows] = P_n
            table.time_s[rows] = meas.time_s[cols]
            table.truth_idx[rows] = meas.truth_idx[cols]
            _count_iff(table, rows, meas.iff[cols])
            used[cols] = True
            upd_rows = rows
    # Looks: hits and misses.
    hit = np.zeros(table.capacity, dtype=bool)
    hit[upd_rows] = True
    table.hits[hit] += 1
    table.misses[hit] = 0
    missed = looked[: table.capacity] & ~hit & (table.status != FREE)
    table.misses[missed] += 1
    created = _initiate(table, meas, np.flatnonzero(~used & ~in_gate), params)
    confirmed = np.flatnonzero((table.status == TENTATIVE) & (table.hits >= params.confirm_hits))
    table.status[confirmed] = CONFIRMED
    table.confirmed_s[confirmed] = now_s
    deleted = _delete(table, now_s, params)
    return StepResult(
        upd_rows,
        created,
        confirmed,
        table.track_id[deleted].copy(),
        table.truth_idx[deleted].copy(),
    )


def _gate_pairs(
    table: TrackTable, live: NDArray[np.intp], meas: Measurements, params: TrackerParams
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Candidate (row, measurement) pairs from a Euclidean pre-gate."""
    if live.size == 0 or meas.n == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    t_ref = float(np.mean(meas.time_s))
    spread = float(np.ptp(meas.time_s))
    pos = table.position_at(live, t_ref)
    dt = np.abs(t_ref - table.time_s[live])
    pos_var = np.trace(table.P[live, :3, :3], axis1=1, axis2=2)
    vel_var = np.trace(table.P[live, 3:, 3:], axis1=1, axis2=2)
    speed = np.linalg.norm(table.x[live, 3:], axis=1)
    meas_pos = meas.positions_enu()
    meas_sigma = float(np.max(meas.sigma[:, 0] + meas.z[:, 0] * meas.sigma[:, 1:].max(axis=1)))
    radius = (
        4.0 * np.sqrt(pos_var + vel_var * dt**2 + params.q_m2ps3 * dt**3)
        + speed * spread
        + 4.0 * meas_sigma
        + 100.0
    )
    tree = cKDTree(meas_pos)
    hits = tree.query_ball_point(pos, radius)
    counts = np.fromiter((len(h) for h in hits), dtype=np.intp, count=len(hits))
    if counts.sum() == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    rows = np.repeat(live, counts)
    cols = np.fromiter((j for h in hits for j in h), dtype=np.intp, count=int(counts.sum()))
    return rows, cols


def _pair_terms(
    table: TrackTable,
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    meas: Measurements,
    params: TrackerParams,
):
    dt = meas.time_s[cols] - table.time_s[rows]
    x_p, P_p = ekf.predict(table.x[rows], table.P[rows], dt, params.q_m2ps3)
    z_pred, H = ekf.measure(x_p, meas.sensor_pos_m[cols], meas.sensor_axes[cols])
    nu = ekf.innovation(meas.z[cols], z_pred)
    R = np.zeros((len(cols), 3, 3))
    idx = np.arange(3)
    R[:, idx, idx] = meas.sigma[cols] ** 2
    S = np.einsum("kij,kjl,kml->kim", H, P_p, H) + R
    S_inv = np.linalg.inv(S)
    d2 = np.einsum("ki,kij,kj->k", nu, S_inv, nu)
    logdet = np.linalg.slogdet(S)[1]
    return x_p, P_p, nu, H, R, d2, logdet


def _assign(rows: NDArray[np.intp], cols: NDArray[np.intp], cost: NDArray) -> NDArray[np.intp]:
    """Indices into the pair list chosen by a global nearest-neighbour assignment."""
    urows, ri = np.unique(rows, return_inverse=True)
    ucols, ci = np.unique(cols, return_inverse=True)
    C = np.full((urows.size, ucols.size), BIG_COST)
    pair_at = np.full((urows.size, ucols.size), -1, dtype=np.intp)
    C[ri, ci] = cost
    pair_at[ri, ci] = np.arange(len(rows))
    a, b = linear_sum_assignment(C)
    chosen = pair_at[a, b]
    return chosen[(chosen >= 0) & (C[a, b] < BIG_COST)]


def _count_iff(table: TrackTable, rows: NDArray[np.intp], iff: NDArray[np.int8]) -> None:
    np.add.at(table.interrogations, rows, (iff >= 0).astype(np.int16))
    np.add.at(table.civil_replies, rows, (iff == 1).astype(np.int16))
    np.add.at(table.friend_replies, rows, (iff == 2).astype(np.int16))


def _initiate(
    table: TrackTable, meas: Measurements, cols: NDArray[np.intp], params: TrackerParams
) -> NDArray[np.intp]:
    """One tentative track per unused measurement, at rest with a wide velocity prior."""
    if cols.size == 0:
        return np.zeros(0, np.intp)
    rows = table.allocate(cols.size)
    z = meas.z[cols]
    axes = meas.sensor_axes[cols]
    local_cov = ekf.polar_covariance(
        z[:, 0], z[:, 1], z[:, 2], meas.sigma[cols, 0], meas.sigma[cols, 1], meas.sigma[cols, 2]
    )
    table.x[rows, :3] = meas.positions_enu()[cols]
    table.x[rows, 3:] = 0.0
    table.P[rows] = 0.0
    table.P[rows, :3, :3] = np.einsum("kji,kjl,klm->kim", axes, local_cov, axes)
    idx = np.arange(3, 6)
    table.P[rows[:, None], idx, idx] = params.init_speed_sigma_mps**2
    table.time_s[rows] = meas.time_s[cols]
    table.born_s[rows] = meas.time_s[cols]
    table.status[rows] = TENTATIVE
    table.hits[rows] = 1
    table.truth_idx[rows] = meas.truth_idx[cols]
    _count_iff(table, rows, meas.iff[cols])
    return rows


def _delete(table: TrackTable, now_s: float, params: TrackerParams) -> NDArray[np.intp]:
    tentative_limit = params.confirm_looks - params.confirm_hits + 1
    pos_sigma = np.sqrt(np.trace(table.P[:, :3, :3], axis1=1, axis2=2))
    coast = now_s - table.time_s
    drop = (
        ((table.status == TENTATIVE) & (table.misses >= tentative_limit))
        | (coast > params.max_coast_s)
        | (
            (table.status == CONFIRMED)
            & (
                (table.misses >= params.delete_misses_confirmed)
                | (
                    pos_sigma + np.sqrt(np.trace(table.P[:, 3:, 3:], axis1=1, axis2=2)) * coast
                    > params.max_position_sigma_m
                )
            )
        )
    )
    drop &= table.status != FREE
    rows = np.flatnonzero(drop)
    table.status[rows] = FREE
    return rows
