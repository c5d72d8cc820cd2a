"""Per-point summaries of a study: means with 95 % confidence intervals."""

from __future__ import annotations

import json
import math
from typing import Any

from samsim.analysis import summarise
from samsim.store.study import Study, metrics_from_json


def replication_metrics(study: Study) -> dict[int, list[dict[str, Any]]]:
    """Point -> metrics of its stored replications, in replication order (wall_s included)."""
    rows = study.con.execute(
        "SELECT point, replication, metrics, wall_s FROM replications ORDER BY point, replication"
    ).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    for p, _r, m, wall in rows:
        metrics = metrics_from_json(m)
        metrics["wall_s"] = math.nan if wall is None else float(wall)
        out.setdefault(int(p), []).append(metrics)
    return out


def point_summaries(study: Study) -> list[dict[str, Any]]:
    """One record per point: point, label, params and the `samsim.analysis.summarise` record.

    Points without a stored replication yet have ``summary = None``.
    """
    info = study.info()
    metrics = replication_metrics(study)
    out = []
    for pt in study.points():
        ms = metrics.get(pt["point"], [])
        summary = (
            summarise(ms, scenario=info["name"], seed=int(info["seed"]), wall_s=0.0) if ms else None
        )
        out.append(
            {
                "point": pt["point"],
                "label": pt["label"],
                "params": pt["params"],
                "n": len(ms),
                "summary": summary,
            }
        )
    return out


def swept_axes(study: Study) -> list[tuple[str, str, bool]]:
    """The swept fields: (path, display name, every value numeric)."""
    rows = study.con.execute(
        "SELECT path, any_value(name), bool_and(value_num IS NOT NULL), count(DISTINCT value) "
        "FROM point_params GROUP BY path ORDER BY min(rowid)"
    ).fetchall()
    return [(path, name, bool(num)) for path, name, num, n_distinct in rows if n_distinct > 1]


def params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=False, separators=(", ", ": "))
