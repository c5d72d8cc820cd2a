"""Interceptor fly-out: proportional navigation, fuzing, self-destruct."""

import math

import numpy as np
import pytest

from samsim.catalog import load_catalog
from samsim.geo import LocalFrame
from samsim.interceptors import (
    DONE,
    END_KILL,
    END_MISS,
    END_SELF_DESTRUCT,
    FLYING,
    Interceptors,
    InterceptorTable,
    fly,
    pn_command,
)

FRAME = LocalFrame.at(25.0, 121.0)
DT_S = 0.1
SUBSTEPS = 10
LAUNCH_SPEED_MPS = 40.0
LAUNCH_ELEVATION_DEG = 30.0


@pytest.fixture(scope="module")
def table(catalog) -> InterceptorTable:
    return InterceptorTable.from_catalog(catalog.interceptors)


def _launch(table, name: str, target_pos: np.ndarray, target_vel: np.ndarray, n: int = 1):
    """``n`` rounds of a type leaving a canister at the origin toward a target's position."""
    k = table.names.index(name)
    ic = Interceptors.empty(n)
    ic.n_used = n
    az = math.atan2(target_pos[0], target_pos[1])
    el = math.radians(LAUNCH_ELEVATION_DEG)
    direction = np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])
    for r in range(n):
        ic.phase[r] = FLYING
        ic.type_idx[r] = k
        ic.pos_enu_m[r] = [0.0, 0.0, 5.0]
        ic.vel_enu_mps[r] = LAUNCH_SPEED_MPS * direction
        ic.mass_kg[r] = table.mass_kg[k]
        ic.est_pos_m[r] = target_pos
        ic.est_vel_mps[r] = target_vel
        ic.est_time_s[r] = 0.0
    return ic


def _engage(table, name, target_pos, target_vel, seed=0, t_max_s=150.0):
    """Fly one round at a constant-velocity target until it ends; returns the rounds."""
    pos = np.asarray(target_pos, float).reshape(1, 3)
    vel = np.asarray(target_vel, float).reshape(1, 3)
    ic = _launch(table, name, pos[0], vel[0])
    rng = np.random.default_rng(seed)
    t = 0.0
    while ic.phase[0] == FLYING and t < t_max_s:
        p0 = pos.copy()
        pos = pos + vel * DT_S
        fly(ic, table, FRAME, p0, pos, vel, np.array([True]), t, DT_S, SUBSTEPS, rng)
        t += DT_S
    return ic


def _at(north_m: float, alt_m: float, east_m: float = 0.0) -> np.ndarray:
    return FRAME.lift(np.array([[east_m, north_m, 0.0]]), np.array([alt_m]))[0]


@pytest.mark.parametrize("name", ["amraam", "amraam_er"])
@pytest.mark.parametrize("range_km", [5.0, 10.0, 20.0])
@pytest.mark.parametrize(
    "target_vel", [(200.0, 0.0, 0.0), (-250.0, 0.0, 0.0), (50.0, -50.0, 0.0)], ids=str
)
def test_pn_hits_a_crossing_constant_velocity_target(table, catalog, name, range_km, target_vel):
    ic = _engage(table, name, _at(range_km * 1e3, 1000.0), target_vel, seed=int(range_km))
    assert ic.phase[0] == DONE
    assert ic.end[0] in (END_KILL, END_MISS)
    assert ic.locked_idx[0] == 0  # the seeker acquired the target
    assert ic.miss_m[0] < catalog.interceptors[name].lethal_radius_m


def test_kills_inside_the_lethal_radius_at_the_catalog_rate(table, catalog):
    n = 40
    kills = sum(
        _engage(table, "amraam", _at(6e3, 800.0), (150.0, 0.0, 0.0), seed=s).end[0] == END_KILL
        for s in range(n)
    )
    p = catalog.interceptors["amraam"].pk_in_lethal_radius
    assert abs(kills / n - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_pn_command_is_zero_on_a_collision_course():
    own = np.array([[0.0, 600.0, 100.0]])
    target_vel = np.array([[150.0, -20.0, 0.0]])
    rel_vel = target_vel - own
    rel_pos = -rel_vel * 25.0  # meets in 25 s along a constant line of sight
    cmd = pn_command(rel_pos, rel_vel, own, 4.0)
    assert np.linalg.norm(cmd) < 1e-9


def test_pn_command_is_n_vc_times_line_of_sight_rate():
    # target 10 km north drifting east at 50 m/s, closing at 700 m/s: LOS rate u / R
    rng_m, drift, closing, nav = 10_000.0, 50.0, 700.0, 4.0
    own = np.array([[0.0, 600.0, 0.0]])
    cmd = pn_command(np.array([[0.0, rng_m, 0.0]]), np.array([[drift, -closing, 0.0]]), own, nav)
    np.testing.assert_allclose(cmd[0], [nav * closing * drift / rng_m, 0.0, 0.0], rtol=1e-12)
    assert float(cmd[0] @ own[0]) == pytest.approx(0.0, abs=1e-9)  # lateral only


def test_pn_command_is_perpendicular_to_the_own_velocity():
    rng = np.random.default_rng(0)
    rel = rng.normal(0, 5e3, (50, 3))
    rel_v = rng.normal(0, 300, (50, 3))
    own = rng.normal(0, 500, (50, 3))
    cmd = pn_command(rel, rel_v, own, 3.0)
    along = np.einsum("ki,ki->k", cmd, own) / np.linalg.norm(own, axis=1)
    np.testing.assert_allclose(along, 0.0, atol=1e-6 * np.linalg.norm(cmd, axis=1).max())


@pytest.mark.parametrize(
    ("name", "target", "vel"),
    [
        ("aim9x", (0.0, 20e3, 1000.0), (0.0, 200.0, 0.0)),  # receding past its 8 km reach
        ("amraam", (0.0, 120e3, 3000.0), (0.0, 250.0, 0.0)),
    ],
)
def test_round_that_cannot_reach_self_destructs_in_time(table, catalog, name, target, vel):
    ic = _engage(table, name, _at(target[1], target[2]), vel, t_max_s=200.0)
    assert ic.end[0] == END_SELF_DESTRUCT
    assert math.isnan(ic.miss_m[0])
    assert ic.end_time_s[0] <= catalog.interceptors[name].max_flight_s + 1.0


def test_round_self_destructs_when_its_target_is_gone(table):
    pos = _at(4e3, 500.0).reshape(1, 3)
    ic = _launch(table, "amraam", pos[0], np.zeros(3))
    rng = np.random.default_rng(0)
    alive = np.array([True])
    t = 0.0
    while ic.locked_idx[0] < 0:
        fly(ic, table, FRAME, pos, pos, np.zeros((1, 3)), alive, t, DT_S, SUBSTEPS, rng)
        t += DT_S
    alive[0] = False  # killed by someone else
    ev = fly(ic, table, FRAME, pos, pos, np.zeros((1, 3)), alive, t, DT_S, SUBSTEPS, rng)
    assert ic.end[0] == END_SELF_DESTRUCT
    assert ev.ended == [(0, END_SELF_DESTRUCT, pytest.approx(t + DT_S / SUBSTEPS))]
    assert ev.killed_air == []


@pytest.mark.parametrize("first_row", [0, 1])
def test_the_round_that_arrives_first_kills_whatever_its_row(first_row):
    # Two rounds chase one target within one engine step; the nearer one must
    # get the kill, and the other may end only after that kill.
    cat = load_catalog({"interceptors": {"amraam": {"pk_in_lethal_radius": 1.0}}})
    tab = InterceptorTable.from_catalog(cat.interceptors)
    target = np.array([[0.0, 10_000.0, 1000.0]])
    ic = _launch(tab, "amraam", target[0], np.zeros(3), n=2)
    near, far = first_row, 1 - first_row
    for row, gap in ((near, 300.0), (far, 500.0)):
        ic.pos_enu_m[row] = target[0] - [0.0, gap, 0.0]
        ic.vel_enu_mps[row] = [0.0, 800.0, 0.0]
        ic.launch_time_s[row] = -30.0  # motor burnt out, fins free
        ic.locked_idx[row] = 0
    ev = fly(
        ic,
        tab,
        FRAME,
        target,
        target,
        np.zeros((1, 3)),
        np.array([True]),
        0.0,
        1.0,
        20,
        np.random.default_rng(0),
    )
    assert ic.end[near] == END_KILL
    assert ev.killed_air == [(0, near, pytest.approx(300.0 / 800.0, abs=0.06))]
    assert ic.end[far] == END_SELF_DESTRUCT
    assert ic.end_time_s[far] >= ic.end_time_s[near]


@pytest.mark.parametrize(
    "name",
    [
        "amraam",
        pytest.param(
            "amraam_er",
            marks=pytest.mark.xfail(
                strict=True,
                reason="catalog: the 3-DOF fly-out reaches only ~46 km in its 90 s, "
                "short of the 50 km planning range",
            ),
        ),
        "aim9x",
    ],
)
def test_fly_out_reaches_the_planning_range_near_the_planning_speed(table, catalog, name):
    # catalog: mean_speed_mps is "derived from samsim's own fly-out to the maximum
    # range against a 1 km target"
    entry = catalog.interceptors[name]
    ic = _engage(table, name, _at(entry.max_range_m, 1000.0), np.zeros(3))
    assert ic.end[0] in (END_KILL, END_MISS)
    mean_speed = entry.max_range_m / ic.end_time_s[0]
    assert mean_speed == pytest.approx(entry.mean_speed_mps, rel=0.15)


def test_motor_burn_leaves_the_dry_mass(table):
    ic = _engage(table, "amraam", _at(25e3, 2000.0), np.zeros(3))
    k = table.names.index("amraam")
    assert ic.end_time_s[0] > table.boost_s[k] + table.sustain_s[k]
    assert ic.mass_kg[0] == pytest.approx(table.mass_kg[k] - table.propellant_kg[k])


def test_interceptor_table_mirrors_the_catalog(table, catalog):
    k = table.names.index("amraam")
    a = catalog.interceptors["amraam"]
    assert table.max_accel_mps2[k] == pytest.approx(a.max_accel_g * 9.80665)
    assert table.area_m2[k] == pytest.approx(math.pi * a.diameter_m**2 / 4)
    burnt = (
        table.mass_flow_boost_kgps[k] * a.boost_s + table.mass_flow_sustain_kgps[k] * a.sustain_s
    )
    assert burnt == pytest.approx(a.propellant_kg)
    assert table.seeker_ir[table.names.index("aim9x")] and not table.seeker_ir[k]
