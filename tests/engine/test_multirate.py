"""Coarse steps while no interceptor is in its end-game: timing of launches and status
changes, and the same outcome as fine steps."""

import itertools
import math

import numpy as np
import pytest

import samsim.engine.run as engine_run
from samsim.engine import run_replication
from samsim.engine.stage_interceptors import ENDGAME_S
from samsim.scenario import scenario_from_data
from samsim.threats.state import HOSTILE, LEAKED
from tests.conftest import shortened

STATUS_CHANGE_S = 33.3


def _first_step_at(time_s: float, dt_s: float) -> int:
    k = math.ceil(time_s / dt_s - 1e-9)
    while k * dt_s < time_s:
        k += 1
    return k


@pytest.fixture(scope="module")
def stepped(request):
    """A run of shortened single_battery with odd launch times and a status change,
    recording (step end, interceptors flying after the step)."""
    import yaml

    from tests.conftest import SINGLE_BATTERY

    data = shortened(yaml.safe_load(SINGLE_BATTERY.read_text("utf-8")))
    data["raids"][0]["start_s"] = 3.1
    data["raids"][0]["interval_s"] = 17.3
    data["doctrine"]["weapons_status"] = "hold"
    data["doctrine"]["status_changes"] = [{"time_s": STATUS_CHANGE_S, "status": "free"}]
    sc, cat = scenario_from_data(data)
    steps: list[tuple[float, bool, bool]] = []

    def record(w, t_s):
        rows = w.icpt.flying()
        lk = w.icpt.locked_idx[rows]
        rows, lk = rows[lk >= 0], lk[lk >= 0]
        gap = np.linalg.norm(w.air.pos_enu_m[lk] - w.icpt.pos_enu_m[rows], axis=1)
        speed = np.linalg.norm(w.icpt.vel_enu_mps[rows], axis=1)
        # stage_interceptors' end-game test (at a fine step)
        endgame = bool((gap < (speed + 1000.0) * (ENDGAME_S + sc.step_s)).any())
        steps.append((t_s, bool(w.icpt.flying().size), endgame))

    res = run_replication(sc, cat, 0, keep_world=True, on_step=record)
    return sc, res, steps


def test_fine_steps_in_end_games_and_coarse_steps_otherwise(stepped):
    sc, res, steps = stepped
    dt = sc.step_s
    period = engine_run.SENSOR_PERIOD_S
    spans, coarse_in_flight, endgames = [], 0, 0
    for (t_prev, flying_prev, endgame_prev), (t_now, *_) in itertools.pairwise(steps):
        span = t_now - t_prev
        spans.append(span)
        assert span <= period + 1e-9
        if endgame_prev:
            endgames += 1
            assert span == pytest.approx(dt, abs=1e-9), (t_prev, t_now)
        elif flying_prev and span > dt + 1e-9:
            coarse_in_flight += 1
    assert res.metrics["interceptors_fired"] > 0 and endgames > 10  # fine steps exercised
    assert max(spans) == pytest.approx(period, abs=1e-9)  # and coarse ones
    assert coarse_in_flight > 0  # also while rounds fly mid-course
    # Far fewer steps than a fixed-step run would take.
    assert len(steps) < 0.6 * sc.duration_s / dt


def test_launches_and_status_changes_happen_at_the_fine_step(stepped):
    sc, res, _ = stepped
    dt = sc.step_s
    ev = res.events.to_pandas()
    air = res.world.air
    launches = ev[ev.kind == "threat_launch"]
    assert len(launches) >= 8
    for _, row in launches.iterrows():
        i = air.name.index(row.subject)
        expected = _first_step_at(float(air.launch_time_s[i]), dt) * dt
        assert row.time_s == pytest.approx(expected, abs=1e-9), row.subject
    status = ev[ev.kind == "weapons_status"]
    assert len(status) == 1
    assert status.time_s.iloc[0] == pytest.approx(STATUS_CHANGE_S)
    # Applied at the start of the first step at or after the change, as with fine steps:
    # nothing is engaged before it.
    engage = ev[ev.kind == "engage"]
    assert len(engage) > 0
    assert engage.time_s.min() >= _first_step_at(STATUS_CHANGE_S, dt) * dt


def test_coarse_steps_fly_threats_as_fine_steps_do(single_battery_data, monkeypatch):
    """Under weapons hold every threat leaks: at the same moment (to a sensor period)
    and the same place whether the quiet stretches are stepped coarsely or finely."""
    data = single_battery_data
    data["doctrine"]["weapons_status"] = "hold"
    sc, cat = scenario_from_data(data)
    coarse = run_replication(sc, cat, 0, keep_world=True)
    monkeypatch.setattr(engine_run, "FUSED", False)  # the stage functions, fine steps
    monkeypatch.setattr(engine_run, "_coarse_span", lambda *a: 1)
    fine = run_replication(sc, cat, 0, keep_world=True)
    a, b = coarse.world.air, fine.world.air
    hostile = a.allegiance == HOSTILE
    assert (a.fate == b.fate).all()
    leaked = hostile & (a.fate == LEAKED)
    assert leaked.sum() >= 6
    assert np.abs(a.fate_time_s[leaked] - b.fate_time_s[leaked]).max() <= 1.0
    assert np.linalg.norm(a.pos_enu_m[leaked] - b.pos_enu_m[leaked], axis=1).max() < 100.0
    assert coarse.metrics["leakers"] == fine.metrics["leakers"]
