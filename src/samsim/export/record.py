"""Run one replication while watching it: progress, cancellation and radar tracks.

``run_replication`` offers no per-step callback, so ``observe_steps`` wraps the
engine's first stage (``doctrine_stage``) inside the current process for the
duration of a ``with`` block: every engine step then also calls the observer
with ``(world, t_s)``. The observer only reads the World, so results are the
same as without it (tested); an exception it raises (a cancellation) ends the
replication. If the engine is restructured and the stage is gone, the block
still runs the replication, just without observations (``observed`` stays
False), and callers report that radar tracks were not recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from samsim.catalog import Catalog
from samsim.engine import run_replication
from samsim.export.replay import RadarTrackSampler, replay_from_result
from samsim.scenario.models import Scenario

__all__ = ["StepObserver", "observe_steps", "record_replication", "replay_period_s"]

StepObserver = Callable[[Any, float], None]
_lock = threading.Lock()


@contextmanager
def observe_steps(observer: StepObserver) -> Iterator[dict[str, bool]]:
    """Call ``observer(world, t_s)`` at every engine step inside the block.

    Yields a dict whose ``"observed"`` entry becomes True once the observer
    has been called. Not re-entrant across threads: one observed replication
    per process at a time (the web server runs each in its own worker process).
    """
    import samsim.engine.run as engine_run

    state = {"observed": False}
    original = getattr(engine_run, "doctrine_stage", None)
    if original is None:
        yield state
        return

    def wrapped(w, t_s):
        original(w, t_s)
        state["observed"] = True
        observer(w, t_s)

    with _lock:
        engine_run.doctrine_stage = wrapped
        try:
            yield state
        finally:
            engine_run.doctrine_stage = original


def replay_period_s(duration_s: float) -> float:
    """Sampling period of replay positions: 1 s, coarser for long scenarios (<= ~2000 samples)."""
    return float(max(1.0, round(duration_s / 2000.0)))


def record_replication(
    sc: Scenario,
    cat: Catalog,
    replication: int = 0,
    seed: int | None = None,
    *,
    on_step: StepObserver | None = None,
    period_s: float | None = None,
) -> dict[str, Any]:
    """Run one replication with paths and radar tracks; return its replay dict.

    Parameters
    ----------
    sc, cat : validated scenario and its catalog
    replication, seed : as for ``run_replication``
    on_step : optional observer called each step with ``(world, t_s)``, e.g.
        to report progress or raise to cancel
    period_s : sampling period of positions and tracks [s]; default
        ``replay_period_s(sc.duration_s)``
    """
    period_s = replay_period_s(sc.duration_s) if period_s is None else float(period_s)
    sampler = RadarTrackSampler(period_s)

    def observer(w, t_s):
        sampler(w, t_s)
        if on_step is not None:
            on_step(w, t_s)

    with observe_steps(observer) as state:
        result = run_replication(
            sc, cat, replication, seed, record_paths=True, path_period_s=period_s, keep_world=True
        )
    return replay_from_result(result, sampler.tracks() if state["observed"] else None)
