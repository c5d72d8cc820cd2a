"""Threat flight in the engine: turns at the g-limit, wind, terrain following, pop-up
and dive, weave, decoys, evasion, ballistic arcs."""

import math

import numpy as np
import pytest

from samsim.engine.stage_threats import threat_stage
from samsim.geo.terrain import Terrain
from samsim.interceptors import FLYING
from samsim.scenario import ScenarioError
from samsim.scenario.load import scenario_from_data
from samsim.world import build_world

G0 = 9.80665
LAT0, LON0 = 25.0, 121.0
KM_LAT = 1.0 / 111.2  # degrees of latitude per km (near enough for placing points)


def scenario(raid, *, wind=None, duration_s=3000.0, step_s=0.1, catalog=None):
    data = {
        "name": "t",
        "duration_s": duration_s,
        "step_s": step_s,
        "origin": {"lat_deg": LAT0, "lon_deg": LON0},
        "assets": [{"name": "site", "lat_deg": LAT0 + 60 * KM_LAT, "lon_deg": LON0, "value": 1}],
        "raids": [{"name": "r", "count": 1, "launch": {"lat_deg": LAT0, "lon_deg": LON0}, **raid}],
    }
    if wind:
        data["wind"] = wind
    if catalog:
        data["catalog"] = catalog
    return scenario_from_data(data)


def fly(sc, cat, seconds, terrain=None):
    """Step the threat stage; return times, positions, velocities, accelerations, world."""
    w = build_world(sc, cat)
    if terrain is not None:
        w.terrain = terrain
    dt = sc.step_s
    out = {"t": [], "pos": [], "vel": [], "acc": [], "alt": [], "fate": []}
    for k in range(int(seconds / dt)):
        threat_stage(w, k * dt, (k + 1) * dt)
        out["t"].append((k + 1) * dt)
        out["pos"].append(w.air.pos_enu_m[0].copy())
        out["vel"].append(w.air.vel_enu_mps[0].copy())
        out["acc"].append(w.air.acc_enu_mps2[0].copy())
        out["alt"].append(float(w.frame.altitude_m(w.air.pos_enu_m[0])))
        out["fate"].append(int(w.air.fate[0]))
        if w.air.fate[0] != FLYING:
            break
    return {k: np.array(v) for k, v in out.items()}, w


def lateral_accel(tr):
    v, a = tr["vel"], tr["acc"]
    vh = v.copy()
    vh[:, 2] = 0
    u = vh / np.linalg.norm(vh, axis=1)[:, None]
    ah = a.copy()
    ah[:, 2] = 0
    return ah - np.sum(ah * u, axis=1)[:, None] * u


def test_aircraft_turns_at_its_g_limit():
    # North, then a right-angle turn east: a 7 g fighter at 250 m/s turns at 7 g.
    sc, cat = scenario(
        {
            "type": "fighter",
            "waypoints": [
                {"lat_deg": LAT0 + 20 * KM_LAT, "lon_deg": LON0},
                {"lat_deg": LAT0 + 20 * KM_LAT, "lon_deg": LON0 + 0.3},
            ],
        }
    )
    tr, _ = fly(sc, cat, 150.0)
    lat = np.linalg.norm(lateral_accel(tr)[2:], axis=1)
    assert lat.max() == pytest.approx(7 * G0, rel=0.03)
    assert np.percentile(lat, 99) <= 7.05 * G0


@pytest.mark.parametrize(
    "from_deg, expect_mps",
    [(0.0, 30.0), (180.0, 70.0), (270.0, math.sqrt(50**2 - 30**2))],
)
def test_drone_crabs_into_the_wind(from_deg, expect_mps):
    speed = 20.0 if from_deg in (0.0, 180.0) else 30.0
    sc, cat = scenario(
        {"type": "owa_drone", "target": "site", "aim_radius_m": 0},
        wind={"speed_mps": speed, "from_deg": from_deg},
    )
    tr, _ = fly(sc, cat, 60.0)
    v = tr["vel"][-1]
    assert math.hypot(v[0], v[1]) == pytest.approx(expect_mps, rel=0.01)
    # It holds its course north: the crosswind does not push it off the track.
    assert abs(tr["pos"][-1][0]) < 5.0


def test_cruise_missile_follows_terrain_and_clears_a_ridge():
    # A 500 m ridge 18-22 km north across the whole track.
    cell = 200.0
    heights = np.zeros((200, 60))
    north = np.arange(200) * cell
    heights[(north >= 18_000) & (north <= 22_000), :] = 500.0
    ridge = Terrain(-6000.0, 0.0, cell, heights)
    sc, cat = scenario(
        {"type": "subsonic_cm", "target": "site", "aim_radius_m": 0, "altitude": {"cruise_m": 50}}
    )
    tr, _w = fly(sc, cat, 140.0, terrain=ridge)
    ground = ridge.surface_m(tr["pos"])
    agl = tr["alt"] - ground
    over = (tr["pos"][:, 1] > 18_500) & (tr["pos"][:, 1] < 21_500)
    assert agl.min() >= -0.05  # never inside the ground (to the resampling of a 200 m grid)
    assert np.all(tr["alt"][over] >= 500.0 + 40.0)  # holds its height over the crest
    foot = np.argmin(abs(tr["pos"][:, 1] - 18_000.0))
    assert tr["alt"][foot] > 400.0  # climbed before reaching the ridge (look-ahead)
    beyond = tr["pos"][:, 1] > 30_000
    assert np.all(np.abs(agl[beyond] - 50.0) < 5.0)  # back down to 50 m after it


def test_pop_up_then_dive_onto_the_target():
    sc, cat = scenario(
        {
            "type": "subsonic_cm",
            "target": "site",
            "aim_radius_m": 0,
            "altitude": {"cruise_m": 30, "terminal_m": 400, "terminal_range_m": 8000},
        }
    )
    tr, w = fly(sc, cat, 400.0)
    assert tr["fate"][-1] != FLYING  # reached its aim point
    assert tr["alt"].max() == pytest.approx(400.0, abs=5.0)
    # Final 300 m of ground: descending at the catalog dive angle (30 deg).
    end = tr["pos"][-1]
    gd = w.frame.ground_distance_m(tr["pos"], end)
    last = (gd < 300.0) & (gd > 50.0)
    slope = np.polyfit(gd[last], tr["alt"][last], 1)[0]
    assert math.degrees(math.atan(slope)) == pytest.approx(30.0, abs=2.0)
    assert tr["alt"][-1] < 30.0


def test_supersonic_missile_weaves_in_the_end_game_and_still_arrives():
    sc, cat = scenario({"type": "supersonic_cm", "target": "site", "aim_radius_m": 0})
    tr, w = fly(sc, cat, 200.0)
    assert tr["fate"][-1] != FLYING
    lat = lateral_accel(tr)
    side = lat @ np.array([1.0, 0.0, 0.0])  # east, across the northward track
    gd = w.frame.ground_distance_m(tr["pos"], w.air.route_enu_m[0, w.air.route_len[0] - 1])
    weave = (gd < 14_000) & (gd > 1000.0)
    cruise = gd > 16_000
    assert np.abs(side[weave]).max() == pytest.approx(5 * G0, rel=0.2)
    assert (side[weave] > 0).any() and (side[weave] < 0).any()  # both ways
    assert np.abs(side[cruise][5:]).max() < 0.2 * G0


def test_decoy_flies_like_its_host_and_may_not_outshine_it():
    cat = scenario({"type": "decoy", "target": "site"})[1]
    d, host = cat.threats["decoy"], cat.threats["subsonic_cm"]
    assert (d.speed_mps, d.altitude_m, d.category) == (
        host.speed_mps,
        host.altitude_m,
        host.category,
    )
    assert d.rcs_m2 <= host.rcs_m2
    with pytest.raises(ScenarioError, match="rcs_m2"):
        scenario(
            {"type": "decoy", "target": "site"}, catalog={"threats": {"decoy": {"rcs_m2": 5.0}}}
        )
    # The host's speed set by the scenario carries over to the decoy.
    cat2 = scenario(
        {"type": "decoy", "target": "site"},
        catalog={"threats": {"subsonic_cm": {"speed_mps": 280.0}}},
    )[1]
    assert cat2.threats["decoy"].speed_mps == 280.0


def test_warned_aircraft_beams_an_approaching_interceptor():
    sc, cat = scenario({"type": "fighter", "target": "site"})
    w = build_world(sc, cat)
    for k in range(50):
        threat_stage(w, k * 0.1, (k + 1) * 0.1)
    ac = w.air.pos_enu_m[0]
    # An interceptor 10 km ahead of it, flying at it.
    w.icpt.n_used = 1
    w.icpt.phase[0] = FLYING
    w.icpt.pos_enu_m[0] = ac + np.array([0.0, 10_000.0, 0.0])
    w.icpt.vel_enu_mps[0] = np.array([0.0, -800.0, 0.0])
    heading0 = math.atan2(*w.air.vel_enu_mps[0][:2])
    threat_stage(w, 5.0, 5.1)  # the cue at the start of the step, then its flight
    beam = w.air.evade_dir[0]
    assert np.linalg.norm(beam) == pytest.approx(1.0)
    assert abs(beam[1]) < 1e-3  # across the line of sight (which runs north-south)
    assert w.events.count("evade") == 1
    for k in range(51, 80):
        threat_stage(w, k * 0.1, (k + 1) * 0.1)
    heading1 = math.atan2(*w.air.vel_enu_mps[0][:2])
    # Turning toward the beam at its 7 g limit: omega = a / v for 3 s.
    assert abs(heading1 - heading0) == pytest.approx(7 * G0 / 250.0 * 3.0, rel=0.05)
    # Out of warning range (or receding), no cue.
    w.icpt.pos_enu_m[0] = w.air.pos_enu_m[0] + np.array([0.0, 30_000.0, 0.0])
    threat_stage(w, 8.0, 8.1)
    assert not w.air.evade_dir[0].any()
    assert w.events.count("evade") == 1


def test_ballistic_missile_flies_a_true_arc_to_its_aim_point():
    sc, cat = scenario(
        {
            "type": "srbm",
            "target": "site",
            "aim_radius_m": 0,
            "launch": {"lat_deg": LAT0 - 240 * KM_LAT, "lon_deg": LON0},
        }
    )
    tr, w = fly(sc, cat, 600.0)
    aim = w.air.route_enu_m[0, w.air.route_len[0] - 1]
    assert tr["fate"][-1] != FLYING
    assert tr["alt"].max() == pytest.approx(cat.threats["srbm"].altitude_m, rel=0.01)
    assert w.frame.ground_distance_m(tr["pos"][-1], aim) < 100.0
    assert tr["t"][-1] == pytest.approx(w.air.flight_time_s[0], abs=0.2)
    # Re-entry drag: it comes down slower than it went up (drag-free it would be equal).
    up_speed = np.linalg.norm(tr["vel"][1])
    assert np.linalg.norm(tr["vel"][-1]) < up_speed - 50.0


def test_compiled_ground_height_agrees_with_terrain_surface():
    from samsim.threats.flight import surface_height

    rng = np.random.default_rng(3)
    t = Terrain(-5000.0, -3000.0, 250.0, rng.uniform(0.0, 900.0, (40, 50)))
    pts = np.column_stack(
        [rng.uniform(-7000, 9000, 200), rng.uniform(-5000, 8000, 200), np.zeros(200)]
    )
    ours = [surface_height(x, y, t.east0_m, t.north0_m, t.cell_m, t.height_m) for x, y, _ in pts]
    np.testing.assert_allclose(ours, t.surface_m(pts), atol=1e-9)


def test_one_call_step_equals_launch_cue_and_fly_done_separately():
    """``threats.flight.step`` (launches, evasion cues and flight in one compiled
    call) leaves the same bits as ``launch_due``, ``evasion_courses`` and ``fly``
    called one after the other, over a mixed raid: staggered drones, a warned
    fighter with an interceptor closing on it, and ballistic missiles."""
    import copy

    from samsim.threats.flight import evasion_courses, fly, launch_due, step

    data = {
        "name": "t",
        "duration_s": 600.0,
        "step_s": 0.2,
        "origin": {"lat_deg": LAT0, "lon_deg": LON0},
        "assets": [{"name": "site", "lat_deg": LAT0 + 60 * KM_LAT, "lon_deg": LON0, "value": 1}],
        "raids": [
            {"name": "d", "type": "owa_drone", "count": 4, "interval_s": 3.0, "target": "site",
             "launch": {"lat_deg": LAT0, "lon_deg": LON0}},
            {"name": "f", "type": "fighter", "count": 1, "target": "site",
             "launch": {"lat_deg": LAT0, "lon_deg": LON0 + 0.05}},
            {"name": "b", "type": "srbm", "count": 2, "start_s": 2.0, "interval_s": 4.0,
             "target": "site", "launch": {"lat_deg": LAT0 - 240 * KM_LAT, "lon_deg": LON0}},
        ],
    }  # fmt: skip
    sc, cat = scenario_from_data(data)
    w = build_world(sc, cat)
    a, b = w.air, copy.deepcopy(w.air)
    phase = np.zeros(1, np.int8)
    m_pos, m_vel = np.zeros((1, 3)), np.zeros((1, 3))
    evaded = n_arrived = 0
    for k in range(2000):
        t0, t1 = k * 0.2, (k + 1) * 0.2
        if k == 40:  # an interceptor 8 km south of the fighter, closing on it
            phase[0] = FLYING
            m_pos[0] = a.pos_enu_m[4] + np.array([0.0, -8000.0, 0.0])
            m_vel[0] = np.array([0.0, 900.0, 0.0])
        if k == 80:
            phase[0] = 0
        launched, started, dist, arrived = step(a, w.frame, t0, t1, phase, m_pos, m_vel)
        # The same step, function by function.
        due = launch_due(b, t0)
        b.launch_time_s[due] = np.maximum(b.launch_time_s[due], 0.0)
        cand = (b.flying & (b.warning_range_m > 0)).nonzero()[0]
        if phase[0] == FLYING and cand.size:
            st, d_m = np.full(cand.size, -1, np.int64), np.zeros(cand.size)
            b.any_evading = bool(
                evasion_courses(b.pos_enu_m, b.vel_enu_mps, b.warning_range_m, b.evade_dir, cand,
                                m_pos, m_vel, np.zeros(1, np.intp), w.frame.radius_m, st, d_m)
            )  # fmt: skip
            np.testing.assert_array_equal(started[cand], st)
            np.testing.assert_array_equal(dist[cand], d_m)
            evaded += int((st >= 0).sum())
        elif phase[0] != FLYING and b.any_evading:
            b.evade_dir[:] = 0.0
            b.any_evading = False
        np.testing.assert_array_equal(launched, due)
        np.testing.assert_array_equal(arrived, fly(b, w.frame, t1, t1 - t0))
        n_arrived += arrived.size
        a.fate[arrived] = b.fate[arrived] = 3  # LEAKED, as the engine's threat stage does
        for f in ("pos_enu_m", "vel_enu_mps", "acc_enu_mps2", "evade_dir", "fate", "wp_idx"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
        assert a.any_evading == b.any_evading
    assert evaded == 1  # the cue happened
    assert n_arrived >= 2  # the ballistic missiles came down
    assert (a.fate != 0).all() and a.ballistic.sum() == 2  # everything launched
