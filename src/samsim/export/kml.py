"""KML of a replication for Google Earth: time-tagged ``gx:Track`` per mover, sites, events.

Written with ``simplekml``. Folders: sites (assets, FDCs, radars, launchers),
threats, traffic, interceptors, radar tracks, and kills/leakers as time-stamped
placemarks, so Google Earth's time slider replays the engagement. Altitudes are
absolute metres (``altitudemode absolute``, the surface taken as sea level).
The epoch is notional, as in the CZML export.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import simplekml

from samsim.export.czml import DEFAULT_EPOCH

__all__ = ["replay_to_kml"]

# KML colours are aabbggrr.
_COLOUR = {
    "hostile": "ff2828dc",
    "civil": "ffdc7828",
    "friend": "ff50aa28",
    "interceptor": "ff1ec8fa",
    "radar_track": "c8dc50c8",
}


def _when(epoch: dt.datetime, t_s: float) -> str:
    return (epoch + dt.timedelta(seconds=float(t_s))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _track(
    folder, name: str, t: list[float], p: list[list[float]], colour: str, epoch, desc: str
) -> None:
    if not t:
        return
    trk = folder.newgxtrack(name=name, description=desc)
    trk.newwhen([_when(epoch, ti) for ti in t])
    trk.newgxcoord([(float(lon), float(lat), float(alt)) for lat, lon, alt in p])
    trk.altitudemode = simplekml.AltitudeMode.absolute
    trk.style.linestyle.color = colour
    trk.style.linestyle.width = 2
    trk.style.iconstyle.color = colour
    trk.style.iconstyle.scale = 0.6


def replay_to_kml(replay: dict[str, Any], epoch: dt.datetime = DEFAULT_EPOCH) -> str:
    """A KML document (XML text) of a replay."""
    kml = simplekml.Kml(
        name=f"samsim {replay['scenario']} replication {replay['replication']}",
        description=f"seed {replay['seed']}; notional parameters; times from {_when(epoch, 0)}",
    )
    sites = kml.newfolder(name="sites")
    for kind in ("assets", "fdcs", "radars", "launchers"):
        for s in replay["sites"][kind]:
            pt = sites.newpoint(
                name=s["name"], description=kind[:-1], coords=[(s["lon_deg"], s["lat_deg"])]
            )
            pt.style.labelstyle.scale = 0.7
    folders = {
        "hostile": kml.newfolder(name="threats"),
        "civil": kml.newfolder(name="civil traffic"),
        "friend": kml.newfolder(name="friendly traffic"),
    }
    for a in replay["air"]:
        _track(
            folders[a["allegiance"]],
            a["name"],
            a["t"],
            a["p"],
            _COLOUR[a["allegiance"]],
            epoch,
            f"{a['type']} ({a['allegiance']}), fate {a['fate']}",
        )
    icpt = kml.newfolder(name="interceptors")
    for ic in replay["interceptors"]:
        _track(
            icpt,
            ic["name"],
            ic["t"],
            ic["p"],
            _COLOUR["interceptor"],
            epoch,
            f"from {ic['launcher']}, {ic['end'] or 'in flight'} {ic['target']}",
        )
    if replay.get("radar_tracks"):
        tracks = kml.newfolder(name="radar tracks")
        for tr in replay["radar_tracks"]:
            _track(
                tracks,
                f"{tr['fdc']}/T{tr['track_id']}",
                tr["t"],
                tr["p"],
                _COLOUR["radar_track"],
                epoch,
                f"truth {tr['truth'] or 'none'}",
            )
    events = kml.newfolder(name="kills and leakers")
    for ev in replay["events"]:
        if ev["kind"] not in ("kill", "leaker") or ev["lat_deg"] is None:
            continue
        pt = events.newpoint(
            name=f"{ev['kind']} {ev['object'] if ev['kind'] == 'kill' else ev['subject']}",
            description=f"{ev['subject']} -> {ev['object']} at t={ev['t']:.1f} s",
            coords=[(ev["lon_deg"], ev["lat_deg"], max(ev["alt_m"], 0.0))],
        )
        pt.altitudemode = simplekml.AltitudeMode.absolute
        pt.timestamp.when = _when(epoch, ev["t"])
    return kml.kml()
