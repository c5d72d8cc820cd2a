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
from samsim.engine.stage_interceptors import ENDGAME_S, interceptor_stage
from samsim.engine.stage_sensors import sensor_and_track_stage
from samsim.engine.stage_threats import doctrine_stage, threat_stage
from samsim.scenario.models import Scenario
from samsim.threats.state import FLYING, HOSTILE, KILLED, LEAKED, PENDING
from samsim.world import World, build_world

INTERCEPTOR_SUBSTEPS = 10
SENSOR_PERIOD_S = 1.0


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
    k = 0
    while k < n_steps:
        t0 = k * dt
        if _quiet(w):
            pending = w.air.launch_time_s[w.air.fate == PENDING]
            if pending.size == 0:
                break
            k_next = max(k, math.floor(float(pending.min()) / dt + 1e-9))
            if k_next > k:
                k = k_next
                continue
        span = _coarse_span(w, k, dt, sensor_every, max_span, n_steps)
        t1 = (k + span) * dt  # not t0 + dt, which drifts from the next step's t0
        doctrine_stage(w, t0)
        pos0 = threat_stage(w, t0, t1)
        interceptor_stage(w, pos0, t0, t1 - t0, INTERCEPTOR_SUBSTEPS)
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
