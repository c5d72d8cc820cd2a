"""Sparse assignment and JPDA marginals against brute force."""

import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from samsim.tracking import assign
from samsim.tracking.tracker import jpda_marginals


def _random_problem(rng, n_rows, n_cols, density):
    mask = rng.random((n_rows, n_cols)) < density
    rows, cols = np.nonzero(mask)
    return rows, cols, rng.normal(size=rows.size) - 0.3


@pytest.mark.parametrize("dense_limit", [assign.DENSE_LIMIT, 0])
def test_sparse_assignment_reaches_the_dense_optimum(monkeypatch, dense_limit):
    # dense_limit 0 sends every cluster through the sparse LAPJVsp path.
    monkeypatch.setattr(assign, "DENSE_LIMIT", dense_limit)
    rng = np.random.default_rng(0)
    for _ in range(200):
        rows, cols, cost = _random_problem(rng, rng.integers(1, 9), rng.integers(1, 9), 0.35)
        if rows.size == 0:
            continue
        block = np.zeros((rows.max() + 1, cols.max() + 1))
        block[rows, cols] = np.minimum(cost, 0.0)
        a, b = linear_sum_assignment(block)
        pick = assign.assign_sparse(rows * 7 + 3, cols * 11, cost)
        assert cost[pick].sum() == pytest.approx(block[a, b].sum())
        assert np.unique(rows[pick]).size == pick.size
        assert np.unique(cols[pick]).size == pick.size
        assert (cost[pick] < 0).all()


def test_sparse_assignment_splits_a_large_problem_into_clusters():
    # 2,000 tracks each gated with its own measurement and a neighbour's: one
    # chain per pair of tracks, never a 2,000 x 2,000 matrix.
    n = 2000
    rows = np.r_[np.arange(n), np.arange(n)]
    cols = np.r_[np.arange(n), np.arange(n) ^ 1]
    cost = np.r_[np.full(n, -10.0), np.full(n, -1.0)]
    pick = assign.assign_sparse(rows, cols, cost)
    assert pick.size == n
    assert (rows[pick] == cols[pick]).all()
    label, *_ = assign.components(rows, cols)
    assert np.unique(label).size == n // 2


def _brute_marginals(track, meas, ratio, miss_weight):
    """Exact JPDA marginals by enumerating every joint association event."""
    tracks = np.unique(track)
    options = {t: [None] + [k for k in range(track.size) if track[k] == t] for t in tracks}
    total = 0.0
    beta = np.zeros(track.size)
    for event in itertools.product(*options.values()):
        used = [meas[k] for k in event if k is not None]
        if len(used) != len(set(used)):
            continue
        w = np.prod([miss_weight if k is None else ratio[k] for k in event])
        total += w
        for k in event:
            if k is not None:
                beta[k] += w
    return beta / total


def test_jpda_marginals_are_exact_on_a_tree_and_reduce_to_pda_for_one_track():
    # Tracks 0 and 1 share measurement 11; each has one more of its own.
    track = np.array([0, 0, 1, 1])
    meas = np.array([10, 11, 11, 12])
    ratio = np.array([3.0, 5.0, 2.0, 0.5])
    beta, _ = jpda_marginals(track, meas, ratio, 0.1)
    assert beta == pytest.approx(_brute_marginals(track, meas, ratio, 0.1), abs=1e-9)
    one = jpda_marginals(np.array([0, 0]), np.array([1, 2]), np.array([4.0, 1.0]), 0.1)
    assert one[0] == pytest.approx([4.0 / 5.1, 1.0 / 5.1])
    assert one[1] == pytest.approx([0.1 / 5.1, 0.1 / 5.1])


def test_jpda_marginals_approximate_the_exact_ones_with_cycles():
    # Belief propagation is approximate on loopy graphs; the hardest case, three
    # tracks all gated with the same three measurements, stays within a few %.
    rng = np.random.default_rng(1)
    err = []
    for _ in range(50):
        track = np.repeat(np.arange(3), 3)
        meas = np.tile(np.arange(3), 3)
        ratio = rng.uniform(0.1, 10.0, track.size)
        beta, beta0 = jpda_marginals(track, meas, ratio, 0.1)
        err.append(np.abs(beta - _brute_marginals(track, meas, ratio, 0.1)))
        per_track = np.bincount(track, beta) + beta0[[0, 3, 6]]
        assert per_track == pytest.approx(1.0)
    assert np.mean(err) < 0.06
    assert np.max(err) < 0.25
