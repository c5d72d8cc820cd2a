"""Exact static weapon-target assignment: column generation, reduced-cost column
enumeration and a set-partitioning integer program on HiGHS.

Formulation (the target-based set partitioning of Lu and Chen, Omega 2021, and of
Bertsimas and Paskov, Naval Research Logistics 2025). Weapons with identical rows
(same kill probabilities and cost) form a type t with m_t weapons. A *column* is a
target j together with how many weapons n_t of each type shoot at it; its cost is

    c(j, n) = value_j * prod_t (1 - pk_tj) ** n_t + sum_t n_t * cost_t,

which is exact, so kill probabilities of 1 need no logarithms. The master problem
picks one column per target (the empty column leaves the target alone) with at most
m_t weapons of type t used in all. Its linear relaxation is solved by column
generation; with duals w_t >= 0 on the weapon rows, every target's pricing problem

    min_n  value_j * prod_t q_tj ** n_t + sum_t n_t * (cost_t + w_t)

is solved exactly by depth-first search, and L(w) = sum_j (pricing optimum of j) -
sum_t m_t w_t is a valid lower bound for *any* w >= 0 (Lagrangian relaxation of the
weapon rows). Given an incumbent of value UB, every column of any solution at least
as good has reduced cost at most UB - L(w) (the reduced costs of the columns in a
solution and the slack on the weapon rows add up to that solution's value minus
L(w)). Enumerating exactly those columns and solving the set-partitioning integer
program over them with HiGHS therefore proves optimality (column enumeration,
Lu and Chen 2021; the reduced-cost fixing argument is that of branch and price).

The search bound: extending a column whose survival is P by further weapons of types
whose price per unit of log-kill, (cost_t + w_t) / -ln q_tj, is at least r costs at
least min_{L >= 0} value_j P e^-L + r L, which is value_j P if value_j P <= r and
r (1 + ln(value_j P / r)) otherwise.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

try:  # the compiled core: the Python wrapper prints a banner on first construction
    from highspy._core import _Highs as _HighsModel
except ImportError:  # pragma: no cover - other highspy layouts
    from highspy import Highs as _HighsModel
from highspy import HighsModelStatus

from samsim._jit import jit
from samsim.fire_control.wta_search import _products, objective

_INF = 1e30  # HiGHS's infinity
_ALPHA_START = 0.9  # weight of the best prices so far in the smoothed prices
_ALPHA_STEP = 0.2  # its adjustment after each pricing round
_COLUMNS_PER_S = 100_000  # columns the enumeration emits per second, conservatively


@dataclass(frozen=True, slots=True)
class ExactResult:
    """Outcome of the exact solver.

    Attributes
    ----------
    assignment : (n_weapons,) target per weapon, -1 = not fired
    objective : expected surviving value plus cost of weapons fired, of ``assignment``
    lower_bound : proven lower bound on the optimum (equals ``objective`` when proven)
    proven : True when ``assignment`` is proven optimal (within ``rel_tol``)
    n_columns : columns in the final integer program (0 if it was not needed)
    """

    assignment: NDArray[np.intp]
    objective: float
    lower_bound: float
    proven: bool
    n_columns: int


@jit
def _completion(
    a: float,
    e: int,
    left_e: int,
    rate: NDArray,
    kill: NDArray,
    cap: NDArray,
    l_min: float,
) -> float:
    """Lower bound on a e^-L + (price of the weapons that buy log-kill L), L >= l_min.

    Weapons may be split (the convex relaxation) and only positions >= e are used
    (``left_e`` weapons left at position e, ``cap`` at the others). With positions
    sorted by price per unit of log-kill, the cheapest way to buy log-kill L is to
    fill them in order, so the relaxed price is convex and piecewise linear and the
    minimum is found walking its pieces. Returns inf if log-kill l_min cannot be bought.
    """
    log_kill = 0.0
    spent = 0.0
    for f in range(e, rate.size):
        units = left_e if f == e else cap[f]
        if units <= 0:
            continue
        if kill[f] == np.inf:
            return spent  # a sure kill: any sliver of it drives the survival to 0
        r = rate[f]
        piece = units * kill[f]
        need = l_min - log_kill  # log-kill still to buy before the minimum may stop
        if need >= piece:
            log_kill += piece
            spent += r * piece
            continue
        ae = a * math.exp(-log_kill)
        if ae <= r:
            t = 0.0  # killing more costs more than it saves, from here on
        elif r > 0.0:
            t = math.log(ae / r)
        else:
            t = np.inf
        t = max(t, need, 0.0)
        if t < piece:
            return spent + ae * math.exp(-t) + r * t
        log_kill += piece
        spent += r * piece
    if log_kill < l_min:
        return np.inf
    return spent + a * math.exp(-log_kill)


@jit
def _column_search(
    v: float,
    q: NDArray,
    wc: NDArray,
    cap: NDArray,
    theta: float,
    slack: float,
    minimize: bool,
    max_cols: int,
) -> tuple[NDArray, NDArray, bool]:
    """All columns of one target costing at most ``theta`` (or the cheapest one).

    Parameters
    ----------
    v : target value
    q : (k,) survival factor of one weapon of each candidate type, sorted so that the
        price per unit of log-kill ``wc / -ln q`` does not decrease
    wc : (k,) price of one weapon of each type (cost + dual)
    cap : (k,) weapons available of each type
    theta : cost threshold (inclusive)
    slack : how far above the target's cheapest priced cost ``theta`` lies (0 when
        minimising). A weapon enters a column of priced cost within ``slack`` of the
        cheapest only if, added to any part of the rest, it gains at least its price
        less ``slack`` (diminishing returns); so a child is only tried if it gains at
        least its price less ``slack`` where it is added.
    minimize : if True, lower theta to each column found (branch and bound), so the
        last column emitted is the cheapest
    max_cols : stop after this many columns (overflow)

    Returns
    -------
    counts : (n, k) weapons of each type in each column found
    costs : (n,) priced column costs
    overflow : True when max_cols was reached and the search stopped early
    """
    k = q.size
    rate = np.zeros(k)
    kill = np.full(k, np.inf)  # log-kill of one weapon, -ln q
    for e in range(k):
        if q[e] > 0.0:
            kill[e] = -math.log(q[e])
            rate[e] = wc[e] / kill[e]
    # Smallest log-kill of one weapon from position e on: a child adds at least this.
    least = np.full(k + 1, np.inf)
    for e in range(k - 1, -1, -1):
        least[e] = min(least[e + 1], kill[e]) if cap[e] > 0 else least[e + 1]
    depth_max = 1
    for e in range(k):
        depth_max += cap[e]
    prob = np.ones(depth_max)
    spent = np.zeros(depth_max)
    nxt = np.zeros(depth_max, np.int64)
    chosen = np.zeros(depth_max, np.int64)
    cnt = np.zeros(k, np.int64)
    size0 = 16
    counts = np.zeros((size0, k), np.int64)
    costs = np.zeros(size0)
    n = 0
    eps = 1e-12 * (1.0 + abs(theta))
    if v <= theta + eps:
        costs[0] = v
        n = 1
        if minimize:
            theta = v
    d = 0
    while True:
        if nxt[d] >= k:
            if d == 0:
                break
            cnt[chosen[d]] -= 1
            d -= 1
            continue
        e = nxt[d]
        nxt[d] += 1
        # Every child from position e on adds at least one weapon from positions >= e;
        # that bound does not decrease with e, so once it fails, all later ones fail.
        group = spent[d] + _completion(v * prob[d], e, cap[e] - cnt[e], rate, kill, cap, least[e])
        if (minimize and group >= theta - eps) or (not minimize and group > theta + eps):
            nxt[d] = k
            continue
        if cnt[e] >= cap[e]:
            continue
        if wc[e] - v * prob[d] * (1.0 - q[e]) > slack + eps:
            continue
        p_child = prob[d] * q[e]
        s_child = spent[d] + wc[e]
        bound = s_child + _completion(v * p_child, e, cap[e] - cnt[e] - 1, rate, kill, cap, 0.0)
        if minimize:
            if bound >= theta - eps:
                continue
        elif bound > theta + eps:
            continue
        d += 1
        chosen[d] = e
        nxt[d] = e
        cnt[e] += 1
        prob[d] = p_child
        spent[d] = s_child
        val = s_child + v * p_child
        if (minimize and val < theta - eps) or (not minimize and val <= theta + eps):
            if n == costs.size:
                if n >= max_cols:
                    return counts[:n], costs[:n], True
                grown = np.zeros((2 * n, k), np.int64)
                grown[:n] = counts
                counts = grown
                grown_c = np.zeros(2 * n)
                grown_c[:n] = costs
                costs = grown_c
            counts[n] = cnt
            costs[n] = val
            n += 1
            if minimize:
                theta = val
    return counts[:n], costs[:n], False


class _Instance:
    """Weapon types and the per-target column search."""

    def __init__(self, pk: NDArray, value: NDArray, cost: NDArray) -> None:
        self.n_w, self.n_t = pk.shape
        rows = np.column_stack([pk, cost])
        uniq, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
        self.type_of = inverse.reshape(-1)
        self.q_type = 1.0 - uniq[:, : self.n_t]  # (n_types, n_t)
        self.cost_type = uniq[:, self.n_t]
        self.cap = counts.astype(np.int64)
        self.n_types = self.cap.size
        self.value = value

    def search(
        self, j: int, w: NDArray, cheapest: float, gap: float, max_cols: int
    ) -> tuple[NDArray, NDArray, NDArray, NDArray, bool]:
        """Columns of target j whose priced cost is within ``gap`` of ``cheapest``.

        Returns
        -------
        types : (k,) the candidate types, the columns' coordinates
        counts : (n, k) weapons of each type per column
        priced : (n,) column cost plus the prices of its weapons
        true : (n,) column cost
        overflow : the search stopped at ``max_cols``
        """
        qj = self.q_type[:, j]
        useful = np.flatnonzero((qj < 1.0) & (self.cap > 0))
        wc = self.cost_type[useful] + w[useful]
        with np.errstate(divide="ignore"):
            rate = np.where(qj[useful] > 0.0, wc / -np.log(qj[useful]), 0.0)
        order = useful[np.argsort(rate, kind="stable")]
        counts, priced, overflow = _column_search(
            float(self.value[j]),
            qj[order],
            self.cost_type[order] + w[order],
            self.cap[order],
            cheapest + gap,
            gap,
            False,
            max_cols,
        )
        return order, counts, priced, priced - counts @ w[order], overflow


class _Master:
    """The set-partitioning master problem on HiGHS (the LP, or the integer program).

    Rows: one per target (= 1), one per weapon type (<= weapons of that type).
    Columns are kept in compressed sparse column form, in the order added.
    """

    def __init__(self, inst: _Instance) -> None:
        self.inst = inst
        h = _HighsModel()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        n_t, n_y = inst.n_t, inst.n_types
        n_rows = n_t + n_y
        lower = np.concatenate([np.ones(n_t), np.full(n_y, -_INF)])
        upper = np.concatenate([np.ones(n_t), inst.cap.astype(float)])
        h.addRows(
            n_rows, lower, upper, 0, np.zeros(n_rows, np.int32), np.zeros(0, np.int32), np.zeros(0)
        )
        self.h = h
        self.n_cols = 0
        self._chunks: list[tuple[NDArray, NDArray, NDArray, NDArray]] = []
        self._seen: set[tuple[int, bytes, bytes]] = set()

    def add(
        self,
        targets: NDArray,
        types: NDArray,
        counts: NDArray,
        true: NDArray,
        dedupe: bool = False,
    ) -> int:
        """Add columns: target ``targets[r]`` with ``counts[r, c]`` weapons of type ``types[c]``.

        Parameters
        ----------
        targets : (m,) target of each column
        types : (k,) the weapon types the counts refer to
        counts : (m, k) weapons of each type per column
        true : (m,) column costs
        dedupe : skip columns already held (costs a Python loop over the columns)

        Returns
        -------
        The number of columns added.
        """
        counts = np.asarray(counts, dtype=np.int64).reshape(len(targets), types.size)
        if dedupe:
            keep = []
            for r in range(len(targets)):
                nz = np.flatnonzero(counts[r])
                key = (int(targets[r]), types[nz].tobytes(), counts[r, nz].tobytes())
                if key not in self._seen:
                    self._seen.add(key)
                    keep.append(r)
            targets, counts, true = targets[keep], counts[keep], true[keep]
        m = len(targets)
        if m == 0:
            return 0
        n_t = self.inst.n_t
        rows_nz, cols_nz = np.nonzero(counts)  # row-major: grouped by column of the master
        per_col = 1 + np.bincount(rows_nz, minlength=m)
        starts = np.concatenate([[0], np.cumsum(per_col)[:-1]])
        index = np.empty(per_col.sum(), np.int32)
        coef = np.empty(per_col.sum())
        index[starts] = targets
        coef[starts] = 1.0
        # Entry r of a column's weapon rows sits after its target row and its earlier ones.
        rank = np.arange(rows_nz.size) - (np.cumsum(per_col - 1) - (per_col - 1))[rows_nz]
        pos = starts[rows_nz] + 1 + rank
        index[pos] = n_t + types[cols_nz]
        coef[pos] = counts[rows_nz, cols_nz]
        self.h.addCols(
            m,
            np.asarray(true, float),
            np.zeros(m),
            np.ones(m),
            index.size,
            starts.astype(np.int32),
            index,
            coef,
        )
        self._chunks.append((np.asarray(targets, np.int64), starts + 0, index, coef))
        self.n_cols += m
        return m

    def columns(self, chosen: NDArray) -> list[tuple[int, NDArray, NDArray]]:
        """(target, types, counts) of the columns with the given indices."""
        out = []
        offset = 0
        n_t = self.inst.n_t
        wanted = set(int(c) for c in chosen)
        for targets, starts, index, coef in self._chunks:
            ends = np.append(starts[1:], index.size)
            for r in range(len(targets)):
                if offset + r in wanted:
                    sl = slice(starts[r] + 1, ends[r])
                    out.append((int(targets[r]), index[sl] - n_t, coef[sl].astype(np.int64)))
            offset += len(targets)
        return out

    def solve(self, deadline_s: float) -> bool:
        """Run HiGHS until the deadline; True if it finished with an optimal solution."""
        self.h.setOptionValue("time_limit", max(deadline_s - time.perf_counter(), 1e-3))
        self.h.run()
        return self.h.getModelStatus() == HighsModelStatus.kOptimal

    def duals(self) -> tuple[float, NDArray, NDArray]:
        """LP value, target-row duals and weapon prices w >= 0 (minus the weapon-row duals)."""
        row_dual = np.asarray(self.h.getSolution().row_dual)
        n_t = self.inst.n_t
        value = float(self.h.getInfo().objective_function_value)
        return value, row_dual[:n_t], np.maximum(-row_dual[n_t:], 0.0)

    def solve_integer(
        self, deadline_s: float, max_nodes: int, start: NDArray
    ) -> tuple[NDArray, bool] | None:
        """Best set partition over the columns held: (assignment, proven optimal) or None.

        ``start`` indexes the columns of a known solution, handed to HiGHS as its
        first incumbent. HiGHS stops at the deadline or after ``max_nodes``
        branch-and-bound nodes (a limit on work rather than time, so the result does
        not depend on the machine's speed).
        """
        h = self.h
        n = self.n_cols
        x0 = np.zeros(n)
        x0[start] = 1.0
        h.setSolution(n, np.arange(n, dtype=np.int32), x0)
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, np.uint8))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.0)
        h.setOptionValue("mip_max_nodes", max_nodes)
        optimal = self.solve(deadline_s)
        x = np.asarray(h.getSolution().col_value)
        if x.size != n or h.getInfo().primal_solution_status != 2:  # 2: feasible
            return None
        return _expand(self.inst, self.columns(np.flatnonzero(x > 0.5))), optimal


@jit
def _price_targets(
    value: NDArray, q_type: NDArray, cost_type: NDArray, cap: NDArray, w: NDArray
) -> tuple[NDArray, NDArray]:
    """Every target's cheapest column at weapon prices w.

    Returns
    -------
    best : (n_targets,) cheapest priced cost (column cost + prices of its weapons)
    counts : (n_targets, n_types) weapons of each type in that column
    """
    n_y, n_t = q_type.shape
    best = np.empty(n_t)
    counts = np.zeros((n_t, n_y), np.int64)
    wc = cost_type + w
    for j in range(n_t):
        useful = np.flatnonzero((q_type[:, j] < 1.0) & (cap > 0))
        qj = q_type[useful, j]
        rate = np.zeros(useful.size)
        for e in range(useful.size):
            if qj[e] > 0.0:
                rate[e] = wc[useful[e]] / -math.log(qj[e])
        order = useful[np.argsort(rate, kind="mergesort")]
        q_o, wc_o, cap_o = q_type[order, j], wc[order], cap[order]
        # A greedy column first: its cost is a tight starting threshold for the search.
        theta = value[j]
        left = cap_o.copy()
        surv = value[j]
        spent = 0.0
        while True:
            pick = -1
            gain_max = 0.0
            for e in range(order.size):
                if left[e] > 0:
                    g = surv * (1.0 - q_o[e]) - wc_o[e]
                    if g > gain_max:
                        gain_max = g
                        pick = e
            if pick < 0:
                break
            left[pick] -= 1
            surv *= q_o[pick]
            spent += wc_o[pick]
        theta = min(theta, surv + spent) * (1.0 + 1e-9) + 1e-12
        found, priced, _ = _column_search(value[j], q_o, wc_o, cap_o, theta, 0.0, True, 1 << 40)
        best[j] = priced[-1]
        for e in range(order.size):
            counts[j, order[e]] = found[-1, e]
    return best, counts


def _price_all(inst: _Instance, w: NDArray) -> tuple[float, NDArray, NDArray]:
    """L(w), each target's priced optimum and its column (dense counts per type)."""
    best, counts = _price_targets(inst.value, inst.q_type, inst.cost_type, inst.cap, w)
    return float(best.sum() - inst.cap @ w), best, counts


def _start_prices(inst: _Instance, pk: NDArray, cost: NDArray, a: NDArray) -> NDArray:
    """Weapon prices suggested by a locally optimal assignment.

    For the incumbent's columns to price out, a weapon's price must be at least what
    it would remove from any other target (else adding it there would pay) and at
    most what it removes from its own. The lower end is the better start in practice
    (it gives a Lagrangian bound within a few per cent on random instances); a type
    with a weapon held back starts at 0.
    """
    q = 1.0 - pk
    nz_prod, n_zero = _products(q, a, inst.n_t)
    surv = np.where(n_zero == 0, nz_prod, 0.0)
    gain = pk * (inst.value * surv)[None, :] - cost[:, None]  # adding weapon i to target j
    fired = a >= 0
    gain[np.flatnonzero(fired), a[fired]] = -np.inf
    lower = np.maximum(gain.max(axis=1, initial=0.0), 0.0)
    w = np.zeros(inst.n_types)
    np.maximum.at(w, inst.type_of, lower)
    w[np.unique(inst.type_of[~fired])] = 0.0
    return w


def _add_assignment(master: _Master, a: NDArray) -> NDArray:
    """Add the empty column of every target and the columns of assignment ``a``.

    The master must be empty. Returns the indices of the columns that make up ``a``.
    """
    inst = master.inst
    targets = np.arange(inst.n_t)
    master.add(targets, np.zeros(0, np.int64), np.zeros((inst.n_t, 0)), inst.value, dedupe=True)
    counts = np.zeros((inst.n_t, inst.n_types), np.int64)
    fired = a >= 0
    np.add.at(counts, (a[fired], inst.type_of[fired]), 1)
    used = counts.sum(axis=1) > 0
    true = inst.value * np.prod(inst.q_type.T**counts, axis=1) + counts @ inst.cost_type
    master.add(targets[used], np.arange(inst.n_types), counts[used], true[used], dedupe=True)
    index = targets.copy()  # the empty columns come first, one per target
    index[used] = inst.n_t + np.arange(used.sum())
    return index


def _expand(inst: _Instance, chosen: list[tuple[int, NDArray, NDArray]]) -> NDArray:
    """Turn per-target type counts into a weapon-level assignment."""
    a = np.full(inst.n_w, -1, dtype=np.int64)
    pools = [list(np.flatnonzero(inst.type_of == t)) for t in range(inst.n_types)]
    for j, types, counts in chosen:
        for t, k in zip(types, counts, strict=True):
            for _ in range(int(k)):
                a[pools[t].pop()] = j
    return a


def _lower_bound(
    inst: _Instance,
    pk: NDArray,
    cost: NDArray,
    a: NDArray,
    ub: float,
    tol: float,
    deadline_s: float,
) -> tuple[float, NDArray, NDArray, _Master, NDArray]:
    """Best Lagrangian bound found by stabilised column generation.

    Prices are smoothed towards the best point so far (Wentges, 1997): separating at
    alpha * w_best + (1 - alpha) * w_LP avoids the wild dual jumps of plain column
    generation on this degenerate master; alpha falls after a round that raised the
    bound and rises after one that did not. Returns (bound, its prices, each target's
    priced optimum at those prices, the master with the columns generated, the
    indices of the incumbent's columns in it) and stops once the bound meets the LP
    value or the incumbent.
    """
    master = _Master(inst)
    start = _add_assignment(master, a)
    all_types = np.arange(inst.n_types)
    targets = np.arange(inst.n_t)
    w_best = _start_prices(inst, pk, cost, a)
    lb, price_best, counts = _price_all(inst, w_best)
    master.add(targets, all_types, counts, price_best - counts @ w_best, dedupe=True)
    alpha = _ALPHA_START
    while ub - lb > tol and time.perf_counter() < deadline_s:
        if not master.solve(deadline_s):
            break
        z_lp, mu, w_lp = master.duals()
        if z_lp - lb <= tol:
            break
        w_sep = alpha * w_best + (1.0 - alpha) * w_lp
        lag, price, counts = _price_all(inst, w_sep)
        improved = lag > lb
        if improved:
            lb, w_best, price_best = lag, w_sep, price
        true = price - counts @ w_sep
        rc = true + counts @ w_lp - mu
        new = rc < -tol
        added = master.add(targets[new], all_types, counts[new], true[new], dedupe=True)
        if added == 0:
            if alpha == 0.0:
                break  # no column prices out at the LP duals: the LP is optimal
            alpha = 0.0 if alpha < 0.1 else alpha - 0.3
        else:  # trust the LP duals more after a round that raised the bound
            alpha = max(alpha - _ALPHA_STEP, 0.0) if improved else min(alpha + _ALPHA_STEP, 0.95)
    return lb, w_best, price_best, master, start


def solve_exact(
    pk: NDArray,
    value: NDArray,
    cost: NDArray,
    incumbent: NDArray,
    *,
    deadline_s: float = math.inf,
    rel_tol: float = 1e-9,
    max_columns: int = 100_000,
    max_nodes: int = 1_000_000,
    master_ip: bool = True,
) -> ExactResult:
    """Prove the incumbent optimal or find a better assignment.

    Parameters
    ----------
    pk : (n_weapons, n_targets) kill probabilities in [0, 1]
    value : (n_targets,) target values >= 0
    cost : (n_weapons,) firing costs >= 0 (zeros for the classic problem)
    incumbent : (n_weapons,) a good assignment (e.g. from the heuristic search)
    deadline_s : ``time.perf_counter`` time by which to return (best found so far)
    rel_tol : optimality tolerance relative to the objective
    max_columns : most columns enumerated for the integer program; above it the gap
        used for enumeration is narrowed and optimality is proven only if the
        integer optimum falls inside the narrowed gap
    max_nodes : branch-and-bound nodes allowed to HiGHS in the final integer program
        (a hundredth of it in the one over the generated columns, which only looks
        for a better incumbent)
    master_ip : first look for a better incumbent among the generated columns
        (False goes straight to the enumeration; the answer is the same)

    Returns
    -------
    ExactResult
    """
    inst = _Instance(pk, value, cost)
    best_a = np.asarray(incumbent, dtype=np.intp).copy()
    ub = float(objective(1.0 - pk, value, cost, best_a))
    tol = rel_tol * max(1.0, abs(ub))
    lb, w, price, master, start = _lower_bound(inst, pk, cost, best_a, ub, tol, deadline_s)
    if master_ip and ub - lb > tol and time.perf_counter() < deadline_s:
        # The generated columns often hold a better solution than the incumbent (the
        # LP optimum is frequently integral): solve them as an integer program first,
        # so that the gap, and with it the enumeration below, shrinks.
        now = time.perf_counter()
        found = master.solve_integer(
            now + (deadline_s - now) / 2.0, max(max_nodes // 100, 1), start
        )
        if found is not None:
            obj = _objective(inst, found[0])
            if obj < ub:
                best_a, ub = found[0], obj
    if ub - lb <= tol:
        return ExactResult(best_a, ub, lb, True, 0)
    # Every column of a solution at least as good as the incumbent fits in the gap.
    gap = ub - lb + tol
    while time.perf_counter() < deadline_s:
        master = _Master(inst)
        start = _add_assignment(master, best_a)  # duplicates of enumerated columns: harmless
        overflow = False
        for j in range(inst.n_t):
            # The search cannot watch the clock: cap its output by the time left.
            left_s = deadline_s - time.perf_counter()
            cap = int(min(max_columns, max(left_s, 0.0) * _COLUMNS_PER_S))
            types, counts, _, true, over = inst.search(j, w, float(price[j]), gap, cap)
            master.add(np.full(len(true), j), types, counts, true)
            if over or master.n_cols > max_columns:
                overflow = True
                break
            if time.perf_counter() >= deadline_s:
                return ExactResult(best_a, ub, lb, False, 0)
        if not overflow:
            break
        gap /= 4.0
    else:
        return ExactResult(best_a, ub, lb, False, 0)
    found = master.solve_integer(deadline_s, max_nodes, start)
    if found is None:
        return ExactResult(best_a, ub, lb, False, master.n_cols)
    a_ip, ip_optimal = found
    obj = _objective(inst, a_ip)
    if obj < ub:
        best_a, ub = a_ip, obj
    # The integer program proves optimality when its optimum lies inside the gap.
    proven = ip_optimal and ub <= lb + gap
    return ExactResult(best_a, ub, ub if proven else lb, proven, master.n_cols)


def _objective(inst: _Instance, a: NDArray) -> float:
    q = inst.q_type[inst.type_of]
    return float(objective(q, inst.value, inst.cost_type[inst.type_of], a))
