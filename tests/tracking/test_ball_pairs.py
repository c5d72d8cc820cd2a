"""The compiled tracker's candidate pairs beyond DENSE_PAIRS: the east-sorted window
finds exactly the pairs of the all-pairs test, in the same order."""

import numpy as np
import pytest

from samsim.tracking import _step_kernels as sk


def _all_pairs(points, radius, targets):
    """Every point against every target: the bucket's largest radius bounds the squared
    distance (summed in coordinate order), the point's own radius the distance."""
    with np.errstate(invalid="ignore"):
        lg = np.log2(np.maximum(radius, 1.0))
    bucket = np.where(np.isnan(lg), -1, np.ceil(np.minimum(lg, 1025.0))).astype(np.int64)
    out_i, out_j = [], []
    for i in range(points.shape[0]):
        same = (bucket == bucket[i]) & ~np.isnan(radius)
        top = radius[same].max() if not np.isnan(radius[i]) else np.nan
        d = points[i] - targets
        s = (d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2]
        with np.errstate(invalid="ignore"):
            j = np.flatnonzero((s <= top * top) & (np.sqrt(s) <= radius[i]))
        out_i += [i] * j.size
        out_j += j.tolist()
    return np.array(out_i, np.int64), np.array(out_j, np.int64)


@pytest.mark.parametrize("seed", range(6))
def test_window_pairs_equal_all_pairs(seed):
    rng = np.random.default_rng(seed)
    kp, kt = int(rng.integers(70, 400)), int(rng.integers(70, 400))
    assert kp * kt > sk.DENSE_PAIRS
    points = rng.uniform(-2e5, 2e5, (kp, 3))
    targets = rng.uniform(-2e5, 2e5, (kt, 3))
    targets[: kt // 4] = points[rng.integers(0, kp, kt // 4)] + rng.normal(0, 500, (kt // 4, 3))
    targets[kt // 4 : kt // 4 + 5, 0] = points[:5, 0]  # equal east coordinates
    radius = 10.0 ** rng.uniform(1, 4.5, kp)
    # A pair exactly on the radius, NaN radii and coordinates, an infinite radius.
    targets[-1] = points[7] + np.array([0.999 * radius[7], 0.0, 0.0])
    radius[3] = np.nan
    points[4, 0] = np.nan
    targets[-2, 0] = np.nan
    targets[-3, 1] = np.nan
    if seed == 0:
        radius[9] = np.inf
    i, j = sk._ball_pairs(points, radius, targets)
    ri, rj = _all_pairs(points, radius, targets)
    assert ri.size >= 5  # the case has pairs to find
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_array_equal(j, rj)
    assert 7 in i[j == kt - 1]


@pytest.mark.parametrize("seed", range(3))
def test_dense_cluster_pairs_equal_all_pairs(seed):
    # A raid's worth of tracks and returns inside a few kilometres: every point's
    # east window holds most targets (the marked walk in target order).
    rng = np.random.default_rng(100 + seed)
    kp, kt = 380, 290
    points = rng.uniform(-3e3, 3e3, (kp, 3))
    targets = rng.uniform(-3e3, 3e3, (kt, 3))
    radius = rng.uniform(200.0, 2500.0, kp)
    i, j = sk._ball_pairs(points, radius, targets)
    ri, rj = _all_pairs(points, radius, targets)
    assert ri.size > 10 * kp
    np.testing.assert_array_equal(i, ri)
    np.testing.assert_array_equal(j, rj)
