"""The scenario format: pydantic models of the YAML a user writes.

Geodetic positions are WGS-84 degrees; every altitude is height above the
surface (sea or ground) in metres. Units are in the field names. Unknown keys
are errors, so that a typo is never silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    field_validator,
)

Lat = Annotated[float, Field(ge=-90, le=90, description="latitude, WGS-84 degrees")]
Lon = Annotated[float, Field(ge=-180, le=180, description="longitude, WGS-84 degrees")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Point(_Model):
    """A geodetic position; ``alt_m`` is height above the surface."""

    lat_deg: Lat
    lon_deg: Lon
    alt_m: float = Field(default=0.0, ge=-500, le=100_000)


class Waypoint(_Model):
    """A route point; ``alt_m`` is the height to fly there (omit it to follow the profile)."""

    lat_deg: Lat
    lon_deg: Lon
    alt_m: float | None = Field(default=None, ge=0, le=100_000)


class Area(Point):
    """A point with a radius: entities start uniformly inside the disc."""

    radius_m: NonNegativeFloat = Field(default=0.0, le=200_000)


class Asset(Point):
    """A defended site; a leaker that reaches it within ``radius_m`` damages it."""

    name: Name
    value: PositiveFloat = Field(description="relative value used in threat ranking and damage")
    radius_m: PositiveFloat = Field(default=1000.0, le=50_000)


class Fdc(Point):
    """Fire Distribution Center of one fire unit."""

    type: str = "nasams_fdc"


class Radar(Point):
    """A surveillance radar; the antenna mast comes from the catalog.

    ``alt_m`` is the site's height above the surface: without a DEM the
    surface is the sea, so give the ground elevation; with a DEM the ground
    height comes from it and ``alt_m`` adds to it (a tower, or 0).
    """

    name: Name
    type: str = "sentinel"
    lost_at_s: NonNegativeFloat | None = Field(
        default=None, description="time the radar is lost (destroyed or off) [s]; default never"
    )


class EoIr(Point):
    """A passive EO/IR sensor (angles only); ``alt_m`` as for radars."""

    name: Name
    type: str = "nasams_eoir"
    lost_at_s: NonNegativeFloat | None = Field(
        default=None, description="time the sensor is lost [s]; default never"
    )


class Launcher(Point):
    """A canister launcher and what it carries (interceptor type -> rounds)."""

    name: Name
    type: str = "canister_6"
    loadout: dict[str, Annotated[int, Field(ge=0, le=100)]] = Field(min_length=1)
    reloads: int = Field(default=0, ge=0, le=100, description="full reloads held in reserve")


class Battery(_Model):
    """A NASAMS-style fire unit: one FDC, its radars and EO/IR sensors, its remote launchers.

    All fire units' sensors feed one network air picture that every FDC shares.
    """

    name: Name
    fdc: Fdc
    radars: list[Radar] = Field(default_factory=list, max_length=16)
    eo_ir: list[EoIr] = Field(default_factory=list, max_length=16)
    launchers: list[Launcher] = Field(min_length=1, max_length=64)


class AltitudeProfile(_Model):
    """Cruise height, and an optional terminal height inside a range of the target."""

    cruise_m: float | None = Field(
        default=None, ge=0, le=100_000, description="default: the catalog altitude of the type"
    )
    terminal_m: float | None = Field(default=None, ge=0, le=100_000)
    terminal_range_m: NonNegativeFloat = Field(default=0.0, le=500_000)


class Raid(_Model):
    """Threats of one type launched as a salvo or a stream."""

    name: Name
    type: str
    count: int = Field(ge=1, le=10_000)
    launch: Area
    target: Name | None = Field(default=None, description="asset name; the route ends there")
    waypoints: list[Waypoint] = Field(default_factory=list, max_length=64)
    start_s: NonNegativeFloat = 0.0
    interval_s: NonNegativeFloat = 0.0
    altitude: AltitudeProfile = Field(default_factory=AltitudeProfile)
    speed_mps: PositiveFloat | None = None
    aim_radius_m: NonNegativeFloat = Field(
        default=300.0, le=50_000, description="spread of aim points around the target"
    )


class Traffic(_Model):
    """Civil or friendly air traffic flying a route; it must never be engaged."""

    name: Name
    type: str = "airliner"
    allegiance: Literal["civil", "friend"] = "civil"
    count: int = Field(default=1, ge=1, le=1_000)
    waypoints: list[Waypoint] = Field(min_length=2, max_length=64)
    start_s: NonNegativeFloat = 0.0
    interval_s: NonNegativeFloat = 0.0
    speed_mps: PositiveFloat | None = None


class WeaponsStatusChange(_Model):
    """A scheduled change of weapons status (e.g. hold -> tight when the ROE change)."""

    time_s: NonNegativeFloat
    status: Literal["free", "tight", "hold"]


Category = Literal["drone", "cruise_missile", "aircraft", "ballistic"]
ShotDoctrine = Literal["shoot_shoot", "shoot_look_shoot", "adaptive"]
_CATEGORIES = get_args(Category)
_SHOT_DOCTRINES = get_args(ShotDoctrine)


_DEFAULT_SHOTS = {"drone": 1, "cruise_missile": 2, "aircraft": 2, "ballistic": 2}


class Doctrine(_Model):
    """Rules of engagement and shot doctrine, applied by every FDC.

    Weapons status and identification (``fire_control.identify``): ``hold``
    engages nothing; ``tight`` only tracks identified hostile; ``free`` any
    identified track that is not friend or civil (hostile, suspect, unknown).
    Tracks still within their IFF reply window (pending) are never engaged.
    """

    weapons_status: Literal["free", "tight", "hold"] = "free"
    status_changes: list[WeaponsStatusChange] = Field(
        default_factory=list,
        max_length=100,
        description="scheduled weapons-status changes, applied at their times",
    )
    shots_per_target: dict[Category, Annotated[int, Field(ge=0, le=4)]] = Field(
        default_factory=lambda: dict(_DEFAULT_SHOTS),
        description="rounds per salvo (shoot-shoot) or per engagement (shoot-look-shoot); "
        "categories left out keep their defaults (drone 1, cruise_missile 2, aircraft 2, "
        "ballistic 2), 0 engages none",
    )
    shot_doctrine: dict[Category, ShotDoctrine] = Field(
        default_factory=dict,
        description="shoot_shoot (the default): the salvo at once; shoot_look_shoot: one "
        "round, a kill assessment, then the next; adaptive: shoot-look-shoot when a second "
        "engagement could still start after the first round's kill assessment, the whole "
        "salvo at once when not; a mapping category -> name, or one name for all categories",
    )
    engagement_priority: Literal["threat", "time_to_asset", "value", "category"] = Field(
        default="threat",
        description="value the assignment protects: threat = asset value x threat weight x "
        "identification confidence x urgency (threat evaluation); time_to_asset = asset value "
        "/ time to reach it; value = asset value; category = category_order rank x value",
    )
    category_order: list[Category] = Field(
        default_factory=lambda: ["cruise_missile", "aircraft", "drone", "ballistic"]
    )
    threat_weight: dict[Category, Annotated[float, Field(ge=0, le=10)]] = Field(
        default_factory=lambda: {
            "drone": 0.5,
            "cruise_missile": 1.0,
            "aircraft": 0.8,
            "ballistic": 1.0,
        },
        description="relative lethality of a threat category in the threat evaluation",
    )
    urgency_s: PositiveFloat = Field(
        default=60.0,
        le=3600,
        description="threat evaluation: a threat t seconds from its asset weighs 1 / (1 + t / "
        "urgency_s)",
    )
    hostile_time_s: PositiveFloat = Field(
        default=300.0,
        le=3600,
        description="a silent track on a course that reaches a defended asset within this "
        "time is declared hostile (further out it is suspect)",
    )
    reengage: bool = Field(
        default=True, description="engage again after a kill assessment finds the target alive"
    )
    assignment: Literal["optimal", "greedy"] = Field(
        default="optimal",
        description="weapon-target assignment: optimal (solve_wta) or the maximum-marginal-"
        "return greedy of the foundation FDC",
    )
    interceptor_choice: Literal["cost_effective", "best_pk"] = Field(
        default="cost_effective",
        description="per launcher and target: cost_effective = the cheapest type that can "
        "intercept whose Pk is within pk_tolerance of the best; best_pk = the best Pk",
    )
    pk_tolerance: float = Field(default=0.05, ge=0, le=1)
    fire_units_per_target: int = Field(
        default=1,
        ge=1,
        le=8,
        description="fire units (FDCs) that may engage one track at the same time",
    )
    magazine_reserve: dict[Category, Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=dict,
        description="a fire unit holding this many ready rounds or fewer no longer fires at "
        "this category (keeps its last rounds for other threats)",
    )

    @field_validator("shots_per_target", mode="after")
    @classmethod
    def _keep_default_shots(cls, v: dict[str, int]) -> dict[str, int]:
        # a mapping that names some categories must not silently give the others 0 shots
        return {**_DEFAULT_SHOTS, **v}

    @field_validator("shot_doctrine", mode="before")
    @classmethod
    def _one_name_for_all(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v not in _SHOT_DOCTRINES:
                raise ValueError(
                    "must be 'shoot_shoot', 'shoot_look_shoot' or 'adaptive', or a mapping "
                    "of threat category to one of them"
                )
            return dict.fromkeys(_CATEGORIES, v)
        return v

    def shot_doctrine_of(self, category: str) -> str:
        """Shot doctrine name for a threat category."""
        return self.shot_doctrine.get(category, "shoot_shoot")


class Wind(_Model):
    """A constant wind over the whole scenario: the air mass moves, and aircraft,
    drones and cruise missiles crab into it to hold their courses."""

    speed_mps: NonNegativeFloat = Field(le=100)
    from_deg: float = Field(
        ge=0, lt=360, description="direction the wind blows from, degrees clockwise from north"
    )


class TerrainSpec(_Model):
    """A digital elevation model for terrain masking and terrain following.

    ``dem_path`` is a GeoTIFF on the local disk, relative to the scenario file;
    it is honoured by the command line only (the server never takes paths).
    """

    dem_path: str = Field(min_length=1, max_length=1024)
    cell_m: float = Field(default=200.0, ge=10.0, le=5000.0, description="resampling grid")


class Scenario(_Model):
    """A whole scenario. See `samsim schema` for the JSON Schema."""

    name: Name
    description: str = Field(default="", max_length=4000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    duration_s: PositiveFloat = Field(le=86_400)
    step_s: float = Field(default=0.1, gt=0, le=1.0, description="engine step")
    origin: Point | None = Field(default=None, description="ENU origin; default: assets' centre")
    assets: list[Asset] = Field(min_length=1, max_length=200)
    batteries: list[Battery] = Field(default_factory=list, max_length=32)
    raids: list[Raid] = Field(default_factory=list, max_length=200)
    traffic: list[Traffic] = Field(default_factory=list, max_length=200)
    doctrine: Doctrine = Field(default_factory=Doctrine)
    terrain: TerrainSpec | None = Field(default=None, description="optional DEM (GeoTIFF)")
    wind: Wind | None = Field(default=None, description="optional constant wind")
    catalog: dict[str, Any] = Field(
        default_factory=dict, description="overrides of catalog values, same layout"
    )
