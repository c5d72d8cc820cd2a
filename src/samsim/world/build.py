"""Build the World of one replication from a validated scenario and its catalog."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from samsim.catalog import Catalog
from samsim.fire_control import Fdc, Launchers, PlanningTable
from samsim.geo import LocalFrame
from samsim.geo.terrain import Terrain, TerrainError
from samsim.interceptors import Interceptors, InterceptorTable
from samsim.interceptors.envelope import planning_flyout
from samsim.scenario.models import Scenario
from samsim.sensors import EoIrSensors, Radars, TerrainGrid, build_eo_ir, build_radars
from samsim.threats.ballistic import launch_velocity
from samsim.threats.state import CATEGORY_CODE, CIVIL, FRIEND, HOSTILE, PENDING, AirObjects
from samsim.tracking import TrackTable
from samsim.world.events import EventLog
from samsim.world.rng import spawn_streams


@dataclass(slots=True)
class Assets:
    """Defended assets."""

    name: list[str]
    pos_enu_m: NDArray[np.float64]
    radius_m: NDArray[np.float64]
    value: NDArray[np.float64]
    damage: NDArray[np.float64]  # value destroyed so far


@dataclass(slots=True)
class World:
    """Everything one replication touches; shares nothing with other replications."""

    scenario: Scenario
    catalog: Catalog
    frame: LocalFrame
    replication: int
    seed: int
    rng: dict[str, np.random.Generator]
    threat_type_names: list[str]
    air: AirObjects
    assets: Assets
    radars: Radars
    eo_ir: EoIrSensors
    launchers: Launchers
    icpt: Interceptors
    icpt_table: InterceptorTable
    planning: PlanningTable
    fdcs: list[Fdc]
    terrain: Terrain
    terrain_grid: TerrainGrid  # the terrain's arrays for the sensor kernels
    picture: TrackTable  # the network air picture all FDCs share
    events: EventLog
    weapons_status: str
    engaged_truth: list[int] = field(default_factory=list)  # truth rows engaged (analysis)
    status_changes_applied: int = 0


def scenario_origin(sc: Scenario) -> tuple[float, float]:
    """ENU origin: the scenario's, or the mean position of the defended assets."""
    if sc.origin is not None:
        return sc.origin.lat_deg, sc.origin.lon_deg
    return (
        float(np.mean([a.lat_deg for a in sc.assets])),
        float(np.mean([a.lon_deg for a in sc.assets])),
    )


def build_world(sc: Scenario, cat: Catalog, replication: int = 0, seed: int | None = None) -> World:
    """Arrays, RNG streams and empty logs for one replication."""
    seed = sc.seed if seed is None else int(seed)
    rng = spawn_streams(seed, replication)
    frame = LocalFrame.at(*scenario_origin(sc))
    assets = Assets(
        name=[a.name for a in sc.assets],
        pos_enu_m=frame.to_enu(
            [a.lat_deg for a in sc.assets],
            [a.lon_deg for a in sc.assets],
            [a.alt_m for a in sc.assets],
        ).reshape(-1, 3),
        radius_m=np.array([a.radius_m for a in sc.assets]),
        value=np.array([a.value for a in sc.assets]),
        damage=np.zeros(len(sc.assets)),
    )
    type_names = list(cat.threats)
    air = _build_air(sc, cat, frame, type_names, assets, rng["raids"])
    terrain = load_terrain(sc, frame)
    radars = _build_radars(sc, cat, frame, terrain, rng["radar"])
    eo_ir = _build_eo_ir(sc, cat, frame, terrain, rng["eoir"])
    icpt_table = InterceptorTable.from_catalog(cat.interceptors)
    launchers = _build_launchers(sc, cat, frame, icpt_table.names)
    capacity = int((launchers.loadout.sum(axis=1) * (1 + launchers.reloads_left)).sum())
    # One network picture (Link-16 style): every fire unit's sensors feed it and
    # every FDC acts on it, so track numbers are the same in all of them.
    picture = TrackTable.empty(64)
    fdcs = []
    for b_idx, b in enumerate(sc.batteries):
        fdcs.append(
            Fdc(
                name=b.name,
                params=cat.fdcs[b.fdc.type],
                radar_idx=np.flatnonzero(radars.battery_idx == b_idx),
                launcher_idx=np.flatnonzero(launchers.battery_idx == b_idx),
                tracks=picture,
            )
        )
    return World(
        scenario=sc,
        catalog=cat,
        frame=frame,
        replication=replication,
        seed=seed,
        rng=rng,
        threat_type_names=type_names,
        air=air,
        assets=assets,
        radars=radars,
        eo_ir=eo_ir,
        launchers=launchers,
        icpt=Interceptors.empty(max(capacity, 1)),
        icpt_table=icpt_table,
        planning=replace(
            PlanningTable.from_catalog(cat.interceptors),
            flyout=planning_flyout(
                cat.interceptors, launchers.loadout, launchers.launch_elevation_rad
            ),
        ),
        fdcs=fdcs,
        terrain=terrain,
        terrain_grid=TerrainGrid.of(terrain),
        picture=picture,
        events=EventLog(replication),
        weapons_status=sc.doctrine.weapons_status,
    )


def _sites(frame: LocalFrame, terrain: Terrain, sites: list) -> tuple[NDArray, NDArray]:
    """Surface positions (k, 3) and ground heights above the sea (k,) of sensor sites.

    A site's ``alt_m`` is its height above the surface; the DEM adds the ground.
    """
    if not sites:
        return np.zeros((0, 3)), np.zeros(0)
    surface = frame.to_enu([p.lat_deg for p in sites], [p.lon_deg for p in sites], 0.0)
    surface = surface.reshape(-1, 3)
    alt = np.array([p.alt_m for p in sites], float) + terrain.surface_m(surface)
    return surface, alt


def _lost_at(sites: list) -> NDArray:
    return np.array([np.inf if p.lost_at_s is None else p.lost_at_s for p in sites], float)


def _build_radars(
    sc: Scenario, cat: Catalog, frame: LocalFrame, terrain: Terrain, rng: np.random.Generator
) -> Radars:
    sites = [(b_idx, b.name, r) for b_idx, b in enumerate(sc.batteries) for r in b.radars]
    radars = [r for _, _, r in sites]
    surface, alt = _sites(frame, terrain, radars)
    return build_radars(
        [f"{name}/{r.name}" for _, name, r in sites],
        [cat.radars[r.type] for r in radars],
        surface,
        alt,
        [b_idx for b_idx, _, _ in sites],
        frame,
        rng,
        _lost_at(radars),
    )


def _build_eo_ir(
    sc: Scenario, cat: Catalog, frame: LocalFrame, terrain: Terrain, rng: np.random.Generator
) -> EoIrSensors:
    sites = [(b_idx, b.name, e) for b_idx, b in enumerate(sc.batteries) for e in b.eo_ir]
    sensors = [e for _, _, e in sites]
    surface, alt = _sites(frame, terrain, sensors)
    return build_eo_ir(
        [f"{name}/{e.name}" for _, name, e in sites],
        [cat.eo_ir[e.type] for e in sensors],
        surface,
        alt,
        [b_idx for b_idx, _, _ in sites],
        frame,
        rng,
        _lost_at(sensors),
    )


@lru_cache(maxsize=8)
def _terrain_cached(path: str, lat0: float, lon0: float, cell_m: float) -> Terrain:
    return Terrain.from_geotiff(path, LocalFrame.at(lat0, lon0), cell_m=cell_m)


def load_terrain(sc: Scenario, frame: LocalFrame) -> Terrain:
    """The scenario's DEM on its frame (cached per process), or flat sea."""
    if sc.terrain is None:
        return Terrain.flat()
    try:
        return _terrain_cached(
            sc.terrain.dem_path, frame.lat0_deg, frame.lon0_deg, sc.terrain.cell_m
        )
    except TerrainError as exc:
        from samsim.scenario import Problem, ScenarioError

        raise ScenarioError([Problem("terrain.dem_path", str(exc))]) from None


def _disc_offsets(n: int, radius_m: float, rng: np.random.Generator) -> NDArray:
    """(n, 2) uniform points in a disc (east, north) [m]; draws 2n numbers always."""
    u = rng.random((n, 2))
    r = radius_m * np.sqrt(u[:, 0])
    a = 2.0 * math.pi * u[:, 1]
    return np.stack([r * np.sin(a), r * np.cos(a)], axis=1)


def _surface_offset(frame: LocalFrame, centre_enu_m: NDArray, offsets_en_m: NDArray) -> NDArray:
    """Surface points displaced from a centre along its local east and north."""
    axes = frame.local_axes(centre_enu_m)
    pts = centre_enu_m + offsets_en_m[:, :1] * axes[0] + offsets_en_m[:, 1:2] * axes[1]
    return frame.lift(pts, np.zeros(len(pts)))


def _build_air(
    sc: Scenario,
    cat: Catalog,
    frame: LocalFrame,
    type_names: list[str],
    assets: Assets,
    rng: np.random.Generator,
) -> AirObjects:
    routes: list[NDArray] = []
    route_alts: list[NDArray] = []
    rows: list[dict] = []
    asset_index = {a.name: i for i, a in enumerate(sc.assets)}
    for g, raid in enumerate(sc.raids):
        t = cat.threats[raid.type]
        launch_c = frame.to_enu(raid.launch.lat_deg, raid.launch.lon_deg, 0.0)
        starts = _surface_offset(
            frame, launch_c, _disc_offsets(raid.count, raid.launch.radius_m, rng)
        )
        mids = [frame.to_enu(w.lat_deg, w.lon_deg, 0.0) for w in raid.waypoints]
        mid_alts = [np.nan if w.alt_m is None else w.alt_m for w in raid.waypoints]
        target = asset_index.get(raid.target, -1) if raid.target else -1
        aims = (
            _surface_offset(
                frame,
                frame.lift(assets.pos_enu_m[target], 0.0),
                _disc_offsets(raid.count, raid.aim_radius_m, rng),
            )
            if target >= 0
            else None
        )
        cruise = t.altitude_m if raid.altitude.cruise_m is None else raid.altitude.cruise_m
        terminal = cruise if raid.altitude.terminal_m is None else raid.altitude.terminal_m
        launch_alt = raid.launch.alt_m if raid.launch.alt_m > 0 else cruise
        ballistic = t.category == "ballistic"
        for k in range(raid.count):
            pts = [starts[k], *mids] + ([aims[k]] if aims is not None else [])
            alts = [np.nan, *mid_alts] + ([np.nan] if aims is not None else [])
            routes.append(np.array(pts))
            route_alts.append(np.array(alts, dtype=float))
            ground_m = float(frame.ground_distance_m(pts[0], pts[-1]))
            speed = raid.speed_mps or t.speed_mps
            rows.append(
                dict(
                    name=f"{raid.name}#{k}",
                    type_idx=type_names.index(raid.type),
                    category=CATEGORY_CODE[t.category],
                    allegiance=HOSTILE,
                    group=g,
                    speed=speed,
                    climb=t.max_climb_mps,
                    turn=t.max_turn_g * 9.80665,
                    rcs=t.rcs_m2,
                    swerling=t.swerling,
                    launch_time=raid.start_s + k * raid.interval_s,
                    start_alt=0.0 if ballistic else launch_alt,
                    cruise=cruise,
                    terminal=terminal,
                    terminal_range=raid.altitude.terminal_range_m,
                    target=target,
                    ballistic=ballistic,
                    flight_time=ground_m / speed if ballistic else np.nan,
                    apogee=cruise if ballistic else np.nan,
                    **_flight_model_columns(t),
                )
            )
    for g, tr in enumerate(sc.traffic, start=len(sc.raids)):
        t = cat.threats[tr.type]
        pts = [frame.to_enu(w.lat_deg, w.lon_deg, 0.0) for w in tr.waypoints]
        alts = [t.altitude_m if w.alt_m is None else w.alt_m for w in tr.waypoints]
        for k in range(tr.count):
            routes.append(np.array(pts))
            route_alts.append(np.array(alts, dtype=float))
            rows.append(
                dict(
                    name=f"{tr.name}#{k}",
                    type_idx=type_names.index(tr.type),
                    category=CATEGORY_CODE[t.category],
                    allegiance=CIVIL if tr.allegiance == "civil" else FRIEND,
                    group=g,
                    speed=tr.speed_mps or t.speed_mps,
                    climb=t.max_climb_mps,
                    turn=t.max_turn_g * 9.80665,
                    rcs=t.rcs_m2,
                    swerling=t.swerling,
                    launch_time=tr.start_s + k * tr.interval_s,
                    start_alt=alts[0],
                    cruise=t.altitude_m,
                    terminal=t.altitude_m,
                    terminal_range=0.0,
                    target=-1,
                    ballistic=False,
                    flight_time=np.nan,
                    apogee=np.nan,
                    **_flight_model_columns(t),
                )
            )
    n = len(rows)
    w = max((len(r) for r in routes), default=1)
    route = np.zeros((n, w, 3))
    route_alt = np.full((n, w), np.nan)
    for i, (r, a) in enumerate(zip(routes, route_alts, strict=True)):
        route[i, : len(r)] = r
        route[i, len(r) :] = r[-1]
        route_alt[i, : len(a)] = a

    def col(key: str, dtype=float) -> NDArray:
        return np.array([r[key] for r in rows], dtype=dtype)

    start = route[:, 0] if n else np.zeros((0, 3))
    pos = frame.lift(start, col("start_alt")) if n else np.zeros((0, 3))
    vel = np.zeros((n, 3))
    flight_time = col("flight_time")
    inv_2beta = col("inv_2beta")
    for i in np.flatnonzero(col("ballistic", bool)):
        # True ballistic arc: burn-out velocity that reaches the apogee and the aim point.
        v0, tof = launch_velocity(
            pos[i],
            route[i, len(routes[i]) - 1],
            rows[i]["apogee"],
            frame.radius_m,
            0.0 if inv_2beta[i] == 0 else 0.5 / inv_2beta[i],
        )
        vel[i] = v0
        flight_time[i] = tof
    return AirObjects(
        name=[r["name"] for r in rows],
        type_idx=col("type_idx", np.int16),
        category=col("category", np.int8),
        allegiance=col("allegiance", np.int8),
        group_idx=col("group", np.int16),
        pos_enu_m=pos,
        vel_enu_mps=vel,
        speed_mps=col("speed"),
        max_climb_mps=col("climb"),
        max_turn_mps2=col("turn"),
        rcs_m2=col("rcs"),
        swerling=col("swerling", np.int8),
        launch_time_s=col("launch_time"),
        route_enu_m=route,
        route_alt_m=route_alt,
        route_len=np.array([len(r) for r in routes], np.int16),
        wp_idx=np.ones(n, np.int16),
        cruise_alt_m=col("cruise"),
        terminal_alt_m=col("terminal"),
        terminal_range_m=col("terminal_range"),
        target_asset=col("target", np.int16),
        ballistic=col("ballistic", bool),
        flight_time_s=flight_time,
        apogee_m=col("apogee"),
        fate=np.full(n, PENDING, np.int8),
        fate_time_s=np.full(n, np.nan),
        acc_enu_mps2=np.zeros((n, 3)),
        dive_rad=col("dive_rad"),
        weave_mps2=col("weave_mps2"),
        weave_period_s=col("weave_period_s"),
        weave_range_m=col("weave_range_m"),
        # A fixed, well-spread phase per object (golden ratio), so raids do not weave in step.
        weave_phase_rad=2.0 * math.pi * np.mod(np.arange(n) * 0.6180339887498949, 1.0),
        warning_range_m=col("warning_range_m"),
        evade_dir=np.zeros((n, 3)),
        inv_2beta=inv_2beta,
    )


def _flight_model_columns(t) -> dict:
    """Per-object flight-model parameters of a threat type (threats.flight)."""
    beta = t.ballistic_coefficient_kgpm2
    return dict(
        dive_rad=math.radians(t.terminal_dive_deg),
        weave_mps2=t.weave_g * 9.80665,
        weave_period_s=t.weave_period_s,
        weave_range_m=t.weave_range_m,
        warning_range_m=t.warning_range_m,
        inv_2beta=0.5 / beta if beta > 0 else 0.0,
    )


def _build_launchers(
    sc: Scenario, cat: Catalog, frame: LocalFrame, type_names: tuple[str, ...]
) -> Launchers:
    names, batt, lat, lon, alt, loadout, reloads, interval, reload_s, elev = ([] for _ in range(10))
    for b_idx, b in enumerate(sc.batteries):
        for ln in b.launchers:
            lt = cat.launchers[ln.type]
            names.append(f"{b.name}/{ln.name}")
            batt.append(b_idx)
            lat.append(ln.lat_deg)
            lon.append(ln.lon_deg)
            alt.append(ln.alt_m + 2.0)
            loadout.append([ln.loadout.get(t, 0) for t in type_names])
            reloads.append(ln.reloads)
            interval.append(lt.launch_interval_s)
            reload_s.append(lt.reload_s)
            elev.append(math.radians(lt.launch_elevation_deg))
    n = len(names)
    load = np.array(loadout, dtype=np.int32).reshape(n, len(type_names))
    return Launchers(
        name=names,
        battery_idx=np.array(batt, np.int16),
        pos_enu_m=frame.to_enu(lat, lon, alt).reshape(n, 3) if n else np.zeros((0, 3)),
        loadout=load,
        rounds=load.copy(),
        reloads_left=np.array(reloads, np.int32),
        next_ready_s=np.zeros(n),
        reload_done_s=np.full(n, np.nan),
        launch_interval_s=np.array(interval, float),
        reload_s=np.array(reload_s, float),
        launch_elevation_rad=np.array(elev, float),
    )
