"""Seeker acquisition: range, gimbal, horizon, terrain, lock-on before launch."""

import math

import numpy as np

from samsim.catalog import load_catalog
from samsim.geo import LocalFrame
from samsim.geo.terrain import Terrain
from samsim.interceptors import FLYING, Interceptors
from samsim.interceptors.envelope import point_at
from samsim.interceptors.params import InterceptorTable
from samsim.interceptors.seeker import acquire

FRAME = LocalFrame(0.0, 0.0, 6_371_000.0)
CAT = load_catalog()


def one_round(type_name, pos, vel, est, launch_time=-10.0, **update):
    it = CAT.interceptors[type_name].model_copy(update=update)
    tab = InterceptorTable.from_catalog({type_name: it})
    icpt = Interceptors.empty(1)
    icpt.n_used = 1
    icpt.phase[0] = FLYING
    icpt.pos_enu_m[0] = pos
    icpt.vel_enu_mps[0] = vel
    icpt.launch_time_s[0] = launch_time
    icpt.est_pos_m[0] = est
    icpt.est_time_s[0] = 0.0
    return icpt, tab


def test_ir_seeker_needs_line_of_sight_over_the_horizon():
    # A round 20 m up and a target 30 m up 40 km away are below each other's horizon
    # (7/6-earth reach about 16.9 + 20.6 = 37.5 km); lift the target and it is seen.
    low = point_at(FRAME, np.array([40_000.0]), np.array([30.0]))[0]
    high = point_at(FRAME, np.array([40_000.0]), np.array([300.0]))[0]
    start = np.array([0.0, 0.0, 20.0])
    for target, expect in ((low, False), (high, True)):
        icpt, tab = one_round("aim9x", start, [0.0, 600.0, 0.0], target, seeker_range_m=50_000.0)
        locked, _ = acquire(icpt, tab, FRAME, None, target[None, :], np.array([True]), 0.0)
        assert bool(locked) is expect
        assert bool(icpt.locked_idx[0] == 0) is expect


def test_terrain_between_round_and_target_masks_the_seeker():
    # A 600 m ridge at 2-3 km north, between a round 100 m up and a target 5 km north.
    heights = np.zeros((60, 40))
    heights[20:30, :] = 600.0
    ridge = Terrain(-2000.0, 0.0, 100.0, heights)
    target = np.array([[0.0, 5000.0, 100.0]])
    for terrain, expect in ((ridge, False), (None, True)):
        icpt, tab = one_round("aim9x", [0.0, 0.0, 100.0], [0.0, 500.0, 0.0], target[0])
        locked, _ = acquire(icpt, tab, FRAME, terrain, target, np.array([True]), 0.0)
        assert bool(locked) is expect


def test_locked_seeker_loses_a_target_that_drops_behind_terrain():
    heights = np.zeros((60, 40))
    heights[20:30, :] = 600.0
    ridge = Terrain(-2000.0, 0.0, 100.0, heights)
    target = np.array([[0.0, 5000.0, 100.0]])
    icpt, tab = one_round("aim9x", [0.0, 0.0, 100.0], [0.0, 500.0, 0.0], target[0])
    icpt.locked_idx[0] = 0
    _, lost = acquire(icpt, tab, FRAME, ridge, target, np.array([True]), 0.0)
    assert lost == [(0, 0, 0.0)]
    assert icpt.locked_idx[0] == -1


def test_gimbal_limit_and_lock_before_launch_cue():
    behind = np.array([[0.0, -3000.0, 1000.0]])
    icpt, tab = one_round("amraam", [0.0, 0.0, 1000.0], [0.0, 600.0, 0.0], behind[0])
    locked, _ = acquire(icpt, tab, FRAME, None, behind, np.array([True]), 0.0)
    assert not locked  # 180 deg off the velocity, outside a 60 deg gimbal
    # A lock-on-before-launch seeker still in its canister is cued onto the target.
    icpt, tab = one_round(
        "aim9x",
        [0.0, 0.0, 2.0],
        [0.0, 0.0, 40.0],
        [0.0, 3000.0, 500.0],
        launch_time=0.0,
        lock_on="before",
        seeker_gimbal_deg=30.0,
    )
    target = np.array([[0.0, 3000.0, 500.0]])
    locked, _ = acquire(icpt, tab, FRAME, None, target, np.array([True]), 0.1)
    assert locked == [(0, 0, 0.1)]
    assert math.degrees(math.atan2(3000.0, 498.0)) > 30.0  # it was outside the gimbal


def test_seeker_picks_the_object_nearest_the_uplinked_position_within_its_basket():
    objs = np.array([[0.0, 8000.0, 1000.0], [0.0, 8300.0, 1000.0], [0.0, 12000.0, 1000.0]])
    icpt, tab = one_round("amraam", [0.0, 0.0, 1000.0], [0.0, 600.0, 0.0], [0.0, 8250.0, 1000.0])
    locked, _ = acquire(icpt, tab, FRAME, None, objs, np.array([True, True, True]), 0.0)
    assert locked == [(0, 1, 0.0)]
    # Nothing within the basket (1.5 km) of the cue: no lock.
    icpt, tab = one_round("amraam", [0.0, 0.0, 1000.0], [0.0, 600.0, 0.0], [0.0, 10_200.0, 1000.0])
    locked, _ = acquire(icpt, tab, FRAME, None, objs, np.array([True, True, True]), 0.0)
    assert not locked


def _up(enu_m, alt_m):
    """ENU up coordinate of points at these altitudes above the frame's sphere."""
    r = FRAME.radius_m
    return np.sqrt((r + alt_m) ** 2 - enu_m[:, 0] ** 2 - enu_m[:, 1] ** 2) - r


def test_engine_fused_seek_equals_acquire_then_substeps():
    """The engine's one-call seeker pass (``stage_interceptors._seek``) locks,
    drops and sub-steps exactly as ``acquire`` followed by ``_substeps``, over
    random rounds (some locked, some on the ground, some done) and targets
    (some not flying), lost locks included."""
    import copy

    from samsim.engine.stage_interceptors import _seek, _substeps

    names = ["amraam", "aim9x", "amraam_er"]
    tab = InterceptorTable.from_catalog({n: CAT.interceptors[n] for n in names})
    rng = np.random.default_rng(4)
    n_locked = n_new = n_lost = 0
    for _trial in range(60):
        n, m = 12, 15
        icpt = Interceptors.empty(16)
        icpt.n_used = n
        icpt.phase[:n] = rng.choice(np.array([FLYING, FLYING, FLYING, 2], np.int8), n)
        icpt.type_idx[:n] = rng.integers(0, 3, n)
        icpt.pos_enu_m[:n] = rng.uniform([-40e3, -40e3, 0.0], [40e3, 40e3, 0.0], (n, 3))
        icpt.pos_enu_m[:n, 2] = _up(icpt.pos_enu_m[:n], 10.0 ** rng.uniform(0.0, 3.8, n))
        icpt.vel_enu_mps[:n] = rng.normal(0.0, 600.0, (n, 3))
        icpt.launch_time_s[:n] = rng.uniform(-20.0, 1.0, n)
        air0 = rng.uniform([-40e3, -40e3, 0.0], [40e3, 40e3, 0.0], (m, 3))
        air0[:, 2] = _up(air0, 10.0 ** rng.uniform(0.0, 3.9, m))  # some below the horizon
        air1 = air0 + rng.normal(0.0, 50.0, (m, 3))
        est = rng.integers(0, m, n)
        icpt.est_pos_m[:n] = air0[est] + rng.normal(0.0, 300.0, (n, 3))
        icpt.est_vel_mps[:n] = rng.normal(0.0, 200.0, (n, 3))
        icpt.est_time_s[:n] = -0.5
        icpt.locked_idx[:n] = np.where(rng.random(n) < 0.3, rng.integers(0, m, n), -1)
        flying = rng.random(m) < 0.85
        ref = copy.deepcopy(icpt)
        rows_ref = ref.flying()
        locked, lost = acquire(ref, tab, FRAME, None, air0, flying.copy(), 0.0, rows_ref)
        subs_ref = _substeps(
            rows_ref, ref.locked_idx, ref.pos_enu_m, ref.vel_enu_mps, air1, 2.2, 10, 4
        )
        rows, l_rows, l_obj, x_rows, x_obj, subs = _seek(
            icpt.phase, icpt.n_used, icpt.type_idx, icpt.pos_enu_m, icpt.vel_enu_mps,
            icpt.launch_time_s, icpt.est_pos_m, icpt.est_vel_mps, icpt.est_time_s,
            icpt.locked_idx, tab.seeker_range_m, tab.seeker_gimbal_rad, tab.lock_before_launch,
            tab.canister_clear_s, tab.seeker_k_factor, air0, flying.copy(), 0.0, FRAME.radius_m,
            air1, 2.2, 10, 4,
        )  # fmt: skip
        np.testing.assert_array_equal(rows, rows_ref)
        assert list(zip(l_rows.tolist(), l_obj.tolist(), strict=True)) == [
            (r, o) for r, o, _ in locked
        ]
        assert list(zip(x_rows.tolist(), x_obj.tolist(), strict=True)) == [
            (r, o) for r, o, _ in lost
        ]
        np.testing.assert_array_equal(icpt.locked_idx, ref.locked_idx)
        np.testing.assert_array_equal(subs, subs_ref)
        n_locked += int((icpt.locked_idx[rows] >= 0).sum())
        n_new += len(locked)
        n_lost += len(lost)
    assert n_new > 0 and n_lost > 0 and n_locked > n_new  # every branch was exercised
