"""Per-type interceptor parameters as arrays indexed by type, for vectorised flight."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim.catalog import InterceptorType

G0_MPS2 = 9.80665


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
    drag_coefficient: NDArray
    max_accel_mps2: NDArray
    max_flight_s: NDArray
    min_speed_mps: NDArray
    seeker_range_m: NDArray
    seeker_ir: NDArray
    seeker_noise_rad: NDArray
    nav_ratio: NDArray
    lethal_radius_m: NDArray
    pk_in_lethal_radius: NDArray
    unit_cost_usd: NDArray

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
        return cls(
            names=names,
            mass_kg=col("mass_kg"),
            propellant_kg=col("propellant_kg"),
            area_m2=np.pi * col("diameter_m") ** 2 / 4.0,
            thrust_boost_n=col("thrust_boost_n"),
            boost_s=col("boost_s"),
            thrust_sustain_n=col("thrust_sustain_n"),
            sustain_s=col("sustain_s"),
            mass_flow_boost_kgps=per_ns * col("thrust_boost_n"),
            mass_flow_sustain_kgps=per_ns * col("thrust_sustain_n"),
            drag_coefficient=col("drag_coefficient"),
            max_accel_mps2=col("max_accel_g") * G0_MPS2,
            max_flight_s=col("max_flight_s"),
            min_speed_mps=col("min_speed_mps"),
            seeker_range_m=col("seeker_range_m"),
            seeker_ir=np.array([x.seeker == "ir" for x in t]),
            seeker_noise_rad=col("seeker_noise_rad"),
            nav_ratio=col("nav_ratio"),
            lethal_radius_m=col("lethal_radius_m"),
            pk_in_lethal_radius=col("pk_in_lethal_radius"),
            unit_cost_usd=col("unit_cost_usd"),
        )
