"""Sweeps in the web application: a base scenario, changes by field path, many replications.

A sweep request names its base scenario by stored id or gives it inline (JSON
data or YAML text), never by a path, and gives the sweep itself as the fields
of a sweep file (``docs/sweeps.md``) without ``base``. The server writes both
as ``sweep.yaml`` and ``base.yaml`` into a directory of its own choosing,
``<data>/sweeps/<id>/``, expands and validates every point with
`samsim.sweep.plan_from_texts`, checks its limits, creates the DuckDB study
(`samsim.store.create_study`) and hands the study to `samsim.sweep.run_sweep`,
which commits each replication as it arrives. So the directory is an ordinary
study: ``samsim results``, ``samsim report`` and ``samsim sweep --resume
--out`` work on it, and its numbers are those of ``samsim sweep`` on the same
two files (same seeds, tested).

Where replications run: `run_sweep` is driven from a thread of the server
(never the request thread) with `PoolBackend`, a backend of the sweep runner
over a pool of *spawned* worker processes shared by all sweeps. It is not
`samsim.sweep.LocalBackend`, which forks its workers: forking the threaded
server process is unsafe, and a forked replication cannot be stopped before it
ends. Here each worker checks the sweep's cancel flag at every engine step
(``run_replication``'s ``on_step`` hook) and reports how far the replication
has got a few times a second, so a long replication is cancelled at once and
the progress bar moves within a replication. A worker that dies is replaced
and its unfinished replications are submitted again, as the local backend
does.

Progress while a sweep runs lives in memory; its record (``sweep.json``)
is written when it starts and when it ends. A sweep that was queued or
running when the server stopped is marked ``interrupted`` at the next start;
its stored replications are kept and the command line can finish it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import multiprocessing as mp
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from samsim.scenario import Problem, ScenarioError, parse_yaml
from samsim.scenario.load import _pydantic_problems
from samsim.store.study import DB_NAME, StoreError, Study, _clean, create_study, open_study
from samsim.sweep import SweepError, SweepPlan, SweepSpec, Task, TaskResult, plan_from_texts
from samsim.sweep.backends import MAX_POOL_RESTARTS
from samsim.web.app import ERRORS, ErrorOut, IdParam, _Strict
from samsim.web.checks import (
    _PATH_KEY,
    NO_CLIENT_PATHS,
    Limits,
    _size_problems,
    _walk,
    _yaml_shape_problems,
    check_scenario_data,
    parse_scenario_text,
)
from samsim.web.progress import progress_stream
from samsim.web.storage import ID_PATTERN

__all__ = ["PoolBackend", "SweepManager", "build_plan", "router"]

log = logging.getLogger("samsim.web")

STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
ACTIVE = ("queued", "running")
RESULT_METRICS = (
    "threats",
    "leakers",
    "kills",
    "interceptors_fired",
    "cost_exchange_ratio",
    "p_no_leak",
)
NO_BASE_PATH = (
    "the server does not read files named by a client; give the base scenario as "
    "scenario_id, scenario or scenario_yaml instead"
)
_PROGRESS_EVERY_S = 0.2
_SPLIT_PATH = re.compile(r"[.\[\]]")


# -- worker processes -----------------------------------------------------------------

_worker: dict[str, Any] = {}


class SweepCancelledError(Exception):
    """Raised in a worker (at the next engine step) and in the driver when a sweep is cancelled."""


def _init_worker(queue: Any, cancel: Any) -> None:
    _worker["queue"] = queue
    _worker["cancel"] = cancel


def _run_replication(
    sweep_id: str, slot: int, sc: Any, cat: Any, point: int, replication: int, seed: int
) -> TaskResult:
    """One replication in a worker: `samsim.sweep.run_task`'s result, with progress and cancel.

    The observer only reads the clock and the cancel flag, so the metrics are
    those of ``run_task`` (the command line's) for the same seed.
    """
    from samsim.engine import run_replication

    queue, cancel = _worker["queue"], _worker["cancel"]
    if cancel[slot]:
        raise SweepCancelledError
    duration_s = float(sc.duration_s)
    last = [time.perf_counter()]

    def observe(_world: Any, t_s: float) -> None:
        if cancel[slot]:
            raise SweepCancelledError
        now = time.perf_counter()
        if now - last[0] >= _PROGRESS_EVERY_S:
            last[0] = now
            queue.put((sweep_id, point, replication, min(t_s / duration_s, 1.0)))

    cpu0 = time.process_time()
    res = run_replication(sc, cat, replication, seed, on_step=observe)
    cpu_s = time.process_time() - cpu0
    metrics = dict(res.metrics)
    wall_s = float(metrics.pop("wall_s", math.nan))
    return TaskResult(
        point,
        replication,
        int(seed),
        metrics,
        wall_s,
        f"{socket.gethostname()}:{os.getpid()}",
        None,
        cpu_s,
    )


def _write_report(directory: str) -> str:
    """Write ``report.html`` of a finished study (in a worker: it may re-run a replication)."""
    from samsim.report import write_report

    with open_study(directory, read_only=True) as study:
        return str(write_report(study, Path(directory) / "report.html"))


class WorkerPool:
    """Spawned worker processes shared by all sweeps, with a progress queue and cancel flags."""

    def __init__(self, workers: int, slots: int) -> None:
        self._ctx = mp.get_context("spawn")
        self.workers = max(1, int(workers))
        self.queue = self._ctx.Queue()
        self.cancel = self._ctx.Array("b", max(1, slots), lock=False)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._reports: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=self._ctx,
                    initializer=_init_worker,
                    initargs=(self.queue, self.cancel),
                )
            return self._executor

    def replace(self, broken: ProcessPoolExecutor) -> None:
        """A worker died: start a new pool (once, whichever sweep notices first)."""
        with self._lock:
            if self._executor is broken:
                log.warning("sweep worker pool broken; starting a new one")
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def submit(self, fn: Any, *args: Any) -> tuple[Future, ProcessPoolExecutor]:
        ex = self.executor()
        try:
            return ex.submit(fn, *args), ex
        except (BrokenProcessPool, RuntimeError):
            self.replace(ex)
            ex = self.executor()
            return ex.submit(fn, *args), ex

    def submit_report(self, fn: Any, *args: Any) -> Future:
        """Reports run in a process of their own (one per report, so that matplotlib and the
        re-run replication leave no idle memory behind), never queued behind a long sweep."""
        with self._lock:
            if self._reports is None:
                self._reports = ProcessPoolExecutor(
                    max_workers=1, mp_context=self._ctx, max_tasks_per_child=1
                )
            try:
                return self._reports.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):
                self._reports.shutdown(wait=False, cancel_futures=True)
                self._reports = ProcessPoolExecutor(
                    max_workers=1, mp_context=self._ctx, max_tasks_per_child=1
                )
                return self._reports.submit(fn, *args)

    def shutdown(self) -> None:
        with self._lock:
            for ex in (self._executor, self._reports):
                if ex is not None:
                    ex.shutdown(wait=True, cancel_futures=True)
            self._executor = self._reports = None


class PoolBackend:
    """A `samsim.sweep.backends.Backend` over the shared `WorkerPool`, for one sweep."""

    name = "web"

    def __init__(self, pool: WorkerPool, sweep_id: str, slot: int) -> None:
        self.pool = pool
        self.workers = pool.workers
        self.sweep_id = sweep_id
        self.slot = slot
        self._broken: list[ProcessPoolExecutor] = []  # the broken pools seen
        self._futures: dict[Future, tuple[Task, Any, Any, ProcessPoolExecutor]] = {}

    def submit(self, task: Task, sc: Any, cat: Any, events: bool = False) -> None:
        fut, ex = self.pool.submit(
            _run_replication,
            self.sweep_id,
            self.slot,
            sc,
            cat,
            task.point,
            task.replication,
            task.seed,
        )
        self._futures[fut] = (task, sc, cat, ex)

    def outstanding(self) -> int:
        return len(self._futures)

    def results(self) -> Iterator[TaskResult]:
        while self._futures:
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            broken: list[tuple[Task, Any, Any, ProcessPoolExecutor]] = []
            for fut in done:
                job = self._futures.pop(fut)
                if fut.cancelled():
                    raise SweepCancelledError
                exc = fut.exception()
                if exc is None:
                    yield fut.result()  # stored even when a cancel came after it ended
                elif isinstance(exc, BrokenProcessPool):
                    broken.append(job)
                elif isinstance(exc, SweepCancelledError):
                    raise SweepCancelledError
                else:
                    raise exc
            if broken:
                self._restart(broken)

    def _restart(self, broken: list[tuple[Task, Any, Any, ProcessPoolExecutor]]) -> None:
        """A worker died: every job of its pool fails; start a new pool, submit them again."""
        for job in broken:
            if not any(job[3] is ex for ex in self._broken):
                self._broken.append(job[3])
                self.pool.replace(job[3])
        if len(self._broken) > MAX_POOL_RESTARTS:
            raise RuntimeError(
                f"worker processes died {len(self._broken)} times; the finished replications "
                "are stored (continue with samsim sweep --resume --out DIR)"
            )
        log.warning("sweep %s: resubmitting %d replication(s)", self.sweep_id, len(broken))
        for task, sc, cat, _ in broken:
            self.submit(task, sc, cat)

    def close(self) -> None:
        """Cancel what has not started; wait for running replications (they stop at once
        when the cancel flag is set)."""
        for fut in list(self._futures):
            fut.cancel()
        wait(list(self._futures), timeout=120)
        self._futures.clear()


# -- the sweep definition ---------------------------------------------------------------


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _path_token_problems(field_path: Any, where: str) -> list[Problem]:
    if not isinstance(field_path, str):
        return []
    for token in _SPLIT_PATH.split(field_path):
        if token and _PATH_KEY.search(token):
            return [Problem(where, NO_CLIENT_PATHS)]
    return []


def _prefixed(problems: list[Problem], prefix: str) -> list[Problem]:
    return [Problem(f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in problems]


def check_sweep_document(data: Any, limits: Limits, where: str = "sweep") -> dict[str, Any]:
    """The server's checks of a sweep definition before the sweep models see it.

    No ``base`` (a path), no field path or key that names a file anywhere
    (``set: {terrain.dem_path: ...}``, a value holding ``dem_path``), bounded
    size and nesting, finite numbers.

    Raises
    ------
    ScenarioError
        one problem per thing wrong, paths starting with ``where``.
    """
    if not isinstance(data, dict):
        raise ScenarioError([Problem(where, "a sweep must be a mapping of fields")])
    problems: list[Problem] = []
    for key, value in data.items():
        sub = f"{where}.{key}"
        if key == "base":
            problems.append(Problem(sub, NO_BASE_PATH))
        elif key in ("set", "points"):
            entries = value if key == "points" and isinstance(value, list) else [value]
            for j, entry in enumerate(entries):
                at = f"{sub}[{j}]" if key == "points" else sub
                if not isinstance(entry, dict):
                    problems += _prefixed(_walk(entry, limits), at)
                    continue
                for path, v in entry.items():
                    problems += _path_token_problems(path, f"{at}.{path}")
                    problems += _prefixed(_walk(v, limits), f"{at}.{path}")
        elif key == "grid" and isinstance(value, list):
            for i, axis in enumerate(value):
                at = f"{sub}[{i}]"
                if not isinstance(axis, dict):
                    problems += _prefixed(_walk(axis, limits), at)
                    continue
                for k, v in axis.items():
                    if k == "path":
                        problems += _path_token_problems(v, f"{at}.path")
                    else:
                        problems += _prefixed(_walk({k: v}, limits), at)
        else:
            problems += _prefixed(_walk({key: value}, limits), where)
    if not problems:
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            problems.append(Problem(where, f"text that is not valid Unicode ({exc.reason})"))
    if problems:
        raise ScenarioError(problems)
    return data


def parse_sweep_text(text: str, limits: Limits, where: str = "sweep_yaml") -> dict[str, Any]:
    """Sweep YAML text to data (the document checks of `check_sweep_document` included)."""
    if len(text.encode("utf-8", errors="replace")) > limits.max_body_bytes:
        raise ScenarioError([Problem(where, f"larger than {limits.max_body_bytes} bytes")])
    shape = _yaml_shape_problems(text, limits)
    if shape:
        raise ScenarioError([Problem(where, p.message) for p in shape])
    try:
        data = parse_yaml(text, where)
    except ScenarioError as exc:
        raise ScenarioError([Problem(p.path or where, p.message) for p in exc.problems]) from None
    except RecursionError:
        raise ScenarioError([Problem(where, "nested too deeply")]) from None
    except Exception as exc:  # the YAML parser can fail in ways it does not classify
        raise ScenarioError(
            [Problem(where, f"could not be parsed: {type(exc).__name__}")]
        ) from None
    return check_sweep_document(data, limits, where)


def _n_points(spec: SweepSpec) -> int:
    n = 1
    for axis in spec.grid:
        n *= len(axis.values)
    return n * max(1, len(spec.points))


def _responsible_field(spec: SweepSpec, point_params: dict[str, Any], name: str, where: str) -> str:
    """The request field that gave a point its over-limit ``name`` (duration_s, raids, ...)."""

    def hits(path: str) -> bool:
        return (
            path == name
            or path.startswith((name + ".", name + "["))
            or name.startswith((path + ".", path + "["))
        )

    for k, axis in enumerate(spec.grid):
        if hits(axis.path) and axis.path in point_params:
            j = next(
                (j for j, v in enumerate(axis.values) if v == point_params[axis.path]),
                None,
            )
            return f"{where}.grid[{k}].values" + ("" if j is None else f"[{j}]")
    for j, entry in enumerate(spec.points):
        for path in entry:
            if hits(path) and path in point_params:
                return f"{where}.points[{j}].{path}"
    for path in spec.set:
        if hits(path):
            return f"{where}.set.{path}"
    return f"{where}: {name}"


def _point_params(spec: SweepSpec, index: int) -> dict[str, Any]:
    """The swept values of point ``index``, in the expansion order of `plan_from_texts`
    (grid combinations, the last axis fastest, each with every listed point)."""
    listed = spec.points or [{}]
    combo, j = divmod(index, len(listed))
    params: dict[str, Any] = {}
    values = []
    for axis in reversed(spec.grid):
        combo, k = divmod(combo, len(axis.values))
        values.append((axis.path, axis.values[k]))
    params.update(reversed(values))
    params.update(listed[j] if j < len(listed) else {})
    return params


_POINT_PROBLEM = re.compile(r"^point (\d+) \((.*)\): ([^:]*)$", re.S)


def _request_problem(spec: SweepSpec, p: Problem, where: str) -> Problem:
    """A problem of `plan_from_texts` with the path of the request field that caused it.

    A point's problem (``point 1 (drones=0): raids[0].count``) goes to the grid
    value, listed point or ``set`` entry that gave the point that field, when
    one did; the point and its field stay in the message.
    """
    m = _POINT_PROBLEM.match(p.path)
    if m is None:
        return Problem(f"{where}.{p.path}" if p.path else where, p.message)
    index, field_ = int(m.group(1)), m.group(3)
    params = _point_params(spec, index)
    at = _responsible_field(spec, params, field_, where)
    if at.startswith(f"{where}: "):
        return p
    return Problem(at, f"{p.path}: {p.message}")


def _limit_problems(plan: SweepPlan, limits: Limits, where: str) -> list[Problem]:
    """Per point: the server's scenario limits; over the sweep: replications and simulated time."""
    spec = plan.spec
    problems: list[Problem] = []
    for pt in plan.points:
        for p in _size_problems(pt.scenario, limits):
            field_ = _responsible_field(spec, pt.params, p.path, where)
            problems.append(Problem(field_, f"point {pt.index} ({pt.label}): {p.message}"))
    reps = spec.stop.max_replications if spec.stop else spec.replications
    sim_s = sum(reps * float(pt.scenario.duration_s) for pt in plan.points)
    if sim_s > limits.max_sweep_sim_time_s:
        problems.append(
            Problem(
                f"{where}.stop.max_replications" if spec.stop else f"{where}.replications",
                f"{len(plan.points)} point(s) x {reps} replication(s) simulate "
                f"{sim_s / 3600:,.0f} h, more than the server's limit of "
                f"{limits.max_sweep_sim_time_s / 3600:,.0f} h; fewer replications or a "
                "shorter duration_s",
            )
        )
    return _dedupe(problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


@dataclass(frozen=True)
class BuiltSweep:
    """A validated sweep: its plan and the two texts written to the study directory."""

    plan: SweepPlan
    sweep_text: str
    base_text: str
    base_data: dict[str, Any]


def build_plan(
    sweep_data: dict[str, Any],
    base_data: dict[str, Any],
    directory: Path,
    limits: Limits,
    where: str = "sweep",
) -> BuiltSweep:
    """Validate a sweep over ``base_data`` and expand its points, with the server's limits.

    ``sweep_data`` has passed `check_sweep_document` and ``base_data``
    `check_scenario_data`. The sweep names its base ``base.yaml`` beside it in
    ``directory`` (nothing is written here).

    Raises
    ------
    ScenarioError
        one problem per bad field; paths start with ``where``.
    """
    from samsim.export import scenario_to_yaml

    data = {k: v for k, v in sweep_data.items() if k != "base"}
    ordered = {"name": data.pop("name")} if "name" in data else {}
    data = {**ordered, "base": "base.yaml", **data}
    try:
        spec = SweepSpec.model_validate(data)
    except pydantic.ValidationError as err:
        raise ScenarioError(_prefixed(_pydantic_problems(err), where)) from None
    n = _n_points(spec)
    if n > limits.max_sweep_points:
        raise ScenarioError(
            [
                Problem(
                    f"{where}.grid" if spec.grid else f"{where}.points",
                    f"the sweep has {n} points, more than the server's limit of "
                    f"{limits.max_sweep_points}",
                )
            ]
        )
    reps = spec.stop.max_replications if spec.stop else spec.replications
    if n * reps > limits.max_sweep_replications:
        raise ScenarioError(
            [
                Problem(
                    f"{where}.stop.max_replications" if spec.stop else f"{where}.replications",
                    f"{n} point(s) x {reps} replication(s) = {n * reps} replications, more than "
                    f"the server's limit of {limits.max_sweep_replications}",
                )
            ]
        )
    try:
        sweep_text = yaml.dump(
            data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=100
        )
        base_text = scenario_to_yaml(base_data)
        sweep_text.encode("utf-8")
        base_text.encode("utf-8")
    except (UnicodeError, yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ScenarioError(
            [Problem(where, f"cannot be written as YAML text: {type(exc).__name__}")]
        ) from None
    try:
        plan = plan_from_texts(
            sweep_text, str(directory / "sweep.yaml"), base_text, str(directory / "base.yaml")
        )
    except SweepError as exc:
        raise ScenarioError([_request_problem(spec, p, where) for p in exc.problems]) from None
    problems = _limit_problems(plan, limits, where)
    problems += [  # cannot happen after check_sweep_document; never run one that names a file
        Problem(f"{where}: point {pt.index}", NO_CLIENT_PATHS)
        for pt in plan.points
        if pt.scenario.terrain is not None
    ]
    if problems:
        raise ScenarioError(problems)
    return BuiltSweep(plan, sweep_text, base_text, base_data)


# -- records and the manager ------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".sweep.", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(_clean(data), f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _LockedStudy(Study):
    """A study whose connection is used under one lock, by the driver and by readers.

    A DuckDB connection refuses a call while another thread's call on it runs
    (``ResourceInUseException``), cursors included; so every use of this
    connection, by `run_sweep` through these methods or by a reader making a
    cursor, holds the lock.
    """

    def __init__(self, study: Study, lock: threading.Lock) -> None:
        super().__init__(study.directory, study.con, study.read_only)
        self.lock = lock

    def add_replication(self, *args: Any, **kwargs: Any) -> bool:
        with self.lock:
            return super().add_replication(*args, **kwargs)

    def completed(self) -> dict[tuple[int, int], dict[str, Any]]:
        with self.lock:
            return super().completed()


@dataclass
class _Active:
    record: dict[str, Any]
    slot: int
    study: _LockedStudy
    plan: SweepPlan
    lock: threading.Lock
    inflight: dict[tuple[int, int], float] = field(default_factory=dict)
    thread: threading.Thread | None = None


class SweepManager:
    """Sweeps of one server: records in ``<root>/<id>/sweep.json``, studies beside them."""

    RECORD = "sweep.json"

    def __init__(self, root: Path, workers: int, limits: Limits) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.limits = limits
        self.pool = WorkerPool(workers, limits.max_active_sweeps)
        self._lock = threading.Lock()
        self._active: dict[str, _Active] = {}
        self._free = list(range(limits.max_active_sweeps))
        self._reports: dict[str, asyncio.Lock] = {}
        self._stop = threading.Event()
        self._mark_interrupted()
        self._drain = threading.Thread(target=self._drain_queue, name="sweep-progress", daemon=True)
        self._drain.start()

    # records -------------------------------------------------------------------------

    def directory(self, sweep_id: str) -> Path:
        if not re.fullmatch(ID_PATTERN, sweep_id):
            raise ValueError(f"not a sweep id: {sweep_id!r}")
        return self.root / sweep_id

    def _read_raw(self, sweep_id: str) -> Any:
        try:
            return json.loads((self.directory(sweep_id) / self.RECORD).read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def _read(self, sweep_id: str) -> dict[str, Any] | None:
        """A stored record, or None when it is missing or not one this server wrote."""
        rec = self._read_raw(sweep_id)
        try:
            return SweepOut.model_validate(rec).model_dump()
        except pydantic.ValidationError:
            return None

    def _ids(self) -> list[str]:
        return [
            d.name
            for d in self.root.iterdir()
            if re.fullmatch(ID_PATTERN, d.name) and (d / self.RECORD).is_file()
        ]

    def _interrupted_message(self, sweep_id: str) -> str:
        return (
            "the server stopped during the sweep; the stored replications are kept "
            f"(finish it with samsim sweep --resume --out {self.directory(sweep_id)})"
        )

    def _mark_interrupted(self) -> None:
        for sid in self._ids():
            rec = self._read_raw(sid)
            if not isinstance(rec, dict) or rec.get("status") not in ACTIVE:
                continue
            with contextlib.suppress(Exception), open_study(self.directory(sid)) as st:
                rec["done"] = st.count()
            rec["status"] = "interrupted"
            rec["message"] = self._interrupted_message(sid)
            rec["finished"] = _now()
            _write_json(self.directory(sid) / self.RECORD, rec)

    def get(self, sweep_id: str) -> dict[str, Any] | None:
        """The record of a sweep, with live progress while it is active."""
        with self._lock:
            act = self._active.get(sweep_id)
            if act is not None:
                rec = dict(act.record)
                total = max(rec["total"], 1)
                live = (rec["done"] + sum(act.inflight.values())) / total
                rec["progress"] = act.record["progress"] = max(rec["progress"], min(live, 1.0))
                return rec
        return self._read(sweep_id)

    def list(self) -> list[dict[str, Any]]:
        recs = [r for sid in self._ids() if (r := self.get(sid)) is not None]
        return sorted(recs, key=lambda r: r.get("created") or "", reverse=True)[:200]

    def count(self) -> int:
        return len(self._ids())

    def has_capacity(self) -> bool:
        with self._lock:
            return bool(self._free)

    # starting, cancelling ------------------------------------------------------------------

    def start(self, built: BuiltSweep, scenario_id: str | None) -> dict[str, Any] | None:
        """Create the study and start the sweep; None when too many sweeps are active."""
        plan = built.plan
        sweep_id = Path(plan.sweep_path).parent.name
        directory = self.directory(sweep_id)
        with self._lock:
            if not self._free:
                return None
            slot = self._free.pop()
        try:
            directory.mkdir(parents=True)
            (directory / "sweep.yaml").write_text(built.sweep_text, "utf-8")
            (directory / "base.yaml").write_text(built.base_text, "utf-8")
            study = create_study(directory, plan, events=False, backend=PoolBackend.name)
        except BaseException:
            with self._lock:
                self._free.append(slot)
            shutil.rmtree(directory, ignore_errors=True)
            raise
        spec = plan.spec
        total = len(plan.points) * spec.replications
        record = {
            "id": sweep_id,
            "name": spec.name,
            "description": spec.description,
            "scenario_id": scenario_id,
            "scenario_name": plan.base.name,
            "seed": int(plan.seed),
            "replications": spec.replications,
            "n_points": len(plan.points),
            "axes": [
                {"path": a.path, "name": a.name or a.path, "values": list(a.values)}
                for a in spec.grid
            ],
            "status": "queued",
            "progress": 0.0,
            "done": 0,
            "total": total,
            "message": "",
            "created": _now(),
            "finished": None,
            "study_path": str(directory / DB_NAME),
        }
        _write_json(directory / self.RECORD, record)
        lock = threading.Lock()
        act = _Active(record, slot, _LockedStudy(study, lock), plan, lock)
        self.pool.cancel[slot] = 0
        with self._lock:
            self._active[sweep_id] = act
        act.thread = threading.Thread(
            target=self._drive, args=(sweep_id, act), name=f"sweep-{sweep_id[:8]}", daemon=True
        )
        act.thread.start()
        return dict(record)

    def cancel(self, sweep_id: str) -> bool:
        """Ask an active sweep to stop; False if it is not active."""
        with self._lock:
            act = self._active.get(sweep_id)
            if act is None:
                return False
            self.pool.cancel[act.slot] = 1
            act.record["message"] = "cancelling"
        return True

    def is_active(self, sweep_id: str) -> bool:
        with self._lock:
            return sweep_id in self._active

    def delete(self, sweep_id: str) -> None:
        shutil.rmtree(self.directory(sweep_id), ignore_errors=True)

    # the driver --------------------------------------------------------------------------

    def _drive(self, sweep_id: str, act: _Active) -> None:
        from samsim.sweep import run_sweep

        backend = PoolBackend(self.pool, sweep_id, act.slot)
        status, message = "done", ""

        def on_progress(p: Any) -> None:
            with self._lock:
                act.inflight.pop((p.point, p.replication), None)
                act.record.update(status="running", done=p.done, total=p.total)

        try:
            run_sweep(act.plan, act.study, backend, on_progress=on_progress)
            with act.lock:
                act.study.export_parquet()
        except SweepCancelledError:
            if self._stop.is_set():
                status, message = "interrupted", self._interrupted_message(sweep_id)
            else:
                status, message = "cancelled", "cancelled by the user"
        except Exception as exc:
            log.exception("sweep %s failed", sweep_id)
            status, message = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            self.pool.cancel[act.slot] = 1  # stop whatever still runs
            try:
                backend.close()
            except Exception:
                log.exception("sweep %s: closing its backend", sweep_id)
            done = act.record["done"]
            with act.lock:
                try:
                    done = act.study.count()
                except Exception:
                    log.exception("sweep %s: counting its replications", sweep_id)
                try:
                    act.study.close()
                except Exception:
                    log.exception("sweep %s: closing its study", sweep_id)
                    if status == "done":
                        status, message = "failed", "the study could not be closed"
            with self._lock:
                rec = act.record
                if status == "done":
                    rec["progress"] = 1.0
                else:
                    total = max(rec["total"], 1)
                    rec["progress"] = min(rec["progress"], done / total)
                rec.update(status=status, message=message, done=done, finished=_now())
                try:
                    _write_json(self.directory(sweep_id) / self.RECORD, rec)
                except OSError:
                    log.exception("sweep %s: cannot write its record", sweep_id)
                self._active.pop(sweep_id, None)
                self.pool.cancel[act.slot] = 0
                self._free.append(act.slot)

    def _drain_queue(self) -> None:
        while not self._stop.is_set():
            try:
                item = self.pool.queue.get(timeout=0.5)
            except Exception:
                continue
            if item is None:
                break
            sweep_id, point, replication, fraction = item
            with self._lock:
                act = self._active.get(sweep_id)
                if act is not None:
                    act.inflight[(point, replication)] = float(fraction)
                    if act.record["status"] == "queued":
                        act.record["status"] = "running"

    # results and the report ---------------------------------------------------------------

    def results(self, sweep_id: str) -> dict[str, Any]:
        """Per-point means and 95 % intervals from the study (also while it runs)."""
        from samsim.report import point_summaries

        with self._lock:
            act = self._active.get(sweep_id)
        if act is not None:
            # The whole read holds the study's lock: the driver never writes or closes the
            # connection while a cursor of it is in use (closing it then can deadlock).
            with act.lock:
                if act.study.con is not None:  # else it finished in between
                    cursor = act.study.con.cursor()
                    try:
                        return _results(point_summaries(Study(act.study.directory, cursor, True)))
                    finally:
                        cursor.close()
        with open_study(self.directory(sweep_id), read_only=True) as study:
            return _results(point_summaries(study))

    async def report(self, sweep_id: str) -> Path:
        """``report.html`` of a sweep that is not running, written in a process of its own."""
        directory = self.directory(sweep_id)
        out = directory / "report.html"
        lock = self._reports.setdefault(sweep_id, asyncio.Lock())
        async with lock:
            db = directory / DB_NAME
            if not db.is_file():
                raise StoreError(f"sweep {sweep_id} has no study ({DB_NAME} is missing)")
            if out.is_file() and out.stat().st_mtime >= db.stat().st_mtime:
                return out
            with open_study(directory, read_only=True) as study:
                stored = study.count()
            if stored == 0:  # answered here: a worker process is not worth starting for it
                from samsim.report import ReportError

                raise ReportError("the study has no stored replications yet; run the sweep first")
            fut = self.pool.submit_report(_write_report, str(directory))
            return Path(await asyncio.wrap_future(fut))

    def shutdown(self) -> None:
        """Stop every active sweep (marked ``interrupted``, replications kept) and the workers."""
        self._stop.set()
        with self._lock:
            active = list(self._active.values())
            for act in active:
                self.pool.cancel[act.slot] = 1
        for act in active:
            if act.thread is not None:
                act.thread.join(timeout=30)
        self.pool.queue.put(None)
        self._drain.join(timeout=5)
        self.pool.shutdown()


def _results(rows: list[dict[str, Any]]) -> dict[str, Any]:
    points = []
    for row in rows:
        s = row["summary"]
        points.append(
            {
                "point": row["point"],
                "label": row["label"],
                "params": row["params"],
                "n": row["n"],
                **{m: (None if s is None else _clean(s[m])) for m in RESULT_METRICS},
            }
        )
    return {"points": points}


# -- the API ------------------------------------------------------------------------------

router = APIRouter(tags=["sweeps"])

SweepStatus = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]

_SWEEP_EXAMPLE = {
    "scenario_id": "0123456789abcdef0123456789abcdef",
    "sweep": {
        "name": "drones_vs_leakers",
        "replications": 20,
        "seed": 2024,
        "set": {"duration_s": 1300},
        "grid": [{"path": "raids[0].count", "name": "drones", "values": [4, 8, 16]}],
    },
}


class SweepIn(_Strict):
    """A sweep over a base scenario. Give the base as exactly one of ``scenario_id``,
    ``scenario`` and ``scenario_yaml``, and the sweep as exactly one of ``sweep`` and
    ``sweep_yaml``: the fields of a sweep file (docs/sweeps.md) without ``base``."""

    model_config = pydantic.ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_SWEEP_EXAMPLE]}
    )

    scenario_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="id of a stored scenario"
    )
    scenario: dict[str, Any] | None = Field(default=None, description="base scenario as JSON data")
    scenario_yaml: str | None = Field(default=None, description="base scenario as YAML text")
    sweep: dict[str, Any] | None = Field(
        default=None,
        description="name, replications, seed, common_random_numbers, set, grid, points, stop",
    )
    sweep_yaml: str | None = Field(default=None, description="the sweep as YAML text")


class AxisOut(BaseModel):
    path: str
    name: str
    values: list[Any]


class SweepOut(BaseModel):
    id: str
    name: str
    description: str
    scenario_id: str | None
    scenario_name: str
    seed: int
    replications: int = Field(description="per point (a stopping rule may add more)")
    n_points: int
    axes: list[AxisOut]
    status: SweepStatus
    progress: float = Field(description="fraction done, 0..1")
    done: int = Field(description="replications stored")
    total: int = Field(description="replications planned")
    message: str
    created: str | None
    finished: str | None
    study_path: str = Field(description="the study's DuckDB file on the server's machine")


class Estimate(BaseModel):
    mean: float | None
    ci_low: float | None = Field(description="95 % confidence interval (None with n < 2)")
    ci_high: float | None
    n: int


class PointResult(BaseModel):
    point: int
    label: str
    params: dict[str, Any] = Field(description="swept field path -> value")
    n: int = Field(description="replications stored")
    threats: Estimate | None
    leakers: Estimate | None
    kills: Estimate | None
    interceptors_fired: Estimate | None
    cost_exchange_ratio: Estimate | None = Field(
        description="attacker cost destroyed / defence cost, pooled; interval from the "
        "per-replication ratios"
    )
    p_no_leak: Estimate | None = Field(description="share of replications without a leaker")


class SweepResults(BaseModel):
    id: str
    name: str
    status: SweepStatus
    seed: int
    axes: list[AxisOut]
    points: list[PointResult]


SweepIdParam = IdParam
BUSY = {429: {"model": ErrorOut, "description": "too many sweeps queued or running"}}
CONFLICT = {409: {"model": ErrorOut, "description": "the sweep is in the wrong state"}}


def _manager(request: Request) -> SweepManager:
    return request.app.state.sweeps


def _limits(request: Request) -> Limits:
    return request.app.state.sweeps.limits


def _record_or_404(request: Request, sweep_id: str) -> dict[str, Any]:
    rec = _manager(request).get(sweep_id)
    if rec is None:
        raise HTTPException(404, "no sweep with this id")
    return rec


def _exactly_one(body: SweepIn, names: tuple[str, ...]) -> str:
    given = [n for n in names if getattr(body, n) is not None]
    if len(given) != 1:
        raise ScenarioError(
            [
                Problem(
                    names[0] if not given else given[1],
                    "give exactly one of " + ", ".join(names),
                )
            ]
        )
    return given[0]


def _base(request: Request, body: SweepIn, which: str) -> tuple[dict[str, Any], str | None]:
    limits = _limits(request)
    if which == "scenario_id":
        rec = request.app.state.store.get_scenario(body.scenario_id)
        if rec is None:
            raise HTTPException(404, "no scenario with this id")
        data, sid = rec["scenario"], rec["id"]
    elif which == "scenario_yaml":
        try:
            data = parse_scenario_text(body.scenario_yaml or "", limits)
        except ScenarioError as exc:
            raise ScenarioError(
                [
                    Problem("scenario_yaml", p.message)
                    if p.path in ("yaml", "")
                    else Problem(f"scenario_yaml.{p.path}", p.message)
                    for p in exc.problems
                ]
            ) from None
        sid = None
    else:
        data, sid = body.scenario, None
    try:
        check_scenario_data(data, limits)
    except ScenarioError as exc:
        prefix = "scenario_yaml" if which == "scenario_yaml" else "scenario"
        raise ScenarioError(_prefixed(exc.problems, prefix)) from None
    return data, sid


@router.post("/api/sweeps", status_code=202, responses={**ERRORS, **BUSY, 404: ERRORS[404]})
def start_sweep(request: Request, body: SweepIn) -> SweepOut:
    """Validate a sweep, create its study in the server's data directory and start it.

    Every point is validated as a full scenario before anything runs; problems
    name the request field (``sweep.grid[0].values[1]``, ``scenario.raids[0].count``).
    Limits: points, points x replications and the simulated time summed over all
    replications (see ``GET /api/limits``), and each point's scenario within the
    server's scenario limits.
    """
    try:
        return _start_sweep(request, body)
    except ScenarioError as exc:  # messages quote client text: keep them encodable
        raise ScenarioError(
            [Problem(_printable(p.path), _printable(p.message)) for p in exc.problems]
        ) from None


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _start_sweep(request: Request, body: SweepIn) -> SweepOut:
    mgr, limits = _manager(request), _limits(request)
    which_base = _exactly_one(body, ("scenario_id", "scenario", "scenario_yaml"))
    which_sweep = _exactly_one(body, ("sweep", "sweep_yaml"))
    if which_sweep == "sweep":
        sweep_data = check_sweep_document(body.sweep, limits, "sweep")
    else:
        sweep_data = parse_sweep_text(body.sweep_yaml or "", limits, "sweep_yaml")
    base_data, scenario_id = _base(request, body, which_base)
    if mgr.count() >= limits.max_sweeps:
        raise HTTPException(413, f"the server holds {limits.max_sweeps} sweeps already")
    sweep_id = uuid.uuid4().hex
    built = build_plan(sweep_data, base_data, mgr.directory(sweep_id), limits, which_sweep)
    if not mgr.has_capacity():
        raise HTTPException(429, "too many sweeps queued or running; try again later")
    rec = mgr.start(built, scenario_id)
    if rec is None:
        raise HTTPException(429, "too many sweeps queued or running; try again later")
    return SweepOut(**rec)


@router.get("/api/sweeps")
def list_sweeps(request: Request) -> list[SweepOut]:
    """Recent sweeps (at most 200), newest first."""
    return [SweepOut(**r) for r in _manager(request).list()]


@router.get("/api/sweeps/{sweep_id}", responses=ERRORS)
def read_sweep(request: Request, sweep_id: SweepIdParam) -> SweepOut:
    """Status and progress of a sweep."""
    return SweepOut(**_record_or_404(request, sweep_id))


@router.get(
    "/api/sweeps/{sweep_id}/progress",
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
    response_class=StreamingResponse,
)
async def sweep_progress(request: Request, sweep_id: SweepIdParam):
    """Server-sent events: a ``progress`` event (JSON: status, progress, done, total,
    message) whenever it changes, ending with the final status."""
    _record_or_404(request, sweep_id)
    mgr = _manager(request)
    keys = ("status", "progress", "done", "total", "message")
    return progress_stream(request, lambda: mgr.get(sweep_id), keys, ACTIVE)


@router.post("/api/sweeps/{sweep_id}/cancel", status_code=202, responses={**ERRORS, **CONFLICT})
def cancel_sweep(request: Request, sweep_id: SweepIdParam) -> SweepOut:
    """Cancel a queued or running sweep; the replications already stored are kept."""
    rec = _record_or_404(request, sweep_id)
    if not _manager(request).cancel(sweep_id):
        raise HTTPException(409, f"sweep is {rec['status']}, not queued or running")
    return SweepOut(**_record_or_404(request, sweep_id))


@router.delete("/api/sweeps/{sweep_id}", status_code=204, responses={**ERRORS, **CONFLICT})
def delete_sweep(request: Request, sweep_id: SweepIdParam) -> Response:
    """Delete a sweep that is not running, with its study."""
    _record_or_404(request, sweep_id)
    mgr = _manager(request)
    if mgr.is_active(sweep_id):
        raise HTTPException(409, "cancel the sweep before deleting it")
    mgr.delete(sweep_id)
    return Response(status_code=204)


@router.get("/api/sweeps/{sweep_id}/results", responses={**ERRORS, **CONFLICT})
def sweep_results(request: Request, sweep_id: SweepIdParam) -> SweepResults:
    """Per point: its parameters, replications stored, and the mean with its 95 %
    confidence interval of threats, leakers, kills, interceptors fired, the
    cost-exchange ratio and P(no leaker). Partial while the sweep runs."""
    from samsim.store import StoreError

    rec = _record_or_404(request, sweep_id)
    try:
        res = _manager(request).results(sweep_id)
    except StoreError as exc:
        raise HTTPException(409, f"the study cannot be read: {exc}") from None
    return SweepResults(
        id=rec["id"],
        name=rec["name"],
        status=rec["status"],
        seed=rec["seed"],
        axes=rec["axes"],
        points=res["points"],
    )


@router.get(
    "/api/sweeps/{sweep_id}/report.html",
    responses={**ERRORS, **CONFLICT, 200: {"content": {"text/html": {}}}},
    response_class=FileResponse,
)
async def sweep_report(request: Request, sweep_id: SweepIdParam):
    """The study's self-contained HTML report (``samsim report``), written in a worker
    process the first time it is asked for."""
    from samsim.report import ReportError
    from samsim.store import StoreError

    rec = _record_or_404(request, sweep_id)
    if rec["status"] in ACTIVE:
        raise HTTPException(409, f"the sweep is {rec['status']}; the report comes at its end")
    try:
        path = await _manager(request).report(sweep_id)
    except (ReportError, StoreError) as exc:
        raise HTTPException(409, str(exc)) from None
    return FileResponse(
        path,
        media_type="text/html",
        headers={"Content-Disposition": f'attachment; filename="{rec["name"]}-report.html"'},
    )


def _text_file(request: Request, sweep_id: str, name: str) -> Response:
    rec = _record_or_404(request, sweep_id)
    path = _manager(request).directory(sweep_id) / name
    if not path.is_file():
        raise HTTPException(404, f"this sweep has no {name}")
    return Response(
        path.read_text("utf-8"),
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{rec["name"]}-{name}"'},
    )


@router.get(
    "/api/sweeps/{sweep_id}/sweep.yaml",
    tags=["exports"],
    responses={**ERRORS, 200: {"content": {"application/yaml": {}}}},
    response_class=Response,
)
def sweep_yaml(request: Request, sweep_id: SweepIdParam) -> Response:
    """The sweep file as run (its base is ``base.yaml`` beside it): with the base,
    ``samsim sweep sweep.yaml`` repeats the sweep."""
    return _text_file(request, sweep_id, "sweep.yaml")


@router.get(
    "/api/sweeps/{sweep_id}/base.yaml",
    tags=["exports"],
    responses={**ERRORS, 200: {"content": {"application/yaml": {}}}},
    response_class=Response,
)
def sweep_base_yaml(request: Request, sweep_id: SweepIdParam) -> Response:
    """The base scenario of the sweep, as YAML."""
    return _text_file(request, sweep_id, "base.yaml")
