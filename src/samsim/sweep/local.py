"""Replications in local worker processes.

Each replication is a pure function of (scenario, catalog, seed, replication
index): its random streams are spawned from the seed and the index, so results
are identical whatever the number of workers or the order they finish in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from samsim.catalog import Catalog
from samsim.engine import ReplicationResult, run_replication
from samsim.scenario.models import Scenario


def _one(args: tuple[Scenario, Catalog, int, int]) -> ReplicationResult:
    sc, cat, rep, seed = args
    return run_replication(sc, cat, rep, seed)


def run_replications(
    sc: Scenario,
    cat: Catalog,
    replications: int,
    seed: int,
    *,
    workers: int = 1,
    on_done: Callable[[ReplicationResult], None] | None = None,
    skip: tuple[int, ...] = (),
) -> list[ReplicationResult]:
    """Run replications 0..n-1 (except ``skip``) and return them in replication order."""
    todo = [r for r in range(replications) if r not in skip]
    workers = max(1, min(int(workers), max(len(todo), 1), os.cpu_count() or 1))
    results: dict[int, ReplicationResult] = {}
    jobs = [(sc, cat, r, seed) for r in todo]
    if workers == 1:
        for job in jobs:
            res = _one(job)
            results[res.replication] = res
            if on_done:
                on_done(res)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_one, job) for job in jobs]
            for fut in as_completed(futures):
                res = fut.result()
                results[res.replication] = res
                if on_done:
                    on_done(res)
    return [results[r] for r in todo]
