"""Geometry-dependent planning Pk: falls toward the envelope edge, catalog Pk at the centre."""

from dataclasses import replace

import numpy as np
import pytest

from samsim.fire_control import Fdc, PlanningTable, decide
from samsim.fire_control.engagement import launch_acceptability
from samsim.fire_control.pk import geometry_pk
from samsim.fire_control.wta import greedy_wta, solve_wta, surviving_value
from samsim.geo import LocalFrame
from samsim.interceptors.envelope import RESERVE, arrival_state, planning_flyout
from samsim.scenario import Doctrine
from samsim.threats.state import CATEGORIES
from samsim.tracking import CONFIRMED, TrackTable

from .builders import make_launchers

FRAME = LocalFrame.at(25.0, 121.0)
ELEV = np.radians(30.0)
AIRCRAFT = CATEGORIES.index("aircraft")
DRONE = CATEGORIES.index("drone")


@pytest.fixture(scope="module")
def planning(catalog):
    k = list(catalog.interceptors).index("amraam")
    load = np.zeros((2, len(catalog.interceptors)), np.int32)
    load[:, k] = 6
    flyout = planning_flyout(catalog.interceptors, load, np.full(2, ELEV))
    return replace(PlanningTable.from_catalog(catalog.interceptors), flyout=flyout)


def _solve(planning, k, launchers, pos, vel):
    return launch_acceptability(
        launchers,
        pos,
        vel,
        FRAME.altitude_m,
        mean_speed_mps=0.0,
        min_range_m=0.0,
        max_range_m=0.0,
        max_altitude_m=0.0,
        max_target_speed_mps=0.0,
        max_flight_s=0.0,
        time_to_asset_s=np.full(len(pos), 1e9),
        flyout=planning.flyout[k],
        launch_elevation_rad=np.full(len(launchers), ELEV),
        radius_m=FRAME.radius_m,
    )


def test_geometry_pk_is_linear_between_edge_and_full_speed():
    v = np.array([[200.0, 275.0, 375.0, 475.0, 600.0]])
    pk = geometry_pk(np.array([[0.7]]), v, v_edge_mps=275.0, v_full_mps=475.0, edge_fraction=0.2)
    np.testing.assert_allclose(pk, [[0.14, 0.14, 0.42, 0.7, 0.7]])
    flat = geometry_pk(np.array([[0.7]]), v, v_edge_mps=275.0, v_full_mps=None, edge_fraction=0.2)
    np.testing.assert_array_equal(flat, np.full((1, 5), 0.7))
    with pytest.raises(ValueError, match="v_full_mps"):
        geometry_pk(np.array([[0.7]]), v, v_edge_mps=275.0, v_full_mps=275.0, edge_fraction=0.2)


def test_catalog_rejects_a_full_speed_inside_the_edge(catalog):
    entry = catalog.interceptors["amraam"].model_dump()
    entry["endgame_speed_mps"] = 1.05 * entry["min_speed_mps"]
    with pytest.raises(ValueError, match="endgame_speed_mps"):
        type(catalog.interceptors["amraam"]).model_validate(entry)


def test_pk_falls_toward_the_envelope_edge_and_is_the_catalog_pk_at_the_centre(catalog, planning):
    """A fighter inbound at 6 km from ever further out: the PIP moves out to the edge."""
    k = planning.names.index("amraam")
    entry = catalog.interceptors["amraam"]
    launcher = np.array([[0.0, 0.0, 2.0]])
    start_m = np.arange(8_000.0, 80_000.0, 1_000.0)
    pos = np.stack([np.zeros_like(start_m), start_m, np.full_like(start_m, 6_000.0)], axis=1)
    vel = np.tile([0.0, -250.0, 0.0], (len(start_m), 1))
    ok, t, pip = _solve(planning, k, launcher, pos, vel)
    assert ok[0].sum() > 30  # the sweep crosses much of the envelope ...
    assert not ok[0, -1]  # ... and leaves it
    reach = ok[0]
    pk_air = planning.pk_of(
        k, np.full(len(pos), AIRCRAFT), ok, pip, launcher, [ELEV], FRAME.radius_m
    )
    pk_drone = planning.pk_of(
        k, np.full(len(pos), DRONE), ok, pip, launcher, [ELEV], FRAME.radius_m
    )
    v_arr, _ = arrival_state(planning.flyout[k], launcher, [ELEV], pip, ok, FRAME.radius_m)
    p = pk_air[0, reach]
    # Centre: the round arrives faster than endgame_speed_mps, Pk = catalog pk_planning.
    centre = v_arr[0, reach] >= entry.endgame_speed_mps
    assert centre.sum() >= 3
    np.testing.assert_array_equal(p[centre], entry.pk_planning["aircraft"])
    # Toward the edge (the intercept later and further out) it falls, never rises.
    order = np.argsort(t[0, reach])
    assert np.all(np.diff(p[order]) <= 1e-12)
    edge = p[order][-1]
    assert edge < 0.35 * entry.pk_planning["aircraft"]
    v_edge = (1.0 + RESERVE) * entry.min_speed_mps
    expect = entry.pk_planning["aircraft"] * (
        entry.pk_edge_fraction["aircraft"]
        + (1 - entry.pk_edge_fraction["aircraft"])
        * np.clip((v_arr[0, reach] - v_edge) / (entry.endgame_speed_mps - v_edge), 0, 1)
    )
    np.testing.assert_allclose(p, expect)
    # Drones: samsim's end-game kills them as well at the edge (pk_edge_fraction 1).
    np.testing.assert_array_equal(pk_drone[0, reach], entry.pk_planning["drone"])
    assert np.all(pk_air[~ok] == 0.0)


def _launchers(catalog, positions):
    return make_launchers(
        list(catalog.interceptors), [{"amraam": 6}] * len(positions), positions, ELEV
    )


# Two fighters flying south at 6 km and two launchers 10 km apart: the near fighter is
# inside both launchers' no-escape zone, the far one only inside the front launcher's.
LAUNCHERS = [[0.0, 0.0, 2.0], [0.0, -10_000.0, 2.0]]
FIGHTERS = [[0.0, 10_000.0, 6_000.0], [3_000.0, 18_000.0, 6_000.0]]


def test_constructed_instance_where_the_optimal_assignment_beats_greedy(catalog, planning):
    k = planning.names.index("amraam")
    launchers = np.array(LAUNCHERS)
    pos = np.array(FIGHTERS)
    vel = np.tile([0.0, -250.0, 0.0], (2, 1))
    ok, _, pip = _solve(planning, k, launchers, pos, vel)
    pk = planning.pk_of(
        k, np.full(2, AIRCRAFT), ok, pip, launchers, np.full(2, ELEV), FRAME.radius_m
    )
    value = np.ones(2)
    greedy = greedy_wta(pk, value)
    best = solve_wta(pk, value)
    # Greedy gives the front launcher the near fighter (its best Pk) and leaves the far
    # one to the rear launcher, at the edge of its envelope; the optimum swaps them.
    assert greedy.tolist() == [0, 1]
    assert best.tolist() == [1, 0]
    assert surviving_value(pk, value, best) < surviving_value(pk, value, greedy) - 0.2


def _fdc_with_fighters(catalog):
    tracks = TrackTable.empty(4)
    rows = tracks.allocate(len(FIGHTERS))
    for row, p in zip(rows, FIGHTERS, strict=True):
        tracks.status[row] = CONFIRMED
        tracks.x[row] = [*p, 0.0, -250.0, 0.0]
        tracks.P[row] = np.eye(6) * 100.0
        tracks.time_s[row] = 20.0
        tracks.born_s[row] = 0.0
        tracks.interrogations[row] = 3
    return Fdc(
        name="fdc",
        params=catalog.fdcs["nasams_fdc"],
        radar_idx=np.array([0]),
        launcher_idx=np.arange(len(LAUNCHERS)),
        tracks=tracks,
    )


@pytest.mark.parametrize("assignment", ["optimal", "greedy"])
def test_fdc_decides_with_the_geometry_pk(catalog, planning, assignment):
    doctrine = Doctrine(
        assignment=assignment, engagement_priority="value", shots_per_target={"aircraft": 1}
    )
    fdc = _fdc_with_fighters(catalog)
    args = (
        FRAME,
        20.0,
        _launchers(catalog, LAUNCHERS),
        planning,
        np.zeros((1, 3)),
        np.array([5_000.0]),
        np.array([100.0]),
        doctrine,
        "free",
    )
    shots = decide(fdc, *args).shots
    again = decide(_fdc_with_fighters(catalog), *args).shots
    assert [(s.launcher_idx, s.track_row, s.pk) for s in shots] == [
        (s.launcher_idx, s.track_row, s.pk) for s in again
    ]
    assert len(shots) == 2
    by_launcher = {s.launcher_idx: s.track_row for s in shots}
    survive = sum(1.0 - s.pk for s in shots)
    if assignment == "optimal":
        assert by_launcher == {0: 1, 1: 0}
        assert survive < 0.7
    else:
        assert by_launcher == {0: 0, 1: 1}
        assert survive > 0.9
    assert all(0.0 < s.pk <= catalog.interceptors["amraam"].pk_planning["aircraft"] for s in shots)
