"""The Fire Distribution Center's decision cycle.

Once per FDC cycle: predict confirmed tracks to now, evaluate threats,
identify, classify, decide which tracks doctrine lets it engage now, build the
kill-probability matrix of ready launchers against those tracks from launch
acceptability, solve the weapon-target assignment, and trim it to the shots
doctrine allows per target. The engine carries out the launches.

Engagement bookkeeping per track: rounds in flight and fired in the current
salvo, and when the last round ended. A track is engaged again (shoot-look-
shoot) only after the kill assessment time, and only if the radar saw it
after that round ended, i.e. it survived.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from samsim.catalog import FdcType, InterceptorType
from samsim.fire_control.engagement import launch_acceptability
from samsim.fire_control.evaluate import evaluate_threats
from samsim.fire_control.identify import classify, identify, may_engage
from samsim.fire_control.launchers import Launchers
from samsim.fire_control.wta import solve_wta
from samsim.geo import LocalFrame
from samsim.scenario.models import Doctrine
from samsim.threats.state import CATEGORIES
from samsim.tracking.table import TrackTable


@dataclass(frozen=True, slots=True)
class PlanningTable:
    """What the FDC knows of each interceptor type (planning envelope, Pk, cost)."""

    names: tuple[str, ...]
    mean_speed_mps: NDArray
    min_range_m: NDArray
    max_range_m: NDArray
    max_altitude_m: NDArray
    max_target_speed_mps: NDArray
    max_flight_s: NDArray
    pk: NDArray  # (types, categories)
    cost_usd: NDArray
    # Fly-out tables per type (samsim.interceptors.envelope.FlyoutSet, None for a
    # type no launcher carries); empty: the straight-line planning model.
    flyout: tuple = ()

    @classmethod
    def from_catalog(cls, types: dict[str, InterceptorType]) -> PlanningTable:
        names = tuple(types)
        t = [types[n] for n in names]

        def col(attr: str) -> NDArray:
            return np.array([float(getattr(x, attr)) for x in t])

        pk = np.array([[x.pk_planning.get(c, 0.0) for c in CATEGORIES] for x in t])
        return cls(
            names,
            col("mean_speed_mps"),
            col("min_range_m"),
            col("max_range_m"),
            col("max_altitude_m"),
            col("max_target_speed_mps"),
            col("max_flight_s"),
            pk,
            col("unit_cost_usd"),
        )


@dataclass(slots=True)
class Engagement:
    """Engagement of one track by one FDC."""

    in_flight: int = 0
    salvo_fired: int = 0
    total_fired: int = 0
    last_end_s: float = -np.inf


@dataclass(slots=True)
class Fdc:
    """One Fire Distribution Center: its tracker picture and engagements."""

    name: str
    params: FdcType
    radar_idx: NDArray[np.intp]
    launcher_idx: NDArray[np.intp]
    tracks: TrackTable
    engagements: dict[int, Engagement] = field(default_factory=dict)
    next_cycle_s: float = 0.0
    next_uplink_s: float = 0.0


@dataclass(slots=True)
class Shot:
    """A launch order."""

    launcher_idx: int
    type_idx: int
    track_row: int
    track_id: int
    category: int
    time_to_intercept_s: float


@dataclass(slots=True)
class CycleResult:
    shots: list[Shot]
    ident_changed: NDArray[np.intp]  # track rows whose identification changed


def allowed_shots(
    fdc: Fdc,
    tracks: TrackTable,
    rows: NDArray[np.intp],
    categories: NDArray,
    doctrine: Doctrine,
    now_s: float,
) -> NDArray[np.int64]:
    """Rounds each track may receive now under shot doctrine and kill assessment."""
    out = np.zeros(len(rows), dtype=np.int64)
    for k, row in enumerate(rows):
        per_target = doctrine.shots_per_target.get(CATEGORIES[categories[k]], 0)
        eng = fdc.engagements.get(int(tracks.track_id[row]))
        if eng is None or eng.total_fired == 0:
            out[k] = per_target
        elif eng.in_flight > 0:
            out[k] = max(per_target - eng.salvo_fired, 0)
        elif (
            doctrine.reengage
            and now_s >= eng.last_end_s + fdc.params.kill_assessment_s
            and tracks.time_s[row] > eng.last_end_s
        ):
            eng.salvo_fired = 0
            out[k] = per_target
    return out


def decide(
    fdc: Fdc,
    frame: LocalFrame,
    now_s: float,
    launchers: Launchers,
    planning: PlanningTable,
    asset_pos_m: NDArray,
    asset_radius_m: NDArray,
    asset_value: NDArray,
    doctrine: Doctrine,
    weapons_status: str,
) -> CycleResult:
    """One FDC decision cycle: identification and launch orders."""
    tracks = fdc.tracks
    rows = tracks.confirmed()
    if rows.size == 0:
        return CycleResult([], np.zeros(0, np.intp))
    pos = tracks.position_at(rows, now_s)
    vel = tracks.x[rows, 3:]
    speed = np.linalg.norm(vel, axis=1)
    alt = frame.altitude_m(pos)
    threat = evaluate_threats(pos, vel, asset_pos_m, asset_radius_m, asset_value)
    old_ident = tracks.ident[rows].copy()
    tracks.ident[rows] = identify(
        old_ident,
        tracks.interrogations[rows],
        tracks.civil_replies[rows],
        tracks.friend_replies[rows],
        fdc.params.iff_reply_window,
        threat.inbound,
        speed,
    )
    changed = rows[tracks.ident[rows] != old_ident]
    eligible = (
        may_engage(tracks.ident[rows], weapons_status)
        & threat.inbound
        & (now_s - tracks.born_s[rows] >= fdc.params.detect_to_launch_s)
    )
    if not eligible.any():
        return CycleResult([], changed)
    rows, pos, vel, alt = rows[eligible], pos[eligible], vel[eligible], alt[eligible]
    t_reach = threat.time_to_asset_s[eligible]
    value = threat.value[eligible]
    cats = classify(speed[eligible], alt)
    shots_left = allowed_shots(fdc, tracks, rows, cats, doctrine, now_s)
    busy = sum(1 for e in fdc.engagements.values() if e.in_flight > 0)
    room = fdc.params.max_engagements - busy
    keep = shots_left > 0
    if not keep.any() or room <= 0:
        return CycleResult([], changed)
    rows, pos, vel, t_reach, value, cats, shots_left = (
        a[keep] for a in (rows, pos, vel, t_reach, value, cats, shots_left)
    )
    own = fdc.launcher_idx
    ready = own[launchers.ready(now_s)[own]]
    if ready.size == 0:
        return CycleResult([], changed)
    n_types = len(planning.names)
    pk = np.zeros((ready.size, rows.size, n_types))
    t_int = np.full((ready.size, rows.size, n_types), np.inf)
    for k in range(n_types):
        has = launchers.rounds[ready, k] > 0
        if not has.any():
            continue
        ok, t, _ = launch_acceptability(
            launchers.pos_enu_m[ready],
            pos,
            vel,
            frame.altitude_m,
            mean_speed_mps=planning.mean_speed_mps[k],
            min_range_m=planning.min_range_m[k],
            max_range_m=planning.max_range_m[k],
            max_altitude_m=planning.max_altitude_m[k],
            max_target_speed_mps=planning.max_target_speed_mps[k],
            max_flight_s=planning.max_flight_s[k],
            time_to_asset_s=t_reach,
            flyout=planning.flyout[k] if planning.flyout else None,
            launch_elevation_rad=launchers.launch_elevation_rad[ready],
            radius_m=frame.radius_m,
        )
        ok &= has[:, None]
        pk[:, :, k] = np.where(ok, planning.pk[k, cats][None, :], 0.0)
        t_int[:, :, k] = np.where(ok, t, np.inf)
    # Per launcher and target: the type with the best Pk, the cheapest on a tie.
    score = pk - 1e-12 * planning.cost_usd[None, None, :]
    best_type = np.argmax(score, axis=2)
    pk_best = np.take_along_axis(pk, best_type[..., None], axis=2)[..., 0]
    if doctrine.engagement_priority == "time_to_asset":
        wta_value = value / np.maximum(t_reach, 1.0)
    elif doctrine.engagement_priority == "category":
        rank = {c: len(doctrine.category_order) - i for i, c in enumerate(doctrine.category_order)}
        wta_value = np.array([rank.get(CATEGORIES[c], 0.5) for c in cats], float) * value
    else:
        wta_value = value
    assignment = solve_wta(pk_best, wta_value)
    shots: list[Shot] = []
    given = np.zeros(rows.size, dtype=np.int64)
    new_engagements = 0
    # Best Pk first, so that trimming to the doctrine keeps the best launchers.
    order = np.argsort(-pk_best[np.arange(ready.size), np.maximum(assignment, 0)], kind="stable")
    for w in order:
        j = assignment[w]
        if j < 0 or given[j] >= shots_left[j] or pk_best[w, j] <= 0:
            continue
        tid = int(tracks.track_id[rows[j]])
        eng = fdc.engagements.get(tid)
        starting = eng is None or eng.in_flight == 0
        if starting and given[j] == 0:
            if new_engagements >= room:
                continue
            new_engagements += 1
        given[j] += 1
        k = int(best_type[w, j])
        shots.append(Shot(int(ready[w]), k, int(rows[j]), tid, int(cats[j]), float(t_int[w, j, k])))
    return CycleResult(shots, changed)
