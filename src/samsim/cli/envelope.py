"""Command ``envelope``: the engagement envelope of an interceptor type from its fly-out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from samsim.cli.app import _fail, app, err, out


@app.command()
def envelope(
    interceptor: Annotated[
        str, typer.Argument(help="interceptor type in the catalog, e.g. amraam")
    ],
    target_speed: Annotated[
        float, typer.Option("--target-speed", help="target speed [m/s]", min=0.0, max=3000.0)
    ] = 250.0,
    launcher: Annotated[
        str | None,
        typer.Option("--launcher", help="launcher type whose canister elevation is used"),
    ] = None,
    launch_elevation: Annotated[
        float | None,
        typer.Option(
            "--launch-elevation",
            help="canister elevation [deg], overrides --launcher",
            min=1.0,
            max=90.0,
        ),
    ] = None,
    out_png: Annotated[
        Path | None, typer.Option("--out", help="PNG to write (default: envelope_<type>.png)")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="recompute the fly-out table, keep nothing on disk")
    ] = False,
) -> None:
    """Engagement envelope of an interceptor type, computed from samsim's fly-out model.

    Prints the longest and shortest intercept ranges against target height for
    a target track passing overhead and 5 km and 10 km off, and writes a plot
    (intercept region in the vertical plane, longest range against height and
    crossing offset). The same cached tables give the FDC's launch acceptability.
    """
    from samsim.catalog import load_catalog
    from samsim.interceptors import envelope as env_mod
    from samsim.plotting.envelope import draw_envelope

    cat = load_catalog()
    if interceptor not in cat.interceptors:
        _fail([f"interceptor: unknown type {interceptor!r} (known: {', '.join(cat.interceptors)})"])
    if launcher is not None and launcher not in cat.launchers:
        _fail([f"--launcher: unknown type {launcher!r} (known: {', '.join(cat.launchers)})"])
    if out_png is not None and out_png.is_dir():
        _fail([f"--out: {out_png} is a directory; give a .png file name"])
    if out_png is not None and out_png.suffix.lower() != ".png":
        _fail([f"--out: {out_png} must end in .png"])
    itype = cat.interceptors[interceptor]
    if launch_elevation is None:
        lt = cat.launchers[launcher or next(iter(cat.launchers))]
        launch_elevation = lt.launch_elevation_deg
    if no_cache:
        os.environ["SAMSIM_CACHE_DIR"] = "off"
    with err.status(f"flying {interceptor} to the table grid (cached after the first time)"):
        if no_cache:
            table = env_mod.compute_flyout_table(itype, launch_elevation, interceptor)
        else:
            table = env_mod.flyout_table(itype, launch_elevation, interceptor)
        env = env_mod.engagement_envelope(table, target_speed)
    km = 1e-3
    t = Table(
        title=escape(
            f"{interceptor}: intercept ground ranges [km] against a {target_speed:.0f} m/s "
            f"target, canister at {launch_elevation:.0f} deg (notional)"
        ),
        title_justify="left",
    )
    t.add_column(escape("target height [km]"), justify="right")
    offsets = [0.0, 5000.0, 10000.0]
    cols = [int(abs(env.offset_m - d).argmin()) for d in offsets]
    for d in offsets:
        t.add_column(f"offset {d * km:.0f} km: min-max", justify="right")
    for h_idx in range(0, len(env.altitude_m), max(1, len(env.altitude_m) // 12)):
        cells = []
        for c in cols:
            lo, hi = env.min_range_m[h_idx, c], env.max_range_m[h_idx, c]
            cells.append("-" if hi != hi else f"{lo * km:.1f} - {hi * km:.1f}")
        t.add_row(f"{env.altitude_m[h_idx] * km:.1f}", *cells)
    out.print(t)
    out.print(
        f"max intercept range {env.max_range_overall_m * km:.1f} km (public figures "
        f"{itype.public_range_m[0] * km:.0f}-{itype.public_range_m[1] * km:.0f} km), "
        f"max altitude {env.max_altitude_m * km:.1f} km "
        f"(public figures {itype.public_altitude_m[0] * km:.0f}-"
        f"{itype.public_altitude_m[1] * km:.0f} km)",
        markup=False,
    )
    png = draw_envelope(
        env,
        table,
        out_png or Path(f"envelope_{interceptor}.png"),
        public_range_m=itype.public_range_m,
        public_altitude_m=itype.public_altitude_m,
    )
    out.print(f"plot: {png}", markup=False)
