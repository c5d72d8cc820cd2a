"""Predicted intercept points, launch acceptability and threat evaluation."""

import numpy as np
import pytest

from samsim.fire_control.engagement import intercept_time_s, launch_acceptability
from samsim.fire_control.evaluate import evaluate_threats


def test_intercept_time_of_a_stationary_target_is_range_over_speed():
    t = intercept_time_s(np.array([3000.0, 4000.0, 0.0]), np.zeros(3), np.asarray(500.0))
    assert t == pytest.approx(10.0)


def test_intercept_time_head_on_and_crossing():
    # head-on: closing speed s + v
    t = intercept_time_s(
        np.array([0.0, 12_000.0, 0.0]), np.array([0.0, -200.0, 0.0]), np.asarray(600.0)
    )
    assert t == pytest.approx(12_000.0 / 800.0)
    # crossing at right angles: (v t)^2 + d^2 = (s t)^2
    d, v, s = 8000.0, 300.0, 500.0
    t = intercept_time_s(np.array([0.0, d, 0.0]), np.array([v, 0.0, 0.0]), np.asarray(s))
    assert t == pytest.approx(d / np.sqrt(s**2 - v**2))


def test_faster_receding_target_cannot_be_intercepted():
    t = intercept_time_s(
        np.array([0.0, 5000.0, 0.0]), np.array([0.0, 900.0, 0.0]), np.asarray(600.0)
    )
    assert np.isinf(t)


def test_intercept_time_broadcasts_over_launchers_and_targets():
    rel = np.array([[[0.0, 1000.0, 0.0], [0.0, 2000.0, 0.0]]] * 3)  # (3, 2, 3)
    t = intercept_time_s(rel, np.zeros((1, 2, 3)), np.asarray(100.0))
    np.testing.assert_allclose(t, [[10.0, 20.0]] * 3)


def _accept(target, vel, **over):
    kw = dict(
        mean_speed_mps=650.0,
        min_range_m=1000.0,
        max_range_m=30_000.0,
        max_altitude_m=15_000.0,
        max_target_speed_mps=1000.0,
        max_flight_s=70.0,
        time_to_asset_s=np.array([np.inf]),
    )
    kw.update(over)
    ok, t, pip = launch_acceptability(
        np.zeros((1, 3)),
        np.array([target], float),
        np.array([vel], float),
        lambda p: p[..., 2],
        **kw,
    )
    return bool(ok[0, 0]), float(t[0, 0]), pip[0, 0]


def test_launch_is_acceptable_inside_the_envelope():
    ok, t, pip = _accept((0.0, 20_000.0, 1000.0), (0.0, -200.0, 0.0))
    assert ok
    np.testing.assert_allclose(pip, [0.0, 20_000.0 - 200.0 * t, 1000.0])


@pytest.mark.parametrize(
    ("target", "vel", "over"),
    [
        ((0.0, 40_000.0, 1000.0), (0.0, 0.0, 0.0), {}),  # beyond max range
        ((0.0, 500.0, 100.0), (0.0, 0.0, 0.0), {}),  # inside min range
        ((0.0, 10_000.0, 18_000.0), (0.0, 0.0, 0.0), {}),  # too high
        ((0.0, 10_000.0, 1000.0), (0.0, -1200.0, 0.0), {}),  # too fast
        ((0.0, 20_000.0, 1000.0), (0.0, -200.0, 0.0), {"time_to_asset_s": np.array([5.0])}),
        ((0.0, 20_000.0, 1000.0), (0.0, 0.0, 0.0), {"max_flight_s": 20.0}),
    ],
    ids=["far", "near", "high", "fast", "too-late", "flight-time"],
)
def test_launch_is_refused_outside_the_envelope(target, vel, over):
    assert not _accept(target, vel, **over)[0]


def test_a_track_flying_at_an_asset_is_inbound_with_its_time_to_reach():
    assets = np.array([[0.0, 0.0, 0.0], [50_000.0, 0.0, 0.0]])
    tracks = np.array([[0.0, 30_000.0, 500.0], [0.0, 30_000.0, 500.0], [50_000.0, 10_000.0, 0.0]])
    vel = np.array([[0.0, -100.0, 0.0], [0.0, 100.0, 0.0], [0.0, -50.0, 0.0]])
    a = evaluate_threats(tracks, vel, assets, np.array([2000.0, 2000.0]), np.array([10.0, 30.0]))
    np.testing.assert_array_equal(a.asset_idx, [0, -1, 1])
    np.testing.assert_array_equal(a.inbound, [True, False, True])
    np.testing.assert_allclose(a.time_to_asset_s[[0, 2]], [300.0, 200.0])
    np.testing.assert_allclose(a.value, [10.0, 0.0, 30.0])


def test_the_most_valuable_threatened_asset_counts():
    # two assets on the same line: the track threatens both, the valuable one wins
    assets = np.array([[0.0, 0.0, 0.0], [0.0, 10_000.0, 0.0]])
    a = evaluate_threats(
        np.array([[0.0, 30_000.0, 0.0]]),
        np.array([[0.0, -100.0, 0.0]]),
        assets,
        np.array([1000.0, 1000.0]),
        np.array([50.0, 20.0]),
    )
    assert a.asset_idx[0] == 0 and a.time_to_asset_s[0] == pytest.approx(300.0)
