"""Wall time of one replication of every shipped scenario.

Run:  python benchmarks/scenarios.py [--repeat N]

Prints, per scenario, the simulated duration, the wall time of one replication
(best of N after a warm-up that compiles the numba kernels) and how many times
faster than real time the engine runs. There is no open peer that simulates the
whole sensor-to-kill chain, so the ratio printed is against real time.
"""

from __future__ import annotations

import argparse
import platform
import time
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from samsim.engine import run_replication
from samsim.scenario import load_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per scenario (best kept)")
    args = ap.parse_args()
    folder = Path(str(resources.files("samsim").joinpath("scenarios")))
    table = Table(
        title=f"one replication, best of {args.repeat} "
        f"({platform.processor() or platform.machine()}, 1 process)"
    )
    for col in ("scenario", "threats", "simulated s", "wall s", "x real time"):
        table.add_column(col, justify="right" if col != "scenario" else "left")
    for path in sorted(folder.glob("*.yaml")):
        sc, cat = load_scenario(path)
        run_replication(sc, cat, 0)  # warm-up: numba compilation and caches
        best = float("inf")
        for rep in range(args.repeat):
            t0 = time.perf_counter()
            run_replication(sc, cat, rep)
            best = min(best, time.perf_counter() - t0)
        n = sum(r.count for r in sc.raids)
        table.add_row(
            sc.name, str(n), f"{sc.duration_s:.0f}", f"{best:.2f}", f"{sc.duration_s / best:.0f}"
        )
    Console().print(table)


if __name__ == "__main__":
    main()
