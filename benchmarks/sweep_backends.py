"""Sweep wall time on a Dask LocalCluster of one and of two workers, and the local backend.

Run:  python benchmarks/sweep_backends.py [--points 4] [--replications 15] [--duration 1300]

A sweep over the cruise-missile raid size of ``single_battery`` (its whole
1,300 s by default; ``--duration`` shortens it) runs on:

- a Dask ``LocalCluster`` with one worker process,
- a Dask ``LocalCluster`` with two worker processes,
- the local backend (worker processes of this machine) with two workers,

each into a fresh DuckDB study. Clusters are started and their workers warmed
up (imports and numba caches, by running one short replication) before the
clock starts, so the time is that of the sweep itself; start-up is shown
apart. The table gives wall time, replications per second, the speed-up of
two Dask workers over one (target: at least 1.8) and whether every run stored
the same results as the local backend, bit for bit.

The machine may be shared: the timings are what this run saw.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from importlib import resources
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from samsim.store import create_study
from samsim.sweep import DaskBackend, LocalBackend, load_sweep, run_sweep


def _warm() -> str:
    """Import the engine and run one whole replication in a worker, so that every
    kernel the sweep calls (detection, tracking, fire control, fly-out, end game)
    is loaded from numba's cache before the clock starts. The first 30 s of the
    scenario, which this used to run, have no engagement: each Dask worker then
    loaded the interceptor kernels inside the timed sweep, which cost two workers
    about as much as one and pulled the speed-up below 1.8."""
    from samsim.engine import run_replication
    from samsim.scenario import load_scenario

    path = Path(str(resources.files("samsim").joinpath("scenarios/single_battery.yaml")))
    sc, cat = load_scenario(path)
    run_replication(sc, cat, 0, 1)
    return f"{os.getpid()}"


def _sweep_file(folder: Path, points: int, replications: int, duration_s: float) -> Path:
    base = Path(str(resources.files("samsim").joinpath("scenarios/single_battery.yaml")))
    doc = {
        "name": "bench_sweep_backends",
        "base": str(base),
        "seed": 2024,
        "replications": replications,
        "set": {"duration_s": duration_s, "raids[1].start_s": 0},
        "grid": [
            {
                "path": "raids[1].count",
                "name": "cruise_missiles",
                "values": list(range(2, 2 + 2 * points, 2)),
            }
        ],
    }
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


class _Counting:
    """A backend wrapper that adds up the workers' CPU time of the replications."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.workers = inner.workers
        self.cpu_s = 0.0

    def submit(self, *args) -> None:
        self.inner.submit(*args)

    def outstanding(self) -> int:
        return self.inner.outstanding()

    def results(self):
        for res in self.inner.results():
            self.cpu_s += res.cpu_s
            yield res


def _run(plan, backend, out: Path) -> tuple[float, float, list]:
    """Wall time, summed worker CPU time and the stored rows of one sweep."""
    study = create_study(out, plan, events=False, backend=backend.name)
    counting = _Counting(backend)
    try:
        t0 = time.perf_counter()
        run_sweep(plan, study, counting)
        wall = time.perf_counter() - t0
        return wall, counting.cpu_s, study.replication_rows()
    finally:
        study.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=4, help="grid points (raid sizes)")
    ap.add_argument("--replications", type=int, default=15, help="replications per point")
    ap.add_argument("--duration", type=float, default=1300.0, help="simulated seconds")
    args = ap.parse_args()
    console = Console(width=max(Console().width, 120))
    with tempfile.TemporaryDirectory(prefix="samsim-bench-") as tmp:
        folder = Path(tmp)
        plan = load_sweep(_sweep_file(folder, args.points, args.replications, args.duration))
        n = len(plan.points) * args.replications
        _warm()  # this process: forked local workers inherit imports and caches
        rows: list[tuple[str, int, float, float, float, list]] = []
        for workers in (1, 2):
            t0 = time.perf_counter()
            backend = DaskBackend(workers)
            backend.client.run(_warm)
            startup = time.perf_counter() - t0
            try:
                wall, cpu, stored = _run(plan, backend, folder / f"dask{workers}")
            finally:
                backend.close()
            rows.append(("dask", workers, startup, wall, cpu, stored))
            console.print(f"dask, {workers} worker(s): {wall:.1f} s", highlight=False)
        t0 = time.perf_counter()
        local = LocalBackend(2)
        startup = time.perf_counter() - t0
        try:
            wall, cpu, stored = _run(plan, local, folder / "local2")
        finally:
            local.close()
        rows.append(("local", 2, startup, wall, cpu, stored))
        console.print(f"local, 2 worker(s): {wall:.1f} s", highlight=False)

    reference = rows[-1][5]
    one = rows[0][3]
    table = Table(
        title=f"sweep of {len(plan.points)} points x {args.replications} replications = {n} "
        f"replications of single_battery ({args.duration:g} s simulated); "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
        title_justify="left",
    )
    for col in (
        "backend",
        "workers",
        "start-up s",
        "wall s",
        "repl/s",
        "speed-up",
        "CPU s / wall s",
        "same",
    ):
        table.add_column(col, justify="left" if col == "backend" else "right")
    for name, workers, startup, wall, cpu, stored in rows:
        table.add_row(
            name,
            str(workers),
            f"{startup:.1f}",
            f"{wall:.1f}",
            f"{n / wall:.2f}",
            f"{one / wall:.2f}",
            f"{cpu / wall:.2f}",
            "yes" if stored == reference and len(stored) == n else "NO",
        )
    console.print(table)
    console.print(
        "speed-up: against one Dask worker; same: every stored replication row equals the "
        "local backend's, bit for bit; start-up: cluster start and worker warm-up, not timed "
        "in wall s; CPU s / wall s: cores the workers actually got (2.0 = two idle cores)",
        highlight=False,
    )
    ratio = one / rows[1][3]
    console.print(
        f"two Dask workers / one: {ratio:.2f}x (target >= 1.8): "
        + ("met" if ratio >= 1.8 else "NOT met on this run"),
        highlight=False,
    )


if __name__ == "__main__":
    main()
