"""Terrain heights on the ENU grid and line-of-sight masking."""

import numpy as np
import pytest

from samsim.geo import LocalFrame
from samsim.geo.terrain import Terrain, TerrainError

FRAME = LocalFrame.at(25.0, 121.0)


def _ridge(height_m=500.0):
    """A 1 km wide north-south ridge 10 km east of the origin, on a 100 m grid."""
    east = np.arange(0.0, 20_001.0, 100.0)
    h = np.where(np.abs(east - 10_000.0) <= 500.0, height_m, 0.0)
    return Terrain(0.0, -10_000.0, 100.0, np.tile(h, (201, 1)))


def test_flat_terrain_is_the_sea_and_never_masks():
    flat = Terrain.flat()
    assert flat.is_flat
    pts = np.array([[1e3, 2e3, 0.0], [-5e4, 3e4, 10.0]])
    np.testing.assert_array_equal(flat.surface_m(pts), [0.0, 0.0])
    assert not flat.masked(FRAME, pts[:1], pts[1:]).any()


def test_surface_is_bilinear_inside_the_grid_and_sea_outside():
    t = Terrain(0.0, 0.0, 100.0, np.array([[0.0, 100.0], [200.0, 300.0]]))
    pts = np.array([[50.0, 50.0, 0.0], [100.0, 0.0, 0.0], [0.0, 100.0, 0.0], [150.0, 50.0, 0.0]])
    np.testing.assert_allclose(t.surface_m(pts), [150.0, 100.0, 200.0, 0.0])


def test_a_ridge_hides_a_low_target_but_not_a_high_one():
    ridge = _ridge()
    radar = FRAME.lift(np.array([[0.0, 0.0, 0.0]]), np.array([10.0]))
    low = FRAME.lift(np.array([[20_000.0, 0.0, 0.0]]), np.array([50.0]))
    high = FRAME.lift(np.array([[20_000.0, 0.0, 0.0]]), np.array([3000.0]))
    assert ridge.masked(FRAME, radar, low).tolist() == [True]
    assert ridge.masked(FRAME, radar, high).tolist() == [False]
    # beside the ridge's line the same low target is in the clear
    south = FRAME.lift(np.array([[20_000.0, -15_000.0, 0.0]]), np.array([50.0]))
    radar_south = FRAME.lift(np.array([[0.0, -15_000.0, 0.0]]), np.array([10.0]))
    assert ridge.masked(FRAME, radar_south, south).tolist() == [False]


def test_masking_is_vectorised_over_pairs():
    ridge = _ridge()
    a = FRAME.lift(np.zeros((3, 3)), np.array([10.0, 10.0, 10.0]))
    b = FRAME.lift(np.array([[20e3, 0.0, 0.0]] * 3), np.array([50.0, 3000.0, 100.0]))
    np.testing.assert_array_equal(ridge.masked(FRAME, a, b), [True, False, True])


def test_geotiff_is_resampled_onto_the_frame(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "dem.tif"
    dem = np.full((50, 50), 250.0, dtype=np.float32)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=50,
        width=50,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(120.9, 25.1, 0.004, 0.004),
    ) as dst:
        dst.write(dem, 1)
    terrain = Terrain.from_geotiff(path, FRAME, cell_m=500.0)
    inside = FRAME.to_enu(25.0, 121.0, 0.0)
    outside = FRAME.to_enu(25.5, 121.5, 0.0)
    assert terrain.surface_m(inside) == pytest.approx(250.0, abs=1.0)
    assert terrain.surface_m(outside) == 0.0


def test_unreadable_dem_is_a_terrain_error(tmp_path):
    bad = tmp_path / "dem.tif"
    bad.write_text("not a GeoTIFF")
    with pytest.raises(TerrainError, match=r"dem\.tif"):
        Terrain.from_geotiff(bad, FRAME)
