"""The Fire Distribution Center's decision cycle.

Once per FDC cycle: predict confirmed tracks to now, evaluate threats,
identify, classify, decide which tracks doctrine lets it engage now, build the
kill-probability matrix of ready launchers against those tracks from launch
acceptability, solve the weapon-target assignment, and trim it to the shots
doctrine allows per target. The engine carries out the launches.

Engagement bookkeeping per track: rounds in flight and fired in the current
salvo, and when the last round ended. ``assess_kills`` makes the kill
assessment ``kill_assessment_s`` after the last round of a salvo ended: the
target survived if the picture updated its track after that moment, else it
is judged killed. A track is engaged again (the next shot of shoot-look-shoot,
or a new salvo with ``reengage``) only after that assessment found it alive.

Shot doctrine per threat category: shoot-shoot fires ``shots_per_target``
rounds as one salvo; shoot-look-shoot fires them one at a time, each after the
kill assessment of the previous one. With ``reengage`` the FDC keeps engaging
a surviving target after that.

Several FDCs share one picture (``World.picture``): a track that other fire
units are engaging (rounds in flight or a kill assessment pending) is left to
them unless ``doctrine.fire_units_per_target`` allows more units on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.catalog import FdcType, InterceptorType
from samsim.fire_control.engagement import launch_acceptability
from samsim.fire_control.evaluate import (
    ThreatAssessment,
    _threat_kernel,
    threat_scores,
)
from samsim.fire_control.identify import (
    ENGAGEABLE_TABLE,
    ID_CONFIDENCE,
    SUSPECT_RANGE_M,
    classify_one,
    identify_one,
    may_engage,
)
from samsim.fire_control.launchers import Launchers
from samsim.fire_control.pk import geometry_pk
from samsim.fire_control.wta import greedy_wta, solve_wta
from samsim.geo import LocalFrame
from samsim.interceptors.envelope import (
    REACH_SLACK_M,
    REACH_SLACK_S,
    RESERVE,
    ReachTables,
    _solve_kernel,
    arrival_state,
    may_intercept,
    may_intercept_types,
    target_may_reach,
)
from samsim.scenario.models import Doctrine
from samsim.threats.state import CATEGORIES, CATEGORY_CODE
from samsim.tracking.table import CONFIRMED, TrackTable


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
    pk: NDArray  # (types, categories) catalog pk_planning: the Pk at the envelope centre
    cost_usd: NDArray
    # Fly-out tables per type (samsim.interceptors.envelope.FlyoutSet, None for a
    # type no launcher carries); empty: the straight-line planning model.
    flyout: tuple = ()
    # Geometry-dependent Pk (fire_control.pk), used with fly-out tables: the speed at
    # which a type's envelope ends [m/s], the arrival speed of its full Pk [m/s] (NaN:
    # flat Pk), and the fraction of the Pk left at the edge (types, categories).
    edge_speed_mps: NDArray = field(default_factory=lambda: np.zeros(0))
    endgame_speed_mps: NDArray = field(default_factory=lambda: np.zeros(0))
    pk_edge_fraction: NDArray = field(default_factory=lambda: np.zeros((0, 0)))

    def acceptability(
        self,
        k: int,
        frame: LocalFrame,
        launchers: Launchers,
        launcher_idx: NDArray[np.intp],
        pos_m: NDArray,
        vel_mps: NDArray,
        time_to_asset_s: NDArray,
    ) -> tuple[NDArray, NDArray, NDArray]:
        """``launch_acceptability`` of type ``k`` from launchers ``launcher_idx`` on targets."""
        return launch_acceptability(
            launchers.pos_enu_m[launcher_idx],
            pos_m,
            vel_mps,
            frame.altitude_m,
            mean_speed_mps=self.mean_speed_mps[k],
            min_range_m=self.min_range_m[k],
            max_range_m=self.max_range_m[k],
            max_altitude_m=self.max_altitude_m[k],
            max_target_speed_mps=self.max_target_speed_mps[k],
            max_flight_s=self.max_flight_s[k],
            time_to_asset_s=time_to_asset_s,
            flyout=self.flyout[k] if self.flyout else None,
            launch_elevation_rad=launchers.launch_elevation_rad[launcher_idx],
            radius_m=frame.radius_m,
        )

    @classmethod
    def from_catalog(cls, types: dict[str, InterceptorType]) -> PlanningTable:
        names = tuple(types)
        t = [types[n] for n in names]

        def col(attr: str) -> NDArray:
            return np.array([float(getattr(x, attr)) for x in t])

        pk = np.array([[x.pk_planning.get(c, 0.0) for c in CATEGORIES] for x in t])
        edge = np.array([[x.pk_edge_fraction.get(c, 1.0) for c in CATEGORIES] for x in t])
        full = np.array([np.nan if x.endgame_speed_mps is None else x.endgame_speed_mps for x in t])
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
            edge_speed_mps=(1.0 + RESERVE) * col("min_speed_mps"),
            endgame_speed_mps=full,
            pk_edge_fraction=edge,
        )

    def may_reach(
        self,
        k: int,
        launcher_pos_m: NDArray,
        pos_m: NDArray,
        vel_mps: NDArray,
        time_to_asset_s: NDArray,
        radius_m: float,
    ) -> NDArray[np.bool_]:
        """(T,) False where no launcher (L, 3) can accept type ``k`` on a target: a cheap,
        conservative pre-filter of ``acceptability`` (True does not mean acceptable).

        With fly-out tables this is ``envelope.may_intercept``. Without them an
        acceptable launch needs an intercept time t < ``time_to_asset_s`` and
        within ``max_flight_s``, at a predicted intercept point p + v t within
        ``max_range_m``: the target's path up to that time is tested against that
        sphere around each launcher, with ``REACH_SLACK_M`` and ``REACH_SLACK_S``
        to spare.
        """
        n_t = len(pos_m)
        if len(launcher_pos_m) == 0 or n_t == 0:
            return np.zeros(n_t, dtype=bool)
        fs = self.flyout[k] if self.flyout else None
        if fs is not None:
            return may_intercept(fs, launcher_pos_m, pos_m, vel_mps, time_to_asset_s, radius_m).any(
                axis=0
            )
        limit_m = float(self.max_range_m[k])
        t_lim_s = float(self.max_flight_s[k])
        t_end_s = np.fmin(t_lim_s, np.asarray(time_to_asset_s, dtype=float)) + REACH_SLACK_S
        t_end_s = np.maximum(t_end_s, 0.0)
        d = pos_m[None, :, :] - launcher_pos_m[:, None, :]  # (L, T, 3)
        v2 = np.maximum(np.sum(vel_mps * vel_mps, axis=1), 1e-12)
        t_cpa = np.clip(-np.sum(d * vel_mps[None], axis=2) / v2, 0.0, t_end_s)
        miss_m = np.linalg.norm(d + vel_mps[None] * t_cpa[..., None], axis=2)
        return (miss_m <= limit_m + REACH_SLACK_M).any(axis=0)

    def reach_mask(
        self,
        launcher_pos_m: NDArray,
        rounds: NDArray,
        pos_m: NDArray,
        vel_mps: NDArray,
        time_to_asset_s: NDArray,
        radius_m: float,
    ) -> NDArray[np.bool_]:
        """``may_reach`` of every type (K, T) from launchers (L, 3) holding ``rounds`` (L, K)."""
        has = rounds > 0
        n_k = len(self.names)
        if self.flyout:
            tables = ReachTables.of(self.flyout)
            out = may_intercept_types(
                tables, launcher_pos_m, has, pos_m, vel_mps, time_to_asset_s, radius_m
            ).any(axis=1)
            tableless = [k for k in range(n_k) if self.flyout[k] is None]
        else:
            out = np.zeros((n_k, len(pos_m)), dtype=bool)
            tableless = range(n_k)
        for k in tableless:
            if has[:, k].any():
                out[k] = self.may_reach(
                    k, launcher_pos_m[has[:, k]], pos_m, vel_mps, time_to_asset_s, radius_m
                )
        return out

    def pk_of(
        self,
        k: int,
        categories: NDArray,
        ok: NDArray,
        pip_m: NDArray,
        launcher_pos_m: NDArray,
        launch_elevation_rad: NDArray,
        radius_m: float,
    ) -> NDArray:
        """Planning Pk (L, T) of type ``k`` from ready launchers on targets, 0 where not ``ok``.

        With the type's fly-out tables and ``endgame_speed_mps`` the Pk falls toward
        the envelope's edge with the round's speed at the PIP (``fire_control.pk``);
        otherwise it is the catalog ``pk_planning`` of the target's category.
        """
        centre = self.pk[k, categories][None, :]
        fs = self.flyout[k] if self.flyout else None
        if fs is None or self.endgame_speed_mps.size == 0 or np.isnan(self.endgame_speed_mps[k]):
            return np.where(ok, centre, 0.0)
        v_arr, _ = arrival_state(fs, launcher_pos_m, launch_elevation_rad, pip_m, ok, radius_m)
        pk = geometry_pk(
            centre,
            v_arr,
            v_edge_mps=float(self.edge_speed_mps[k]),
            v_full_mps=float(self.endgame_speed_mps[k]),
            edge_fraction=self.pk_edge_fraction[k, categories][None, :],
        )
        return np.where(ok, pk, 0.0)


@dataclass(slots=True)
class Engagement:
    """Engagement of one track by one FDC."""

    in_flight: int = 0
    salvo_fired: int = 0
    total_fired: int = 0
    last_end_s: float = -np.inf
    salvos: int = 0  # salvos started (a shoot-look-shoot shot counts as one)
    assessed: bool = True  # the kill assessment of the last salvo is done
    survived: bool = False  # ... and found the target alive
    look: bool = False  # adaptive doctrine: this salvo is one round, then a look

    @property
    def active(self) -> bool:
        """Rounds in flight or a kill assessment pending."""
        return self.in_flight > 0 or not self.assessed


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
    pk: float = float("nan")  # planning Pk of this launcher and type on the target
    look: bool = False  # adaptive doctrine: one round, then a look (see ``look_feasible``)


@dataclass(slots=True)
class CycleResult:
    shots: list[Shot]
    ident_changed: NDArray[np.intp]  # track rows whose identification changed


def assess_kills(fdc: Fdc, now_s: float) -> list[tuple[int, bool]]:
    """Kill assessments due now: (track id, survived) for each.

    A salvo is assessed ``kill_assessment_s`` after its last round ended; the
    target survived if its track (in the shared picture) was updated after the
    round ended. A track no longer in the picture is judged killed.
    """
    out: list[tuple[int, bool]] = []
    tracks = fdc.tracks
    for tid, eng in fdc.engagements.items():
        if (
            eng.assessed
            or eng.in_flight > 0
            or now_s < eng.last_end_s + fdc.params.kill_assessment_s
        ):
            continue
        row = tracks.row_of(tid)
        eng.assessed = True
        eng.survived = bool(row >= 0 and tracks.time_s[row] > eng.last_end_s)
        out.append((tid, eng.survived))
    return out


def allowed_shots(
    fdc: Fdc,
    tracks: TrackTable,
    rows: NDArray[np.intp],
    categories: NDArray,
    doctrine: Doctrine,
    now_s: float,
) -> NDArray[np.int64]:
    """Rounds each track may receive now under shot doctrine and kill assessment.

    The adaptive doctrine counts as shoot-shoot here for a new salvo (``decide``
    cuts it to one round where ``look_feasible``); a salvo under way keeps the
    choice made when it started (``Engagement.look``).
    """
    out = np.zeros(len(rows), dtype=np.int64)
    for k, row in enumerate(rows):
        cat = CATEGORIES[categories[k]]
        per_target = doctrine.shots_per_target.get(cat, 0)
        name = doctrine.shot_doctrine_of(cat)
        eng = fdc.engagements.get(int(tracks.track_id[row]))
        look = name == "shoot_look_shoot" or (
            name == "adaptive" and eng is not None and eng.in_flight > 0 and eng.look
        )
        salvo = min(per_target, 1) if look else per_target
        if eng is None or eng.total_fired == 0:
            out[k] = salvo
        elif eng.in_flight > 0:
            out[k] = max(salvo - eng.salvo_fired, 0)
        elif not eng.assessed:
            continue
        elif tracks.time_s[row] > eng.last_end_s:
            # Seen alive after the last round ended (at the assessment or since): the
            # next shot of shoot-look-shoot, or a new salvo.
            looked = name == "shoot_look_shoot" or (name == "adaptive" and eng.look)
            if doctrine.reengage:
                out[k] = salvo
            elif looked:  # the rest of the shoot-look-shoot engagement
                spent = max(eng.salvos, eng.total_fired)
                out[k] = max(min(salvo, per_target - spent), 0)
            elif eng.salvos < 1:
                out[k] = salvo
    return out


def held_by_others(fdcs: list[Fdc], f_idx: int) -> dict[int, int]:
    """Track id -> number of other fire units engaging it now (active engagements)."""
    out: dict[int, int] = {}
    for g, other in enumerate(fdcs):
        if g == f_idx:
            continue
        for tid, eng in other.engagements.items():
            if eng.in_flight > 0 or not eng.assessed:  # Engagement.active, inlined
                out[tid] = out.get(tid, 0) + 1
    return out


@dataclass(slots=True)
class PictureView:
    """What an FDC sees in its picture at one time: confirmed tracks, threats, identities.

    Every fire unit on one shared picture sees the same, so the engine computes
    it once per decision time (``view_picture``) and hands it to each FDC.
    """

    time_s: float
    rows: NDArray[np.intp]  # confirmed track rows
    pos: NDArray  # (k, 3) ENU position at time_s [m]
    vel: NDArray  # (k, 3) ENU velocity [m/s]
    threat: ThreatAssessment
    ident: NDArray[np.int8]  # (k,) identification after this look
    changed: NDArray[np.intp]  # track rows whose identification changed at this look
    categories: NDArray[np.int8]  # (k,) kinematic threat category

    def seen_again(self) -> PictureView:
        """The same view for another FDC: the identification changes are reported once."""
        return PictureView(
            self.time_s,
            self.rows,
            self.pos,
            self.vel,
            self.threat,
            self.ident,
            np.zeros(0, np.intp),
            self.categories,
        )


def view_picture(
    tracks: TrackTable,
    frame: LocalFrame,
    now_s: float,
    asset_pos_m: NDArray,
    asset_radius_m: NDArray,
    asset_value: NDArray,
    doctrine: Doctrine,
    iff_reply_window: int,
) -> PictureView:
    """Predict the confirmed tracks to now, evaluate threats and (re)identify them.

    Updates ``tracks.ident`` of the confirmed rows in place (identification
    only escalates, so a second call at the same time changes nothing).
    """
    rows = tracks.confirmed()
    pos = tracks.position_at(rows, now_s)
    vel = tracks.x[rows, 3:]
    speed = speed_mps(vel)
    alt = frame.altitude_m(pos) if rows.size else np.zeros(0)
    k, n_a = rows.size, len(asset_pos_m)
    threat = ThreatAssessment(
        np.empty(k, np.intp), np.empty(k), np.empty(k), np.empty((k, n_a)), np.empty(k)
    )
    ident = np.empty(k, tracks.ident.dtype)
    changed = np.empty(k, dtype=bool)
    categories = np.empty(k, dtype=np.int8)
    # evaluate_threats, identify (escalating tracks.ident in place) and classify, in one
    # compiled pass over the few dozen confirmed tracks.
    _picture_kernel(
        rows,
        np.ascontiguousarray(pos, dtype=np.float64),
        np.ascontiguousarray(vel, dtype=np.float64),
        np.ascontiguousarray(speed, dtype=np.float64),
        np.ascontiguousarray(alt, dtype=np.float64),
        np.ascontiguousarray(asset_pos_m, dtype=np.float64),
        np.ascontiguousarray(asset_radius_m, dtype=np.float64),
        np.ascontiguousarray(asset_value, dtype=np.float64),
        tracks.ident,
        tracks.interrogations,
        tracks.civil_replies,
        tracks.friend_replies,
        int(iff_reply_window),
        float(doctrine.hostile_time_s),
        _CATEGORY_CODES,
        threat.asset_idx,
        threat.time_to_asset_s,
        threat.value,
        threat.time_by_asset_s,
        threat.closing_m,
        ident,
        changed,
        categories,
    )
    return PictureView(now_s, rows, pos, vel, threat, ident, rows[changed], categories)


_CATEGORY_CODES = np.array(
    [CATEGORY_CODE[c] for c in ("aircraft", "cruise_missile", "drone", "ballistic")], np.int8
)


@jit
def _picture_kernel(
    rows,
    pos,
    vel,
    speed,
    alt,
    a_pos,
    a_radius,
    a_value,
    t_ident,
    interrogations,
    civil,
    friend,
    window,
    hostile_s,
    codes,
    asset_idx,
    t_asset,
    value,
    t_by,
    closing_m,
    ident,
    changed,
    categories,
):  # pragma: no cover - compiled
    """``view_picture`` after the prediction: ``evaluate_threats``, then per track
    ``identify`` (closing within ``SUSPECT_RANGE_M``; committed when inbound and due
    within ``hostile_s``) written back to ``t_ident``, and ``classify``."""
    _threat_kernel(pos, vel, a_pos, a_radius, a_value, asset_idx, t_asset, value, t_by, closing_m)
    for j in range(rows.shape[0]):
        r = rows[j]
        old = t_ident[r]
        inbound = asset_idx[j] >= 0
        new = identify_one(
            old,
            interrogations[r],
            civil[r],
            friend[r],
            window,
            True,
            closing_m[j] <= SUSPECT_RANGE_M,
            inbound,
            inbound and t_asset[j] <= hostile_s,
            speed[j],
        )
        t_ident[r] = new
        ident[j] = new
        changed[j] = new != old
        categories[j] = classify_one(speed[j], alt[j], codes[0], codes[1], codes[2], codes[3])


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
    engaged_elsewhere: dict[int, int] | None = None,
    view: PictureView | None = None,
) -> CycleResult:
    """One FDC decision cycle: identification and launch orders.

    ``engaged_elsewhere`` maps track ids to the number of other fire units
    engaging them now (``held_by_others``); such a track is left alone when
    ``doctrine.fire_units_per_target`` units already engage it. ``view`` is
    the picture as ``view_picture`` saw it at ``now_s`` (computed here if None).
    """
    tracks = fdc.tracks
    if view is None:
        view = view_picture(
            tracks,
            frame,
            now_s,
            asset_pos_m,
            asset_radius_m,
            asset_value,
            doctrine,
            fdc.params.iff_reply_window,
        )
    rows, pos, vel, threat, ident = view.rows, view.pos, view.vel, view.threat, view.ident
    changed = view.changed
    if rows.size == 0:
        return CycleResult([], changed)
    reach_all = None
    if planning.flyout:
        # Most cycles: nothing eligible, no launcher ready, or every eligible track still
        # far beyond reach. One compiled pass says so (see ``_cycle_reach``).
        reach_all = _cycle_reach(
            fdc, now_s, launchers, planning, doctrine, weapons_status, engaged_elsewhere, view,
            frame.radius_m,
        )  # fmt: skip
        if reach_all is None:
            return CycleResult([], changed)
        # Next most: the tracks in reach are engaged already (rounds in flight, or a kill
        # assessment pending), or the unit has no engagement to spare.
        busy = sum(1 for e in fdc.engagements.values() if e.in_flight > 0)
        if fdc.params.max_engagements - busy <= 0:
            return CycleResult([], changed)
        cand = np.flatnonzero(reach_all.any(axis=0))
        shots = allowed_shots(fdc, tracks, rows[cand], view.categories[cand], doctrine, now_s)
        if not (shots > 0).any():
            return CycleResult([], changed)
    eligible = (
        may_engage(ident, weapons_status)
        & threat.inbound
        & (now_s - tracks.born_s[rows] >= fdc.params.detect_to_launch_s)
    )
    if engaged_elsewhere:
        limit = doctrine.fire_units_per_target
        if limit <= 0:
            eligible[:] = False
        else:
            tids = tracks.track_id[rows]
            for tid, units in engaged_elsewhere.items():
                if units >= limit:
                    eligible &= tids != tid
    if not eligible.any():
        return CycleResult([], changed)
    cats_all = view.categories
    if doctrine.magazine_reserve:
        own_rounds = int(launchers.rounds[fdc.launcher_idx].sum())
        reserve = np.array(
            [doctrine.magazine_reserve.get(CATEGORIES[c], 0) for c in cats_all], np.int64
        )
        eligible &= own_rounds > reserve
        if not eligible.any():
            return CycleResult([], changed)
    own = fdc.launcher_idx
    ready = own[launchers.ready(now_s)[own]]
    if ready.size == 0:
        return CycleResult([], changed)
    sel = np.flatnonzero(eligible)
    rows, pos, vel = rows[sel], pos[sel], vel[sel]
    t_reach = threat.time_to_asset_s[sel]
    # The reach pre-filter per type (K, T); computed here for a planning table without
    # fly-out tables.
    n_types = len(planning.names)
    if reach_all is not None:
        reach = reach_all[:, sel]
    else:
        reach = planning.reach_mask(
            launchers.pos_enu_m[ready], launchers.rounds[ready], pos, vel, t_reach, frame.radius_m
        )
    if not reach.any():
        return CycleResult([], changed)
    value = threat.value[sel]
    cats = cats_all[sel]
    if doctrine.engagement_priority == "threat":
        weight = np.array([doctrine.threat_weight.get(CATEGORIES[c], 1.0) for c in cats])
        wta_value = threat_scores(
            threat.time_by_asset_s[sel],
            asset_value,
            weight,
            ID_CONFIDENCE[ident[sel]],
            doctrine.urgency_s,
        )
    elif doctrine.engagement_priority == "time_to_asset":
        wta_value = value / np.maximum(t_reach, 1.0)
    elif doctrine.engagement_priority == "category":
        rank = {c: len(doctrine.category_order) - i for i, c in enumerate(doctrine.category_order)}
        wta_value = np.array([rank.get(CATEGORIES[c], 0.5) for c in cats], float) * value
    else:
        wta_value = value
    shots_left = allowed_shots(fdc, tracks, rows, cats, doctrine, now_s)
    busy = sum(1 for e in fdc.engagements.values() if e.in_flight > 0)
    room = fdc.params.max_engagements - busy
    keep = shots_left > 0
    if not keep.any() or room <= 0:
        return CycleResult([], changed)
    rows, pos, vel, t_reach, wta_value, cats, shots_left = (
        a[keep] for a in (rows, pos, vel, t_reach, wta_value, cats, shots_left)
    )
    reach = reach[:, keep]
    pk = np.zeros((ready.size, rows.size, n_types))
    t_int = np.full((ready.size, rows.size, n_types), np.inf)
    for k in range(n_types):
        has = launchers.rounds[ready, k] > 0
        # Acceptability is per launcher and target: computed on the targets the
        # pre-filter lets through, the others stay at Pk 0.
        cols = np.flatnonzero(reach[k])
        if not has.any() or cols.size == 0:
            continue
        ok, t, pip = planning.acceptability(
            k, frame, launchers, ready, pos[cols], vel[cols], t_reach[cols]
        )
        ok &= has[:, None]
        if not ok.any():  # Pk 0 and no intercept time: as initialised
            continue
        pk[:, cols, k] = planning.pk_of(
            k,
            cats[cols],
            ok,
            pip,
            launchers.pos_enu_m[ready],
            launchers.launch_elevation_rad[ready],
            frame.radius_m,
        )
        t_int[:, cols, k] = np.where(ok, t, np.inf)
    if not (pk > 0).any():  # no launch acceptable: nothing to assign
        return CycleResult([], changed)
    best_type = choose_types(pk, planning.cost_usd, doctrine)
    pk_best = np.take_along_axis(pk, best_type[..., None], axis=2)[..., 0]
    if doctrine.assignment == "greedy":
        assignment = greedy_wta(pk_best, wta_value)
    else:
        assignment = solve_wta(pk_best, wta_value)
    shots: list[Shot] = []
    given = np.zeros(rows.size, dtype=np.int64)
    new_engagements = 0
    # Best Pk first, so that trimming to the doctrine keeps the best launchers.
    order = np.argsort(-pk_best[np.arange(ready.size), np.maximum(assignment, 0)], kind="stable")
    look = _adaptive_looks(
        fdc, frame, launchers, planning, doctrine, rows, pos, vel, t_reach, cats,
        assignment, order, pk_best, best_type, t_int,
    )  # fmt: skip
    shots_left = np.where(look, np.minimum(shots_left, 1), shots_left)
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
        shots.append(
            Shot(
                int(ready[w]),
                k,
                int(rows[j]),
                tid,
                int(cats[j]),
                float(t_int[w, j, k]),
                float(pk[w, j, k]),
                bool(look[j]),
            )
        )
    return CycleResult(shots, changed)


_NO_IDS = np.zeros(0, dtype=np.int64)


def _cycle_reach(
    fdc: Fdc,
    now_s: float,
    launchers: Launchers,
    planning: PlanningTable,
    doctrine: Doctrine,
    weapons_status: str,
    engaged_elsewhere: dict[int, int] | None,
    view: PictureView,
    radius_m: float,
) -> NDArray[np.bool_] | None:
    """``PlanningTable.reach_mask`` (K, k) of the unit's ready launchers on the view's
    tracks that may be engaged now (False for the others), or None if it is all False.

    Eligible here: what the rules of engagement allow, inbound, past the detect-to-launch
    delay and not held by enough other units (the magazine reserve is left to ``decide``:
    this is a superset). A type without fly-out tables is marked reachable wherever a
    ready launcher holds it, so that ``decide`` computes its acceptability in full.
    """
    blocked = _NO_IDS
    if engaged_elsewhere:
        limit = doctrine.fire_units_per_target
        if limit <= 0:
            return None
        ids = [tid for tid, units in engaged_elsewhere.items() if units >= limit]
        if ids:
            blocked = np.array(ids, dtype=np.int64)
    tracks = fdc.tracks
    tables = ReachTables.of(planning.flyout)
    reach = np.empty((len(planning.names), view.rows.size), dtype=bool)
    found = _cycle_reach_kernel(
        view.ident,
        ENGAGEABLE_TABLE[weapons_status],
        view.threat.asset_idx,
        view.threat.time_to_asset_s,
        view.rows,
        tracks.born_s,
        tracks.track_id,
        float(now_s),
        float(fdc.params.detect_to_launch_s),
        blocked,
        fdc.launcher_idx,
        launchers.rounds,
        launchers.next_ready_s,
        launchers.reload_done_s,
        launchers.pos_enu_m,
        np.ascontiguousarray(view.pos),
        np.ascontiguousarray(view.vel),
        float(radius_m),
        *tables.kernel_columns(),
        reach,
    )
    return reach if found else None


_MAY_REACH, _NO_TABLES = 1, 2  # _type_reach's answers besides 0 (cannot reach)


@jit
def _eligible(j, allowed, ident, asset_idx, rows, born_s, now_s, detect_s):  # pragma: no cover
    """Whether view track ``j`` may be engaged at all: its identity is allowed, it
    threatens an asset, and it was detected at least ``detect_s`` before ``now_s``."""
    return allowed[ident[j]] and asset_idx[j] >= 0 and now_s - born_s[rows[j]] >= detect_s


@jit
def _type_reach(
    l_pos, has, pos, vel, t_asset, j, k, radius, reach_m, height_m, n_bins, n_height,
    t_max_s, max_speed, seeker_m, col,
):  # pragma: no cover - compiled  # fmt: skip
    """Whether type ``k`` on the ready launchers (``l_pos``, ``has``) may reach view
    track ``j``: ``_MAY_REACH`` where the fly-out tables say it may
    (``target_may_reach``), ``_NO_TABLES`` where the type has no tables and a ready
    launcher holds it (left to the full computation), 0 otherwise."""
    if n_height[k] < 2:
        for a in range(has.shape[0]):
            if has[a, k]:
                return _NO_TABLES
        return 0
    if target_may_reach(
        l_pos, has, pos, vel, t_asset, j, k, radius, reach_m, height_m, n_bins, n_height,
        t_max_s, max_speed, seeker_m, col,
    ):  # fmt: skip
        return _MAY_REACH
    return 0


@jit
def _cycle_reach_kernel(
    ident,
    allowed,
    asset_idx,
    t_asset,
    rows,
    born_s,
    track_id,
    now_s,
    detect_s,
    blocked,
    own,
    rounds,
    next_ready_s,
    reload_done_s,
    launcher_pos,
    pos,
    vel,
    radius,
    reach_m,
    height_m,
    n_bins,
    n_height,
    t_max_s,
    max_speed,
    seeker_m,
    reach,
):  # pragma: no cover - compiled
    n_k = reach.shape[0]
    _, l_pos, has = _unit_ready(own, rounds, next_ready_s, reload_done_s, launcher_pos, now_s, n_k)
    n_ready = l_pos.shape[0]
    col = np.empty(n_ready, dtype=np.bool_)
    found = False
    for j in range(rows.shape[0]):
        for k in range(n_k):
            reach[k, j] = False
        if n_ready == 0:
            continue
        if not _eligible(j, allowed, ident, asset_idx, rows, born_s, now_s, detect_s):
            continue
        r = rows[j]
        held = False
        for tid in blocked:
            if track_id[r] == tid:
                held = True
        if held:
            continue
        for k in range(n_k):
            reach[k, j] = _type_reach(
                l_pos, has, pos, vel, t_asset, j, k, radius, reach_m, height_m, n_bins,
                n_height, t_max_s, max_speed, seeker_m, col,
            ) > 0  # fmt: skip
            found = found or reach[k, j]
    return found


@jit
def _unit_ready(
    own, rounds, next_ready_s, reload_done_s, launcher_pos, now_s, n_k
):  # pragma: no cover - compiled
    """Rows (n,) and positions (n, 3) [m] of a unit's ready launchers (``Launchers.ready``)
    among ``own``, and the types (n, n_k) each holds."""
    ready = np.empty(own.shape[0], dtype=np.int64)
    n_ready = 0
    for i in range(own.shape[0]):
        ln = own[i]
        total = 0
        for k in range(rounds.shape[1]):
            total += rounds[ln, k]
        if total > 0 and next_ready_s[ln] <= now_s and np.isnan(reload_done_s[ln]):
            ready[n_ready] = ln
            n_ready += 1
    l_pos = np.empty((n_ready, 3))
    has = np.empty((n_ready, n_k), dtype=np.bool_)
    for a in range(n_ready):
        for c in range(3):
            l_pos[a, c] = launcher_pos[ready[a], c]
        for k in range(n_k):
            has[a, k] = rounds[ready[a], k] > 0
    return ready[:n_ready], l_pos, has


def speed_mps(vel_mps: NDArray) -> NDArray:
    """Speeds [m/s] of velocity rows (k, 3), the squares summed as written, not by a
    reduction whose order may follow the CPU's vector width (``norm_order`` repeats it)."""
    v = vel_mps
    return np.sqrt((v[:, 0] * v[:, 0] + v[:, 1] * v[:, 1]) + v[:, 2] * v[:, 2])


@jit
def norm_order(x, y, z):  # pragma: no cover - compiled
    """|(x, y, z)| summed in the order of ``speed_mps``."""
    return np.sqrt((x * x + y * y) + z * z)


@jit
def altitude_order(x, y, z, radius):  # pragma: no cover - compiled
    """``LocalFrame.altitude_m`` of one ENU point [m]: its distance from the sphere's centre
    (0, 0, -radius) less the radius, summed in its order."""
    ex, ny, uz = x - 0.0, y - 0.0, z - (-radius)
    return np.sqrt((ex * ex + uz * uz) + ny * ny) - radius


@jit
def _sums_kernel(pos, vel, radius, speed, alt):  # pragma: no cover - compiled
    for j in range(pos.shape[0]):
        speed[j] = norm_order(vel[j, 0], vel[j, 1], vel[j, 2])
        alt[j] = altitude_order(pos[j, 0], pos[j, 1], pos[j, 2], radius)


def compiled_sums_match(frame: LocalFrame, n: int = 2048, seed: int = 0) -> bool:
    """Whether ``norm_order`` and ``altitude_order`` give, bit for bit, what
    ``speed_mps`` and ``frame.altitude_m`` give on this machine, on ``n`` random
    vectors over six orders of magnitude. Both sides sum in the same written order,
    so this holds wherever compiled and numpy arithmetic are both plain IEEE; it
    is a guard (the compiled picture is used only where it holds)."""
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n, 3)) * 10.0 ** rng.uniform(0.0, 6.0, size=(n, 3))
    vel = rng.normal(size=(n, 3)) * 10.0 ** rng.uniform(-1.0, 4.0, size=(n, 3))
    speed, alt = np.empty(n), np.empty(n)
    _sums_kernel(pos, vel, float(frame.radius_m), speed, alt)
    return bool(
        np.array_equal(speed, speed_mps(vel)) and np.array_equal(alt, frame.altitude_m(pos))
    )


@jit
def cycle_screen_kernel(
    status,
    x,
    time_s,
    born_s,
    t_ident,
    interrogations,
    civil,
    friend,
    now_s,
    radius,
    window,
    hostile_s,
    a_pos,
    a_radius,
    a_value,
    rounds,
    next_ready_s,
    reload_done_s,
    reloads_left,
    launcher_pos,
    own_all,
    own_start,
    due,
    detect_s,
    allowed,
    reach_m,
    height_m,
    n_bins,
    n_height,
    t_max_s,
    max_speed,
    seeker_m,
    rows,
    pos,
    vel,
    asset_idx,
    t_asset,
    value,
    t_by,
    closing_m,
    ident,
    changed,
    categories,
    may_shoot,
):  # pragma: no cover - compiled
    """``view_picture`` of a shared picture, then, per fire unit due to decide, whether
    ``_cycle_reach`` could find anything with no track held by other units.

    Fills the view's arrays (``rows`` ... ``categories``, first k rows, capacity-sized
    buffers) and ``may_shoot`` (n_fdc,): False where ``decide`` of that unit, with the
    launchers as they are now, returns no launch order whatever the other units engage.
    Returns k (confirmed tracks) and whether any launcher has a reload left or under way.
    Unit f's launchers are ``own_all[own_start[f]:own_start[f + 1]]``; ``due`` (n_fdc,)
    the units to screen, ``detect_s`` (n_fdc,) their detect-to-launch delays [s].
    """
    k = 0
    for r in range(status.shape[0]):
        if status[r] == CONFIRMED:
            rows[k] = r
            k += 1
    speed = np.empty(k)
    alt = np.empty(k)
    for j in range(k):
        r = rows[j]
        dt = now_s - time_s[r]
        for c in range(3):
            pos[j, c] = x[r, c] + x[r, 3 + c] * dt
            vel[j, c] = x[r, 3 + c]
        speed[j] = norm_order(vel[j, 0], vel[j, 1], vel[j, 2])
        alt[j] = altitude_order(pos[j, 0], pos[j, 1], pos[j, 2], radius)
    _picture_kernel(
        rows[:k],
        pos[:k],
        vel[:k],
        speed,
        alt,
        a_pos,
        a_radius,
        a_value,
        t_ident,
        interrogations,
        civil,
        friend,
        window,
        hostile_s,
        _CATEGORY_CODES,
        asset_idx[:k],
        t_asset[:k],
        value[:k],
        t_by[:k],
        closing_m[:k],
        ident[:k],
        changed[:k],
        categories[:k],
    )
    any_reload = False
    for ln in range(reloads_left.shape[0]):
        if reloads_left[ln] > 0 or not np.isnan(reload_done_s[ln]):
            any_reload = True
    n_k = n_height.shape[0]
    for f in range(due.shape[0]):
        may_shoot[f] = False
        if not due[f] or k == 0:
            continue
        _, l_pos, has = _unit_ready(
            own_all[own_start[f] : own_start[f + 1]],
            rounds,
            next_ready_s,
            reload_done_s,
            launcher_pos,
            now_s,
            n_k,
        )
        n_ready = l_pos.shape[0]
        if n_ready == 0:
            continue
        col = np.empty(n_ready, dtype=np.bool_)
        for j in range(k):
            if not _eligible(j, allowed, ident, asset_idx, rows, born_s, now_s, detect_s[f]):
                continue
            for kk in range(n_k):
                if _type_reach(
                    l_pos, has, pos, vel, t_asset, j, kk, radius, reach_m, height_m, n_bins,
                    n_height, t_max_s, max_speed, seeker_m, col,
                ):  # fmt: skip
                    may_shoot[f] = True
                if may_shoot[f]:
                    break
            if may_shoot[f]:
                break
    return k, any_reload


@jit
def accept_screen_kernel(
    k_view,
    ident,
    allowed,
    asset_idx,
    t_asset,
    rows,
    born_s,
    now_s,
    detect_s,
    own,
    rounds,
    next_ready_s,
    reload_done_s,
    launcher_pos,
    elevation_idx,
    pos,
    vel,
    radius,
    reach_m,
    height_m,
    n_bins,
    n_height,
    t_max_s,
    max_speed,
    seeker_m,
    grids,
    min_accel,
    min_range,
    acceptable,
):  # pragma: no cover - compiled
    """The tracks of the view (first ``k_view`` rows) on which some ready launcher of a
    unit (``own``) has a launch ``solve_intercepts`` accepts, among those the unit may
    engage now and ``_cycle_reach`` lets through with no track held by other units:
    ``decide`` of the unit orders launches on no other track. Marks them in
    ``acceptable`` (k_view,) and returns their number; a track a type without fly-out
    tables could reach is marked too (``decide`` says). ``elevation_idx`` (L, K): each
    launcher's table per type (``FlyoutSet.elevation_index``); ``grids``: per type its
    ``FlyoutSet.grids``, ``min_accel`` and ``min_range`` (K,) its planning limits."""
    n_k = n_height.shape[0]
    ready, l_pos, has = _unit_ready(
        own, rounds, next_ready_s, reload_done_s, launcher_pos, now_s, n_k
    )
    n_ready = ready.shape[0]
    for j in range(k_view):
        acceptable[j] = False
    if n_ready == 0:
        return 0
    cand = np.zeros((n_k, k_view), dtype=np.bool_)
    col = np.empty(n_ready, dtype=np.bool_)
    for j in range(k_view):
        if not _eligible(j, allowed, ident, asset_idx, rows, born_s, now_s, detect_s):
            continue
        for kk in range(n_k):
            code = _type_reach(
                l_pos, has, pos, vel, t_asset, j, kk, radius, reach_m, height_m, n_bins,
                n_height, t_max_s, max_speed, seeker_m, col,
            )  # fmt: skip
            if code == _NO_TABLES:  # accepted as the full computation would
                acceptable[j] = True
            else:
                cand[kk, j] = code == _MAY_REACH
    for kk in range(n_k):
        n_t = 0
        for j in range(k_view):
            n_t += cand[kk, j]
        n_l = 0
        for a in range(n_ready):
            n_l += has[a, kk]
        if n_t == 0 or n_l == 0:
            continue
        lp = np.empty((n_l, 3))
        le = np.empty(n_l, dtype=np.int64)
        i = 0
        for a in range(n_ready):
            if has[a, kk]:
                for c in range(3):
                    lp[i, c] = l_pos[a, c]
                le[i] = elevation_idx[ready[a], kk]
                i += 1
        tp = np.empty((n_t, 3))
        tv = np.empty((n_t, 3))
        ta = np.empty(n_t)
        i = 0
        for j in range(k_view):
            if cand[kk, j]:
                for c in range(3):
                    tp[i, c] = pos[j, c]
                    tv[i, c] = vel[j, c]
                ta[i] = t_asset[j]
                i += 1
        ok = np.zeros((n_l, n_t), dtype=np.bool_)
        t_out = np.empty((n_l, n_t))
        pip = np.empty((n_l, n_t, 3))
        g = grids[kk]
        _solve_kernel(
            lp,
            le,
            tp,
            tv,
            ta,
            radius,
            g[0],
            g[1],
            g[2],
            g[3],
            g[4],
            g[5],
            min_accel[kk],
            min_range[kk],
            max_speed[kk],
            ok,
            t_out,
            pip,
        )
        i = 0
        for j in range(k_view):
            if cand[kk, j]:
                for a in range(n_l):
                    if ok[a, i]:
                        acceptable[j] = True
                i += 1
    n = 0
    for j in range(k_view):
        n += acceptable[j]
    return n


def _adaptive_looks(
    fdc: Fdc,
    frame: LocalFrame,
    launchers: Launchers,
    planning: PlanningTable,
    doctrine: Doctrine,
    rows: NDArray[np.intp],
    pos: NDArray,
    vel: NDArray,
    t_reach: NDArray,
    cats: NDArray,
    assignment: NDArray[np.intp],
    order: NDArray[np.intp],
    pk_best: NDArray,
    best_type: NDArray[np.intp],
    t_int: NDArray,
) -> NDArray[np.bool_]:
    """Targets (k,) whose new salvo under the adaptive doctrine is one round, then a look.

    For each target of an ``adaptive`` category that starts a salvo this cycle,
    the first launcher in ``order`` assigned to it sets the round's time to
    intercept; ``look_feasible`` then says whether a second engagement could
    still start after that round's kill assessment.
    """
    look = np.zeros(rows.size, dtype=bool)
    adaptive = {c for c, name in doctrine.shot_doctrine.items() if name == "adaptive"}
    if not adaptive:
        return look
    first_t = np.full(rows.size, np.nan)
    for w in order:
        j = assignment[w]
        if j < 0 or pk_best[w, j] <= 0 or not np.isnan(first_t[j]):
            continue
        if CATEGORIES[cats[j]] not in adaptive:
            continue
        eng = fdc.engagements.get(int(fdc.tracks.track_id[rows[j]]))
        if eng is not None and eng.in_flight > 0:
            continue
        first_t[j] = t_int[w, j, best_type[w, j]]
    cand = np.flatnonzero(np.isfinite(first_t))
    if cand.size == 0:
        return look
    delay_s = first_t[cand] + fdc.params.kill_assessment_s + fdc.params.cycle_s
    look[cand] = look_feasible(
        frame,
        launchers,
        fdc.launcher_idx,
        planning,
        pos[cand],
        vel[cand],
        t_reach[cand],
        cats[cand],
        delay_s,
    )
    return look


def look_feasible(
    frame: LocalFrame,
    launchers: Launchers,
    launcher_idx: NDArray[np.intp],
    planning: PlanningTable,
    pos_m: NDArray,
    vel_mps: NDArray,
    time_to_asset_s: NDArray,
    categories: NDArray,
    delay_s: NDArray,
) -> NDArray[np.bool_]:
    """Whether a second engagement of each target (k,) can start ``delay_s`` (k,) from now.

    Shot arithmetic: a round of kill probability p fired alone, then a look and
    a second round if the first missed, kills with the same 1 - (1 - p)^2 as a
    two-round salvo but spends 2 - p rounds on average instead of 2, provided
    the second round still has a launch that intercepts before the threat
    reaches its asset. That is what this checks: the target flown on its
    present velocity for ``delay_s`` (the first round's time to intercept, the
    kill assessment and one decision cycle), against the launch acceptability
    of the fire unit's launchers that hold at least one round of a type with a
    planning Pk on the target's category, with the time left to the asset.
    Launchers of the unit that will be empty by then are not known here: a unit
    needs two rounds in all.
    """
    later_pos = pos_m + vel_mps * delay_s[:, None]
    later_reach = time_to_asset_s - delay_s
    out = np.zeros(len(pos_m), dtype=bool)
    own = launcher_idx[launchers.rounds[launcher_idx].sum(axis=1) > 0]
    if own.size == 0 or int(launchers.rounds[launcher_idx].sum()) < 2:
        return out
    for k in range(len(planning.names)):
        has = own[launchers.rounds[own, k] > 0]
        if has.size == 0:
            continue
        ok, _, _ = planning.acceptability(k, frame, launchers, has, later_pos, vel_mps, later_reach)
        out |= ok.any(axis=0) & (planning.pk[k, categories] > 0)
    return out & (later_reach > 0)


def choose_types(pk: NDArray, cost_usd: NDArray, doctrine: Doctrine) -> NDArray[np.intp]:
    """Interceptor type per launcher and target (L, T) from Pk (L, T, K) and unit cost (K,).

    ``best_pk``: the best Pk, the cheapest on a tie. ``cost_effective``: the
    cheapest type whose Pk is within ``pk_tolerance`` of the best (so a close
    target draws the short-range IR round, a far one the only type that reaches
    it), the better Pk on a tie.
    """
    if doctrine.interceptor_choice == "best_pk":
        return np.argmax(pk - 1e-12 * cost_usd[None, None, :], axis=2)
    best = pk.max(axis=2, keepdims=True)
    good = (pk > 0) & (pk >= best - doctrine.pk_tolerance - 1e-12)
    score = np.where(good, cost_usd[None, None, :] - 1e-6 * pk, np.inf)
    return np.argmin(score, axis=2)
