"""Adaptive association: JPDA for tracks whose gates hold clutter, GNN elsewhere."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from samsim.tracking.api import measurement_volume, params_for, run_scans
from samsim.tracking.tracker import TrackerParams, _cluttered_gates, _Pairs

from .test_benchmark_harness import bench  # noqa: F401  (module fixture)


def _pairs(rows: list[int], sigmas: tuple[float, float, float]) -> _Pairs:
    """Pairs whose innovation covariance is diag(sigma^2) in both models."""
    k, M = len(rows), 2
    S = np.broadcast_to(np.diag(np.square(sigmas)), (k, M, 3, 3)).copy()
    zeros = np.zeros((k, M))
    return _Pairs(
        np.array(rows),
        np.arange(k),
        zeros + 0.5,
        np.zeros((k, M, 7)),
        np.zeros((k, M, 7, 7)),
        np.zeros((k, M, 3)),
        S,
        np.linalg.inv(S),
        np.zeros((k, M, 7, 3)),
        zeros,
        zeros,
    )


def test_clutter_in_the_gate_is_density_times_the_gate_volume():
    params = TrackerParams()
    sig = (50.0, 0.003, 0.003)
    volume = 4.0 / 3.0 * math.pi * params.gate_chi2**1.5 * math.prod(sig)
    # Track 0: two pairs, one in dense clutter; track 1: sparse clutter only.
    lam = np.array([0.01, 2.0, 0.01]) * params.jpda_gate_clutter / volume
    got = _cluttered_gates(_pairs([0, 0, 1], sig), np.arange(3), np.array([0, 0, 1]), lam, params)
    assert got.tolist() == [True, True, False]
    # Just below and just above the threshold.
    for factor, want in ((0.99, False), (1.01, True)):
        lam1 = np.array([factor * params.jpda_gate_clutter / volume])
        got = _cluttered_gates(_pairs([4], sig), np.arange(1), np.array([4]), lam1, params)
        assert got[0] == want


def _run(bench, name: str, seed: int, association: str):  # noqa: F811
    rng = np.random.default_rng(seed)
    sc = bench.SCENARIOS[name](rng)
    det = bench.detections_for(sc, rng)
    clean = det.drop(columns="truth_id")
    params = params_for(sc.radar.pd, bench.clutter_rate(det), measurement_volume(clean))
    params = replace(params, association=association)
    out = run_scans(clean, np.array(list(sc.radar.sigmas.values())), params)
    return out, bench.score(sc, det, out, sc.n_scans)


def test_auto_association_pays_in_sea_clutter(bench):  # noqa: F811
    # Seeds 2-5, where the threshold was chosen (the benchmark reports seed 1),
    # summed: one seed alone moves by several per cent with any change to the
    # tracker (seed 3 went from 0.88 to 0.95 of GNN's GOSPA with the per-pair
    # coarse gate while seeds 2, 4 and 5 kept 0.81-0.90).
    gnn = [_run(bench, "heavy_clutter", seed, "gnn")[1] for seed in (2, 3, 4, 5)]
    auto = [_run(bench, "heavy_clutter", seed, "auto")[1] for seed in (2, 3, 4, 5)]
    assert sum(a["gospa"] for a in auto) < 0.95 * sum(g["gospa"] for g in gnn)
    assert sum(a["switches"] for a in auto) <= sum(g["switches"] for g in gnn) / 2


def test_auto_association_is_gnn_where_gates_hold_no_clutter(bench):  # noqa: F811
    gnn, _ = _run(bench, "cruise_turn", 2, "gnn")
    auto, _ = _run(bench, "cruise_turn", 2, "auto")
    assert len(gnn) > 0
    assert gnn.equals(auto)


def test_the_default_association_is_auto_and_unknown_ones_are_refused():
    assert TrackerParams().association == "auto"
    assert params_for(0.9, 5.0).association == "auto"
    with pytest.raises(ValueError, match="association"):
        TrackerParams(association="nearest")
