"""Turning targets in sea clutter: confirmation and turn tuning of ``track_detections``."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from samsim.tracking.api import (
    CONFIRM_SCORE_MIN,
    FALSE_TRACKS_PER_SCAN,
    measurement_volume,
    params_for,
    run_scans,
)
from samsim.tracking.tracker import TrackerParams

from .test_benchmark_harness import bench  # noqa: F401  (module fixture)


def test_confirmation_threshold_follows_the_false_alarm_rate():
    # Sparse false alarms: the engine's threshold.
    assert params_for(0.9, 5.0).confirm_score == CONFIRM_SCORE_MIN == TrackerParams().confirm_score
    # Dense ones: Wald's ln(1 / alpha) with alpha = 0.1 false tracks / 449 false alarms.
    assert params_for(0.9, 449.0).confirm_score == pytest.approx(
        math.log(449.0 / FALSE_TRACKS_PER_SCAN)
    )
    scores = [params_for(0.9, fa).confirm_score for fa in (0.0, 10.0, 100.0, 1000.0)]
    assert scores == sorted(scores) and scores[-1] > scores[0]


def _score(bench, seed: int, **overrides):  # noqa: F811
    rng = np.random.default_rng(seed)
    sc = bench.SCENARIOS["heavy_clutter"](rng)
    det = bench.detections_for(sc, rng)
    clean = det.drop(columns="truth_id")
    params = params_for(sc.radar.pd, bench.clutter_rate(det), measurement_volume(clean))
    out = run_scans(clean, np.array(list(sc.radar.sigmas.values())), replace(params, **overrides))
    return bench.score(sc, det, out, sc.n_scans)


def test_turning_targets_in_sea_clutter_keep_their_track_numbers(bench):  # noqa: F811
    # 20 cruise missiles, half of them turning at 4 g, in 450 false alarms per
    # scan; tuning seeds 2 to 4 (the benchmark reports seed 1). Against the
    # engine's confirmation threshold and coordinated-turn noise, the tuning
    # of track_detections confirms far fewer tracks on clutter, which then
    # neither take targets' returns in their turns nor their track numbers.
    new = [_score(bench, seed) for seed in (2, 3, 4)]
    old = [_score(bench, seed, confirm_score=4.0, q_ct_m2ps3=0.2) for seed in (2, 3, 4)]
    switches_new = sum(s["switches"] for s in new)
    switches_old = sum(s["switches"] for s in old)
    assert switches_new <= switches_old / 2
    assert max(s["false"] for s in new) < 1.0 < min(s["false"] for s in old)
    assert np.mean([s["gospa"] for s in new]) < 0.95 * np.mean([s["gospa"] for s in old])
