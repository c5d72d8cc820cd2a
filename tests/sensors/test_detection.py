"""Probability of detection: Albersheim, Swerling 0 and 1, RCS fluctuation."""

import math

import numpy as np
import pytest

from samsim.sensors import (
    albersheim_pd,
    albersheim_snr_db,
    pd_swerling0,
    pd_swerling1,
    snr_for_pd_swerling1,
)
from samsim.sensors.detection import fluctuate_rcs


def db(x: float) -> float:
    return 10.0 * math.log10(x)


@pytest.mark.parametrize(
    ("pd", "pfa", "n_pulses", "snr_db"),
    [(0.9, 1e-6, 1, 13.11), (0.9, 1e-6, 10, 4.99)],
)
def test_albersheim_matches_the_published_values(pd, pfa, n_pulses, snr_db):
    assert albersheim_snr_db(pd, pfa, n_pulses) == pytest.approx(snr_db, abs=0.02)


@pytest.mark.parametrize("n_pulses", [1, 4, 10])
def test_albersheim_pd_inverts_albersheim_snr(n_pulses):
    for pd in (0.3, 0.5, 0.9, 0.99):
        snr_db = albersheim_snr_db(pd, 1e-6, n_pulses)
        assert albersheim_pd(snr_db, 1e-6, n_pulses) == pytest.approx(pd, abs=1e-9)


def test_exact_swerling1_snr_for_pd_09_pfa_1e6():
    # ln(1e-6) / ln(0.9) - 1 = 130.13 -> 21.14 dB
    assert db(snr_for_pd_swerling1(0.9, 1e-6)) == pytest.approx(21.14, abs=0.01)
    snr = snr_for_pd_swerling1(0.9, 1e-6)
    assert pd_swerling1(snr, 1e-6) == pytest.approx(0.9, abs=1e-12)


def test_swerling0_single_pulse_needs_about_albersheim_snr():
    # Albersheim is within ~0.2 dB of the exact Marcum Q for one pulse (Richards).
    snr_db = albersheim_snr_db(0.9, 1e-6, 1)
    assert float(pd_swerling0(10 ** (snr_db / 10), 1e-6)) == pytest.approx(0.9, abs=0.02)


def test_swerling0_is_pfa_at_zero_snr_and_one_at_high_snr():
    assert float(pd_swerling0(0.0, 1e-3)) == pytest.approx(1e-3, rel=1e-3)
    assert float(pd_swerling0(1e4, 1e-6)) == pytest.approx(1.0, abs=1e-12)


def test_fluctuating_target_needs_more_snr_than_a_steady_one():
    snr = 10 ** (15 / 10)
    assert pd_swerling1(snr, 1e-6) < pd_swerling0(snr, 1e-6)


@pytest.mark.parametrize("snr_db", [8.0, 13.0, 20.0, 25.0])
def test_monte_carlo_of_swerling1_draws_reproduces_the_closed_form(snr_db):
    pfa = 1e-6
    n = 40_000
    rng = np.random.default_rng(int(snr_db * 10))
    snr = 10 ** (snr_db / 10)
    factor = fluctuate_rcs(np.ones(n), np.ones(n, dtype=np.int8), rng)
    detected = rng.random(n) < pd_swerling0(snr * factor, pfa)
    p = float(pd_swerling1(snr, pfa))
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(detected.mean() - p) < 4 * sigma + 1e-4


def test_rcs_draws_have_the_swerling_moments():
    n = 200_000
    rng = np.random.default_rng(11)
    mean = 2.5
    for case, var_over_mean2 in ((0, 0.0), (1, 1.0), (3, 0.5)):
        draws = fluctuate_rcs(np.full(n, mean), np.full(n, case, dtype=np.int8), rng)
        assert draws.mean() == pytest.approx(mean, rel=0.01)
        assert draws.var() / mean**2 == pytest.approx(var_over_mean2, abs=0.02)


def test_rcs_draws_take_two_numbers_per_row_whatever_the_case():
    # so that a change of one target's Swerling case does not shift every later draw
    a = np.random.default_rng(5)
    b = np.random.default_rng(5)
    fluctuate_rcs(np.ones(7), np.zeros(7, dtype=np.int8), a)
    fluctuate_rcs(np.ones(7), np.array([1, 3, 0, 1, 3, 0, 1], dtype=np.int8), b)
    assert a.random() == b.random()
