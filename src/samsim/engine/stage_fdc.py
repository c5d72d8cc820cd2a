"""Engine stage for the FDCs: kill assessments, decision cycles, launches, uplinks, reloads.

FDCs decide one after the other within a step, each seeing the engagements the
ones before it just started, so that fire units sharing the picture do not
double-engage (``fire_control.fdc.held_by_others``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from samsim._jit import jit
from samsim.engine.stage_interceptors import icpt_name
from samsim.engine.stage_sensors import track_name
from samsim.fire_control import Engagement, decide, fire_round, service_reloads
from samsim.fire_control.evaluate import ThreatAssessment
from samsim.fire_control.fdc import (
    PictureView,
    PlanningTable,
    accept_screen_kernel,
    allowed_shots,
    assess_kills,
    compiled_sums_match,
    cycle_screen_kernel,
    held_by_others,
    norm_order,
    view_picture,
)
from samsim.fire_control.identify import ENGAGEABLE_TABLE, ID_NAMES
from samsim.fire_control.launchers import Launchers
from samsim.geo import LocalFrame
from samsim.interceptors import FLYING
from samsim.interceptors.envelope import ReachTables
from samsim.threats import ALLEGIANCE_NAMES
from samsim.tracking import CONFIRMED, FREE
from samsim.world import World

LAUNCH_SPEED_MPS = 40.0
HANDOVER_M = 2000.0


def fdc_stage(w: World, t_s: float) -> None:
    """FDC decision cycles that are due, launches, datalink uplinks and reloads.

    Fire units on the shared picture see the same tracks, threats and
    identities at one time: that view is computed once and handed to each
    (the first FDC reports the identification changes).

    Most decision cycles end without a launch order: one compiled call per step
    (``fdc.cycle_screen_kernel``) computes the view and says which units could
    launch at all; ``decide`` runs only for those. The uplinks are compiled too
    (``_uplink_kernel``). Same events in the same order as
    ``fdc_stage_reference``, which also serves worlds the screen does not cover.
    """
    scr = _screen_of(w)
    if scr is None:
        fdc_stage_reference(w, t_s)
        return
    fdcs = w.fdcs
    soon = t_s + 1e-9
    due, up = scr.due, scr.up
    n_due = n_up = 0
    for f_idx, fdc in enumerate(fdcs):
        due[f_idx] = cycle = soon >= fdc.next_cycle_s
        up[f_idx] = uplink = soon >= fdc.next_uplink_s
        n_due += cycle
        n_up += uplink
    if not n_due and not n_up:
        return
    # Uplinks of every unit due, up to the first round whose track is gone: that handover
    # and the rest of the uplinks wait for the unit's turn (``cut``: where they resume).
    # Nothing in a unit's turn changes another unit's rounds or the picture.
    cut_f, cut_r = _uplink_from(w, up, 0, 0, t_s) if n_up else (len(fdcs), 0)
    if not n_due:
        for f_idx, fdc in enumerate(fdcs):
            if up[f_idx]:
                fdc.next_uplink_s = t_s + fdc.params.datalink_period_s
                while cut_f == f_idx:
                    cut_f, cut_r = _hand_over(w, up, f_idx, cut_r, t_s)
        return
    tracks = w.fdcs[0].tracks
    k, any_reload = _screen(w, scr, t_s)
    rows = scr.rows[:k]
    changed = rows[scr.changed[:k]]
    may_shoot = scr.may_shoot.tolist()
    due_list = due.tolist()
    for f_idx, fdc in enumerate(fdcs):
        if up[f_idx]:
            fdc.next_uplink_s = t_s + fdc.params.datalink_period_s
            while cut_f == f_idx:
                cut_f, cut_r = _hand_over(w, up, f_idx, cut_r, t_s)
        if not due_list[f_idx]:
            continue
        fdc.next_cycle_s = t_s + fdc.params.cycle_s
        # Reloads serviced now: the screen saw the launchers before them.
        stale = any_reload and _reloads(w, fdc, t_s)
        _kill_assessments(w, fdc, t_s)
        shots = []
        if stale or (may_shoot[f_idx] and _may_launch(w, scr, f_idx, k, t_s)):
            shots = _decide(w, f_idx, t_s, scr.view(t_s, k, changed)).shots
        _identified(w, tracks, changed, t_s)
        changed = _NO_ROWS  # the first unit reports the identification changes
        for shot in shots:
            _launch(w, f_idx, shot, t_s)


def _reloads(w: World, fdc, t_s: float) -> bool:
    """Service this unit's reloads if any is left or under way (events for those
    done); whether there was any to service."""
    if not _may_reload(w, fdc.launcher_idx):
        return False
    for L in service_reloads(w.launchers, t_s, fdc.launcher_idx):
        w.events.add(t_s, "reload", w.launchers.name[L], "", w.launchers.pos_enu_m[L])
    return True


def _kill_assessments(w: World, fdc, t_s: float) -> None:
    """The unit's kill assessments that are due, as events."""
    if not fdc.engagements:
        return
    for tid, survived in assess_kills(fdc, t_s):
        row = fdc.tracks.row_of(tid)
        w.events.add(
            t_s,
            "kill_assessment",
            track_name(tid),
            fdc.name,
            fdc.tracks.x[row, :3] if row >= 0 else np.full(3, np.nan),
            "survived" if survived else "killed",
        )


def _decide(w: World, f_idx: int, t_s: float, view: PictureView):
    """``decide`` for unit ``f_idx`` on the World's picture ``view``."""
    fdcs = w.fdcs
    return decide(
        fdcs[f_idx],
        w.frame,
        t_s,
        w.launchers,
        w.planning,
        w.assets.pos_enu_m,
        w.assets.radius_m,
        w.assets.value,
        w.scenario.doctrine,
        w.weapons_status,
        held_by_others(fdcs, f_idx) if len(fdcs) > 1 else None,
        view,
    )


def _identified(w: World, tracks, rows: np.ndarray, t_s: float) -> None:
    """``track_identified`` events of picture rows whose identity changed."""
    for row in rows.tolist() if rows.size else ():
        obj = int(tracks.truth_idx[row])
        w.events.add(
            t_s,
            "track_identified",
            track_name(tracks.track_id[row]),
            w.air.name[obj] if obj >= 0 else "clutter",
            tracks.x[row, :3],
            ID_NAMES[tracks.ident[row]],
        )


_NO_ROWS = np.zeros(0, np.intp)


@dataclass(slots=True)
class _Screen:
    """What ``fdc_stage`` keeps of one World between steps: the units' constants for
    ``cycle_screen_kernel`` and its output buffers (capacity-sized, reused)."""

    # The World this is of, told by identity: its FDCs, planning table, launchers, frame.
    fdcs: list
    planning: PlanningTable
    launchers: Launchers
    frame: LocalFrame
    radius_m: float
    iff_reply_window: int
    own_all: np.ndarray  # launcher rows of every unit, unit after unit
    own_start: np.ndarray  # (n_fdc + 1,) where each unit's rows start in own_all
    detect_s: np.ndarray  # (n_fdc,) detect-to-launch delay [s]
    tables: ReachTables
    elevation_idx: np.ndarray  # (L, K) each launcher's fly-out table per type
    grids: tuple  # per type its FlyoutSet.grids (stand-ins for a type without tables)
    min_accel_mps2: np.ndarray  # (K,)
    min_range_m: np.ndarray  # (K,)
    n_assets: int
    ident_dtype: np.dtype
    due: np.ndarray  # (n_fdc,) units whose decision cycle is due this step
    up: np.ndarray  # (n_fdc,) units whose datalink uplink is due this step
    may_shoot: np.ndarray  # (n_fdc,)
    rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    pos: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    vel: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    asset_idx: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    t_asset: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    value: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    t_by: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    closing_m: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    ident: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    changed: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    categories: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    acceptable: np.ndarray = field(default_factory=lambda: _NO_ROWS)

    def fit(self, capacity: int) -> None:
        """Buffers for a track table of ``capacity`` rows."""
        if self.rows.shape[0] >= capacity:
            return
        c = capacity
        self.rows = np.empty(c, np.intp)
        self.pos = np.empty((c, 3))
        self.vel = np.empty((c, 3))
        self.asset_idx = np.empty(c, np.intp)
        self.t_asset = np.empty(c)
        self.value = np.empty(c)
        self.t_by = np.empty((c, self.n_assets))
        self.closing_m = np.empty(c)
        self.ident = np.empty(c, self.ident_dtype)
        self.changed = np.empty(c, np.bool_)
        self.categories = np.empty(c, np.int8)
        self.acceptable = np.empty(c, np.bool_)

    def view(self, t_s: float, k: int, changed: np.ndarray) -> PictureView:
        """The ``PictureView`` the screen computed (its first k rows; valid this step)."""
        threat = ThreatAssessment(
            self.asset_idx[:k], self.t_asset[:k], self.value[:k], self.t_by[:k], self.closing_m[:k]
        )
        return PictureView(
            t_s,
            self.rows[:k],
            self.pos[:k],
            self.vel[:k],
            threat,
            self.ident[:k],
            changed,
            self.categories[:k],
        )


_LAST_SCREEN: list = [None]  # the last World's _Screen (worlds run one after another)


# Fly-out grids of a type without tables, for the kernels' per-type tuple (never read).
_NO_GRIDS = (np.zeros(2), np.zeros(2), np.zeros((1, 2, 2)), np.zeros((1, 2, 2)),
             np.zeros((1, 2, 2)), np.zeros((1, 2, 2)))  # fmt: skip


def _screen(w: World, scr: _Screen, t_s: float) -> tuple[int, bool]:
    """``cycle_screen_kernel`` on the World's picture at ``t_s`` for the units ``scr.due``:
    the view in ``scr``'s buffers, ``scr.may_shoot``; returns the number of confirmed
    tracks and whether any launcher has a reload left or under way."""
    tracks = w.fdcs[0].tracks
    scr.fit(tracks.capacity)
    ln = w.launchers
    tab = scr.tables
    return cycle_screen_kernel(
        tracks.status,
        tracks.x,
        tracks.time_s,
        tracks.born_s,
        tracks.ident,
        tracks.interrogations,
        tracks.civil_replies,
        tracks.friend_replies,
        float(t_s),
        scr.radius_m,
        scr.iff_reply_window,
        float(w.scenario.doctrine.hostile_time_s),
        w.assets.pos_enu_m,
        w.assets.radius_m,
        w.assets.value,
        ln.rounds,
        ln.next_ready_s,
        ln.reload_done_s,
        ln.reloads_left,
        ln.pos_enu_m,
        scr.own_all,
        scr.own_start,
        scr.due,
        scr.detect_s,
        ENGAGEABLE_TABLE[w.weapons_status],
        *tab.kernel_columns(),
        scr.rows,
        scr.pos,
        scr.vel,
        scr.asset_idx,
        scr.t_asset,
        scr.value,
        scr.t_by,
        scr.closing_m,
        scr.ident,
        scr.changed,
        scr.categories,
        scr.may_shoot,
    )


def _may_launch(w: World, scr: _Screen, f_idx: int, k: int, t_s: float) -> bool:
    """False if ``decide`` of unit ``f_idx`` on the step's view (k tracks) orders no launch:
    no track with an acceptable launch (``accept_screen_kernel``) that doctrine allows a
    shot now (``allowed_shots``) and not enough other units engage (``held_by_others``),
    or no engagement to spare. True does not mean a launch."""
    fdc = w.fdcs[f_idx]
    if not _acceptable(w, scr, f_idx, k, t_s):
        return False
    busy = sum(1 for e in fdc.engagements.values() if e.in_flight > 0)
    if fdc.params.max_engagements - busy <= 0:
        return False
    idx = np.flatnonzero(scr.acceptable[:k])
    rows = scr.rows[idx]
    doctrine = w.scenario.doctrine
    shots = allowed_shots(fdc, fdc.tracks, rows, scr.categories[idx], doctrine, t_s)
    if not (shots > 0).any():
        return False
    held = held_by_others(w.fdcs, f_idx) if len(w.fdcs) > 1 else None
    if not held:
        return True
    limit = doctrine.fire_units_per_target
    if limit <= 0:
        return False
    blocked = {tid for tid, units in held.items() if units >= limit}
    tids = fdc.tracks.track_id[rows].tolist()
    return any(n > 0 and tid not in blocked for n, tid in zip(shots.tolist(), tids, strict=True))


def _acceptable(w: World, scr: _Screen, f_idx: int, k: int, t_s: float) -> int:
    """``accept_screen_kernel`` of unit ``f_idx`` on the step's view (k tracks) into
    ``scr.acceptable``."""
    fdc = w.fdcs[f_idx]
    ln = w.launchers
    tab = scr.tables
    return accept_screen_kernel(
        k,
        scr.ident,
        ENGAGEABLE_TABLE[w.weapons_status],
        scr.asset_idx,
        scr.t_asset,
        scr.rows,
        fdc.tracks.born_s,
        float(t_s),
        float(fdc.params.detect_to_launch_s),
        scr.own_all[scr.own_start[f_idx] : scr.own_start[f_idx + 1]],
        ln.rounds,
        ln.next_ready_s,
        ln.reload_done_s,
        ln.pos_enu_m,
        scr.elevation_idx,
        scr.pos,
        scr.vel,
        scr.radius_m,
        *tab.kernel_columns(),
        scr.grids,
        scr.min_accel_mps2,
        scr.min_range_m,
        scr.acceptable,
    )


_SUMS_MATCH: dict[float, bool] = {}  # compiled_sums_match by sphere radius [m]


def _sums_match(frame: LocalFrame) -> bool:
    radius_m = float(frame.radius_m)
    if radius_m not in _SUMS_MATCH:
        _SUMS_MATCH[radius_m] = compiled_sums_match(frame)
    return _SUMS_MATCH[radius_m]


def _screen_of(w: World) -> _Screen | None:
    """The World's ``_Screen``; None where the screen does not apply (planning without
    fly-out tables, units on different pictures or IFF windows, shared launchers, or
    numpy summing in another order than the compiled view, ``compiled_sums_match``)."""
    scr = _LAST_SCREEN[0]
    if (
        scr is not None
        and scr.fdcs is w.fdcs
        and scr.planning is w.planning
        and scr.launchers is w.launchers
        and scr.frame is w.frame
    ):
        return scr
    fdcs = w.fdcs
    a = w.assets
    ln = w.launchers
    flyout = w.planning.flyout
    own = [np.asarray(f.launcher_idx, np.int64) for f in fdcs]
    own_all = np.concatenate(own) if own else np.zeros(0, np.int64)
    ok = (
        len(fdcs) > 0
        and bool(w.planning.flyout)
        and all(f.tracks is fdcs[0].tracks for f in fdcs)
        and len({f.params.iff_reply_window for f in fdcs}) == 1
        and len(np.unique(own_all)) == own_all.size
        and all(
            x.dtype == np.float64 and x.flags.c_contiguous
            for x in (a.pos_enu_m, a.radius_m, a.value)
        )
        and _sums_match(w.frame)
    )
    if not ok:
        _LAST_SCREEN[0] = None
        return None
    scr = _Screen(
        fdcs,
        w.planning,
        ln,
        w.frame,
        float(w.frame.radius_m),
        int(fdcs[0].params.iff_reply_window),
        own_all,
        np.cumsum([0] + [len(o) for o in own]).astype(np.int64),
        np.array([float(f.params.detect_to_launch_s) for f in fdcs]),
        ReachTables.of(flyout),
        np.stack(
            [
                np.zeros(ln.n, np.int64)
                if fs is None
                else fs.elevation_index(ln.launch_elevation_rad)
                for fs in flyout
            ],
            axis=1,
        ),
        tuple(_NO_GRIDS if fs is None else fs.grids for fs in flyout),
        np.array([0.0 if fs is None else float(fs.min_accel_mps2) for fs in flyout]),
        np.array([0.0 if fs is None else float(fs.min_range_m) for fs in flyout]),
        len(a.pos_enu_m),
        fdcs[0].tracks.ident.dtype,
        np.zeros(len(fdcs), np.bool_),
        np.zeros(len(fdcs), np.bool_),
        np.zeros(len(fdcs), np.bool_),
    )
    _LAST_SCREEN[0] = scr
    return scr


def _hand_over(w: World, up: np.ndarray, f_idx: int, r: int, t_s: float) -> tuple:
    """Round ``r`` of unit ``f_idx`` lost its track: ``_uplink``'s handover and uplink of
    that round, then the uplinks from the next row on (``_uplink_from``)."""
    fdc = w.fdcs[f_idx]
    tracks = fdc.tracks
    tr = _handover(w, fdc, r, t_s)
    if tr >= 0:
        icpt = w.icpt
        x = tracks.x[tr]
        icpt.est_pos_m[r] = x[:3] + x[3:] * (t_s - tracks.time_s[tr])
        icpt.est_vel_mps[r] = x[3:]
        icpt.est_time_s[r] = t_s
    return _uplink_from(w, up, f_idx, r + 1, t_s)


def _uplink_from(w: World, up: np.ndarray, f_from: int, r_from: int, t_s: float) -> tuple:
    """``_uplink_kernel`` of the World's units ``up`` from unit ``f_from``, row ``r_from``."""
    icpt = w.icpt
    tracks = w.fdcs[0].tracks
    return _uplink_kernel(
        up,
        f_from,
        r_from,
        icpt.n_used,
        icpt.phase,
        icpt.fdc_idx,
        icpt.track_id,
        icpt.est_pos_m,
        icpt.est_vel_mps,
        icpt.est_time_s,
        tracks.status,
        tracks.track_id,
        tracks.x,
        tracks.time_s,
        float(t_s),
        FLYING,
        HANDOVER_M,
    )


@jit
def _uplink_kernel(
    up,
    f_from,
    r_from,
    n_used,
    phase,
    fdc_idx,
    icpt_track_id,
    est_pos,
    est_vel,
    est_time,
    status,
    track_id,
    x,
    time_s,
    now_s,
    flying,
    handover_m,
):  # pragma: no cover - compiled
    """The datalink uplinks (``_uplink``) of the units ``up`` (n_fdc,) on one picture, unit
    after unit from unit ``f_from`` (its rounds from row ``r_from`` on): each ``flying``
    round of the unit gets its track's state predicted to ``now_s`` (the first live row
    holding the track number). Stops at the first round whose track is gone and that
    ``_handover`` may hand over (a confirmed track within ``handover_m`` [m]), and
    returns (unit, row); (n_fdc, 0) when all are done."""
    for f in range(f_from, up.shape[0]):
        if not up[f]:
            continue
        for r in range(r_from if f == f_from else 0, n_used):
            if phase[r] != flying or fdc_idx[r] != f:
                continue
            tid = icpt_track_id[r]
            tr = -1
            for row in range(status.shape[0]):
                if status[row] != FREE and track_id[row] == tid:
                    tr = row
                    break
            if tr < 0:
                # ``_handover`` changes nothing when no confirmed track lies within
                # handover_m of where the round expects its target (NaN: let it say).
                dte = now_s - est_time[r]
                ex = est_pos[r, 0] + est_vel[r, 0] * dte
                ey = est_pos[r, 1] + est_vel[r, 1] * dte
                ez = est_pos[r, 2] + est_vel[r, 2] * dte
                for row in range(status.shape[0]):
                    if status[row] == CONFIRMED:
                        dt = now_s - time_s[row]
                        d = norm_order(
                            (x[row, 0] + x[row, 3] * dt) - ex,
                            (x[row, 1] + x[row, 4] * dt) - ey,
                            (x[row, 2] + x[row, 5] * dt) - ez,
                        )
                        if not d > handover_m:
                            return f, r
                continue
            dt = now_s - time_s[tr]
            for c in range(3):
                est_pos[r, c] = x[tr, c] + x[tr, 3 + c] * dt
                est_vel[r, c] = x[tr, 3 + c]
            est_time[r] = now_s
    return up.shape[0], 0


def fdc_stage_reference(w: World, t_s: float) -> None:
    """``fdc_stage`` without the compiled screen and uplink: every due unit runs
    ``decide`` on a ``view_picture`` (the reference the fast path is tested against)."""
    views: dict[tuple[int, int], PictureView] = {}
    # Rounds flying at the start of the stage: an FDC's uplink serves its own, and the
    # rounds an FDC launches here are its own too (after its uplink).
    flying = None
    any_reload = None
    for f_idx, fdc in enumerate(w.fdcs):
        if t_s + 1e-9 >= fdc.next_uplink_s:
            fdc.next_uplink_s = t_s + fdc.params.datalink_period_s
            if flying is None:
                flying = w.icpt.flying()
            if flying.size:
                _uplink(w, f_idx, t_s, flying)
        if t_s + 1e-9 < fdc.next_cycle_s:
            continue
        fdc.next_cycle_s = t_s + fdc.params.cycle_s
        # Reload state changes only in service_reloads, gated here: one look at every
        # launcher per step, then each unit's own only if some reload is left or under way.
        if any_reload is None:
            any_reload = _may_reload(w, slice(None))
        if any_reload:
            _reloads(w, fdc, t_s)
        _kill_assessments(w, fdc, t_s)
        key = (id(fdc.tracks), fdc.params.iff_reply_window)
        view = views.get(key)
        if view is None:
            view = views[key] = view_picture(
                fdc.tracks,
                w.frame,
                t_s,
                w.assets.pos_enu_m,
                w.assets.radius_m,
                w.assets.value,
                w.scenario.doctrine,
                fdc.params.iff_reply_window,
            )
        else:
            view = view.seen_again()
        res = _decide(w, f_idx, t_s, view)
        _identified(w, fdc.tracks, res.ident_changed, t_s)
        for shot in res.shots:
            _launch(w, f_idx, shot, t_s)


def _may_reload(w: World, launcher_idx: np.ndarray | slice) -> bool:
    """Whether any of these launchers has a reload left or under way (else nothing to service)."""
    ln = w.launchers
    return bool(
        (ln.reloads_left[launcher_idx] > 0).any()
        or (~np.isnan(ln.reload_done_s[launcher_idx])).any()
    )


def _uplink(w: World, f_idx: int, t_s: float, flying: np.ndarray | None = None) -> None:
    """Send each flying interceptor its track's latest estimate.

    When its track was dropped and a new confirmed track lies within
    ``HANDOVER_M`` of where the interceptor expects its target, the FDC hands the
    engagement over to that track, so that it is not engaged again as new.
    ``flying``: the flying rounds (``Interceptors.flying``) if known.
    """
    icpt = w.icpt
    fdc = w.fdcs[f_idx]
    tracks = fdc.tracks
    rows = icpt.flying() if flying is None else flying
    rows = rows[icpt.fdc_idx[rows] == f_idx]
    if rows.size == 0:
        return
    # Row of each live track number (``TrackTable.row_of``: the first such row).
    live = np.flatnonzero(tracks.status != FREE)[::-1]
    row_of = dict(zip(tracks.track_id[live].tolist(), live.tolist(), strict=True))
    for r in rows:
        tid = int(icpt.track_id[r])  # read each time: a handover moves other rounds too
        tr = row_of.get(tid, -1)
        if tr < 0:
            tr = _handover(w, fdc, r, t_s)
            if tr < 0:
                continue
        x = tracks.x[tr]
        icpt.est_pos_m[r] = x[:3] + x[3:] * (t_s - tracks.time_s[tr])
        icpt.est_vel_mps[r] = x[3:]
        icpt.est_time_s[r] = t_s


def _handover(w: World, fdc, r: int, t_s: float) -> int:
    icpt = w.icpt
    tracks = fdc.tracks
    conf = tracks.confirmed()
    if conf.size == 0:
        return -1
    expected = icpt.est_pos_m[r] + icpt.est_vel_mps[r] * (t_s - icpt.est_time_s[r])
    d = np.linalg.norm(tracks.position_at(conf, t_s) - expected, axis=1)
    best = int(np.argmin(d))
    if d[best] > HANDOVER_M:
        return -1
    old_id, new_id = int(icpt.track_id[r]), int(tracks.track_id[conf[best]])
    icpt.track_id[r] = new_id
    old = fdc.engagements.pop(old_id, None)
    if old is not None:
        eng = fdc.engagements.get(new_id)
        if eng is None:
            fdc.engagements[new_id] = old
        else:
            eng.in_flight += old.in_flight
            eng.salvo_fired += old.salvo_fired
            eng.total_fired += old.total_fired
            eng.salvos = max(eng.salvos, old.salvos)
            eng.last_end_s = max(eng.last_end_s, old.last_end_s)
            eng.assessed = eng.assessed and old.assessed
        # Other rounds still flying on the old track follow it to the new one.
        others = icpt.flying()
        icpt.track_id[
            others[(icpt.track_id[others] == old_id) & (icpt.fdc_idx[others] == icpt.fdc_idx[r])]
        ] = new_id
    w.events.add(
        t_s,
        "track_handover",
        track_name(old_id),
        track_name(new_id),
        expected,
        f"distance_m={d[best]:.0f};fdc={fdc.name}",
    )
    return int(conf[best])


def _launch(w: World, f_idx: int, shot, t_s: float) -> None:
    fdc = w.fdcs[f_idx]
    tracks = fdc.tracks
    L = shot.launcher_idx
    fire_round(w.launchers, L, shot.type_idx, t_s)
    icpt = w.icpt
    r = icpt.n_used
    if r >= icpt.capacity:
        return
    icpt.n_used += 1
    pos = w.launchers.pos_enu_m[L]
    target = tracks.position_at(np.array([shot.track_row]), t_s)[0]
    axes = w.frame.local_axes(pos)
    rel = axes @ (target - pos)
    az = math.atan2(rel[0], rel[1])
    el = w.launchers.launch_elevation_rad[L]
    local_dir = np.array([math.cos(el) * math.sin(az), math.cos(el) * math.cos(az), math.sin(el)])
    tab = w.icpt_table
    icpt.type_idx[r] = shot.type_idx
    icpt.phase[r] = FLYING
    icpt.pos_enu_m[r] = pos
    icpt.vel_enu_mps[r] = LAUNCH_SPEED_MPS * (axes.T @ local_dir)
    icpt.mass_kg[r] = tab.mass_kg[shot.type_idx]
    icpt.launch_time_s[r] = t_s
    icpt.launcher_idx[r] = L
    icpt.fdc_idx[r] = f_idx
    icpt.track_id[r] = shot.track_id
    icpt.est_pos_m[r] = target
    icpt.est_vel_mps[r] = tracks.x[shot.track_row, 3:]
    icpt.est_time_s[r] = t_s
    icpt.locked_idx[r] = -1
    icpt.accel_cmd_mps2[r] = 0.0
    eng = fdc.engagements.setdefault(shot.track_id, Engagement())
    if eng.in_flight == 0:  # a new salvo (or the next shot of shoot-look-shoot)
        eng.salvo_fired = 0
        eng.salvos += 1
        eng.look = shot.look
    eng.assessed = False
    eng.in_flight += 1
    eng.salvo_fired += 1
    eng.total_fired += 1
    obj = int(tracks.truth_idx[shot.track_row])
    truth = w.air.name[obj] if obj >= 0 else "clutter"
    allegiance = ALLEGIANCE_NAMES[w.air.allegiance[obj]] if obj >= 0 else "none"
    w.engaged_truth.append(obj)
    w.events.add(
        t_s,
        "engage",
        track_name(shot.track_id),
        w.launchers.name[L],
        target,
        f"truth={truth};allegiance={allegiance};tti_s={shot.time_to_intercept_s:.1f};"
        f"fdc={fdc.name};ident={ID_NAMES[tracks.ident[shot.track_row]]}",
    )
    w.events.add(
        t_s, "launch", icpt_name(w, r), track_name(shot.track_id), pos, w.launchers.name[L]
    )
