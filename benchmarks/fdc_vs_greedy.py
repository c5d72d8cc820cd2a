"""samsim's FDC against the foundation's greedy FDC.

Run:  python benchmarks/fdc_vs_greedy.py [--replications 200] [--workers 2]
                                         [--scenario taiwan_north] [--csv FILE]
                                         [--baseline foundation|greedy] [--shadow]
                                         [--arm optimal|greedy --first N]

Runs the same replications (same seeds: common random numbers) of a shipped
scenario twice, once with the scenario's doctrine and ``doctrine.assignment:
optimal`` (``solve_wta``), once with the greedy arm on samsim's local
replication runner. The greedy arm (``--baseline``): ``foundation`` (the
default) is the foundation issue's FDC, maximum-marginal-return greedy
assignment and every salvo fired at once (shoot-shoot, its only shot
doctrine), the rest of the doctrine as shipped; ``greedy`` changes only the
assignment. ``--arm`` simulates one arm only (from replication ``--first``),
to be paired with another run's rows by ``--from-csv A.csv B.csv`` (for each
arm and replication the row of the first file that has one). Prints the mean
leakers, interceptors fired, kills and defence cost of each with Student-t
95 % confidence intervals, and the paired difference optimal - greedy with its
own 95 % interval (the replications share their random streams, so the paired
interval is the sharper test).
``--csv`` keeps one row per replication and option, written as they finish;
the two options run in interleaved chunks of ``--chunk`` replications, so an
interrupted run leaves paired rows, and ``--from-csv FILE`` prints the table
of such a file without simulating.

``--shadow`` gets the same paired table for about half the simulation: it
runs the optimal FDC and, at every decision cycle, also solves the same
instance with greedy (as ``--wta-check`` does). The greedy FDC differs from
the optimal one only in that call, and a replication is deterministic given
its seed, so a replication in which greedy returned the same assignment at
every call would run exactly as the optimal one did: its greedy row is that
replication's optimal row (CSV column ``greedy_run`` = ``identical``). Any
replication where some assignment differed is simulated again with the greedy
FDC (``greedy_run`` = ``simulated``).

``--wta-check N`` instead runs N replications in this process with the optimal
FDC and, at every decision cycle, also solves the same instance with the greedy
(by wrapping the FDC module's ``solve_wta``), and reports how often and by how
much greedy's expected surviving value is worse: it tells whether the
scenario's instances leave the optimal assignment any room at all.
"""

from __future__ import annotations

import argparse
import csv
import time
from importlib import resources
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from samsim.analysis.stats import mean_ci
from samsim.scenario import load_scenario
from samsim.sweep import run_replications

METRICS = ("leakers", "interceptors_fired", "kills", "cost_defence", "cost_exchange_ratio")
OPTIONS = ("optimal", "greedy")


BASELINES = ("foundation", "greedy")


def baseline_scenario(sc, baseline: str):
    """The greedy arm: ``greedy`` changes only the assignment; ``foundation`` is the
    foundation issue's FDC, greedy assignment with every salvo fired at once
    (shoot-shoot, its only shot doctrine), the rest of the doctrine as shipped."""
    update: dict = {"assignment": "greedy"}
    if baseline == "foundation":
        update["shot_doctrine"] = {}
    return sc.model_copy(update={"doctrine": sc.doctrine.model_copy(update=update)})


def _fmt(ci: dict, scale: float = 1.0) -> str:
    return f"{ci['mean'] / scale:.2f} [{ci['ci_low'] / scale:.2f}, {ci['ci_high'] / scale:.2f}]"


def _simulate(args, sc, cat, seed: int, rows: dict, wall: dict) -> None:
    """Run both options over the replications in interleaved chunks."""
    fh = args.csv.open("w", newline="") if args.csv is not None else None
    writer = csv.writer(fh) if fh is not None else None
    if writer is not None:
        writer.writerow(["assignment", "replication", *METRICS])
    variants = {
        "optimal": sc.model_copy(
            update={"doctrine": sc.doctrine.model_copy(update={"assignment": "optimal"})}
        ),
        "greedy": baseline_scenario(sc, args.baseline),
    }
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as progress:
        arms = OPTIONS if args.arm == "both" else (args.arm,)
        tasks = {o: progress.add_task(f"{sc.name} {o}", total=args.replications) for o in arms}
        for start in range(args.first, args.replications, args.chunk):
            stop = min(start + args.chunk, args.replications)
            for opt in arms:

                def done(res, opt=opt) -> None:
                    progress.advance(tasks[opt])
                    if writer is not None:
                        writer.writerow([opt, res.replication, *(res.metrics[m] for m in METRICS)])
                        fh.flush()

                t0 = time.perf_counter()
                results = run_replications(
                    variants[opt],
                    cat,
                    stop,
                    seed,
                    workers=args.workers,
                    on_done=done,
                    skip=tuple(range(start)),
                )
                wall[opt] += time.perf_counter() - t0
                rows[opt] += [r.metrics for r in results]
    if fh is not None:
        fh.close()


def _shadow_one(job) -> tuple[int, dict, int, int]:
    """One replication of the optimal FDC; counts cycles where greedy assigns differently."""
    import samsim.fire_control.fdc as fdc_module
    from samsim.engine import run_replication
    from samsim.fire_control.wta import greedy_wta

    sc, cat, rep, seed = job
    solve = fdc_module.solve_wta
    count = [0, 0]

    def both(pk, value, *a, **k):
        best = solve(pk, value, *a, **k)
        greedy = greedy_wta(np.asarray(pk, float), np.asarray(value, float))
        count[0] += 1
        count[1] += int(not np.array_equal(best, greedy))
        return best

    fdc_module.solve_wta = both
    try:
        res = run_replication(sc, cat, rep, seed)
    finally:
        fdc_module.solve_wta = solve
    return rep, res.metrics, count[0], count[1]


def _greedy_one(job) -> tuple[int, dict]:
    from samsim.engine import run_replication

    sc, cat, rep, seed = job
    return rep, run_replication(sc, cat, rep, seed).metrics


def _simulate_shadow(args, sc, cat, seed: int, rows: dict, wall: dict) -> None:
    """Optimal FDC with greedy shadowed at every cycle; greedy re-run only where it differs."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    fh = args.csv.open("w", newline="") if args.csv is not None else None
    writer = csv.writer(fh) if fh is not None else None
    if writer is not None:
        writer.writerow(["assignment", "replication", *METRICS, "greedy_run", "differing_cycles"])
    greedy_sc = baseline_scenario(sc, "greedy")
    optimal_sc = sc.model_copy(
        update={"doctrine": sc.doctrine.model_copy(update={"assignment": "optimal"})}
    )
    t0 = time.perf_counter()
    simulated = 0
    with (
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ) as progress,
        ProcessPoolExecutor(max_workers=args.workers) as pool,
    ):
        task = progress.add_task(f"{sc.name} paired", total=args.replications)
        pending = {
            pool.submit(_shadow_one, (optimal_sc, cat, r, seed)): ("optimal", r)
            for r in range(args.replications)
        }
        differing: dict[int, int] = {}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                kind, r = pending.pop(fut)
                if kind == "optimal":
                    _, metrics, _n, n_diff = fut.result()
                    rows["optimal"].append(metrics | {"rep": r})
                    differing[r] = n_diff
                    if writer is not None:
                        writer.writerow(["optimal", r, *(metrics[m] for m in METRICS), "", n_diff])
                    if n_diff == 0:
                        rows["greedy"].append(metrics | {"rep": r})
                        if writer is not None:
                            writer.writerow(
                                ["greedy", r, *(metrics[m] for m in METRICS), "identical", 0]
                            )
                        progress.advance(task)
                    else:
                        pending[pool.submit(_greedy_one, (greedy_sc, cat, r, seed))] = (
                            "greedy",
                            r,
                        )
                else:
                    _, metrics = fut.result()
                    simulated += 1
                    rows["greedy"].append(metrics | {"rep": r})
                    if writer is not None:
                        writer.writerow(
                            ["greedy", r, *(metrics[m] for m in METRICS), "simulated", differing[r]]
                        )
                    progress.advance(task)
                if fh is not None:
                    fh.flush()
    for o in OPTIONS:
        rows[o].sort(key=lambda x: x["rep"])
    wall["optimal"] = time.perf_counter() - t0
    Console().print(
        f"greedy re-simulated in {simulated} of {args.replications} replications (the others "
        "made the same assignment at every decision cycle); "
        f"cycles where greedy differed: {sum(differing.values())}"
    )
    if fh is not None:
        fh.close()


def _wta_check(sc, cat, seed: int, n: int) -> None:
    """Compare optimal and greedy on every WTA instance the FDCs solve."""
    import samsim.fire_control.fdc as fdc_module
    from samsim.engine import run_replication
    from samsim.fire_control.wta import greedy_wta, surviving_value

    solve = fdc_module.solve_wta
    seen: list[tuple[int, int, float, float]] = []

    def both(pk, value, *a, **k):
        best = solve(pk, value, *a, **k)
        greedy = greedy_wta(np.asarray(pk, float), np.asarray(value, float))
        seen.append(
            (*pk.shape, surviving_value(pk, value, best), surviving_value(pk, value, greedy))
        )
        return best

    fdc_module.solve_wta = both
    table = Table(title=f"{sc.name}: every WTA instance of the optimal FDC, also solved by greedy")
    for col in ("replication", "instances", ">1 weapon and target", "largest", "greedy worse"):
        table.add_column(col, justify="right")
    try:
        for rep in range(n):
            seen.clear()
            run_replication(sc, cat, rep, seed)
            arr = np.array(seen)
            multi = (arr[:, 0] > 1) & (arr[:, 1] > 1)
            worse = arr[:, 3] > arr[:, 2] * (1 + 1e-9) + 1e-12
            gap = (arr[worse, 3] - arr[worse, 2]) / np.maximum(arr[worse, 2], 1e-12)
            table.add_row(
                str(rep),
                str(len(arr)),
                str(int(multi.sum())),
                f"{int(arr[:, 0].max())} x {int(arr[:, 1].max())}",
                f"{int(worse.sum())}" + (f" (mean gap {gap.mean():.1%})" if worse.any() else ""),
            )
    finally:
        fdc_module.solve_wta = solve
    Console().print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenario", default="taiwan_north", help="a shipped scenario's name")
    ap.add_argument("--seed", type=int, default=None, help="default: the scenario's seed")
    ap.add_argument("--csv", type=Path, default=None, help="write per-replication rows here")
    ap.add_argument("--chunk", type=int, default=10, help="replications per interleaved chunk")
    ap.add_argument(
        "--from-csv",
        type=Path,
        nargs="+",
        default=None,
        help="tabulate --csv files (rows of several runs, the first of a replication kept)",
    )
    ap.add_argument(
        "--arm",
        choices=("both", *OPTIONS),
        default="both",
        help="simulate one arm only (its rows to be joined with another run's by --from-csv)",
    )
    ap.add_argument("--first", type=int, default=0, help="first replication to simulate")
    ap.add_argument(
        "--wta-check", type=int, default=0, help="replications of the per-instance check"
    )
    ap.add_argument(
        "--shadow",
        action="store_true",
        help="simulate the greedy FDC only where its assignments differ from the optimal's",
    )
    ap.add_argument(
        "--baseline",
        choices=BASELINES,
        default="foundation",
        help="the greedy arm: foundation = the foundation's FDC (greedy, shoot-shoot "
        "salvos); greedy = the shipped doctrine with only the assignment greedy (with "
        "--from-csv: how to label the rows)",
    )
    args = ap.parse_args()
    if args.shadow and args.baseline != "greedy":
        ap.error("--shadow: needs --baseline greedy (the arms may differ only in the solver)")
    if args.arm != "both" and (args.shadow or args.from_csv):
        ap.error("--arm: only for the simulating, chunked mode")
    if args.replications < 2:
        ap.error("--replications: need at least 2 for a confidence interval")
    path = Path(str(resources.files("samsim").joinpath("scenarios"))) / f"{args.scenario}.yaml"
    if not path.exists():
        ap.error(f"--scenario: no shipped scenario named {args.scenario!r}")
    sc, cat = load_scenario(path)
    seed = sc.seed if args.seed is None else args.seed
    if args.wta_check > 0:
        _wta_check(sc, cat, seed, args.wta_check)
        return
    rows: dict[str, list[dict]] = {o: [] for o in OPTIONS}
    wall = dict.fromkeys(OPTIONS, 0.0)
    if args.from_csv is not None:
        for path in args.from_csv:
            with path.open() as fh:
                for r in csv.DictReader(fh):
                    if any(x["rep"] == r["replication"] for x in rows[r["assignment"]]):
                        continue
                    rows[r["assignment"]].append(
                        {m: float(r[m]) for m in METRICS if r.get(m) not in (None, "")}
                        | {"rep": r["replication"]}
                    )
        common = set.intersection(*({r["rep"] for r in rows[o]} for o in OPTIONS))
        rows = {
            o: sorted((r for r in rows[o] if r["rep"] in common), key=lambda r: int(r["rep"]))
            for o in OPTIONS
        }
        args.replications = len(common)
    elif args.shadow:
        _simulate_shadow(args, sc, cat, seed, rows, wall)
    else:
        _simulate(args, sc, cat, seed, rows, wall)
        if args.arm != "both":
            Console().print(f"{args.arm} rows written; pair them with --from-csv")
            return
    table = Table(
        title=f"{sc.name}: {args.replications} replications, seed {seed}, "
        "mean [95 % CI]; paired = optimal - greedy on the same replications"
    )
    labels = {
        "optimal": "optimal (samsim FDC)",
        "greedy": "greedy, shoot-shoot (foundation FDC)"
        if args.baseline == "foundation"
        else "greedy",
    }
    table.add_column("metric")
    for col in (*(labels[o] for o in OPTIONS), "paired difference"):
        table.add_column(col, justify="right")
    for m in METRICS:
        if any(m not in r for o in OPTIONS for r in rows[o]):
            continue  # a CSV written before this metric was recorded
        scale = 1e6 if m == "cost_defence" else 1.0
        label = "defence cost (US$ M)" if m == "cost_defence" else m
        vals = {o: np.array([r[m] for r in rows[o]], float) for o in OPTIONS}
        diff = vals["optimal"] - vals["greedy"]
        table.add_row(
            label,
            *(_fmt(mean_ci(vals[o]), scale) for o in OPTIONS),
            _fmt(mean_ci(diff), scale),
        )
    if args.from_csv is None and not args.shadow:
        table.add_row("wall s", *(f"{wall[o]:.0f}" for o in OPTIONS), "")
    elif args.shadow:
        table.add_row("wall s (both)", f"{wall['optimal']:.0f}", "", "")
    Console().print(table)


if __name__ == "__main__":
    main()
