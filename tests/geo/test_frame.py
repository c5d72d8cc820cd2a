"""Local ENU frame on the osculating sphere: heights stay heights far from the origin."""

import math

import numpy as np
import pymap3d
import pymap3d.vincenty
import pytest

from samsim.geo import LocalFrame, gaussian_radius_m

ORIGIN = (25.0, 121.0)


@pytest.fixture(scope="module")
def frame() -> LocalFrame:
    return LocalFrame.at(*ORIGIN)


def _reckon(distance_m: float, azimuth_deg: float) -> tuple[float, float]:
    lat, lon = pymap3d.vincenty.vreckon(*ORIGIN, distance_m, azimuth_deg)
    return float(lat), float(lon)


def test_gaussian_radius_lies_between_the_meridian_and_normal_radii():
    # WGS-84: 6335.4 km (meridian, equator) .. 6399.6 km (polar); sqrt(M N) at 25 deg ~ 6.3745e6
    assert 6.335e6 < gaussian_radius_m(25.0) < 6.400e6
    assert gaussian_radius_m(0.0) < gaussian_radius_m(45.0) < gaussian_radius_m(90.0)
    assert gaussian_radius_m(90.0) == pytest.approx(6_399_593.6, abs=1.0)


def test_origin_maps_to_zero(frame):
    np.testing.assert_allclose(frame.to_enu(*ORIGIN, 0.0), [0.0, 0.0, 0.0], atol=1e-6)
    assert frame.altitude_m(np.zeros(3)) == pytest.approx(0.0, abs=1e-6)


def test_sea_skimmer_150_km_west_keeps_its_altitude(frame):
    lat, lon = _reckon(150_000.0, 270.0)
    p = frame.to_enu(lat, lon, 10.0)
    assert frame.altitude_m(p) == pytest.approx(10.0, abs=1e-6)  # not ~ -1.8 km
    # ...while its ENU "up" dips below the tangent plane by about d^2 / 2R
    assert p[2] == pytest.approx(-1770.0, abs=20.0)
    s = float(frame.ground_distance_m(np.zeros(3), p))
    r = frame.radius_m
    assert p[2] == pytest.approx((r + 10.0) * math.cos(s / r) - r, abs=1.0)
    assert p[0] == pytest.approx(-150_000.0, rel=1e-3)


def test_lift_sets_the_height_above_the_sphere(frame):
    pts = np.array([[-150e3, 0.0, 0.0], [50e3, 80e3, 3000.0], [0.0, 0.0, 0.0]])
    lifted = frame.lift(pts, np.array([10.0, 500.0, 0.0]))
    np.testing.assert_allclose(frame.altitude_m(lifted), [10.0, 500.0, 0.0], atol=1e-6)
    # radially: the direction from the sphere's centre does not change
    np.testing.assert_allclose(frame.up_unit(lifted), frame.up_unit(pts), atol=1e-12)


@pytest.mark.parametrize(
    ("distance_m", "azimuth_deg", "alt_m"),
    [(0.0, 0.0, 0.0), (1_000.0, 45.0, 30.0), (80_000.0, 200.0, 1_000.0), (300_000.0, 300.0, 12e3)],
)
def test_to_enu_and_back_round_trips(frame, distance_m, azimuth_deg, alt_m):
    lat, lon = _reckon(distance_m, azimuth_deg) if distance_m else ORIGIN
    back_lat, back_lon, back_alt = frame.to_geodetic(frame.to_enu(lat, lon, alt_m))
    assert abs(back_lat - lat) < 1e-7
    assert abs(back_lon - lon) < 1e-7
    assert abs(back_alt - alt_m) < 1.0


def test_round_trip_is_vectorised(frame):
    rng = np.random.default_rng(3)
    lat = ORIGIN[0] + rng.uniform(-2, 2, 50)
    lon = ORIGIN[1] + rng.uniform(-2, 2, 50)
    alt = rng.uniform(0, 20e3, 50)
    enu = frame.to_enu(lat, lon, alt)
    assert enu.shape == (50, 3)
    b_lat, b_lon, b_alt = frame.to_geodetic(enu)
    np.testing.assert_allclose(b_lat, lat, atol=1e-7)
    np.testing.assert_allclose(b_lon, lon, atol=1e-7)
    np.testing.assert_allclose(b_alt, alt, atol=1.0)


def test_horizontal_positions_agree_with_wgs84_enu_nearby(frame):
    lat, lon = _reckon(50_000.0, 30.0)
    ours = frame.to_enu(lat, lon, 0.0)
    e, n, _ = pymap3d.geodetic2enu(lat, lon, 0.0, *ORIGIN, 0.0)
    np.testing.assert_allclose(ours[:2], [e, n], atol=5.0)


@pytest.mark.parametrize(
    ("distance_m", "azimuth_deg"), [(5_000.0, 10.0), (120_000.0, 95.0), (400_000.0, 225.0)]
)
def test_ground_distance_matches_geodesic_and_haversine(frame, distance_m, azimuth_deg):
    lat, lon = _reckon(distance_m, azimuth_deg)
    a = frame.to_enu(*ORIGIN, 2000.0)  # heights do not change ground distance
    b = frame.to_enu(lat, lon, 50.0)
    ours = float(frame.ground_distance_m(a, b))
    geodesic, _ = pymap3d.vincenty.vdist(*ORIGIN, lat, lon)
    p1, p2 = math.radians(ORIGIN[0]), math.radians(lat)
    dl = math.radians(lon - ORIGIN[1])
    hav = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    haversine = 2 * 6_371_000.0 * math.asin(math.sqrt(hav))
    assert ours == pytest.approx(float(geodesic), rel=5e-3)
    assert ours == pytest.approx(haversine, rel=5e-3)


def test_local_axes_tilt_with_the_earth(frame):
    lat, lon = _reckon(111_000.0, 90.0)  # about one degree of arc east
    p = frame.to_enu(lat, lon, 0.0)
    axes = frame.local_axes(p)
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(axes[2], frame.up_unit(p), atol=1e-12)
    tilt_deg = math.degrees(math.acos(axes[2] @ np.array([0.0, 0.0, 1.0])))
    assert tilt_deg == pytest.approx(111_000.0 / frame.radius_m * 180 / math.pi, rel=1e-2)
    # the origin's own axes are the frame's
    np.testing.assert_allclose(frame.local_axes(np.zeros(3)), np.eye(3), atol=1e-9)


def test_altitude_is_the_distance_from_the_centre_less_the_radius(frame):
    """altitude_m sums its squares in a written order (the same on every CPU); it is
    the Euclidean distance from the sphere's centre less the radius to rounding."""
    rng = np.random.default_rng(3)
    pos = rng.normal(size=(500, 3)) * 10.0 ** rng.uniform(0, 6, size=(500, 3))
    dist = np.sqrt(((pos - frame.centre_m) ** 2).sum(axis=1))
    np.testing.assert_allclose(frame.altitude_m(pos) + frame.radius_m, dist, rtol=1e-15)
    assert frame.altitude_m(pos[7]) == frame.altitude_m(pos[7:8])[0]  # one point or rows
