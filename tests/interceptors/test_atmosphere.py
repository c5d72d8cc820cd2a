"""The closed-form standard atmosphere against the maintained ambiance package."""

import numpy as np
import pytest
from ambiance import Atmosphere

from samsim.interceptors.atmosphere import isa, isa_rho_a


def test_isa_matches_ambiance_from_sea_level_to_80_km():
    alt = np.array([-500.0, 0.0, 1000.0, 5000.0, 11000.0, 15000.0, 20000.0, 32000.0, 47000.0])
    alt = np.concatenate([alt, [51000.0, 60000.0, 71000.0, 80000.0]])
    ours = isa(alt)
    ref = Atmosphere(alt)
    np.testing.assert_allclose(ours["temperature_k"], ref.temperature, rtol=1e-9)
    np.testing.assert_allclose(ours["pressure_pa"], ref.pressure, rtol=1e-5)
    np.testing.assert_allclose(ours["density_kgpm3"], ref.density, rtol=1e-5)
    np.testing.assert_allclose(ours["speed_of_sound_mps"], ref.speed_of_sound, rtol=1e-9)


def test_isa_sea_level_and_tropopause_values():
    s = isa(0.0)
    assert float(s["density_kgpm3"]) == pytest.approx(1.2250, abs=1e-4)
    assert float(s["speed_of_sound_mps"]) == pytest.approx(340.294, abs=1e-3)
    # 11 km geometric is just below the 11 km' geopotential tropopause.
    assert float(isa(11_000.0)["temperature_k"]) == pytest.approx(216.774, abs=1e-3)


def test_kernel_density_and_speed_of_sound_agree_with_array_form():
    rho, a = isa_rho_a(7321.0)
    s = isa(7321.0)
    assert rho == pytest.approx(float(s["density_kgpm3"]), rel=1e-12)
    assert a == pytest.approx(float(s["speed_of_sound_mps"]), rel=1e-12)
