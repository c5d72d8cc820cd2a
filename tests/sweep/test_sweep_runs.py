"""Whole sweeps on real worker processes and a real Dask cluster, killed and resumed.

Every run here must store exactly the rows of the reference run (local
backend, two worker processes): same (point, replication) keys, seeds, metric
columns and metrics JSON, and the same event logs, bit for bit.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml
from typer.testing import CliRunner

import samsim
from samsim.cli import app
from samsim.engine import run_replication
from samsim.store import create_study, open_study
from samsim.sweep import LocalBackend, load_sweep, point_target, run_sweep, runner

BASE = Path(samsim.__file__).parent / "scenarios" / "single_battery.yaml"
TAIWAN = Path(samsim.__file__).parent / "scenarios" / "taiwan_north.yaml"
SMALL = Path(__file__).parent / "data" / "small_sweep.yaml"
N_REPLICATIONS = 6  # 3 points x 2 replications
CLI = [sys.executable, "-c", "from samsim.cli import main; main()"]


def _sweep_file(tmp_path: Path) -> Path:
    """The sweep these tests kill and resume: taiwan_north with 1, 6 or 16 cruise
    missiles in its cruise-missile raid. A replication takes about a CPU second, so
    that a kill lands in the middle of the sweep (small_sweep.yaml's take 0.05 s)."""
    data = {
        "name": "kill_sweep",
        "description": "taiwan_north's cruise-missile raid size (test case)",
        "base": str(TAIWAN),
        "seed": 20240601,
        "replications": 2,
        "grid": [{"path": "raids[3].count", "name": "cruise_missiles", "values": [1, 6, 16]}],
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _stored(study_dir: Path) -> tuple[list[tuple], list[tuple]]:
    """Replication rows (no wall time or worker) and every event row, in key order."""
    with open_study(study_dir) as study:
        events = study.con.execute(
            "SELECT * FROM events ORDER BY point, replication, seq"
        ).fetchall()
        # NaN (no position) never equals itself; compare it as None.
        events = [tuple(None if v != v else v for v in row) for row in events]
        return study.replication_rows(), events


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run: local backend, two worker processes, events stored."""
    tmp = tmp_path_factory.mktemp("reference")
    sweep = _sweep_file(tmp)
    res = CliRunner().invoke(
        app, ["sweep", str(sweep), "--out", str(tmp / "study"), "--workers", "2", "--events"]
    )
    assert res.exit_code == 0, res.output
    rows, events = _stored(tmp / "study")
    assert len(rows) == N_REPLICATIONS
    assert len(events) > 100
    # The sweep made a difference: more cruise missiles, more leakers on average.
    leakers = {}
    for row in rows:
        leakers.setdefault(row[0], []).append(row[5])
    assert sum(leakers[2]) > sum(leakers[0])
    return sweep, rows, events


def _wait_for_lines(log: Path, text: str, count: int, proc: subprocess.Popen, timeout_s=240):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count(text) >= count:
            return
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early ({proc.returncode}): {log.read_text()}")
        time.sleep(0.05)
    pytest.fail(f"no {count} x {text!r} in {timeout_s} s: {log.read_text()}")


def test_sweep_killed_with_sigkill_then_resumed_equals_an_uninterrupted_run(tmp_path, reference):
    sweep, ref_rows, ref_events = reference
    study_dir = tmp_path / "study"
    log = tmp_path / "sweep.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [
                *CLI,
                "sweep",
                str(sweep),
                "--out",
                str(study_dir),
                "--workers",
                "2",
                "-v",
                "--events",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: the client and its workers
        )
        try:
            _wait_for_lines(log, "stored point", 2, proc)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial, _ = _stored(study_dir)
    assert 2 <= len(partial) < N_REPLICATIONS, "the kill did not land in the middle"
    assert partial == [r for r in ref_rows if r[:2] in {p[:2] for p in partial}]

    res = CliRunner().invoke(app, ["sweep", "--resume", "--out", str(study_dir), "-v"])
    assert res.exit_code == 0, res.output
    assert f"{len(partial)} already stored" in res.stderr
    assert res.stderr.count("stored point") == N_REPLICATIONS - len(partial)
    rows, events = _stored(study_dir)
    assert rows == ref_rows
    assert events == ref_events
    # Resuming a finished study runs nothing and changes nothing.
    res = CliRunner().invoke(app, ["sweep", str(sweep), "--resume", "--out", str(study_dir)])
    assert res.exit_code == 0, res.output
    assert "ran 0 replication(s)" in res.stderr
    assert _stored(study_dir) == (ref_rows, ref_events)


def test_a_killed_worker_process_is_replaced_and_nothing_is_lost(tmp_path, reference):
    sweep, ref_rows, ref_events = reference
    study_dir = tmp_path / "study"
    log = tmp_path / "sweep.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [
                *CLI,
                "sweep",
                str(sweep),
                "--out",
                str(study_dir),
                "--workers",
                "2",
                "-v",
                "--events",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            _wait_for_lines(log, "stored point", 1, proc)
            workers = psutil.Process(proc.pid).children()
            assert workers, "no worker processes"
            os.kill(workers[0].pid, signal.SIGKILL)
            assert proc.wait(timeout=300) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert "a worker process died" in log.read_text()
    assert _stored(study_dir) == (ref_rows, ref_events)


def test_resume_with_a_changed_sweep_file_exits_2(tmp_path):
    sweep = _sweep_file(tmp_path)
    study_dir = tmp_path / "study"
    create_study(study_dir, load_sweep(sweep), events=False, backend="local").close()
    changed = tmp_path / "changed.yaml"
    changed.write_text(sweep.read_text().replace("seed: 20240601", "seed: 5"))
    res = CliRunner().invoke(app, ["sweep", str(changed), "--resume", "--out", str(study_dir)])
    assert res.exit_code == 2
    assert "differs from the sweep this study was started with" in res.stderr
    res = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(study_dir)])
    assert res.exit_code == 2
    assert "already holds a study; add --resume" in res.stderr
    res = CliRunner().invoke(app, ["sweep", "--resume", "--events", "--out", str(study_dir)])
    assert res.exit_code == 2
    assert "--events: this study was started without events" in res.stderr
    # A stored definition that no longer matches its hash is refused too.
    with open_study(study_dir, read_only=False) as study:
        study.con.execute("UPDATE study SET sweep_yaml = sweep_yaml || '# edited'")
    res = CliRunner().invoke(app, ["sweep", "--resume", "--out", str(study_dir)])
    assert res.exit_code == 2
    assert "stored sweep definition does not match its hash" in res.stderr
    with open_study(study_dir) as study:
        assert study.count() == 0


def test_dask_local_cluster_gives_the_local_results_bit_for_bit(tmp_path, reference):
    sweep, ref_rows, ref_events = reference
    res = CliRunner().invoke(
        app,
        [
            "sweep",
            str(sweep),
            "--out",
            str(tmp_path / "study"),
            "--backend",
            "dask",
            "--workers",
            "2",
            "--events",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "backend dask on tcp://127.0.0.1" in res.stderr
    assert _stored(tmp_path / "study") == (ref_rows, ref_events)
    with open_study(tmp_path / "study") as study:
        backends = study.con.execute("SELECT DISTINCT backend FROM replications").fetchall()
    assert backends == [("dask",)]


def test_dask_on_an_existing_scheduler_gives_the_local_results(tmp_path, reference):
    from distributed import LocalCluster

    sweep, ref_rows, ref_events = reference
    # Workers as threads of this process (already past its imports) keep this
    # test short; the test above runs worker processes.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        res = CliRunner().invoke(
            app,
            [
                "sweep",
                str(sweep),
                "--out",
                str(tmp_path / "study"),
                "--backend",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--events",
            ],
        )
        assert res.exit_code == 0, res.output
        assert f"backend dask on {cluster.scheduler_address}" in res.stderr
    assert _stored(tmp_path / "study") == (ref_rows, ref_events)


def test_unreachable_scheduler_exits_2_and_writes_nothing(tmp_path, reference):
    sweep, _, _ = reference
    res = CliRunner().invoke(
        app,
        [
            "sweep",
            str(sweep),
            "--out",
            str(tmp_path / "study"),
            "--backend",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--connect-timeout",
            "2",
        ],
    )
    assert res.exit_code == 2, res.output
    assert "--scheduler: cannot connect to the scheduler tcp://127.0.0.1:9" in res.stderr
    assert not (tmp_path / "study").exists()


def test_stopping_rule_adds_replications_until_the_interval_is_met(tmp_path, monkeypatch):
    # Also: no more than two replications handed to the two workers at a time.
    monkeypatch.setattr(runner, "MIN_IN_FLIGHT", 1)
    monkeypatch.setattr(runner, "IN_FLIGHT_PER_WORKER", 1)
    data = yaml.safe_load(SMALL.read_text())
    data["base"] = str(BASE)
    data["grid"] = [{"path": "raids[1].count", "name": "cruise_missiles", "values": [4]}]
    # The rule only adds replications when the first batch varies; pick a metric
    # that varies over the first batch under today's models, so the test does
    # not hinge on one metric's outcome.
    probe = tmp_path / "probe.yaml"
    probe.write_text(yaml.safe_dump(data, sort_keys=False))
    probe_plan = load_sweep(probe)
    point = probe_plan.points[0]
    batch = 4
    first = [
        run_replication(point.scenario, point.catalog, r, probe_plan.replication_seed(0, r)).metrics
        for r in range(batch)
    ]
    metric = next(
        m
        for m in ("threats_not_engaged", "kills", "leakers", "cost_threats_destroyed")
        if len({f[m] for f in first}) > 1
    )
    data["replications"] = batch
    data["stop"] = {
        "metric": metric,
        "half_width": 1e-6,
        "max_replications": 2 * batch,
        "batch": batch,
    }
    path = tmp_path / "stop.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    plan = load_sweep(path)
    backend = LocalBackend(2)
    submit, most = backend.submit, []

    def counting_submit(*args):
        submit(*args)
        most.append(backend.outstanding())

    backend.submit = counting_submit
    with create_study(tmp_path / "study", plan, events=False, backend="local") as study:
        seen = []
        counts = run_sweep(plan, study, backend, on_progress=seen.append)
        done = study.completed()
    backend.close()
    assert max(most) == 2
    values = {r: m[metric] for (_, r), m in done.items()}
    n = len(values)
    assert sorted(values) == list(range(n))
    assert n == point_target(plan, values) == counts["planned"] == counts["stored"]
    assert len({values[r] for r in range(batch)}) > 1, "the first batch varies"
    assert n > batch, "so the rule must add replications"
    assert seen[-1].total == n
    assert [p.done for p in seen] == list(range(1, n + 1))
