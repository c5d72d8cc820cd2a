"""CZML of a replication for CesiumJS: time-tagged 3-D tracks, sites and events.

Each mover (threat, traffic, interceptor, radar track) becomes a packet with
``cartographicDegrees`` samples ``[t, lon, lat, height, ...]`` relative to an
epoch, an availability interval and a trailing path; sites are fixed points;
kills and leakers are points that appear at their time. Every packet is
validated by ``czml3`` (the pydantic models of the CZML specification) before
the document is written, so the output is a CZML document czml3 reads back.

Scenario times are seconds from the start; the epoch is notional (default
``2025-01-01T00:00:00Z``) because scenarios carry no calendar date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from czml3 import Document, Packet

__all__ = ["DEFAULT_EPOCH", "replay_to_czml", "replay_to_czml_packets"]

DEFAULT_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

_RGBA = {
    "hostile": [220, 40, 40, 255],
    "civil": [40, 120, 220, 255],
    "friend": [40, 170, 80, 255],
    "interceptor": [250, 200, 30, 255],
    "radar_track": [200, 80, 220, 200],
    "asset": [255, 255, 255, 255],
    "fdc": [120, 120, 120, 255],
    "radar": [160, 80, 200, 255],
    "launcher": [40, 160, 60, 255],
    "kill": [255, 140, 0, 255],
    "leaker": [255, 0, 0, 255],
}


def _iso(epoch: dt.datetime, t_s: float) -> str:
    return (epoch + dt.timedelta(seconds=float(t_s))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _mover(
    pid: str, name: str, t: list[float], p: list[list[float]], rgba: list[int], epoch, desc: str
) -> dict[str, Any] | None:
    if not t:
        return None
    samples: list[float] = []
    for ti, (lat, lon, alt) in zip(t, p, strict=True):
        samples += [float(ti), float(lon), float(lat), float(alt)]
    end = t[-1] if len(t) > 1 else t[0] + 1.0
    return {
        "id": pid,
        "name": name,
        "description": desc,
        "availability": f"{_iso(epoch, t[0])}/{_iso(epoch, end)}",
        "position": {
            "epoch": _iso(epoch, 0.0),
            "cartographicDegrees": samples,
            "interpolationAlgorithm": "LINEAR",
        },
        "point": {"pixelSize": 7, "color": {"rgba": rgba}},
        "path": {
            "width": 2,
            "leadTime": 0,
            "trailTime": 600,
            "material": {"solidColor": {"color": {"rgba": rgba}}},
        },
        "label": {"text": name, "scale": 0.5, "show": False},
    }


def _site(pid: str, name: str, lat: float, lon: float, rgba: list[int]) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "position": {"cartographicDegrees": [float(lon), float(lat), 0.0]},
        "point": {"pixelSize": 9, "color": {"rgba": rgba}, "outlineWidth": 1},
        "label": {"text": name, "scale": 0.5},
    }


def replay_to_czml_packets(
    replay: dict[str, Any], epoch: dt.datetime = DEFAULT_EPOCH
) -> list[dict[str, Any]]:
    """The CZML packets (plain dicts, not yet validated) of a replay."""
    t_end = float(replay["duration_s"])
    packets: list[dict[str, Any]] = [
        {
            "id": "document",
            "name": f"samsim {replay['scenario']} replication {replay['replication']}",
            "version": "1.0",
            "clock": {
                "interval": f"{_iso(epoch, 0.0)}/{_iso(epoch, t_end)}",
                "currentTime": _iso(epoch, 0.0),
                "multiplier": 10,
            },
        }
    ]
    sites = replay["sites"]
    for kind in ("assets", "fdcs", "radars", "launchers"):
        for s in sites[kind]:
            packets.append(
                _site(
                    f"{kind}/{s['name']}", s["name"], s["lat_deg"], s["lon_deg"], _RGBA[kind[:-1]]
                )
            )
    for a in replay["air"]:
        pk = _mover(
            f"air/{a['name']}",
            a["name"],
            a["t"],
            a["p"],
            _RGBA[a["allegiance"]],
            epoch,
            f"{a['type']} ({a['allegiance']}), fate {a['fate']}",
        )
        if pk:
            packets.append(pk)
    for ic in replay["interceptors"]:
        pk = _mover(
            f"interceptor/{ic['name']}",
            ic["name"],
            ic["t"],
            ic["p"],
            _RGBA["interceptor"],
            epoch,
            f"from {ic['launcher']}, {ic['end'] or 'in flight'} {ic['target']}",
        )
        if pk:
            packets.append(pk)
    for tr in replay.get("radar_tracks") or []:
        pk = _mover(
            f"track/{tr['fdc']}/T{tr['track_id']}",
            f"{tr['fdc']}/T{tr['track_id']}",
            tr["t"],
            tr["p"],
            _RGBA["radar_track"],
            epoch,
            f"radar track, truth {tr['truth'] or 'none'}",
        )
        if pk:
            pk["path"]["width"] = 1
            packets.append(pk)
    for k, ev in enumerate(replay["events"]):
        if ev["kind"] not in ("kill", "leaker") or ev["lat_deg"] is None:
            continue
        packets.append(
            {
                "id": f"event/{k}",
                "name": f"{ev['kind']}: {ev['subject']} {ev['object']}",
                "availability": f"{_iso(epoch, ev['t'])}/{_iso(epoch, t_end)}",
                "position": {
                    "cartographicDegrees": [ev["lon_deg"], ev["lat_deg"], max(ev["alt_m"], 0.0)]
                },
                "point": {"pixelSize": 10, "color": {"rgba": _RGBA[ev["kind"]]}},
            }
        )
    return packets


def replay_to_czml(replay: dict[str, Any], epoch: dt.datetime = DEFAULT_EPOCH) -> str:
    """A CZML document (JSON text) of a replay, validated packet by packet by czml3.

    Raises
    ------
    pydantic.ValidationError
        A packet does not conform to the CZML models (a bug, not bad input).
    """
    doc = Document(
        packets=[Packet.model_validate(p) for p in replay_to_czml_packets(replay, epoch)]
    )
    return doc.dumps() if hasattr(doc, "dumps") else doc.model_dump_json(exclude_none=True)
