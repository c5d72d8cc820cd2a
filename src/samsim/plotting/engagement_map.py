"""Static engagement map: land, defended assets, sensors, coverage and tracks on one PNG.

Equirectangular (plate carree) axes in lon/lat degrees with the aspect set to
1 / cos(mid latitude), so that distances look right near the middle of the
box; fine for the few-hundred-km boxes of a single defended area, not for
continents. Drawn on a bare ``matplotlib.figure.Figure`` (Agg canvas, no
pyplot), so it is safe in worker processes and leaves no global state.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from numpy.typing import NDArray

from samsim.geo.coastline import load_land_polygons

__all__ = ["MapLayers", "draw_engagement_map", "map_figure_size_in"]

_FIG_WIDTH_IN = 10.0
_MAP_WIDTH_IN = 9.0  # figure width less tick labels and margins
_NON_MAP_HEIGHT_IN = 2.0  # title, tick labels, a legend of up to 4 rows
_FIG_HEIGHT_LIMITS_IN = (4.0, 14.0)

_KM_PER_DEG = 111.32  # arc of 1 deg of a great circle on a 6378 km sphere
_SEA_COLOR = "#d6eaf8"
_LAND_FACE = "#f3efe0"
_LAND_EDGE = "#8c8c7a"
_FATE_COLORS = {"killed": "#1a9641", "leaked": "#d7191c", "unknown": "#8c8c8c"}
_OTHER_FATE_COLOR = "#f28e1c"  # survived, not engaged, ...
_UNKNOWN_FATES = ("", "unknown", "none", "nan")
_INTERCEPTOR_COLOR = "#1f5fbf"
_CIVIL_COLOR = "#555555"
_COVERAGE_STYLES = ("--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)))
_COVERAGE_COLORS = ("#6a3d9a", "#1b7a8c", "#8c510a", "#c51b7d")
_SCALE_CHOICES_KM = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class MapLayers:
    """Everything drawn on one engagement map; every list may be empty.

    Point layers are ``(name, lat_deg, lon_deg)``; paths and rings are (k, 2)
    arrays of lat_deg, lon_deg (note: latitude first, unlike the lon, lat land
    polygons of `samsim.geo.coastline`).
    """

    title: str
    bbox_deg: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    assets: list[tuple[str, float, float]]  # name, lat_deg, lon_deg
    fdcs: list[tuple[str, float, float]]
    launchers: list[tuple[str, float, float]]
    radars: list[tuple[str, float, float]]
    coverage: list[tuple[str, NDArray[np.float64]]]  # label, (k, 2) ring lat_deg, lon_deg
    threat_paths: list[tuple[NDArray[np.float64], str]]  # (k, 2) lat_deg, lon_deg; fate
    interceptor_paths: list[NDArray[np.float64]]  # (k, 2) lat_deg, lon_deg
    civil_paths: list[NDArray[np.float64]] = field(default_factory=list)  # (k, 2) lat, lon
    notes: str = ""  # text box in the upper-left corner (e.g. summary numbers)


def draw_engagement_map(
    layers: MapLayers, out_png: pathlib.Path, *, dpi: int = 150
) -> pathlib.Path:
    """Draw ``layers`` on a lon/lat map of ``layers.bbox_deg`` and write a PNG.

    Threat paths are coloured by fate (killed green, leaked red, unknown grey,
    anything else such as survived / not engaged orange), interceptors thin
    blue, civil traffic dashed grey, coverage rings one line style per distinct
    label (labels sorted as text). Land is GSHHS intermediate resolution.

    Parameters
    ----------
    layers : what to draw; empty lists are fine.
    out_png : output file; parent directories are created.
    dpi : dots per inch; the image is ``map_figure_size_in(bbox) * dpi`` pixels.

    Returns
    -------
    ``out_png`` as a `pathlib.Path`.
    """
    out_png = pathlib.Path(out_png)
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in layers.bbox_deg)
    mid_lat_rad = math.radians(0.5 * (lat_min + lat_max))

    fig = Figure(figsize=map_figure_size_in(layers.bbox_deg), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_facecolor(_SEA_COLOR)
    ax.set_xlim(lon_min, lon_max)
    ax.set_ylim(lat_min, lat_max)
    ax.set_aspect(1.0 / math.cos(mid_lat_rad), adjustable="box")
    ax.set_title(layers.title)
    ax.xaxis.set_major_formatter(FuncFormatter(_format_lon))
    ax.yaxis.set_major_formatter(FuncFormatter(_format_lat))
    ax.grid(color="white", linewidth=0.6, alpha=0.8, zorder=0.5)
    ax.set_axisbelow(True)

    land = load_land_polygons((lon_min, lat_min, lon_max, lat_max), resolution="i")
    if land:
        ax.add_collection(
            PolyCollection(
                land, facecolors=_LAND_FACE, edgecolors=_LAND_EDGE, linewidths=0.5, zorder=1
            )
        )

    handles: list[Line2D | Patch] = []
    handles += _draw_coverage(ax, layers.coverage)
    handles += _draw_paths(
        ax, layers.civil_paths, color=_CIVIL_COLOR, style="--", width=0.8, label="civil", z=2.5
    )
    handles += _draw_paths(
        ax,
        layers.interceptor_paths,
        color=_INTERCEPTOR_COLOR,
        style="-",
        width=0.6,
        label="interceptor",
        z=3.5,
    )
    handles += _draw_threats(ax, layers.threat_paths)
    handles += _draw_points(ax, layers.assets, "*", "gold", 15, "defended asset", label_size=8)
    handles += _draw_points(ax, layers.fdcs, "s", "#333333", 7, "FDC", label_size=7)
    handles += _draw_points(ax, layers.launchers, "^", "#2b4f81", 6, "launcher", label_size=0)
    handles += _draw_points(ax, layers.radars, "D", "#6a3d9a", 6, "radar", label_size=7)

    _draw_scale_bar(ax, lon_min, lat_min, lon_max, lat_max)
    _draw_north_arrow(ax)
    if layers.notes:
        ax.text(
            0.015,
            0.985,
            layers.notes,
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=8,
            family="monospace",
            zorder=10,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "alpha": 0.85},
        )
    if handles:
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=min(4, len(handles)),
            fontsize=8,
            frameon=False,
        )

    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=dpi, format="png")
    fig.clear()  # drop artists now; a pyplot-free Figure is freed with its last reference
    return out_png


def map_figure_size_in(bbox_deg: tuple[float, float, float, float]) -> tuple[float, float]:
    """Figure (width, height) [in] that fits the map of ``bbox_deg`` without wide margins.

    Width is fixed at 10 in; the height follows the box's displayed aspect
    (lat span / cos(mid latitude) over lon span) plus room for title, ticks and
    legend, limited to 4..14 in and rounded to whole inches so that the PNG is
    exactly ``size * dpi`` pixels for any integer dpi.

    Examples
    --------
    >>> map_figure_size_in((119.0, 24.0, 123.2, 25.8))
    (10.0, 6.0)
    """
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in bbox_deg)
    cos_mid = math.cos(math.radians(0.5 * (lat_min + lat_max)))
    map_height_in = _MAP_WIDTH_IN * (lat_max - lat_min) / (cos_mid * (lon_max - lon_min))
    low_in, high_in = _FIG_HEIGHT_LIMITS_IN
    height_in = min(max(map_height_in + _NON_MAP_HEIGHT_IN, low_in), high_in)
    return (_FIG_WIDTH_IN, float(round(height_in)))


def _as_lat_lon(path: NDArray | Sequence) -> NDArray[np.float64]:
    """A path as a (k, 2) float array of lat, lon (k may be 0)."""
    return np.asarray(path, dtype=np.float64).reshape(-1, 2)


def _draw_coverage(ax: Axes, coverage: Sequence[tuple[str, NDArray]]) -> list[Line2D]:
    """Coverage rings, one line style and colour per distinct label (sorted as text)."""
    labels = sorted({label for label, _ in coverage})
    style_of = {
        label: (
            _COVERAGE_STYLES[i % len(_COVERAGE_STYLES)],
            _COVERAGE_COLORS[i % len(_COVERAGE_COLORS)],
        )
        for i, label in enumerate(labels)
    }
    for label, ring in coverage:
        lat_lon = _as_lat_lon(ring)
        if len(lat_lon) == 0:
            continue
        style, color = style_of[label]
        ax.plot(lat_lon[:, 1], lat_lon[:, 0], ls=style, color=color, lw=1.0, zorder=2)
    return [
        Line2D([], [], ls=style_of[label][0], color=style_of[label][1], lw=1.0, label=label)
        for label in labels
    ]


def _draw_paths(
    ax: Axes,
    paths: Sequence[NDArray],
    *,
    color: str,
    style: str,
    width: float,
    label: str,
    z: float,
) -> list[Line2D]:
    """Many same-styled lat/lon paths as one collection, plus their legend proxy."""
    segments = [lat_lon[:, ::-1] for lat_lon in map(_as_lat_lon, paths) if len(lat_lon) >= 2]
    if not segments:
        return []
    ax.add_collection(
        LineCollection(segments, colors=color, linestyles=style, linewidths=width, zorder=z)
    )
    return [Line2D([], [], color=color, ls=style, lw=max(width, 1.0), label=label)]


def _fate_color(fate: str) -> str:
    """Colour of a threat path by its fate text."""
    key = str(fate).strip().lower()
    if key in _UNKNOWN_FATES:
        return _FATE_COLORS["unknown"]
    return _FATE_COLORS.get(key, _OTHER_FATE_COLOR)


def _draw_threats(ax: Axes, threat_paths: Sequence[tuple[NDArray, str]]) -> list[Line2D]:
    """Threat paths coloured by fate, with a dot at the last position."""
    seen: dict[str, str] = {}
    for path, fate in threat_paths:
        lat_lon = _as_lat_lon(path)
        fate_text = str(fate).strip() or "unknown"
        if len(lat_lon) == 0:
            continue
        color = _fate_color(fate_text)
        seen.setdefault(fate_text, color)
        ax.plot(lat_lon[:, 1], lat_lon[:, 0], color=color, lw=1.3, zorder=4)
        ax.plot(lat_lon[-1, 1], lat_lon[-1, 0], "o", color=color, ms=3, zorder=4)
    order = {"killed": 0, "leaked": 1}
    fates = sorted(seen, key=lambda f: (order.get(f.lower(), 2), f.lower() in _UNKNOWN_FATES, f))
    return [Line2D([], [], color=seen[f], lw=1.5, label=f"threat: {f}") for f in fates]


def _draw_points(
    ax: Axes,
    points: Sequence[tuple[str, float, float]],
    marker: str,
    color: str,
    size: float,
    label: str,
    *,
    label_size: float,
) -> list[Line2D]:
    """Named lat/lon points as markers, with text labels unless ``label_size`` is 0."""
    if not points:
        return []
    lat = np.array([p[1] for p in points], dtype=np.float64)
    lon = np.array([p[2] for p in points], dtype=np.float64)
    ax.plot(lon, lat, ls="none", marker=marker, ms=size, mfc=color, mec="black", mew=0.6, zorder=6)
    if label_size > 0:
        for name, lat_deg, lon_deg in points:
            ax.annotate(
                name,
                (lon_deg, lat_deg),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=label_size,
                zorder=7,
                clip_on=True,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "alpha": 0.6, "lw": 0},
            )
    return [
        Line2D(
            [], [], ls="none", marker=marker, ms=min(size, 10), mfc=color, mec="black", label=label
        )
    ]


def _draw_scale_bar(
    ax: Axes, lon_min: float, lat_min: float, lon_max: float, lat_max: float
) -> None:
    """A round-number km bar about a fifth of the map wide, lower left."""
    lat_bar = lat_min + 0.05 * (lat_max - lat_min)
    km_per_deg_lon = _KM_PER_DEG * math.cos(math.radians(lat_bar))
    width_km = (lon_max - lon_min) * km_per_deg_lon
    length_km = max([c for c in _SCALE_CHOICES_KM if c <= 0.2 * width_km] or [1])
    lon0 = lon_min + 0.04 * (lon_max - lon_min)
    lon1 = lon0 + length_km / km_per_deg_lon
    tick = 0.012 * (lat_max - lat_min)
    ax.plot(
        [lon0, lon0, lon0, lon1, lon1, lon1],
        [lat_bar + tick, lat_bar - tick, lat_bar, lat_bar, lat_bar - tick, lat_bar + tick],
        color="black",
        lw=1.8,
        solid_joinstyle="miter",
        zorder=9,
    )
    ax.text(
        0.5 * (lon0 + lon1),
        lat_bar + 2 * tick,
        f"{length_km:g} km",
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=9,
    )


def _draw_north_arrow(ax: Axes) -> None:
    """An arrow labelled N in the upper right corner (lat lines are straight here)."""
    ax.annotate(
        "",
        xy=(0.965, 0.91),
        xytext=(0.965, 0.83),
        xycoords="axes fraction",
        textcoords="axes fraction",
        zorder=9,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
    )
    ax.text(
        0.965,
        0.915,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=10,
        fontweight="bold",
        zorder=9,
    )


def _format_lon(lon_deg: float, _pos: int | None = None) -> str:
    """Tick label such as 121.5°E."""
    lon = (lon_deg + 180.0) % 360.0 - 180.0
    hemi = "E" if lon >= 0 else "W"
    return f"{abs(lon):g}°{hemi}"


def _format_lat(lat_deg: float, _pos: int | None = None) -> str:
    """Tick label such as 25°N."""
    hemi = "N" if lat_deg >= 0 else "S"
    return f"{abs(lat_deg):g}°{hemi}"
