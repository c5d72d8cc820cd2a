"""The engine's tracker calls, array step against compiled step, on the same inputs.

Run:  python benchmarks/tracker_step.py [--scenario scenarios/taiwan_north.yaml]
                                        [--replication 0] [--repeats 3]

One replication of the scenario is run with the engine's tracker calls
recorded (measurements, looked-at rows, time, parameters). The calls are then
replayed in order on an empty table, once through the array step
(``tracker._step_arrays``) and once through ``tracker.step`` (which takes the
compiled step for the engine's GNN, numba-backend parameters), ``--repeats``
times each after a warm-up; the table prints the best CPU time of each, the
time per call, the speed-up, and whether the two pictures are the same after
every call (every field of the track table, bit for bit, and every step
result).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

import samsim.engine.stage_sensors as stage_sensors
from samsim.engine import run_replication
from samsim.scenario import load_scenario
from samsim.tracking import TrackTable, tracker

ROOT = Path(__file__).resolve().parents[1]


def record(scenario: Path, replication: int) -> tuple[int, list[tuple]]:
    """(initial capacity, [(meas, looked, now_s, params), ...]) of one replication."""
    calls: list[tuple] = []
    first_capacity: list[int] = []
    original = stage_sensors.track_step

    def recording(table, meas, looked, now_s, params):
        if not first_capacity:
            first_capacity.append(table.capacity)
        calls.append((meas, looked.copy(), now_s, params))
        return original(table, meas, looked, now_s, params)

    stage_sensors.track_step = recording
    try:
        sc, cat = load_scenario(scenario)
        run_replication(sc, cat, replication)
    finally:
        stage_sensors.track_step = original
    return (first_capacity[0] if first_capacity else 64), calls


def replay(step, capacity: int, calls: list[tuple], keep: bool) -> tuple[float, list]:
    """CPU seconds of all calls from an empty table; the tables and results if ``keep``."""
    table = TrackTable.empty(capacity)
    kept = []
    t0 = time.process_time()
    for meas, looked, now_s, params in calls:
        res = step(table, meas, looked, now_s, params)
        if keep:
            kept.append((_snapshot(table), res))
    return time.process_time() - t0, kept


def _snapshot(table: TrackTable) -> dict:
    return {
        f.name: (v.copy() if isinstance(v := getattr(table, f.name), np.ndarray) else v)
        for f in fields(table)
    }


def same(a: list, b: list) -> bool:
    """Bit-identical tables and step results after every call."""
    for (ta, ra), (tb, rb) in zip(a, b, strict=True):
        for name, va in ta.items():
            vb = tb[name]
            if isinstance(va, np.ndarray):
                if va.shape != vb.shape or not np.array_equal(va, vb, equal_nan=True):
                    return False
            elif va != vb:
                return False
        for f in fields(ra):
            if not np.array_equal(getattr(ra, f.name), getattr(rb, f.name)):
                return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "taiwan_north.yaml")
    ap.add_argument("--replication", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    console = Console()
    with console.status("recording the tracker calls of one replication"):
        capacity, calls = record(args.scenario, args.replication)
    paths = {"array step": tracker._step_arrays, "compiled step": tracker.step}
    kept = {}
    best = {}
    with console.status("replaying"):
        for name, fn in paths.items():
            _, kept[name] = replay(fn, capacity, calls, keep=True)  # warm-up, and the pictures
            best[name] = min(replay(fn, capacity, calls, False)[0] for _ in range(args.repeats))
    identical = same(kept["array step"], kept["compiled step"])
    n = len(calls)
    rows = sum(c[0].n for c in calls)
    table = Table(
        title=f"tracker.step on the {n:,} calls ({rows:,} returns) of "
        f"{args.scenario.stem} replication {args.replication}, best of {args.repeats}"
    )
    for col in ("path", "CPU s", "us per call", "speed-up"):
        table.add_column(col, justify="left" if col == "path" else "right")
    base = best["array step"]
    for name, cpu in best.items():
        table.add_row(name, f"{cpu:.3f}", f"{cpu / n * 1e6:.0f}", f"{base / cpu:.1f}x")
    console.print(table)
    console.print(f"pictures identical after every call: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
