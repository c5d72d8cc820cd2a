"""Engagement map PNG: size, content and empty layers."""

import numpy as np
from matplotlib.image import imread

from samsim.plotting import MapLayers, draw_engagement_map, map_figure_size_in

NORTH_TAIWAN_BBOX_DEG = (119.0, 24.0, 123.2, 25.8)
DPI = 60


def _line(start_lat_lon, end_lat_lon, n=30):
    return np.linspace(start_lat_lon, end_lat_lon, n)


def _ring(lat_deg, lon_deg, radius_km, n=90):
    az = np.linspace(0.0, 2.0 * np.pi, n)
    return np.column_stack(
        [
            lat_deg + radius_km / 111.32 * np.cos(az),
            lon_deg + radius_km / (111.32 * np.cos(np.radians(lat_deg))) * np.sin(az),
        ]
    )


def _small_layers(threat_paths):
    return MapLayers(
        title="test",
        bbox_deg=NORTH_TAIWAN_BBOX_DEG,
        assets=[("Taipei", 25.03, 121.56)],
        fdcs=[("FDC", 25.0, 121.4)],
        launchers=[("L1", 25.1, 121.35)],
        radars=[("R1", 25.05, 121.45)],
        coverage=[
            ("radar vs 30 m target", _ring(25.05, 121.45, 35.0)),
            ("radar vs 3 km target", _ring(25.05, 121.45, 110.0)),
        ],
        threat_paths=threat_paths,
        interceptor_paths=[_line((25.1, 121.35), (25.2, 120.6))],
        civil_paths=[_line((24.0, 120.3), (25.8, 122.8), 2)],
        notes="threats 2\nleaked 1",
    )


def _red_mask(rgb):
    return (rgb[..., 0] > 0.7) & (rgb[..., 1] < 0.3) & (rgb[..., 2] < 0.3)


def test_map_is_a_png_of_the_expected_size_with_content(tmp_path):
    layers = _small_layers(
        [
            (_line((24.6, 119.2), (25.08, 121.23)), "leaked"),
            (_line((25.3, 119.3), (25.03, 121.56)), "killed"),
        ]
    )
    out = draw_engagement_map(layers, tmp_path / "sub" / "map.png", dpi=DPI)

    assert out == tmp_path / "sub" / "map.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width_in, height_in = map_figure_size_in(NORTH_TAIWAN_BBOX_DEG)
    assert (width_in, height_in) == (10.0, 6.0)  # a wide box gives a short figure
    image = imread(out)
    assert image.shape[:2] == (height_in * DPI, width_in * DPI)
    rgb = image[..., :3]
    assert rgb.std() > 0.1  # land, sea, text and lines, not a blank canvas
    # the leaked path, 119.2 E to 121.23 E: red across about half the map width, above the legend
    red_rows, red_cols = np.nonzero(_red_mask(rgb[: int(0.75 * len(rgb))]))
    assert len(red_rows) > 50
    assert np.ptp(red_cols) > 0.4 * rgb.shape[1]


def test_red_pixels_come_from_the_leaked_path(tmp_path):
    killed_only = _small_layers([(_line((25.3, 119.3), (25.03, 121.56)), "killed")])
    image = imread(draw_engagement_map(killed_only, tmp_path / "killed.png", dpi=DPI))
    assert _red_mask(image[..., :3]).sum() == 0


def test_all_layers_empty_still_draws_land_and_sea(tmp_path):
    layers = MapLayers(
        title="empty",
        bbox_deg=NORTH_TAIWAN_BBOX_DEG,
        assets=[],
        fdcs=[],
        launchers=[],
        radars=[],
        coverage=[],
        threat_paths=[],
        interceptor_paths=[],
    )
    image = imread(draw_engagement_map(layers, tmp_path / "empty.png", dpi=DPI))
    rgb = image[..., :3]
    # sea (light blue) and land (light beige) both cover a good part of the image
    sea = (rgb[..., 2] > rgb[..., 0] + 0.1) & (rgb[..., 2] > 0.8)
    land = (rgb[..., 0] > rgb[..., 2] + 0.03) & (rgb[..., 0] > 0.85)
    assert sea.mean() > 0.2 and land.mean() > 0.05


def test_zero_length_and_single_point_paths_are_skipped(tmp_path):
    layers = _small_layers([(np.empty((0, 2)), "leaked"), (np.array([[25.0, 120.0]]), "")])
    image = imread(draw_engagement_map(layers, tmp_path / "degenerate.png", dpi=DPI))
    assert image.shape[:2] == (360, 600)
    assert _red_mask(image[..., :3]).sum() == 0  # no line and no legend entry for "leaked"
