"""Fly-out tables, their cache, the FDC's intercept solution and the envelope."""

import math
import os

import numpy as np
import pytest

from samsim.catalog import load_catalog
from samsim.fire_control.engagement import launch_acceptability
from samsim.geo import LocalFrame
from samsim.interceptors import envelope as envmod
from samsim.interceptors.envelope import (
    FlyoutSet,
    engagement_envelope,
    flyout_table,
    point_at,
    solve_intercepts,
    table_key,
)

CAT = load_catalog()
FRAME = LocalFrame(0.0, 0.0, 6_371_000.0)
ELEV = CAT.launchers["canister_6"].launch_elevation_deg


@pytest.fixture(scope="module")
def amraam():
    it = CAT.interceptors["amraam"]
    return it, flyout_table(it, ELEV, "amraam")


def test_time_of_flight_grows_with_range_and_the_reach_ends(amraam):
    it, tab = amraam
    low = tab.time_s[:, 0]
    reach = np.isfinite(low)
    assert reach[:5].all() and not reach[-5:].all()
    assert np.all(np.diff(low[reach]) > 0)
    # Beyond the reach the round would arrive too slow or too late (10 % reserve).
    last = np.flatnonzero(reach)[-1]
    assert tab.speed_mps[last, 0] >= 1.1 * it.min_speed_mps
    assert low[last] <= 0.9 * it.max_flight_s


def test_envelope_reaches_the_public_figures_of_the_entry(amraam):
    it, tab = amraam
    env = engagement_envelope(tab, 250.0)
    assert it.public_range_m[0] <= env.max_range_overall_m <= it.public_range_m[1]
    assert it.public_altitude_m[0] <= env.max_altitude_m <= it.public_altitude_m[1]


def test_a_faster_receding_target_shrinks_the_tail_chase_side_only(amraam):
    _, tab = amraam
    slow = engagement_envelope(tab, 100.0)
    fast = engagement_envelope(tab, 500.0)
    h = int(np.argmin(abs(slow.altitude_m - 3000.0)))

    def far(env, sign):
        xs = env.along_m[env.feasible[h, 0] & (np.sign(env.along_m) == sign)]
        return np.abs(xs).max()

    assert far(fast, 1) == pytest.approx(far(slow, 1), abs=1500.0)  # head-on: the reach
    assert far(fast, -1) < far(slow, -1) - 5000.0  # tail chase: the round must catch up


def test_intercept_solution_meets_the_table(amraam):
    it, tab = amraam
    fs = FlyoutSet.from_tables([tab], it)
    launcher = np.array([[0.0, 0.0, 2.0]])
    targets = point_at(FRAME, np.array([25_000.0, 60_000.0, 8_000.0]), np.array([3000.0] * 3))
    vel = np.array([[0.0, -250.0, 0.0], [0.0, -250.0, 0.0], [0.0, 250.0, 0.0]])
    ok, t, pip = solve_intercepts(
        fs, launcher, np.radians([ELEV]), targets, vel, np.full(3, 1e9), FRAME.radius_m
    )
    assert ok[0, 0] and not ok[0, 1]  # 60 km out: beyond reach for a launch now
    # At the solution, the target is at the PIP when the round gets there.
    assert np.allclose(pip[0, 0], targets[0] + vel[0] * t[0, 0], atol=1e-6)
    ground = FRAME.ground_distance_m(launcher[0], pip[0, 0])
    j = int(np.argmin(abs(tab.altitude_m - 3000.0)))
    t_table = np.interp(ground, tab.ground_range_m, tab.time_s[:, j])
    assert t[0, 0] == pytest.approx(t_table, abs=0.5)
    # Receding at 250 m/s from 20 km: the round still catches it, later than head-on.
    assert ok[0, 2] and FRAME.ground_distance_m(launcher[0], pip[0, 2]) > 8_000.0 + 250 * 5


def test_launch_acceptability_uses_tables_and_the_asset_deadline(amraam):
    it, tab = amraam
    fs = FlyoutSet.from_tables([tab], it)
    launcher = np.array([[0.0, 0.0, 2.0], [0.0, -40_000.0, 2.0]])
    target = point_at(FRAME, np.array([20_000.0]), np.array([1000.0]))
    vel = np.array([[0.0, -250.0, 0.0]])
    kw = dict(
        mean_speed_mps=it.mean_speed_mps,
        min_range_m=it.min_range_m,
        max_range_m=it.max_range_m,
        max_altitude_m=it.max_altitude_m,
        max_target_speed_mps=it.max_target_speed_mps,
        max_flight_s=it.max_flight_s,
        flyout=fs,
        launch_elevation_rad=np.radians([ELEV, ELEV]),
        radius_m=FRAME.radius_m,
    )
    ok, t, _ = launch_acceptability(
        launcher, target, vel, FRAME.altitude_m, time_to_asset_s=np.array([1e9]), **kw
    )
    assert ok[0, 0] and not ok[1, 0]  # the second launcher is 60 km away
    late, _, _ = launch_acceptability(
        launcher, target, vel, FRAME.altitude_m, time_to_asset_s=np.array([t[0, 0] - 1]), **kw
    )
    assert not late[0, 0]
    with pytest.raises(ValueError, match="radius_m"):
        launch_acceptability(
            launcher,
            target,
            vel,
            FRAME.altitude_m,
            time_to_asset_s=np.array([1e9]),
            **{**kw, "radius_m": None},
        )


def test_lock_on_before_launch_needs_the_target_in_seeker_range_now():
    it = CAT.interceptors["aim9x"].model_copy(update={"lock_on": "before"})
    fs = FlyoutSet.from_tables([flyout_table(it, ELEV, "aim9x")], it)
    launcher = np.array([[0.0, 0.0, 2.0]])
    # Approaching at 250 m/s: kinematically in reach, but 12 km out is beyond the 10 km seeker.
    target = point_at(FRAME, np.array([12_000.0, 7_000.0]), np.array([1000.0, 1000.0]))
    vel = np.array([[0.0, -250.0, 0.0]] * 2)
    ok, _, _ = launch_acceptability(
        launcher,
        target,
        vel,
        FRAME.altitude_m,
        mean_speed_mps=1,
        min_range_m=1,
        max_range_m=1,
        max_altitude_m=1,
        max_target_speed_mps=1,
        max_flight_s=1,
        time_to_asset_s=np.full(2, 1e9),
        flyout=fs,
        launch_elevation_rad=np.radians([ELEV]),
        radius_m=FRAME.radius_m,
    )
    assert not ok[0, 0] and ok[0, 1]


def test_cache_key_follows_the_catalog_entry_and_disk_cache_round_trips(tmp_path, monkeypatch):
    it = CAT.interceptors["aim9x"]
    other = it.model_copy(update={"thrust_boost_n": it.thrust_boost_n * 1.01})
    assert table_key(it, ELEV) != table_key(other, ELEV)
    assert table_key(it, ELEV) != table_key(it, 90.0)
    monkeypatch.setenv("SAMSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(envmod, "_MEMORY", {})
    first = flyout_table(it, ELEV, "aim9x")
    files = list((tmp_path / "flyout").glob("*.npz"))
    assert [f.stem for f in files] == [first.key]
    monkeypatch.setattr(envmod, "_MEMORY", {})
    calls = []
    monkeypatch.setattr(envmod, "compute_flyout_table", lambda *a, **k: calls.append(a))
    again = flyout_table(it, ELEV, "aim9x")
    assert not calls  # read from disk, not recomputed
    np.testing.assert_array_equal(again.time_s, first.time_s)


def test_disk_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMSIM_CACHE_DIR", "off")
    monkeypatch.setattr(envmod, "_MEMORY", {})
    assert envmod.cache_dir() is None
    it = CAT.interceptors["aim9x"].model_copy(update={"max_flight_s": 17.5})
    flyout_table(it, ELEV, "aim9x")
    assert not any(tmp_path.iterdir())
    assert os.environ["SAMSIM_CACHE_DIR"] == "off"


def test_envelope_rejects_a_negative_speed(amraam):
    with pytest.raises(ValueError, match="target_speed_mps"):
        engagement_envelope(amraam[1], -1.0)
    assert math.isfinite(amraam[1].time_s[0, 0])
