"""Sparse assignment: least-cost matching over a list of allowed pairs.

Gating leaves a sparse bipartite graph between rows (tracks, truths) and
columns (measurements, tracks). It falls apart into many small connected
components (clusters), so the assignment is solved per component: a
single-pair component is decided directly (one array expression over all of
them), a small one with ``scipy.optimize.linear_sum_assignment`` on its own
dense block, and a large one with scipy's sparse LAPJVsp
(``min_weight_full_bipartite_matching``) on an augmented graph, so no dense
matrix over all rows and columns is ever built and cost grows with the number
of gated pairs, not with rows times columns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

DENSE_LIMIT = 2_500  # largest rows * cols block solved densely (measured: LAPJVsp wins beyond)


def components(
    rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp], int]:
    """Connected components of the bipartite graph of the pairs.

    Returns
    -------
    label : (k,) component of each pair
    row_idx, col_idx : (k,) compact indices of each pair's row and column
    n_components : number of components that hold at least one pair
    """
    urows, ri = np.unique(rows, return_inverse=True)
    ucols, ci = np.unique(cols, return_inverse=True)
    n_r, n_c = urows.size, ucols.size
    graph = coo_matrix(
        (np.ones(rows.size, np.int8), (ri, n_r + ci)), shape=(n_r + n_c, n_r + n_c)
    ).tocsr()
    n, labels = connected_components(graph, directed=False)
    return labels[ri], ri, ci, n


def assign_sparse(
    rows: NDArray[np.intp], cols: NDArray[np.intp], cost: NDArray[np.float64]
) -> NDArray[np.intp]:
    """Indices of the pairs that form the least-cost matching.

    A row or column left unmatched costs nothing, so a pair is only worth
    taking when its cost is negative: callers subtract the cost of leaving
    both ends unmatched (e.g. ``d**p - c**p`` for GOSPA, or ``cost - BIG`` to
    match as many gated pairs as possible first).

    Parameters
    ----------
    rows, cols : (k,) row and column of each allowed pair (any integer labels;
        duplicates of a (row, col) pair are not allowed)
    cost : (k,) cost of each pair

    Returns
    -------
    (m,) indices into the pair list, each row and each column at most once.
    """
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    cost = np.asarray(cost, dtype=float)
    if rows.size == 0:
        return np.zeros(0, np.intp)
    # Pairs whose row and column appear in no other pair are components of
    # their own: decided at once, without building the graph.
    single = (_degree(rows) == 1) & (_degree(cols) == 1)
    chosen = [np.flatnonzero(single & (cost < 0))]
    multi = np.flatnonzero(~single)
    if multi.size > 0 and multi.size**2 <= DENSE_LIMIT:
        # Few pairs left (rows and columns at most as many): one dense block over
        # all of them; its optimum is the union of the components' optima.
        pick = _solve_component(rows[multi], cols[multi], cost[multi])
        chosen.append(multi[pick])
    elif multi.size:
        label, mri, mci, n = components(rows[multi], cols[multi])
        mcost = cost[multi]
        # Components with one row (a track and its candidates) or one column
        # (a measurement and its claimants): the cheapest pair, all at once.
        n_r = _distinct_per_label(label, mri, n)
        n_c = _distinct_per_label(label, mci, n)
        star = (n_r[label] == 1) | (n_c[label] == 1)
        if star.any():
            s_idx = np.flatnonzero(star)
            order = s_idx[np.lexsort((mcost[s_idx], label[s_idx]))]
            first = np.r_[True, label[order][1:] != label[order][:-1]]
            best = order[first]
            chosen.append(multi[best[mcost[best] < 0]])
        rest = np.flatnonzero(~star)
        if rest.size:
            order = rest[np.argsort(label[rest], kind="stable")]
            bounds = np.flatnonzero(np.diff(label[order])) + 1
            for group in np.split(order, bounds):
                pick = _solve_component(mri[group], mci[group], mcost[group])
                chosen.append(multi[group[pick]])
    out = np.concatenate(chosen)
    out.sort()
    return out


def _degree(labels: NDArray) -> NDArray[np.intp]:
    """How often each entry's label occurs in ``labels``."""
    if labels.min() >= 0 and labels.max() < 4 * labels.size + 1024:
        return np.bincount(labels)[labels]
    _, inv, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return counts[inv]


def _distinct_per_label(label: NDArray, item: NDArray, n: int) -> NDArray[np.intp]:
    """Number of distinct ``item`` values in each label."""
    key = np.unique(label.astype(np.int64) * (int(item.max()) + 1) + item)
    return np.bincount(key // (int(item.max()) + 1), minlength=n)


def _solve_component(ri: NDArray, ci: NDArray, cost: NDArray) -> NDArray[np.intp]:
    """Pairs (indices into this component's list) of its least-cost matching."""
    ur, r = np.unique(ri, return_inverse=True)
    uc, c = np.unique(ci, return_inverse=True)
    n_r, n_c = ur.size, uc.size
    if n_r * n_c <= DENSE_LIMIT:
        # Missing pairs cost 0, the same as leaving both ends unmatched.
        block = np.zeros((n_r, n_c))
        block[r, c] = np.minimum(cost, 0.0)
        a, b = linear_sum_assignment(block)
        pair_at = np.full((n_r, n_c), -1, np.intp)
        pair_at[r, c] = np.arange(r.size)
        picked = pair_at[a, b]
        picked = picked[picked >= 0]
        return picked[cost[picked] < 0]
    return _solve_sparse(r, c, cost, n_r, n_c)


def _solve_sparse(r: NDArray, c: NDArray, cost: NDArray, n_r: int, n_c: int) -> NDArray[np.intp]:
    """Least-cost partial matching with LAPJVsp on an augmented perfect-matching graph.

    Rows are the real rows and one stand-in per real column; columns are the
    real columns and one stand-in per real row. Real row i may take its own
    stand-in column (i unmatched), stand-in row j its real column j (j
    unmatched), and stand-in row j the stand-in column of any row i that j is
    gated with (both matched to each other or elsewhere). Every perfect
    matching then has n_r + n_c edges, so a constant shift that keeps weights
    positive leaves the optimum unchanged.
    """
    w = np.minimum(cost, 0.0)
    shift = 1.0 - w.min()
    k = r.size
    src = np.concatenate([r, np.arange(n_r), n_r + np.arange(n_c), n_r + c])
    dst = np.concatenate([c, n_c + np.arange(n_r), np.arange(n_c), n_c + r])
    weight = np.concatenate([w, np.zeros(n_r), np.zeros(n_c), np.zeros(k)]) + shift
    graph = csr_matrix((weight, (src, dst)), shape=(n_r + n_c, n_c + n_r))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    col_of_row = np.empty(n_r + n_c, np.intp)
    col_of_row[row_ind] = col_ind
    col_of_row = col_of_row[:n_r]
    real = col_of_row < n_c
    a = np.flatnonzero(real)
    key = r.astype(np.int64) * n_c + c
    order = np.argsort(key)
    picked = order[np.searchsorted(key, a.astype(np.int64) * n_c + col_of_row[a], sorter=order)]
    if picked.size == 0:
        return picked
    return picked[cost[picked] < 0]
