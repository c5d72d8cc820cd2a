"""The compiled step's assignment of large conflict components (dense Kuhn-Munkres up
to its own DENSE_LIMIT) picks the pairs the array code's LAPJVsp picks."""

import numpy as np
import pytest

from samsim.tracking import _step_kernels as sk
from samsim.tracking import assign


@pytest.mark.parametrize("seed", range(4))
def test_large_component_matches_the_sparse_solver(seed):
    rng = np.random.default_rng(seed)
    cap, ng = 110, 100
    # Tracks along a line, each gating the returns near it: one connected component.
    rows, local = [], []
    for r in range(cap):
        centre = r * ng / cap
        for j in range(max(0, int(centre) - 4), min(ng, int(centre) + 5)):
            if rng.random() < 0.8:
                rows.append(r)
                local.append(j)
    rows, local = np.array(rows, np.int64), np.array(local, np.int64)
    cost = rng.uniform(-5.0, 30.0, rows.size)
    n_cells = np.unique(rows).size * np.unique(local).size
    assert assign.DENSE_LIMIT < n_cells <= sk.DENSE_LIMIT  # the array code goes sparse
    picked = sk._assign(rows, local, cost, cap, ng)
    assert picked.size and picked[0] >= 0  # solved in the kernel, not handed back
    expect = assign.assign_sparse(rows, local, cost - sk.BIG_COST)
    np.testing.assert_array_equal(picked, expect)
    # A matching: each track and each return at most once.
    assert np.unique(rows[picked]).size == picked.size
    assert np.unique(local[picked]).size == picked.size
