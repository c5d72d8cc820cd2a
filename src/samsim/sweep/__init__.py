"""Replications and sweeps: local worker processes or a Dask cluster, into a results store.

``load_sweep`` validates a sweep file and expands its points; ``run_sweep``
runs what a study still lacks on a backend (`LocalBackend`, `DaskBackend`)
and commits each replication to the study's DuckDB store as it arrives.
"""

from samsim.sweep.backends import DaskBackend, LocalBackend, Task, TaskResult, run_task
from samsim.sweep.local import run_replications
from samsim.sweep.runner import Progress, plan_of_study, point_target, run_sweep
from samsim.sweep.spec import (
    SweepError,
    SweepPlan,
    SweepPoint,
    SweepSpec,
    load_sweep,
    plan_from_texts,
    replication_seed,
    set_path,
)

__all__ = [
    "DaskBackend",
    "LocalBackend",
    "Progress",
    "SweepError",
    "SweepPlan",
    "SweepPoint",
    "SweepSpec",
    "Task",
    "TaskResult",
    "load_sweep",
    "plan_from_texts",
    "plan_of_study",
    "point_target",
    "replication_seed",
    "run_replications",
    "run_sweep",
    "run_task",
    "set_path",
]
