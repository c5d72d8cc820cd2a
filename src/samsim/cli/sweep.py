"""Commands ``sweep``, ``results`` and ``report``: studies over many scenario variants."""

from __future__ import annotations

import csv
import enum
import math
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from samsim.cli.app import _fail, app, err, out

EXIT_INTERRUPTED = 130


class BackendName(enum.StrEnum):
    local = "local"
    dask = "dask"


def _problems(exc: Exception) -> list[str]:
    problems = getattr(exc, "problems", None)
    if problems:
        return [str(p) for p in problems]
    return [str(exc)]


def _make_backend(
    backend: BackendName, scheduler: str | None, workers: int, connect_timeout_s: float
):
    from samsim.sweep import DaskBackend, LocalBackend

    if backend is BackendName.local:
        if scheduler is not None:
            _fail(["--scheduler: only with --backend dask"])
        return LocalBackend(
            workers,
            on_restart=lambda n: err.print(
                f"[yellow]warning:[/yellow] a worker process died; restarted the pool and "
                f"resubmitted {n} unfinished replication(s)"
            ),
        )
    try:
        return DaskBackend(workers, scheduler, connect_timeout_s=connect_timeout_s)
    except (OSError, TimeoutError, ValueError) as exc:
        what = f"cannot connect to the scheduler {scheduler}" if scheduler else "cannot start"
        _fail([f"--scheduler: {what}: {type(exc).__name__}: {exc}"])
    return None  # unreachable


def _fmt(rec: dict | None, digits: int = 3) -> str:
    if rec is None or rec.get("mean") is None or not math.isfinite(rec["mean"]):
        return "n/a"
    m, lo, hi = rec["mean"], rec["ci_low"], rec["ci_high"]
    if rec.get("n", 0) <= 1 or not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def print_points(study) -> None:
    """The per-point table of a study: means with 95 % confidence intervals."""
    from samsim.report.summary import point_summaries

    info = study.info()
    rows = point_summaries(study)
    t = Table(
        title=f"{info['name']}: {len(rows)} point(s), {study.count()} replication(s)  "
        "(mean [95 % CI])",
        title_justify="left",
    )
    for col in (
        "point",
        "parameters",
        "n",
        "threats",
        "leakers",
        "kills",
        "interceptors fired",
        "P(no leaker)",
        "cost-exchange",
    ):
        t.add_column(col, justify="left" if col == "parameters" else "right", overflow="fold")
    for row in rows:
        s = row["summary"]
        if s is None:
            t.add_row(str(row["point"]), escape(row["label"]), "0", *(["-"] * 6))
            continue
        cer = s["cost_exchange_ratio"]
        t.add_row(
            str(row["point"]),
            escape(row["label"]),
            str(row["n"]),
            _fmt(s["threats"]),
            _fmt(s["leakers"]),
            _fmt(s["kills"]),
            _fmt(s["interceptors_fired"]),
            _fmt(s["p_no_leak"], 2),
            _fmt(cer),
        )
    out.print(t)


@app.command()
def sweep(
    sweep_file: Annotated[
        Path | None,
        typer.Argument(help="sweep YAML file (optional with --resume: the stored one is used)"),
    ] = None,
    backend: Annotated[
        BackendName, typer.Option(help="local worker processes, or a Dask cluster")
    ] = BackendName.local,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786); default: a LocalCluster"),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="study directory (default samsim-out/<sweep name>)"),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue the study in --out where it stopped")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=4096, help="worker processes (local, or a new LocalCluster)")
    ] = 1,
    events: Annotated[
        bool, typer.Option("--events", help="store every replication's event log too")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="one line per stored replication")
    ] = False,
    connect_timeout_s: Annotated[
        float, typer.Option("--connect-timeout", min=0.1, help="seconds to reach --scheduler")
    ] = 10.0,
) -> None:
    """Run a sweep into a study directory (DuckDB store and Parquet exports), resumably."""
    from samsim.store import StoreError, create_study, open_study
    from samsim.sweep import SweepError, load_sweep, plan_of_study, run_sweep

    if scheduler is not None and backend is not BackendName.dask:
        _fail(["--scheduler: only with --backend dask"])
    study = None
    if resume:
        if out_dir is None:
            if sweep_file is None:
                _fail(["--out: give the study directory to resume"])
            try:
                out_dir = Path("samsim-out") / load_sweep(sweep_file).spec.name
            except SweepError as exc:
                _fail(_problems(exc))
        try:
            study = open_study(out_dir, read_only=False)
            plan = plan_of_study(study, sweep_file)
        except (StoreError, SweepError) as exc:
            if study is not None:
                study.close()
            _fail(_problems(exc))
        stored_events = bool(study.info()["events"])
        if events and not stored_events:
            study.close()
            _fail(["--events: this study was started without events; resume it without --events"])
        events = stored_events
    else:
        if sweep_file is None:
            _fail(["SWEEP_FILE: give a sweep file (or --resume --out DIR)"])
        try:
            plan = load_sweep(sweep_file)
        except SweepError as exc:
            _fail(_problems(exc))
        out_dir = out_dir or Path("samsim-out") / plan.spec.name
        if out_dir.exists() and not out_dir.is_dir():
            _fail([f"--out: {out_dir} exists and is not a directory"])
        if (out_dir / "study.duckdb").exists():
            _fail(
                [f"--out: {out_dir} already holds a study; add --resume, or choose another --out"]
            )

    runner = _make_backend(backend, scheduler, workers, connect_timeout_s)
    try:
        if study is None:
            try:
                study = create_study(out_dir, plan, events=events, backend=backend.value)
            except StoreError as exc:
                _fail([str(exc)])
        n_points = len(plan.points)
        before = study.count()
        where = runner.address if backend is BackendName.dask else f"{runner.workers} process(es)"
        err.print(
            f"{plan.spec.name}: {n_points} point(s) x {plan.spec.replications} replication(s)"
            f"{' (with a stopping rule)' if plan.spec.stop else ''}; {before} already stored; "
            f"backend {backend.value} on {escape(str(where))}",
            highlight=False,
            soft_wrap=True,
        )
        t0 = time.perf_counter()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        ) as progress:
            task = progress.add_task("replications", total=None, completed=before)

            def on_progress(p) -> None:
                progress.update(task, total=p.total, completed=p.done)
                if verbose:
                    progress.console.print(
                        f"stored point {p.point} replication {p.replication} ({p.done}/{p.total})",
                        highlight=False,
                        soft_wrap=True,
                    )

            counts = run_sweep(plan, study, runner, events=events, on_progress=on_progress)
            progress.update(task, total=counts["planned"], completed=counts["stored"])
        wall = time.perf_counter() - t0
        exported = study.export_parquet()
        err.print(
            f"ran {counts['ran']} replication(s) in {wall:.1f} s; "
            f"{counts['stored']} stored in {out_dir / 'study.duckdb'}",
            highlight=False,
            soft_wrap=True,
        )
        print_points(study)
        out.print(
            f"wrote {out_dir / 'study.duckdb'} and " + ", ".join(p.name for p in exported),
            markup=False,
        )
    except KeyboardInterrupt:
        n = study.count() if study is not None else 0
        err.print(
            f"interrupted: {n} replication(s) stored; continue with "
            f"samsim sweep --resume --out {out_dir}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        runner.close()
        if study is not None:
            study.close()


@app.command()
def results(
    study_dir: Annotated[Path, typer.Argument(help="study directory (holding study.duckdb)")],
    sql: Annotated[
        str | None, typer.Option("--sql", help="a read-only SQL query against the store")
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV instead of a table")] = False,
    max_rows: Annotated[int, typer.Option(min=1, help="rows shown in a table")] = 200,
) -> None:
    """Per-point means with 95 % intervals, or the result of a read-only SQL query."""
    import duckdb

    from samsim.store import StoreError, open_study

    try:
        study = open_study(study_dir, read_only=True, sandbox=sql is not None)
    except StoreError as exc:
        _fail([str(exc)])
    with study:
        if sql is None:
            if as_csv:
                _points_csv(study)
            else:
                print_points(study)
            return
        try:
            cur = study.con.execute(sql)
            cols = [d[0] for d in cur.description] if cur.description else []
            rows = cur.fetchall() if cols else []
        except duckdb.Error as exc:
            _fail([f"--sql: {str(exc).splitlines()[0]}"])
    if as_csv:
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows(rows)
        return
    t = Table(title=f"{len(rows)} row(s)", title_justify="left")
    for c in cols:
        t.add_column(escape(str(c)), overflow="fold")
    for row in rows[:max_rows]:
        t.add_row(*(escape(_cell(v)) for v in row))
    out.print(t)
    if len(rows) > max_rows:
        out.print(f"... {len(rows) - max_rows} more row(s) (--max-rows, or --csv)", markup=False)


def _cell(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _points_csv(study) -> None:
    """Every per-point mean with its 95 % interval, one row per point."""
    from samsim.analysis.summary import SCALARS
    from samsim.report.summary import point_summaries

    keys = (*SCALARS, "p_no_leak", "cost_exchange_ratio")
    w = csv.writer(sys.stdout)
    w.writerow(
        ["point", "label", "n"] + [f"{k}_{s}" for k in keys for s in ("mean", "ci_low", "ci_high")]
    )
    for row in point_summaries(study):
        s = row["summary"]
        vals: list[Any] = []
        for k in keys:
            rec = s[k] if s else None
            vals += [rec[x] if rec else None for x in ("mean", "ci_low", "ci_high")]
        w.writerow([row["point"], row["label"], row["n"], *vals])


@app.command()
def report(
    study_dir: Annotated[Path, typer.Argument(help="study directory (holding study.duckdb)")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="HTML file (default DIR/report.html)")
    ] = None,
    point: Annotated[
        int | None, typer.Option(min=0, help="point of the engagement timeline and map")
    ] = None,
    replication: Annotated[
        int | None, typer.Option(min=0, help="replication of the engagement timeline and map")
    ] = None,
) -> None:
    """Write one self-contained HTML report of a study (plots embedded)."""
    from samsim.report import ReportError, write_report
    from samsim.store import StoreError, open_study

    try:
        study = open_study(study_dir, read_only=True)
    except StoreError as exc:
        _fail([str(exc)])
    target = out_file or Path(study_dir) / "report.html"
    with study:
        try:
            path = write_report(study, target, point=point, replication=replication)
        except ReportError as exc:
            _fail([str(exc)])
    out.print(f"wrote {path}", markup=False)
