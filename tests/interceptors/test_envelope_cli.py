"""`samsim envelope`: output, plot and bad input."""

from typer.testing import CliRunner

from samsim.cli import app


def test_envelope_command_prints_ranges_and_writes_a_plot(tmp_path):
    png = tmp_path / "env.png"
    res = CliRunner().invoke(app, ["envelope", "aim9x", "--target-speed", "200", "--out", str(png)])
    assert res.exit_code == 0, res.output
    assert "max intercept range" in res.output
    assert "public figures 7-10 km" in res.output
    assert png.stat().st_size > 20_000


def test_envelope_command_rejects_bad_input_with_exit_2(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["envelope", "patriot"])
    assert res.exit_code == 2
    assert "interceptor: unknown type 'patriot'" in res.output
    res = runner.invoke(app, ["envelope", "aim9x", "--out", str(tmp_path / "x.txt")])
    assert res.exit_code == 2 and "--out" in res.output
    res = runner.invoke(app, ["envelope", "aim9x", "--target-speed", "-5"])
    assert res.exit_code == 2
    assert not list(tmp_path.iterdir())
