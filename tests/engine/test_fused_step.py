"""The fused compiled step (engine.run.FusedStep) against the stage functions it replaces:
the same World after every step, the same events and the same kill stream, bit for bit."""

import hashlib

import numpy as np
import pytest

import samsim.engine.run as engine_run
from samsim.engine import run_replication
from samsim.scenario import load_scenario, scenario_from_data
from tests.conftest import SCENARIOS, SINGLE_BATTERY, TAIWAN_NORTH, shortened


def _digest(w) -> bytes:
    air, icpt = w.air, w.icpt
    h = hashlib.sha1()
    for a in (
        air.pos_enu_m, air.vel_enu_mps, air.acc_enu_mps2, air.fate, air.fate_time_s,
        air.wp_idx, air.evade_dir, air.launch_time_s, icpt.phase, icpt.end, icpt.pos_enu_m,
        icpt.vel_enu_mps, icpt.mass_kg, icpt.locked_idx, icpt.accel_cmd_mps2, icpt.miss_m,
        icpt.end_time_s, w.assets.damage,
    ):  # fmt: skip
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((w.weapons_status, air.any_evading, icpt.n_used)).encode())
    return h.digest()


def _run(sc, cat, rep, fused, monkeypatch, **kw):
    monkeypatch.setattr(engine_run, "FUSED", fused)
    steps = []
    res = run_replication(
        sc, cat, rep, keep_world=True, on_step=lambda w, t: steps.append((t, _digest(w))), **kw
    )
    return res, steps


def _windy_weaving_single_battery():
    """single_battery, shortened, in a 25 m/s wind, its cruise missiles weaving
    supersonic ones; paths recorded every 0.6 s (coarse steps of at most 3)."""
    import yaml

    data = shortened(yaml.safe_load(SINGLE_BATTERY.read_text("utf-8")))
    data["wind"] = {"speed_mps": 25.0, "from_deg": 250.0}
    data["raids"][1]["type"] = "supersonic_cm"
    return scenario_from_data(data), {"record_paths": True, "path_period_s": 0.6}


@pytest.mark.parametrize(
    ("path", "rep", "kinds"),
    [
        (TAIWAN_NORTH, 0, {"kill", "miss", "self_destruct", "leaker", "asset_hit", "arrived"}),
        (SCENARIOS / "grayzone_yonaguni.yaml", 0, {"evade", "weapons_status", "kill"}),
        (None, 1, {"kill", "arrived"}),
    ],
)
def test_fused_step_matches_the_stage_functions(path, rep, kinds, monkeypatch):
    if path is None:
        (sc, cat), kw = _windy_weaving_single_battery()
    else:
        (sc, cat), kw = load_scenario(path), {}
    fast, fast_steps = _run(sc, cat, rep, True, monkeypatch, **kw)
    ref, ref_steps = _run(sc, cat, rep, False, monkeypatch, **kw)
    # Not vacuous: the events the fused path emits itself happened.
    assert kinds <= set(ref.events.column("kind").to_pylist())
    assert len(fast_steps) == len(ref_steps) > 500
    for (t_a, d_a), (t_b, d_b) in zip(fast_steps, ref_steps, strict=True):
        assert t_a == t_b
        assert d_a == d_b, f"World differs after the step ending at {t_a} s"
    assert fast.events.to_pandas().equals(ref.events.to_pandas())  # NaN where no position
    assert fast.metrics | {"wall_s": 0} == ref.metrics | {"wall_s": 0}
    if kw.get("record_paths"):
        assert np.array_equal(fast.paths.air_enu_m, ref.paths.air_enu_m, equal_nan=True)
    # The kill stream was handed back where the Generator itself would have left it.
    assert fast.world.rng["kill"].bit_generator.state == ref.world.rng["kill"].bit_generator.state
