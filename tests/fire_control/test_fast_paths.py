"""The decision cycle's fast paths give what the plain computation gives.

- ``evaluate_threats`` (compiled) equals, bit for bit, the array expressions it
  replaced, kept here as the reference.
- The reach pre-filter (``envelope.may_intercept``, ``PlanningTable.may_reach``)
  never drops a launcher-target pair that launch acceptability accepts, on random
  geometries around the envelope's edges, and ``decide`` gives the same launch
  orders with and without it.
"""

import copy
from dataclasses import replace

import numpy as np
import pytest

from samsim.fire_control import Engagement, Fdc, PlanningTable, decide
from samsim.fire_control import fdc as fdc_mod
from samsim.fire_control.engagement import launch_acceptability
from samsim.fire_control.evaluate import HORIZON_S, THREAT_MARGIN_M, evaluate_threats
from samsim.fire_control.identify import (
    CIVIL_ID,
    FRIEND_ID,
    HOSTILE,
    PENDING,
    SUSPECT,
    SUSPECT_RANGE_M,
    UNKNOWN,
    classify,
    identify,
)
from samsim.geo import LocalFrame
from samsim.interceptors.envelope import may_intercept, planning_flyout
from samsim.scenario import Doctrine
from samsim.threats.state import CATEGORY_CODE
from samsim.tracking import CONFIRMED, TrackTable

from .builders import make_launchers

FRAME = LocalFrame.at(25.0, 121.0)


def _threats_reference(pos, vel, a_pos, a_radius, a_value):
    """``evaluate_threats`` as array expressions (before it was compiled)."""
    k = len(pos)
    d = a_pos[None, :, :2] - pos[:, None, :2]
    v = vel[:, None, :2]
    v2 = np.maximum(np.sum(v * v, axis=2), 1e-6)
    t_cpa = np.sum(d * v, axis=2) / v2
    miss = np.linalg.norm(d - v * t_cpa[..., None], axis=2)
    dist = np.linalg.norm(d, axis=2)
    inside = dist <= a_radius[None, :]
    threat = (
        (t_cpa > 0) & (t_cpa < HORIZON_S) & (miss <= a_radius[None, :] + THREAT_MARGIN_M)
    ) | inside
    t_cpa = np.where(inside, 0.0, t_cpa)
    score = np.where(threat, a_value[None, :] * 1e6 - t_cpa, -np.inf)
    best = np.argmax(score, axis=1)
    any_threat = threat.any(axis=1)
    closing = (t_cpa > 0) & (np.sum(d * v, axis=2) > 0)
    return (
        np.where(any_threat, best, -1),
        np.where(any_threat, t_cpa[np.arange(k), best], np.inf),
        np.where(any_threat, a_value[best], 0.0),
        np.where(threat, t_cpa, np.inf),
        np.min(np.where(closing, dist, np.inf), axis=1),
    )


@pytest.mark.parametrize("seed", range(5))
def test_compiled_threat_evaluation_equals_the_array_expressions(seed):
    rng = np.random.default_rng(seed)
    k, n_a = 300, 6
    a_pos = rng.uniform(-30_000, 30_000, (n_a, 3))
    a_radius = rng.uniform(500, 3000, n_a)
    a_value = rng.choice([50.0, 80.0, 100.0], n_a)  # ties of value: the soonest wins
    pos = rng.uniform(-120_000, 120_000, (k, 3))
    pos[:10, :2] = a_pos[rng.integers(n_a, size=10), :2] + 100.0  # inside an asset
    vel = rng.normal(0, 200, (k, 3))
    # Aimed at assets, still, and crawling (|v|^2 below the 1e-6 floor).
    aim = a_pos[rng.integers(n_a, size=k), :2] - pos[:, :2]
    vel[10:150, :2] = aim[10:150] / np.linalg.norm(aim[10:150], axis=1)[:, None] * 150.0
    vel[150:155] = 0.0
    vel[155:160, :2] = 1e-5
    got = evaluate_threats(pos, vel, a_pos, a_radius, a_value)
    ref = _threats_reference(pos, vel, a_pos, a_radius, a_value)
    assert (got.asset_idx >= 0).sum() > 100
    for g, r in zip(
        (got.asset_idx, got.time_to_asset_s, got.value, got.time_by_asset_s, got.closing_m),
        ref,
        strict=True,
    ):
        np.testing.assert_array_equal(g, r)


def _identify_reference(
    current, interrogations, civil, friend, window, inbound, speed, closing, committed
):
    """``identify`` as array expressions (before it was compiled)."""
    ident = current.copy()
    silent = (civil == 0) & (friend == 0)
    ident[(ident == PENDING) & silent & (interrogations >= window)] = UNKNOWN
    if closing is not None:
        ident[(ident == UNKNOWN) & (closing | inbound)] = SUSPECT
    hostile_act = (inbound if committed is None else committed) | (speed > 350.0)
    ident[((ident == UNKNOWN) | (ident == SUSPECT)) & hostile_act] = HOSTILE
    ident[civil > 0] = CIVIL_ID
    ident[friend > 0] = FRIEND_ID
    return ident


def _classify_reference(speed, alt):
    cat = np.full(len(speed), CATEGORY_CODE["aircraft"], dtype=np.int8)
    cat[(speed >= 90.0) & (alt < 1500.0)] = CATEGORY_CODE["cruise_missile"]
    cat[speed < 90.0] = CATEGORY_CODE["drone"]
    cat[(speed > 1200.0) | (alt > 25_000.0)] = CATEGORY_CODE["ballistic"]
    return cat


@pytest.mark.parametrize("seed", range(3))
def test_compiled_identification_and_classification_equal_the_array_expressions(seed):
    rng = np.random.default_rng(seed)
    k = 500
    current = rng.integers(0, 6, k).astype(np.int8)
    interrogations = rng.integers(0, 5, k).astype(np.int16)
    civil = (rng.uniform(size=k) < 0.1) * rng.integers(1, 3, k)
    friend = (rng.uniform(size=k) < 0.1) * rng.integers(1, 3, k)
    inbound = rng.uniform(size=k) < 0.5
    closing = rng.uniform(size=k) < 0.5
    committed = inbound & (rng.uniform(size=k) < 0.5)
    speed = rng.choice([30.0, 89.999, 90.0, 200.0, 350.0, 350.001, 1200.0, 1500.0], k)
    alt = rng.choice([100.0, 1499.9, 1500.0, 9000.0, 25_000.0, 25_000.1], k)
    iff = (current, interrogations, civil, friend, 3, inbound, speed)
    for closing_, committed_ in ((None, None), (closing, None), (closing, committed)):
        got = identify(*iff, closing_, committed_)
        assert got.dtype == current.dtype
        np.testing.assert_array_equal(got, _identify_reference(*iff, closing_, committed_))
    assert len(set(got.tolist())) == 6  # every state occurs
    np.testing.assert_array_equal(classify(speed, alt), _classify_reference(speed, alt))


def _view_reference(tracks, frame, now_s, a_pos, a_radius, a_value, doctrine, window):
    """``view_picture`` as the composition of its public parts (before it was fused)."""
    rows = tracks.confirmed()
    pos = tracks.position_at(rows, now_s)
    vel = tracks.x[rows, 3:]
    speed = np.linalg.norm(vel, axis=1)
    alt = frame.altitude_m(pos) if rows.size else np.zeros(0)
    threat = evaluate_threats(pos, vel, a_pos, a_radius, a_value)
    old = tracks.ident[rows].copy()
    tracks.ident[rows] = identify(
        old,
        tracks.interrogations[rows],
        tracks.civil_replies[rows],
        tracks.friend_replies[rows],
        window,
        threat.inbound,
        speed,
        threat.closing_m <= SUSPECT_RANGE_M,
        threat.inbound & (threat.time_to_asset_s <= doctrine.hostile_time_s),
    )
    ident = tracks.ident[rows]
    return rows, pos, vel, threat, ident, rows[ident != old], classify(speed, alt)


@pytest.mark.parametrize("n_assets", [0, 1, 5])
def test_fused_view_equals_its_parts(n_assets):
    rng = np.random.default_rng(n_assets)
    doctrine = Doctrine(hostile_time_s=200.0)
    a_pos = rng.uniform(-20_000, 20_000, (n_assets, 3))
    a_radius = rng.uniform(500, 3000, n_assets)
    a_value = rng.uniform(10, 100, n_assets)
    for _ in range(5):
        tracks = _picture(rng, 60, np.zeros(3))
        tracks.status[rng.choice(60, 10, replace=False)] = 1  # some tentative
        tracks.ident[:] = rng.integers(0, 6, 60)
        tracks.interrogations[:] = rng.integers(0, 5, 60)
        tracks.civil_replies[:] = rng.uniform(size=60) < 0.1
        tracks.friend_replies[:] = rng.uniform(size=60) < 0.1
        twin = copy.deepcopy(tracks)
        args = (FRAME, 21.0, a_pos, a_radius, a_value, doctrine, 3)
        view = fdc_mod.view_picture(tracks, *args)
        ref = _view_reference(twin, *args)
        got = (view.rows, view.pos, view.vel, view.threat, view.ident, view.changed)
        for g, r in zip(got[:3], ref[:3], strict=True):
            np.testing.assert_array_equal(g, r)
        for f in ("asset_idx", "time_to_asset_s", "value", "time_by_asset_s", "closing_m"):
            np.testing.assert_array_equal(getattr(view.threat, f), getattr(ref[3], f))
        np.testing.assert_array_equal(view.ident, ref[4])
        np.testing.assert_array_equal(view.changed, ref[5])
        np.testing.assert_array_equal(view.categories, ref[6])
        np.testing.assert_array_equal(tracks.ident, twin.ident)
        assert view.changed.size > 0


def _planning(catalog, launchers):
    return replace(
        PlanningTable.from_catalog(catalog.interceptors),
        flyout=planning_flyout(
            catalog.interceptors, launchers.loadout, launchers.launch_elevation_rad
        ),
    )


def _random_targets(rng, centre, n, reach_m):
    """Targets around ``centre`` out to twice ``reach_m``, low to very high, slow to
    fast, half of them flying at the launcher (many intercepts near the edges)."""
    ang = rng.uniform(0, 2 * np.pi, n)
    rng_m = rng.uniform(0, 1, n) ** 0.7 * 2.0 * reach_m
    pos = centre + np.stack([rng_m * np.sin(ang), rng_m * np.cos(ang), np.zeros(n)], axis=1)
    pos[:, 2] = rng.uniform(0, 1, n) ** 2 * 35_000 - (pos[:, 0] ** 2 + pos[:, 1] ** 2) / (
        2 * FRAME.radius_m
    )
    d = rng.normal(size=(n, 3))
    d[:, 2] *= 0.2
    speed = rng.uniform(0, 1, n) ** 2 * 1500.0
    vel = d / np.linalg.norm(d, axis=1)[:, None] * speed[:, None]
    at = rng.uniform(size=n) < 0.5
    tow = centre - pos
    tow /= np.linalg.norm(tow, axis=1)[:, None]
    vel[at] = tow[at] * speed[at, None]
    t_asset = np.where(rng.uniform(size=n) < 0.8, rng.uniform(0, 250, n), np.inf)
    return pos, vel, t_asset


def test_reach_prefilter_never_drops_an_acceptable_launch(catalog):
    names = tuple(catalog.interceptors)
    loadouts = [{n: 2} for n in names if n in ("amraam", "amraam_er", "aim9x")]
    pos_l = np.array([[0.0, 0.0, 2.0], [15_000.0, -8000.0, 40.0], [-9000.0, 12_000.0, 300.0]])
    launchers = make_launchers(names, loadouts, pos_l[: len(loadouts)], np.radians(30.0))
    planning = _planning(catalog, launchers)
    rng = np.random.default_rng(7)
    accepted = passed = 0
    for k, fs in enumerate(planning.flyout):
        if fs is None:
            continue
        reach_m = float(planning.max_range_m[k])
        for _ in range(20):
            pos, vel, t_asset = _random_targets(
                rng, pos_l[rng.integers(len(loadouts))], 400, reach_m
            )
            ok, _, _ = launch_acceptability(
                launchers.pos_enu_m,
                pos,
                vel,
                FRAME.altitude_m,
                mean_speed_mps=0.0,
                min_range_m=0.0,
                max_range_m=0.0,
                max_altitude_m=0.0,
                max_target_speed_mps=0.0,
                max_flight_s=0.0,
                time_to_asset_s=t_asset,
                flyout=fs,
                launch_elevation_rad=launchers.launch_elevation_rad,
                radius_m=FRAME.radius_m,
            )
            may = may_intercept(fs, launchers.pos_enu_m, pos, vel, t_asset, FRAME.radius_m)
            assert not (ok & ~may).any(), np.argwhere(ok & ~may)
            accepted += ok.sum()
            passed += may.sum()
    # The test means something: many acceptable launches, and a filter that drops most
    # of the pairs that are not.
    assert accepted > 2000
    assert passed < 0.3 * 3 * 400 * 20 * len(loadouts)


def test_straight_line_prefilter_never_drops_an_acceptable_launch(catalog):
    planning = PlanningTable.from_catalog(catalog.interceptors)  # no fly-out tables
    launchers = make_launchers(planning.names, [{"amraam": 6}] * 3)
    rng = np.random.default_rng(3)
    accepted = 0
    for k in range(len(planning.names)):
        pos, vel, t_asset = _random_targets(
            rng, np.array([0.0, 0.0, 2.0]), 2000, float(planning.max_range_m[k])
        )
        ok, _, _ = planning.acceptability(k, FRAME, launchers, np.arange(3), pos, vel, t_asset)
        may = planning.may_reach(k, launchers.pos_enu_m, pos, vel, t_asset, FRAME.radius_m)
        assert not (ok.any(axis=0) & ~may).any()
        accepted += ok.any(axis=0).sum()
    assert accepted > 200


def _picture(rng, n, centre):
    tracks = TrackTable.empty(n)
    rows = tracks.allocate(n)
    tracks.status[rows] = CONFIRMED
    pos, vel, _ = _random_targets(rng, centre, n, 25_000.0)
    tracks.x[rows, :3] = pos
    tracks.x[rows, 3:] = vel
    tracks.time_s[rows] = 20.0
    tracks.born_s[rows] = 0.0
    tracks.interrogations[rows] = 3
    return tracks


DOCTRINES = [
    Doctrine(),
    Doctrine(shot_doctrine="shoot_look_shoot", reengage=False, engagement_priority="value"),
    Doctrine(shot_doctrine="adaptive", magazine_reserve={"drone": 9}, assignment="greedy"),
]


def _orders(res):
    return [
        (s.launcher_idx, s.type_idx, s.track_id, s.time_to_intercept_s, s.pk, s.look)
        for s in res.shots
    ]


@pytest.mark.parametrize("flyout", [True, False])
@pytest.mark.parametrize("doctrine", range(len(DOCTRINES)))
def test_decide_gives_the_same_orders_without_the_prefilter(catalog, monkeypatch, flyout, doctrine):
    names = tuple(catalog.interceptors)
    loadouts = [{"amraam": 3, "aim9x": 1}, {"amraam_er": 4}, {"amraam": 2}]
    pos_l = np.array([[0.0, 0.0, 2.0], [6000.0, 3000.0, 2.0], [-5000.0, 4000.0, 2.0]])
    rng = np.random.default_rng(11)
    n_shots = 0
    for trial in range(20):
        launchers = make_launchers(names, loadouts, pos_l)
        planning = (
            _planning(catalog, launchers)
            if flyout
            else PlanningTable.from_catalog(catalog.interceptors)
        )
        assets = rng.uniform(-8000, 8000, (3, 3))
        assets[:, 2] = 0.0
        args = (FRAME, 20.0, launchers, planning, assets, np.full(3, 2000.0))
        rest = (np.array([100.0, 80.0, 60.0]), DOCTRINES[doctrine], "free")
        results = []
        for use_filter in (True, False):
            track_rng = np.random.default_rng(trial)
            tracks = _picture(track_rng, 40, np.zeros(3))
            fdc = Fdc("fdc", catalog.fdcs["nasams_fdc"], np.array([0]), np.arange(3), tracks)
            # Some tracks engaged already: rounds in flight, an assessment pending, or
            # assessed and seen alive since (shoot-look-shoot's next shot); some engaged
            # by another fire unit.
            for row in track_rng.choice(40, 12, replace=False):
                state = track_rng.integers(3)
                fdc.engagements[int(tracks.track_id[row])] = Engagement(
                    in_flight=int(state == 0),
                    salvo_fired=1,
                    total_fired=1,
                    last_end_s=-np.inf if state == 0 else 10.0,
                    salvos=1,
                    assessed=bool(state == 2),
                    survived=bool(state == 2),
                )
            elsewhere = {int(tracks.track_id[r]): 1 for r in track_rng.choice(40, 5)}
            with monkeypatch.context() as m:
                if not use_filter:
                    m.setattr(
                        fdc_mod,
                        "_cycle_reach",
                        lambda fdc, now, ln, planning, *a: np.ones(
                            (len(planning.names), fdc.tracks.confirmed().size), dtype=bool
                        ),
                    )
                    m.setattr(
                        PlanningTable,
                        "reach_mask",
                        lambda self, lp, rounds, pos, *a: np.ones(
                            (len(self.names), len(pos)), dtype=bool
                        ),
                    )
                res = decide(fdc, *args, *rest, elsewhere)
            results.append(res)
        a, b = results
        assert _orders(a) == _orders(b)
        np.testing.assert_array_equal(a.ident_changed, b.ident_changed)
        n_shots += len(a.shots)
    assert n_shots > 20
