"""Terrain from a user-supplied DEM (GeoTIFF), resampled onto the engine's ENU grid.

The DEM is read once with rasterio (any CRS GDAL knows; heights in metres
above sea level) and resampled bilinearly onto a regular east-north grid of
the scenario's local frame, so that the engine samples heights with array
indexing instead of map projections. Outside the DEM, and where it has no
data, the surface is the sea (0 m).

``surface_m`` gives the ground height under points; ``masked`` tells whether
terrain blocks the straight line of sight between pairs of points, sampling
the profile at a fixed spacing and allowing for the 4/3-earth bulge.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from samsim.geo.frame import LocalFrame
from samsim.geo.horizon import EARTH_RADIUS_M, K_FACTOR


class TerrainError(ValueError):
    """A DEM that cannot be used (unreadable, no overlap with the scenario)."""


@dataclass(frozen=True, slots=True)
class Terrain:
    """Ground heights on a regular ENU grid.

    Parameters
    ----------
    east0_m, north0_m : ENU coordinates of grid node (0, 0) [m]
    cell_m : grid spacing [m]
    height_m : (ny, nx) ground height above the local sphere [m], row = north
    """

    east0_m: float
    north0_m: float
    cell_m: float
    height_m: NDArray[np.float64]

    @classmethod
    def flat(cls) -> Terrain:
        """No terrain: the surface is the sea everywhere."""
        return cls(0.0, 0.0, 1.0, np.zeros((2, 2)))

    @property
    def is_flat(self) -> bool:
        return not np.any(self.height_m)

    def surface_m(self, pos_enu_m: NDArray) -> NDArray:
        """Ground height [m] under ENU points (..., 3) (bilinear; 0 off the grid)."""
        p = np.asarray(pos_enu_m, dtype=float)
        fx = (p[..., 0] - self.east0_m) / self.cell_m
        fy = (p[..., 1] - self.north0_m) / self.cell_m
        ny, nx = self.height_m.shape
        inside = (fx >= 0) & (fy >= 0) & (fx <= nx - 1) & (fy <= ny - 1)
        ix = np.clip(np.floor(fx).astype(np.intp), 0, nx - 2)
        iy = np.clip(np.floor(fy).astype(np.intp), 0, ny - 2)
        tx = np.clip(fx - ix, 0.0, 1.0)
        ty = np.clip(fy - iy, 0.0, 1.0)
        h = self.height_m
        val = (
            (1 - tx) * (1 - ty) * h[iy, ix]
            + tx * (1 - ty) * h[iy, ix + 1]
            + (1 - tx) * ty * h[iy + 1, ix]
            + tx * ty * h[iy + 1, ix + 1]
        )
        return np.where(inside, val, 0.0)

    def masked(
        self,
        frame: LocalFrame,
        a_enu_m: NDArray,
        b_enu_m: NDArray,
        step_m: float | None = None,
        k: float = K_FACTOR,
    ) -> NDArray[np.bool_]:
        """(k,) True where terrain blocks the line of sight between paired points.

        The ray is sampled every ``step_m`` (default: the grid spacing); at each
        sample the ray's height above the local sphere is corrected for
        standard refraction by raising it by d1 d2 (1/R - 1/(k R)) / 2, the
        difference between the true and the 4/3 effective earth bulge.
        """
        a = np.atleast_2d(np.asarray(a_enu_m, dtype=float))
        b = np.atleast_2d(np.asarray(b_enu_m, dtype=float))
        if self.is_flat or a.size == 0:
            return np.zeros(np.broadcast_shapes(a.shape, b.shape)[0], dtype=bool)
        step = step_m or self.cell_m
        length = np.linalg.norm(b - a, axis=1)
        n = int(np.clip(np.ceil(length.max() / step), 2, 2000))
        t = np.linspace(0.0, 1.0, n + 1)[1:-1]
        pts = a[:, None, :] + (b - a)[:, None, :] * t[None, :, None]
        ray_alt = frame.altitude_m(pts)
        d1 = length[:, None] * t[None, :]
        d2 = length[:, None] - d1
        refraction = d1 * d2 * (1.0 / EARTH_RADIUS_M - 1.0 / (k * EARTH_RADIUS_M)) / 2.0
        return np.any(self.surface_m(pts) > ray_alt + refraction, axis=1)

    @classmethod
    def from_geotiff(
        cls,
        path: str | Path,
        frame: LocalFrame,
        extent_m: tuple[float, float, float, float] | None = None,
        cell_m: float = 200.0,
    ) -> Terrain:
        """Resample a DEM onto the frame's ENU grid.

        Parameters
        ----------
        extent_m : (east_min, north_min, east_max, north_max) of the grid in
            the frame; default: the DEM's own footprint
        cell_m : grid spacing [m]
        """
        try:
            import rasterio
            from rasterio.warp import transform as warp_transform
        except ImportError as exc:  # pragma: no cover - rasterio is a dependency
            raise TerrainError("terrain needs rasterio (pip install rasterio)") from exc
        try:
            with rasterio.open(path) as src:
                dem = src.read(1, masked=True).astype(float).filled(0.0)
                crs = src.crs
                inv = ~src.transform
                bounds = src.bounds
        except Exception as exc:  # rasterio raises several types for bad files
            raise TerrainError(f"cannot read DEM {Path(path).name}: {exc}") from None
        if crs is None:
            raise TerrainError(f"DEM {Path(path).name} has no coordinate reference system")
        dem = np.where(np.isfinite(dem), np.maximum(dem, 0.0), 0.0)
        if extent_m is None:
            xs = [bounds.left, bounds.right, bounds.left, bounds.right]
            ys = [bounds.bottom, bounds.bottom, bounds.top, bounds.top]
            lon, lat = warp_transform(crs, "EPSG:4326", xs, ys)
            corners = frame.to_enu(np.array(lat), np.array(lon), 0.0)
            extent_m = (
                corners[:, 0].min(),
                corners[:, 1].min(),
                corners[:, 0].max(),
                corners[:, 1].max(),
            )
        e0, n0, e1, n1 = extent_m
        nx = int(np.ceil((e1 - e0) / cell_m)) + 1
        ny = int(np.ceil((n1 - n0) / cell_m)) + 1
        if nx * ny > 25_000_000:
            raise TerrainError(f"DEM grid of {nx} x {ny} cells is too large; raise cell_m")
        ee, nn = np.meshgrid(e0 + cell_m * np.arange(nx), n0 + cell_m * np.arange(ny))
        surface = frame.lift(np.stack([ee, nn, np.zeros_like(ee)], axis=-1), np.zeros_like(ee))
        lat, lon, _ = frame.to_geodetic(surface)
        xs, ys = warp_transform("EPSG:4326", crs, lon.ravel(), lat.ravel())
        col, row = inv @ (np.asarray(xs), np.asarray(ys))
        col = np.asarray(col) - 0.5
        row = np.asarray(row) - 0.5
        h, w = dem.shape
        ok = (col >= 0) & (row >= 0) & (col <= w - 1) & (row <= h - 1)
        if not ok.any():
            raise TerrainError(f"DEM {Path(path).name} does not cover the scenario area")
        c0 = np.clip(np.floor(col).astype(np.intp), 0, max(w - 2, 0))
        r0 = np.clip(np.floor(row).astype(np.intp), 0, max(h - 2, 0))
        tc = np.clip(col - c0, 0, 1)
        tr = np.clip(row - r0, 0, 1)
        c1 = np.minimum(c0 + 1, w - 1)
        r1 = np.minimum(r0 + 1, h - 1)
        val = (
            (1 - tc) * (1 - tr) * dem[r0, c0]
            + tc * (1 - tr) * dem[r0, c1]
            + (1 - tc) * tr * dem[r1, c0]
            + tc * tr * dem[r1, c1]
        )
        height = np.where(ok, val, 0.0).reshape(ny, nx)
        return cls(float(e0), float(n0), float(cell_m), height)
