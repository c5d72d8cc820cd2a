"""The compiled tracker step (GNN, numba backend) against the array step.

Both run the same batches from the same empty table: two rotating radars and
a passive EO/IR sensor watching crossing targets, a close formation, a fast
ballistic target, targets that appear and vanish, and clutter. Each step
must leave the same picture: the same tracks, numbers and counters exactly,
the same estimates to rounding.
"""

import math
from dataclasses import fields

import numpy as np
import pytest

from samsim.tracking import CONFIRMED, FREE, Measurements, TrackerParams, TrackTable, tracker
from samsim.tracking import _step_kernels as sk
from samsim.tracking.synthetic import RadarSpec, Truth, polar, radar_detections

RADAR2_POS_M = np.array([30e3, -5e3, 20.0])
EO_POS_M = np.array([-15e3, 12e3, 10.0])
EO_SIGMA_RAD = 5e-4
N_SCANS = 36
DISCRETE = (
    "status",
    "track_id",
    "hits",
    "looks",
    "misses",
    "truth_idx",
    "interrogations",
    "civil_replies",
    "friend_replies",
    "ident",
)


def _truth() -> Truth:
    pos0 = [
        [-20e3, 40e3, 3000.0],  # crossing pair: both pass (0, 40 km) at t = 40 s
        [20e3, 40e3, 3000.0],
        [-30e3, 60e3, 5000.0],  # formation of three, 250 m apart, until 24 s
        [-30e3, 60.25e3, 5000.0],
        [-30e3, 60.5e3, 5000.0],
        [0.0, 90e3, 30e3],  # fast, descending
        [40e3, 20e3, 1000.0],  # appears at 20 s
        [10e3, 30e3, 2000.0],  # vanishes at 40 s
    ]
    vel0 = [
        [500.0, 0.0, 0.0],
        [-500.0, 0.0, 0.0],
        [250.0, 0.0, 0.0],
        [250.0, 0.0, 0.0],
        [250.0, 0.0, 0.0],
        [0.0, -2000.0, -300.0],
        [-200.0, 100.0, 0.0],
        [150.0, 150.0, 0.0],
    ]
    truth = Truth.straight(np.array(pos0), np.array(vel0))
    start = truth.start_s.copy()
    end = truth.end_s.copy()
    start[6] = 20.0
    end[7] = 40.0
    end[2:5] = 24.0
    return Truth(
        truth.pos0_m,
        truth.vel0_mps,
        start,
        end,
        *(truth.turn_after_s, truth.turn_for_s, truth.turn_rate_rps, truth.accel_up_mps2),
    )


def _shifted(truth: Truth, offset: np.ndarray) -> Truth:
    return Truth(
        truth.pos0_m - offset,
        *(getattr(truth, f) for f in Truth.__dataclass_fields__ if f != "pos0_m"),
    )


def _radar_batches(truth: Truth, radar: RadarSpec, sensor_pos: np.ndarray, seed: int):
    """One Measurements per scan of a radar at ``sensor_pos``."""
    det = radar_detections(_shifted(truth, sensor_pos), radar, N_SCANS, np.random.default_rng(seed))
    sig = np.array([radar.sigma_range_m, radar.sigma_azimuth_rad, radar.sigma_elevation_rad])
    rng = np.random.default_rng(seed + 1)
    out = []
    for k in range(N_SCANS):
        d = det[det["scan"] == k]
        n = len(d)
        out.append(
            Measurements.build(
                d["time_s"].to_numpy(),
                d[["range_m", "azimuth_rad", "elevation_rad"]].to_numpy(),
                sig,
                sensor_pos_m=sensor_pos,
                iff=rng.integers(-1, 3, n),
                truth_idx=d["truth_id"].to_numpy(),
            )
        )
    return out


def _eo_batch(truth: Truth, t_s: float, rng: np.random.Generator) -> Measurements:
    """Angles-only rows of the targets alive at ``t_s`` (range NaN)."""
    idx = np.flatnonzero(truth.alive(np.full(truth.n, t_s)))
    pos, _ = truth.state(np.full(idx.size, t_s), idx)
    z = polar(pos - EO_POS_M)
    z[:, 0] = np.nan
    z[:, 1:] += rng.standard_normal((idx.size, 2)) * EO_SIGMA_RAD
    return Measurements.build(
        np.full(idx.size, t_s),
        z,
        np.array([np.nan, EO_SIGMA_RAD, EO_SIGMA_RAD]),
        sensor_pos_m=EO_POS_M,
        truth_idx=idx,
    )


def _concat(parts: list[Measurements]) -> Measurements:
    return Measurements(
        *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Measurements))
    )


def _schedule(clutter_per_scan: float) -> list[tuple[float, Measurements]]:
    """Batches in time order: the radars take turns scan by scan; every third
    scan the second radar's returns and the EO/IR sensor's share one batch,
    and every fourth scan the EO/IR sensor has a batch of its own."""
    truth = _truth()
    r1 = _radar_batches(truth, RadarSpec(clutter_per_scan=clutter_per_scan), np.zeros(3), 1)
    r2 = _radar_batches(truth, RadarSpec(clutter_per_scan=clutter_per_scan), RADAR2_POS_M, 2)
    rng = np.random.default_rng(3)
    out = []
    for k in range(N_SCANS):
        end_s = 2.0 * (k + 1)
        eo = _eo_batch(truth, end_s - 0.5, rng)
        if k % 3 == 2:
            out.append((end_s, _concat([r2[k], eo])))
        else:
            out.append((end_s, (r1 if k % 3 == 0 else r2)[k]))
        if k % 4 == 3:
            out.append((end_s, eo))
    return out


def _assert_same(a: TrackTable, b: TrackTable, ra, rb, where: str) -> None:
    assert a.capacity == b.capacity, where
    assert a.next_id == b.next_id, where
    for name in DISCRETE:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=f"{name} {where}")
    live = a.status != FREE
    for name in ("x", "P", "xm", "Pm", "mode_prob", "turn_rate_rps", "time_s", "score", "born_s"):
        np.testing.assert_allclose(
            getattr(a, name)[live],
            getattr(b, name)[live],
            rtol=1e-9,
            atol=1e-9,
            err_msg=f"{name} {where}",
        )
    np.testing.assert_array_equal(a.confirmed_s[live], b.confirmed_s[live], err_msg=where)
    for name in ("updated", "created", "confirmed", "deleted_ids", "deleted_truth"):
        np.testing.assert_array_equal(
            getattr(ra, name), getattr(rb, name), err_msg=f"{name} {where}"
        )


@pytest.mark.parametrize(
    "params",
    [
        TrackerParams(association="gnn"),
        TrackerParams(association="gnn", motion="cv", false_alarms_per_batch=3.0),
    ],
    ids=["engine", "cv-known-false-alarms"],
)
def test_compiled_step_matches_the_array_step(params, monkeypatch):
    # What each batch needed in the array step (conflicts in the assignment, the
    # k-nearest clutter map) and how the compiled step took it.
    seen = {"one-call": 0, "batch-by-batch": 0}
    needs: set[str] = set()

    assign_sparse, clutter_density = tracker.assign_sparse, tracker._clutter_density

    def assign(rows, cols, cost):
        if np.unique(rows).size < rows.size or np.unique(cols).size < cols.size:
            needs.add("conflict")
        return assign_sparse(rows, cols, cost)

    def clutter(meas, group, unexplained, p):
        if np.count_nonzero(unexplained) > p.clutter_knn:
            needs.add("knn")
        return clutter_density(meas, group, unexplained, p)

    step_batch = sk.step_batch

    def batch(*args):
        out = step_batch(*args)
        seen["one-call" if out[0] == sk.DONE else "batch-by-batch"] += 1
        return out

    monkeypatch.setattr(sk, "step_batch", batch)
    monkeypatch.setattr(tracker, "assign_sparse", assign)
    monkeypatch.setattr(tracker, "_clutter_density", clutter)

    arrays, compiled = TrackTable.empty(4), TrackTable.empty(4)
    confirmed = dropped = 0
    for n, (now_s, meas) in enumerate(_schedule(clutter_per_scan=4.0)):
        # A radar looks at every track; the EO/IR sensor only at confirmed ones.
        angles = meas.angles_only()
        looked = arrays.status == (CONFIRMED if angles.all() else FREE)
        looked = ~looked if not angles.all() else looked
        needs.clear()
        ra = tracker._step_arrays(arrays, meas, looked, now_s, params)
        if angles.any():
            needs.add("angles")
        if np.unique(meas.sensor_pos_m, axis=0).shape[0] > 1:
            needs.add("several sensors")
        before = dict(seen)
        rb = tracker.step(compiled, meas, looked.copy(), now_s, params)
        how = "one-call" if seen["one-call"] > before["one-call"] else "batch-by-batch"
        for need in needs:
            seen[f"{need} {how}"] = seen.get(f"{need} {how}", 0) + 1
        _assert_same(arrays, compiled, ra, rb, f"after batch {n} at {now_s} s")
        confirmed += rb.confirmed.size
        dropped += rb.deleted_ids.size
    # The run went through every branch: one-call steps with conflicts, with
    # the clutter map and of the EO/IR sensor alone, the batch-by-batch path
    # for several sensors in one batch, a growing table, confirmations and
    # deletions.
    assert seen["one-call"] > 5 and seen["batch-by-batch"] > 5, seen
    for key in ("conflict one-call", "knn one-call", "angles one-call", "angles batch-by-batch"):
        assert seen.get(key, 0) > 0, seen
    assert seen.get("several sensors batch-by-batch", 0) > 0, seen
    assert compiled.capacity > 4 and confirmed >= 6 and dropped > 0


def test_other_modes_keep_the_array_step(monkeypatch):
    calls = []
    monkeypatch.setattr(tracker, "_step_compiled", lambda *a: calls.append(a))
    meas = Measurements.build([0.0], [[10e3, 0.5, 0.1]], [50.0, 0.003, 0.003])
    for params in (
        TrackerParams(association="auto"),
        TrackerParams(association="gnn", backend="numpy"),
    ):
        table = TrackTable.empty(4)
        res = tracker.step(table, meas, np.zeros(4, bool), 0.0, params)
        assert res.created.size == 1
    assert calls == []
    tracker.step(
        TrackTable.empty(4), meas, np.zeros(4, bool), 0.0, TrackerParams(association="gnn")
    )
    assert len(calls) == 1
    assert math.isfinite(sk.LOGE2)


def test_rows_holding_finds_live_rows_by_track_number():
    table = TrackTable.empty(8)
    table.track_id[:] = np.arange(8) + 10
    table.status[[1, 3, 5]] = CONFIRMED
    mask = table.rows_holding(np.array([11, 12, 13, 99], np.int64))
    # Rows 1 and 3 hold numbers 11 and 13; row 2 holds 12 but is free.
    np.testing.assert_array_equal(np.flatnonzero(mask), [1, 3])
    assert not table.rows_holding(np.zeros(0, np.int64)).any()


def test_compiled_step_matches_on_a_dense_raid(monkeypatch):
    """Ninety targets 600 m apart and clutter: batches beyond the dense pair
    search (KD-tree semantics) and assignments whose conflicts span more than
    one dense block (connected components), in the one-call step."""
    params = TrackerParams(association="gnn")
    ix, iy = np.meshgrid(np.arange(10), np.arange(9))
    pos0 = np.stack([-20e3 + 600.0 * ix.ravel(), 50e3 + 600.0 * iy.ravel(), np.full(90, 4000.0)], 1)
    truth = Truth.straight(pos0, np.tile([220.0, -30.0, 0.0], (90, 1)))
    scans = _radar_batches(truth, RadarSpec(clutter_per_scan=60.0), np.zeros(3), 7)[:12]
    needs: set[str] = set()
    seen: dict[str, int] = {}
    ball_pairs, assign_sparse = tracker.ball_pairs, tracker.assign_sparse

    def pairs(points, radius, targets):
        if points.shape[0] * targets.shape[0] > tracker.DENSE_PAIRS:
            needs.add("kd-tree")
        return ball_pairs(points, radius, targets)

    def assign(rows, cols, cost):
        contested = (
            np.bincount(np.unique(rows, return_inverse=True)[1])[
                np.unique(rows, return_inverse=True)[1]
            ]
            > 1
        ) | (
            np.bincount(np.unique(cols, return_inverse=True)[1])[
                np.unique(cols, return_inverse=True)[1]
            ]
            > 1
        )
        if contested.sum() ** 2 > 2500:
            needs.add("components")
        return assign_sparse(rows, cols, cost)

    step_batch = sk.step_batch

    def batch(*args):
        out = step_batch(*args)
        for need in needs:
            key = f"{need} {'one-call' if out[0] == sk.DONE else 'batch-by-batch'}"
            seen[key] = seen.get(key, 0) + 1
        return out

    monkeypatch.setattr(tracker, "ball_pairs", pairs)
    monkeypatch.setattr(tracker, "assign_sparse", assign)
    monkeypatch.setattr(sk, "step_batch", batch)
    arrays, compiled = TrackTable.empty(256), TrackTable.empty(256)
    for n, meas in enumerate(scans):
        now_s = 2.0 * (n + 1)
        looked = arrays.status != FREE
        needs.clear()
        ra = tracker._step_arrays(arrays, meas, looked, now_s, params)
        rb = tracker.step(compiled, meas, looked.copy(), now_s, params)
        _assert_same(arrays, compiled, ra, rb, f"after scan {n}")
    assert seen.get("kd-tree one-call", 0) > 0 and seen.get("components one-call", 0) > 0, seen
    assert np.count_nonzero(compiled.status != FREE) >= 90
