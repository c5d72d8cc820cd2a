"""Run a sweep into its study store, resumably.

`run_sweep` submits every replication the study still lacks to a backend and
commits each result to the DuckDB store as it arrives (one transaction per
replication). Which replications a point needs is a pure function of the
stored results: the first ``replications``, then, with a stopping rule,
complete batches while the interval is too wide. So a sweep stopped or
crashed at any moment and run again with ``--resume`` finishes with exactly
the replications, and the values, of an uninterrupted run.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samsim.analysis import mean_ci
from samsim.scenario import Problem
from samsim.store.study import StoreError, Study
from samsim.sweep.backends import Backend, Task
from samsim.sweep.spec import SweepError, SweepPlan, plan_from_texts, sha256_text

MIN_IN_FLIGHT = 1000
IN_FLIGHT_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported after each committed replication."""

    point: int
    replication: int
    done: int  # replications stored so far
    total: int  # replications currently planned (grows with a stopping rule)


def point_target(plan: SweepPlan, values: dict[int, float]) -> int:
    """Number of replications a point needs, given the stop metric of those finished.

    ``values`` maps replication index -> value of the stop metric. Without a
    stopping rule this is ``replications``. With one, batches are added while
    every replication of the current target is finished and the 95 %
    half-width of the mean exceeds the target, up to ``max_replications``.
    """
    spec = plan.spec
    target = spec.replications
    rule = spec.stop
    if rule is None:
        return target
    batch = rule.batch or spec.replications
    while target < rule.max_replications and all(r in values for r in range(target)):
        ci = mean_ci([values[r] for r in range(target)])
        half = 0.5 * (ci["ci_high"] - ci["ci_low"])
        if math.isfinite(half) and half <= rule.half_width:
            break
        target = min(target + batch, rule.max_replications)
    return target


def stop_value(plan: SweepPlan, metrics: dict[str, Any]) -> float:
    """The stop metric of one replication (NaN when absent)."""
    if plan.spec.stop is None:
        return math.nan
    v = metrics.get(plan.spec.stop.metric)
    return math.nan if v is None else float(v)


def plan_of_study(study: Study, sweep_file: Path | None = None) -> SweepPlan:
    """Rebuild the plan of a stored study and check it against what is stored.

    The stored sweep and base scenario texts must match their stored hashes;
    every rebuilt point must have its stored scenario hash (otherwise this
    samsim or its catalog differs from the one that started the study). With
    ``sweep_file``, that file and its base scenario must be the stored ones.

    Raises
    ------
    SweepError
        naming what differs.
    """
    info = study.info()
    if sha256_text(info["sweep_yaml"]) != info["sweep_sha256"]:
        raise SweepError([Problem("study", "stored sweep definition does not match its hash")])
    if sha256_text(info["base_yaml"]) != info["base_sha256"]:
        raise SweepError([Problem("study", "stored base scenario does not match its hash")])
    if sweep_file is not None:
        from samsim.sweep.spec import load_sweep

        given = load_sweep(sweep_file)
        if given.sweep_sha256 != info["sweep_sha256"]:
            raise SweepError(
                [
                    Problem(
                        "sweep",
                        f"{sweep_file} differs from the sweep this study was started with "
                        "(sha256 {}…, stored {}…); resume without the file, or start a new "
                        "study with another --out".format(
                            given.sweep_sha256[:12], info["sweep_sha256"][:12]
                        ),
                    )
                ]
            )
        if given.base_sha256 != info["base_sha256"]:
            raise SweepError(
                [Problem("base", f"{given.base_path} changed since the study was started")]
            )
    plan = plan_from_texts(
        info["sweep_yaml"], info["sweep_path"], info["base_yaml"], info["base_path"]
    )
    stored = study.points()
    if len(stored) != len(plan.points):
        raise SweepError(
            [
                Problem(
                    "study", f"stored {len(stored)} points, the definition makes {len(plan.points)}"
                )
            ]
        )
    for pt, row in zip(plan.points, stored, strict=True):
        if pt.sha256 != row["scenario_sha256"]:
            raise SweepError(
                [
                    Problem(
                        f"point {pt.index}",
                        "its scenario or catalog differs from the stored one (another samsim "
                        "version or catalog?); results would not be comparable",
                    )
                ]
            )
    if int(info["seed"]) != plan.seed:
        raise SweepError([Problem("seed", "stored seed differs from the definition's")])
    return plan


def run_sweep(
    plan: SweepPlan,
    study: Study,
    backend: Backend,
    *,
    events: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict[str, int]:
    """Run every replication the study still lacks; commit each as it arrives.

    Returns counts: ``stored_before``, ``ran``, ``stored`` (after),
    ``planned``.
    """
    done = study.completed()
    stored_before = len(done)
    values: dict[int, dict[int, float]] = {pt.index: {} for pt in plan.points}
    for (p, r), m in done.items():
        values.setdefault(p, {})[r] = stop_value(plan, m)
    targets = {pt.index: point_target(plan, values[pt.index]) for pt in plan.points}
    points = {pt.index: pt for pt in plan.points}
    # Replications not yet submitted, round-robin over points so that early
    # results cover every point. At most `cap` are handed to the backend at a
    # time: each task carries its scenario, and a study may hold 10^5 of them.
    queue: deque[tuple[int, int]] = deque()
    queued: set[tuple[int, int]] = set(done)
    cap = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_WORKER * max(1, int(backend.workers)))

    def enqueue(p: int, r: int) -> None:
        if (p, r) not in queued:
            queued.add((p, r))
            queue.append((p, r))

    def fill() -> None:
        while queue and backend.outstanding() < cap:
            p, r = queue.popleft()
            pt = points[p]
            backend.submit(Task(p, r, plan.replication_seed(p, r)), pt.scenario, pt.catalog, events)

    for r in range(max(targets.values(), default=0)):
        for p in targets:
            if r < targets[p]:
                enqueue(p, r)
    fill()
    n_stored = stored_before
    ran = 0
    for res in backend.results():
        if res.seed != plan.replication_seed(res.point, res.replication):
            raise StoreError(f"point {res.point} replication {res.replication}: wrong seed")
        if study.add_replication(
            res.point,
            res.replication,
            res.seed,
            res.metrics,
            wall_s=res.wall_s,
            backend=backend.name,
            worker=res.worker,
            events=res.events,
        ):
            n_stored += 1
            ran += 1
        values[res.point][res.replication] = stop_value(plan, res.metrics)
        new_target = point_target(plan, values[res.point])
        if new_target != targets[res.point]:
            targets[res.point] = new_target
            for r in range(new_target):
                enqueue(res.point, r)
        fill()
        if on_progress is not None:
            on_progress(Progress(res.point, res.replication, n_stored, sum(targets.values())))
    return {
        "stored_before": stored_before,
        "ran": ran,
        "stored": n_stored,
        "planned": sum(targets.values()),
    }
