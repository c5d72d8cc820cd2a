"""One FDC decision cycle on a hand-made air picture."""

import numpy as np
import pytest

from samsim.fire_control import Engagement, Fdc, PlanningTable, decide
from samsim.geo import LocalFrame
from samsim.scenario import Doctrine
from samsim.tracking import CONFIRMED, TrackTable

from .builders import make_launchers

FRAME = LocalFrame.at(25.0, 121.0)
ASSET_POS = np.zeros((1, 3))
ASSET_RADIUS = np.array([2000.0])
ASSET_VALUE = np.array([100.0])


@pytest.fixture
def planning(catalog):
    return PlanningTable.from_catalog(catalog.interceptors)


def _launchers(planning, n=2):
    return make_launchers(planning.names, [{"amraam": 6}] * n)


def _fdc(catalog, pos, vel, *, civil_replies=0, born_s=0.0, n_launchers=2):
    tracks = TrackTable.empty(4)
    (row,) = tracks.allocate(1)
    tracks.status[row] = CONFIRMED
    tracks.x[row] = [*pos, *vel]
    tracks.P[row] = np.eye(6) * 100.0
    tracks.time_s[row] = 20.0
    tracks.born_s[row] = born_s
    tracks.interrogations[row] = 3
    tracks.civil_replies[row] = civil_replies
    return Fdc(
        name="fdc",
        params=catalog.fdcs["nasams_fdc"],
        radar_idx=np.array([0]),
        launcher_idx=np.arange(n_launchers),
        tracks=tracks,
    )


DRONE = ((0.0, 20_000.0, 800.0), (0.0, -50.0, 0.0))
CRUISE_MISSILE = ((0.0, 20_000.0, 30.0), (0.0, -250.0, 0.0))


def _decide(catalog, planning, fdc, status="free", doctrine=None, now_s=20.0):
    return decide(
        fdc,
        FRAME,
        now_s,
        _launchers(planning, len(fdc.launcher_idx)),
        planning,
        ASSET_POS,
        ASSET_RADIUS,
        ASSET_VALUE,
        doctrine or Doctrine(),
        status,
    )


@pytest.mark.parametrize("status", ["free", "tight"])
def test_inbound_silent_drone_gets_one_round(catalog, planning, status):
    fdc = _fdc(catalog, *DRONE)
    # 400 s from the asset: hostile (so engaged under tight) with a 600 s hostile time
    res = _decide(catalog, planning, fdc, status, doctrine=Doctrine(hostile_time_s=600.0))
    assert len(res.shots) == 1
    assert res.shots[0].track_id == fdc.tracks.track_id[0]
    assert planning.names[res.shots[0].type_idx] == "amraam"
    assert res.ident_changed.tolist() == [0]


def test_cruise_missile_gets_the_doctrine_salvo_of_two(catalog, planning):
    res = _decide(catalog, planning, _fdc(catalog, *CRUISE_MISSILE))
    assert len(res.shots) == 2
    assert len({s.launcher_idx for s in res.shots}) == 2


def test_civil_reply_is_never_engaged(catalog, planning):
    for status in ("free", "tight", "hold"):
        res = _decide(catalog, planning, _fdc(catalog, *CRUISE_MISSILE, civil_replies=1), status)
        assert res.shots == []


def test_weapons_hold_engages_nothing(catalog, planning):
    assert _decide(catalog, planning, _fdc(catalog, *CRUISE_MISSILE), "hold").shots == []


def test_no_launch_before_the_detect_to_launch_delay(catalog, planning):
    delay = catalog.fdcs["nasams_fdc"].detect_to_launch_s
    fdc = _fdc(catalog, *DRONE, born_s=20.0 - delay + 1.0)
    assert _decide(catalog, planning, fdc).shots == []


def test_outbound_track_is_not_engaged(catalog, planning):
    pos, _ = DRONE
    assert _decide(catalog, planning, _fdc(catalog, pos, (0.0, 50.0, 0.0))).shots == []


def test_track_out_of_reach_is_not_engaged(catalog, planning):
    far = ((0.0, 70_000.0, 800.0), (0.0, -50.0, 0.0))
    assert _decide(catalog, planning, _fdc(catalog, *far)).shots == []


def test_engaged_track_is_not_fired_at_again_while_rounds_fly(catalog, planning):
    fdc = _fdc(catalog, *CRUISE_MISSILE)
    fdc.engagements[int(fdc.tracks.track_id[0])] = Engagement(
        in_flight=2, salvo_fired=2, total_fired=2
    )
    assert _decide(catalog, planning, fdc).shots == []


def test_shoot_look_shoot_after_kill_assessment(catalog, planning):
    fdc = _fdc(catalog, *DRONE)
    tid = int(fdc.tracks.track_id[0])
    fdc.engagements[tid] = Engagement(
        in_flight=0, salvo_fired=1, total_fired=1, last_end_s=10.0, salvos=1
    )
    # the radar saw the track at 20 s, after the round ended at 10 s: it survived
    assert len(_decide(catalog, planning, fdc).shots) == 1
    fdc.engagements[tid] = Engagement(
        in_flight=0, salvo_fired=1, total_fired=1, last_end_s=10.0, salvos=1
    )
    assert _decide(catalog, planning, fdc, doctrine=Doctrine(reengage=False)).shots == []
