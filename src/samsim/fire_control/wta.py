"""Static weapon-target assignment.

The interface is fixed by DESIGN.md:

    solve_wta(pk, value, weapon_cost=None, time_limit_s=None) -> assignment

minimises the expected surviving value sum_j value_j prod_{i: a_i = j} (1 - pk_ij),
plus the cost of the weapons fired when ``weapon_cost`` is given. This first
solver is the maximum-marginal-return greedy (den Broeder, Ellison and Emerling,
Operations Research 1959): it repeatedly commits the weapon-target pair whose
shot removes the most expected surviving value, and leaves a weapon unfired when
no shot is worth its cost. Exact and large-neighbourhood solvers come with the
fire-control issue behind the same signature.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


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
        isinstance(time_limit_s, int | float) and math.isfinite(time_limit_s) and time_limit_s > 0
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
    time_limit_s : wall-clock budget; the greedy needs far less than any sensible limit

    Returns
    -------
    (n_weapons,) int array: target index per weapon, -1 = not fired.

    Raises
    ------
    ValueError on bad shapes, NaN, probabilities outside [0, 1] or negative values.
    """
    pk_a, value_a, cost_a = _validate(pk, value, weapon_cost, time_limit_s)
    return greedy_wta(pk_a, value_a, cost_a)
