"""CPU time of each engine stage per replication, and a cProfile of the FDC stage.

Run:  python benchmarks/fdc_stage.py [--scenario taiwan_north] [--replications 3]
                                     [--replication 0] [--top 25] [--no-peer]

One process (one core). After a warm-up replication that loads the numba
kernels, the same replication is run ``--replications`` times with each stage
function of ``samsim.engine.run`` wrapped in a ``time.process_time``
accumulator; the table gives the least CPU seconds per replication of each
stage over those runs (the least is the least disturbed by other processes on
a shared machine) and the number of calls. Then one more replication runs with
cProfile switched on inside ``fdc_stage`` only, and its top entries by own time
are printed. Last (unless ``--no-peer``), the peer: the CPU seconds of the FDC stage
per replication with ``fdc_stage`` and with ``fdc_stage_reference`` (the stage without
its compiled screen and uplink, the same events), the two run alternately
``--replications`` times each, the least of each and their ratio. To compare two
versions of the code, run this file with ``PYTHONPATH`` pointing at each version's
``src``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

import samsim
import samsim.engine.run as run
from samsim.engine import stage_fdc
from samsim.scenario import load_scenario

STAGES = ("threat_stage", "interceptor_stage", "sensor_and_track_stage", "fdc_stage")


def _scenario_path(name: str) -> Path:
    local = Path(__file__).resolve().parents[1] / "scenarios" / f"{name}.yaml"
    if local.is_file():
        return local
    return Path(str(resources.files("samsim") / "scenarios" / f"{name}.yaml"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="taiwan_north")
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--replication", type=int, default=0, help="replication number to run")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--no-peer", action="store_true", help="skip fdc_stage_reference")
    args = ap.parse_args()

    sc, cat = load_scenario(_scenario_path(args.scenario))
    cpu: dict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()
    originals = {name: getattr(run, name) for name in STAGES}

    def timed(name: str):
        f = originals[name]

        def g(*a, **k):
            t = time.process_time()
            try:
                return f(*a, **k)
            finally:
                cpu[name] += time.process_time() - t
                calls[name] += 1

        return g

    run.run_replication(sc, cat, args.replication)  # warm-up: numba caches
    for name in STAGES:
        setattr(run, name, timed(name))
    best: dict[str, float] = {}
    for _ in range(args.replications):
        cpu.clear()
        calls.clear()
        t = time.process_time()
        run.run_replication(sc, cat, args.replication)
        total = time.process_time() - t
        now = {**cpu, "total": total}
        best = now if not best else {k: min(best[k], now[k]) for k in now}
    for name in STAGES:
        setattr(run, name, originals[name])

    print(f"samsim from {Path(samsim.__file__).parent}")
    print(f"{args.scenario}, replication {args.replication}, least of {args.replications} runs")
    print("| stage | calls per replication | CPU s per replication | share |")
    print("|---|---:|---:|---:|")
    for name in (*STAGES, "total"):
        share = best[name] / best["total"]
        n = calls[name] if name != "total" else ""
        print(f"| {name} | {n} | {best[name]:.2f} | {share:.0%} |")

    prof = cProfile.Profile()
    fdc = originals["fdc_stage"]

    def profiled(*a, **k):
        prof.enable()
        try:
            return fdc(*a, **k)
        finally:
            prof.disable()

    run.fdc_stage = profiled
    try:
        run.run_replication(sc, cat, args.replication)
    finally:
        run.fdc_stage = fdc
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
    print("\ncProfile of fdc_stage (one replication, own time):")
    print(out.getvalue())
    if args.no_peer:
        return

    def stage_cpu(stage) -> float:
        spent = [0.0]

        def timed_stage(*a, **k):
            t = time.process_time()
            try:
                return stage(*a, **k)
            finally:
                spent[0] += time.process_time() - t

        run.fdc_stage = timed_stage
        try:
            run.run_replication(sc, cat, args.replication)
        finally:
            run.fdc_stage = fdc
        return spent[0]

    peers = {"fdc_stage": fdc, "fdc_stage_reference": stage_fdc.fdc_stage_reference}
    least = dict.fromkeys(peers, float("inf"))
    for _ in range(args.replications):
        for name, stage in peers.items():
            least[name] = min(least[name], stage_cpu(stage))
    print(f"FDC stage alone, least of {args.replications} alternate runs of each")
    print("| FDC stage | CPU s per replication |")
    print("|---|---:|")
    for name, cpu_s in least.items():
        print(f"| {name} | {cpu_s:.3f} |")
    ratio = least["fdc_stage_reference"] / least["fdc_stage"]
    print(f"fdc_stage_reference / fdc_stage: {ratio:.1f}x")


if __name__ == "__main__":
    main()
