"""Typed entries of the notional catalog (values only; provenance is kept beside them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

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
    """Interceptor: planning figures, point-mass flight parameters, guidance, lethality, cost.

    The flight parameters feed the 3-DOF fly-out (``samsim.interceptors.flyout``);
    the envelope that fly-out reaches is compared with ``public_range_m`` and
    ``public_altitude_m`` (the spread of public figures) in docs/validation.md.
    """

    max_range_m: PositiveFloat
    max_altitude_m: PositiveFloat
    public_range_m: tuple[PositiveFloat, PositiveFloat]
    public_altitude_m: tuple[PositiveFloat, PositiveFloat]
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
    drag_mach: list[Annotated[float, Field(ge=0, le=20)]] = Field(min_length=2, max_length=32)
    drag_cd: list[Annotated[float, Field(ge=0, le=10)]] = Field(min_length=2, max_length=32)
    lift_coefficient_max: PositiveFloat
    induced_drag_factor: float = Field(ge=0, le=5)
    thrust_vector_deg: float = Field(ge=0, le=30)
    max_accel_g: PositiveFloat
    endgame_min_g: float = Field(ge=0, le=100)
    canister_clear_s: float = Field(ge=0, le=5)
    max_flight_s: PositiveFloat
    min_speed_mps: float = Field(ge=0)
    seeker_range_m: PositiveFloat
    seeker: Literal["radar", "ir"]
    seeker_gimbal_deg: float = Field(gt=0, le=180)
    lock_on: Literal["after", "before"]
    seeker_noise_rad: float = Field(ge=0, le=0.1)
    guidance: Literal["pn", "apn"]
    nav_ratio: float = Field(gt=0, le=10)
    guidance_lag_s: float = Field(ge=0, le=5)
    loft_gain: float = Field(ge=0, le=2)
    loft_max_m: float = Field(ge=0, le=50_000)
    lethal_radius_m: PositiveFloat
    pk_in_lethal_radius: float = Field(ge=0, le=1)
    pk_planning: dict[ThreatCategory, float]
    # Geometry-dependent planning Pk (fire_control.pk): arrival speed at the PIP from
    # which pk_planning applies in full, and the fraction of it left at the envelope's
    # kinematic edge per category (absent: 1, a flat Pk).
    endgame_speed_mps: PositiveFloat | None = None
    pk_edge_fraction: dict[ThreatCategory, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _check_tables(self) -> InterceptorType:
        if len(self.drag_mach) != len(self.drag_cd):
            raise ValueError(
                f"drag_mach has {len(self.drag_mach)} points but drag_cd has {len(self.drag_cd)}"
            )
        if any(b <= a for a, b in zip(self.drag_mach, self.drag_mach[1:], strict=False)):
            raise ValueError("drag_mach must increase strictly")
        for name in ("public_range_m", "public_altitude_m"):
            lo, hi = getattr(self, name)
            if hi < lo:
                raise ValueError(f"{name}: upper figure {hi} is below the lower {lo}")
        if (
            self.endgame_speed_mps is not None
            and self.endgame_speed_mps <= 1.1 * self.min_speed_mps
        ):
            raise ValueError(
                f"endgame_speed_mps: must exceed the envelope's edge speed 1.1 x min_speed_mps "
                f"= {1.1 * self.min_speed_mps:g} m/s, got {self.endgame_speed_mps:g}"
            )
        return self


class ThreatType(_Entry):
    """Air object kind: threats, and civil or friendly traffic.

    ``mimics`` names a host type a decoy flies like: the category and
    kinematics (speed, heights, climb, turn, dive, weave) it does not set are
    taken from the host, and its RCS must not exceed the host's.
    """

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
    mimics: str | None = None
    terminal_dive_deg: float = Field(default=0.0, ge=0, le=80)
    weave_g: float = Field(default=0.0, ge=0, le=30)
    weave_period_s: PositiveFloat = 4.0
    weave_range_m: float = Field(default=0.0, ge=0, le=200_000)
    warning_range_m: float = Field(default=0.0, ge=0, le=100_000)
    ballistic_coefficient_kgpm2: float = Field(default=0.0, ge=0)


# Fields a decoy takes from the type it mimics, unless it sets them itself.
MIMIC_FIELDS = (
    "category",
    "speed_mps",
    "altitude_m",
    "max_climb_mps",
    "max_turn_g",
    "terminal_dive_deg",
    "weave_g",
    "weave_period_s",
    "weave_range_m",
    "ballistic_coefficient_kgpm2",
)


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

    @model_validator(mode="before")
    @classmethod
    def _fill_mimics(cls, data: Any) -> Any:
        """Give each decoy its host's kinematics, and check its RCS against the host's."""
        if not isinstance(data, dict) or not isinstance(data.get("threats"), dict):
            return data
        threats = dict(data["threats"])
        for name, entry in threats.items():
            if not isinstance(entry, dict) or entry.get("mimics") is None:
                continue
            host_name = entry["mimics"]
            host = threats.get(host_name)
            if not isinstance(host, dict):
                raise ValueError(f"threats.{name}.mimics: no threat type named {host_name!r}")
            if host.get("mimics") is not None:
                raise ValueError(f"threats.{name}.mimics: {host_name!r} is itself a decoy")
            filled = dict(entry)
            for key in MIMIC_FIELDS:
                if key in host:
                    filled.setdefault(key, host[key])
            rcs, host_rcs = filled.get("rcs_m2"), host.get("rcs_m2")
            numbers = isinstance(rcs, int | float) and isinstance(host_rcs, int | float)
            if numbers and rcs > host_rcs:
                raise ValueError(
                    f"threats.{name}.rcs_m2: {rcs} exceeds the RCS of its host "
                    f"{host_name!r} ({host_rcs}); a decoy's RCS must be smaller or equal"
                )
            threats[name] = filled
        return {**data, "threats": threats}
