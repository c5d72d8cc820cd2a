"""The engine's radar second in two compiled calls (``_radar_stage``) against the
general code of the sensor stage (``_stage_general``): same events, metrics and
final picture, bit for bit, including the hand-back of batches to the general
tracker step."""

from __future__ import annotations

import numpy as np
import pytest

import samsim.engine.stage_sensors as ss
from samsim.engine import run_replication
from samsim.scenario import scenario_from_data

from .test_stage_sensors import _two_units

_GENERAL, _TRACK = ss._stage_general, ss._track


def _radars_only(lost_at_s: float | None = None, count: int = 3) -> dict:
    data = _two_units(lost_at_s)
    for b in data["batteries"]:
        b.pop("eo_ir", None)
    data["raids"][0]["count"] = count
    data["duration_s"] = 400
    return data


def _run(data: dict, monkeypatch, compiled: bool, group_max: int | None = None):
    monkeypatch.setattr(ss, "COMPILED_RADAR_SECOND", compiled)
    calls = {"general": 0, "track": 0}
    general, track = _GENERAL, _TRACK

    def count_general(*a):
        calls["general"] += 1
        return general(*a)

    def count_track(*a, **kw):
        calls["track"] += 1
        return track(*a, **kw)

    monkeypatch.setattr(ss, "_stage_general", count_general)
    monkeypatch.setattr(ss, "_track", count_track)
    if group_max is not None:
        monkeypatch.setattr(ss, "COMPILED_GROUP_MAX", group_max)
    sc, cat = scenario_from_data(data)
    res = run_replication(sc, cat, 0, keep_world=True)
    return res, calls


def _assert_same(a, b):
    ta, tb = a.events, b.events
    assert ta.num_rows == tb.num_rows
    for name in ta.column_names:
        np.testing.assert_array_equal(
            ta.column(name).to_numpy(zero_copy_only=False),
            tb.column(name).to_numpy(zero_copy_only=False),
            err_msg=name,
        )
    drop = ("wall_s",)
    assert {k: v for k, v in a.metrics.items() if k not in drop} == {
        k: v for k, v in b.metrics.items() if k not in drop
    }
    pa, pb = a.world.picture, b.world.picture
    assert pa.next_id == pb.next_id
    for f in ("status", "x", "P", "xm", "Pm", "mode_prob", "time_s", "track_id", "score"):
        np.testing.assert_array_equal(getattr(pa, f), getattr(pb, f), err_msg=f)
    np.testing.assert_array_equal(a.world.radars.beam_az_rad, b.world.radars.beam_az_rad)
    np.testing.assert_array_equal(a.world.radars.alive, b.world.radars.alive)


@pytest.mark.parametrize("lost_at_s", [None, 150.0])
def test_compiled_radar_second_equals_the_general_stage(monkeypatch, lost_at_s):
    data = _radars_only(lost_at_s)
    fast, calls_fast = _run(data, monkeypatch, compiled=True)
    ref, calls_ref = _run(data, monkeypatch, compiled=False)
    assert calls_fast["general"] == 0 and calls_ref["general"] > 0
    assert calls_fast["track"] == 0  # every batch stepped inside the compiled call
    kinds = fast.events.column("kind").to_pylist()
    assert kinds.count("track_confirmed") > 0 and kinds.count("track_dropped") > 0
    _assert_same(fast, ref)


def test_batches_handed_back_by_the_compiled_step_go_through_the_general_step(monkeypatch):
    """A compiled step limited to one row per batch hands back the first batch
    with more and, in order, every later batch of the second: the general step
    takes them, and the run is the same as the general stage's."""
    data = _radars_only(count=6)
    fast, calls_fast = _run(data, monkeypatch, compiled=True, group_max=1)
    ref, _ = _run(data, monkeypatch, compiled=False)
    assert calls_fast["general"] == 0 and calls_fast["track"] > 0
    _assert_same(fast, ref)
