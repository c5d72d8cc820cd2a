"""Outer-approximation MILP for the static weapon-target assignment problem.

A second, independent exact method, kept as the reference that ``solve_wta`` is
checked and benchmarked against (it is not used by ``solve_wta``). It is the textbook
convex reformulation: with x_ij = 1 when weapon i shoots at target j and
y_j = sum_i x_ij ln(1 - pk_ij), target j survives with probability e^(y_j), and
value_j e^(y_j) is convex in y_j, so it lies above each of its tangents

    z_j >= value_j e^a (1 + y_j - a).

The MILP minimises sum_j z_j (+ weapon costs) over binary x with each weapon used at
most once, starting from a few tangents per target; after each solve, tangents are
added at the y_j of the solution wherever z_j underestimates the true surviving value
(lazy cuts, re-solved from scratch), until the solution's true objective meets the
MILP bound. A kill probability of 1 would need ln 0: it is replaced by
ln(``_Q_FLOOR``), which changes no objective by more than value_j * 1e-12.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from samsim.fire_control.wta_exact import _HighsModel
from samsim.fire_control.wta_search import objective

_Q_FLOOR = 1e-12
_START_Y = np.log([1.0, 0.4, 0.16, 0.064, 0.01])  # first tangents, at these survivals


@dataclass(frozen=True, slots=True)
class OaResult:
    """Assignment, its true objective, the MILP's lower bound, and whether they meet."""

    assignment: NDArray[np.intp]
    objective: float
    lower_bound: float
    proven: bool
    rounds: int


def solve_outer_approximation(
    pk: NDArray,
    value: NDArray,
    cost: NDArray | None = None,
    *,
    deadline_s: float = math.inf,
    rel_tol: float = 1e-6,
) -> OaResult:
    """Solve the WTA problem by outer approximation on HiGHS (see the module docstring).

    Parameters
    ----------
    pk : (n_weapons, n_targets) kill probabilities in [0, 1]
    value : (n_targets,) target values >= 0
    cost : (n_weapons,) firing costs >= 0, or None (classic problem)
    deadline_s : ``time.perf_counter`` time at which to stop with the best so far
    rel_tol : optimality tolerance relative to the objective (HiGHS's own feasibility
        tolerances make bounds much tighter than about 1e-7 meaningless here)

    Returns
    -------
    OaResult
    """
    n_w, n_t = pk.shape
    cost_a = np.zeros(n_w) if cost is None else np.asarray(cost, float)
    log_q = np.log(np.maximum(1.0 - pk, _Q_FLOOR))
    h = _HighsModel()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    # Columns: x (n_w * n_t, row-major: i * n_t + j), then z (n_t).
    n_x = n_w * n_t
    col_cost = np.concatenate([np.repeat(cost_a, n_t), np.ones(n_t)])
    upper = np.concatenate([np.ones(n_x), np.full(n_t, 1e30)])
    h.addVars(n_x + n_t, np.zeros(n_x + n_t), upper)
    h.changeColsCost(n_x + n_t, np.arange(n_x + n_t, dtype=np.int32), col_cost)
    h.changeColsIntegrality(n_x, np.arange(n_x, dtype=np.int32), np.ones(n_x, np.uint8))
    # Each weapon at most once.
    starts = (np.arange(n_w) * n_t).astype(np.int32)
    h.addRows(
        n_w,
        np.full(n_w, -1e30),
        np.ones(n_w),
        n_x,
        starts,
        np.arange(n_x, dtype=np.int32),
        np.ones(n_x),
    )

    def add_tangents(targets: NDArray, y0: NDArray) -> None:
        # z_j - value_j e^a sum_i ln q_ij x_ij >= value_j e^a (1 - a)
        slope = value[targets] * np.exp(y0)
        m = targets.size
        index = np.concatenate(
            [np.concatenate([np.arange(n_w) * n_t + j, [n_x + j]]) for j in targets]
        ).astype(np.int32)
        coef = np.concatenate(
            [np.concatenate([-s * log_q[:, j], [1.0]]) for j, s in zip(targets, slope, strict=True)]
        )
        h.addRows(
            m,
            slope * (1.0 - y0),
            np.full(m, 1e30),
            index.size,
            (np.arange(m) * (n_w + 1)).astype(np.int32),
            index,
            coef,
        )

    targets = np.arange(n_t)
    for y0 in _START_Y:
        add_tangents(targets, np.full(n_t, y0))
    best_a = np.full(n_w, -1, dtype=np.intp)
    best = float(value.sum())
    bound = -math.inf
    rounds = 0
    while time.perf_counter() < deadline_s:
        rounds += 1
        h.setOptionValue("time_limit", max(deadline_s - time.perf_counter(), 1e-3))
        h.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:
            break
        x = np.asarray(h.getSolution().col_value)
        finished = h.getModelStatus().name == "kOptimal"
        if finished:
            bound = max(bound, float(info.objective_function_value))
        xm = x[:n_x].reshape(n_w, n_t) > 0.5
        a = np.where(xm.any(axis=1), xm.argmax(axis=1), -1).astype(np.intp)
        true = float(objective(1.0 - pk, value, cost_a, a.astype(np.int64)))
        if true < best:
            best, best_a = true, a
        if not finished or best - bound <= rel_tol * max(1.0, abs(best)):
            break
        y = (xm * log_q).sum(axis=0)
        z = x[n_x:]
        # Cut wherever a target's share of the error could matter for the total.
        under = value * np.exp(y) > z + rel_tol * max(1.0, abs(best)) / (2 * n_t)
        if not under.any():
            break
        add_tangents(np.flatnonzero(under), y[under])
    proven = best - bound <= rel_tol * max(1.0, abs(best))
    return OaResult(best_a, best, bound, bool(proven), rounds)
