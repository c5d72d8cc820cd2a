"""Run one replication: the step loop over the stages, then its metrics.

Multi-rate: the World advances in steps of ``scenario.step_s`` while an
interceptor nears its target; interceptors take ``INTERCEPTOR_SUBSTEPS``
sub-steps inside each while in their end-game; radars and trackers run every
``SENSOR_PERIOD_S`` over the sector the beams swept meanwhile, each detection
stamped with the time the beam passed; FDCs decide on their own cycle.

Coarse steps: while every interceptor in flight is in mid-course (farther
from every air object than its end-game if its seeker is locked, than its
seeker's range if not, and than any warning receiver's range, by what they
can close within the step and a margin) or none flies, one step spans up
to the next sensor period boundary. Threat flight integrates its turns,
climbs and ballistic arcs over any step, and interceptors fly mid-course in
sub-steps of the fly-out tables' step whatever the engine step. A coarse step
is cut short at the next threat launch or weapons-status change, so that
these happen at the same step as with fine steps; objects weaving in their
end-game keep fine steps. While nothing flies and no track is held the clock
jumps straight to the next launch (false alarms in such empty stretches are
not simulated).

Fused step: on flat earth (no DEM) the threat, seeker and fly-out part of a
step, with the choice of its span, is one compiled call (``FusedStep``,
``_fused_kernel``) that does what ``_quiet`` (all but the track check),
``_coarse_span``, ``threat_stage`` and ``interceptor_stage`` do, in their
order and with the same random draws (the kill stream is advanced inside the
kernel, ``interceptors.pcg``); Python then applies the doctrine changes due and
writes the events of what happened. ``FUSED = False`` runs the stage functions
one by one (as over terrain); tests/engine/test_fused_step.py checks that both
give the same World after every step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from samsim._jit import jit
from samsim.catalog import Catalog
from samsim.engine.stage_fdc import fdc_stage
from samsim.engine.stage_interceptors import (
    ENDGAME_S,
    MIDCOURSE_STEP_S,
    _seek,
    end_events,
    interceptor_stage,
    seeker_events,
)
from samsim.engine.stage_sensors import sensor_and_track_stage
from samsim.engine.stage_threats import doctrine_stage, threat_events, threat_stage, wind_enu_mps
from samsim.geo.relief import relief
from samsim.interceptors.flyout import _fly_kernel
from samsim.interceptors.pcg import fill_random, fill_standard_normal, set_state_words, state_words
from samsim.interceptors.state import DONE, NO_END
from samsim.scenario.models import Scenario
from samsim.threats.flight import _CALM, _FLAT, _step_kernel
from samsim.threats.state import ARRIVED, FLYING, HOSTILE, KILLED, LEAKED, PENDING
from samsim.world import World, build_world

INTERCEPTOR_SUBSTEPS = 10
SENSOR_PERIOD_S = 1.0
FUSED = True  # run the steps through ``FusedStep`` (False: the stage functions one by one)


@dataclass(slots=True)
class Paths:
    """Positions sampled every ``period_s`` for plots and replay (ENU, NaN when absent)."""

    period_s: float
    time_s: NDArray[np.float64]  # (T,)
    air_enu_m: NDArray[np.float32]  # (T, n, 3)
    interceptor_enu_m: NDArray[np.float32]  # (T, c, 3)


@dataclass(slots=True)
class ReplicationResult:
    """Outcome of one replication."""

    replication: int
    seed: int
    metrics: dict
    events: pa.Table
    paths: Paths | None = None
    world: World | None = None


def run_replication(
    sc: Scenario,
    cat: Catalog,
    replication: int = 0,
    seed: int | None = None,
    *,
    record_paths: bool = False,
    path_period_s: float = 1.0,
    keep_world: bool = False,
    on_step: Callable[[World, float], None] | None = None,
) -> ReplicationResult:
    """Simulate one replication of a scenario and measure it.

    ``on_step(world, t_s)``, if given, is called after every engine step with
    the time reached; it must only read the World (progress bars, recording
    radar tracks). An exception it raises ends the replication (cancellation).
    """
    wall0 = time.perf_counter()
    w = build_world(sc, cat, replication, seed)
    dt = sc.step_s
    n_steps = math.ceil(sc.duration_s / dt - 1e-9)
    sensor_every = max(1, round(SENSOR_PERIOD_S / dt))
    samples_t: list[float] = []
    samples_air: list[NDArray] = []
    samples_icpt: list[NDArray] = []
    next_sample = 0.0
    max_span = sensor_every
    if record_paths:
        max_span = min(max_span, max(1, math.floor(path_period_s / dt + 1e-9)))
    fused = None
    if FUSED and relief(w.terrain) is None:
        fused = FusedStep(w, dt, n_steps, sensor_every, max_span)
    k = 0
    while k < n_steps:
        t0 = k * dt
        # The fused step returns 0, doing nothing, when no object and no round flies.
        span = 0 if fused is None else fused.step(w, k, True)
        if span == 0:
            if _quiet(w):
                pending = w.air.launch_time_s[w.air.fate == PENDING]
                if pending.size == 0:
                    break
                k_next = max(k, math.floor(float(pending.min()) / dt + 1e-9))
                if k_next > k:
                    k = k_next
                    continue
            if fused is not None:
                span = fused.step(w, k, False)
        if fused is None:
            span = _coarse_span(w, k, dt, sensor_every, max_span, n_steps)
            t1 = (k + span) * dt  # not t0 + dt, which drifts from the next step's t0
            doctrine_stage(w, t0)
            pos0 = threat_stage(w, t0, t1)
            interceptor_stage(w, pos0, t0, t1 - t0, INTERCEPTOR_SUBSTEPS)
        else:
            t1 = (k + span) * dt
        if (k + span) % sensor_every == 0:
            sensor_and_track_stage(w, t1, dt * sensor_every)
        fdc_stage(w, t1)
        if record_paths and t1 + 1e-9 >= next_sample:
            next_sample = t1 + path_period_s
            samples_t.append(t1)
            air = np.where(w.air.flying[:, None], w.air.pos_enu_m, np.nan)
            ic = np.where((w.icpt.phase == 1)[:, None], w.icpt.pos_enu_m, np.nan)
            samples_air.append(air.astype(np.float32))
            samples_icpt.append(ic.astype(np.float32))
        if on_step is not None:
            on_step(w, t1)
        k += span
    if fused is not None:
        fused.finish(w)
    metrics = measure(w)
    metrics["wall_s"] = time.perf_counter() - wall0
    paths = None
    if record_paths:
        n, c = w.air.n, w.icpt.capacity
        paths = Paths(
            path_period_s,
            np.array(samples_t),
            np.array(samples_air).reshape(-1, n, 3),
            np.array(samples_icpt).reshape(-1, c, 3),
        )
    return ReplicationResult(
        replication, w.seed, metrics, w.events.to_table(w.frame), paths, w if keep_world else None
    )


# FusedStep's constant columns of AirObjects and InterceptorTable, in _fused_kernel's order.
_AIR_CONST = (
    "inv_2beta", "warning_range_m", "speed_mps", "max_climb_mps", "max_turn_mps2",
    "cruise_alt_m", "terminal_alt_m", "terminal_range_m", "dive_rad", "weave_mps2",
    "weave_period_s", "weave_range_m", "weave_phase_rad",
)  # fmt: skip
_TAB_CONST = ("seeker_range_m", "seeker_gimbal_rad", "canister_clear_s", "seeker_k_factor")
_FLAT_E0, _FLAT_N0, _FLAT_CELL = _FLAT.east0_m, _FLAT.north0_m, _FLAT.cell_m
_FLAT_H = _FLAT.height_m


@jit
def _int_views(ibuf, n, cap):  # pragma: no cover - compiled
    """FusedStep's int64 buffers: evasion starts (n,), air events (3, n), round events
    (3, cap, 3)."""
    started = ibuf[:n]
    ev_air = ibuf[n : 4 * n].reshape((3, n))
    ev_icpt = ibuf[4 * n : 4 * n + 9 * cap].reshape((3, cap, 3))
    return started, ev_air, ev_icpt


@jit
def _float_views(fbuf, n, cap):  # pragma: no cover - compiled
    """FusedStep's float buffers: positions at the step's start (n, 3), evasion
    distances (n,), round positions at lock or loss (cap, 3), end times (cap,)."""
    pos0 = fbuf[: 3 * n].reshape((n, 3))
    dist = fbuf[3 * n : 4 * n]
    ev_pos = fbuf[4 * n : 4 * n + 3 * cap].reshape((cap, 3))
    ev_t = fbuf[4 * n + 3 * cap : 4 * n + 4 * cap]
    return pos0, dist, ev_pos, ev_t


class FusedStep:
    """One engine step of threats and interceptors in one compiled call (``_fused_kernel``).

    Does what ``_quiet`` (the part that reads no track), ``_coarse_span``,
    ``threat_stage`` and ``interceptor_stage`` do, in the same order and with the
    same random draws: the kill stream's PCG64 state is advanced inside the
    kernel (``interceptors.pcg``) and handed back to ``w.rng["kill"]`` by
    ``finish``. The per-World arrays are gathered once; Python only runs the
    doctrine changes that are due and the events of what happened. Flat earth
    only (seekers masked by terrain run in ``seeker.acquire``).
    """

    __slots__ = (
        "args", "changes", "dist", "dt", "ev_air", "ev_icpt", "ev_pos", "ev_t", "fbuf", "ibuf",
        "n_changes", "pos0", "rng_words", "started",
    )  # fmt: skip

    def __init__(self, w: World, dt_s: float, n_steps: int, sensor_every: int, max_span: int):
        air, icpt, tab = w.air, w.icpt, w.icpt_table
        n, cap = air.n, icpt.capacity
        self.dt = dt_s
        self.changes = sorted(w.scenario.doctrine.status_changes, key=lambda c: c.time_s)
        self.n_changes = len(self.changes)
        change_t = np.array([c.time_s for c in w.scenario.doctrine.status_changes], np.float64)
        wind = wind_enu_mps(w)
        self.rng_words = state_words(w.rng["kill"])
        # Output buffers, two arrays of views (fewer arguments: numba unboxes each one).
        self.ibuf = np.zeros(4 * n + 9 * cap, np.int64)
        self.fbuf = np.zeros(4 * n + 4 * cap)
        self.started, self.ev_air, self.ev_icpt = _int_views(self.ibuf, n, cap)
        self.pos0, self.dist, self.ev_pos, self.ev_t = _float_views(self.fbuf, n, cap)
        # Constant columns, packed for the same reason (nothing changes them during a run).
        air_c = np.stack([getattr(air, name) for name in _AIR_CONST]).astype(np.float64)
        tab_c = np.stack([getattr(tab, name) for name in _TAB_CONST]).astype(np.float64)
        ipar = np.array([n_steps, sensor_every, max_span, INTERCEPTOR_SUBSTEPS], np.int64)
        fpar = np.array([dt_s, w.frame.radius_m])
        self.args = (
            ipar, fpar, change_t, _CALM if wind is None else np.asarray(wind, dtype=float),
            air.fate, air.launch_time_s, air.fate_time_s, air.pos_enu_m, air.vel_enu_mps,
            air.acc_enu_mps2, air.wp_idx, air.evade_dir,
            air_c, air.ballistic, air.route_enu_m, air.route_alt_m, air.route_len,
            air.target_asset,
            icpt.phase, icpt.end, icpt.type_idx, icpt.pos_enu_m, icpt.vel_enu_mps, icpt.mass_kg,
            icpt.launch_time_s, icpt.est_pos_m, icpt.est_vel_mps, icpt.est_time_s,
            icpt.locked_idx, icpt.accel_cmd_mps2, icpt.miss_m, icpt.end_time_s,
            tab.kernel, tab.cd_mach, tab.cd_value, tab_c, tab.lock_before_launch,
            self.rng_words, self.ibuf, self.fbuf,
        )  # fmt: skip

    def step(self, w: World, k: int, check_quiet: bool) -> int:
        """Run the step from step ``k``; return the base steps it spans.

        With ``check_quiet``, return 0 without stepping when no air object and
        no interceptor flies (the caller decides whether the World is quiet).
        """
        air = w.air
        span, n_launch, n_evade, n_arrive, n_lock, n_lost, n_end, evading = _fused_kernel(
            k, w.icpt.n_used, check_quiet, int(air.any_evading), *self.args
        )
        if span == 0:
            return 0
        air.any_evading = evading != 0
        dt = self.dt
        t0 = k * dt
        done = w.status_changes_applied
        if self.n_changes > done and self.changes[done].time_s <= t0:
            doctrine_stage(w, t0)
        if n_launch or n_evade or n_arrive:
            ev = self.ev_air
            t1 = (k + span) * dt
            threat_events(
                w, t0, t1, self.pos0, ev[0, :n_launch], ev[1, :n_evade], self.started,
                self.dist, ev[2, :n_arrive],
            )  # fmt: skip
        if n_lock or n_lost:
            ev = self.ev_icpt
            locked = [(int(ev[0, j, 0]), int(ev[0, j, 1]), t0) for j in range(n_lock)]
            lost = [(int(ev[1, j, 0]), int(ev[1, j, 1]), t0) for j in range(n_lost)]
            seeker_events(w, locked, lost, self.ev_pos)
        if n_end:
            ev = self.ev_icpt[2]
            ended = [(int(ev[j, 0]), int(ev[j, 1]), float(self.ev_t[j])) for j in range(n_end)]
            reasons = {int(ev[j, 0]): int(ev[j, 2]) for j in range(n_end) if ev[j, 2]}
            end_events(w, ended, reasons)
        return span

    def finish(self, w: World) -> None:
        """Hand the kill stream's state back to ``w.rng["kill"]``."""
        set_state_words(w.rng["kill"], self.rng_words)


@jit
def _fused_kernel(
    k, n_used, check_quiet, any_evading, ipar, fpar, change_t, wind,
    fate, launch_t, fate_time, pos, vel, acc, wp_idx, evade_dir,
    air_c, ballistic, route, route_alt, route_len, target_asset,
    phase, i_end, type_idx, i_pos, i_vel, mass, i_launch_t, est_pos, est_vel, est_t, locked,
    acc_cmd, miss, i_end_t,
    tp, cd_mach, cd_value, tab_c, lobl, rng, ibuf, fbuf,
):  # pragma: no cover - compiled  # fmt: skip
    """``_coarse_span``, ``threat_stage`` and ``interceptor_stage`` of one step.

    Returns (span, launched, evading, arrived, locked, lost, ended): the base
    steps spanned (0: nothing flies and ``check_quiet``, nothing done) and the
    numbers of rows written to the event buffers, then whether any object
    holds an evasion course.
    """
    n_steps, sensor_every, max_span, substeps = ipar[0], ipar[1], ipar[2], ipar[3]
    dt, radius = fpar[0], fpar[1]
    inv_2beta, warn_r, speed, climb, turn_acc = air_c[0], air_c[1], air_c[2], air_c[3], air_c[4]
    cruise, terminal, terminal_range, dive = air_c[5], air_c[6], air_c[7], air_c[8]
    weave_acc, weave_period, weave_range, weave_phase = air_c[9], air_c[10], air_c[11], air_c[12]
    seeker_r, gimbal, clear_s, kf = tab_c[0], tab_c[1], tab_c[2], tab_c[3]
    n_air = fate.shape[0]
    started, ev_air, ev_icpt = _int_views(ibuf, n_air, phase.shape[0])
    pos0, dist, ev_pos, ev_t = _float_views(fbuf, n_air, phase.shape[0])
    air_flying = False
    for i in range(n_air):
        if fate[i] == FLYING:
            air_flying = True
            break
    if check_quiet and not air_flying:
        quiet = True
        for r in range(n_used):
            if phase[r] == FLYING:
                quiet = False
                break
        if quiet:
            return 0, 0, 0, 0, 0, 0, 0, any_evading
    # --- the span (_coarse_span) ---
    span = 1
    if max_span > 1:
        span = min(sensor_every - k % sensor_every, max_span, n_steps - k)
        if span <= 1 or (n_used and air_flying and not _midcourse_kernel(
            phase[:n_used], i_pos, i_vel, locked, seeker_r[type_idx[:n_used]], fate, pos, vel,
            warn_r, span * dt + 1.0, ENDGAME_S,
        )):  # fmt: skip
            span = 1
        else:
            t0 = k * dt
            later = math.inf
            for c in change_t:
                if c > t0 and c < later:
                    later = c
            if later < math.inf:
                span = min(span, _first_step_at(later, dt) - k)
            span = _span_kernel(
                span, k, t0, dt, fate, launch_t, weave_acc, route, route_len, pos, weave_range,
                speed,
            )  # fmt: skip
    t0 = k * dt
    t1 = (k + span) * dt
    dt_s = t1 - t0
    # --- threats (threat_stage) ---
    pos0[:, :] = pos
    started[:] = -1
    dist[:] = 0.0
    launched, evading, arrived = _step_kernel(
        fate, launch_t, t0, ballistic, inv_2beta, acc, warn_r, any_evading, phase[:n_used],
        i_pos, i_vel, started, dist,
        pos, vel, route, route_alt, route_len, wp_idx, speed, climb, turn_acc, cruise, terminal,
        terminal_range, dive, weave_acc, weave_period, weave_range, weave_phase, evade_dir,
        t1, dt_s, radius, wind, _FLAT_E0, _FLAT_N0, _FLAT_CELL, _FLAT_H, False,
    )  # fmt: skip
    n_launch = launched.size
    ev_air[0, :n_launch] = launched
    n_evade = 0
    for i in range(n_air):
        if started[i] >= 0:
            ev_air[1, n_evade] = i
            n_evade += 1
    n_arrive = arrived.size
    for q in range(n_arrive):
        i = arrived[q]
        ev_air[2, q] = i
        fate[i] = ARRIVED if target_asset[i] < 0 else LEAKED
        fate_time[i] = t1
    if n_used == 0:
        return span, n_launch, n_evade, n_arrive, 0, 0, 0, evading
    # --- interceptors (interceptor_stage) ---
    n_far = max(1, math.ceil(dt_s / MIDCOURSE_STEP_S - 1e-9))
    n_near = n_far * math.ceil(max(substeps, n_far) / n_far)
    flying = fate == FLYING
    rows, lk_rows, lk_obj, ls_rows, ls_obj, subs = _seek(
        phase, n_used, type_idx, i_pos, i_vel, i_launch_t, est_pos, est_vel, est_t, locked,
        seeker_r, gimbal, lobl, clear_s, kf, pos0, flying, t0, radius, pos, ENDGAME_S + dt_s,
        n_near, n_far,
    )  # fmt: skip
    if rows.size == 0:
        return span, n_launch, n_evade, n_arrive, 0, 0, 0, evading
    for j in range(lk_rows.size):
        r = lk_rows[j]
        ev_icpt[0, j, 0], ev_icpt[0, j, 1] = r, lk_obj[j]
        ev_pos[r, 0], ev_pos[r, 1], ev_pos[r, 2] = i_pos[r, 0], i_pos[r, 1], i_pos[r, 2]
    for j in range(ls_rows.size):
        r = ls_rows[j]
        ev_icpt[1, j, 0], ev_icpt[1, j, 1] = r, ls_obj[j]
        ev_pos[r, 0], ev_pos[r, 1], ev_pos[r, 2] = i_pos[r, 0], i_pos[r, 1], i_pos[r, 2]
    # flyout.fly: the draws of the kill stream, then the kernel.
    n_sub = subs.max()
    noise = np.empty((rows.size, n_sub, 3))
    fill_standard_normal(rng, noise)
    draw = np.empty((rows.size, n_sub))
    fill_random(rng, draw)
    end_code = np.zeros(rows.size, np.int8)
    end_time = np.zeros(rows.size)
    reason = np.zeros(rows.size, np.int8)
    killed = np.full(rows.size, -1, np.int64)
    _fly_kernel(
        rows, type_idx, i_pos, i_vel, mass, i_launch_t, est_pos, est_vel, est_t, locked, acc_cmd,
        miss, tp, cd_mach, cd_value, pos0, pos, vel, acc, flying, noise, draw, t0, dt_s, subs,
        radius, 1.0, end_code, end_time, reason, killed,
    )  # fmt: skip
    n_end = 0
    for q in range(rows.size):
        if end_code[q] == NO_END:
            continue
        r = rows[q]
        phase[r] = DONE
        i_end[r] = end_code[q]
        i_end_t[r] = end_time[q]
        ev_icpt[2, n_end, 0], ev_icpt[2, n_end, 1], ev_icpt[2, n_end, 2] = r, end_code[q], reason[q]
        ev_t[n_end] = end_time[q]
        n_end += 1
        if killed[q] >= 0:
            fate[killed[q]] = KILLED
            fate_time[killed[q]] = end_time[q]
    return span, n_launch, n_evade, n_arrive, lk_rows.size, ls_rows.size, n_end, evading


def _coarse_span(
    w: World, k: int, dt_s: float, sensor_every: int, max_span: int, n_steps: int
) -> int:
    """Base steps the step from step ``k`` spans: 1 (fine) while interceptors fly.

    Otherwise up to the next sensor boundary (at most ``max_span``), but no
    further than the step at which the next threat launches or the weapons
    status changes, and 1 while an object weaves in its end-game (or is
    about to).
    """
    if max_span <= 1:
        return 1
    span = min(sensor_every - k % sensor_every, max_span, n_steps - k)
    if span <= 1:
        return 1
    air = w.air
    if w.icpt.n_used and not _all_midcourse(w, span * dt_s):
        return 1
    t0 = k * dt_s
    changes = w.scenario.doctrine.status_changes
    later = [c.time_s for c in changes if c.time_s > t0]
    if later:
        span = min(span, _first_step_at(min(later), dt_s) - k)
    weave = air.weave_mps2 if air.weave_mps2 is not None else np.zeros(air.n)
    return _span_kernel(
        span, k, t0, dt_s, air.fate, air.launch_time_s, weave, air.route_enu_m, air.route_len,
        air.pos_enu_m, air.weave_range_m if air.weave_mps2 is not None else weave, air.speed_mps,
    )  # fmt: skip


@jit
def _span_kernel(
    span, k, t0, dt_s, fate, launch_t, weave, route, route_len, pos, weave_range, speed
):  # pragma: no cover - compiled
    """The rest of ``_coarse_span`` in one pass over the air objects: cut the span
    at the next threat launch, and 1 while a weaving object is in (or within
    the span of) its end-game."""
    first = math.inf
    for i in range(fate.shape[0]):
        if fate[i] == PENDING and launch_t[i] > t0 and launch_t[i] < first:
            first = launch_t[i]
    if first < math.inf:
        span = min(span, _first_step_at(first, dt_s) - k)
    if span > 1:
        for i in range(fate.shape[0]):
            if fate[i] != FLYING or not weave[i] > 0:
                continue
            last = route_len[i] - 1
            ground = np.hypot(pos[i, 0] - route[i, last, 0], pos[i, 1] - route[i, last, 1])
            if ground <= weave_range[i] + speed[i] * span * dt_s:
                return 1
    return max(1, span)


def _all_midcourse(w: World, span_s: float) -> bool:
    """Whether every interceptor in flight stays in mid-course over the next ``span_s``.

    Mid-course: farther from every flying air object than its seeker's range
    if unlocked (so no lock can start inside the step), than the end-game
    distance of ``stage_interceptors`` if locked, and than any object's
    warning range (so no evasion cue starts), each plus what the two could
    close in ``span_s`` and one more second. Called at every engine step while
    rounds fly, on a few rounds and objects: one compiled pass over the pairs.
    """
    icpt, air = w.icpt, w.air
    if not air.flying.any():
        return True
    warn = air.warning_range_m if air.warning_range_m is not None else np.zeros(air.n)
    return _midcourse_kernel(
        icpt.phase[: icpt.n_used],
        icpt.pos_enu_m,
        icpt.vel_enu_mps,
        icpt.locked_idx,
        w.icpt_table.seeker_range_m[icpt.type_idx[: icpt.n_used]],
        air.fate,
        air.pos_enu_m,
        air.vel_enu_mps,
        warn,
        span_s + 1.0,
        ENDGAME_S,
    )


@jit
def _midcourse_kernel(
    phase, pos, vel, locked, seeker_m, fate, air_pos, air_vel, warn_m, ahead_s, endgame_s
):  # pragma: no cover - compiled
    n_air = fate.shape[0]
    for r in range(phase.shape[0]):
        if phase[r] != FLYING:
            continue
        speed = math.sqrt(vel[r, 0] ** 2 + vel[r, 1] ** 2 + vel[r, 2] ** 2)
        lk = locked[r]
        if lk >= 0:
            # stage_interceptors' end-game test: within (speed + 1 km/s) x ENDGAME_S.
            d0 = air_pos[lk, 0] - pos[r, 0]
            d1 = air_pos[lk, 1] - pos[r, 1]
            d2 = air_pos[lk, 2] - pos[r, 2]
            if math.sqrt(d0 * d0 + d1 * d1 + d2 * d2) <= (speed + 1000.0) * (endgame_s + ahead_s):
                return False
        # A seeker lock (unlocked rounds) or an evasion cue (objects with a
        # warning receiver) must not start within the step.
        trigger = 0.0 if lk >= 0 else seeker_m[r]
        for j in range(n_air):
            if fate[j] != FLYING:
                continue
            reach = max(trigger, warn_m[j])
            if reach <= 0.0:
                continue
            v_obj = math.sqrt(air_vel[j, 0] ** 2 + air_vel[j, 1] ** 2 + air_vel[j, 2] ** 2)
            d0 = air_pos[j, 0] - pos[r, 0]
            d1 = air_pos[j, 1] - pos[r, 1]
            d2 = air_pos[j, 2] - pos[r, 2]
            dist = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
            if not dist > reach + (speed + v_obj) * ahead_s:
                return False
    return True


@jit
def _first_step_at(time_s: float, dt_s: float) -> int:
    """The first step whose start ``k * dt_s`` is at or after ``time_s``."""
    k = math.ceil(time_s / dt_s - 1e-9)
    while k * dt_s < time_s:
        k += 1
    return k


def _quiet(w: World) -> bool:
    return (
        not w.air.flying.any()
        and w.icpt.flying().size == 0
        and all(f.tracks.live().size == 0 for f in w.fdcs)
    )


def measure(w: World) -> dict:
    """Per-replication metrics from the final World."""
    air = w.air
    names = w.threat_type_names
    hostile = air.allegiance == HOSTILE
    launched = hostile & (air.fate != PENDING)
    cat = w.catalog

    def by_type(mask: NDArray) -> dict[str, int]:
        counts = np.bincount(air.type_idx[mask], minlength=len(names))
        return {names[i]: int(c) for i, c in enumerate(counts) if c}

    threat_cost = np.array([cat.threats[n].unit_cost_usd for n in names])
    fired = w.icpt.type_idx[: w.icpt.n_used]
    fired_counts = np.bincount(fired, minlength=len(w.icpt_table.names))
    cost_defence = float(np.dot(fired_counts, w.icpt_table.unit_cost_usd))
    killed = hostile & (air.fate == KILLED)
    cost_destroyed = float(threat_cost[air.type_idx[killed]].sum())
    engaged_truth = np.array(w.engaged_truth, dtype=np.int64)
    real = engaged_truth[engaged_truth >= 0]
    civil_engaged = int(np.sum(air.allegiance[real] != HOSTILE)) if real.size else 0
    engaged_objects = set(real.tolist())
    not_engaged = int(sum(1 for i in launched.nonzero()[0] if i not in engaged_objects))
    return {
        "threats": int(launched.sum()),
        "threats_by_type": by_type(launched),
        "kills": int(killed.sum()),
        "kills_by_type": by_type(killed),
        "leakers": int((hostile & (air.fate == LEAKED)).sum()),
        "leakers_by_type": by_type(hostile & (air.fate == LEAKED)),
        "threats_not_engaged": not_engaged,
        "interceptors_fired": int(w.icpt.n_used),
        "interceptors_by_type": {
            w.icpt_table.names[i]: int(c) for i, c in enumerate(fired_counts) if c
        },
        "cost_defence": cost_defence,
        "cost_threats": float(threat_cost[air.type_idx[launched]].sum()),
        "cost_threats_destroyed": cost_destroyed,
        "cost_exchange_ratio": cost_destroyed / cost_defence if cost_defence > 0 else math.nan,
        "civil_or_friendly_engagements": civil_engaged,
        "civil_or_friendly_killed": int(((~hostile) & (air.fate == KILLED)).sum()),
        "asset_damage": float(w.assets.damage.sum()),
        "asset_damage_by_asset": {
            n: float(d) for n, d in zip(w.assets.name, w.assets.damage, strict=True) if d > 0
        },
    }
