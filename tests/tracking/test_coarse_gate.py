"""The coarse gate before the IMM: candidates for the exact chi-square gate.

The coarse gate only saves work: a pair it drops is never predicted, so it must
keep the pairs the exact gate in (range, azimuth, elevation) accepts. These
tests run the array tracker over the scene of test_compiled_step (crossing
targets, a close formation, a fast descending target, clutter) and, before each
radar batch, compare the candidates with every track-return pair's exact
Mahalanobis distance.
"""

import math

import numpy as np
import pytest

from samsim.tracking import CONFIRMED, FREE, TrackerParams, TrackTable, tracker
from samsim.tracking import _step_kernels as sk
from samsim.tracking.synthetic import RadarSpec, Truth

from .test_compiled_step import _radar_batches, _schedule

N_RAID = 60


def _raid_schedule():
    """A dense raid: 60 drones and cruise missiles inside 4 x 4 km, 20-40 km out,
    half of them turning at 2-4 g for 10 s; one radar, 30 scans of 2 s."""
    rng = np.random.default_rng(7)
    pos0 = np.column_stack(
        [
            rng.uniform(-2e3, 2e3, N_RAID),
            rng.uniform(30e3, 34e3, N_RAID),
            rng.uniform(100, 600, N_RAID),
        ]
    )
    speed = rng.choice([50.0, 250.0], N_RAID)
    heading = rng.uniform(-0.3, 0.3, N_RAID) + math.pi
    vel0 = np.column_stack([speed * np.sin(heading), speed * np.cos(heading), np.zeros(N_RAID)])
    straight = Truth.straight(pos0, vel0)
    turning = np.arange(N_RAID) % 2 == 0
    g = rng.uniform(2.0, 4.0, N_RAID) * 9.81
    truth = Truth(
        straight.pos0_m,
        straight.vel0_mps,
        straight.start_s,
        straight.end_s,
        np.where(turning, rng.uniform(16.0, 30.0, N_RAID), np.inf),
        np.full(N_RAID, 10.0),
        np.where(turning, g / speed * rng.choice([-1.0, 1.0], N_RAID), 0.0),
        straight.accel_up_mps2,
    )
    batches = _radar_batches(truth, RadarSpec(clutter_per_scan=20.0), np.zeros(3), 11)
    return [(2.0 * (k + 1), m) for k, m in enumerate(batches)]


def _old_candidates(table, live, meas, group, t_ref, spread, params):
    """The radius the coarse gate replaced: the batch's largest noise and time spread."""
    dt = np.abs(t_ref - table.time_s[live]) + spread
    pos_var = np.trace(table.P[live, :3, :3], axis1=1, axis2=2)
    vel_var = np.trace(table.P[live, 3:, 3:], axis1=1, axis2=2)
    speed = np.linalg.norm(table.x[live, 3:], axis=1)
    q = max(params.q_cv_m2ps3, params.q_ct_m2ps3)
    sig = meas.sigma[group]
    meas_var = float(np.max(sig[:, 0] ** 2 + (meas.z[group, 0] * sig[:, 1:].max(axis=1)) ** 2))
    radius = (
        math.sqrt(params.gate_chi2) * np.sqrt(pos_var + vel_var * dt**2 + q * dt**3 + meas_var)
        + speed * spread
        + 0.5 * np.abs(table.turn_rate_rps[live]) * speed * dt**2
        + 50.0
    )
    mpos = meas.positions_enu()[group]
    i, local = tracker.ball_pairs(table.position_at(live, t_ref), radius, mpos)
    return live[i], local


@pytest.mark.parametrize("scene", ["crossing", "dense raid"])
def test_coarse_gate_keeps_the_pairs_of_the_exact_gate(scene):
    params = TrackerParams(association="gnn", backend="numpy")
    table = TrackTable.empty(4)
    exact_total = kept_total = candidates = all_pairs = old_lost = old_candidates = 0
    schedule = _schedule(clutter_per_scan=4.0) if scene == "crossing" else _raid_schedule()
    for now_s, meas in schedule:
        angles = meas.angles_only()
        radar = np.flatnonzero(~angles)
        spos = meas.sensor_pos_m[radar]
        for pos in np.unique(spos, axis=0):
            group = radar[np.all(spos == pos, axis=1)]
            live = np.flatnonzero((table.status != FREE) & tracker._velocity_known(table, params))
            if live.size == 0:
                continue
            rows = np.repeat(live, group.size)
            local = np.tile(np.arange(group.size), live.size)
            pairs = tracker._pair_terms(table, rows, group[local], meas, params, angles=False)
            exact = pairs.d2.min(axis=1) < params.gate_chi2
            t = meas.time_s[group]
            t_ref = float(t.mean())
            spread = float(np.max(np.abs(t - t_ref)))
            c_rows, c_local = tracker._coarse_pairs(table, live, meas, group, t_ref, spread, params)
            cand = set(zip(c_rows.tolist(), c_local.tolist(), strict=True))
            wanted = set(zip(rows[exact].tolist(), local[exact].tolist(), strict=True))
            o_rows, o_local = _old_candidates(table, live, meas, group, t_ref, spread, params)
            old = set(zip(o_rows.tolist(), o_local.tolist(), strict=True))
            old_lost += len(wanted - old)
            old_candidates += len(old)
            exact_total += len(wanted)
            kept_total += len(wanted & cand)
            candidates += len(cand)
            all_pairs += rows.size
        # A radar looks at every track; the EO/IR sensor only at confirmed ones.
        looked = table.status == CONFIRMED if angles.all() else table.status != FREE
        tracker._step_arrays(table, meas, looked, now_s, params)
    lost = exact_total - kept_total
    print(
        f"{scene}: exact {exact_total}, lost {lost}, candidates {candidates}/{all_pairs}, "
        f"old radius lost {old_lost} of {old_candidates}"
    )
    assert exact_total > 100 and lost <= 0.002 * exact_total
    # The gate prunes: well under all track-return pairs are predicted.
    assert candidates < 0.5 * all_pairs, (candidates, all_pairs)
    if scene == "dense raid":
        # Turning targets close together: the radius it replaced dropped many
        # more pairs of the exact gate.
        assert old_lost >= 10 * max(lost, 1), (old_lost, lost)


def test_coarse_radius_grows_with_time_and_noise():
    # The batch's radius (largest time offset and noise) bounds every pair's own,
    # which makes the KD-tree query with it a superset of the pairs kept.
    args = dict(pv=900.0, vv=400.0, dp=30.0, dv=5.0, sp=250.0, om=0.05, ow2=0.01)
    base = sk.coarse_radius(0.5, 2500.0, *args.values(), 4.0, 1.0)
    assert sk.coarse_radius(0.8, 2500.0, *args.values(), 4.0, 1.0) > base
    assert sk.coarse_radius(0.5, 4e4, *args.values(), 4.0, 1.0) > base
    # The compiled and the array versions give the same bits.
    arr = sk.coarse_radius.py_func(np.array([0.5, 0.8]), 2500.0, *args.values(), 4.0, 1.0)
    assert arr[0] == base
    assert sk.meas_trace(10e3, 50.0, 0.003, 0.003) == sk.meas_trace.py_func(
        10e3, 50.0, 0.003, 0.003
    )
    assert sk.meas_trace(10e3, 50.0, 0.003, 0.003) == pytest.approx(50.0**2 + 2 * 30.0**2)
