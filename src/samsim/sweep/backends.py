"""Where replications run: local worker processes, or a Dask ``distributed`` cluster.

Both backends run the same task function, `run_task`, on the same arguments;
a replication is a pure function of its scenario, catalog, replication index
and seed, so the results are identical bit for bit whichever backend, worker
or order runs them. The client (the ``samsim sweep`` process) alone writes the
results store.

The local backend survives the death of a worker process (killed by a signal,
or by the kernel when memory runs out): the pool is rebuilt and the
unfinished replications are submitted again. Dask does the same on its own:
a lost worker's tasks are rescheduled on the others.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from samsim.catalog import Catalog
from samsim.scenario.models import Scenario

MAX_POOL_RESTARTS = 5


@dataclass(frozen=True, slots=True)
class Task:
    """One replication of one point."""

    point: int
    replication: int
    seed: int


@dataclass(slots=True)
class TaskResult:
    """What a worker sends back: metrics (without wall time) and, if asked, events."""

    point: int
    replication: int
    seed: int
    metrics: dict[str, Any]
    wall_s: float
    worker: str
    events: pa.Table | None
    cpu_s: float = float("nan")  # CPU time of the worker process for this replication


def run_task(
    sc: Scenario, cat: Catalog, point: int, replication: int, seed: int, events: bool
) -> TaskResult:
    """Run one replication (in a worker) and package its result."""
    from samsim.engine import run_replication

    cpu0 = time.process_time()
    res = run_replication(sc, cat, replication, seed)
    cpu_s = time.process_time() - cpu0
    metrics = dict(res.metrics)
    wall_s = float(metrics.pop("wall_s", float("nan")))
    return TaskResult(
        point,
        replication,
        int(seed),
        metrics,
        wall_s,
        f"{socket.gethostname()}:{os.getpid()}",
        res.events if events else None,
        cpu_s,
    )


class Backend(Protocol):
    """Runs tasks and yields their results as they finish."""

    name: str
    workers: int

    def submit(self, task: Task, sc: Scenario, cat: Catalog, events: bool) -> None: ...

    def results(self) -> Iterator[TaskResult]:
        """Yield results as they finish, until nothing is outstanding."""
        ...

    def outstanding(self) -> int: ...

    def close(self) -> None: ...


class LocalBackend:
    """Replications in local worker processes (`concurrent.futures.ProcessPoolExecutor`)."""

    name = "local"

    def __init__(self, workers: int, on_restart: Callable[[int], None] | None = None) -> None:
        self.workers = max(1, int(workers))
        self.on_restart = on_restart  # called with the number of jobs resubmitted
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future, tuple[Task, Scenario, Catalog, bool]] = {}
        self.restarts = 0

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Import the engine here first: workers forked from this process then
            # start with it loaded (numba kernels included) instead of each paying
            # the import again.
            import samsim.engine  # noqa: F401

            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self._pool

    def submit(self, task: Task, sc: Scenario, cat: Catalog, events: bool) -> None:
        job = (task, sc, cat, events)
        fut = self._ensure_pool().submit(
            run_task, sc, cat, task.point, task.replication, task.seed, events
        )
        self._futures[fut] = job

    def outstanding(self) -> int:
        return len(self._futures)

    def results(self) -> Iterator[TaskResult]:
        while self._futures:
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                job = self._futures.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    broken = True
                    self._futures[fut] = job  # keep it to resubmit
            if broken:
                self._restart()

    def _restart(self) -> None:
        """A worker died: rebuild the pool and resubmit every unfinished job."""
        self.restarts += 1
        if self.restarts > MAX_POOL_RESTARTS:
            raise RuntimeError(
                f"local worker processes died {self.restarts} times; giving up "
                "(the finished replications are stored: resume with --resume)"
            )
        jobs = list(self._futures.values())
        self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        if self.on_restart is not None:
            self.on_restart(len(jobs))
        for task, sc, cat, events in jobs:
            self.submit(task, sc, cat, events)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()


class DaskBackend:
    """Replications on a Dask ``distributed`` cluster.

    Either connects to a running scheduler (``address``), or starts a
    `distributed.LocalCluster` of ``workers`` single-threaded worker processes
    for the run. Any cluster a `distributed.Client` can reach works, including
    one made by dask-jobqueue on an HPC batch system (see docs/sweeps.md).
    """

    name = "dask"

    def __init__(
        self,
        workers: int = 1,
        address: str | None = None,
        *,
        client: Any | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        from distributed import Client, LocalCluster

        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif address is not None:
            self.client = Client(address, timeout=f"{connect_timeout_s}s")
        else:
            import dask

            # Every task goes to a worker as soon as it is submitted instead of
            # waiting in the scheduler for a free thread: replications are many,
            # short and alike, and on a machine with as many cores as workers the
            # scheduler's round trip for each next task left the workers idle
            # about a tenth of the time.
            with dask.config.set({"distributed.scheduler.worker-saturation": float("inf")}):
                self._cluster = LocalCluster(
                    n_workers=max(1, int(workers)),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            self.client = Client(self._cluster)
        info = self.client.scheduler_info()
        n = len(info.get("workers", {}))
        self.workers = n if n else max(1, int(workers))
        self.address = self.client.scheduler.address
        self._futures: dict[Any, Task] = {}
        self._ac = None

    def submit(self, task: Task, sc: Scenario, cat: Catalog, events: bool) -> None:
        from distributed import as_completed

        fut = self.client.submit(
            run_task,
            sc,
            cat,
            task.point,
            task.replication,
            task.seed,
            events,
            pure=False,
            key=f"samsim-p{task.point}-r{task.replication}-{task.seed:x}-{os.getpid()}",
        )
        self._futures[fut] = task
        if self._ac is None:
            self._ac = as_completed([fut])
        else:
            self._ac.add(fut)

    def outstanding(self) -> int:
        return len(self._futures)

    def results(self) -> Iterator[TaskResult]:
        while self._futures and self._ac is not None:
            fut = next(self._ac)
            self._futures.pop(fut, None)
            result = fut.result()
            fut.release()
            yield result

    def close(self) -> None:
        for fut in list(self._futures):
            fut.cancel()
        self._futures.clear()
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
