"""ICAO standard atmosphere in closed form, usable inside numba kernels.

The ICAO Standard Atmosphere (ICAO Doc 7488/3, 1993; identical to the U.S.
Standard Atmosphere 1976 below 86 km) is a set of layers in geopotential
altitude H, each with a constant temperature lapse rate; pressure follows from
hydrostatic balance in closed form, density from the ideal gas law and the speed
of sound from sqrt(gamma R T). Geometric altitude z converts to geopotential
altitude with H = r0 z / (r0 + z), r0 = 6 356 766 m.

The kernel version (``isa_rho_a``) is what the interceptor and ballistic flight
models call every sub-step; ``isa`` is its array form. Both are checked against
the maintained ``ambiance`` package and the ICAO table values in the tests and
the validation suite (docs/validation.md). Above 86 km the last layer is
extrapolated, which nothing in samsim flies through.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from samsim._jit import jit

G0_MPS2 = 9.80665
R_AIR_JPKGK = 287.05287  # specific gas constant of dry air (ICAO)
GAMMA_AIR = 1.4
R0_GEOPOTENTIAL_M = 6_356_766.0

# Layer bases: geopotential altitude [m'], temperature [K], lapse rate [K/m'], pressure [Pa].
_H_BASE = np.array([0.0, 11_000.0, 20_000.0, 32_000.0, 47_000.0, 51_000.0, 71_000.0])
_T_BASE = np.array([288.15, 216.65, 216.65, 228.65, 270.65, 270.65, 214.65])
_LAPSE = np.array([-0.0065, 0.0, 0.001, 0.0028, 0.0, -0.0028, -0.002])


def _base_pressures() -> NDArray[np.float64]:
    p = np.empty(_H_BASE.size)
    p[0] = 101_325.0
    for i in range(1, _H_BASE.size):
        dh = _H_BASE[i] - _H_BASE[i - 1]
        t0, lapse = _T_BASE[i - 1], _LAPSE[i - 1]
        if lapse == 0.0:
            p[i] = p[i - 1] * np.exp(-G0_MPS2 * dh / (R_AIR_JPKGK * t0))
        else:
            p[i] = p[i - 1] * ((t0 + lapse * dh) / t0) ** (-G0_MPS2 / (R_AIR_JPKGK * lapse))
    return p


_P_BASE = _base_pressures()


@jit
def isa_state(alt_m):  # pragma: no cover - compiled
    """Temperature [K], pressure [Pa], density [kg/m^3], speed of sound [m/s] at a
    geometric altitude above mean sea level [m] (scalar)."""
    h = R0_GEOPOTENTIAL_M * alt_m / (R0_GEOPOTENTIAL_M + alt_m)
    i = 0
    for k in range(1, _H_BASE.size):
        if h >= _H_BASE[k]:
            i = k
    dh = h - _H_BASE[i]
    t0 = _T_BASE[i]
    lapse = _LAPSE[i]
    temp = t0 + lapse * dh
    if lapse == 0.0:
        p = _P_BASE[i] * np.exp(-G0_MPS2 * dh / (R_AIR_JPKGK * t0))
    else:
        p = _P_BASE[i] * (temp / t0) ** (-G0_MPS2 / (R_AIR_JPKGK * lapse))
    rho = p / (R_AIR_JPKGK * temp)
    a = np.sqrt(GAMMA_AIR * R_AIR_JPKGK * temp)
    return temp, p, rho, a


@jit
def isa_rho_a(alt_m):  # pragma: no cover - compiled
    """Density [kg/m^3] and speed of sound [m/s] at a geometric altitude [m]."""
    _, _, rho, a = isa_state(alt_m)
    return rho, a


@jit
def _isa_many(alt, out):  # pragma: no cover - compiled
    for i in range(alt.size):
        out[0, i], out[1, i], out[2, i], out[3, i] = isa_state(alt[i])


def isa(alt_m: ArrayLike) -> dict[str, NDArray[np.float64]]:
    """Standard atmosphere at geometric altitudes [m] (any shape).

    Returns
    -------
    dict with ``temperature_k``, ``pressure_pa``, ``density_kgpm3`` and
    ``speed_of_sound_mps``, each of the input's shape.
    """
    a = np.asarray(alt_m, dtype=float)
    flat = np.ascontiguousarray(a.ravel())
    out = np.empty((4, flat.size))
    _isa_many(flat, out)
    names = ("temperature_k", "pressure_pa", "density_kgpm3", "speed_of_sound_mps")
    return {n: out[k].reshape(a.shape) for k, n in enumerate(names)}


__all__ = ["G0_MPS2", "isa", "isa_rho_a", "isa_state"]
