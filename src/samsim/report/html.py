"""`write_report`: one self-contained HTML file describing a study.

Everything is inside the file: figures as base64 PNG ``data:`` URIs, styles
inline, no scripts and no external URLs, so it can be mailed or archived and
opens offline. Sections: the study and its hashes; a table of per-point means
with 95 % intervals; leakers, interceptors fired and the cost-exchange ratio
against the swept variable with 95 % bands; the engagement timeline of one
replication and a map of where leakers came from (from stored events, or by
re-running that replication from its stored seed, which must reproduce the
stored metrics); and the scenario as run, in YAML.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import samsim
from samsim.report.figures import (
    arrange,
    band_figure,
    metric_estimate,
    png_bytes,
    ratio_estimate,
    timeline_figure,
)
from samsim.report.summary import point_summaries, replication_metrics, swept_axes
from samsim.store.study import Study, to_json

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.l,th.l{text-align:left}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;margin-top:.3em}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.7em;overflow-x:auto;font-size:.82em}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em .8em;font-size:.9em}
.warn{background:#fdecea;border-left:4px solid #d7191c;padding:.5em .8em}
"""


class ReportError(ValueError):
    """A report that cannot be written (no results yet, a point that does not exist, ...)."""


@dataclasses.dataclass
class _Figure:
    key: str
    png: bytes
    alt: str
    caption: str


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _fmt(rec: dict | None, digits: int = 3) -> str:
    if rec is None or rec.get("mean") is None or not math.isfinite(rec["mean"]):
        return "n/a"
    m, lo, hi = rec["mean"], rec["ci_low"], rec["ci_high"]
    if rec.get("n", 0) <= 1 or not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def write_report(
    study: Study,
    out_file: str | Path,
    *,
    point: int | None = None,
    replication: int | None = None,
) -> Path:
    """Write the HTML report of ``study`` to ``out_file`` (atomically) and return its path.

    Raises
    ------
    ReportError
        when the study has no results yet, or ``point`` / ``replication``
        name nothing stored.
    """
    from samsim.catalog import load_catalog
    from samsim.geo.terrain import TerrainError
    from samsim.scenario import Scenario

    info = study.info()
    meta = study.meta()
    rows = point_summaries(study)
    metrics = replication_metrics(study)
    reps: dict[int, list[int]] = {}
    seeds: dict[tuple[int, int], int] = {}
    for p, r, s in study.con.execute(
        "SELECT point, replication, seed FROM replications ORDER BY point, replication"
    ).fetchall():
        reps.setdefault(int(p), []).append(int(r))
        seeds[(int(p), int(r))] = int(s)
    if not metrics:
        raise ReportError("the study has no stored replications yet; run the sweep first")
    if point is not None and point not in metrics:
        raise ReportError(f"--point: point {point} has no stored replication")
    if point is None:
        point = max(
            (r for r in rows if r["n"] > 0),
            key=lambda r: (r["summary"]["leakers"]["mean"], r["point"]),
        )["point"]
    if replication is None:
        leak = np.array([m["leakers"] for m in metrics[point]], dtype=float)
        replication = reps[point][int(np.argmin(np.abs(leak - leak.mean())))]
    elif replication not in reps[point]:
        raise ReportError(f"--replication: point {point} has no stored replication {replication}")
    seed = seeds[(point, replication)]
    pt_row = next(p for p in study.points() if p["point"] == point)
    sc = Scenario.model_validate_json(pt_row["scenario_json"])
    cat = load_catalog(sc.catalog)

    axes = swept_axes(study)
    figures: list[_Figure] = []
    _, xname, categories = arrange(rows, axes, metric_estimate("leakers"))
    if categories is None:
        xs_note = f"against {xname}"
    else:
        xs_note = "for the single point" if len(rows) == 1 else "against the points"
    for key, metric, ylabel, what in (
        ("leakers", "leakers", "leakers per replication", "Leakers"),
        (
            "interceptors",
            "interceptors_fired",
            "interceptors fired per replication",
            "Interceptors spent",
        ),
    ):
        series, xlabel, ticks = arrange(rows, axes, metric_estimate(metric))
        fig = band_figure(series, xlabel, ylabel, f"{what} {xs_note}", ticks)
        figures.append(
            _Figure(
                key,
                png_bytes(fig),
                f"{what} {xs_note}",
                f"{what} per replication {xs_note}: mean (line) and 95 % confidence "
                f"interval of the mean ({'band' if ticks is None else 'bars'}; Student t)."
                + ("" if ticks is None else " Points as listed in the table above."),
            )
        )
    ratios = {
        p: [m["cost_exchange_ratio"] for m in ms if math.isfinite(m["cost_exchange_ratio"])]
        for p, ms in metrics.items()
    }
    series, xlabel, ticks = arrange(rows, axes, ratio_estimate(ratios))
    fig = band_figure(
        series,
        xlabel,
        "attacker cost destroyed / defender cost spent",
        f"Cost-exchange ratio {xs_note}",
        ticks,
        extra_label="pooled ratio (all replications)",
    )
    figures.append(
        _Figure(
            "cost_exchange",
            png_bytes(fig),
            f"Cost-exchange ratio {xs_note}",
            f"Cost-exchange ratio {xs_note}: attacker cost destroyed per defender interceptor "
            "cost spent; mean of the per-replication ratios with its 95 % interval, and the "
            "pooled ratio over all replications (x). Above 1 the defence destroys more value "
            "than it spends.",
        )
    )

    # One replication: events from the store, or re-run deterministically.
    rerun_note = ""
    stored_events = bool(info["events"])
    result = None
    if stored_events:
        events = study.events(point, replication)
        source = "stored events"
    else:
        from samsim.engine import run_replication

        try:
            result = run_replication(sc, cat, replication, seed, record_paths=True, keep_world=True)
        except (TerrainError, OSError) as exc:
            raise ReportError(
                f"cannot re-run point {point} replication {replication} for the timeline "
                f"({exc}); make the scenario's files available, or run the sweep with --events"
            ) from None
        events = result.events.to_pandas()
        again = dict(result.metrics)
        again.pop("wall_s", None)
        stored_json = study.con.execute(
            "SELECT metrics FROM replications WHERE point = ? AND replication = ?",
            [point, replication],
        ).fetchone()[0]
        same = to_json(again) == stored_json
        source = f"re-run from its stored seed {seed}"
        rerun_note = (
            f"<p>Replication {replication} of point {point} was re-run from its stored seed "
            f"{seed}: its metrics are <b>identical to</b> the stored ones.</p>"
            if same
            else f"<p class='warn'>Replication {replication} of point {point} was re-run from "
            f"its stored seed {seed} and its metrics DIFFER from the stored ones (another samsim "
            "version?): the timeline and map below may not match the table.</p>"
        )
    fig, counts = timeline_figure(
        events,
        f"Point {point}, replication {replication}: engagement timeline",
        float(sc.duration_s),
    )
    figures.append(
        _Figure(
            "timeline",
            png_bytes(fig),
            f"Engagement timeline of point {point}, replication {replication}",
            f"Engagement timeline of point {point} ({pt_row['label']}), replication "
            f"{replication} ({source}): one row per hostile threat from launch to kill or "
            f"arrival; {counts['engagements']} interceptor assignments, {counts['kills']} kills, "
            f"{counts['misses']} misses, {counts['leakers']} leakers"
            + (
                f" (first {counts['rows']} of {counts['threats']} threats shown)"
                if counts["rows"] < counts["threats"]
                else ""
            )
            + ".",
        )
    )
    png, caption = _map(study, sc, cat, point, replication, seed, result, stored_events)
    figures.append(_Figure("leaker_map", png, f"Where leakers came from, point {point}", caption))

    doc = _html(study, info, meta, rows, figures, sc, point, replication, rerun_note)
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        Path(tmp).write_text(doc, "utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _map(study, sc, cat, point, replication, seed, result, stored_events) -> tuple[bytes, str]:
    """PNG and caption of the map of where leakers came from."""
    from samsim.engine import ReplicationResult
    from samsim.plotting import draw_engagement_map
    from samsim.plotting.layers import run_layers

    if stored_events:
        rows = study.con.execute(
            """SELECT t.lat_deg, t.lon_deg, l.lat_deg, l.lon_deg
               FROM events l JOIN events t
                 ON t.point = l.point AND t.replication = l.replication
                AND t.subject = l.subject AND t.kind = 'threat_launch'
               WHERE l.kind = 'leaker' AND l.point = ?
               ORDER BY l.replication, l.seq LIMIT 5000""",
            [point],
        ).fetchall()
        n_reps = study.con.execute(
            "SELECT count(*) FROM replications WHERE point = ?", [point]
        ).fetchone()[0]
        empty = ReplicationResult(replication, seed, {}, None)
        base = run_layers(sc, cat, empty)
        paths = [(np.array([[a, b], [c, d]], dtype=float), "leaked") for a, b, c, d in rows]
        pts = [(a.lat_deg, a.lon_deg) for a in sc.assets] + [
            (p[0], p[1]) for path, _ in paths for p in path
        ]
        layers = dataclasses.replace(
            base,
            title=f"samsim: {sc.name}, point {point}: where leakers came from (notional)",
            bbox_deg=_bbox(pts),
            threat_paths=paths,
            notes=f"{len(rows)} leakers over {n_reps} replications",
        )
        caption = (
            f"Where leakers came from at point {point}: a straight line from each leaker's "
            f"launch point to where it reached its target, over all {n_reps} stored "
            f"replications ({len(rows)} leakers), with the defended assets, fire units and "
            "radar coverage (Pd 0.5 against a low and a high target)."
        )
    else:
        n_leak = int(result.metrics["leakers"])
        layers = run_layers(sc, cat, result, f"replication {replication}: {n_leak} leakers (red)")
        caption = (
            f"Engagement map of point {point}, replication {replication} (re-run from its "
            f"stored seed): threat paths red where they leaked ({n_leak}), green where "
            "killed; interceptors blue; with the defended assets, fire units and radar "
            "coverage. Store events (samsim sweep --events) to map the leakers of every "
            "replication."
        )
    fd, tmp = tempfile.mkstemp(suffix=".png")
    os.close(fd)
    try:
        draw_engagement_map(layers, Path(tmp), dpi=90)
        return Path(tmp).read_bytes(), caption
    finally:
        Path(tmp).unlink(missing_ok=True)


def _bbox(points: list[tuple[float, float]], pad_deg: float = 0.2):
    lat = [p[0] for p in points]
    lon = [p[1] for p in points]
    return (min(lon) - pad_deg, min(lat) - pad_deg, max(lon) + pad_deg, max(lat) + pad_deg)


def _img(f: _Figure, number: int) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    return (
        f'<figure id="fig-{_esc(f.key)}"><img src="data:image/png;base64,{data}" '
        f'alt="{_esc(f.alt)}"><figcaption>Figure {number}. {_esc(f.caption)}</figcaption>'
        "</figure>"
    )


def _html(study, info, meta, rows, figures, sc, point, replication, rerun_note) -> str:
    n_reps = study.count()
    created = info["created_utc"]
    created = created.isoformat(sep=" ", timespec="seconds") if created else ""
    stop = json.loads(info["stop"]) if info["stop"] else None
    head = [
        ("study", info["name"]),
        ("description", info["description"] or ""),
        ("base scenario", f"{info['base_path']} (sha256 {info['base_sha256']})"),
        ("sweep file", f"{info['sweep_path']} (sha256 {info['sweep_sha256']})"),
        ("points", str(len(rows))),
        ("replications stored", str(n_reps)),
        ("replications per point", str(info["replications"])),
        (
            "stopping rule",
            "none"
            if stop is None
            else f"95 % half-width of {stop['metric']} <= {stop['half_width']}, at most "
            f"{stop['max_replications']} replications, batches of "
            f"{stop['batch'] or info['replications']}",
        ),
        (
            "seed",
            f"{info['seed']}"
            + (" (common random numbers)" if info["common_random_numbers"] else ""),
        ),
        ("events stored", "yes" if info["events"] else "no"),
        ("created", f"{created} UTC with samsim {meta.get('samsim_version', '?')}"),
        ("report", f"samsim {samsim.__version__}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>samsim report: {_esc(info['name'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>samsim study: {_esc(info['name'])}</h1>",
        '<p class="note">Notional parameters from public sources and textbook physics: '
        "analysis and teaching output, not a statement about any real system.</p>",
        "<h2>Study</h2><table>",
        *(f'<tr><th class="l">{_esc(k)}</th><td class="l">{_esc(v)}</td></tr>' for k, v in head),
        "</table>",
        "<h2>Results per point</h2>",
        "<p>Means per replication with 95 % confidence intervals (Student t; P(no leaker) "
        "Wilson); the cost-exchange ratio is pooled over the replications.</p>",
        _points_table(rows),
        "<h2>Against the swept variable</h2>",
    ]
    number = 0
    for f in figures[:3]:
        number += 1
        parts.append(_img(f, number))
    parts.append(f"<h2>One replication: point {point}, replication {replication}</h2>")
    parts.append(rerun_note)
    for f in figures[3:]:
        number += 1
        parts.append(_img(f, number))
    scenario_yaml = yaml.safe_dump(sc.model_dump(mode="json"), sort_keys=False, width=100)
    parts += [
        "<h2>Scenario as run</h2>",
        f"<p>The complete scenario of point {point} (base scenario with the sweep's changes "
        "applied, every default filled in):</p>",
        f"<pre>{_esc(scenario_yaml)}</pre>",
        "<details><summary>Sweep file as given</summary>",
        f"<pre>{_esc(info['sweep_yaml'])}</pre></details>",
        "<details><summary>Base scenario file as given</summary>",
        f"<pre>{_esc(info['base_yaml'])}</pre></details>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _points_table(rows: list[dict[str, Any]]) -> str:
    cols = (
        ("threats", "threats", 3),
        ("leakers", "leakers", 3),
        ("kills", "kills", 3),
        ("interceptors_fired", "interceptors fired", 3),
        ("p_no_leak", "P(no leaker)", 2),
        ("cost_defence", "defence cost [USD]", 3),
        ("cost_exchange_ratio", "cost-exchange", 3),
    )
    out = [
        '<table><tr><th>point</th><th class="l">parameters</th><th>n</th>'
        + "".join(f"<th>{_esc(c[1])}</th>" for c in cols)
        + "</tr>"
    ]
    for row in rows:
        s = row["summary"]
        cells = "".join(f"<td>{_esc(_fmt(s[k], d) if s else '-')}</td>" for k, _, d in cols)
        out.append(
            f"<tr><td>{row['point']}</td><td class='l'>{_esc(row['label'])}</td>"
            f"<td>{row['n']}</td>{cells}</tr>"
        )
    out.append("</table>")
    return "\n".join(out)
