"""Ballistic arcs: Keplerian closed forms, the integrator, and shooting with drag."""

import math

import pytest

from samsim.threats.ballistic import (
    arc_range_m,
    free_flight_range_m,
    kepler_arc,
    kepler_launch,
    solve_launch,
)

R = 6_371_000.0


@pytest.mark.parametrize("speed, gamma_deg", [(300.0, 45.0), (1500.0, 40.0), (3000.0, 30.0)])
def test_drag_free_integrated_range_matches_the_free_flight_range_equation(speed, gamma_deg):
    ours, _, _ = arc_range_m(speed, math.radians(gamma_deg), R)
    assert ours == pytest.approx(free_flight_range_m(speed, math.radians(gamma_deg), R), rel=1e-5)


def test_short_shot_is_close_to_the_flat_earth_formula():
    ours, apogee, tof = arc_range_m(300.0, math.radians(45.0), R)
    assert ours == pytest.approx(300.0**2 / 9.80665, rel=2e-3)
    assert apogee == pytest.approx(300.0**2 / (4 * 9.80665), rel=2e-3)
    assert tof == pytest.approx(2 * 300.0 * math.sin(math.radians(45)) / 9.80665, rel=2e-3)


@pytest.mark.parametrize("ground_m, apogee_m", [(100e3, 20e3), (300e3, 50e3), (500e3, 120e3)])
def test_closed_form_launch_reaches_the_apogee_and_the_range(ground_m, apogee_m):
    v, g = kepler_launch(ground_m, apogee_m, R)
    rng, apo = kepler_arc(v, g, R)
    assert rng == pytest.approx(ground_m, rel=1e-9)
    assert apo == pytest.approx(apogee_m, rel=1e-9)
    flown, flown_apo, _ = arc_range_m(v, g, R)
    assert flown == pytest.approx(ground_m, abs=5.0)
    assert flown_apo == pytest.approx(apogee_m, abs=5.0)


def test_with_reentry_drag_the_solution_still_lands_on_the_range():
    v0, _, _ = solve_launch(300e3, 50e3, R)
    v, g, tof = solve_launch(300e3, 50e3, R, beta_kgpm2=15000.0)
    rng, apo, t = arc_range_m(v, g, R, beta_kgpm2=15000.0)
    assert rng == pytest.approx(300e3, abs=20.0)
    assert apo == pytest.approx(50e3, abs=20.0)
    assert v > v0  # drag on the way down needs a faster shot
    assert t == pytest.approx(tof, abs=0.5)


def test_bad_launch_geometry_is_a_value_error():
    with pytest.raises(ValueError, match="ground_range_m"):
        solve_launch(0.0, 50e3, R)
