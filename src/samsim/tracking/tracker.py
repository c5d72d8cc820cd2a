"""One tracker step: gate, associate, update (IMM-EKF), initiate, confirm, delete.

The engine and :func:`samsim.tracking.track_detections` share this code.

A batch of measurements is processed one sensor at a time (measurement-level
fusion: a track may be updated by each sensor that saw it), radar rows in
three stages:

1. *Established* tracks (velocity known): a KD-tree over the measurements'
   ENU positions finds candidate pairs within a radius from each track's
   predicted position, sized per pair from the track's IMM modes and
   covariance, the turn rate's uncertainty, the return's noise and its time
   (``_step_kernels.COARSE_SCALE``); every pair is then predicted by the IMM
   to the measurement's own time (a rotating radar stamps each detection when
   the beam passed) and gated on the chi-square Mahalanobis distance in
   (range, azimuth, elevation). Global nearest neighbour (the default) picks
   the matching of least summed cost ``-2 ln`` (IMM mixture likelihood) among
   the gated pairs, solved per cluster (:mod:`samsim.tracking.assign`); JPDA
   instead weighs every gated measurement by its marginal association
   probability (loopy belief propagation, Williams and Lau 2014).
2. *One-point* tracks (a single detection, velocity unknown) take remaining
   measurements inside a velocity gate ``|dp| <= v_max |dt| + margin``: the
   second point gives the velocity (two-point initiation), so a 2.5 km/s
   ballistic missile forms a track as easily as a drone.
3. Every measurement left that is in no established track's gate starts a
   one-point track.

Angles-only rows (EO/IR; range NaN) update established tracks through an
(azimuth, elevation) model, gated with a KD-tree over line-of-sight unit
vectors; they never start a track.

Confirmation is M of N (``confirm_hits`` updates within ``confirm_looks``
looks); a one-point track is dropped at its first missed look, a tentative
one when M can no longer be reached, a confirmed one after
``delete_misses_confirmed`` consecutive missed looks, a long coast or when
its predicted position uncertainty grows past ``max_position_sigma_m``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from samsim.tracking import _kernels, _step_kernels, ekf, imm
from samsim.tracking.assign import assign_sparse
from samsim.tracking.table import CONFIRMED, FREE, TENTATIVE, TrackTable

BIG_COST = 1e6  # subtracted from gated pairs so that the matching takes as many as it can
LOG_2PI = math.log(2.0 * math.pi)


def mixture_loglik(loglik: NDArray, weight: NDArray) -> NDArray:
    """ln sum_m w_m exp(l_m) over the last axis (k, M) -> (k,), without overflow.

    One ``logaddexp`` reduction: the models of an IMM are few (two), so this is
    a single array expression rather than the max / exp / sum / log of a
    general log-sum-exp.
    """
    return np.logaddexp.reduce(loglik + np.log(np.maximum(weight, 1e-300)), axis=-1)


@dataclass(frozen=True, slots=True)
class TrackerParams:
    """Tuning of the IMM-EKF tracker (units in the names)."""

    q_cv_m2ps3: float = 0.2  # white-noise acceleration of the constant-velocity model
    q_ct_m2ps3: float = 0.2  # white-noise acceleration of the coordinated-turn model
    q_turn_rad2ps3: float = 1e-2  # turn-rate random walk of the coordinated-turn model
    sojourn_s: tuple[float, float] = (120.0, 10.0)  # mean time spent in each model
    motion: str = "imm"  # "imm" of both models, or one model alone: "cv" or "ct"
    init_mode_prob_ct: float = 0.1
    init_turn_rate_sigma_rps: float = 0.05
    gate_chi2: float = 16.27  # 3 degrees of freedom, P = 0.999
    gate_chi2_angles: float = 13.82  # 2 degrees of freedom, P = 0.999
    max_speed_mps: float = 3000.0  # fastest target a one-point track may pair with
    init_speed_sigma_mps: float = 600.0  # velocity prior of a one-point track
    one_point_misses: int = 1  # missed looks that end a one-point track
    established_speed_sigma_mps: float = 500.0  # velocity known below this sigma
    confirm_hits: int = 3  # M
    confirm_looks: int = 4  # N
    delete_misses_confirmed: int = 4  # consecutive looks without an update
    max_coast_s: float = 12.0
    max_position_sigma_m: float = 5000.0
    # "gnn", "jpda" (confirmed tracks), or "auto": JPDA for the confirmed tracks
    # whose gate is expected to hold at least jpda_gate_clutter false alarms
    # (lambda V_gate, from the local clutter map), GNN for every other track.
    association: str = "auto"
    jpda_gate_clutter: float = 0.03
    backend: str = "numba"  # per-pair filter arithmetic: "numba" kernels or "numpy" arrays
    prob_detection: float = 0.9  # track score and JPDA
    clutter_density: float = 1e-6  # least false alarms per look per (m rad^2)
    # Expected false alarms of one sensor in one batch, when known (a scan's
    # worth for track_detections): caps the share of unexplained returns that
    # the clutter map counts as clutter, so that a dense raid not yet tracked is
    # not mistaken for clutter. None: every unexplained return counts.
    false_alarms_per_batch: float | None = None
    clutter_knn: int = 6  # neighbours of the local clutter density estimate
    confirm_score: float = 4.0  # least track score to confirm
    delete_score: float = -3.0  # tracks whose score falls below are dropped
    score_cap: float = 15.0  # the score saturates here, so a lost track decays fast

    def __post_init__(self) -> None:
        if self.association not in ("gnn", "jpda", "auto"):
            raise ValueError(
                f"association: must be 'gnn', 'jpda' or 'auto', got {self.association!r}"
            )


@dataclass(slots=True)
class Measurements:
    """A batch of measurements, each with its sensor's pose and noise.

    Radar rows hold (range [m], azimuth [rad], elevation [rad]); angles-only
    rows (passive EO/IR) hold NaN range, and their range sigma is ignored.
    """

    time_s: NDArray[np.float64]  # (k,)
    z: NDArray[np.float64]  # (k, 3) range [m], azimuth [rad], elevation [rad]
    sensor_pos_m: NDArray[np.float64]  # (k, 3)
    sensor_axes: NDArray[np.float64]  # (k, 3, 3)
    sigma: NDArray[np.float64]  # (k, 3) range [m], azimuth [rad], elevation [rad]
    iff: NDArray[np.int8]  # (k,) -1 not interrogated, 0 no reply, 1 civil, 2 friend
    truth_idx: NDArray[np.int64]  # (k,) for analysis only, -1 clutter or unknown

    @classmethod
    def build(
        cls,
        time_s: NDArray,
        z: NDArray,
        sigma: NDArray,
        sensor_pos_m: NDArray | None = None,
        sensor_axes: NDArray | None = None,
        iff: NDArray | None = None,
        truth_idx: NDArray | None = None,
    ) -> Measurements:
        """A batch with defaults: sensor at the ENU origin with level axes, no
        IFF, no truth; ``sigma`` (3,) or (k, 3), ``sensor_pos_m`` (3,) or (k, 3).
        """
        time_s = np.asarray(time_s, dtype=float)
        k = time_s.size
        pos = np.zeros(3) if sensor_pos_m is None else np.asarray(sensor_pos_m, float)
        axes = np.eye(3) if sensor_axes is None else np.asarray(sensor_axes, float)
        return cls(
            time_s=time_s,
            z=np.asarray(z, dtype=float).reshape(k, 3),
            sensor_pos_m=np.broadcast_to(pos, (k, 3)),
            sensor_axes=np.broadcast_to(axes, (k, 3, 3)),
            sigma=np.broadcast_to(np.asarray(sigma, dtype=float), (k, 3)),
            iff=np.full(k, -1, np.int8) if iff is None else np.asarray(iff, np.int8),
            truth_idx=(
                np.full(k, -1, np.int64) if truth_idx is None else np.asarray(truth_idx, np.int64)
            ),
        )

    @property
    def n(self) -> int:
        return len(self.time_s)

    def kernel_columns(self) -> tuple[NDArray, ...]:
        """The batch's arrays, contiguous and typed, in the parameter order of the
        compiled tracker step (``_step_kernels.step_batch``)."""
        f8 = np.float64
        return (
            np.ascontiguousarray(self.time_s, dtype=f8),
            np.ascontiguousarray(self.z, dtype=f8),
            np.ascontiguousarray(self.sensor_pos_m, dtype=f8),
            np.ascontiguousarray(self.sensor_axes, dtype=f8),
            np.ascontiguousarray(self.sigma, dtype=f8),
            np.ascontiguousarray(self.iff, dtype=np.int8),
            np.ascontiguousarray(self.truth_idx, dtype=np.int64),
        )

    def angles_only(self) -> NDArray[np.bool_]:
        """(k,) rows without a range."""
        return np.isnan(self.z[:, 0])

    def positions_enu(self) -> NDArray:
        """(k, 3) ENU positions of the rows (NaN for angles-only rows)."""
        local = ekf.polar_to_local(self.z[:, 0], self.z[:, 1], self.z[:, 2])
        return self.sensor_pos_m + np.einsum("kji,kj->ki", self.sensor_axes, local)

    def directions_enu(self) -> NDArray:
        """(k, 3) ENU unit line-of-sight vectors of the rows."""
        local = ekf.polar_to_local(np.ones(self.n), self.z[:, 1], self.z[:, 2])
        return np.einsum("kji,kj->ki", self.sensor_axes, local)


@dataclass(slots=True)
class StepResult:
    """What changed in one tracker step (rows of the table and track numbers)."""

    updated: NDArray[np.intp]
    created: NDArray[np.intp]
    confirmed: NDArray[np.intp]
    deleted_ids: NDArray[np.int64]
    deleted_truth: NDArray[np.int64]


@dataclass(slots=True)
class _Pairs:
    """IMM predictions of candidate (track row, measurement) pairs, M models each."""

    rows: NDArray[np.intp]  # (k,)
    cols: NDArray[np.intp]  # (k,)
    c: NDArray  # (k, M) predicted mode probabilities
    xp: NDArray  # (k, M, NX)
    Pp: NDArray  # (k, M, NX, NX)
    nu: NDArray  # (k, M, d)
    S: NDArray  # (k, M, d, d)
    S_inv: NDArray
    PHt: NDArray  # (k, M, NX, d)
    d2: NDArray  # (k, M)
    loglik: NDArray  # (k, M) ln N(nu; 0, S)

    def take(self, sel: NDArray) -> _Pairs:
        return _Pairs(*(getattr(self, f)[sel] for f in self.__slots__))

    @property
    def mix_loglik(self) -> NDArray:
        """(k,) log-likelihood of each pair under the IMM mixture."""
        return mixture_loglik(self.loglik, self.c)


def step(
    table: TrackTable,
    meas: Measurements,
    looked: NDArray[np.bool_],
    now_s: float,
    params: TrackerParams,
    whole_batch: bool = True,
) -> StepResult:
    """Process one batch of measurements.

    Parameters
    ----------
    table : the tracker's picture, updated in place
    meas : the batch (any sensors, radar and angles-only rows mixed)
    looked : (capacity,) rows a sensor looked at in this batch (a look
        without an update is a miss)
    now_s : time of the batch end, used for coasting deletion
    params : tuning
    whole_batch : False when the caller knows the one-call compiled step
        (``_step_kernels.step_batch``) would hand this batch back on this table
        (it just did): it goes straight to the step by groups. Same result.

    Returns
    -------
    StepResult with the rows updated, created and confirmed, and the numbers
    (and last truth labels) of the tracks deleted.
    """
    if params.association == "gnn" and params.backend == "numba":
        return _step_compiled(table, meas, looked, now_s, params, whole_batch)
    return _step_arrays(table, meas, looked, now_s, params)


def _step_arrays(
    table: TrackTable,
    meas: Measurements,
    looked: NDArray[np.bool_],
    now_s: float,
    params: TrackerParams,
) -> StepResult:
    """:func:`step` in array expressions (every association mode and backend)."""
    born = np.zeros(table.capacity, dtype=bool)
    hit = np.zeros(table.capacity, dtype=bool)
    created: list[NDArray[np.intp]] = []
    angles = meas.angles_only()
    lam = np.full(meas.n, params.clutter_density)
    for group in _sensor_groups(meas, angles):
        if angles[group[0]]:
            rows = _update_angles(table, meas, group, params)
            hit = _mark(hit, rows, table.capacity)
            continue
        hit, born, new = _radar_group_arrays(table, meas, group, lam, params, hit, born)
        created.append(new)
    cap = table.capacity
    hit = _mark(hit, np.zeros(0, np.intp), cap)
    born = _mark(born, np.zeros(0, np.intp), cap)
    seen = np.zeros(cap, dtype=bool)
    seen[: min(len(looked), cap)] = looked[:cap]
    live = table.status != FREE
    old = live & ~born
    missed = old & seen & ~hit
    table.looks[old & (seen | hit)] += 1
    table.hits[old & hit] += 1
    table.misses[old & hit] = 0
    table.misses[missed] += 1
    table.score[missed] += math.log(max(1.0 - params.prob_detection, 1e-6))
    np.minimum(table.score, params.score_cap, out=table.score)
    vel_known = _velocity_known(table, params)
    confirmed = np.flatnonzero(
        (table.status == TENTATIVE)
        & (table.hits >= params.confirm_hits)
        & (table.score >= params.confirm_score)
        & vel_known
    )
    table.status[confirmed] = CONFIRMED
    table.confirmed_s[confirmed] = now_s
    deleted = _delete(table, now_s, vel_known, params)
    created_rows = np.concatenate(created) if created else np.zeros(0, np.intp)
    return StepResult(
        np.flatnonzero(hit & ~born),
        created_rows[table.status[created_rows] != FREE],
        confirmed,
        table.track_id[deleted].copy(),
        table.truth_idx[deleted].copy(),
    )


def _radar_group_arrays(
    table: TrackTable,
    meas: Measurements,
    group: NDArray[np.intp],
    lam: NDArray[np.float64],
    params: TrackerParams,
    hit: NDArray[np.bool_],
    born: NDArray[np.bool_],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.intp]]:
    """One radar sensor's rows through the three stages, in array expressions.

    Returns the ``hit`` and ``born`` masks (grown with the table) and the rows created.
    """
    rows, used, in_gate = _update_established(table, meas, group, lam, params)
    hit = _mark(hit, rows, table.capacity)
    left = group[~used & ~in_gate]
    rows = _update_one_point(table, meas, left, lam, params)
    hit = _mark(hit, rows, table.capacity)
    new = _initiate(table, meas, left, params)
    born = _mark(born, new, table.capacity)
    return hit, born, new


# --- the compiled step (GNN, numba backend) -----------------------------------------------


@functools.lru_cache(maxsize=64)
def _compiled_params(params: TrackerParams) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Parameter vectors of the compiled step (layout in _step_kernels)."""
    sk = _step_kernels
    fp = np.zeros(sk.N_FLOAT_PARAMS)
    fp[sk.P_GATE] = params.gate_chi2
    fp[sk.P_SQRT_GATE] = math.sqrt(params.gate_chi2)
    fp[sk.P_Q_MAX] = max(params.q_cv_m2ps3, params.q_ct_m2ps3)
    fp[sk.P_CLUTTER] = params.clutter_density
    fp[sk.P_LOG_PD] = math.log(params.prob_detection)
    fp[sk.P_VMAX] = params.max_speed_mps
    fp[sk.P_INIT_SPEED] = params.init_speed_sigma_mps
    fp[sk.P_INIT_SPEED2] = params.init_speed_sigma_mps**2
    fp[sk.P_EST_SPEED2] = params.established_speed_sigma_mps**2
    fp[sk.P_TAU0], fp[sk.P_TAU1] = params.sojourn_s
    fp[sk.P_Q_CV] = params.q_cv_m2ps3
    fp[sk.P_Q_CT] = params.q_ct_m2ps3
    fp[sk.P_Q_TURN] = params.q_turn_rad2ps3
    fp[sk.P_INIT_TURN2] = params.init_turn_rate_sigma_rps**2
    fp[sk.P_P_CT] = {"imm": params.init_mode_prob_ct, "cv": 0.0, "ct": 1.0}[params.motion]
    fp[sk.P_LOG_MISS] = math.log(max(1.0 - params.prob_detection, 1e-6))
    fp[sk.P_SCORE_CAP] = params.score_cap
    fp[sk.P_CONFIRM_SCORE] = params.confirm_score
    fp[sk.P_DELETE_SCORE] = params.delete_score
    fp[sk.P_MAX_COAST] = params.max_coast_s
    fp[sk.P_MAX_POS_SIGMA] = params.max_position_sigma_m
    fa = params.false_alarms_per_batch
    fp[sk.P_FALSE_ALARMS] = math.nan if fa is None else fa
    fp[sk.P_GATE_ANGLES] = params.gate_chi2_angles
    fp[sk.P_SQRT_GATE_ANGLES] = math.sqrt(params.gate_chi2_angles)
    ip = np.zeros(sk.N_INT_PARAMS, np.int64)
    ip[sk.I_USE_IMM] = params.motion == "imm"
    ip[sk.I_CONFIRM_HITS] = params.confirm_hits
    ip[sk.I_CONFIRM_LOOKS] = params.confirm_looks
    ip[sk.I_ONE_POINT_MISSES] = params.one_point_misses
    ip[sk.I_DELETE_MISSES] = params.delete_misses_confirmed
    ip[sk.I_KNN] = params.clutter_knn
    fp.flags.writeable = False
    ip.flags.writeable = False
    return fp, ip


COMPILED_GROUP_MAX = 2048  # most returns of one batch the compiled step takes


def _step_compiled(
    table: TrackTable,
    meas: Measurements,
    looked: NDArray[np.bool_],
    now_s: float,
    params: TrackerParams,
    whole_batch: bool = True,
) -> StepResult:
    """:func:`step` for GNN and the numba backend.

    The engine's usual batch (one radar's returns, no conflicts, few
    unexplained returns) is one compiled call; any other goes through
    :func:`_step_groups_compiled`. Same results as the array version
    (tests/tracking/test_compiled_step.py).
    """
    t = table
    cap = t.capacity
    fp, ip = _compiled_params(params)
    if looked.shape != (cap,) or looked.dtype != np.bool_:
        seen = np.zeros(cap, dtype=bool)
        seen[: min(len(looked), cap)] = looked[:cap]
        looked = seen
    if not whole_batch:
        return _step_groups_compiled(table, meas, looked, now_s, params)
    next_id = np.array([t.next_id], np.int64)
    code, updated, created, confirmed, deleted_ids, deleted_truth = _step_kernels.step_batch(
        np.ascontiguousarray(looked),
        float(now_s),
        next_id,
        *t.kernel_columns(),
        *meas.kernel_columns(),
        fp,
        ip,
        COMPILED_GROUP_MAX,
    )
    if code != _step_kernels.DONE:
        return _step_groups_compiled(table, meas, looked, now_s, params)
    t.next_id = int(next_id[0])
    return StepResult(updated, created, confirmed, deleted_ids, deleted_truth)


def _step_groups_compiled(
    table: TrackTable,
    meas: Measurements,
    looked: NDArray[np.bool_],
    now_s: float,
    params: TrackerParams,
) -> StepResult:
    """:func:`step` for GNN and the numba backend, batch by batch: each radar
    batch in two compiled calls, with the array code for what they leave out
    (angles-only rows, a batch of more than ``COMPILED_GROUP_MAX`` rows, a
    clutter density from a KD-tree, assignments with conflicts, a table that
    grows).
    """
    sk = _step_kernels
    fp, ip = _compiled_params(params)
    hit = np.zeros(table.capacity, dtype=bool)
    born = np.zeros(table.capacity, dtype=bool)
    created: list[NDArray[np.intp]] = []
    angles = meas.angles_only()
    lam = np.full(meas.n, params.clutter_density)
    mtime, z, spos, axes, sigma, miff, mtruth = meas.kernel_columns()
    mpos = None
    for group in _sensor_groups(meas, angles):
        if angles[group[0]]:
            rows = _update_angles(table, meas, group, params)
            hit = _mark(hit, rows, table.capacity)
            continue
        n_live = np.count_nonzero(table.status)
        if group.size > COMPILED_GROUP_MAX:
            hit, born, new = _radar_group_arrays(table, meas, group, lam, params, hit, born)
            created.append(new)
            continue
        if mpos is None:
            mpos = sk.positions(z, spos, axes)
        t = table
        hit = _mark(hit, np.zeros(0, np.intp), t.capacity)
        born = _mark(born, np.zeros(0, np.intp), t.capacity)
        rows, cols, local, c, xp, Pp, nu, S, Si, PHt, ll, cost, explained, conflict, pick = sk.gate(
            group,
            t.status,
            t.x,
            t.P,
            t.turn_rate_rps,
            t.time_s,
            t.mode_prob,
            t.xm,
            t.Pm,
            mtime,
            z,
            spos,
            axes,
            sigma,
            mpos,
            fp,
            ip,
        )
        if group.size - np.count_nonzero(explained) > params.clutter_knn:
            lam[group] = _clutter_density(meas, group, ~explained, params)
        if conflict:
            pick = assign_sparse(rows, cols, cost - BIG_COST)
        can_allocate = t.capacity - n_live >= group.size
        next_id = np.array([t.next_id], np.int64)
        left, new = sk.apply_stage(
            group,
            pick,
            rows,
            cols,
            local,
            c,
            xp,
            Pp,
            nu,
            S,
            Si,
            PHt,
            ll,
            lam,
            can_allocate,
            hit,
            born,
            next_id,
            *t.kernel_columns(),
            mtime,
            z,
            spos,
            axes,
            sigma,
            miff,
            mtruth,
            mpos,
            fp,
            ip,
        )
        t.next_id = int(next_id[0])
        if not can_allocate and left.size:
            new = t.allocate(left.size)
            born = _mark(born, np.zeros(0, np.intp), t.capacity)
            sk.initiate_stage(
                new,
                left,
                born,
                t.status,
                t.x,
                t.P,
                t.xm,
                t.Pm,
                t.mode_prob,
                t.turn_rate_rps,
                t.time_s,
                t.born_s,
                t.hits,
                t.looks,
                t.truth_idx,
                t.interrogations,
                t.civil_replies,
                t.friend_replies,
                mtime,
                z,
                axes,
                sigma,
                miff,
                mtruth,
                mpos,
                fp,
            )
        created.append(new)
    cap = table.capacity
    hit = _mark(hit, np.zeros(0, np.intp), cap)
    born = _mark(born, np.zeros(0, np.intp), cap)
    if looked.size == cap and looked.dtype == np.bool_:
        seen = np.ascontiguousarray(looked)
    else:
        seen = np.zeros(cap, dtype=bool)
        seen[: min(len(looked), cap)] = looked[:cap]
    confirmed, deleted = sk.finish(
        hit,
        born,
        seen,
        float(now_s),
        table.status,
        table.P,
        table.time_s,
        table.hits,
        table.looks,
        table.misses,
        table.score,
        table.confirmed_s,
        fp,
        ip,
    )
    created_rows = np.concatenate(created) if created else np.zeros(0, np.intp)
    return StepResult(
        np.flatnonzero(hit & ~born),
        created_rows[table.status[created_rows] != FREE],
        confirmed,
        table.track_id[deleted],
        table.truth_idx[deleted],
    )


def _mark(mask: NDArray[np.bool_], rows: NDArray[np.intp], capacity: int) -> NDArray[np.bool_]:
    if mask.size < capacity:
        mask = np.concatenate([mask, np.zeros(capacity - mask.size, dtype=bool)])
    mask[rows] = True
    return mask


def _sensor_groups(meas: Measurements, angles: NDArray[np.bool_]) -> list[NDArray[np.intp]]:
    """Rows of each sensor (same position, same kind), earliest sensor first."""
    if meas.n == 0:
        return []
    if (meas.sensor_pos_m == meas.sensor_pos_m[0]).all() and (angles == angles[0]).all():
        return [np.arange(meas.n)]
    key = np.concatenate([meas.sensor_pos_m, angles[:, None].astype(float)], axis=1)
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    if inv.max() == 0:
        return [np.arange(meas.n)]
    groups = [np.flatnonzero(inv == g) for g in range(inv.max() + 1)]
    groups.sort(key=lambda g: float(meas.time_s[g].min()))
    return groups


def _velocity_known(table: TrackTable, params: TrackerParams) -> NDArray[np.bool_]:
    vel_var = np.trace(table.P[:, 3:, 3:], axis1=1, axis2=2) / 3.0
    return vel_var < params.established_speed_sigma_mps**2


def _clutter_density(
    meas: Measurements,
    group: NDArray[np.intp],
    unexplained: NDArray[np.bool_],
    params: TrackerParams,
) -> NDArray[np.float64]:
    """Local false-alarm density [1 / (m rad^2)] around each radar row of one sensor.

    A one-scan clutter map built from the rows that no confirmed track's gate
    explains (``unexplained``), so that tracked targets do not count as
    clutter: the k nearest such rows in (range, azimuth), scaled by the noise,
    span an area; their elevations span an extent (plus two sigmas). Surface
    clutter lies in a thin layer of elevation, which a ball in all three
    coordinates would smear over a much larger volume. When the expected
    number of false alarms is known (``params.false_alarms_per_batch``), at
    most that many of the unexplained returns are clutter and the density is
    scaled by their share: new targets of a raid are unexplained too until
    their tracks are confirmed. Never below ``params.clutter_density``.
    """
    ref = group[unexplained]
    if ref.size <= params.clutter_knn:
        return np.full(group.size, params.clutter_density)
    share = 1.0
    if params.false_alarms_per_batch is not None:
        share = min(1.0, params.false_alarms_per_batch / ref.size)
    # Enough neighbours that some clutter_knn of them are expected to be
    # clutter: where false alarms are a small share of the unexplained
    # returns (a raid not yet tracked), a small ball would measure the raid's
    # own density and call it clutter.
    K = min(ref.size - 1, math.ceil(params.clutter_knn / share))
    sig = np.median(meas.sigma[group], axis=0)
    dist, idx = cKDTree(meas.z[ref, :2] / sig[:2]).query(meas.z[group, :2] / sig[:2], k=K + 1)
    # A row of the reference set finds itself first: skip it.
    first = unexplained.astype(np.intp)
    cols = first[:, None] + np.arange(K)[None, :]
    neigh = np.take_along_axis(idx, cols, axis=1)
    reach = np.take_along_axis(dist, cols[:, -1:], axis=1)[:, 0]
    el = meas.z[ref, 2][neigh]
    el_extent = el.max(axis=1) - el.min(axis=1) + 2.0 * sig[2]
    area = math.pi * np.maximum(reach, 1e-3) ** 2 * sig[0] * sig[1]
    return np.maximum(share * K / (area * el_extent), params.clutter_density)


# --- pairs and their IMM predictions ---------------------------------------------------


DENSE_PAIRS = 4096  # largest points x targets compared directly instead of through KD-trees


def ball_pairs(
    points: NDArray, radius_m: NDArray, targets: NDArray
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """All (point, target) pairs closer than each point's own radius, sorted by point then target.

    Small problems (the engine's usual few tracks and returns per batch) are
    compared directly, one distance matrix; beyond ``DENSE_PAIRS`` the points
    are bucketed by radius (powers of two) and each bucket is matched
    tree-to-tree (``sparse_distance_matrix``), several times faster than one
    ball query per point with its own radius; cost then grows with the pairs
    found, not with points times targets.
    """
    n_p, n_t = points.shape[0], targets.shape[0]
    if n_p == 0 or n_t == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    if n_p * n_t <= DENSE_PAIRS:
        diff = points[:, None, :] - targets[None, :, :]
        d2 = np.einsum("ijk,ijk->ij", diff, diff)
        i, j = np.nonzero(d2 <= (radius_m * radius_m)[:, None])
        return i.astype(np.intp), j.astype(np.intp)
    tree = cKDTree(targets)
    bucket = np.ceil(np.log2(np.maximum(radius_m, 1.0))).astype(np.int64)
    out_i, out_j = [], []
    for b in np.unique(bucket):
        idx = np.flatnonzero(bucket == b)
        found = cKDTree(points[idx]).sparse_distance_matrix(
            tree, float(radius_m[idx].max()), output_type="ndarray"
        )
        keep = found["v"] <= radius_m[idx[found["i"]]]
        out_i.append(idx[found["i"][keep]])
        out_j.append(found["j"][keep].astype(np.intp))
    i, j = np.concatenate(out_i), np.concatenate(out_j)
    order = np.lexsort((j, i))
    return i[order], j[order]


def _pair_terms(
    table: TrackTable,
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    meas: Measurements,
    params: TrackerParams,
    angles: bool,
) -> _Pairs:
    """Mix, predict each model to the measurement's time and predict the measurement."""
    if params.backend == "numba":
        return _Pairs(
            rows,
            cols,
            *_kernels.pair_terms(
                rows,
                cols,
                table.mode_prob,
                table.xm,
                table.Pm,
                table.time_s,
                meas.time_s,
                np.ascontiguousarray(meas.z),
                np.ascontiguousarray(meas.sensor_pos_m),
                np.ascontiguousarray(meas.sensor_axes),
                np.ascontiguousarray(meas.sigma),
                angles,
                params.motion == "imm",
                params.sojourn_s[0],
                params.sojourn_s[1],
                params.q_cv_m2ps3,
                params.q_ct_m2ps3,
                params.q_turn_rad2ps3,
            ),
        )
    k = rows.size
    M = imm.N_MODELS
    dt = meas.time_s[cols] - table.time_s[rows]
    if params.motion == "imm":
        T = imm.transition_probs(dt, params.sojourn_s)
    else:
        T = np.broadcast_to(np.eye(M), (k, M, M))
    c, x0, P0 = imm.mix(table.mode_prob[rows], table.xm[rows], table.Pm[rows], T)
    xp, Pp = imm.predict_models(
        x0, P0, dt, params.q_cv_m2ps3, params.q_ct_m2ps3, params.q_turn_rad2ps3
    )
    xf = xp.reshape(k * M, imm.NX)
    Pf = Pp.reshape(k * M, imm.NX, imm.NX)
    mcols = np.repeat(cols, M)
    z_pred, H = ekf.polar_measure(xf[:, :3], meas.sensor_pos_m[mcols], meas.sensor_axes[mcols])
    if angles:
        z_pred, H = z_pred[:, 1:], H[:, 1:]
        z, sig, az_col = meas.z[mcols, 1:], meas.sigma[mcols, 1:], 0
    else:
        z, sig, az_col = meas.z[mcols], meas.sigma[mcols], 1
    d = z.shape[1]
    R = np.zeros((k * M, d, d))
    R[:, np.arange(d), np.arange(d)] = sig**2
    nu = ekf.innovation(z, z_pred, az_col)
    S, S_inv, logdet, PHt = ekf.innovation_terms(Pf, H, R)
    d2 = ekf.mahalanobis2(nu, S_inv)
    loglik = -0.5 * (d2 + logdet + d * LOG_2PI)
    return _Pairs(
        rows,
        cols,
        c,
        xp,
        Pp,
        nu.reshape(k, M, d),
        S.reshape(k, M, d, d),
        S_inv.reshape(k, M, d, d),
        PHt.reshape(k, M, imm.NX, d),
        d2.reshape(k, M),
        loglik.reshape(k, M),
    )


def _apply(
    table: TrackTable,
    pairs: _Pairs,
    meas: Measurements,
    nu: NDArray,
    P_extra: NDArray | None,
    params: TrackerParams,
) -> None:
    """Write the IMM update of each pair's track (one pair per track).

    ``nu`` (k, M, d) is the innovation to apply (the pair's own for GNN, the
    probability-weighted one for JPDA) and ``P_extra`` an optional (k, M, NX,
    NX) covariance term added after the update (JPDA's spread of innovations
    and missed-detection share).
    """
    rows = pairs.rows
    if params.backend == "numba":
        extra = np.zeros((0, 1, 1, 1)) if P_extra is None else np.ascontiguousarray(P_extra)
        _kernels.update_rows(
            rows,
            pairs.xp,
            pairs.Pp,
            np.ascontiguousarray(nu),
            pairs.S,
            pairs.S_inv,
            pairs.PHt,
            extra,
            P_extra is not None,
            table.mode_prob[rows],
            table.xm,
            table.Pm,
            table.x,
            table.P,
            table.turn_rate_rps,
        )
        table.time_s[rows] = meas.time_s[pairs.cols]
        return
    k, M = pairs.c.shape
    flat = k * M
    d = nu.shape[2]
    x_u, P_u = ekf.update(
        pairs.xp.reshape(flat, imm.NX),
        pairs.Pp.reshape(flat, imm.NX, imm.NX),
        nu.reshape(flat, d),
        pairs.S.reshape(flat, d, d),
        pairs.S_inv.reshape(flat, d, d),
        pairs.PHt.reshape(flat, imm.NX, d),
    )
    x_u = x_u.reshape(k, M, imm.NX)
    P_u = P_u.reshape(k, M, imm.NX, imm.NX)
    if P_extra is not None:
        P_u = P_u + P_extra
    table.xm[rows] = x_u
    table.Pm[rows] = P_u
    x, P = imm.combine(table.mode_prob[rows], x_u, P_u)
    table.x[rows] = x[:, :6]
    table.P[rows] = P[:, :6, :6]
    table.turn_rate_rps[rows] = x[:, 6]
    table.time_s[rows] = meas.time_s[pairs.cols]


def _set_mode_prob(table: TrackTable, rows: NDArray[np.intp], log_post: NDArray) -> None:
    """Normalise per-track log mode weights (k, M) into ``mode_prob``."""
    log_post = log_post - np.logaddexp.reduce(log_post, axis=1)[:, None]
    table.mode_prob[rows] = np.exp(log_post)


# --- stage 1: established tracks ----------------------------------------------------------


def _radius_terms(table: TrackTable, live: NDArray[np.intp], t_ref: float, spread: float):
    dt = np.abs(t_ref - table.time_s[live]) + spread
    pos_var = np.trace(table.P[live, :3, :3], axis1=1, axis2=2)
    vel_var = np.trace(table.P[live, 3:, 3:], axis1=1, axis2=2)
    speed = np.linalg.norm(table.x[live, 3:], axis=1)
    turn = 0.5 * np.abs(table.turn_rate_rps[live]) * speed * dt**2
    return dt, pos_var + vel_var * dt**2, speed, turn


def _coarse_track_terms(table: TrackTable, live: NDArray[np.intp]) -> tuple[NDArray, ...]:
    """``_step_kernels.coarse_track_terms`` of the rows ``live``, as arrays (k,)."""
    x, xm, Pm = table.x[live], table.xm[live], table.Pm[live]
    e = xm[:, :, :3] - x[:, None, :3]
    w = xm[:, :, 3:6] - x[:, None, 3:6]
    dp = np.sqrt((e[..., 0] * e[..., 0] + e[..., 1] * e[..., 1]) + e[..., 2] * e[..., 2]).max(1)
    dv = np.sqrt((w[..., 0] * w[..., 0] + w[..., 1] * w[..., 1]) + w[..., 2] * w[..., 2]).max(1)
    pv = ((Pm[:, :, 0, 0] + Pm[:, :, 1, 1]) + Pm[:, :, 2, 2]).max(1)
    vv = ((Pm[:, :, 3, 3] + Pm[:, :, 4, 4]) + Pm[:, :, 5, 5]).max(1)
    om = np.abs(xm[:, :, 6]).max(1)
    ow2 = Pm[:, :, 6, 6].max(1)
    speed = np.sqrt((x[:, 3] * x[:, 3] + x[:, 4] * x[:, 4]) + x[:, 5] * x[:, 5])
    return pv + dp * dp, vv + dv * dv, dp, dv, speed + dv, om, ow2


def _coarse_pairs(
    table: TrackTable,
    live: NDArray[np.intp],
    meas: Measurements,
    group: NDArray[np.intp],
    t_ref: float,
    spread: float,
    params: TrackerParams,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Candidate (track row, index into ``group``) pairs of the coarse gate
    (``_step_kernels.COARSE_SCALE``): each track's position moved to the return's
    own time within the pair's own radius, sorted by track then return.

    A KD-tree query with each track's largest radius over the batch (its time
    spread and largest noise) finds a superset, which the pair's own radius
    then filters; ``_step_kernels.gate`` does the same in one compiled call.
    """
    sk = _step_kernels
    q = max(params.q_cv_m2ps3, params.q_ct_m2ps3)
    sqrt_gate = math.sqrt(params.gate_chi2)
    sig = meas.sigma[group]
    rtr = sk.meas_trace.py_func(meas.z[group, 0], sig[:, 0], sig[:, 1], sig[:, 2])
    pv, vv, dp, dv, sp, om, ow2 = _coarse_track_terms(table, live)
    speed = sp - dv
    adt = np.abs(t_ref - table.time_s[live]) + spread
    rtr_max = float(np.max(rtr))
    radius = (
        sk.coarse_radius.py_func(adt, rtr_max, pv, vv, dp, dv, sp, om, ow2, sqrt_gate, q)
        + speed * spread
        + 1.0
    )
    mpos = meas.positions_enu()[group]
    i, local = ball_pairs(table.position_at(live, t_ref), radius, mpos)
    r = live[i]
    dt = meas.time_s[group[local]] - table.time_s[r]
    rad = sk.coarse_radius.py_func(
        np.abs(dt), rtr[local], pv[i], vv[i], dp[i], dv[i], sp[i], om[i], ow2[i], sqrt_gate, q
    )
    x = table.x[r]
    d0 = (x[:, 0] + x[:, 3] * dt) - mpos[local, 0]
    d1 = (x[:, 1] + x[:, 4] * dt) - mpos[local, 1]
    d2 = (x[:, 2] + x[:, 5] * dt) - mpos[local, 2]
    keep = (d0 * d0 + d1 * d1) + d2 * d2 <= rad * rad
    return r[keep], local[keep]


def _update_established(
    table: TrackTable,
    meas: Measurements,
    group: NDArray[np.intp],
    lam: NDArray[np.float64],
    params: TrackerParams,
) -> tuple[NDArray[np.intp], NDArray[np.bool_], NDArray[np.bool_]]:
    """Associate radar rows ``group`` with established tracks and update them.

    Returns the rows updated and, per row of ``group``, whether it was used and
    whether it lies in the gate of a track that got no measurement (such a
    row may be that track's own and starts no new track).
    """
    used = np.zeros(group.size, dtype=bool)
    in_gate = np.zeros(group.size, dtype=bool)
    live = np.flatnonzero((table.status != FREE) & _velocity_known(table, params))
    if live.size == 0 or group.size == 0:
        lam[group] = _clutter_density(meas, group, np.ones(group.size, bool), params)
        return np.zeros(0, np.intp), used, in_gate
    t = meas.time_s[group]
    t_ref = float(t.mean())
    spread = float(np.max(np.abs(t - t_ref)))
    rows, local = _coarse_pairs(table, live, meas, group, t_ref, spread, params)
    if rows.size == 0:
        lam[group] = _clutter_density(meas, group, np.ones(group.size, bool), params)
        return np.zeros(0, np.intp), used, in_gate
    pairs = _pair_terms(table, rows, group[local], meas, params, angles=False)
    ok = np.flatnonzero(pairs.d2.min(axis=1) < params.gate_chi2)
    rows, local = rows[ok], local[ok]
    # Returns of confirmed tracks are not clutter; those near tentative tracks
    # (which clutter starts too) may be.
    explained = np.zeros(group.size, dtype=bool)
    explained[local[table.status[rows] == CONFIRMED]] = True
    lam[group] = _clutter_density(meas, group, ~explained, params)
    if ok.size == 0:
        return np.zeros(0, np.intp), used, in_gate
    conf = table.status[rows] == CONFIRMED
    if params.association == "auto":
        conf &= _cluttered_gates(pairs, ok, rows, lam, params)
    if params.association == "gnn" or not conf.any():
        return _gnn_stage(table, meas, pairs, ok, rows, local, lam, params, used, in_gate)
    # JPDA keeps confirmed tracks; tentative ones, whose score decides whether
    # they are real, take hard (GNN) decisions on what JPDA left.
    updated = [np.zeros(0, np.intp)]
    if conf.any():
        updated.append(
            _jpda_update(table, meas, pairs.take(ok[conf]), local[conf], lam, params, used, in_gate)
        )
    tent = ~conf & ~used[local] & ~in_gate[local]
    if tent.any():
        upd, used, in_gate = _gnn_stage(
            table, meas, pairs, ok[tent], rows[tent], local[tent], lam, params, used, in_gate
        )
        updated.append(upd)
    return np.concatenate(updated), used, in_gate


def _cluttered_gates(
    pairs: _Pairs,
    ok: NDArray[np.intp],
    rows: NDArray[np.intp],
    lam: NDArray[np.float64],
    params: TrackerParams,
) -> NDArray[np.bool_]:
    """(len(ok),) whether each gated pair's track expects clutter in its gate.

    The expected number of false alarms in a track's gate is lambda V_gate,
    with lambda the local clutter density at the measurement [1 / (m rad^2)]
    and V_gate = (4 / 3) pi g^(3/2) sqrt(det S) the volume of the chi-square
    gate g in (range, azimuth, elevation) (Bar-Shalom, Willett and Tian,
    "Tracking and Data Fusion", 2011, 3.3; the widest model's S). Where it
    reaches ``params.jpda_gate_clutter`` a hard nearest-neighbour decision
    often takes a false alarm, and JPDA's weighting pays; elsewhere GNN is as
    good and cheaper. A track is cluttered when any of its gated pairs is.
    """
    det_s = np.linalg.det(pairs.S[ok]).max(axis=1)
    gate_volume = (4.0 / 3.0) * math.pi * params.gate_chi2**1.5 * np.sqrt(np.maximum(det_s, 0.0))
    expected = lam[pairs.cols[ok]] * gate_volume
    worst = np.zeros(int(rows.max()) + 1)
    np.maximum.at(worst, rows, expected)
    return worst[rows] >= params.jpda_gate_clutter


def _gnn_stage(
    table: TrackTable,
    meas: Measurements,
    pairs: _Pairs,
    ok: NDArray[np.intp],
    rows: NDArray[np.intp],
    local: NDArray[np.intp],
    lam: NDArray[np.float64],
    params: TrackerParams,
    used: NDArray[np.bool_],
    in_gate: NDArray[np.bool_],
) -> tuple[NDArray[np.intp], NDArray[np.bool_], NDArray[np.bool_]]:
    """Global nearest neighbour over the gated pairs ``ok`` (rows, local rows of the group)."""
    # Least summed -2 ln(mixture likelihood), as many gated pairs as possible.
    cost = -2.0 * mixture_loglik(pairs.loglik[ok], pairs.c[ok])
    pick = assign_sparse(rows, pairs.cols[ok], cost - BIG_COST)
    chosen = pairs.take(ok[pick])
    _gnn_apply(table, meas, chosen, lam, params)
    used[local[pick]] = True
    updated = np.zeros(table.capacity, dtype=bool)
    updated[chosen.rows] = True
    in_gate[local[~updated[rows]]] = True
    return chosen.rows, used, in_gate


def _gnn_apply(
    table: TrackTable,
    meas: Measurements,
    chosen: _Pairs,
    lam: NDArray[np.float64] | None,
    params: TrackerParams,
) -> None:
    """Update each chosen pair's track with its measurement (and its score)."""
    log_post = np.log(np.maximum(chosen.c, 1e-300)) + chosen.loglik
    _set_mode_prob(table, chosen.rows, log_post)
    _apply(table, chosen, meas, chosen.nu, None, params)
    table.truth_idx[chosen.rows] = meas.truth_idx[chosen.cols]
    _count_iff(table, chosen.rows, meas.iff[chosen.cols])
    if lam is not None:
        # Sequential probability ratio (Blackman and Popoli 1999, 6.2): the
        # log-likelihood ratio of "target" against "clutter" for this detection.
        table.score[chosen.rows] += (
            math.log(params.prob_detection) + chosen.mix_loglik - np.log(lam[chosen.cols])
        )


def jpda_marginals(
    track: NDArray[np.intp],
    meas: NDArray[np.intp],
    ratio: NDArray[np.float64],
    miss_weight: float,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Marginal association probabilities of JPDA by loopy belief propagation.

    Williams and Lau, "Approximate evaluation of marginal association
    probabilities with belief propagation", IEEE T-AES 50(4), 2014. Exact
    when the gated pairs form a forest (in particular for one track alone,
    where it reduces to PDA); on loops (several tracks gated with the same
    several measurements) the marginals are off by a few percent (measured in
    tests/tracking/test_track_association.py).

    Parameters
    ----------
    track, meas : (k,) track and measurement labels of the gated pairs
    ratio : (k,) likelihood ratio of each pair against clutter,
        Pd N(nu; 0, S) / clutter density
    miss_weight : weight of "not detected", 1 - Pd Pg

    Returns
    -------
    beta : (k,) probability that the pair's measurement is its track's
    beta0 : (k,) probability that the pair's track was not detected
    """
    _, ti = np.unique(track, return_inverse=True)
    _, mi = np.unique(meas, return_inverse=True)
    msg = np.ones(track.size)  # measurement -> track
    for _ in range(max_iter):
        total_t = miss_weight + np.bincount(ti, ratio * msg)
        to_meas = ratio / (total_t[ti] - ratio * msg)
        total_m = 1.0 + np.bincount(mi, to_meas)
        new = 1.0 / (total_m[mi] - to_meas)
        done = np.max(np.abs(new - msg)) < tol
        msg = new
        if done:
            break
    total_t = miss_weight + np.bincount(ti, ratio * msg)
    return ratio * msg / total_t[ti], miss_weight / total_t[ti]


def _jpda_update(
    table: TrackTable,
    meas: Measurements,
    pairs: _Pairs,
    local: NDArray[np.intp],
    lam: NDArray[np.float64],
    params: TrackerParams,
    used: NDArray[np.bool_],
    in_gate: NDArray[np.bool_],
):
    """IMM-JPDA: every track takes the probability-weighted innovation of its gate.

    Returns the rows of the tracks detected at this look; ``used`` and
    ``in_gate`` are updated in place.
    """
    pd = params.prob_detection
    lam_pair = lam[pairs.cols]
    ratio = pd * np.exp(pairs.mix_loglik) / lam_pair
    beta, beta0 = jpda_marginals(pairs.rows, pairs.cols, ratio, 1.0 - pd)
    # Reference pair per track: its most likely measurement (whose prediction time
    # the update takes); other pairs' innovations are relative to their own time.
    order = np.lexsort((-beta, pairs.rows))
    rows_sorted = pairs.rows[order]
    first = np.flatnonzero(np.r_[True, rows_sorted[1:] != rows_sorted[:-1]])
    ref = order[first]
    n_t = ref.size
    track_of = np.repeat(np.arange(n_t), np.diff(np.r_[first, rows_sorted.size]))
    track_idx = np.empty(pairs.rows.size, np.intp)
    track_idx[order] = track_of
    M = imm.N_MODELS
    nu_w = beta[:, None, None] * pairs.nu
    nu_comb = np.zeros((n_t, M, pairs.nu.shape[2]))
    np.add.at(nu_comb, track_idx, nu_w)
    spread = np.zeros((n_t, M, pairs.nu.shape[2], pairs.nu.shape[2]))
    np.add.at(spread, track_idx, nu_w[..., :, None] * pairs.nu[..., None, :])
    spread -= nu_comb[..., :, None] * nu_comb[..., None, :]
    chosen = pairs.take(ref)
    b0 = beta0[ref]
    K = chosen.PHt @ chosen.S_inv  # (n, M, NX, d)
    # P = b0 P^- + (1 - b0) P^+ + K spread K^T, written as a correction of P^+.
    KSK = K @ chosen.S @ np.swapaxes(K, -1, -2)
    P_extra = b0[:, None, None, None] * KSK + K @ spread @ np.swapaxes(K, -1, -2)
    # Mode likelihoods (PDA): miss weight plus the sum of the pairs' ratios per model.
    ratio_m = pd * np.exp(pairs.loglik) / lam_pair[:, None]
    lik = np.full((n_t, M), 1.0 - pd)
    np.add.at(lik, track_idx, ratio_m)
    log_post = np.log(np.maximum(chosen.c, 1e-300)) + np.log(lik)
    _set_mode_prob(table, chosen.rows, log_post)
    _apply(table, chosen, meas, nu_comb, P_extra, params)
    # A look counts as a detection when one measurement is more likely the
    # track's than not; the score then moves as for that measurement alone
    # (summing the gate's likelihood ratios would let a lost track live on clutter).
    detected = beta[ref] >= 0.5
    rows = chosen.rows[detected]
    table.score[rows] += (
        math.log(pd) + pairs.mix_loglik[ref[detected]] - np.log(lam_pair[ref[detected]])
    )
    table.truth_idx[rows] = meas.truth_idx[chosen.cols[detected]]
    _count_iff(table, rows, meas.iff[chosen.cols[detected]])
    meas_prob = np.bincount(local, beta, minlength=used.size)
    used |= meas_prob > 0.5
    undetected = np.zeros(table.capacity, dtype=bool)
    undetected[chosen.rows[~detected]] = True
    in_gate |= (meas_prob > 0.1) | (np.bincount(local, undetected[pairs.rows], used.size) > 0)
    return rows


# --- stage 2: one-point tracks ------------------------------------------------------------


def _update_one_point(
    table: TrackTable,
    meas: Measurements,
    cols: NDArray[np.intp],
    lam: NDArray[np.float64],
    params: TrackerParams,
) -> NDArray[np.intp]:
    """Two-point initiation: pair one-point tracks with measurements in their velocity gate.

    A one-point track knows nothing of its velocity, so any measurement within
    ``v_max dt`` may be its second point (candidates from a KD-tree ball of that
    radius). Candidates are ranked by ``d^2 + ln|C|`` in Cartesian space under
    the wide velocity prior (``C = P + R_cart + sigma_v^2 dt^2 I``); a track
    takes its best one unless that measurement is the mutual best of another
    one-point track (Blackman and Popoli 1999, 3.3, discuss the two-point
    initiation logic). The third point then tells right pairings from wrong
    ones. Returns the rows updated.
    """
    live = np.flatnonzero((table.status != FREE) & ~_velocity_known(table, params))
    if live.size == 0 or cols.size == 0:
        return np.zeros(0, np.intp)
    t = meas.time_s[cols]
    t_ref = float(t.mean())
    spread = float(np.max(np.abs(t - t_ref)))
    pos = meas.positions_enu()[cols]
    sig = meas.sigma[cols]
    meas_sd = np.sqrt(sig[:, 0] ** 2 + (meas.z[cols, 0] * sig[:, 1:].max(axis=1)) ** 2)
    track_sd = np.sqrt(np.trace(table.P[live, :3, :3], axis1=1, axis2=2))
    margin = 4.0 * (float(meas_sd.max()) + track_sd)
    radius = params.max_speed_mps * (np.abs(t_ref - table.time_s[live]) + spread) + margin
    i, local = ball_pairs(table.x[live, :3], radius, pos)
    rows = live[i]
    if rows.size == 0:
        return np.zeros(0, np.intp)
    dp = pos[local] - table.x[rows, :3]
    dist = np.linalg.norm(dp, axis=1)
    dt = meas.time_s[cols[local]] - table.time_s[rows]
    track_sd_r = np.sqrt(np.trace(table.P[rows, :3, :3], axis1=1, axis2=2))
    ok = (dist <= params.max_speed_mps * dt + 4.0 * (meas_sd[local] + track_sd_r)) & (dt > 1e-3)
    rows, local, dp, dt = rows[ok], local[ok], dp[ok], dt[ok]
    if rows.size == 0:
        return np.zeros(0, np.intp)
    c = cols[local]
    R_loc = ekf.polar_covariance(
        meas.z[c, 0],
        meas.z[c, 1],
        meas.z[c, 2],
        meas.sigma[c, 0],
        meas.sigma[c, 1],
        meas.sigma[c, 2],
    )
    axes = meas.sensor_axes[c]
    C = table.P[rows, :3, :3] + axes.transpose(0, 2, 1) @ R_loc @ axes
    C[:, np.arange(3), np.arange(3)] += (params.init_speed_sigma_mps * dt)[:, None] ** 2
    C_inv, logdet = ekf.inv_logdet(C)
    cost = ekf.mahalanobis2(dp, C_inv) + logdet
    # Each one-point track takes its best candidate, unless that measurement is
    # the mutual best of another one-point track: a target whose own second
    # point was missed must not borrow a neighbour's (in a formation the wrong
    # velocity would lead it on to the next neighbour). A measurement may still
    # serve several one-point tracks when none of them is its mutual best.
    best_of_track = _first_per(rows, cost)
    best_of_meas = _first_per(c, cost)
    is_meas_best = np.zeros(rows.size, dtype=bool)
    is_meas_best[best_of_meas] = True
    mutual = best_of_track[is_meas_best[best_of_track]]
    claimed = np.zeros(meas.n, dtype=bool)
    claimed[c[mutual]] = True
    other = best_of_track[~is_meas_best[best_of_track]]
    take = np.concatenate([mutual, other[~claimed[c[other]]]])
    pairs = _pair_terms(table, rows[take], c[take], meas, params, angles=False)
    # The second point only passes the velocity gate; the score starts after it.
    _gnn_apply(table, meas, pairs, None, params)
    return pairs.rows


def _first_per(key: NDArray[np.intp], cost: NDArray) -> NDArray[np.intp]:
    """Index of the least-cost entry for each distinct key."""
    order = np.lexsort((cost, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    return order[first]


# --- angles-only rows ---------------------------------------------------------------------


def _update_angles(
    table: TrackTable, meas: Measurements, group: NDArray[np.intp], params: TrackerParams
) -> NDArray[np.intp]:
    """Update established tracks with one passive sensor's (azimuth, elevation) rows."""
    live = np.flatnonzero((table.status != FREE) & _velocity_known(table, params))
    if live.size == 0 or group.size == 0:
        return np.zeros(0, np.intp)
    t = meas.time_s[group]
    t_ref = float(t.mean())
    spread = float(np.max(np.abs(t - t_ref)))
    dt, pos_var, speed, turn = _radius_terms(table, live, t_ref, spread)
    q = max(params.q_cv_m2ps3, params.q_ct_m2ps3)
    sensor = meas.sensor_pos_m[group[0]]
    rel = table.position_at(live, t_ref) - sensor
    rng_m = np.maximum(np.linalg.norm(rel, axis=1), 1.0)
    ang_sd = float(meas.sigma[group, 1:].max())
    # Chord on the unit sphere that holds the gate: angular noise plus the
    # track's position uncertainty and motion seen from the sensor.
    radius = (
        math.sqrt(params.gate_chi2_angles) * np.sqrt(ang_sd**2 + (pos_var + q * dt**3) / rng_m**2)
        + (speed * spread + turn + 50.0) / rng_m
    )
    i, local = ball_pairs(
        rel / rng_m[:, None], np.minimum(radius, 2.0), meas.directions_enu()[group]
    )
    rows = live[i]
    if rows.size == 0:
        return np.zeros(0, np.intp)
    pairs = _pair_terms(table, rows, group[local], meas, params, angles=True)
    pairs = pairs.take(pairs.d2.min(axis=1) < params.gate_chi2_angles)
    if pairs.rows.size == 0:
        return np.zeros(0, np.intp)
    pick = assign_sparse(pairs.rows, pairs.cols, -2.0 * pairs.mix_loglik - BIG_COST)
    chosen = pairs.take(pick)
    _gnn_apply(table, meas, chosen, None, params)
    return chosen.rows


# --- bookkeeping --------------------------------------------------------------------------


def _count_iff(table: TrackTable, rows: NDArray[np.intp], iff: NDArray[np.int8]) -> None:
    np.add.at(table.interrogations, rows, (iff >= 0).astype(np.int16))
    np.add.at(table.civil_replies, rows, (iff == 1).astype(np.int16))
    np.add.at(table.friend_replies, rows, (iff == 2).astype(np.int16))


def _initiate(
    table: TrackTable, meas: Measurements, cols: NDArray[np.intp], params: TrackerParams
) -> NDArray[np.intp]:
    """One one-point tentative track per radar measurement, at rest with a wide velocity prior."""
    if cols.size == 0:
        return np.zeros(0, np.intp)
    rows = table.allocate(cols.size)
    z = meas.z[cols]
    axes = meas.sensor_axes[cols]
    local_cov = ekf.polar_covariance(
        z[:, 0], z[:, 1], z[:, 2], meas.sigma[cols, 0], meas.sigma[cols, 1], meas.sigma[cols, 2]
    )
    x = np.zeros((cols.size, imm.NX))
    x[:, :3] = meas.positions_enu()[cols]
    P = np.zeros((cols.size, imm.NX, imm.NX))
    P[:, :3, :3] = np.einsum("kji,kjl,klm->kim", axes, local_cov, axes)
    idx = np.arange(3, 6)
    P[:, idx, idx] = params.init_speed_sigma_mps**2
    table.xm[rows] = x[:, None, :]
    table.Pm[rows] = P[:, None, :, :]
    table.Pm[rows, imm.CV, 6, 6] = 1e-12
    table.Pm[rows, imm.CT, 6, 6] = params.init_turn_rate_sigma_rps**2
    p_ct = {"imm": params.init_mode_prob_ct, "cv": 0.0, "ct": 1.0}[params.motion]
    table.mode_prob[rows] = np.array([1.0 - p_ct, p_ct])
    table.x[rows] = x[:, :6]
    table.P[rows] = P[:, :6, :6]
    table.turn_rate_rps[rows] = 0.0
    table.time_s[rows] = meas.time_s[cols]
    table.born_s[rows] = meas.time_s[cols]
    table.status[rows] = TENTATIVE
    table.hits[rows] = 1
    table.looks[rows] = 1
    table.truth_idx[rows] = meas.truth_idx[cols]
    _count_iff(table, rows, meas.iff[cols])
    return rows


def _delete(
    table: TrackTable, now_s: float, vel_known: NDArray[np.bool_], params: TrackerParams
) -> NDArray[np.intp]:
    tentative = table.status == TENTATIVE
    confirmed = table.status == CONFIRMED
    coast = now_s - table.time_s
    pos_sigma = np.sqrt(
        np.trace(table.P[:, :3, :3], axis1=1, axis2=2)
        + np.trace(table.P[:, 3:, 3:], axis1=1, axis2=2) * coast**2
    )
    unreachable = (table.looks - table.hits) > (params.confirm_looks - params.confirm_hits)
    drop = (
        (table.score < params.delete_score)
        | (tentative & unreachable)
        | (tentative & ~vel_known & (table.misses >= params.one_point_misses))
        | (coast > params.max_coast_s)
        | (
            confirmed
            & (
                (table.misses >= params.delete_misses_confirmed)
                | (pos_sigma > params.max_position_sigma_m)
            )
        )
    )
    drop &= table.status != FREE
    rows = np.flatnonzero(drop)
    table.status[rows] = FREE
    return rows
