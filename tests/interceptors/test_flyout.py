"""The 3-DOF fly-out kernel against analytic results, limits and fuzing."""

import math

import numpy as np
import pytest

from samsim.catalog import load_catalog
from samsim.geo import LocalFrame
from samsim.interceptors import END_KILL, END_MISS, END_SELF_DESTRUCT, kill_probability
from samsim.interceptors.atmosphere import isa
from samsim.interceptors.engage import launch_direction, simulate, straight_targets
from samsim.interceptors.params import InterceptorTable

FRAME = LocalFrame(0.0, 0.0, 6_371_000.0)
BASE = load_catalog().interceptors["amraam"]
H = 10_000.0


def make(**update):
    it = BASE.model_copy(update=update)
    return it, InterceptorTable.from_catalog({"t": it})


def inert(**update):
    """No thrust, no drag, no loft: the round coasts unless told otherwise."""
    base = dict(
        thrust_boost_n=0.0,
        thrust_sustain_n=0.0,
        propellant_kg=0.0,
        drag_cd=[0.0] * len(BASE.drag_cd),
        induced_drag_factor=0.0,
        loft_gain=0.0,
        canister_clear_s=0.0,
        min_speed_mps=0.0,
        max_flight_s=1000.0,
        seeker_noise_rad=0.0,
    )
    base.update(update)
    return make(**base)


def fly_one(tab, start, direction, speed, target_pos, target_vel=(0, 0, 0), **kw):
    targets = straight_targets(np.array([target_pos], float), np.array(target_vel, float))
    return simulate(
        tab,
        0,
        FRAME,
        np.array([start], float),
        np.array([direction], float),
        targets,
        launch_speed_mps=speed,
        **kw,
    )


def test_coasting_drag_follows_the_closed_form_deceleration():
    cd = 0.4
    it, tab = inert(drag_cd=[cd] * len(BASE.drag_cd))
    v0, t_end = 800.0, 5.0
    res = fly_one(
        tab,
        (0, 0, H),
        (0, 1, 0),
        v0,
        (0, 200_000, H),
        t_end_s=t_end,
        dt_s=0.01,
        gravity_scale=0.0,
    )
    rho = float(isa(H)["density_kgpm3"])
    k = rho * tab.area_m2[0] * cd / (2 * it.mass_kg)
    expect = v0 / (1 + k * v0 * t_end)  # dv/dt = -k v^2
    assert np.linalg.norm(res.vel_mps[0]) == pytest.approx(expect, rel=2e-3)


def test_boost_follows_the_rocket_equation():
    it, tab = make(
        drag_cd=[0.0] * len(BASE.drag_cd),
        induced_drag_factor=0.0,
        loft_gain=0.0,
        thrust_sustain_n=0.0,
        sustain_s=0.0,
    )
    res = fly_one(
        tab,
        (0, 0, H),
        (0, 1, 0),
        100.0,
        (0, 300_000, H),
        t_end_s=it.boost_s,
        dt_s=0.005,
        gravity_scale=0.0,
    )
    mdot = tab.mass_flow_boost_kgps[0]
    m1 = it.mass_kg - mdot * it.boost_s
    expect = 100.0 + it.thrust_boost_n / mdot * math.log(it.mass_kg / m1)
    assert np.linalg.norm(res.vel_mps[0]) == pytest.approx(expect, rel=2e-3)
    assert res.mass_kg[0] == pytest.approx(m1, rel=1e-6)


def test_lateral_acceleration_is_limited_by_dynamic_pressure_high_up():
    it, tab = inert(lift_coefficient_max=10.0, max_accel_g=40.0, guidance_lag_s=0.05)
    h = 20_000.0
    # A point far off to the side: guidance asks for far more than the airframe can give.
    res = fly_one(
        tab,
        (0, 0, h),
        (0, 1, 0),
        600.0,
        (20_000, 1000, h),
        t_end_s=1.0,
        dt_s=0.01,
        gravity_scale=0.0,
    )
    v = np.linalg.norm(res.vel_mps[0])
    q = 0.5 * float(isa(h)["density_kgpm3"]) * v * v
    aero = q * tab.area_m2[0] * 10.0 / it.mass_kg
    assert aero < 40 * 9.80665  # the aerodynamic limit binds, not the structure
    # The curvature of the path is the achieved lateral acceleration.
    turned = math.atan2(res.vel_mps[0, 0], res.vel_mps[0, 1])
    assert turned == pytest.approx(aero / v * 1.0, rel=0.08)


def test_no_lateral_control_inside_the_canister_then_pitch_over():
    _it, tab = inert(canister_clear_s=0.6)
    start_dir = np.array([0.0, math.cos(0.5), math.sin(0.5)])
    kw = dict(dt_s=0.01, gravity_scale=0.0)
    inside = fly_one(tab, (0, 0, 100), start_dir, 200.0, (0, 5000, 100), t_end_s=0.55, **kw)
    d = inside.vel_mps[0] / np.linalg.norm(inside.vel_mps[0])
    assert np.allclose(d, start_dir, atol=1e-9)
    after = fly_one(tab, (0, 0, 100), start_dir, 200.0, (0, 5000, 100), t_end_s=1.5, **kw)
    d2 = after.vel_mps[0] / np.linalg.norm(after.vel_mps[0])
    assert d2[2] < start_dir[2] - 0.05  # pitched down toward the low target


def test_vertical_launch_with_thrust_vector_control_pitches_over_and_hits():
    cat = load_catalog()
    it = cat.interceptors["aim9x"]
    tab = InterceptorTable.from_catalog({"aim9x": it})
    target = np.array([[0.0, 5000.0, 500.0]])
    d = launch_direction(FRAME, np.array([0, 0, 2.0]), target, math.radians(90.0))
    assert d[0, 2] == pytest.approx(1.0)
    res = simulate(
        tab,
        0,
        FRAME,
        np.array([[0, 0, 2.0]]),
        d,
        straight_targets(target, np.zeros(3)),
        t_end_s=20.0,
        dt_s=0.05,
    )
    assert res.end_code[0] in (END_KILL, END_MISS)
    assert res.miss_m[0] < it.lethal_radius_m


def test_closest_approach_is_interpolated_inside_a_coarse_step():
    # Locked, no guidance to speak of, 200 m per step: the CPA 7 m off is still exact.
    _it, tab = inert(nav_ratio=1e-12)
    res = fly_one(
        tab,
        (0, 0, H),
        (0, 1, 0),
        1000.0,
        (7.0, 10_130.0, H),
        t_end_s=20.0,
        dt_s=0.2,
        lock_at_launch=True,
        gravity_scale=0.0,
    )
    assert res.end_code[0] in (END_KILL, END_MISS)
    assert res.miss_m[0] == pytest.approx(7.0, abs=1e-6)
    assert res.end_time_s[0] == pytest.approx(10.13, abs=1e-6)


def test_carleton_kill_probability():
    assert kill_probability(0.0, 9.0, 0.95) == pytest.approx(0.95)
    assert kill_probability(9.0, 9.0, 0.95) == pytest.approx(0.95 / math.e)
    assert kill_probability(40.0, 9.0, 0.95) == 0.0


def test_self_destruct_when_energy_or_time_runs_out():
    _, tab = inert(drag_cd=[0.5] * len(BASE.drag_cd), min_speed_mps=500.0)
    res = fly_one(
        tab,
        (0, 0, 1000),
        (0, 1, 0),
        700.0,
        (0, 90_000, 1000),
        t_end_s=60.0,
        dt_s=0.05,
        gravity_scale=0.0,
    )
    assert res.end_code[0] == END_SELF_DESTRUCT
    assert np.linalg.norm(res.vel_mps[0]) < 500.0
    _it, tab = inert(max_flight_s=3.0)
    res = fly_one(tab, (0, 0, H), (0, 1, 0), 700.0, (0, 90_000, H), t_end_s=10, dt_s=0.05)
    assert res.end_code[0] == END_SELF_DESTRUCT
    assert res.end_time_s[0] == pytest.approx(3.0, abs=0.051)


def _turning(n_t, v_t, start):
    w = n_t / v_t

    def at(t):
        a = w * t
        pos = start + np.array([[v_t / w * (1 - math.cos(a)), -v_t / w * math.sin(a), 0.0]])
        vel = np.array([[v_t * math.sin(a), -v_t * math.cos(a), 0.0]])
        acc = np.array([[n_t * math.cos(a), n_t * math.sin(a), 0.0]])
        return pos, vel, acc

    return at


def test_augmented_pn_misses_a_turning_target_by_less_than_pn():
    # x = t_F / T = 2 with N' = 3, where PN's step-manoeuvre miss peaks (0.27 n_T T^2).
    misses = {}
    lag, n_t = 0.5, 6 * 9.80665
    for law in ("pn", "apn"):
        _it, tab = inert(
            guidance=law,
            nav_ratio=3.0,
            guidance_lag_s=lag,
            max_accel_g=1e6,
            lift_coefficient_max=1e9,
        )
        start = np.array([[0.0, 1200.0, H]])
        res = simulate(
            tab,
            0,
            FRAME,
            np.array([[0, 0, H]]),
            np.array([[0, 1.0, 0]]),
            _turning(n_t, 300.0, start),
            t_end_s=3.0,
            dt_s=0.005,
            lock_at_launch=True,
            gravity_scale=0.0,
            launch_speed_mps=900.0,
            datalink_period_s=None,
        )
        misses[law] = res.miss_m[0]
    assert misses["pn"] == pytest.approx(0.2707 * n_t * lag**2, rel=0.1)
    assert misses["apn"] < 0.5 * misses["pn"]
