"""The DuckDB study store: definition and hashes, one row per replication, bad files."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

import samsim
from samsim.cli import app
from samsim.store import DB_NAME, StoreError, create_study, open_study
from samsim.sweep import load_sweep, run_task

BASE = Path(samsim.__file__).parent / "scenarios" / "single_battery.yaml"
SMALL = Path(__file__).parents[1] / "sweep" / "data" / "small_sweep.yaml"


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    data = yaml.safe_load(SMALL.read_text())
    data["base"] = str(BASE)
    path = tmp_path_factory.mktemp("sweep") / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_sweep(path)


@pytest.fixture(scope="module")
def result(plan):
    """One real replication (point 1, replication 0) with its events."""
    pt = plan.points[1]
    return run_task(pt.scenario, pt.catalog, 1, 0, plan.replication_seed(1, 0), True)


def _add(study, res, **kw):
    return study.add_replication(
        res.point,
        res.replication,
        res.seed,
        res.metrics,
        wall_s=res.wall_s,
        backend="local",
        worker=res.worker,
        events=kw.get("events", res.events),
    )


def test_study_holds_definition_hashes_and_points(tmp_path, plan):
    with create_study(tmp_path / "s", plan, events=True, backend="local") as study:
        info = study.info()
        assert info["sweep_yaml"] == plan.sweep_text
        assert info["base_yaml"] == BASE.read_text()
        assert info["sweep_sha256"] == plan.sweep_sha256
        assert len(info["base_sha256"]) == 64
        assert info["seed"] == 20240601
        points = study.points()
        assert [p["point"] for p in points] == [0, 1, 2]
        assert [p["params"] for p in points] == [{"raids[1].count": n} for n in (2, 4, 6)]
        assert points[2]["label"] == "cruise_missiles=6"
        assert json.loads(points[2]["scenario_json"])["raids"][1]["count"] == 6
        assert study.meta()["format"] == "samsim-study"
        num = study.con.execute("SELECT value_num FROM point_params ORDER BY point").fetchall()
        assert num == [(2.0,), (4.0,), (6.0,)]


def test_replication_is_committed_once_with_breakdowns_and_events(tmp_path, plan, result):
    with create_study(tmp_path / "s", plan, events=True, backend="local") as study:
        assert _add(study, result) is True
        assert study.count() == 1
        row = study.con.execute(
            "SELECT point, replication, seed, threats, leakers, cost_defence FROM replications"
        ).fetchone()
        m = result.metrics
        assert row == (1, 0, result.seed, m["threats"], m["leakers"], m["cost_defence"])
        assert row[3] == 5  # one drone and four cruise missiles launched
        by_type = dict(
            study.con.execute(
                "SELECT name, value FROM breakdowns WHERE breakdown = 'threats_by_type'"
            ).fetchall()
        )
        assert by_type == {"owa_drone": 1.0, "subsonic_cm": 4.0}
        assert study.count("events") == result.events.num_rows > 0
        stored = study.events(1, 0)
        assert stored["kind"].tolist() == result.events.column("kind").to_pylist()
        assert stored["time_s"].tolist() == result.events.column("time_s").to_pylist()
        assert stored["seq"].tolist() == list(range(result.events.num_rows))
        # The same outcome again is ignored; nothing is duplicated.
        assert _add(study, result) is False
        assert study.count() == 1
        assert study.count("events") == result.events.num_rows
        # A different outcome under the same key is refused, and rolled back.
        other = dict(result.metrics, leakers=result.metrics["leakers"] + 1)
        with pytest.raises(StoreError, match="different outcome"):
            study.add_replication(1, 0, result.seed, other, wall_s=1.0, backend="local", worker="w")
        assert study.count() == 1
        with pytest.raises(duckdb.ConstraintException):
            study.con.execute("INSERT INTO replications SELECT * FROM replications")
        assert study.completed()[(1, 0)]["leakers"] == result.metrics["leakers"]
        written = study.export_parquet()
    names = sorted(p.name for p in written)
    assert names == [
        "breakdowns.parquet",
        "events.parquet",
        "point_params.parquet",
        "points.parquet",
        "replications.parquet",
    ]
    table = pq.read_table(tmp_path / "s" / "replications.parquet")
    assert table.num_rows == 1
    assert table.column("leakers").to_pylist() == [result.metrics["leakers"]]


def test_a_second_study_in_the_same_directory_is_refused(tmp_path, plan):
    create_study(tmp_path / "s", plan, events=False, backend="local").close()
    with pytest.raises(StoreError, match="already holds a study"):
        create_study(tmp_path / "s", plan, events=False, backend="local")


def _expect_clear_error(study_dir: Path, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        open_study(study_dir)
    for cmd in (["results", str(study_dir)], ["report", str(study_dir)]):
        res = CliRunner().invoke(app, cmd)
        assert res.exit_code == 2, res.output
        assert re.search(message, res.stderr), res.stderr
        assert "Traceback" not in res.stderr
    res = CliRunner().invoke(app, ["sweep", "--resume", "--out", str(study_dir)])
    assert res.exit_code == 2
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("random", "not a readable DuckDB database"),
        ("text", "not a readable DuckDB database"),
        ("truncated", "not a readable DuckDB database"),
        ("empty", "not a readable DuckDB database"),
    ],
)
def test_corrupt_study_file_gives_a_clear_error(tmp_path, plan, damage, message):
    d = tmp_path / "s"
    create_study(d, plan, events=False, backend="local").close()
    path = d / DB_NAME
    data = path.read_bytes()
    if damage == "random":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "text":
        path.write_text("point,replication\n0,0\n" * 100)
    elif damage == "truncated":
        path.write_bytes(data[:5000])
    else:
        path.write_bytes(b"")
    _expect_clear_error(d, message)


def test_damaged_blocks_give_a_clear_error(tmp_path, plan):
    d = tmp_path / "s"
    create_study(d, plan, events=False, backend="local").close()
    path = d / DB_NAME
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 4] = os.urandom(4096 * 3)  # the header blocks
    path.write_bytes(bytes(data))
    _expect_clear_error(d, re.escape(str(path)))


def test_foreign_duckdb_file_gives_a_clear_error(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    con = duckdb.connect(str(d / DB_NAME))
    con.execute("CREATE TABLE flights (id INTEGER, origin VARCHAR)")
    con.close()
    _expect_clear_error(d, "a DuckDB database but not a samsim study")


def test_wrong_format_version_gives_a_clear_error(tmp_path, plan):
    d = tmp_path / "s"
    with create_study(d, plan, events=False, backend="local") as study:
        study.con.execute("UPDATE samsim_meta SET value = '99' WHERE key = 'format_version'")
    _expect_clear_error(d, "study format version 99, this samsim .* reads version 1")


def test_missing_study_and_study_locked_by_a_running_sweep(tmp_path, plan):
    _expect_clear_error(tmp_path / "nothing", "no such study directory")
    (tmp_path / "empty").mkdir()
    _expect_clear_error(tmp_path / "empty", "no study here")
    d = tmp_path / "s"
    create_study(d, plan, events=False, backend="local").close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True);"
            " time.sleep(60)",
            str(d / DB_NAME),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="open in another process"):
            open_study(d)
    finally:
        holder.kill()
        holder.wait()
    with open_study(d) as study:
        assert study.count() == 0
