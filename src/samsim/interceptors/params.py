"""Per-type interceptor parameters as arrays indexed by type, for the compiled fly-out.

``InterceptorTable`` keeps named columns for Python code and packs the same
numbers into one (types, ``N_PARAMS``) matrix ``kernel`` whose columns are the
``P_*`` indices below, plus the Mach-dependent drag tables padded to a common
length, so that the numba kernel takes a handful of arrays instead of thirty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim.catalog import InterceptorType
from samsim.interceptors.atmosphere import G0_MPS2

# Columns of InterceptorTable.kernel.
(
    P_MASS,
    P_PROP,
    P_AREA,
    P_THR_BOOST,
    P_T_BOOST,
    P_THR_SUSTAIN,
    P_T_SUSTAIN,
    P_MDOT_BOOST,
    P_MDOT_SUSTAIN,
    P_A_STRUCT,
    P_CL_MAX,
    P_K_INDUCED,
    P_SIN_TVC,
    P_CLEAR_S,
    P_T_MAX,
    P_V_MIN,
    P_SEEKER_NOISE,
    P_NAV,
    P_APN,
    P_LAG_S,
    P_LETHAL_R,
    P_PK0,
    P_LOFT_GAIN,
    P_LOFT_MAX,
    P_SEEKER_R,
    P_V_PLAN,
) = range(26)
N_PARAMS = 26

# Effective-earth factors of a seeker's line of sight: 4/3 for radar, 7/6 for IR
# (optical refraction is weaker).
K_RADAR = 4.0 / 3.0
K_IR = 7.0 / 6.0


@dataclass(frozen=True, slots=True)
class InterceptorTable:
    """Catalog interceptor types as columns; row k is type k."""

    names: tuple[str, ...]
    mass_kg: NDArray
    propellant_kg: NDArray
    area_m2: NDArray
    thrust_boost_n: NDArray
    boost_s: NDArray
    thrust_sustain_n: NDArray
    sustain_s: NDArray
    mass_flow_boost_kgps: NDArray
    mass_flow_sustain_kgps: NDArray
    max_accel_mps2: NDArray
    max_flight_s: NDArray
    min_speed_mps: NDArray
    seeker_range_m: NDArray
    seeker_ir: NDArray
    seeker_k_factor: NDArray  # effective-earth factor of the seeker's line of sight
    canister_clear_s: NDArray
    seeker_gimbal_rad: NDArray
    lock_before_launch: NDArray
    seeker_noise_rad: NDArray
    nav_ratio: NDArray
    lethal_radius_m: NDArray
    pk_in_lethal_radius: NDArray
    unit_cost_usd: NDArray
    kernel: NDArray  # (types, N_PARAMS), columns P_*
    cd_mach: NDArray  # (types, m) Mach points, padded by repeating the last
    cd_value: NDArray  # (types, m) zero-lift drag coefficient (body cross-section)

    @classmethod
    def from_catalog(cls, types: dict[str, InterceptorType]) -> InterceptorTable:
        names = tuple(types)
        t = [types[n] for n in names]

        def col(attr: str) -> NDArray:
            return np.array([float(getattr(x, attr)) for x in t])

        impulse = col("thrust_boost_n") * col("boost_s") + col("thrust_sustain_n") * col(
            "sustain_s"
        )
        # Propellant burns in proportion to thrust (one specific impulse per motor).
        per_ns = np.divide(col("propellant_kg"), impulse, out=np.zeros(len(t)), where=impulse > 0)
        area = np.pi * col("diameter_m") ** 2 / 4.0
        kern = np.zeros((len(t), N_PARAMS))
        kern[:, P_MASS] = col("mass_kg")
        kern[:, P_PROP] = col("propellant_kg")
        kern[:, P_AREA] = area
        kern[:, P_THR_BOOST] = col("thrust_boost_n")
        kern[:, P_T_BOOST] = col("boost_s")
        kern[:, P_THR_SUSTAIN] = col("thrust_sustain_n")
        kern[:, P_T_SUSTAIN] = col("sustain_s")
        kern[:, P_MDOT_BOOST] = per_ns * col("thrust_boost_n")
        kern[:, P_MDOT_SUSTAIN] = per_ns * col("thrust_sustain_n")
        kern[:, P_A_STRUCT] = col("max_accel_g") * G0_MPS2
        kern[:, P_CL_MAX] = col("lift_coefficient_max")
        kern[:, P_K_INDUCED] = col("induced_drag_factor")
        kern[:, P_SIN_TVC] = np.sin(np.radians(col("thrust_vector_deg")))
        kern[:, P_CLEAR_S] = col("canister_clear_s")
        kern[:, P_T_MAX] = col("max_flight_s")
        kern[:, P_V_MIN] = col("min_speed_mps")
        kern[:, P_SEEKER_NOISE] = col("seeker_noise_rad")
        kern[:, P_NAV] = col("nav_ratio")
        kern[:, P_APN] = [1.0 if x.guidance == "apn" else 0.0 for x in t]
        kern[:, P_LAG_S] = col("guidance_lag_s")
        kern[:, P_LETHAL_R] = col("lethal_radius_m")
        kern[:, P_PK0] = col("pk_in_lethal_radius")
        kern[:, P_LOFT_GAIN] = col("loft_gain")
        kern[:, P_LOFT_MAX] = col("loft_max_m")
        kern[:, P_SEEKER_R] = col("seeker_range_m")
        kern[:, P_V_PLAN] = col("mean_speed_mps")
        m = max((len(x.drag_mach) for x in t), default=2)
        cd_mach = np.zeros((len(t), m))
        cd_value = np.zeros((len(t), m))
        for k, x in enumerate(t):
            n = len(x.drag_mach)
            cd_mach[k, :n] = x.drag_mach
            cd_value[k, :n] = x.drag_cd
            # Padding: extra points beyond the last Mach number, same value.
            cd_mach[k, n:] = x.drag_mach[-1] + np.arange(1, m - n + 1)
            cd_value[k, n:] = x.drag_cd[-1]
        return cls(
            names=names,
            mass_kg=col("mass_kg"),
            propellant_kg=col("propellant_kg"),
            area_m2=area,
            thrust_boost_n=col("thrust_boost_n"),
            boost_s=col("boost_s"),
            thrust_sustain_n=col("thrust_sustain_n"),
            sustain_s=col("sustain_s"),
            mass_flow_boost_kgps=kern[:, P_MDOT_BOOST].copy(),
            mass_flow_sustain_kgps=kern[:, P_MDOT_SUSTAIN].copy(),
            max_accel_mps2=kern[:, P_A_STRUCT].copy(),
            max_flight_s=col("max_flight_s"),
            min_speed_mps=col("min_speed_mps"),
            seeker_range_m=col("seeker_range_m"),
            seeker_ir=np.array([x.seeker == "ir" for x in t]),
            seeker_k_factor=np.array([K_IR if x.seeker == "ir" else K_RADAR for x in t]),
            canister_clear_s=col("canister_clear_s"),
            seeker_gimbal_rad=np.radians(col("seeker_gimbal_deg")),
            lock_before_launch=np.array([x.lock_on == "before" for x in t]),
            seeker_noise_rad=col("seeker_noise_rad"),
            nav_ratio=col("nav_ratio"),
            lethal_radius_m=col("lethal_radius_m"),
            pk_in_lethal_radius=col("pk_in_lethal_radius"),
            unit_cost_usd=col("unit_cost_usd"),
            kernel=kern,
            cd_mach=cd_mach,
            cd_value=cd_value,
        )


__all__ = ["G0_MPS2", "K_IR", "K_RADAR", "N_PARAMS", "InterceptorTable"]
