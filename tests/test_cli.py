"""The command line through typer's CliRunner: exit codes, messages, no tracebacks."""

import json

import pytest
from typer.testing import CliRunner

from samsim.cli import app
from tests.scenario.malformed import CASES, write_case

runner = CliRunner()


def _invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result, result.output


@pytest.mark.parametrize(
    ("break_it", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_scenario_exits_2_naming_the_field(
    tmp_path, single_battery_data, break_it, expected
):
    path = write_case(tmp_path, single_battery_data, break_it)
    out_dir = tmp_path / "out"
    for args in (["validate", path], ["run", path, "--out", out_dir]):
        result, output = _invoke(*args)
        assert result.exit_code == 2, (args[0], output, result.exception)
        assert expected in output, (args[0], output)
        assert "Traceback" not in output
        assert output.startswith("error:")
        assert not out_dir.exists()


def test_missing_file_exits_2(tmp_path):
    result, output = _invoke("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such scenario file" in output


@pytest.mark.parametrize("name", ["single_battery", "taiwan_north"])
def test_shipped_scenarios_validate(name, single_battery_path, taiwan_north_path):
    path = {"single_battery": single_battery_path, "taiwan_north": taiwan_north_path}[name]
    result, output = _invoke("validate", path)
    assert result.exit_code == 0, output
    assert f"valid scenario '{name}'" in " ".join(output.split())  # rich wraps at 80 columns


def test_validate_counts_the_threats(single_battery_path):
    _, output = _invoke("validate", single_battery_path)
    assert "2 raids (8 threats)" in " ".join(output.split())


def test_schema_is_json_with_the_scenario_properties():
    result, output = _invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(output)
    assert "raids" in schema["properties"]
    assert "batteries" in schema["properties"]


def test_catalog_lists_values_with_their_tags():
    result, output = _invoke("catalog", "launchers")
    assert result.exit_code == 0
    assert "launchers.canister_6.rounds" in output
    assert "radars.sentinel" not in output


def test_unknown_catalog_section_exits_2():
    result, output = _invoke("catalog", "lasers")
    assert result.exit_code == 2
    assert "section" in output and "lasers" in output


def test_run_refuses_an_out_path_that_is_a_file(tmp_path, single_battery_path):
    target = tmp_path / "taken"
    target.write_text("not a directory")
    result, output = _invoke("run", single_battery_path, "--out", target)
    assert result.exit_code == 2
    assert "--out" in output
    assert target.read_text() == "not a directory"


@pytest.mark.parametrize(
    "args",
    [["--replications", "0"], ["--workers", "0"], ["--seed", "-4"]],
    ids=["zero replications", "zero workers", "negative seed"],
)
def test_bad_options_exit_2_before_writing(tmp_path, single_battery_path, args):
    out_dir = tmp_path / "out"
    result, output = _invoke("run", single_battery_path, "--out", out_dir, *args)
    assert result.exit_code == 2
    assert args[0] in output
    assert not out_dir.exists()
