"""A replication as plain data: time-tagged geodetic tracks, events and metrics.

``replay_from_result`` turns a ``ReplicationResult`` recorded with
``record_paths=True, keep_world=True`` into a JSON-ready dict that the web
application replays and that the CZML and KML writers read. Positions are
WGS-84 degrees and metres above the surface; times are seconds from the
scenario start.

Layout (every list is JSON)::

    scenario, seed, replication, duration_s, period_s, origin_deg [lat, lon]
    sites:   assets / fdcs / radars / launchers: [{name, lat_deg, lon_deg, ...}]
    air:     [{name, type, category, allegiance, fate, fate_time_s, t, p}]
    interceptors: [{name, type, launcher, target, end, t, p}]
    radar_tracks: [{fdc, track_id, truth, t, p}] or None when not recorded
    events:  [{t, kind, subject, object, lat_deg, lon_deg, alt_m, detail}]
    metrics: the replication's metrics (``samsim.engine.measure``)

``t`` is a list of times [s] and ``p`` the matching ``[lat_deg, lon_deg,
alt_m]`` positions of one mover while it flies; the point where it ended
(kill, leak, arrival) is appended from the event log.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from samsim.engine import ReplicationResult
from samsim.geo import LocalFrame
from samsim.threats.state import ALLEGIANCE_NAMES, CATEGORIES, FATE_NAMES

__all__ = ["REPLAY_EVENT_KINDS", "RadarTrackSampler", "replay_from_result"]

# Events kept in a replay: all but the bulky per-look track bookkeeping.
REPLAY_EVENT_KINDS = frozenset(
    {
        "threat_launch",
        "track_confirmed",
        "track_handover",
        "engage",
        "launch",
        "seeker_lock",
        "kill",
        "miss",
        "self_destruct",
        "leaker",
        "asset_hit",
        "arrived",
        "reload",
        "weapons_status",
    }
)
_END_EVENTS = ("kill", "miss", "self_destruct")


def _finite_or_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def _geo_points(frame: LocalFrame, pos_enu_m: NDArray) -> list[list[float]]:
    """(k, 3) ENU to [[lat_deg, lon_deg, alt_m], ...] rounded to ~1 m."""
    if len(pos_enu_m) == 0:
        return []
    lat, lon, alt = frame.to_geodetic(np.asarray(pos_enu_m, dtype=float))
    out = np.column_stack([np.round(lat, 5), np.round(lon, 5), np.round(alt, 0)])
    return out.tolist()


def _mover_tracks(
    frame: LocalFrame, time_s: NDArray, pos_enu_m: NDArray
) -> list[tuple[list[float], list[list[float]]]]:
    """Per mover, the sample times and positions where it was present (not NaN)."""
    present = ~np.isnan(pos_enu_m[:, :, 0])  # (T, n)
    tracks = []
    for i in range(pos_enu_m.shape[1]):
        rows = np.flatnonzero(present[:, i])
        tracks.append(
            (np.round(time_s[rows], 2).tolist(), _geo_points(frame, pos_enu_m[rows, i, :]))
        )
    return tracks


def _append_end(track: tuple[list[float], list[list[float]]], event: dict | None) -> None:
    """Append the point where a mover ended, if the event log knows it."""
    if event is None or event["lat_deg"] is None:
        return
    t, p = track
    if t and event["t"] <= t[-1]:
        return
    t.append(round(event["t"], 2))
    p.append([round(event["lat_deg"], 5), round(event["lon_deg"], 5), round(event["alt_m"], 0)])


class RadarTrackSampler:
    """Samples each FDC's confirmed tracks every ``period_s`` while a replication runs.

    Call it with ``(world, t_s)`` once per engine step (see
    ``run_replication``'s ``on_step`` hook); it only reads the track tables, so
    the replication's results do not change.
    """

    def __init__(self, period_s: float = 1.0) -> None:
        self.period_s = float(period_s)
        self._next_s = 0.0
        self._tracks: dict[tuple[str, int], dict[str, Any]] = {}
        self._frame: LocalFrame | None = None
        self._names: list[str] = []

    def __call__(self, w, t_s: float) -> None:
        if t_s + 1e-9 < self._next_s:
            return
        self._next_s = t_s + self.period_s
        self._frame = w.frame
        self._names = w.air.name
        for fdc in w.fdcs:
            rows = fdc.tracks.confirmed()
            if rows.size == 0:
                continue
            pts = _geo_points(w.frame, fdc.tracks.position_at(rows, t_s))
            for row, p in zip(rows.tolist(), pts, strict=True):
                key = (fdc.name, int(fdc.tracks.track_id[row]))
                rec = self._tracks.setdefault(
                    key, {"fdc": fdc.name, "track_id": key[1], "truth": "", "t": [], "p": []}
                )
                truth = int(fdc.tracks.truth_idx[row])
                if truth >= 0:
                    rec["truth"] = w.air.name[truth]
                rec["t"].append(round(t_s, 2))
                rec["p"].append(p)

    def tracks(self) -> list[dict[str, Any]]:
        """All sampled tracks, in (FDC, track number) order."""
        return [self._tracks[k] for k in sorted(self._tracks)]


def _events(table) -> list[dict[str, Any]]:
    cols = table.to_pydict()
    out = []
    for k in range(table.num_rows):
        kind = cols["kind"][k]
        if kind not in REPLAY_EVENT_KINDS:
            continue
        lat = cols["lat_deg"][k]
        ok = lat is not None and math.isfinite(lat)
        out.append(
            {
                "t": round(float(cols["time_s"][k]), 3),
                "kind": kind,
                "subject": cols["subject"][k],
                "object": cols["object"][k],
                "lat_deg": round(lat, 5) if ok else None,
                "lon_deg": round(cols["lon_deg"][k], 5) if ok else None,
                "alt_m": round(cols["alt_m"][k], 1) if ok else None,
                "detail": cols["detail"][k],
            }
        )
    return out


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return _finite_or_none(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def replay_from_result(
    result: ReplicationResult, radar_tracks: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The replay of one replication (see the module docstring for the layout).

    Parameters
    ----------
    result : a replication run with ``record_paths=True, keep_world=True``
    radar_tracks : confirmed tracks sampled during the run
        (``RadarTrackSampler.tracks()``), or None when they were not recorded

    Raises
    ------
    ValueError
        ``result`` holds no paths or no world.
    """
    if result.paths is None or result.world is None:
        raise ValueError("result: run the replication with record_paths=True and keep_world=True")
    w = result.world
    sc = w.scenario
    frame = w.frame
    events = _events(result.events)
    end_of: dict[str, dict] = {}
    for ev in events:
        if ev["kind"] == "kill":
            end_of.setdefault(ev["object"], ev)
        elif ev["kind"] in ("leaker", "arrived"):
            end_of.setdefault(ev["subject"], ev)
    icpt_end: dict[str, dict] = {}
    icpt_launch: dict[str, dict] = {}
    for ev in events:
        if ev["kind"] in _END_EVENTS:
            icpt_end.setdefault(ev["subject"], ev)
        elif ev["kind"] == "launch":
            icpt_launch.setdefault(ev["subject"], ev)

    air = w.air
    air_tracks = _mover_tracks(frame, result.paths.time_s, result.paths.air_enu_m)
    air_out = []
    for i, name in enumerate(air.name):
        track = air_tracks[i]
        _append_end(track, end_of.get(name))
        air_out.append(
            {
                "name": name,
                "type": w.threat_type_names[air.type_idx[i]],
                "category": CATEGORIES[air.category[i]],
                "allegiance": ALLEGIANCE_NAMES[air.allegiance[i]],
                "fate": FATE_NAMES[air.fate[i]],
                "fate_time_s": _finite_or_none(float(air.fate_time_s[i])),
                "t": track[0],
                "p": track[1],
            }
        )
    n_used = w.icpt.n_used
    icpt_tracks = _mover_tracks(
        frame, result.paths.time_s, result.paths.interceptor_enu_m[:, :n_used, :]
    )
    icpt_out = []
    for row in range(n_used):
        type_name = w.icpt_table.names[w.icpt.type_idx[row]]
        name = f"interceptor#{row}:{type_name}"
        track = icpt_tracks[row]
        launch = icpt_launch.get(name)
        if (
            launch is not None
            and launch["lat_deg"] is not None
            and (not track[0] or launch["t"] < track[0][0])
        ):
            track[0].insert(0, round(launch["t"], 2))
            track[1].insert(0, [launch["lat_deg"], launch["lon_deg"], round(launch["alt_m"], 0)])
        end = icpt_end.get(name)
        _append_end(track, end)
        icpt_out.append(
            {
                "name": name,
                "type": type_name,
                "launcher": w.launchers.name[w.icpt.launcher_idx[row]],
                "target": end["object"] if end else "",
                "end": end["kind"] if end else "",
                "t": track[0],
                "p": track[1],
            }
        )

    sites = {
        "assets": [
            {"name": a.name, "lat_deg": a.lat_deg, "lon_deg": a.lon_deg, "radius_m": a.radius_m}
            for a in sc.assets
        ],
        "fdcs": [
            {"name": b.name, "lat_deg": b.fdc.lat_deg, "lon_deg": b.fdc.lon_deg}
            for b in sc.batteries
        ],
        "radars": [
            {"name": f"{b.name}/{r.name}", "lat_deg": r.lat_deg, "lon_deg": r.lon_deg}
            for b in sc.batteries
            for r in b.radars
        ],
        "launchers": [
            {"name": f"{b.name}/{ln.name}", "lat_deg": ln.lat_deg, "lon_deg": ln.lon_deg}
            for b in sc.batteries
            for ln in b.launchers
        ],
    }
    return _clean(
        {
            "scenario": sc.name,
            "seed": int(result.seed),
            "replication": int(result.replication),
            "duration_s": float(sc.duration_s),
            "period_s": float(result.paths.period_s),
            "origin_deg": [frame.lat0_deg, frame.lon0_deg],
            "sites": sites,
            "air": air_out,
            "interceptors": icpt_out,
            "radar_tracks": radar_tracks,
            "events": events,
            "metrics": dict(result.metrics),
        }
    )
