"""Summaries over replications: means with 95 % confidence intervals.

``summarise`` turns per-replication metrics into the ``summary.json`` layout
of DESIGN.md: every count and cost is reported as
``{"mean", "ci_low", "ci_high", "n"}``, breakdowns by type as such a record
per type, and ``p_no_leak`` as a proportion with a Wilson interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from samsim.analysis.stats import mean_ci, proportion_ci

SCALARS = (
    "threats",
    "kills",
    "leakers",
    "threats_not_engaged",
    "interceptors_fired",
    "cost_defence",
    "cost_threats",
    "cost_threats_destroyed",
    "civil_or_friendly_engagements",
    "civil_or_friendly_killed",
    "asset_damage",
)
BREAKDOWNS = (
    "threats_by_type",
    "kills_by_type",
    "leakers_by_type",
    "interceptors_by_type",
    "asset_damage_by_asset",
)


def summarise(
    metrics: Sequence[dict[str, Any]], *, scenario: str, seed: int, wall_s: float
) -> dict[str, Any]:
    """The summary of a run of replications (metrics in replication order)."""
    n = len(metrics)
    out: dict[str, Any] = {"scenario": scenario, "seed": int(seed), "replications": n}
    for key in SCALARS:
        out[key] = mean_ci([m[key] for m in metrics])
    for key in BREAKDOWNS:
        names = sorted({k for m in metrics for k in m[key]})
        out[key] = {k: mean_ci([m[key].get(k, 0) for m in metrics]) for k in names}
    # Ratio of the summed costs: the exchange over all replications, robust to
    # replications in which nothing was fired; its interval comes from the
    # per-replication ratios.
    destroyed = sum(m["cost_threats_destroyed"] for m in metrics)
    spent = sum(m["cost_defence"] for m in metrics)
    ratio = mean_ci([m["cost_exchange_ratio"] for m in metrics])
    ratio["mean"] = destroyed / spent if spent > 0 else math.nan
    out["cost_exchange_ratio"] = ratio
    out["p_no_leak"] = proportion_ci(sum(1 for m in metrics if m["leakers"] == 0), n)
    out["wall_s"] = float(wall_s)
    out["replication_wall_s"] = mean_ci([m["wall_s"] for m in metrics])
    return out


def per_replication_table(metrics: Sequence[dict[str, Any]]):
    """One row per replication with the scalar metrics (a pandas DataFrame)."""
    import pandas as pd

    rows = [
        {"replication": i, **{k: m[k] for k in (*SCALARS, "cost_exchange_ratio")}}
        for i, m in enumerate(metrics)
    ]
    return pd.DataFrame(rows)


def cost_exchange(metrics: Sequence[dict[str, Any]]) -> float:
    """Attacker cost destroyed per unit of defender interceptor cost, over all replications."""
    spent = float(np.sum([m["cost_defence"] for m in metrics]))
    return (
        float(np.sum([m["cost_threats_destroyed"] for m in metrics])) / spent if spent else math.nan
    )
