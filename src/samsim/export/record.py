"""Run one replication while watching it: progress, cancellation and radar tracks.

The engine calls ``on_step(world, t_s)`` after every step (``run_replication``'s
hook); the observers here only read the World, so results are the same as
without them (tested); an exception an observer raises (a cancellation) ends
the replication.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from samsim.catalog import Catalog
from samsim.engine import run_replication
from samsim.export.replay import RadarTrackSampler, replay_from_result
from samsim.scenario.models import Scenario

__all__ = ["StepObserver", "record_replication", "replay_period_s"]

StepObserver = Callable[[Any, float], None]


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

    result = run_replication(
        sc,
        cat,
        replication,
        seed,
        record_paths=True,
        path_period_s=period_s,
        keep_world=True,
        on_step=observer,
    )
    return replay_from_result(result, sampler.tracks())
