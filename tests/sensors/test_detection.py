"""Detection probability formulas against the published table (PUBLIC-DATA 4.2) and each other."""

import math

import numpy as np
import pytest
from scipy import integrate

from samsim.sensors.detection import (
    albersheim_pd,
    albersheim_snr_db,
    pd_exact,
    pd_swerling0,
    pd_swerling1,
    pd_swerling3,
    shnidman_snr_db,
    snr_for_pd,
    swerling_factor,
)

# Required single-pulse SNR [dB] (PUBLIC-DATA 4.2, from MathWorks albersheim/shnidman
# and the exact square-law forms): (Pd, Pfa, N) -> values.
ALBERSHEIM = {
    (0.9, 1e-6, 1): 13.11,
    (0.5, 1e-6, 1): 11.23,
    (0.9, 1e-6, 10): 4.99,
    (0.8, 1e-4, 10): 3.35,
}
SHNIDMAN = {
    (0.9, 1e-6, 1): (13.12, 21.35, 21.35, 17.23, 17.23),
    (0.5, 1e-6, 1): (11.17, 12.51, 12.51, 11.84, 11.84),
    (0.9, 1e-6, 10): (5.33, 13.58, 6.16, 9.46, 5.75),
    (0.8, 1e-4, 10): (3.64, 9.00, 4.17, 6.32, 3.91),
}
EXACT = {(0.9, 1e-6, 0): 13.18, (0.9, 1e-6, 1): 21.14, (0.5, 1e-6, 0): 11.24, (0.5, 1e-6, 1): 12.77}


@pytest.mark.parametrize(("case", "snr_db"), ALBERSHEIM.items())
def test_albersheim_matches_the_published_table(case, snr_db):
    assert albersheim_snr_db(*case) == pytest.approx(snr_db, abs=0.01)


@pytest.mark.parametrize(("case", "snr_db"), ALBERSHEIM.items())
def test_albersheim_pd_inverts_albersheim_snr(case, snr_db):
    pd, pfa, n = case
    assert albersheim_pd(albersheim_snr_db(pd, pfa, n), pfa, n) == pytest.approx(pd, abs=1e-9)


@pytest.mark.parametrize(("case", "row"), SHNIDMAN.items())
def test_shnidman_matches_the_published_table_for_swerling_0_to_4(case, row):
    pd, pfa, n = case
    got = [shnidman_snr_db(pd, pfa, n, sw) for sw in range(5)]
    np.testing.assert_allclose(got, row, atol=0.01)


@pytest.mark.parametrize(("case", "snr_db"), EXACT.items())
def test_exact_inverse_matches_the_published_exact_values(case, snr_db):
    pd, pfa, swerling = case
    assert 10 * math.log10(snr_for_pd(pd, pfa, swerling)) == pytest.approx(snr_db, abs=0.01)


@pytest.mark.parametrize("swerling", [0, 1, 3])
def test_exact_inverse_round_trips(swerling):
    snr = snr_for_pd(0.8, 1e-6, swerling)
    assert float(pd_exact(snr, 1e-6, swerling)) == pytest.approx(0.8, abs=1e-8)


def test_swerling1_closed_form_is_the_marcum_pd_averaged_over_an_exponential_rcs():
    snr, pfa = 20.0, 1e-6
    avg, _ = integrate.quad(lambda x: pd_swerling0(snr * x, pfa) * math.exp(-x), 0, 60)
    assert float(pd_swerling1(snr, pfa)) == pytest.approx(avg, abs=1e-6)


def test_swerling3_closed_form_is_the_marcum_pd_averaged_over_a_chi2_4_rcs():
    snr, pfa = 30.0, 1e-6
    density = lambda x: 4.0 * x * math.exp(-2.0 * x)  # noqa: E731 - chi-square(4) with mean 1
    avg, _ = integrate.quad(lambda x: pd_swerling0(snr * x, pfa) * density(x), 0, 40)
    assert float(pd_swerling3(snr, pfa)) == pytest.approx(avg, abs=1e-6)


def test_shnidman_is_within_its_stated_1_db_of_the_exact_forms():
    for pd in (0.3, 0.5, 0.7, 0.9, 0.95):
        for sw, k in ((0, 0), (1, 1), (3, 3)):
            exact_db = 10 * math.log10(snr_for_pd(pd, 1e-6, sw))
            assert abs(shnidman_snr_db(pd, 1e-6, 1, k) - exact_db) < 1.0


def test_swerling_factors_have_mean_one_and_the_right_spread():
    rng = np.random.default_rng(3)
    e1, e2 = rng.standard_exponential((2, 200_000))
    for case, var in ((0, 0.0), (1, 1.0), (3, 0.5)):
        f = swerling_factor(np.full(e1.size, case), e1, e2)
        assert f.mean() == pytest.approx(1.0, abs=0.01)
        assert f.var() == pytest.approx(var, abs=0.02)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="pd"):
        snr_for_pd(1.0, 1e-6)
    with pytest.raises(ValueError, match="swerling"):
        pd_exact(10.0, 1e-6, 2)
    with pytest.raises(ValueError, match="swerling"):
        shnidman_snr_db(0.9, 1e-6, 1, 7)
