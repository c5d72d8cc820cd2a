"""Typed entries of the notional catalog (values only; provenance is kept beside them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt

ThreatCategory = Literal["drone", "cruise_missile", "aircraft", "ballistic", "civil"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str = ""


class RadarType(_Entry):
    """Rotating 3-D surveillance radar; see catalog.yaml for sources."""

    frequency_hz: PositiveFloat
    instrumented_range_m: PositiveFloat
    min_range_m: float = Field(ge=0)
    rotation_period_s: PositiveFloat
    elevation_min_deg: float = Field(ge=-10, le=90)
    elevation_max_deg: float = Field(ge=-10, le=90)
    antenna_height_m: float = Field(ge=0)
    ref_range_m: PositiveFloat
    ref_rcs_m2: PositiveFloat
    ref_pd: float = Field(gt=0, lt=1)
    pfa: float = Field(gt=0, lt=0.1)
    range_resolution_m: PositiveFloat
    azimuth_beamwidth_deg: PositiveFloat
    elevation_beams: PositiveInt
    sigma_range_m: PositiveFloat
    sigma_azimuth_deg: PositiveFloat
    sigma_elevation_deg: PositiveFloat
    track_capacity: PositiveInt


class EoIrType(_Entry):
    """Passive EO/IR sensor, angles only; detection range by target category."""

    range_small_drone_m: PositiveFloat
    range_cruise_missile_m: PositiveFloat
    range_aircraft_m: PositiveFloat
    prob_detection: float = Field(gt=0, le=1)
    elevation_min_deg: float = Field(ge=-10, le=90)
    elevation_max_deg: float = Field(ge=-10, le=90)
    mast_height_m: float = Field(ge=0)
    sigma_azimuth_deg: PositiveFloat
    sigma_elevation_deg: PositiveFloat
    update_period_s: PositiveFloat


class FdcType(_Entry):
    """Fire Distribution Center timing and limits."""

    detect_to_launch_s: float = Field(ge=0)
    cycle_s: PositiveFloat
    max_launchers: PositiveInt
    max_engagements: PositiveInt
    kill_assessment_s: float = Field(ge=0)
    iff_reply_window: PositiveInt
    datalink_period_s: PositiveFloat


class LauncherType(_Entry):
    """Remote canister launcher."""

    rounds: PositiveInt
    reload_s: PositiveFloat
    launch_interval_s: PositiveFloat
    launch_elevation_deg: float = Field(gt=0, le=90)


class InterceptorType(_Entry):
    """Interceptor: planning envelope, point-mass flight parameters, lethality and cost."""

    max_range_m: PositiveFloat
    max_altitude_m: PositiveFloat
    min_range_m: float = Field(ge=0)
    mean_speed_mps: PositiveFloat
    max_target_speed_mps: PositiveFloat
    unit_cost_usd: float = Field(ge=0)
    mass_kg: PositiveFloat
    propellant_kg: float = Field(ge=0)
    diameter_m: PositiveFloat
    thrust_boost_n: float = Field(ge=0)
    boost_s: float = Field(ge=0)
    thrust_sustain_n: float = Field(ge=0)
    sustain_s: float = Field(ge=0)
    drag_coefficient: float = Field(ge=0)
    max_accel_g: PositiveFloat
    max_flight_s: PositiveFloat
    min_speed_mps: float = Field(ge=0)
    seeker_range_m: PositiveFloat
    seeker: Literal["radar", "ir"]
    seeker_noise_rad: float = Field(ge=0, le=0.1)
    nav_ratio: float = Field(gt=0, le=10)
    lethal_radius_m: PositiveFloat
    pk_in_lethal_radius: float = Field(ge=0, le=1)
    pk_planning: dict[ThreatCategory, float]


class ThreatType(_Entry):
    """Air object kind: threats, and civil or friendly traffic."""

    category: ThreatCategory
    speed_mps: PositiveFloat
    altitude_m: float = Field(ge=0)
    rcs_m2: PositiveFloat
    swerling: Literal[0, 1, 3]
    max_climb_mps: float = Field(ge=0)
    max_turn_g: float = Field(ge=0)
    unit_cost_usd: float = Field(ge=0)
    damage_fraction: float = Field(ge=0, le=1)
    iff: Literal["none", "civil", "friend"]


class IffParams(BaseModel):
    """Identification friend or foe: reply probabilities per interrogation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    civil_reply_probability: float = Field(ge=0, le=1)
    friend_reply_probability: float = Field(ge=0, le=1)


class Catalog(BaseModel):
    """All notional types a scenario can name."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    radars: dict[str, RadarType]
    eo_ir: dict[str, EoIrType]
    fdcs: dict[str, FdcType]
    launchers: dict[str, LauncherType]
    interceptors: dict[str, InterceptorType]
    threats: dict[str, ThreatType]
    iff: IffParams
