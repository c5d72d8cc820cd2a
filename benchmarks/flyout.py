"""Cost of the flight model and of the FDC's table-based launch acceptability.

Run:  python benchmarks/flyout.py [--repeat N]

Prints, per interceptor type, the time to build its fly-out table from the
model (no cache), and the cost of one FDC launch-acceptability call for a
battery-sized problem (6 ready launchers x 40 tracks) with the fly-out tables
against the first-fidelity straight-line mean-speed model it replaced (measured
in the same run: the ratio is tables / straight line). Last, the fly-out
kernel's throughput in round-steps per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from rich.console import Console
from rich.table import Table

os.environ.setdefault("SAMSIM_CACHE_DIR", "off")

from samsim.catalog import load_catalog
from samsim.fire_control.engagement import launch_acceptability
from samsim.geo import LocalFrame
from samsim.interceptors.engage import launch_direction, simulate, straight_targets
from samsim.interceptors.envelope import FlyoutSet, compute_flyout_table, point_at
from samsim.interceptors.params import InterceptorTable


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cat = load_catalog()
    frame = LocalFrame(0.0, 0.0, 6_371_000.0)
    elev = cat.launchers["canister_6"].launch_elevation_deg
    rng = np.random.default_rng(1)
    launchers = np.column_stack(
        [rng.uniform(-10e3, 10e3, 6), rng.uniform(-10e3, 10e3, 6), np.full(6, 2.0)]
    )
    tracks = point_at(frame, rng.uniform(5e3, 80e3, 40), rng.uniform(30.0, 12e3, 40))
    vel = np.column_stack([rng.uniform(-50, 50, 40), -rng.uniform(50.0, 300.0, 40), np.zeros(40)])
    t_asset = np.full(40, 1e9)
    table = Table(
        title=f"fly-out model and FDC acceptability ({platform.machine()}, 1 process, "
        f"best of {args.repeat})"
    )
    for col in (
        "interceptor",
        "table build s",
        "acceptability, tables ms",
        "straight line ms",
        "ratio",
    ):
        table.add_column(col, justify="right" if col != "interceptor" else "left")
    compute_flyout_table(cat.interceptors["aim9x"], elev, "aim9x")  # compile the kernels
    for name, it in cat.interceptors.items():
        t0 = time.perf_counter()
        ft = compute_flyout_table(it, elev, name)
        build = time.perf_counter() - t0
        fs = FlyoutSet.from_tables([ft], it)
        common = dict(
            mean_speed_mps=it.mean_speed_mps,
            min_range_m=it.min_range_m,
            max_range_m=it.max_range_m,
            max_altitude_m=it.max_altitude_m,
            max_target_speed_mps=it.max_target_speed_mps,
            max_flight_s=it.max_flight_s,
            time_to_asset_s=t_asset,
        )

        def with_tables(common=common, fs=fs) -> None:
            launch_acceptability(
                launchers,
                tracks,
                vel,
                frame.altitude_m,
                flyout=fs,
                launch_elevation_rad=np.radians(np.full(6, elev)),
                radius_m=frame.radius_m,
                **common,
            )

        def straight(common=common) -> None:
            launch_acceptability(launchers, tracks, vel, frame.altitude_m, **common)

        with_tables()
        t_tab = best_of(with_tables, args.repeat * 20) * 1e3
        t_str = best_of(straight, args.repeat * 20) * 1e3
        table.add_row(name, f"{build:.2f}", f"{t_tab:.3f}", f"{t_str:.3f}", f"{t_tab / t_str:.2f}")
    Console().print(table)
    # Kernel throughput: 400 rounds flown for 20 s at 0.05 s sub-steps.
    it = cat.interceptors["amraam"]
    tab = InterceptorTable.from_catalog({"amraam": it})
    n = 400
    pts = point_at(frame, np.full(n, 60e3), np.linspace(100.0, 10e3, n))
    d = launch_direction(frame, np.array([0.0, 0.0, 2.0]), pts, np.radians(elev))

    def run() -> None:
        simulate(
            tab,
            0,
            frame,
            np.broadcast_to([0.0, 0.0, 2.0], (n, 3)),
            d,
            straight_targets(pts, np.zeros(3)),
            t_end_s=20.0,
            dt_s=0.05,
        )

    run()
    t = best_of(run, max(1, args.repeat // 2))
    Console().print(
        f"fly-out (engage.simulate, seeker and datalink included): {n} rounds x 400 steps in "
        f"{t:.2f} s = {n * 400 / t / 1e6:.2f} M round-steps/s"
    )


if __name__ == "__main__":
    main()
