"""Doctrine and rules of engagement in one FDC decision cycle, on hand-made pictures."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samsim.fire_control import Engagement, Fdc, Launchers, PlanningTable, decide
from samsim.fire_control.evaluate import evaluate_threats, rank_threats, threat_scores
from samsim.fire_control.fdc import assess_kills, held_by_others
from samsim.fire_control.identify import (
    CIVIL_ID,
    FRIEND_ID,
    HOSTILE,
    ID_NAMES,
    PENDING,
    SUSPECT,
    UNKNOWN,
    identify,
    may_engage,
)
from samsim.geo import LocalFrame
from samsim.scenario import Doctrine
from samsim.tracking import CONFIRMED, TrackTable

from .builders import make_launchers

FRAME = LocalFrame.at(25.0, 121.0)
ASSET_POS = np.zeros((1, 3))
ASSET_RADIUS = np.array([2000.0])
ASSET_VALUE = np.array([100.0])
NOW_S = 20.0


@pytest.fixture(scope="module")
def planning(catalog):
    return PlanningTable.from_catalog(catalog.interceptors)


def _launchers(planning, loadouts: list[dict[str, int]]) -> Launchers:
    return make_launchers(planning.names, loadouts)


def _picture(objects: list[tuple], civil=None, friend=None) -> TrackTable:
    """Confirmed tracks at ``NOW_S`` from (pos, vel) pairs; IFF window passed."""
    tracks = TrackTable.empty(max(4, len(objects)))
    rows = tracks.allocate(len(objects))
    for i, (row, (pos, vel)) in enumerate(zip(rows, objects, strict=True)):
        tracks.status[row] = CONFIRMED
        tracks.x[row] = [*pos, *vel]
        tracks.P[row] = np.eye(6) * 100.0
        tracks.time_s[row] = NOW_S
        tracks.born_s[row] = 0.0
        tracks.interrogations[row] = 3
        tracks.civil_replies[row] = 0 if civil is None else civil[i]
        tracks.friend_replies[row] = 0 if friend is None else friend[i]
    return tracks


def _fdc(catalog, tracks, launcher_idx, name="fdc") -> Fdc:
    return Fdc(
        name=name,
        params=catalog.fdcs["nasams_fdc"],
        radar_idx=np.array([0]),
        launcher_idx=np.asarray(launcher_idx),
        tracks=tracks,
    )


def _decide(fdc, launchers, planning, doctrine=None, status="free", now_s=NOW_S, elsewhere=None):
    return decide(
        fdc,
        FRAME,
        now_s,
        launchers,
        planning,
        ASSET_POS,
        ASSET_RADIUS,
        ASSET_VALUE,
        doctrine or Doctrine(),
        status,
        elsewhere,
    )


DRONE = ((0.0, 20_000.0, 800.0), (0.0, -50.0, 0.0))
CLOSE_DRONE = ((0.0, 6_000.0, 500.0), (0.0, -50.0, 0.0))
FAR_DRONE = ((0.0, 42_000.0, 3000.0), (0.0, -50.0, 0.0))


# -- rules of engagement ---------------------------------------------------------------

ROE = {
    # status: identification states it allows
    "hold": set(),
    "tight": {"hostile"},
    "free": {"hostile", "suspect", "unknown"},
}


@pytest.mark.parametrize("status", sorted(ROE))
@pytest.mark.parametrize("ident", ID_NAMES)
def test_what_each_weapons_status_allows_for_each_identification(status, ident):
    code = np.array([ID_NAMES.index(ident)], np.int8)
    assert bool(may_engage(code, status)[0]) == (ident in ROE[status])


def test_silent_track_closing_on_an_asset_is_suspect_then_hostile_when_inbound():
    ident = np.array([UNKNOWN, UNKNOWN, PENDING, SUSPECT], np.int8)
    zeros = np.zeros(4)
    out = identify(
        ident,
        np.array([3, 3, 2, 3]),
        zeros,
        zeros,
        3,
        inbound=np.array([False, True, False, False]),
        speed_mps=np.full(4, 100.0),
        closing=np.array([True, True, True, False]),
    )
    # closing only -> suspect; inbound -> hostile; inside the IFF reply window -> still
    # pending whatever it does; suspect is sticky
    assert [ID_NAMES[i] for i in out] == ["suspect", "hostile", "pending", "suspect"]


def test_an_iff_reply_overrides_a_hostile_identification():
    out = identify(
        np.array([HOSTILE, SUSPECT], np.int8),
        np.full(2, 5),
        np.array([1, 0]),
        np.array([0, 1]),
        3,
        inbound=np.ones(2, bool),
        speed_mps=np.full(2, 500.0),
    )
    assert out.tolist() == [CIVIL_ID, FRIEND_ID]


@pytest.mark.parametrize(
    ("status", "hostile_time_s", "ident", "shots"),
    [
        ("free", 300.0, "suspect", 1),  # 400 s out: suspect, and free engages suspects
        ("tight", 300.0, "suspect", 0),  # tight waits for a hostile identification
        ("tight", 600.0, "hostile", 1),  # committed within the hostile time: hostile
    ],
)
def test_inbound_drone_far_out_is_suspect_and_engaged_only_when_free(
    catalog, planning, status, hostile_time_s, ident, shots
):
    tracks = _picture([DRONE])  # 20 km out at 50 m/s: 400 s from the asset
    fdc = _fdc(catalog, tracks, [0, 1])
    launchers = _launchers(planning, [{"amraam": 6}, {"amraam": 6}])
    doctrine = Doctrine(hostile_time_s=hostile_time_s)
    res = _decide(fdc, launchers, planning, doctrine, status=status)
    assert ID_NAMES[tracks.ident[0]] == ident
    assert len(res.shots) == shots


# -- threat evaluation ---------------------------------------------------------------


def test_time_to_each_asset_is_the_straight_line_closest_approach():
    assets = np.array([[0.0, 0.0, 0.0], [50_000.0, 0.0, 0.0]])
    a = evaluate_threats(
        np.array([[0.0, 20_000.0, 800.0]]),
        np.array([[0.0, -50.0, 0.0]]),
        assets,
        np.array([1000.0, 1000.0]),
        np.array([10.0, 90.0]),
    )
    assert a.time_by_asset_s[0, 0] == pytest.approx(400.0)
    assert np.isinf(a.time_by_asset_s[0, 1])  # passes 50 km west of the second asset
    assert a.asset_idx[0] == 0 and a.value[0] == 10.0


def test_threat_score_is_value_weight_confidence_and_urgency():
    t = np.array([[60.0, np.inf], [0.0, 120.0]])
    s = threat_scores(t, np.array([100.0, 80.0]), np.array([1.0, 0.5]), np.array([1.0, 0.6]), 60.0)
    # track 0: 100 / (1 + 1) = 50; track 1: max(100 * 1, 80 / 3) * 0.5 * 0.6 = 30
    np.testing.assert_allclose(s, [50.0, 30.0])


def test_threats_rank_by_time_value_type_and_confidence():
    rng = np.random.default_rng(4)
    t = rng.uniform(0.0, 600.0, (50, 3))
    t[rng.random((50, 3)) < 0.3] = np.inf
    value = np.array([100.0, 60.0, 30.0])
    weight = rng.uniform(0.2, 1.0, 50)
    conf = rng.choice([0.3, 0.6, 1.0], 50)
    s = threat_scores(t, value, weight, conf, 90.0)
    loop = [
        max((value[a] / (1 + t[i, a] / 90.0) for a in range(3) if np.isfinite(t[i, a])), default=0)
        * weight[i]
        * conf[i]
        for i in range(50)
    ]
    np.testing.assert_allclose(s, loop)
    order = rank_threats(s)
    assert np.all(np.diff(s[order]) <= 0)
    # the same track, sooner / more confident / more lethal, ranks higher
    base = threat_scores(np.array([[300.0]]), np.array([100.0]), np.ones(1), np.ones(1), 60.0)
    assert (
        threat_scores(np.array([[100.0]]), np.array([100.0]), np.ones(1), np.ones(1), 60.0) > base
    )
    assert threat_scores(np.array([[300.0]]), np.array([100.0]), np.ones(1), [0.6], 60.0) < base
    assert threat_scores(np.array([[300.0]]), np.array([100.0]), [0.5], np.ones(1), 60.0) < base


def test_the_most_urgent_threat_gets_the_only_ready_launcher(catalog, planning):
    near = ((0.0, 12_000.0, 800.0), (0.0, -50.0, 0.0))
    tracks = _picture([DRONE, near])
    fdc = _fdc(catalog, tracks, [0])
    res = _decide(fdc, _launchers(planning, [{"amraam": 6}]), planning)
    assert [s.track_row for s in res.shots] == [1]


# -- shot doctrine and kill assessment --------------------------------------------------


def test_shoot_look_shoot_fires_the_second_round_only_after_the_kill_assessment(catalog, planning):
    doctrine = Doctrine(shots_per_target={"drone": 2}, shot_doctrine="shoot_look_shoot")
    tracks = _picture([DRONE])
    fdc = _fdc(catalog, tracks, [0, 1])
    launchers = _launchers(planning, [{"amraam": 6}, {"amraam": 6}])
    tid = int(tracks.track_id[0])
    first = _decide(fdc, launchers, planning, doctrine)
    assert len(first.shots) == 1  # shoot-shoot would fire both rounds now
    fdc.engagements[tid] = Engagement(
        in_flight=1, salvo_fired=1, total_fired=1, salvos=1, assessed=False
    )
    assert _decide(fdc, launchers, planning, doctrine, now_s=NOW_S + 5).shots == []
    # the round ends at 40 s; the radar sees the drone again at 42 s
    eng = fdc.engagements[tid]
    eng.in_flight, eng.last_end_s = 0, 40.0
    tracks.time_s[0] = 42.0
    ka_s = catalog.fdcs["nasams_fdc"].kill_assessment_s
    assert assess_kills(fdc, 40.0 + ka_s - 0.1) == []
    assert _decide(fdc, launchers, planning, doctrine, now_s=40.0 + ka_s - 0.1).shots == []
    assert assess_kills(fdc, 40.0 + ka_s) == [(tid, True)]
    second = _decide(fdc, launchers, planning, doctrine, now_s=40.0 + ka_s)
    assert len(second.shots) == 1
    # after two looks, no more rounds unless re-engagement is allowed
    eng.salvos = 2
    no_more = doctrine.model_copy(update={"reengage": False})
    assert _decide(fdc, launchers, planning, no_more, now_s=40.0 + ka_s).shots == []
    assert len(_decide(fdc, launchers, planning, doctrine, now_s=40.0 + ka_s).shots) == 1


def test_kill_assessment_of_a_track_not_seen_since_the_round_ended_is_a_kill(catalog):
    tracks = _picture([DRONE])
    fdc = _fdc(catalog, tracks, [0])
    tid = int(tracks.track_id[0])
    fdc.engagements[tid] = Engagement(total_fired=1, salvos=1, last_end_s=30.0, assessed=False)
    tracks.time_s[0] = 29.0  # last seen before the round ended
    assert assess_kills(fdc, 40.0) == [(tid, False)]
    assert assess_kills(fdc, 41.0) == []  # assessed once


def test_shots_per_target_follow_the_threat_category(catalog, planning):
    doctrine = Doctrine(shots_per_target={"drone": 3, "cruise_missile": 1})
    launchers = _launchers(planning, [{"amraam": 6}] * 4)
    fdc = _fdc(catalog, _picture([DRONE]), [0, 1, 2, 3])
    assert len(_decide(fdc, launchers, planning, doctrine).shots) == 3


# -- interceptor choice and magazine ------------------------------------------------------


@pytest.mark.parametrize(
    ("drone", "choice", "expected"),
    [
        (CLOSE_DRONE, "cost_effective", "aim9x"),
        (CLOSE_DRONE, "best_pk", "amraam_er"),
        (FAR_DRONE, "cost_effective", "amraam_er"),
    ],
)
def test_interceptor_type_by_cost_and_pk(catalog, planning, drone, choice, expected):
    launchers = _launchers(planning, [{"aim9x": 2, "amraam_er": 4}])
    fdc = _fdc(catalog, _picture([drone]), [0])
    res = _decide(fdc, launchers, planning, Doctrine(interceptor_choice=choice))
    assert [planning.names[s.type_idx] for s in res.shots] == [expected]


def test_magazine_reserve_keeps_the_last_rounds_for_other_threats(catalog, planning):
    cm = ((0.0, 20_000.0, 30.0), (0.0, -250.0, 0.0))
    launchers = _launchers(planning, [{"amraam": 3}, {"amraam": 3}])
    doctrine = Doctrine(magazine_reserve={"drone": 6})
    assert (
        _decide(_fdc(catalog, _picture([DRONE]), [0, 1]), launchers, planning, doctrine).shots == []
    )
    res = _decide(_fdc(catalog, _picture([cm]), [0, 1]), launchers, planning, doctrine)
    assert len(res.shots) == 2
    launchers.rounds[0, planning.names.index("amraam")] = 6
    res = _decide(_fdc(catalog, _picture([DRONE]), [0, 1]), launchers, planning, doctrine)
    assert len(res.shots) == 1


def test_out_of_envelope_threat_is_not_engaged_by_any_type(catalog, planning):
    launchers = _launchers(planning, [{"aim9x": 2, "amraam": 2, "amraam_er": 2}])
    too_far = ((0.0, 90_000.0, 3000.0), (0.0, -50.0, 0.0))
    too_high = ((0.0, 20_000.0, 30_000.0), (0.0, -200.0, 0.0))
    for obj in (too_far, too_high):
        fdc = _fdc(catalog, _picture([obj]), [0])
        assert _decide(fdc, launchers, planning).shots == []


# -- several FDCs on one picture ---------------------------------------------------------


def test_a_track_engaged_by_one_fire_unit_is_left_to_it_by_the_others(catalog, planning):
    tracks = _picture([DRONE])
    launchers = _launchers(planning, [{"amraam": 6}, {"amraam": 6}])
    fdcs = [_fdc(catalog, tracks, [0], "a"), _fdc(catalog, tracks, [1], "b")]
    res_a = _decide(fdcs[0], launchers, planning, elsewhere=held_by_others(fdcs, 0))
    assert len(res_a.shots) == 1
    tid = int(tracks.track_id[0])
    fdcs[0].engagements[tid] = Engagement(
        in_flight=1, salvo_fired=1, total_fired=1, salvos=1, assessed=False
    )
    assert held_by_others(fdcs, 1) == {tid: 1}
    assert _decide(fdcs[1], launchers, planning, elsewhere=held_by_others(fdcs, 1)).shots == []
    two = Doctrine(fire_units_per_target=2)
    res_b = _decide(fdcs[1], launchers, planning, two, elsewhere=held_by_others(fdcs, 1))
    assert len(res_b.shots) == 1
    # once the first unit's kill assessment finds the drone alive, anyone may engage it
    eng = fdcs[0].engagements[tid]
    eng.in_flight, eng.last_end_s, eng.assessed = 0, 15.0, True
    assert held_by_others(fdcs, 1) == {}


# -- property: never civil or friendly, whatever the traffic -------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    status=st.sampled_from(["free", "tight", "hold"]),
)
def test_random_traffic_never_engages_civil_or_friendly_tracks(catalog, planning, n, seed, status):
    rng = np.random.default_rng(seed)
    r = rng.uniform(3_000.0, 45_000.0, n)
    bearing = rng.uniform(0.0, 2 * np.pi, n)
    pos = np.stack([r * np.sin(bearing), r * np.cos(bearing), rng.uniform(30, 9000, n)], 1)
    # headings: half straight at the asset, half random; speeds from drone to jet
    heading = np.where(rng.random(n) < 0.5, bearing + np.pi, rng.uniform(0, 2 * np.pi, n))
    speed = rng.uniform(40.0, 600.0, n)
    vel = np.stack([speed * np.sin(heading), speed * np.cos(heading), np.zeros(n)], 1)
    kind = rng.integers(0, 3, n)  # 0 hostile, 1 civil, 2 friend
    civil = (kind == 1).astype(int) * rng.integers(1, 4, n)
    friend = (kind == 2).astype(int) * rng.integers(1, 4, n)
    tracks = _picture(list(zip(pos, vel, strict=True)), civil, friend)
    tracks.ident[:n] = rng.choice([PENDING, UNKNOWN, SUSPECT, HOSTILE], n)
    launchers = _launchers(planning, [{"amraam": 4, "aim9x": 2}, {"amraam_er": 6}] * 2)
    fdc = _fdc(catalog, tracks, [0, 1, 2, 3])
    res = _decide(fdc, launchers, planning, status=status)
    rows = [s.track_row for s in res.shots]
    assert all(kind[r] == 0 for r in rows)
    assert all(tracks.ident[r] in (CIVIL_ID, FRIEND_ID) for r in np.flatnonzero(kind))
    if status == "hold":
        assert rows == []
    if status == "tight":
        assert all(tracks.ident[r] == HOSTILE for r in rows)


def test_categories_left_out_of_shots_per_target_keep_their_defaults():
    doctrine = Doctrine(shots_per_target={"drone": 3})
    assert doctrine.shots_per_target["drone"] == 3
    assert (
        doctrine.shots_per_target["cruise_missile"]
        == Doctrine().shots_per_target["cruise_missile"]
        > 0
    )
    assert Doctrine(shots_per_target={"aircraft": 0}).shots_per_target["aircraft"] == 0


def test_adaptive_doctrine_looks_when_a_second_engagement_fits_and_salvoes_when_not(
    catalog, planning
):
    """One round then a look far out; the whole salvo when the look would come too late."""
    doctrine = Doctrine(
        shots_per_target={"cruise_missile": 2}, shot_doctrine={"cruise_missile": "adaptive"}
    )
    salvo = doctrine.model_copy(update={"shot_doctrine": {"cruise_missile": "shoot_shoot"}})
    at_asset = [(0.0, 0.0, 2.0), (0.0, 0.0, 2.0)]

    def shots(y_m, d, engagement=None):
        cm = ((0.0, y_m, 30.0), (0.0, -250.0, 0.0))
        launchers = make_launchers(planning.names, [{"amraam": 6}, {"amraam": 6}], at_asset)
        tracks = _picture([cm])
        fdc = _fdc(catalog, tracks, [0, 1])
        if engagement is not None:
            fdc.engagements[int(tracks.track_id[0])] = engagement
        return _decide(fdc, launchers, planning, d).shots

    far = shots(20_000.0, doctrine)
    assert [s.look for s in far] == [True]
    assert len(shots(20_000.0, salvo)) == 2
    # 3 km out: the first round meets it in about 3 s; after the kill assessment the
    # missile is inside the AMRAAM's 1 km minimum range, so both rounds go now.
    near = shots(3_000.0, doctrine)
    assert [s.look for s in near] == [False, False]
    # A salvo under way keeps its choice: no second round behind a look ...
    in_flight = {"in_flight": 1, "salvo_fired": 1, "total_fired": 1, "salvos": 1}
    assert shots(20_000.0, doctrine, Engagement(**in_flight, assessed=False, look=True)) == []
    # ... and the second round of a salvo that started without one.
    assert len(shots(20_000.0, doctrine, Engagement(**in_flight, assessed=False))) == 1
