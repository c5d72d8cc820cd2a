"""Helpers for the sensor tests: catalog types, sensors at the origin, points around them,
and a small GeoTIFF with a north-south ridge."""

from __future__ import annotations

import numpy as np
import pytest

from samsim.catalog import load_catalog
from samsim.geo import LocalFrame
from samsim.geo.terrain import Terrain
from samsim.sensors import build_eo_ir, build_radars

LAT0_DEG, LON0_DEG = 25.0, 121.0
FRAME = LocalFrame.at(LAT0_DEG, LON0_DEG)
RIDGE_LON_DEG = (121.09, 121.11)  # about 9-11 km east of the origin
RIDGE_HEIGHT_M = 1000.0


def radar_type(**overrides):
    return load_catalog().radars["sentinel"].model_copy(update=overrides)


def eo_ir_type(**overrides):
    return load_catalog().eo_ir["nasams_eoir"].model_copy(update=overrides)


def radars_at(types, ground_en_m=None, ground_alt_m=None, seed=0, beam_az_rad=None):
    """Radars on the surface at (east, north) offsets [m] from the origin."""
    n = len(types)
    en = np.zeros((n, 2)) if ground_en_m is None else np.asarray(ground_en_m, float)
    surface = FRAME.lift(np.column_stack([en, np.zeros(n)]), np.zeros(n))
    alt = np.zeros(n) if ground_alt_m is None else np.asarray(ground_alt_m, float)
    r = build_radars(
        [f"r{i}" for i in range(n)],
        list(types),
        surface,
        alt,
        [0] * n,
        FRAME,
        np.random.default_rng(seed),
    )
    if beam_az_rad is not None:
        r.beam_az_rad = np.full(n, float(beam_az_rad))
    return r


def eo_ir_at(types, ground_en_m=None, ground_alt_m=None, seed=0):
    n = len(types)
    en = np.zeros((n, 2)) if ground_en_m is None else np.asarray(ground_en_m, float)
    surface = FRAME.lift(np.column_stack([en, np.zeros(n)]), np.zeros(n))
    alt = np.zeros(n) if ground_alt_m is None else np.asarray(ground_alt_m, float)
    return build_eo_ir(
        [f"e{i}" for i in range(n)],
        list(types),
        surface,
        alt,
        [0] * n,
        FRAME,
        np.random.default_rng(seed),
    )


def polar_points(sensor_pos, sensor_axes, range_m, az_rad, el_rad):
    """ENU points at given range, azimuth and elevation in a sensor's level frame."""
    range_m, az_rad, el_rad = np.broadcast_arrays(range_m, az_rad, el_rad)
    ce = np.cos(el_rad)
    local = np.stack(
        [range_m * ce * np.sin(az_rad), range_m * ce * np.cos(az_rad), range_m * np.sin(el_rad)],
        axis=-1,
    )
    return sensor_pos + local @ sensor_axes


def surface_points(ground_en_m, alt_m):
    """Points ``alt_m`` above the sea at (east, north) [m] of the frame."""
    en = np.atleast_2d(np.asarray(ground_en_m, float))
    alt = np.broadcast_to(np.asarray(alt_m, float), (len(en),))
    return FRAME.lift(np.column_stack([en, np.zeros(len(en))]), alt)


@pytest.fixture(scope="session")
def ridge_dem(tmp_path_factory):
    """A GeoTIFF (EPSG:4326) of flat land at 0 m with a 1000 m ridge 9-11 km east of the origin."""
    import rasterio
    from rasterio.transform import from_origin

    step = 0.002
    lons = np.arange(120.7, 121.3, step) + step / 2
    lats = np.arange(25.3, 24.7, -step) - step / 2
    height = np.zeros((lats.size, lons.size), dtype=np.float32)
    ridge = (lons >= RIDGE_LON_DEG[0]) & (lons <= RIDGE_LON_DEG[1])
    height[:, ridge] = RIDGE_HEIGHT_M
    path = tmp_path_factory.mktemp("dem") / "ridge.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=height.shape[0],
        width=height.shape[1],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(120.7, 25.3, step, step),
    ) as dst:
        dst.write(height, 1)
    return path


@pytest.fixture(scope="session")
def ridge_terrain(ridge_dem):
    return Terrain.from_geotiff(ridge_dem, FRAME, cell_m=100.0)
