"""solve_wta: exact against brute force and an independent MILP, limits, bad input."""

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samsim.fire_control.wta import greedy_wta, solve_wta, surviving_value
from samsim.fire_control.wta_exact import solve_exact
from samsim.fire_control.wta_oa import solve_outer_approximation
from samsim.fire_control.wta_search import greedy, improve


def _ahuja(n_weapons, n_targets, seed):
    # values U[25, 100], kill probabilities U[0.6, 0.9] (benchmarks/wta.py)
    rng = np.random.default_rng(seed)
    return rng.uniform(0.6, 0.9, (n_weapons, n_targets)), rng.uniform(25.0, 100.0, n_targets)


def _rough(n_weapons, n_targets, rng):
    """Kill probabilities anywhere in [0, 1], with exact zeros and ones mixed in."""
    pk = rng.uniform(0.0, 1.0, (n_weapons, n_targets))
    pk[rng.random(pk.shape) < 0.15] = 0.0
    pk[rng.random(pk.shape) < 0.1] = 1.0
    value = rng.uniform(0.0, 100.0, n_targets)
    value[rng.random(n_targets) < 0.1] = 0.0
    return pk, value


def _brute_force(pk, value, cost=None):
    """Optimum over all (n_targets + 1) ** n_weapons assignments."""
    n_w, n_t = pk.shape
    every = np.array(list(itertools.product(range(-1, n_t), repeat=n_w)))
    total = np.zeros(len(every))
    for j in range(n_t):
        factor = np.where(every == j, 1.0 - pk[:, j][None, :], 1.0)
        total += value[j] * factor.prod(axis=1)
    if cost is not None:
        total += ((every >= 0) * cost[None, :]).sum(axis=1)
    return float(total.min())


@pytest.fixture(scope="module", autouse=True)
def _compiled_kernels():
    # The first call in a process loads (or compiles) the numba kernels; time limits
    # are about the solver, so every path is run once before any test measures it.
    pk, value = _ahuja(30, 20, 0)
    cost = np.full(30, 5.0)
    solve_wta(pk, value)
    solve_wta(pk, value, cost, time_limit_s=5.0)
    start = greedy_wta(pk, value).astype(np.int64)  # a poor start: the enumeration must run
    assert solve_exact(pk, value, np.zeros(30), start, master_ip=False).n_columns > 0


@pytest.mark.parametrize("with_cost", [False, True])
def test_matches_brute_force_on_small_random_instances(with_cost):
    rng = np.random.default_rng(7 if with_cost else 3)
    for _ in range(25):
        n_w, n_t = int(rng.integers(1, 7)), int(rng.integers(1, 5))
        pk, value = _rough(n_w, n_t, rng)
        cost = rng.uniform(0.0, 40.0, n_w) if with_cost else None
        a = solve_wta(pk, value, cost)
        assert surviving_value(pk, value, a, cost) == pytest.approx(
            _brute_force(pk, value, cost), rel=1e-9, abs=1e-9
        )


def test_exact_proves_the_optimum_and_its_bound_never_exceeds_it():
    rng = np.random.default_rng(11)
    for _ in range(15):
        n_w, n_t = int(rng.integers(2, 7)), int(rng.integers(1, 5))
        pk, value = _rough(n_w, n_t, rng)
        cost = rng.uniform(0.0, 30.0, n_w)
        optimum = _brute_force(pk, value, cost)
        # Start from the plain greedy and skip the shortcut through the generated
        # columns, so that the reduced-cost enumeration does the proving.
        start = greedy_wta(pk, value, cost).astype(np.int64)
        res = solve_exact(pk, value, cost, start, master_ip=False)
        assert res.proven
        assert res.objective == pytest.approx(optimum, rel=1e-9, abs=1e-9)
        assert res.lower_bound <= optimum + 1e-9


@pytest.mark.parametrize(
    ("n_weapons", "n_targets", "with_cost"),
    [(20, 20, False), (24, 12, False), (12, 24, False), (20, 15, True)],
)
def test_matches_the_outer_approximation_milp_on_medium_instances(n_weapons, n_targets, with_cost):
    pk, value = _ahuja(n_weapons, n_targets, n_weapons + n_targets)
    cost = np.random.default_rng(5).uniform(0.0, 30.0, n_weapons) if with_cost else None
    reference = solve_outer_approximation(pk, value, cost)
    assert reference.proven
    a = solve_wta(pk, value, cost)
    assert surviving_value(pk, value, a, cost) == pytest.approx(reference.objective, rel=1e-6)


def test_ahuja_instance_of_80_by_80_is_proven_optimal():
    pk, value = _ahuja(80, 80, 1)
    start = greedy(pk, value, np.zeros(80))
    improve(pk, value, np.zeros(80), start)
    res = solve_exact(pk, value, np.zeros(80), start)
    assert res.proven
    assert res.lower_bound == pytest.approx(res.objective, rel=1e-9)
    # The marginal-gain greedy is a few per cent worse on such instances.
    greedy_value = surviving_value(pk, value, greedy_wta(pk, value))
    assert 1.005 < greedy_value / res.objective < 1.06


@settings(max_examples=60, deadline=None)
@given(
    n_weapons=st.integers(0, 9),
    n_targets=st.integers(0, 7),
    seed=st.integers(0, 2**32 - 1),
    with_cost=st.booleans(),
    time_limit_s=st.sampled_from([None, 0.05, 1.0]),
)
def test_never_returns_an_index_outside_the_targets(
    n_weapons, n_targets, seed, with_cost, time_limit_s
):
    rng = np.random.default_rng(seed)
    pk, value = _rough(n_weapons, n_targets, rng)
    cost = rng.uniform(0.0, 50.0, n_weapons) if with_cost else None
    a = solve_wta(pk, value, cost, time_limit_s)
    assert a.shape == (n_weapons,)
    assert np.issubdtype(a.dtype, np.integer)
    assert ((a >= -1) & (a < max(n_targets, 0))).all() or (a == -1).all()
    # Never worse than the marginal-gain greedy it starts from.
    assert (
        surviving_value(pk, value, a, cost)
        <= surviving_value(pk, value, greedy_wta(pk, value, cost), cost) + 1e-9
    )


def test_honours_the_time_limit_on_a_300_by_300_instance():
    pk, value = _ahuja(300, 300, 4)
    for limit_s in (0.1, 0.3):
        t0 = time.perf_counter()
        a = solve_wta(pk, value, time_limit_s=limit_s)
        elapsed_s = time.perf_counter() - t0
        # The machine is shared with other jobs: allow 3x for scheduling noise.
        assert elapsed_s < 3.0 * limit_s
        assert surviving_value(pk, value, a) < surviving_value(pk, value, greedy_wta(pk, value))


def test_same_input_same_assignment_without_a_time_limit():
    pk, value = _ahuja(60, 40, 9)
    np.testing.assert_array_equal(solve_wta(pk, value), solve_wta(pk, value))


def test_weapon_cost_above_any_marginal_gain_fires_nothing():
    pk, value = _ahuja(12, 8, 2)
    cost = np.full(12, (pk * value[None, :]).max() * 1.01)
    np.testing.assert_array_equal(solve_wta(pk, value, cost), np.full(12, -1))


def test_weapon_cost_holds_back_only_the_shots_not_worth_it():
    # One target of value 10: the first shot (pk 0.5) removes 5, a second only 2.5.
    pk = np.array([[0.5], [0.5]])
    a = solve_wta(pk, np.array([10.0]), np.array([3.0, 3.0]))
    assert sorted(a.tolist()) == [-1, 0]


def test_a_sure_kill_needs_no_second_weapon():
    pk = np.array([[1.0, 0.3], [0.9, 0.3], [0.2, 0.0]])
    a = solve_wta(pk, np.array([50.0, 10.0]))
    assert a.tolist() == [0, 1, -1]  # weapon 2 adds nothing anywhere: reported as not fired
    assert surviving_value(pk, [50.0, 10.0], a) == pytest.approx(7.0)


def test_accepts_lists_strided_arrays_and_numpy_scalars():
    pk, value = _ahuja(12, 8, 6)
    expected = solve_wta(pk, value)
    np.testing.assert_array_equal(solve_wta(pk.tolist(), value.tolist()), expected)
    wide = np.zeros((12, 16))
    wide[:, ::2] = pk
    a = solve_wta(wide[:, ::2], np.repeat(value, 2)[::2], time_limit_s=np.float32(5.0))
    assert surviving_value(pk, value, a) == pytest.approx(surviving_value(pk, value, expected))


def test_degenerate_sizes():
    assert solve_wta(np.zeros((0, 3)), np.ones(3)).shape == (0,)
    np.testing.assert_array_equal(solve_wta(np.zeros((4, 0)), np.zeros(0)), np.full(4, -1))


@pytest.mark.parametrize(
    ("pk", "value", "cost", "limit", "named"),
    [
        (np.ones(3), np.ones(3), None, None, "pk"),
        (np.ones((2, 3)), np.ones(2), None, None, "value"),
        (np.ones((2, 3)), np.ones((3, 1)), None, None, "value"),
        (np.full((2, 3), np.nan), np.ones(3), None, None, "pk"),
        (np.full((2, 3), 1.2), np.ones(3), None, None, "pk"),
        (np.full((2, 3), -0.1), np.ones(3), None, None, "pk"),
        (np.full((2, 3), 0.5), np.array([1.0, np.nan, 1.0]), None, None, "value"),
        (np.full((2, 3), 0.5), np.array([1.0, -1.0, 1.0]), None, None, "value"),
        (np.full((2, 3), 0.5), np.ones(3), np.ones(3), None, "weapon_cost"),
        (np.full((2, 3), 0.5), np.ones(3), np.array([1.0, -2.0]), None, "weapon_cost"),
        (np.full((2, 3), 0.5), np.ones(3), np.array([1.0, np.nan]), None, "weapon_cost"),
        (np.full((2, 3), 0.5), np.ones(3), None, 0.0, "time_limit_s"),
        (np.full((2, 3), 0.5), np.ones(3), None, float("nan"), "time_limit_s"),
        (np.full((2, 3), 0.5), np.ones(3), None, True, "time_limit_s"),
        (np.full((2, 3), 0.5), np.ones(3), None, "1", "time_limit_s"),
        ([["a", "b"]], np.ones(2), None, None, "pk"),
    ],
)
def test_rejects_bad_input_naming_the_argument(pk, value, cost, limit, named):
    with pytest.raises(ValueError, match=f"^{named}:"):
        solve_wta(pk, value, cost, limit)
