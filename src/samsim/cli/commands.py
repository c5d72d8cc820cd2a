"""Commands ``run``, ``demo``, ``validate``, ``schema`` and ``catalog``."""

from __future__ import annotations

import json
import os
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from samsim.cli.app import _fail, _load, app, err, out
from samsim.scenario import scenario_json_schema


def reference_scenario(name: str) -> Path:
    """Path of a scenario shipped with the package."""
    return Path(str(resources.files("samsim").joinpath(f"scenarios/{name}.yaml")))


def _run(
    path: Path,
    replications: int,
    seed: int | None,
    out_dir: Path | None,
    workers: int,
    *,
    record: bool = False,
):
    """Shared body of `run` and `demo`: load, simulate with progress, write outputs."""
    from samsim.analysis import summarise
    from samsim.engine import run_replication
    from samsim.store import write_events, write_summary
    from samsim.sweep import run_replications

    sc, cat = _load(path)
    seed = sc.seed if seed is None else seed
    out_dir = out_dir or Path("samsim-out") / sc.name
    if out_dir.exists() and not out_dir.is_dir():
        _fail([f"--out: {out_dir} exists and is not a directory"])
    t0 = time.perf_counter()
    results = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(f"{sc.name}: replications", total=replications)
        first = None
        if record:
            # Replication 0 in this process, with paths for the map.
            first = run_replication(sc, cat, 0, seed, record_paths=True, keep_world=True)
            progress.advance(task)
        rest = run_replications(
            sc,
            cat,
            replications,
            seed,
            workers=workers,
            on_done=lambda _r: progress.advance(task),
            skip=(0,) if record else (),
        )
        results = ([first] if first is not None else []) + rest
    results.sort(key=lambda r: r.replication)
    summary = summarise(
        [r.metrics for r in results], scenario=sc.name, seed=seed, wall_s=time.perf_counter() - t0
    )
    write_events(out_dir, [r.events for r in results])
    write_summary(out_dir, summary)
    return sc, cat, summary, results, out_dir


def _fmt(rec: dict, money: bool = False) -> str:
    if rec is None or rec.get("mean") is None:
        return "n/a"
    m, lo, hi = rec["mean"], rec["ci_low"], rec["ci_high"]
    if money:
        return f"${m / 1e6:,.1f} M" + (
            "" if rec["n"] <= 1 else f"  [{lo / 1e6:,.1f}, {hi / 1e6:,.1f}]"
        )
    if rec["n"] <= 1:
        return f"{m:,.3g}"
    return f"{m:,.3g}  [{lo:,.3g}, {hi:,.3g}]"


def print_summary(summary: dict) -> None:
    """A readable table of a summary (means with 95 % intervals)."""
    t = Table(
        title=f"{summary['scenario']}: {summary['replications']} replication(s), "
        f"seed {summary['seed']}  (mean [95 % CI])",
        title_justify="left",
    )
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("threats launched", _fmt(summary["threats"]))
    for k, v in summary["threats_by_type"].items():
        t.add_row(f"  {k}", _fmt(v))
    t.add_row("kills", _fmt(summary["kills"]))
    t.add_row("leakers", _fmt(summary["leakers"]))
    for k, v in summary["leakers_by_type"].items():
        t.add_row(f"  {k}", _fmt(v))
    t.add_row("threats never engaged", _fmt(summary["threats_not_engaged"]))
    t.add_row("P(no leaker)", _fmt(summary["p_no_leak"]))
    t.add_row("interceptors fired", _fmt(summary["interceptors_fired"]))
    for k, v in summary["interceptors_by_type"].items():
        t.add_row(f"  {k}", _fmt(v))
    t.add_row("defence cost (interceptors)", _fmt(summary["cost_defence"], money=True))
    t.add_row("attacker cost launched", _fmt(summary["cost_threats"], money=True))
    t.add_row("attacker cost destroyed", _fmt(summary["cost_threats_destroyed"], money=True))
    cer = summary["cost_exchange_ratio"]["mean"]
    t.add_row(
        "cost-exchange ratio (destroyed / spent)",
        "n/a" if cer is None or cer != cer else f"{cer:.3f}",
    )
    t.add_row("asset value destroyed", _fmt(summary["asset_damage"]))
    t.add_row("civil or friendly engagements", _fmt(summary["civil_or_friendly_engagements"]))
    t.add_row("wall time", f"{summary['wall_s']:.1f} s")
    out.print(t)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    replications: Annotated[
        int, typer.Option(min=1, max=100_000, help="independent replications")
    ] = 1,
    seed: Annotated[int | None, typer.Option(min=0, help="override the scenario seed")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="output directory (default samsim-out/<scenario name>)"),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=512, help="worker processes")] = 1,
) -> None:
    """Run a scenario: writes DIR/summary.json and DIR/events.parquet."""
    _, _, summary, _, out_dir = _run(scenario, replications, seed, out_dir, workers)
    print_summary(summary)
    out.print(f"wrote {out_dir / 'summary.json'} and {out_dir / 'events.parquet'}", markup=False)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="output directory")] = Path("samsim-demo"),
    replications: Annotated[int, typer.Option(min=1, max=10_000)] = 4,
    workers: Annotated[int, typer.Option(min=1, max=512)] = max(1, os.cpu_count() or 1),
) -> None:
    """Run the reference Taiwan scenario end to end and draw the engagement map."""
    from samsim.plotting import draw_engagement_map
    from samsim.plotting.layers import run_layers

    path = reference_scenario("taiwan_north")
    out.print(f"samsim demo: {path.name}, {replications} replications on {workers} worker(s)")
    sc, cat, summary, results, out_dir = _run(
        path, replications, None, out_dir, workers, record=True
    )
    print_summary(summary)
    first = results[0]
    m = first.metrics
    notes = (
        f"replication 0: {m['threats']} threats, {m['kills']} killed, "
        f"{m['leakers']} leaked\n{m['interceptors_fired']} interceptors "
        f"(${m['cost_defence'] / 1e6:.1f} M), civil engagements "
        f"{m['civil_or_friendly_engagements']}"
    )
    png = draw_engagement_map(run_layers(sc, cat, first, notes), out_dir / "engagement_map.png")
    out.print(f"outputs in {out_dir}/: summary.json, events.parquet, {png.name}", markup=False)


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="scenario YAML file")]) -> None:
    """Check a scenario; exit 0 when valid, 2 with one line per problem."""
    sc, _ = _load(scenario)
    n_threats = sum(r.count for r in sc.raids)
    out.print(
        f"{scenario}: valid scenario {sc.name!r}: {len(sc.assets)} assets, "
        f"{len(sc.batteries)} fire units, {len(sc.raids)} raids ({n_threats} threats), "
        f"{len(sc.traffic)} traffic entries",
        markup=False,
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format."""
    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


@app.command()
def catalog(
    section: Annotated[
        str | None,
        typer.Argument(help="radars, eo_ir, fdcs, launchers, interceptors, threats or iff"),
    ] = None,
) -> None:
    """List the notional catalog with each value's confidence tag and source."""
    from samsim.catalog import TAGS, catalog_values, provenance

    values, _ = catalog_values()
    prov = provenance()
    if section is not None and section not in values:
        _fail([f"section: unknown catalog section {section!r} (known: {', '.join(values)})"])
    t = Table(
        title="samsim notional catalog (tags: "
        + ", ".join(f"{k} {v}" for k, v in TAGS.items() if k != "S")
        + ")",
        show_lines=False,
        title_justify="left",
    )
    for col in ("parameter", "value", "tag", "source"):
        t.add_column(col, overflow="fold")
    for path, p in prov.items():
        if section is not None and not path.startswith(section + "."):
            continue
        node = values
        for part in path.split("."):
            node = node[part]
        t.add_row(path, str(node), p.tag, p.source)
    out.print(t)
