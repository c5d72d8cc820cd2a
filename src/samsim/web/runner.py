"""Runs in a pool of worker processes, with progress and cancellation.

The API process never simulates: each run is a job for a
``ProcessPoolExecutor`` (spawned processes, so numba and numpy start clean and
the server's threads are not forked). A job runs the run's replications one
after the other; replication 0 is recorded for replay (paths, radar tracks,
events). While it runs the worker sends ``(run_id, progress, sim_time_s)`` on a
queue a few times a second, and checks its cancel flag in a shared array at
every engine step (``run_replication``'s ``on_step`` hook). Results (summary and
replay) come back as the job's return value and are written to the store by
the server. Same scenario and seed give the same results as ``samsim run``.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from samsim.web.storage import Store

__all__ = ["RunPool"]

log = logging.getLogger("samsim.web")

_PROGRESS_EVERY_S = 0.2
_worker: dict[str, Any] = {}


class _CancelledError(Exception):
    pass


def _init_worker(queue, cancel) -> None:
    _worker["queue"] = queue
    _worker["cancel"] = cancel


def _execute(run_id: str, slot: int, data: dict, seed: int, replications: int) -> dict[str, Any]:
    """Body of one run in a worker process (module level so that it pickles)."""
    from samsim.analysis import summarise
    from samsim.engine import run_replication
    from samsim.export.record import record_replication
    from samsim.scenario import ScenarioError, scenario_from_data
    from samsim.store.files import _clean

    queue, cancel = _worker["queue"], _worker["cancel"]
    t0 = time.perf_counter()
    try:
        sc, cat = scenario_from_data(data)
    except ScenarioError as exc:
        return {"status": "failed", "message": str(exc)}
    duration = sc.duration_s
    last = [0.0]

    def make_observer(rep: int):
        def observe(_w, t_s: float) -> None:
            if cancel[slot]:
                raise _CancelledError
            now = time.perf_counter()
            if now - last[0] >= _PROGRESS_EVERY_S:
                last[0] = now
                done = (rep + min(t_s / duration, 1.0)) / replications
                queue.put((run_id, done, t_s))

        return observe

    try:
        replay = record_replication(sc, cat, 0, seed, on_step=make_observer(0))
        metrics = [replay["metrics"]]
        queue.put((run_id, 1.0 / replications, duration))
        for rep in range(1, replications):
            metrics.append(run_replication(sc, cat, rep, seed, on_step=make_observer(rep)).metrics)
            queue.put((run_id, (rep + 1) / replications, duration))
    except _CancelledError:
        return {"status": "cancelled", "message": "cancelled by the user"}
    except Exception as exc:
        return {
            "status": "failed",
            "message": f"internal error: {type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    # The replay carries its metrics with NaN cleaned to None; use numbers again.
    for m in metrics:
        if m.get("cost_exchange_ratio") is None:
            m["cost_exchange_ratio"] = float("nan")
    summary = summarise(metrics, scenario=sc.name, seed=seed, wall_s=time.perf_counter() - t0)
    return {"status": "done", "message": "", "summary": _clean(summary), "replay": replay}


@dataclass
class _Active:
    slot: int
    future: Future
    progress: float = 0.0
    sim_time_s: float = 0.0
    status: str = "queued"
    written_at: float = field(default_factory=time.monotonic)


class RunPool:
    """Worker processes that execute runs and report progress into the store."""

    def __init__(self, store: Store, workers: int = 1, max_active: int = 16) -> None:
        self.store = store
        ctx = mp.get_context("spawn")
        self._queue = ctx.Queue()
        self._cancel = ctx.Array("b", max_active, lock=False)
        self._free = list(range(max_active))
        self._active: dict[str, _Active] = {}
        self._lock = threading.Lock()
        self._ctx = ctx
        self._workers = max(1, workers)
        self._pool = self._new_pool()
        self._stop = threading.Event()
        self._drain = threading.Thread(target=self._drain_queue, name="run-progress", daemon=True)
        self._drain.start()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=(self._queue, self._cancel),
        )

    # Public ----------------------------------------------------------------------

    def has_capacity(self) -> bool:
        with self._lock:
            return bool(self._free)

    def submit(self, run_id: str, data: dict, seed: int, replications: int) -> bool:
        """Queue a run; False when as many runs as allowed are already active."""
        with self._lock:
            if not self._free:
                return False
            slot = self._free.pop()
            self._cancel[slot] = 0
            try:
                fut = self._pool.submit(_execute, run_id, slot, data, seed, replications)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): its runs failed; start a new pool.
                log.warning("worker pool broken; starting a new one")
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                fut = self._pool.submit(_execute, run_id, slot, data, seed, replications)
            self._active[run_id] = _Active(slot, fut)
        fut.add_done_callback(lambda f, rid=run_id: self._finished(rid, f))
        return True

    def cancel(self, run_id: str) -> bool:
        """Ask a queued or running run to stop; False if it is not active."""
        with self._lock:
            act = self._active.get(run_id)
            if act is None:
                return False
            self._cancel[act.slot] = 1
        act.future.cancel()  # succeeds only while still queued; then _finished runs
        return True

    def live(self, run_id: str) -> dict[str, Any] | None:
        """In-memory progress of an active run (fresher than the store)."""
        with self._lock:
            act = self._active.get(run_id)
            if act is None:
                return None
            return {"status": act.status, "progress": act.progress, "sim_time_s": act.sim_time_s}

    def shutdown(self) -> None:
        self._stop.set()
        with self._lock:
            for act in self._active.values():
                self._cancel[act.slot] = 1
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._queue.put(None)
        self._drain.join(timeout=5)

    # Internals -------------------------------------------------------------------

    def _drain_queue(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=0.5)
            except Exception:
                continue
            if item is None:
                break
            run_id, progress, sim_time_s = item
            with self._lock:
                act = self._active.get(run_id)
                if act is None:
                    continue
                act.status = "running"
                act.progress = float(progress)
                act.sim_time_s = float(sim_time_s)
                write = time.monotonic() - act.written_at > 1.0
                if write:
                    act.written_at = time.monotonic()
            if write:
                self.store.set_progress(run_id, progress, sim_time_s)

    def _finished(self, run_id: str, fut: Future) -> None:
        try:
            if fut.cancelled():
                out = {"status": "cancelled", "message": "cancelled before it started"}
            else:
                exc = fut.exception()
                out = (
                    {"status": "failed", "message": f"worker failed: {type(exc).__name__}: {exc}"}
                    if exc is not None
                    else fut.result()
                )
            if out.get("traceback"):
                log.error("run %s failed:\n%s", run_id, out["traceback"])
            self.store.finish_run(
                run_id, out["status"], out.get("message", ""), out.get("summary"), out.get("replay")
            )
        except Exception:  # never lose the slot, whatever happened
            log.exception("could not record the end of run %s", run_id)
        finally:
            with self._lock:
                act = self._active.pop(run_id, None)
                if act is not None:
                    self._cancel[act.slot] = 0
                    self._free.append(act.slot)
