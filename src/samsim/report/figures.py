"""Figures of a study report, drawn on bare matplotlib Figures (Agg, no pyplot) as PNG bytes."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from samsim.analysis import mean_ci

_BAND_ALPHA = 0.22
_MAX_TIMELINE_ROWS = 150
_TRUTH_RE = re.compile(r"truth=([^;]+)")


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    fig.clear()
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Series:
    """Points of one line: x positions, mean and interval, and a legend label."""

    label: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    extra: np.ndarray | None = None  # a second estimate drawn as markers (e.g. pooled ratio)


def arrange(
    rows: Sequence[dict[str, Any]],
    axes: Sequence[tuple[str, str, bool]],
    estimate,
) -> tuple[list[Series], str, list[str] | None]:
    """Group per-point estimates into lines against the swept variable.

    ``estimate(row)`` returns (mean, low, high, extra) or None. The x axis is
    the first swept field whose values are all numbers; the other swept fields
    make one line each. Without a numeric field the points are categories.

    Returns the series, the x label and, for categories, the tick labels.
    """
    # A numeric axis needs a value at every point (a `points:` entry may omit it).
    numeric = [a for a in axes if a[2] and all(a[0] in row["params"] for row in rows)]
    if numeric:
        xpath, xname, _ = numeric[0]
        others = [a for a in axes if a[0] != xpath]
        groups: dict[str, list[tuple[float, tuple]]] = {}
        for row in rows:
            est = estimate(row)
            if est is None or xpath not in row["params"]:
                continue
            key = ", ".join(f"{name}={row['params'].get(path)}" for path, name, _ in others)
            groups.setdefault(key, []).append((float(row["params"][xpath]), est))
        series = []
        for key, pts in groups.items():
            pts.sort(key=lambda p: p[0])
            arr = np.array([[x, *e[:3]] for x, e in pts], dtype=float)
            extra = np.array([e[3] for _, e in pts], dtype=float)
            series.append(Series(key, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], extra))
        return series, xname, None
    labels, vals = [], []
    for row in rows:
        est = estimate(row)
        if est is None:
            continue
        labels.append(f"point {row['point']}")  # the table lists each point's changes
        vals.append((float(row["point"]), *est))
    arr = np.array([v[:4] for v in vals], dtype=float).reshape(-1, 4)
    extra = np.array([v[4] for v in vals], dtype=float)
    return [Series("", arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], extra)], "point", labels


def band_figure(
    series: list[Series],
    xlabel: str,
    ylabel: str,
    title: str,
    ticks: list[str] | None = None,
    extra_label: str | None = None,
) -> Figure:
    """Means with 95 % bands (numeric x) or error bars (categories)."""
    fig = Figure(figsize=(8.0, 4.2), layout="constrained")
    ax = fig.add_subplot()
    colors = [f"C{i % 10}" for i in range(len(series))]
    for s, color in zip(series, colors, strict=True):
        if ticks is None:
            ax.plot(s.x, s.mean, "o-", color=color, lw=1.6, ms=4, label=s.label or None)
            ax.fill_between(s.x, s.low, s.high, color=color, alpha=_BAND_ALPHA, lw=0)
        else:
            ax.errorbar(
                s.x,
                s.mean,
                yerr=[s.mean - s.low, s.high - s.mean],
                fmt="o",
                color=color,
                capsize=4,
            )
        if s.extra is not None and extra_label and np.isfinite(s.extra).any():
            ax.plot(s.x, s.extra, "x", color=color, ms=7, mew=1.5)
    if ticks is not None:
        ax.set_xticks(series[0].x if series else [])
        ax.set_xticklabels(ticks, rotation=30, ha="right", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if extra_label:
        handles.append(Line2D([], [], ls="none", marker="x", color="black", mew=1.5))
        labels.append(extra_label)
    if any(labels):
        ax.legend(handles, labels, fontsize=8, loc="best")
    return fig


def metric_estimate(metric: str):
    """Estimate function for `arrange`: the summary record of ``metric``."""

    def est(row: dict[str, Any]):
        s = row["summary"]
        if s is None:
            return None
        rec = s[metric]
        if not math.isfinite(rec["mean"]):
            return None
        return (rec["mean"], rec["ci_low"], rec["ci_high"], math.nan)

    return est


def ratio_estimate(per_point_ratios: dict[int, list[float]]):
    """Estimate function for the cost-exchange ratio: mean of per-replication ratios,
    its 95 % interval, and the pooled ratio (sum destroyed / sum spent) as extra."""

    def est(row: dict[str, Any]):
        s = row["summary"]
        if s is None:
            return None
        ci = mean_ci(per_point_ratios.get(row["point"], []))
        if not math.isfinite(ci["mean"]):
            return None
        return (ci["mean"], ci["ci_low"], ci["ci_high"], s["cost_exchange_ratio"]["mean"])

    return est


def timeline_figure(events: pd.DataFrame, title: str, end_s: float) -> tuple[Figure, dict]:
    """Engagement timeline of one replication: a row per hostile threat.

    Each row runs from the threat's launch to its kill or arrival (or the end
    of the run); markers show when an FDC engaged it (one per interceptor
    assigned), kills, misses and leaks.

    Returns the figure and counts of what it shows.
    """
    ev = events
    launches = ev[(ev["kind"] == "threat_launch") & (ev["detail"] == "hostile")]
    launches = launches.sort_values(["time_s", "subject"], kind="stable")
    subjects = list(dict.fromkeys(launches["subject"]))
    shown = subjects[:_MAX_TIMELINE_ROWS]
    row_of = {s: i for i, s in enumerate(shown)}
    start = dict(zip(launches["subject"], launches["time_s"], strict=False))

    engage = ev[ev["kind"] == "engage"].copy()
    engage["truth"] = engage["detail"].str.extract(_TRUTH_RE, expand=False)
    kills = ev[ev["kind"] == "kill"]
    misses = ev[ev["kind"] == "miss"]
    leaks = ev[ev["kind"] == "leaker"]
    end = {s: end_s for s in shown}
    for frame, col in ((kills, "object"), (leaks, "subject")):
        for s, t in zip(frame[col], frame["time_s"], strict=False):
            if s in end:
                end[s] = min(end[s], float(t))

    height = 1.6 + 0.2 * max(len(shown), 3)
    fig = Figure(figsize=(8.5, min(height, 30.0)), layout="constrained")
    ax = fig.add_subplot()
    for s in shown:
        y = row_of[s]
        ax.plot([start[s], end[s]], [y, y], color="#9a9a9a", lw=1.2, zorder=1)

    def scatter(frame: pd.DataFrame, col: str, **kw) -> int:
        sel = frame[frame[col].isin(row_of)]
        if len(sel):
            ax.scatter(sel["time_s"], [row_of[s] for s in sel[col]], zorder=3, **kw)
        return len(sel)

    counts = {
        "threats": len(subjects),
        "rows": len(shown),
        "engagements": scatter(engage, "truth", marker="^", s=30, color="#1f5fbf"),
        "kills": scatter(kills, "object", marker="X", s=55, color="#1a9641"),
        "misses": scatter(misses, "object", marker="x", s=35, color="#f28e1c"),
        "leakers": scatter(leaks, "subject", marker="*", s=90, color="#d7191c"),
    }
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels(shown, fontsize=7 if len(shown) < 60 else 5)
    ax.invert_yaxis()
    ax.set_xlabel("time [s]")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    handles = [
        Line2D([], [], color="#9a9a9a", lw=1.2, label="threat in flight"),
        Line2D([], [], ls="none", marker="^", color="#1f5fbf", label="interceptor assigned"),
        Line2D([], [], ls="none", marker="X", color="#1a9641", ms=8, label="kill"),
        Line2D([], [], ls="none", marker="x", color="#f28e1c", label="miss"),
        Line2D([], [], ls="none", marker="*", color="#d7191c", ms=10, label="leaker"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=8, frameon=False)
    return fig, counts
