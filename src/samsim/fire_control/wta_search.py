"""Heuristic search for the static weapon-target assignment problem.

Three layers, each never worse than the one before:

1. ``greedy``: maximum marginal return (den Broeder, Ellison and Emerling,
   Operations Research 1959): repeatedly commit the weapon-target pair whose
   shot removes the most expected surviving value net of the weapon's cost.
2. ``local_search``: first-improvement descent over two small neighbourhoods,
   moving one weapon to another target (or holding it back) and swapping the
   targets of two weapons, evaluated in O(1) each from per-target survival
   products.
3. ``multi_exchange``: a very-large-scale neighbourhood in the spirit of Ahuja,
   Kumar, Jha and Orlin (Operations Research 55(6), 2007). Each target gives up
   at most one of its weapons; the freed weapons (and any weapon held back) are
   then re-placed so that every target receives at most one of them. With the
   other weapons fixed the cost of giving weapon i to target j is
   ``-value_j * S'_j * pk_ij + cost_i`` (S'_j the target's survival after the
   removal), so the best re-placement is a linear assignment problem, solved
   exactly (scipy's ``linear_sum_assignment``). The neighbourhood contains
   every cyclic and path exchange of Ahuja et al. among the removed weapons;
   which weapon each target gives up is drawn from a seeded generator.

``improve`` alternates 2 and 3 until a round of ``patience`` multi-exchanges in
a row finds nothing (convergence) or the deadline passes.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from samsim._jit import jit

_REL_TOL = 1e-12  # a change must beat this share of the objective to count as an improvement
_MAX_PASSES = 12  # Bellman-Ford passes per cycle search in the exchange neighbourhood
_PAIR_MAX_WEAPONS = 10  # pairs of targets holding more weapons are not re-split


@jit
def greedy(pk: NDArray, value: NDArray, cost: NDArray) -> NDArray:
    """Maximum-marginal-return greedy assignment.

    Parameters
    ----------
    pk : (n_weapons, n_targets) kill probabilities
    value : (n_targets,) target values
    cost : (n_weapons,) cost of firing each weapon (zeros for the classic problem)

    Returns
    -------
    (n_weapons,) target per weapon, -1 = held back (no shot gains more than it costs).
    """
    n_w, n_t = pk.shape
    a = np.full(n_w, -1, np.int64)
    if n_w == 0 or n_t == 0:
        return a
    remaining = value.copy()
    free = np.ones(n_w, np.bool_)
    best_j = np.zeros(n_w, np.int64)
    best_g = np.full(n_w, -np.inf)
    for i in range(n_w):
        for j in range(n_t):
            g = pk[i, j] * remaining[j] - cost[i]
            if g > best_g[i]:
                best_g[i] = g
                best_j[i] = j
    for _ in range(n_w):
        pick = -1
        g_max = 0.0
        for i in range(n_w):
            if free[i] and best_g[i] > g_max:
                g_max = best_g[i]
                pick = i
        if pick < 0:
            break
        jj = best_j[pick]
        a[pick] = jj
        free[pick] = False
        remaining[jj] *= 1.0 - pk[pick, jj]
        # Only weapons whose best target was jj can have lost their best choice.
        for i in range(n_w):
            if free[i] and best_j[i] == jj:
                best_g[i] = -np.inf
                for j in range(n_t):
                    g = pk[i, j] * remaining[j] - cost[i]
                    if g > best_g[i]:
                        best_g[i] = g
                        best_j[i] = j
    return a


@jit
def _products(q: NDArray, a: NDArray, n_t: int) -> tuple[NDArray, NDArray]:
    """Per target: product of the non-zero survival factors and the count of zero ones."""
    nz_prod = np.ones(n_t)
    n_zero = np.zeros(n_t, np.int64)
    for i in range(a.size):
        j = a[i]
        if j >= 0:
            if q[i, j] > 0.0:
                nz_prod[j] *= q[i, j]
            else:
                n_zero[j] += 1
    return nz_prod, n_zero


@jit
def objective(q: NDArray, value: NDArray, cost: NDArray, a: NDArray) -> float:
    """Expected surviving value plus the cost of the weapons fired."""
    nz_prod, n_zero = _products(q, a, value.size)
    total = 0.0
    for j in range(value.size):
        if n_zero[j] == 0:
            total += value[j] * nz_prod[j]
    for i in range(a.size):
        if a[i] >= 0:
            total += cost[i]
    return total


@jit
def _without(q: NDArray, a: NDArray, nz_prod: NDArray, n_zero: NDArray, i: int) -> float:
    """Survival of weapon i's target if weapon i were taken off it."""
    j = a[i]
    if q[i, j] > 0.0:
        return nz_prod[j] / q[i, j] if n_zero[j] == 0 else 0.0
    return nz_prod[j] if n_zero[j] == 1 else 0.0


@jit
def _descent_pass(q: NDArray, value: NDArray, cost: NDArray, a: NDArray, tol: float) -> int:
    """One sweep over the weapons, applying each weapon's best improving move or swap.

    A move sends one weapon to another target (or holds it back); a swap exchanges
    the targets of two weapons (one of them may be held back). ``a`` is modified
    in place. Returns the number of changes made.
    """
    n_w, n_t = q.shape
    nz_prod, n_zero = _products(q, a, n_t)  # fresh each sweep: no drift from divisions
    surv = np.where(n_zero == 0, nz_prod, 0.0)
    s_wo = np.zeros(n_w)  # survival of a weapon's own target without it
    for i in range(n_w):
        if a[i] >= 0:
            s_wo[i] = _without(q, a, nz_prod, n_zero, i)
    changes = 0
    for i in range(n_w):
        j = a[i]
        base = 0.0
        if j >= 0:
            base = value[j] * (s_wo[i] - surv[j]) - cost[i]
        best_d = -tol
        best_k = -2
        if j >= 0 and base < best_d:
            best_d = base
            best_k = -1
        for k in range(n_t):
            if k == j:
                continue
            d = base + cost[i] - value[k] * surv[k] * (1.0 - q[i, k])
            if d < best_d:
                best_d = d
                best_k = k
        best_m = -1
        for m in range(n_w):
            k = a[m]
            if m == i or k == j:
                continue
            d = 0.0
            if j >= 0:
                d += value[j] * (s_wo[i] * q[m, j] - surv[j])
            else:
                d += cost[i] - cost[m]
            if k >= 0:
                d += value[k] * (s_wo[m] * q[i, k] - surv[k])
            else:
                d += cost[m] - cost[i]
            if d < best_d:
                best_d = d
                best_m = m
        if best_m >= 0:
            a[i] = a[best_m]
            a[best_m] = j
        elif best_k >= -1:
            a[i] = best_k
        else:
            continue
        changes += 1
        nz_prod, n_zero = _products(q, a, n_t)
        surv = np.where(n_zero == 0, nz_prod, 0.0)
        for m in range(n_w):
            if a[m] >= 0:
                s_wo[m] = _without(q, a, nz_prod, n_zero, m)
    return changes


def local_search(
    q: NDArray, value: NDArray, cost: NDArray, a: NDArray, deadline_s: float = np.inf
) -> NDArray:
    """Sweep single moves and pairwise swaps until none improves or the deadline passes.

    ``a`` is modified in place and returned; ``deadline_s`` is a ``time.perf_counter`` time.
    """
    tol = _REL_TOL * (1.0 + objective(q, value, cost, a))
    while time.perf_counter() < deadline_s and _descent_pass(q, value, cost, a, tol) > 0:
        pass
    return a


@jit
def _negative_cycles(arc: NDArray, tol: float, max_passes: int) -> NDArray:
    """Node-disjoint negative cycles of a dense graph, found by Bellman-Ford passes.

    ``arc[a, b]`` is the cost of arc a -> b (``inf`` = no arc). Every node starts at
    distance 0 (a virtual source), so a cycle anywhere can be found; a cycle in the
    predecessor graph always has negative cost. Each cycle found is recorded and its
    nodes are taken out before the search goes on. At most ``max_passes`` passes are
    made per cycle: improving exchanges are short, and this bounds the work.

    Returns
    -------
    (n,) successor of each node on its cycle, -1 for nodes on none.
    """
    n = arc.shape[0]
    succ = np.full(n, -1, np.int64)
    dead = np.zeros(n, np.bool_)
    stamp = np.empty(n, np.int64)
    while True:
        dist = np.zeros(n)
        pred = np.full(n, -1, np.int64)
        found = -1
        for _ in range(min(n, max_passes)):
            changed = False
            for x in range(n):  # row by row: arc is read in memory order
                if dead[x]:
                    continue
                dx = dist[x]
                row = arc[x]
                for b in range(n):
                    d = dx + row[b]
                    if d < dist[b] - tol and not dead[b] and b != x:
                        dist[b] = d
                        pred[b] = x
                        changed = True
            if not changed:
                break
            # Look for a cycle in the predecessor graph.
            stamp[:] = -1
            for s0 in range(n):
                if dead[s0] or stamp[s0] >= 0:
                    continue
                x = s0
                while x >= 0 and stamp[x] < 0:
                    stamp[x] = s0
                    x = pred[x]
                if x >= 0 and stamp[x] == s0:
                    found = x
                    break
            if found >= 0:
                break
        if found < 0:
            return succ
        # Walk the cycle once; check its true cost before accepting it.
        total = 0.0
        x = found
        while True:
            total += arc[pred[x], x]
            x = pred[x]
            if x == found:
                break
        if total >= -tol:
            return succ
        x = found
        while True:
            succ[pred[x]] = x
            dead[x] = True
            x = pred[x]
            if x == found:
                break


def multi_exchange(
    pk: NDArray,
    q: NDArray,
    value: NDArray,
    cost: NDArray,
    a: NDArray,
    rng: np.random.Generator,
) -> bool:
    """One very-large-scale exchange step; ``a`` is modified in place. True if it improved.

    Every target with weapons gives up one of them (drawn by ``rng``); the freed
    weapons and the weapons held back then form the nodes of an improvement graph
    (Ahuja et al. 2007): arc a -> b moves weapon a into the place b leaves, at the
    change of cost this causes; a root node closes path exchanges (a weapon goes to
    a target that gave nothing up, or is held back). Since each target gives up at
    most one weapon, the cost of a cycle is exactly the sum of its arcs. Disjoint
    negative cycles are applied together.
    """
    n_t = pk.shape[1]
    fired = np.flatnonzero(a >= 0)
    order = fired[rng.permutation(fired.size)]
    _, first = np.unique(a[order], return_index=True)
    removed = order[first]
    moving = np.concatenate([removed, np.flatnonzero(a < 0)])
    m = moving.size
    if m == 0:
        return False
    slot = a[moving]  # target each moving weapon leaves (-1: it was held back)
    rest = a.copy()
    rest[moving] = -1
    nz_prod, n_zero = _products(q, rest, n_t)
    weight = value * np.where(n_zero == 0, nz_prod, 0.0)
    # c[x, t]: change of objective when moving weapon x is placed on target t.
    c = cost[moving, None] - pk[moving] * weight[None, :]
    here = np.where(slot >= 0, c[np.arange(m), np.maximum(slot, 0)], 0.0)
    open_t = np.ones(n_t, dtype=bool)
    open_t[slot[slot >= 0]] = False
    # Best way for a weapon to end a path: an open target or being held back.
    end_t = np.full(m, -1)
    end_c = np.zeros(m)
    if open_t.any():
        idx = np.flatnonzero(open_t)
        k = np.argmin(c[:, idx], axis=1)
        better = c[np.arange(m), idx[k]] < 0.0
        end_t[better] = idx[k][better]
        end_c[better] = c[np.arange(m), idx[k]][better]
    arc = np.full((m + 1, m + 1), np.inf)
    takes = slot >= 0  # only a place on a target can be taken over
    arc[:m, :m][:, takes] = c[:, slot[takes]] - here[:, None]
    np.fill_diagonal(arc, np.inf)
    arc[:m, m] = end_c - here  # weapon ends the path
    arc[m, :m] = 0.0  # root: a weapon leaves its place and nobody takes it
    tol = _REL_TOL * (1.0 + float(weight.sum()))
    succ = _negative_cycles(arc, tol, _MAX_PASSES)
    if (succ < 0).all():
        return False
    old = objective(q, value, cost, a)
    trial = a.copy()
    for x in np.flatnonzero(succ[:m] >= 0):
        y = succ[x]
        trial[moving[x]] = end_t[x] if y == m else slot[y]
    if objective(q, value, cost, trial) < old - _REL_TOL * (1.0 + abs(old)):
        a[:] = trial
        return True
    return False


@jit
def _pair_pass(q: NDArray, value: NDArray, cost: NDArray, a: NDArray, max_weapons: int) -> int:
    """Re-split the weapons of every pair of targets optimally between the two.

    For each pair of targets, the weapons on either are redistributed between them
    (or held back, when firing costs something) by enumerating every split; the best
    is kept. This reaches the two-for-one exchanges the single-weapon moves and the
    one-weapon-per-target exchanges cannot (two weapons leave one target together),
    which matters when there are more weapons than targets. Pairs holding more than
    ``max_weapons`` weapons are skipped. ``a`` is modified in place; returns the
    number of pairs changed.
    """
    n_w, n_t = q.shape
    hold = False
    for i in range(n_w):
        if cost[i] > 0.0:
            hold = True
    base = 3 if hold else 2
    changes = 0
    idx = np.empty(n_w, np.int64)
    opt = np.empty(n_w, np.int64)
    for j in range(n_t):
        for k in range(j + 1, n_t):
            m = 0
            for i in range(n_w):
                if a[i] == j or a[i] == k:
                    idx[m] = i
                    m += 1
            if m == 0 or m > max_weapons or (hold and m > max_weapons * 2 // 3):
                continue
            cur = 0.0
            sj = 1.0
            sk = 1.0
            for t in range(m):
                i = idx[t]
                if a[i] == j:
                    sj *= q[i, j]
                else:
                    sk *= q[i, k]
                cur += cost[i]
            cur += value[j] * sj + value[k] * sk
            best = cur - _REL_TOL * (1.0 + cur)
            best_code = -1
            n_codes = base**m
            for code in range(n_codes):
                sj = 1.0
                sk = 1.0
                fired = 0.0
                c = code
                for t in range(m):
                    i = idx[t]
                    d = c % base
                    c //= base
                    if d == 0:
                        sj *= q[i, j]
                        fired += cost[i]
                    elif d == 1:
                        sk *= q[i, k]
                        fired += cost[i]
                val = value[j] * sj + value[k] * sk + fired
                if val < best:
                    best = val
                    best_code = code
            if best_code >= 0:
                c = best_code
                for t in range(m):
                    d = c % base
                    c //= base
                    opt[t] = j if d == 0 else (k if d == 1 else -1)
                for t in range(m):
                    a[idx[t]] = opt[t]
                changes += 1
    return changes


def improve(
    pk: NDArray,
    value: NDArray,
    cost: NDArray,
    a: NDArray,
    *,
    deadline_s: float = np.inf,
    patience: int = 8,
    seed: int = 0,
) -> NDArray:
    """Descent and multi-exchanges, then pair re-splits, until nothing improves.

    Multi-exchanges run until ``patience`` in a row fail; then every pair of targets
    is re-split (``_pair_pass``); if that changed anything, the exchanges resume.

    Parameters
    ----------
    pk : (n_weapons, n_targets) kill probabilities
    value : (n_targets,) target values
    cost : (n_weapons,) firing costs (zeros for the classic problem)
    a : (n_weapons,) start assignment, modified in place and returned
    deadline_s : ``time.perf_counter`` time after which to stop with the best so far
    patience : failed multi-exchanges in a row that count as convergence
    seed : seed of the generator that picks which weapon each target gives up
    """
    q = 1.0 - pk
    rng = np.random.default_rng(seed)
    local_search(q, value, cost, a, deadline_s)
    step_s = 0.0  # duration of the last step: do not start one that cannot finish
    while True:
        failed = 0
        while failed < patience and time.perf_counter() + step_s < deadline_s:
            t0 = time.perf_counter()
            if multi_exchange(pk, q, value, cost, a, rng):
                failed = 0
                local_search(q, value, cost, a, deadline_s)
            else:
                failed += 1
            step_s = time.perf_counter() - t0
        if failed < patience:
            return a  # out of time
        t0 = time.perf_counter()
        if t0 + step_s >= deadline_s or _pair_pass(q, value, cost, a, _PAIR_MAX_WEAPONS) == 0:
            return a
        local_search(q, value, cost, a, deadline_s)
        step_s = max(step_s, time.perf_counter() - t0)


@jit
def drop_idle(q: NDArray, value: NDArray, cost: NDArray, a: NDArray) -> NDArray:
    """Hold back, one at a time, free weapons whose shot removes no surviving value.

    Such a shot changes nothing in the objective (a kill probability of 0, a target of
    value 0 or one already killed for sure), so reporting it as not fired is the
    clearer answer. ``a`` is modified in place and returned.
    """
    for i in range(a.size):
        j = a[i]
        if j < 0 or cost[i] > 0.0:
            continue
        nz_prod, n_zero = _products(q, a, value.size)
        s_wo = _without(q, a, nz_prod, n_zero, i)
        if value[j] * s_wo * (1.0 - q[i, j]) <= 0.0:
            a[i] = -1
    return a


@jit
def branch_and_bound(
    pk: NDArray, value: NDArray, cost: NDArray, start: NDArray, max_nodes: int
) -> tuple[NDArray, bool]:
    """Exact depth-first branch and bound over the weapons, for few weapons.

    Weapons are decided one at a time (most valuable first), each either on a target
    where its shot gains more than it costs or held back (a shot that gains nothing
    now cannot gain later, as the targets only lose survival). The bound: the weapons
    still undecided can together remove at most the sum of what each alone could
    remove now (diminishing returns). ``start`` is the first incumbent.

    Returns
    -------
    (best assignment, True if the search finished within ``max_nodes`` nodes).
    """
    n_w, n_t = pk.shape
    q = 1.0 - pk
    solo = np.empty(n_w)
    for i in range(n_w):
        solo[i] = np.max(pk[i] * value) - cost[i]
    order = np.argsort(-solo, kind="mergesort")
    best_a = start.copy()
    best = objective(q, value, cost, best_a)
    tol = _REL_TOL * (1.0 + abs(best))
    surv = np.ones((n_w + 1, n_t))
    fval = np.empty(n_w + 1)
    fval[0] = value.sum()
    opts = np.full((n_w, n_t + 1), -1, np.int64)
    n_opts = np.zeros(n_w, np.int64)
    pos = np.zeros(n_w, np.int64)
    chosen = np.full(n_w, -1, np.int64)
    gain = np.empty(n_t)
    nodes = 0

    def fill_options(d: int) -> None:  # targets where weapon order[d] gains, best first
        i = order[d]
        for j in range(n_t):
            gain[j] = value[j] * surv[d, j] * pk[i, j] - cost[i]
        by_gain = np.argsort(-gain, kind="mergesort")
        k = 0
        for j in by_gain:
            if gain[j] <= 0.0:
                break
            opts[d, k] = j
            k += 1
        opts[d, k] = -1  # held back, last
        n_opts[d] = k + 1
        pos[d] = 0

    if n_w == 0:
        return best_a, True
    fill_options(0)
    d = 0
    while d >= 0:
        if pos[d] >= n_opts[d]:
            d -= 1
            continue
        j = opts[d, pos[d]]
        pos[d] += 1
        i = order[d]
        surv[d + 1] = surv[d]
        fval[d + 1] = fval[d]
        if j >= 0:
            fval[d + 1] += cost[i] - value[j] * surv[d, j] * pk[i, j]
            surv[d + 1, j] *= q[i, j]
        chosen[d] = j
        nodes += 1
        if nodes > max_nodes:
            return best_a, False
        bound = fval[d + 1]
        for e in range(d + 1, n_w):
            r = order[e]
            top = 0.0
            for jj in range(n_t):
                g = value[jj] * surv[d + 1, jj] * pk[r, jj] - cost[r]
                if g > top:
                    top = g
            bound -= top
        if bound >= best - tol:
            continue
        if d + 1 == n_w:
            best = fval[d + 1]
            for e in range(n_w):
                best_a[order[e]] = chosen[e]
            continue
        d += 1
        fill_options(d)
    return best_a, True
