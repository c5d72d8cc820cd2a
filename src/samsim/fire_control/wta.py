"""Static weapon-target assignment.

The interface is fixed by DESIGN.md:

    solve_wta(pk, value, weapon_cost=None, time_limit_s=None) -> assignment

minimises the expected surviving value sum_j value_j prod_{i: a_i = j} (1 - pk_ij),
plus the cost of the weapons fired when ``weapon_cost`` is given (a weapon is then
held back when its shot removes less value than it costs).

How it solves (details in the helper modules):

- ``wta_search``: a maximum-marginal-return greedy start (den Broeder, Ellison and
  Emerling, Operations Research 1959), improved by descent over moves and swaps and
  by a very-large-scale neighbourhood of cyclic and path exchanges in the spirit of
  Ahuja, Kumar, Jha and Orlin (Operations Research 2007), until it converges or the
  time budget runs out.
- ``wta_search.branch_and_bound``: for at most 10 weapons, a depth-first branch and
  bound over the weapons, which usually settles the question in microseconds.
- ``wta_exact``: the target-based set-partitioning formulation (Lu and Chen, Omega
  2021): stabilised column generation for a Lagrangian lower bound, the integer
  program over the generated columns, then enumeration of every column whose reduced
  cost fits in the remaining gap and a set-partitioning integer program on HiGHS,
  which proves the optimum.

Which runs is chosen by size and budget:

- ``time_limit_s=None``: instances with at most ``EXACT_MAX_PAIRS`` weapon-target
  pairs (e.g. 200 x 200) are solved to proven optimality; larger ones get the
  heuristic run to convergence. The result is deterministic, except in the rare
  case where the proof needs more than ``EXACT_BUDGET_S`` (structured instances on
  which the integer program is hard, e.g. many near-identical weapons with kill
  probabilities near 1): the best assignment found by then is returned. Random
  instances as in Ahuja et al. are proven in well under a second at 200 x 200
  (docs/benchmarks.md).
- ``time_limit_s`` given: the heuristic runs until it converges or the budget ends;
  if enough of the budget is left, the exact method gets it and returns the best
  assignment it has when the budget ends. The clock starts on entry (input checks
  included). The result may depend on the machine's speed. The first call in a
  process also loads (or, the first time ever, compiles) the numba kernels, which
  the budget cannot cover.
"""

from __future__ import annotations

import math
import numbers
import time

import numpy as np
from numpy.typing import ArrayLike, NDArray

from samsim.fire_control import wta_search
from samsim.fire_control.wta_exact import solve_exact

EXACT_MAX_PAIRS = 40_000  # n_weapons * n_targets up to which time_limit_s=None proves the optimum
EXACT_BUDGET_S = 10.0  # with time_limit_s=None, the exact method's wall-clock allowance [s]
# Least time [s per weapon-target pair] worth handing to the exact method under a
# time limit: below it the method could not even finish its first bound (measured:
# about 1e-5 s per pair for a proof on random instances, docs/benchmarks.md).
_EXACT_MIN_S_PER_PAIR = 2e-6
# Few weapons (the FDC's case: a handful of ready launchers): a plain branch and bound
# usually proves the optimum in microseconds, far below the set-up cost of the LP.
_MARGIN = 0.05  # share of a time limit kept free for returning, at most _MARGIN_MAX_S
_MARGIN_MAX_S = 0.01
_EXACT_MARGIN = 0.1  # further share of a time limit kept free after the exact method
_BB_MAX_WEAPONS = 10
_BB_MAX_NODES = 20_000


def _validate(
    pk: ArrayLike, value: ArrayLike, weapon_cost: ArrayLike | None, time_limit_s: float | None
) -> tuple[NDArray, NDArray, NDArray | None]:
    try:
        pk_a = np.asarray(pk, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("pk: must be a numeric array") from None
    try:
        value_a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("value: must be a numeric array") from None
    if pk_a.ndim != 2:
        raise ValueError(f"pk: expected shape (n_weapons, n_targets), got {pk_a.shape}")
    if value_a.ndim != 1 or value_a.shape[0] != pk_a.shape[1]:
        raise ValueError(
            f"value: expected shape ({pk_a.shape[1]},) to match pk's targets, got {value_a.shape}"
        )
    if not np.isfinite(pk_a).all():
        raise ValueError("pk: contains NaN or infinite values")
    if ((pk_a < 0) | (pk_a > 1)).any():
        raise ValueError("pk: kill probabilities must lie in [0, 1]")
    if not np.isfinite(value_a).all():
        raise ValueError("value: contains NaN or infinite values")
    if (value_a < 0).any():
        raise ValueError("value: target values must be non-negative")
    cost_a = None
    if weapon_cost is not None:
        try:
            cost_a = np.asarray(weapon_cost, dtype=float)
        except (TypeError, ValueError):
            raise ValueError("weapon_cost: must be a numeric array") from None
        if cost_a.shape != (pk_a.shape[0],):
            raise ValueError(f"weapon_cost: expected shape ({pk_a.shape[0]},), got {cost_a.shape}")
        if not np.isfinite(cost_a).all() or (cost_a < 0).any():
            raise ValueError("weapon_cost: costs must be finite and non-negative")
    if time_limit_s is not None and not (
        isinstance(time_limit_s, numbers.Real)
        and not isinstance(time_limit_s, bool)
        and math.isfinite(time_limit_s)
        and time_limit_s > 0
    ):
        raise ValueError(f"time_limit_s: must be a positive number or None (got {time_limit_s!r})")
    return pk_a, value_a, cost_a


def surviving_value(
    pk: ArrayLike, value: ArrayLike, assignment: ArrayLike, weapon_cost: ArrayLike | None = None
) -> float:
    """Objective of an assignment: expected surviving value (+ cost of weapons fired)."""
    pk_a = np.asarray(pk, dtype=float)
    a = np.asarray(assignment, dtype=np.intp)
    survive = np.ones(pk_a.shape[1])
    fired = np.flatnonzero(a >= 0)
    np.multiply.at(survive, a[fired], 1.0 - pk_a[fired, a[fired]])
    total = float(np.dot(np.asarray(value, dtype=float), survive))
    if weapon_cost is not None:
        total += float(np.sum(np.asarray(weapon_cost, dtype=float)[fired]))
    return total


def greedy_wta(pk: NDArray, value: NDArray, weapon_cost: NDArray | None = None) -> NDArray:
    """Maximum-marginal-return greedy assignment (no input checks)."""
    n_w, n_t = pk.shape
    assignment = np.full(n_w, -1, dtype=np.intp)
    if n_w == 0 or n_t == 0:
        return assignment
    remaining = value.astype(float).copy()
    free = np.ones(n_w, dtype=bool)
    cost = np.zeros(n_w) if weapon_cost is None else weapon_cost
    for _ in range(n_w):
        gain = pk * remaining[None, :] - cost[:, None]
        gain[~free] = -np.inf
        flat = int(np.argmax(gain))
        i, j = divmod(flat, n_t)
        if not gain[i, j] > 0.0:
            break
        assignment[i] = j
        free[i] = False
        remaining[j] *= 1.0 - pk[i, j]
    return assignment


def solve_wta(
    pk: ArrayLike,
    value: ArrayLike,
    weapon_cost: ArrayLike | None = None,
    time_limit_s: float | None = None,
) -> NDArray[np.intp]:
    """Assign weapons to targets to minimise expected surviving value (+ weapon cost).

    Parameters
    ----------
    pk : (n_weapons, n_targets) kill probability of weapon i on target j, in [0, 1]
    value : (n_targets,) value of each target, >= 0
    weapon_cost : (n_weapons,) cost of firing each weapon, in the units of value;
        a weapon is held back when its shot removes less value than it costs
    time_limit_s : wall-clock budget [s], or None: proven optimum for instances of at
        most ``EXACT_MAX_PAIRS`` weapon-target pairs, the heuristic run to convergence
        beyond (see the module docstring for the details and the one exception)

    Returns
    -------
    (n_weapons,) int array: target index per weapon, -1 = not fired. Weapons whose
    shot would remove nothing (kill probability 0, or a target that is worth nothing
    or already killed for sure) are reported as not fired.

    Raises
    ------
    ValueError on bad shapes, NaN, probabilities outside [0, 1], negative values or
    costs, or a time limit that is not a positive number; the message names the
    argument.

    Examples
    --------
    >>> solve_wta([[0.9, 0.5], [0.8, 0.7]], [10.0, 10.0]).tolist()
    [0, 1]
    """
    start_s = time.perf_counter()
    pk_a, value_a, cost_a = _validate(pk, value, weapon_cost, time_limit_s)
    n_w, n_t = pk_a.shape
    if n_w == 0 or n_t == 0:
        return np.full(n_w, -1, dtype=np.intp)
    # C-contiguous float64 throughout: the numba kernels are compiled for that layout.
    cost = np.zeros(n_w) if cost_a is None else np.ascontiguousarray(cost_a)
    pk_c = np.ascontiguousarray(pk_a)
    value_a = np.ascontiguousarray(value_a)
    deadline_s = math.inf
    if time_limit_s is not None:  # stop a little early: returning takes time too
        deadline_s = start_s + float(time_limit_s) - min(_MARGIN * time_limit_s, _MARGIN_MAX_S)
    a = wta_search.greedy(pk_c, value_a, cost)
    if n_w <= _BB_MAX_WEAPONS:
        a, proven = wta_search.branch_and_bound(pk_c, value_a, cost, a, _BB_MAX_NODES)
        if proven:
            return wta_search.drop_idle(1.0 - pk_c, value_a, cost, a).astype(np.intp)
    wta_search.improve(pk_c, value_a, cost, a, deadline_s=deadline_s)
    if time_limit_s is None:
        if n_w * n_t <= EXACT_MAX_PAIRS:
            budget_s = time.perf_counter() + EXACT_BUDGET_S
            a = solve_exact(pk_c, value_a, cost, a, deadline_s=budget_s).assignment
    else:
        # HiGHS and the model building overrun a deadline by a few ms: the exact method
        # gets an earlier one.
        exact_by_s = deadline_s - _EXACT_MARGIN * time_limit_s
        if exact_by_s - time.perf_counter() > _EXACT_MIN_S_PER_PAIR * n_w * n_t:
            a = solve_exact(pk_c, value_a, cost, a, deadline_s=exact_by_s).assignment
    a = wta_search.drop_idle(1.0 - pk_c, value_a, cost, a.astype(np.int64))
    return a.astype(np.intp)
