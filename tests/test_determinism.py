"""Same scenario and seed, same results: run twice, and on one worker or two."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from samsim.cli import app
from samsim.engine import run_replication
from samsim.scenario import load_scenario

WALL_TIME_FIELDS = ("wall_s", "replication_wall_s")


def _run(path, out_dir, *extra):
    result = CliRunner().invoke(
        app, ["run", str(path), "--replications", "2", "--out", str(out_dir), *extra]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out_dir / "summary.json").read_text("utf-8"))
    events = pq.read_table(out_dir / "events.parquet").to_pandas()
    return summary, events


def _without_wall_time(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in WALL_TIME_FIELDS}


@pytest.mark.slow
def test_same_seed_gives_identical_outputs(tmp_path, short_single_battery_path):
    a, ev_a = _run(short_single_battery_path, tmp_path / "a")
    b, ev_b = _run(short_single_battery_path, tmp_path / "b")
    assert a["replications"] == 2 and a["interceptors_fired"]["mean"] > 0
    assert _without_wall_time(a) == _without_wall_time(b)
    pd.testing.assert_frame_equal(ev_a, ev_b, check_exact=True)  # NaN positions must match too
    assert set(ev_a["replication"]) == {0, 1}


@pytest.mark.slow
def test_two_workers_give_the_same_outputs_as_one(tmp_path, short_single_battery_path):
    one, ev_one = _run(short_single_battery_path, tmp_path / "one", "--workers", "1")
    two, ev_two = _run(short_single_battery_path, tmp_path / "two", "--workers", "2")
    assert set(one) - set(two) == set()
    assert _without_wall_time(one) == _without_wall_time(two)
    pd.testing.assert_frame_equal(ev_one, ev_two, check_exact=True)
    assert len(ev_one) > 0


def test_another_seed_or_replication_gives_another_run(short_single_battery_path):
    sc, cat = load_scenario(short_single_battery_path)
    base = run_replication(sc, cat, 0).events.to_pandas()
    other_seed = run_replication(sc, cat, 0, seed=sc.seed + 1).events.to_pandas()
    other_rep = run_replication(sc, cat, 1).events.to_pandas().drop(columns="replication")
    assert base.equals(base.copy())  # DataFrame.equals counts NaN == NaN, so this means something
    assert not base.equals(other_seed)
    assert not base.drop(columns="replication").equals(other_rep)
