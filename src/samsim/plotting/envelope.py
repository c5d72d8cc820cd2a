"""Engagement-envelope figure of one interceptor type (``samsim envelope``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from samsim.interceptors.envelope import Envelope, FlyoutTable


def draw_envelope(
    env: Envelope,
    table: FlyoutTable,
    path: str | Path,
    *,
    public_range_m: tuple[float, float] | None = None,
    public_altitude_m: tuple[float, float] | None = None,
    title: str | None = None,
) -> Path:
    """Write a two-panel PNG and return its path.

    Left: the vertical plane through the launcher along a target track that
    passes overhead (crossing offset 0): where a target of the envelope's
    speed can be intercepted (shaded; right of 0 it is still approaching),
    with the round's time of flight from the fly-out table as contours.
    Right: the longest intercept ground range against target height and
    crossing offset. Public figures, when given, are drawn as dashed bands.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    km = 1e-3
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13, 5.2), constrained_layout=True)
    feas0 = env.feasible[:, 0, :]
    ax0.contourf(
        env.along_m * km,
        env.altitude_m * km,
        feas0.astype(float),
        levels=[0.5, 1.5],
        colors=["#9ecae1"],
    )
    ax0.contour(
        env.along_m * km,
        env.altitude_m * km,
        feas0.astype(float),
        levels=[0.5],
        colors=["#08519c"],
        linewidths=1.5,
    )
    t = np.where(np.isfinite(table.time_s), table.time_s, np.nan)
    rr = table.ground_range_m * km
    for sign in (1.0, -1.0):  # the table is symmetric about the launcher
        cs = ax0.contour(
            sign * rr,
            table.altitude_m * km,
            t.T,
            levels=np.arange(10, 200, 10),
            colors="0.4",
            linewidths=0.6,
        )
        ax0.clabel(cs, fmt="%d s", fontsize=7)
    ax0.axvline(0.0, color="0.3", lw=0.8)
    ax0.set_xlabel("intercept point along the target's track [km] (positive: still approaching)")
    ax0.set_ylabel("target height [km]")
    ax0.set_title(
        f"intercept region, target {env.target_speed_mps:.0f} m/s passing overhead\n"
        "(contours: time of flight to the point)",
        fontsize=10,
    )
    if public_range_m is not None:
        for sign in (1, -1):
            ax0.axvspan(
                sign * public_range_m[0] * km,
                sign * public_range_m[1] * km,
                color="#fdae6b",
                alpha=0.25,
                lw=0,
            )
    if public_altitude_m is not None:
        ax0.axhspan(
            public_altitude_m[0] * km, public_altitude_m[1] * km, color="#fdae6b", alpha=0.25, lw=0
        )
    ax0.set_xlim(env.along_m[0] * km, env.along_m[-1] * km)
    ax0.set_ylim(0, env.altitude_m[-1] * km)
    im = ax1.pcolormesh(
        env.offset_m * km,
        env.altitude_m * km,
        env.max_range_m * km,
        shading="auto",
        cmap="viridis",
    )
    fig.colorbar(im, ax=ax1, label="longest intercept ground range [km]")
    if np.isfinite(env.max_range_m).any():
        levels = np.arange(5, np.nanmax(env.max_range_m) * km + 5, 5)
        if levels.size:
            c2 = ax1.contour(
                env.offset_m * km,
                env.altitude_m * km,
                env.max_range_m * km,
                levels=levels,
                colors="w",
                linewidths=0.6,
            )
            ax1.clabel(c2, fmt="%d km", fontsize=7)
    ax1.set_xlabel("crossing offset of the target's track [km]")
    ax1.set_ylabel("target height [km]")
    ax1.set_title("longest intercept range against height and crossing offset", fontsize=10)
    summary = (
        f"samsim: max range {env.max_range_overall_m * km:.1f} km, "
        f"max altitude {env.max_altitude_m * km:.1f} km"
    )
    if public_range_m is not None and public_altitude_m is not None:
        summary += (
            f"  |  public figures: range {public_range_m[0] * km:.0f}-{public_range_m[1] * km:.0f}"
            f" km, altitude {public_altitude_m[0] * km:.0f}-{public_altitude_m[1] * km:.0f} km"
            " (shaded)"
        )
    fig.suptitle(
        (title or f"{env.name}: engagement envelope (samsim fly-out model, notional)")
        + f"\n{summary}",
        fontsize=11,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
