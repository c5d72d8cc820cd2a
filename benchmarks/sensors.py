"""Wall time of one radar sensor step (3 radars, full rotation) with and without terrain.

Run:  python benchmarks/sensors.py [--repeat N]

For 100, 1,000 and 10,000 air objects spread over a 150 km square, times
``samsim.sensors.scan`` (geometry kernel, detection draws, false alarms) over
one full rotation of three Sentinel-class radars on flat sea and over a
synthetic hilly DEM (200 m grid, radars on 10 m towers, objects 50 m to
3 km above the ground), and, as the reference, the same terrain test
done the vectorised numpy way (``Terrain.masked``) on the pairs that pass the
cheap tests. Prints best-of-N times and the ratios.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from samsim.catalog import load_catalog
from samsim.geo import LocalFrame
from samsim.geo.terrain import Terrain
from samsim.sensors import TerrainGrid, build_radars, scan
from samsim.sensors.radar import looks

FRAME = LocalFrame.at(25.0, 121.0)


def hills(seed: int = 0) -> Terrain:
    """A 200 m grid over 160 km x 160 km of smooth random hills up to about 1500 m."""
    rng = np.random.default_rng(seed)
    n = 801
    x = np.linspace(-80_000.0, 80_000.0, n)
    xx, yy = np.meshgrid(x, x)
    h = np.zeros_like(xx)
    for _ in range(40):
        cx, cy = rng.uniform(-80_000, 80_000, 2)
        s = rng.uniform(3_000, 12_000)
        h += rng.uniform(200, 1200) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))
    return Terrain(-80_000.0, -80_000.0, 200.0, h)


def radars(terrain: Terrain):
    """Three radars on 10 m towers on the DEM ground."""
    t = load_catalog().radars["sentinel"]
    en = np.array([[0.0, 0.0], [30_000.0, 10_000.0], [-25_000.0, 20_000.0]])
    surface = FRAME.lift(np.column_stack([en, np.zeros(3)]), np.zeros(3))
    ground = terrain.surface_m(surface) + 10.0
    return build_radars(
        ["a", "b", "c"], [t] * 3, surface, ground, [0, 0, 0], FRAME, np.random.default_rng(0)
    )


def best_of(repeat: int, fn) -> float:
    fn()  # warm-up: numba compilation and caches
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
    terrain = hills()
    grid = TerrainGrid.of(terrain)
    flat = TerrainGrid.of(None)
    r = radars(terrain)
    period = float(r.rotation_period_s[0])
    table = Table(
        title=f"one full rotation of 3 radars, best of {args.repeat} "
        f"({platform.processor() or platform.machine()}, 1 process)"
    )
    for col in (
        "objects",
        "scan flat ms",
        "scan DEM ms",
        "kernel flat ms",
        "kernel DEM ms",
        "numpy LOS ms",
        "numpy / kernel LOS",
    ):
        table.add_column(col, justify="right")
    for n in (100, 1_000, 10_000):
        rng = np.random.default_rng(n)
        en = rng.uniform(-75_000, 75_000, (n, 2))
        surface = FRAME.lift(np.column_stack([en, np.zeros(n)]), np.zeros(n))
        # 50 m to 3 km above the ground (the same heights are used on flat sea).
        pos = FRAME.lift(surface, terrain.surface_m(surface) + rng.uniform(50.0, 3000.0, n))
        vel = np.zeros((n, 3))
        rcs = np.full(n, 0.1)
        sw = np.ones(n, np.int8)
        draws = np.random.default_rng(1)

        def run(g, pos=pos, vel=vel, rcs=rcs, sw=sw, draws=draws):
            scan(r, FRAME, pos, vel, rcs, sw, period, period, draws, g)

        def geometry(g, pos=pos):
            looks(r, FRAME, pos, period, g)

        t_flat = best_of(args.repeat, lambda run=run: run(flat))
        t_dem = best_of(args.repeat, lambda run=run: run(grid))
        k_flat = best_of(args.repeat, lambda geometry=geometry: geometry(flat))
        k_dem = best_of(args.repeat, lambda geometry=geometry: geometry(grid))
        row = [f"{n:,}"] + [f"{1e3 * t:.2f}" for t in (t_flat, t_dem, k_flat, k_dem)]
        if n <= 1_000:  # the numpy reference holds every ray sample in memory
            ri, ti, *_ = looks(r, FRAME, pos, period, flat)

            def numpy_los(ri=ri, ti=ti, pos=pos):
                terrain.masked(FRAME, r.pos_enu_m[ri], pos[ti])

            t_np = best_of(args.repeat, numpy_los)
            row += [f"{1e3 * t_np:.1f}", f"{t_np / max(k_dem - k_flat, 1e-6):.0f}"]
        else:
            row += ["-", "-"]
        table.add_row(*row)
    Console().print(table)
    print(
        "kernel = the visibility kernel alone (looks); numpy / kernel LOS = Terrain.masked on the "
        "pairs that pass the cheap tests over the time the DEM adds to the kernel"
    )


if __name__ == "__main__":
    main()
