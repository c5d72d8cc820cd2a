"""Weapon-target assignment: solve_wta (DESIGN.md interface)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from samsim.fire_control import solve_wta, surviving_value

unit = st.floats(0.0, 1.0, allow_nan=False)
values = st.floats(0.0, 1e3, allow_nan=False)


@st.composite
def instances(draw, max_weapons=12, max_targets=12):
    n_w = draw(st.integers(0, max_weapons))
    n_t = draw(st.integers(0, max_targets))
    pk = draw(arrays(np.float64, (n_w, n_t), elements=unit))
    value = draw(arrays(np.float64, (n_t,), elements=values))
    return pk, value


def _brute_force(pk, value, weapon_cost=None) -> float:
    n_w, n_t = pk.shape
    return min(
        surviving_value(pk, value, a, weapon_cost)
        for a in itertools.product(range(-1, n_t), repeat=n_w)
    )


@settings(max_examples=100, deadline=None)
@given(instances())
def test_assignment_has_one_valid_target_index_per_weapon(inst):
    pk, value = inst
    a = solve_wta(pk, value)
    assert a.shape == (pk.shape[0],)
    assert np.issubdtype(a.dtype, np.integer)
    assert ((a >= -1) & (a < pk.shape[1])).all()


@settings(max_examples=100, deadline=None)
@given(instances(), st.data())
def test_greedy_is_never_worse_than_holding_fire(inst, data):
    pk, value = inst
    cost = data.draw(arrays(np.float64, (pk.shape[0],), elements=st.floats(0.0, 500.0)))
    hold = np.full(pk.shape[0], -1)
    a = solve_wta(pk, value)
    assert surviving_value(pk, value, a) <= surviving_value(pk, value, hold) + 1e-9
    a = solve_wta(pk, value, weapon_cost=cost)
    assert surviving_value(pk, value, a, cost) <= surviving_value(pk, value, hold, cost) + 1e-9


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_greedy_is_optimal_with_identical_weapons(data):
    # den Broeder et al. (1959): maximum marginal return is optimal when every
    # weapon has the same Pk against a given target.
    n_w = data.draw(st.integers(1, 5))
    n_t = data.draw(st.integers(1, 3))
    per_target = data.draw(arrays(np.float64, (n_t,), elements=unit))
    value = data.draw(arrays(np.float64, (n_t,), elements=st.floats(0.0, 100.0)))
    pk = np.tile(per_target, (n_w, 1))
    a = solve_wta(pk, value)
    assert surviving_value(pk, value, a) == pytest.approx(_brute_force(pk, value), abs=1e-9)


def test_greedy_is_optimal_on_a_small_textbook_case():
    pk = np.array([[0.9, 0.5], [0.8, 0.6], [0.3, 0.2]])
    value = np.array([10.0, 8.0])
    a = solve_wta(pk, value)
    assert surviving_value(pk, value, a) == pytest.approx(_brute_force(pk, value))
    assert (a >= 0).all()  # with no cost every useful weapon fires


def test_two_weapons_split_over_two_equal_targets():
    a = solve_wta(np.full((2, 2), 0.9), np.array([1.0, 1.0]))
    assert sorted(a.tolist()) == [0, 1]


def test_objective_is_the_expected_surviving_value():
    pk = np.array([[0.5, 0.0], [0.5, 0.7]])
    value = np.array([4.0, 10.0])
    # both on target 0: 4 * 0.25 + 10 = 11
    assert surviving_value(pk, value, [0, 0]) == pytest.approx(11.0)
    # one each: 4 * 0.5 + 10 * 0.3 = 5, plus their costs
    assert surviving_value(pk, value, [0, 1], [1.0, 2.0]) == pytest.approx(8.0)


@settings(max_examples=100, deadline=None)
@given(instances(max_weapons=8, max_targets=8))
def test_weapons_costing_more_than_any_shot_gains_are_not_fired(inst):
    pk, value = inst
    cost = np.full(pk.shape[0], float(value.max(initial=0.0)) * 1.0 + 1.0)
    assert (solve_wta(pk, value, weapon_cost=cost) == -1).all()


def test_cost_holds_back_only_the_shots_not_worth_it():
    pk = np.array([[0.9], [0.9]])
    value = np.array([100.0])
    # first shot removes 90, the second 9: worth 20 each, so only one fires
    a = solve_wta(pk, value, weapon_cost=np.array([20.0, 20.0]))
    assert sorted(a.tolist()) == [-1, 0]


def test_zero_value_and_zero_pk_targets_draw_no_fire():
    a = solve_wta(np.array([[0.0, 0.9], [0.0, 0.9]]), np.array([5.0, 0.0]))
    assert (a == -1).all()


def test_empty_problems():
    assert solve_wta(np.zeros((0, 3)), np.ones(3)).shape == (0,)
    np.testing.assert_array_equal(solve_wta(np.zeros((4, 0)), np.zeros(0)), [-1, -1, -1, -1])


@pytest.mark.parametrize(
    ("pk", "value", "kwargs", "match"),
    [
        (np.ones(3), np.ones(3), {}, "pk"),
        (np.ones((2, 3, 1)), np.ones(3), {}, "pk"),
        (np.ones((2, 3)), np.ones(2), {}, "value"),
        (np.ones((2, 3)), np.ones((3, 1)), {}, "value"),
        (np.array([[0.5, np.nan]]), np.ones(2), {}, "pk"),
        (np.array([[0.5, 1.2]]), np.ones(2), {}, "pk"),
        (np.array([[-0.1, 0.5]]), np.ones(2), {}, "pk"),
        (np.array([[0.5, 0.5]]), np.array([1.0, np.inf]), {}, "value"),
        (np.array([[0.5, 0.5]]), np.array([1.0, -1.0]), {}, "value"),
        ([["a", "b"]], np.ones(2), {}, "pk"),
        (np.full((2, 2), 0.5), np.ones(2), {"weapon_cost": np.ones(3)}, "weapon_cost"),
        (np.full((2, 2), 0.5), np.ones(2), {"weapon_cost": [1.0, np.nan]}, "weapon_cost"),
        (np.full((2, 2), 0.5), np.ones(2), {"weapon_cost": [1.0, -1.0]}, "weapon_cost"),
        (np.full((2, 2), 0.5), np.ones(2), {"time_limit_s": 0.0}, "time_limit_s"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(pk, value, kwargs, match):
    with pytest.raises(ValueError, match=match):
        solve_wta(pk, value, **kwargs)
