"""Engine speed: replications per second of taiwan_north and a saturation raid, single core.

Run:  python benchmarks/engine.py [--replications 3] [--scales 1,2,5,10] [--top 25]
                                  [--profile-out FILE] [--stage-replications 2]

Everything runs in this one process (one core), after a warm-up replication
that loads the numba kernels. It prints:

- replications per second of ``taiwan_north`` and of a saturation variant with
  ten times the threats (every raid's ``count`` multiplied by ten and its
  ``interval_s`` divided by ten, so the same streams arrive in the same time
  window ten times as dense; civil and friendly traffic unchanged);
- entity-updates per second: the sum over the replication of (air objects and
  interceptors flying) x (simulated seconds they flew) / ``step_s``, i.e. the
  entity-state updates a fixed-step engine at the scenario's step would make,
  divided by the wall (or CPU) time of the replication;
- cost against the number of threats at 1x, 2x, 5x and 10x, with the CPU time
  per threat relative to 1x (growth no worse than linear: ratio <= 1 or close);
- the projected wall time of 1,000 replications of taiwan_north on two cores
  (CPU time per replication x 1,000 / 2: replications are independent);
- the CPU time of each engine stage in one replication of taiwan_north (the
  stage functions timed where the step loop calls them);
- a cProfile of one replication of taiwan_north, top entries by own time.

CPU time (``time.process_time``) is reported next to wall time: on a shared
machine wall time includes waiting for a core, CPU time much less so.
There is no open peer that simulates the whole sensor-to-kill chain; the
ratios printed are against real time and against the issue's target.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from samsim.catalog import Catalog
from samsim.engine import run_replication
from samsim.scenario import load_scenario
from samsim.scenario.models import Scenario
from samsim.world import World

TARGET_1000_ON_2_CORES_S = 600.0


def scaled(sc: Scenario, factor: float) -> Scenario:
    """The scenario with ``factor`` times the threats of every raid, in the same window."""
    if factor == 1:
        return sc
    raids = [
        r.model_copy(
            update={"count": max(1, round(r.count * factor)), "interval_s": r.interval_s / factor}
        )
        for r in sc.raids
    ]
    return sc.model_copy(update={"raids": raids, "name": f"{sc.name}_x{factor:g}"})


@dataclass(slots=True)
class Timing:
    """Times of a batch of replications of one scenario."""

    name: str
    threats: int
    replications: int
    wall_s: float  # per replication
    cpu_s: float  # per replication
    entity_updates: float  # per replication, at the scenario's step
    simulated_s: float


def _entity_updates(sc: Scenario, cat: Catalog, replication: int) -> float:
    """Entity-state updates at ``step_s`` of one replication (flying objects x time / step)."""
    state = {"t": 0.0, "entity_s": 0.0}

    def count(w: World, t_s: float) -> None:
        alive = int(w.air.flying.sum()) + int((w.icpt.phase[: w.icpt.n_used] == 1).sum())
        state["entity_s"] += alive * (t_s - state["t"])
        state["t"] = t_s

    run_replication(sc, cat, replication, on_step=count)
    return state["entity_s"] / sc.step_s


def time_scenario(
    sc: Scenario, cat: Catalog, replications: int, progress: Progress | None = None
) -> Timing:
    """Run ``replications`` replications one after the other; per-replication means."""
    task = progress.add_task(sc.name, total=replications) if progress else None
    wall = cpu = 0.0
    threats = 0
    for rep in range(replications):
        c0, w0 = time.process_time(), time.perf_counter()
        res = run_replication(sc, cat, rep)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        threats = res.metrics["threats"]
        if progress is not None:
            progress.advance(task)
    updates = _entity_updates(sc, cat, 0)
    return Timing(
        sc.name,
        threats,
        replications,
        wall / replications,
        cpu / replications,
        updates,
        sc.duration_s,
    )


STAGES = (
    "sensor_and_track_stage",
    "fdc_stage",
    "interceptor_stage",
    "threat_stage",
    "doctrine_stage",
    "_coarse_span",
    "_quiet",
)
# Methods timed the same way: the fused step (threats, seekers, fly-out, span and
# doctrine in one compiled call) that replaces the last five stages on flat earth.
STAGE_METHODS = (("FusedStep", "step"),)


def stage_times(sc: Scenario, cat: Catalog, replications: int) -> dict[str, tuple[float, int]]:
    """CPU seconds and calls per replication of each engine stage (and the step loop's rest).

    The stage functions are wrapped where ``engine.run`` calls them, for the
    duration of the measurement only. Least CPU time over the replications,
    each replication run on the same seed (replication 0).
    """
    import samsim.engine.run as engine_run

    acc: dict[str, float] = {}
    calls: dict[str, int] = {}
    originals = {name: getattr(engine_run, name) for name in STAGES}
    methods = {(c, m): getattr(getattr(engine_run, c), m) for c, m in STAGE_METHODS}

    def timed(name, f):
        def g(*a, **k):
            c0 = time.process_time()
            try:
                return f(*a, **k)
            finally:
                acc[name] = acc.get(name, 0.0) + time.process_time() - c0
                calls[name] = calls.get(name, 0) + 1

        return g

    best: dict[str, float] = {}
    try:
        for name, f in originals.items():
            setattr(engine_run, name, timed(name, f))
        for (cls, meth), f in methods.items():
            setattr(getattr(engine_run, cls), meth, timed(f"{cls}.{meth}", f))
        for _ in range(replications):
            acc.clear()
            calls.clear()
            c0 = time.process_time()
            engine_run.run_replication(sc, cat, 0)
            total = time.process_time() - c0
            acc["rest of the step loop"] = total - sum(acc.values())
            acc["total"] = total
            best = dict(acc) if not best else {k: min(v, acc[k]) for k, v in best.items()}
    finally:
        for name, f in originals.items():
            setattr(engine_run, name, f)
        for (cls, meth), f in methods.items():
            setattr(getattr(engine_run, cls), meth, f)
    return {k: (v, calls.get(k, 0)) for k, v in best.items()}


def profile_one(sc: Scenario, cat: Catalog, top: int) -> tuple[str, list[tuple]]:
    """cProfile of one replication: the full text report and the top rows by own time."""
    prof = cProfile.Profile()
    prof.enable()
    run_replication(sc, cat, 0)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    rows = []
    total = stats.total_tt
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (file, line, func), (_cc, nc, tt, ct, _callers) in entries:
        where = f"{Path(file).name}:{line}({func})" if line else func
        rows.append((where, nc, tt, ct, tt / total))
    return buf.getvalue(), rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=3, help="replications of taiwan_north")
    ap.add_argument(
        "--scaled-replications", type=int, default=1, help="replications at each threat scale > 1"
    )
    ap.add_argument("--scales", default="1,2,5,10", help="threat multipliers")
    ap.add_argument("--top", type=int, default=25, help="profile entries shown")
    ap.add_argument("--profile-out", type=Path, help="write the full profile text here")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument(
        "--stage-replications", type=int, default=2, help="runs of the per-stage timing (0: none)"
    )
    args = ap.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    console = Console(width=max(Console().width, 170))
    path = Path(str(resources.files("samsim").joinpath("scenarios/taiwan_north.yaml")))
    base, cat = load_scenario(path)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    # A whole replication (not a timed one): every compiled kernel loaded or compiled.
    run_replication(base, cat, 999)
    console.print(f"warm-up (imports, numba caches): {time.perf_counter() - t0:.1f} s")

    timings: dict[float, Timing] = {}
    with Progress(console=console, transient=True) as progress:
        for f in scales:
            n = args.replications if f == 1 else args.scaled_replications
            timings[f] = time_scenario(scaled(base, f), cat, n, progress)

    t = Table(
        title=f"one core, {platform.processor() or platform.machine()}, "
        f"load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end",
        title_justify="left",
    )
    for col in (
        "scenario",
        "threats",
        "repl",
        "wall s/repl",
        "CPU s/repl",
        "repl/s (CPU)",
        "x real time (CPU)",
        "entity-updates",
        "entity-updates/s (CPU)",
        "CPU s/threat vs 1x",
    ):
        t.add_column(col, justify="left" if col == "scenario" else "right")
    one = timings.get(1.0)
    for tm in timings.values():
        ratio = (
            (tm.cpu_s / tm.threats) / (one.cpu_s / one.threats)
            if one is not None and tm.threats
            else float("nan")
        )
        t.add_row(
            tm.name,
            str(tm.threats),
            str(tm.replications),
            f"{tm.wall_s:.2f}",
            f"{tm.cpu_s:.2f}",
            f"{1.0 / tm.cpu_s:.3f}",
            f"{tm.simulated_s / tm.cpu_s:.0f}",
            f"{tm.entity_updates:,.0f}",
            f"{tm.entity_updates / tm.cpu_s:,.0f}",
            f"{ratio:.2f}",
        )
    console.print(t)
    console.print(
        "entity-updates: sum over the run of (air objects + interceptors flying) x seconds "
        "flown / step_s, the updates a fixed-step engine at step_s would make; "
        "CPU s/threat vs 1x: CPU time per threat relative to taiwan_north (<= 1: growth "
        "no worse than linear in the number of threats)",
        highlight=False,
    )
    if one is not None:
        proj_cpu = one.cpu_s * 1000 / 2
        proj_wall = one.wall_s * 1000 / 2
        console.print(
            f"projected 1,000 replications of taiwan_north on 2 cores: {proj_cpu / 60:.1f} min "
            f"from CPU time ({proj_wall / 60:.1f} min from this run's wall time); target "
            f"{TARGET_1000_ON_2_CORES_S / 60:.0f} min: "
            + ("met" if proj_cpu <= TARGET_1000_ON_2_CORES_S else "NOT met")
            + f" (x{proj_cpu / TARGET_1000_ON_2_CORES_S:.1f} of target)",
            highlight=False,
        )
    if args.stage_replications > 0:
        st = stage_times(base, cat, args.stage_replications)
        total = st["total"][0]
        s = Table(
            title="CPU time per engine stage, one replication of taiwan_north "
            f"(least of {args.stage_replications} runs)",
            title_justify="left",
        )
        for col in ("stage", "CPU s", "calls", "us per call", "share"):
            s.add_column(col, justify="left" if col == "stage" else "right")
        for name, (cpu, n) in sorted(st.items(), key=lambda kv: -kv[1][0]):
            if name == "total":
                continue
            s.add_row(
                name,
                f"{cpu:.3f}",
                f"{n:,}" if n else "",
                f"{1e6 * cpu / n:.1f}" if n else "",
                f"{cpu / total:.1%}",
            )
        s.add_row("total", f"{total:.3f}", "", "", "100.0%")
        console.print(s)
    if args.no_profile:
        return
    text, rows = profile_one(base, cat, args.top)
    if args.profile_out:
        args.profile_out.parent.mkdir(parents=True, exist_ok=True)
        args.profile_out.write_text(text, encoding="utf-8")
    p = Table(
        title=f"cProfile of one replication of taiwan_north, top {args.top} by own time",
        title_justify="left",
    )
    for col in ("function", "calls", "own s", "cumulative s", "own share"):
        p.add_column(col, justify="left" if col == "function" else "right")
    for where, nc, tt, ct, share in rows:
        p.add_row(where, f"{nc:,}", f"{tt:.2f}", f"{ct:.2f}", f"{share:.1%}")
    console.print(p)


if __name__ == "__main__":
    main()
