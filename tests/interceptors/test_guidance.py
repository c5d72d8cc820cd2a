"""Linear and adjoint PN homing loops against Zarchan's closed forms."""

import numpy as np
import pytest

from samsim.interceptors.guidance import (
    adjoint_miss,
    closed_form_heading_miss,
    closed_form_step_miss,
    linear_command,
    linear_miss,
)

X = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0])


@pytest.mark.parametrize("nav", [3, 4, 5])
def test_adjoint_reproduces_step_and_heading_error_closed_forms(nav):
    t, step, rate = adjoint_miss(nav, 1.0, 10.0, 10_000)
    peak_step = np.abs(closed_form_step_miss(nav, np.linspace(0.01, 10, 500))).max()
    peak_he = np.abs(closed_form_heading_miss(nav, np.linspace(0.01, 10, 500))).max()
    np.testing.assert_allclose(
        np.interp(X, t, step), closed_form_step_miss(nav, X), atol=1e-3 * peak_step
    )
    # y'(0) = -V_M HE: M / (V_M HE T) = -z_2.
    np.testing.assert_allclose(
        -np.interp(X, t, rate), closed_form_heading_miss(nav, X), atol=1e-3 * peak_he
    )


def test_published_table_values_of_the_closed_forms():
    # PUBLIC-DATA 4.1 table, x = 2: 0.2707, 0.0902, 0.0000 for N' = 3, 4, 5.
    assert closed_form_step_miss(3, 2.0) == pytest.approx(0.2707, abs=1e-4)
    assert closed_form_step_miss(4, 2.0) == pytest.approx(0.0902, abs=1e-4)
    assert closed_form_step_miss(5, 2.0) == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("nav", [3, 4, 5])
def test_forward_linear_loop_agrees_with_adjoint(nav):
    t, step, _ = adjoint_miss(nav, 0.5, 5.0, 10_000)
    for tf in (1.0, 2.5, 4.0):
        fwd = linear_miss(nav, 0.5, tf, target_accel_mps2=1.0)
        assert fwd == pytest.approx(np.interp(tf, t, step), abs=2e-3 * 0.25)


@pytest.mark.parametrize("nav", [3, 4, 5])
def test_zero_lag_loop_has_zero_miss_and_the_published_command(nav):
    assert abs(linear_miss(nav, 0.0, 5.0, target_accel_mps2=9.81)) < 1e-3
    assert abs(linear_miss(nav, 0.0, 5.0, heading_error_rad=0.1, missile_speed_mps=900)) < 1e-3
    for frac in (0.5, 0.9):
        expect = nav / (nav - 2) * (1 - (1 - frac) ** (nav - 2))
        assert linear_command(nav, 0.0, 5.0, frac) == pytest.approx(expect, rel=1e-3)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="lag_s"):
        adjoint_miss(4, 0.0, 5.0)
    with pytest.raises(ValueError, match="flight_time_s"):
        linear_miss(4, 0.5, 0.0)
    with pytest.raises(ValueError, match="nav_ratio"):
        closed_form_step_miss(6, 1.0)
