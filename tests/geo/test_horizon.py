"""Radar horizon over a 4/3-effective earth."""

import math

import numpy as np
import pytest

from samsim.geo import above_horizon, horizon_range_m, radar_horizon_m

RADAR_MAST_M = 4.0


@pytest.mark.parametrize(
    ("target_m", "table_km"),
    [(15.0, 24.2), (100.0, 49.5), (5000.0, 299.7)],
)
def test_radar_horizon_matches_the_four_thirds_earth_table(target_m, table_km):
    # d = sqrt(2 k R h_r) + sqrt(2 k R h_t), k = 4/3, R = 6371 km
    assert radar_horizon_m(RADAR_MAST_M, target_m) == pytest.approx(table_km * 1e3, rel=3e-3)


def test_horizon_range_is_the_textbook_formula():
    k_r = 4.0 / 3.0 * 6_371_000.0
    h = np.array([1.0, 20.0, 300.0])
    np.testing.assert_allclose(horizon_range_m(h), np.sqrt(2.0 * k_r * h), rtol=1e-12)
    # the rule of thumb: 4.12 km per sqrt(metre)
    assert horizon_range_m(20.0) == pytest.approx(4120 * math.sqrt(20), rel=2e-3)


def test_negative_heights_count_as_the_surface():
    assert horizon_range_m(-5.0) == 0.0
    assert radar_horizon_m(-1.0, 100.0) == pytest.approx(horizon_range_m(100.0))


def test_smaller_k_factor_shortens_the_horizon():
    geometric = radar_horizon_m(RADAR_MAST_M, 100.0, k=1.0)
    assert geometric == pytest.approx(radar_horizon_m(RADAR_MAST_M, 100.0) / math.sqrt(4 / 3))


def test_above_horizon_splits_at_the_horizon_distance():
    d = radar_horizon_m(RADAR_MAST_M, 20.0)
    assert above_horizon(d - 1.0, RADAR_MAST_M, 20.0)
    assert not above_horizon(d + 1.0, RADAR_MAST_M, 20.0)
    np.testing.assert_array_equal(
        above_horizon(np.array([10e3, 30e3, 60e3]), RADAR_MAST_M, np.array([20.0, 20.0, 1000.0])),
        [True, False, True],
    )
