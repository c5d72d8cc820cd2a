"""The typer application and its shared helpers (console output, bad-input exits)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from samsim.scenario import ScenarioError, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="samsim: simulation and analysis of NASAMS-style ground-based air "
    "defence (notional public parameters; not fire-control software).",
)
out = Console()
err = Console(stderr=True)

EXIT_BAD_INPUT = 2


def _fail(lines: list[str]) -> None:
    for line in lines:
        err.print(f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(path: Path):
    """Load and fully check a scenario (including its DEM), or exit 2 with the problems."""
    from samsim.geo import LocalFrame
    from samsim.world.build import load_terrain, scenario_origin

    try:
        sc, cat = load_scenario(path)
        load_terrain(sc, LocalFrame.at(*scenario_origin(sc)))
        return sc, cat
    except ScenarioError as exc:
        _fail([f"{path}: {p}" if not p.path else f"{p}" for p in exc.problems])
