"""A web sweep's directory is an ordinary study: one interrupted by a server stop is marked
``interrupted`` at the next start and finished by ``samsim sweep --resume``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from samsim.cli import app
from samsim.cli.commands import reference_scenario
from samsim.scenario import parse_yaml
from samsim.store import create_study, open_study
from samsim.web.checks import Limits
from samsim.web.sweeps import SweepManager, build_plan


def test_an_interrupted_web_sweep_is_marked_and_resumes_on_the_command_line(tmp_path):
    root = tmp_path / "sweeps"
    sweep_id = "ab" * 16
    directory = root / sweep_id
    base = parse_yaml(reference_scenario("single_battery").read_text())
    sweep = {"name": "resumable", "seed": 3, "replications": 1, "set": {"duration_s": 120}}
    built = build_plan(sweep, base, directory, Limits())
    # what SweepManager.start leaves on disk, as if the server then died
    directory.mkdir(parents=True)
    (directory / "sweep.yaml").write_text(built.sweep_text)
    (directory / "base.yaml").write_text(built.base_text)
    create_study(directory, built.plan, events=False, backend="web").close()
    record = {"id": sweep_id, "name": "resumable", "status": "running", "done": 0, "total": 1}
    (directory / "sweep.json").write_text(json.dumps(record))

    manager = SweepManager(root, workers=1, limits=Limits())
    try:
        rec = json.loads((directory / "sweep.json").read_text())
        assert manager.get(sweep_id) is None  # not a complete record: 404, not a 500
    finally:
        manager.shutdown()
    assert rec["status"] == "interrupted" and rec["finished"]
    assert f"samsim sweep --resume --out {directory}" in rec["message"]

    result = CliRunner().invoke(app, ["sweep", "--resume", "--out", str(directory)])
    assert result.exit_code == 0, result.output
    with open_study(directory) as study:
        assert study.count() == 1
        assert study.info()["base_path"] == str(directory / "base.yaml")
