"""The FDC stage's compiled screen and uplink give what the plain stage gives.

- A whole replication of taiwan_north with ``fdc_stage`` gives the same events (every
  field) and metrics as with ``fdc_stage_reference`` (``decide`` on ``view_picture``
  for every due unit, ``_uplink`` in Python).
- On engine states recorded just before the stage in that run (every launch, kill
  assessment and handover, and a sample of the other decision cycles): one step of
  each stage leaves the same state and events; the screen's view equals
  ``view_picture`` bit for bit; its ``may_shoot`` is ``_cycle_reach`` finding
  something with no track held elsewhere; its acceptable tracks are those with a
  ``solve_intercepts`` launch from a ready launcher.
- ``compiled_sums_match`` tells numpy's summation order apart from another.
"""

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import samsim.engine.run as run_mod
from samsim.engine import stage_fdc
from samsim.engine.run import run_replication
from samsim.fire_control import decide
from samsim.fire_control import fdc as fdc_mod
from samsim.fire_control.identify import ENGAGEABLE_TABLE
from samsim.geo import LocalFrame
from samsim.interceptors.envelope import solve_intercepts
from samsim.scenario import load_scenario
from samsim.world import EventLog

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "taiwan_north.yaml"
KEEP_KINDS = {"engage", "kill_assessment", "track_handover", "reload"}
SAMPLE_EVERY = 40  # of the other steps with a decision cycle due


def _snapshot(w):
    """What ``fdc_stage`` changes, deep-copied together (the FDCs share the picture)."""
    return copy.deepcopy((w.picture, w.fdcs, w.icpt, w.launchers, w.weapons_status))


def _world_at(w, snap):
    """A copy of World ``w`` in the recorded state, with an empty event log."""
    picture, fdcs, icpt, launchers, status = copy.deepcopy(snap)
    out = copy.copy(w)
    out.picture, out.fdcs, out.icpt, out.launchers = picture, fdcs, icpt, launchers
    out.weapons_status = status
    out.events = EventLog(w.replication)
    out.engaged_truth = []
    return out


@pytest.fixture(scope="module")
def recorded():
    """taiwan_north replication 0 with the fast stage; states before chosen steps."""
    sc, cat = load_scenario(SCENARIO)
    states = []
    real = run_mod.fdc_stage
    n_cycles = [0]

    def recording(w, t_s):
        due = any(t_s + 1e-9 >= f.next_cycle_s for f in w.fdcs)
        snap = _snapshot(w) if due else None
        n_before = len(w.events)
        real(w, t_s)
        if snap is None:
            return
        n_cycles[0] += 1
        kinds = set(w.events.kind[n_before:])
        if kinds & KEEP_KINDS or n_cycles[0] % SAMPLE_EVERY == 0:
            states.append((t_s, snap))

    run_mod.fdc_stage = recording
    try:
        res = run_replication(sc, cat, 0, keep_world=True)
    finally:
        run_mod.fdc_stage = real
    return sc, cat, res, states


def _events(w):
    """The event log, positions as their bytes (NaN where none: equal to itself)."""
    ev = w.events
    pos = [np.array(p, dtype=np.float64).tobytes() for p in ev.pos]
    return list(zip(ev.time_s, ev.kind, ev.subject, ev.obj, pos, ev.detail, strict=True))


def test_a_replication_gives_the_same_events_and_metrics_as_the_reference(recorded):
    sc, cat, fast, _ = recorded
    assert stage_fdc._screen_of(fast.world) is not None  # the fast path was taken
    real = run_mod.fdc_stage
    run_mod.fdc_stage = stage_fdc.fdc_stage_reference
    try:
        ref = run_replication(sc, cat, 0, keep_world=True)
    finally:
        run_mod.fdc_stage = real
    kinds = set(fast.world.events.kind)
    assert {"engage", "launch", "kill_assessment", "track_identified", "track_handover"} <= kinds
    assert _events(fast.world) == _events(ref.world)
    drop = {"wall_s"}
    assert {k: v for k, v in fast.metrics.items() if k not in drop} == {
        k: v for k, v in ref.metrics.items() if k not in drop
    }


def _same_state(a, b):
    for name in ("x", "status", "track_id", "ident"):
        np.testing.assert_array_equal(getattr(a.picture, name), getattr(b.picture, name))
    for name in (
        "phase", "track_id", "est_pos_m", "est_vel_mps", "est_time_s", "fdc_idx", "pos_enu_m",
        "vel_enu_mps", "launch_time_s", "type_idx",
    ):  # fmt: skip
        np.testing.assert_array_equal(getattr(a.icpt, name), getattr(b.icpt, name))
    assert a.icpt.n_used == b.icpt.n_used
    for name in ("rounds", "next_ready_s", "reload_done_s", "reloads_left"):
        np.testing.assert_array_equal(getattr(a.launchers, name), getattr(b.launchers, name))
    for fa, fb in zip(a.fdcs, b.fdcs, strict=True):
        assert fa.engagements == fb.engagements
        assert (fa.next_cycle_s, fa.next_uplink_s) == (fb.next_cycle_s, fb.next_uplink_s)
    assert a.engaged_truth == b.engaged_truth
    assert _events(a) == _events(b)


def test_one_step_of_each_stage_leaves_the_same_state(recorded):
    _, _, res, states = recorded
    w = res.world
    seen = set()
    for t_s, snap in states:
        a, b = _world_at(w, snap), _world_at(w, snap)
        stage_fdc.fdc_stage_reference(a, t_s)
        stage_fdc.fdc_stage(b, t_s)
        _same_state(a, b)
        seen |= set(a.events.kind)
    assert {"engage", "kill_assessment", "track_handover", "track_identified"} <= seen


def test_the_screen_gives_the_view_and_the_reach_of_the_plain_code(recorded):
    _, _, res, states = recorded
    w0 = res.world
    n_may = n_accept = n_shots = 0
    for t_s, snap in states:
        a, b = _world_at(w0, snap), _world_at(w0, snap)
        scr = stage_fdc._screen_of(b)
        assert scr is not None
        scr.due[:] = True
        k, _ = stage_fdc._screen(b, scr, t_s)
        fa = a.fdcs[0]
        view = fdc_mod.view_picture(
            fa.tracks, a.frame, t_s, a.assets.pos_enu_m, a.assets.radius_m, a.assets.value,
            a.scenario.doctrine, fa.params.iff_reply_window,
        )  # fmt: skip
        mine = scr.view(t_s, k, scr.rows[:k][scr.changed[:k]])
        for name in ("rows", "pos", "vel", "ident", "changed", "categories"):
            np.testing.assert_array_equal(getattr(mine, name), getattr(view, name))
        for name in ("asset_idx", "time_to_asset_s", "value", "time_by_asset_s", "closing_m"):
            np.testing.assert_array_equal(getattr(mine.threat, name), getattr(view.threat, name))
        np.testing.assert_array_equal(a.picture.ident, b.picture.ident)
        for f_idx, fdc in enumerate(a.fdcs):
            reach = fdc_mod._cycle_reach(
                fdc, t_s, a.launchers, a.planning, a.scenario.doctrine, a.weapons_status,
                None, view, a.frame.radius_m,
            )  # fmt: skip
            assert bool(scr.may_shoot[f_idx]) == (reach is not None)
            n_may += reach is not None
            if reach is None:
                continue
            stage_fdc._acceptable(b, scr, f_idx, k, t_s)
            expect = _acceptable_reference(a, fdc, reach, view, t_s)
            np.testing.assert_array_equal(scr.acceptable[:k], expect)
            n_accept += expect.any()
            shots = decide(
                fdc, a.frame, t_s, a.launchers, a.planning, a.assets.pos_enu_m,
                a.assets.radius_m, a.assets.value, a.scenario.doctrine, a.weapons_status,
                fdc_mod.held_by_others(a.fdcs, f_idx), view,
            ).shots  # fmt: skip
            if shots:
                n_shots += 1
                assert stage_fdc._may_launch(b, scr, f_idx, k, t_s)
                assert all(expect[np.flatnonzero(view.rows == s.track_row)[0]] for s in shots)
    # The checks above ran on states where each answer occurs.
    assert n_may > n_accept > n_shots > 0


def _acceptable_reference(w, fdc, reach, view, t_s):
    """Tracks (k,) with a ``solve_intercepts`` launch of a type ``reach`` lets through."""
    ln = w.launchers
    own = fdc.launcher_idx
    ready = own[ln.ready(t_s)[own]]
    out = np.zeros(view.rows.size, dtype=bool)
    for kk, fs in enumerate(w.planning.flyout):
        has = ready[ln.rounds[ready, kk] > 0]
        cols = np.flatnonzero(reach[kk])
        if fs is None or has.size == 0 or cols.size == 0:
            continue
        ok, _, _ = solve_intercepts(
            fs, ln.pos_enu_m[has], ln.launch_elevation_rad[has], view.pos[cols],
            view.vel[cols], view.threat.time_to_asset_s[cols], w.frame.radius_m,
        )  # fmt: skip
        out[cols] |= ok.any(axis=0)
    allowed = ENGAGEABLE_TABLE[w.weapons_status]
    assert not (out & ~allowed[view.ident]).any()
    return out


def test_compiled_sums_match_numpy_here_and_notice_a_different_order():
    frame = LocalFrame.at(25.0, 121.5)
    assert fdc_mod.compiled_sums_match(frame)

    class Shifted:
        radius_m = frame.radius_m

        def altitude_m(self, pos):  # the same sum in another order
            rel = pos - frame.centre_m
            s = rel * rel
            return np.sqrt(s[:, 0] + (s[:, 1] + s[:, 2])) - frame.radius_m

    assert not fdc_mod.compiled_sums_match(Shifted())


def test_worlds_the_screen_does_not_cover_take_the_reference_stage(recorded):
    _, _, res, states = recorded
    t_s, snap = states[len(states) // 2]
    assert stage_fdc._screen_of(_world_at(res.world, snap)) is not None
    a, b = _world_at(res.world, snap), _world_at(res.world, snap)
    for w in (a, b):  # the straight-line planning model: no fly-out tables
        w.planning = replace(w.planning, flyout=())
    assert stage_fdc._screen_of(b) is None
    stage_fdc.fdc_stage_reference(a, t_s)
    stage_fdc.fdc_stage(b, t_s)
    _same_state(a, b)
