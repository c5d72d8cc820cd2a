"""Compiled tracker step under global nearest neighbour.

:func:`samsim.tracking.tracker.step` with ``association="gnn"`` and the
``"numba"`` backend hands a batch of one radar (or of one passive sensor) to
:func:`step_batch`: gating of the established tracks (radius terms, pair
search, IMM pair terms, chi-square gate), the local clutter density, the
assignment, the IMM-EKF updates, two-point initiation, new one-point tracks
and the end-of-step bookkeeping (looks, hits, misses, score, confirmation,
deletion), all in one call. The engine's batches hold a few dozen tracks and
returns, where the array version of the same step spent almost all its time
in the per-call overhead of a few hundred small numpy operations. Batches of
several sensors go batch by batch through :func:`gate`, :func:`apply_stage`,
:func:`initiate_stage` and :func:`finish`.

The arithmetic is the array version's, operation for operation and in the
same order, so that both give the same bits (tests/tracking/test_compiled_step.py
checks it over many steps): numpy's pairwise summation for means, ``(a + c) +
b`` for its ``einsum`` over three terms, fused multiply-adds where numpy's
``matmul`` calls BLAS, ``logaddexp`` as numpy writes it, the KD-tree's
distances beyond the dense pair search. What :func:`step_batch` leaves to the
caller it reports before touching the table: rows of several sensors, a
connected component of the assignment too large for a dense block (scipy's
sparse LAPJVsp in :func:`samsim.tracking.assign.assign_sparse`) and a table
too small for the new tracks.
"""

from __future__ import annotations

import math

import numpy as np
from numba import types
from numba.extending import intrinsic

from samsim._jit import jit
from samsim.tracking._kernels import gated_pair_terms, pair_terms, update_rows

FREE, TENTATIVE, CONFIRMED = 0, 1, 2
BIG_COST = 1e6
LOGE2 = math.log(2.0)
NX = 7
M = 2

# Float parameters (``float_params`` in tracker.py builds them from TrackerParams).
(
    P_GATE,
    P_SQRT_GATE,
    P_Q_MAX,
    P_CLUTTER,
    P_LOG_PD,
    P_VMAX,
    P_INIT_SPEED,
    P_INIT_SPEED2,
    P_EST_SPEED2,
    P_TAU0,
    P_TAU1,
    P_Q_CV,
    P_Q_CT,
    P_Q_TURN,
    P_INIT_TURN2,
    P_P_CT,
    P_LOG_MISS,
    P_SCORE_CAP,
    P_CONFIRM_SCORE,
    P_DELETE_SCORE,
    P_MAX_COAST,
    P_MAX_POS_SIGMA,
    P_FALSE_ALARMS,
    P_GATE_ANGLES,
    P_SQRT_GATE_ANGLES,
) = range(25)
N_FLOAT_PARAMS = 25
# Integer parameters.
I_USE_IMM, I_CONFIRM_HITS, I_CONFIRM_LOOKS, I_ONE_POINT_MISSES, I_DELETE_MISSES, I_KNN = range(6)
N_INT_PARAMS = 6

# Largest rows x columns block of an assignment the compiled step solves densely
# (Kuhn-Munkres). The array code (assign.DENSE_LIMIT) switches to LAPJVsp at 2,500
# cells; both find the least-cost matching, so they differ only where two matchings
# cost exactly the same. Dense raids (ten times taiwan_north's) form components of up to
# ~12,000 cells, which would otherwise go back to Python and be gated a second time.
DENSE_LIMIT = 16_384
DENSE_PAIRS = 4096  # tracker.DENSE_PAIRS: most candidates compared without KD-trees

# step_batch outcomes
DONE, NEED_PYTHON = 0, 1


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (what BLAS's kernels compute for numpy's matmul)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return sig, codegen


@jit
def _flag(v):
    """A bool known only at run time: a literal True or False argument would
    make numba compile the callee once more for that literal."""
    return v != 0


# --- numpy's arithmetic, element by element ----------------------------------------------


@jit
def _pairwise_block(a, lo, n):
    """numpy's pairwise summation of a[lo:lo + n], n <= 128 (numpy's blocksize)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r = np.empty(8)
    for j in range(8):
        r[j] = a[lo + j]
    i = 8
    while i < n - (n % 8):
        for j in range(8):
            r[j] += a[lo + i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jit
def _pairwise_sum(a):
    """numpy's pairwise summation (np.add.reduce) of a float64 array: blocks of at
    most 128, larger ranges split in halves (multiples of 8) and summed left +
    right. Written as a loop over an explicit stack (numba's cached recursion
    is not reliable)."""
    lo_s = np.empty(192, np.int64)
    n_s = np.empty(192, np.int64)
    stage = np.empty(192, np.int64)
    vals = np.empty(192)
    lo_s[0], n_s[0], stage[0] = 0, a.size, 0
    top = 1
    vtop = 0
    while top:
        top -= 1
        lo, n, st = lo_s[top], n_s[top], stage[top]
        if n <= 128:
            vals[vtop] = _pairwise_block(a, lo, n)
            vtop += 1
        elif st == 0:
            n2 = n // 2
            n2 -= n2 % 8
            lo_s[top], n_s[top], stage[top] = lo, n, 1
            lo_s[top + 1], n_s[top + 1], stage[top + 1] = lo + n2, n - n2, 0
            lo_s[top + 2], n_s[top + 2], stage[top + 2] = lo, n2, 0
            top += 3
        else:
            vals[vtop - 2] = vals[vtop - 2] + vals[vtop - 1]
            vtop -= 1
    return vals[0]


@jit
def _max_nan(a, b):
    """np.maximum of two floats (NaN propagates)."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


@jit
def _logaddexp(x, y):
    """np.logaddexp (numpy's npy_logaddexp)."""
    if x == y:
        return x + LOGE2
    tmp = x - y
    if tmp > 0:
        return x + math.log1p(math.exp(-tmp))
    if tmp <= 0:
        return y + math.log1p(math.exp(tmp))
    return tmp


@jit
def _mixture(loglik, c):
    """tracker.mixture_loglik of one pair: ln sum_m c_m exp(l_m)."""
    return _logaddexp(
        loglik[0] + math.log(_max_nan(c[0], 1e-300)), loglik[1] + math.log(_max_nan(c[1], 1e-300))
    )


@jit
def _trace3(P, r, o):
    return (P[r, o, o] + P[r, o + 1, o + 1]) + P[r, o + 2, o + 2]


@jit
def _vel_known(P, r, est_speed2):
    return _trace3(P, r, 3) / 3.0 < est_speed2


@jit
def _positions(z, spos, axes):
    """Measurements.positions_enu: (k, 3) ENU positions of radar rows."""
    n = z.shape[0]
    out = np.empty((n, 3))
    for j in range(n):
        rng_m, az, el = z[j, 0], z[j, 1], z[j, 2]
        ce = math.cos(el)
        l0 = rng_m * ce * math.sin(az)
        l1 = rng_m * ce * math.cos(az)
        l2 = rng_m * math.sin(el)
        for i in range(3):
            rot = (axes[j, 0, i] * l0 + axes[j, 1, i] * l1) + axes[j, 2, i] * l2
            out[j, i] = spos[j, i] + rot
    return out


@jit
def _polar_covariance(rng_m, az, el, s0, s1, s2, out):
    """ekf.polar_covariance of one row: G diag(sigma^2) G^T (BLAS order)."""
    ce, se = math.cos(el), math.sin(el)
    ca, sa = math.cos(az), math.sin(az)
    G = np.empty((3, 3))
    G[0, 0] = ce * sa
    G[0, 1] = rng_m * ce * ca
    G[0, 2] = -rng_m * se * sa
    G[1, 0] = ce * ca
    G[1, 1] = -rng_m * ce * sa
    G[1, 2] = -rng_m * se * ca
    G[2, 0] = se
    G[2, 1] = 0.0
    G[2, 2] = rng_m * ce
    d0, d1, d2 = s0 * s0, s1 * s1, s2 * s2
    GD = np.empty((3, 3))
    for i in range(3):
        GD[i, 0] = G[i, 0] * d0
        GD[i, 1] = G[i, 1] * d1
        GD[i, 2] = G[i, 2] * d2
    for i in range(3):
        for j in range(3):
            out[i, j] = fma(GD[i, 2], G[j, 2], fma(GD[i, 1], G[j, 1], GD[i, 0] * G[j, 0]))


@jit
def _meas_scale(z, sigma, j):
    """sigma_r^2 + (r max(sigma_az, sigma_el))^2 of one radar row."""
    s1, s2 = sigma[j, 1], sigma[j, 2]
    sa = _max_nan(s1, s2)
    v = z[j, 0] * sa
    return sigma[j, 0] * sigma[j, 0] + v * v


@jit
def _take1(a, idx):
    """a[idx] (written out: numba's fancy indexing and slice assignment are slow to compile)."""
    out = np.empty(idx.size, a.dtype)
    for q in range(idx.size):
        out[q] = a[idx[q]]
    return out


@jit
def _take2(a, idx):
    n1 = a.shape[1]
    out = np.empty((idx.size, n1), a.dtype)
    for q in range(idx.size):
        r = idx[q]
        for i in range(n1):
            out[q, i] = a[r, i]
    return out


@jit
def _take3(a, idx):
    n1, n2 = a.shape[1], a.shape[2]
    out = np.empty((idx.size, n1, n2), a.dtype)
    for q in range(idx.size):
        r = idx[q]
        for i in range(n1):
            for j in range(n2):
                out[q, i, j] = a[r, i, j]
    return out


@jit
def _take4(a, idx):
    n1, n2, n3 = a.shape[1], a.shape[2], a.shape[3]
    out = np.empty((idx.size, n1, n2, n3), a.dtype)
    for q in range(idx.size):
        r = idx[q]
        for i in range(n1):
            for j in range(n2):
                for k in range(n3):
                    out[q, i, j, k] = a[r, i, j, k]
    return out


@jit
def _stable_argsort(v):
    """Indices that sort ``v`` ascending, equal values in their order (insertion sort)."""
    n = v.size
    order = np.empty(n, np.int64)
    for i in range(n):
        order[i] = i
    for i in range(1, n):
        k = order[i]
        j = i - 1
        while j >= 0 and v[order[j]] > v[k]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = k
    return order


@jit
def _ball_pairs(points, radius, targets):
    """tracker.ball_pairs: (point, target) pairs within each point's radius, by point then target.

    Up to DENSE_PAIRS candidates the array code compares squared distances
    (numpy's einsum order); beyond, it matches KD-trees per radius bucket
    (powers of two): a pair is kept when its squared distance, summed in
    coordinate order, is within the bucket's largest radius and its distance
    within the point's own.
    """
    kp, kt = points.shape[0], targets.shape[0]
    out_i = np.empty(kp * kt, np.int64)
    out_j = np.empty(kp * kt, np.int64)
    n = 0
    if kp * kt <= DENSE_PAIRS:
        for i in range(kp):
            r2 = radius[i] * radius[i]
            for j in range(kt):
                d0 = points[i, 0] - targets[j, 0]
                d1 = points[i, 1] - targets[j, 1]
                d2 = points[i, 2] - targets[j, 2]
                if (d0 * d0 + d2 * d2) + d1 * d1 <= r2:
                    out_i[n] = i
                    out_j[n] = j
                    n += 1
        return out_i[:n].copy(), out_j[:n].copy()
    # Each point's bucket and the bucket's largest radius (NaN radii find nothing).
    bucket = np.empty(kp, np.int64)
    for i in range(kp):
        lg = math.log2(_max_nan(radius[i], 1.0))
        # NaN radii get a bucket of their own, infinite ones one past the largest double's
        bucket[i] = -1 if lg != lg else (1025 if lg > 1024.0 else math.ceil(lg))
    b0 = bucket.min()
    tops = np.full(bucket.max() - b0 + 1, -math.inf)
    for i in range(kp):
        if radius[i] > tops[bucket[i] - b0]:
            tops[bucket[i] - b0] = radius[i]
    # Targets by east coordinate: a point looks only at those whose east offset
    # alone could be within its bucket's radius (a superset of its pairs, since a
    # rounded sum of squares is never below one of its terms), then tests those
    # in target order. Cost grows with points x log(targets) + candidates, not
    # with points x targets.
    n_fin = 0
    fin = np.empty(kt, np.int64)
    for j in range(kt):
        if targets[j, 0] == targets[j, 0]:
            fin[n_fin] = j
            n_fin += 1
    fin = fin[:n_fin]
    east = np.empty(n_fin)
    for q in range(n_fin):
        east[q] = targets[fin[q], 0]
    by_east = np.argsort(east, kind="mergesort")
    east_sorted = np.empty(n_fin)
    for q in range(n_fin):
        east_sorted[q] = east[by_east[q]]
    cand = np.empty(n_fin, np.int64)
    mark = np.zeros(kt, np.bool_)
    for i in range(kp):
        top = radius[i]
        px = points[i, 0]
        if not (top == top and px == px):
            continue
        top = tops[bucket[i] - b0]
        ub = top * top
        reach = top * 1.000001 + 1e-6
        lo = np.searchsorted(east_sorted, px - reach, side="left")
        hi = np.searchsorted(east_sorted, px + reach, side="right")
        m = hi - lo
        wide = m * 16 > kt
        if wide:
            # A wide window (a dense raid): mark it and walk the targets in order,
            # cheaper than sorting it; the same pairs in the same order.
            for q in range(m):
                mark[fin[by_east[lo + q]]] = True
            picked = cand[:0]
            walk = kt
        else:
            for q in range(m):
                cand[q] = fin[by_east[lo + q]]
            picked = np.sort(cand[:m])
            walk = m
        for q in range(walk):
            if wide:
                if not mark[q]:
                    continue
                mark[q] = False
                j = q
            else:
                j = picked[q]
            d0 = points[i, 0] - targets[j, 0]
            d1 = points[i, 1] - targets[j, 1]
            d2 = points[i, 2] - targets[j, 2]
            s = (d0 * d0 + d1 * d1) + d2 * d2
            if s <= ub and math.sqrt(s) <= radius[i]:
                out_i[n] = i
                out_j[n] = j
                n += 1
    return out_i[:n].copy(), out_j[:n].copy()


# --- stage 1: established tracks ---------------------------------------------------------

# The coarse gate keeps a candidate pair when the track's position, moved on at
# constant velocity to the return's own time, lies within this radius of the
# return: COARSE_SCALE x sqrt(gate) standard deviations of a bound on the position
# and measurement spread (the larger IMM mode's position and velocity variances
# plus the modes' spread around the combined state, the turn rate's variance
# bending the path, the radar's range and cross-range noise), plus the larger
# mode's turn and the modes' offsets. The exact chi-square gate in (range,
# azimuth, elevation) follows, so a pair dropped here is a pair the tracker never
# considers. Measured over whole replications (pairs inside the exact gate that
# the coarse gate dropped; tests/tracking/test_coarse_gate.py checks a dense raid):
#   taiwan_north x10, replication 1: 835 of 795,344, from 1.41 million candidates; the radius it
#     replaced (the batch's largest noise and time spread, no turn-rate variance)
#     dropped 13,350 from 2.77 million;
#   taiwan_north, replication 0: 6 of 20,446 from 23,924 candidates; the old one 202 of 24,365.
# COARSE_SCALE = 0.7 dropped 169 at x10 from 1.65 million candidates.
COARSE_SCALE = 0.6


@jit
def meas_trace(rng_m, s_rng, s_az, s_el):
    """Trace of a radar return's noise in ENU [m^2]: sigma_r^2 + r^2 (sigma_az^2 + sigma_el^2)
    (an upper bound, cos(el) <= 1, of the cross-range terms). Also called on arrays."""
    return (s_rng * s_rng + (rng_m * s_az) * (rng_m * s_az)) + (rng_m * s_el) * (rng_m * s_el)


@jit
def coarse_radius(adt, rtr, pv, vv, dp, dv, sp, om, ow2, sqrt_gate, q):
    """The coarse gate's radius [m] of a track and a return ``adt`` [s] apart
    (see COARSE_SCALE; ``coarse_track_terms`` gives pv..ow2, ``meas_trace`` rtr,
    ``q`` the larger process noise). Also called on arrays (tracker.py)."""
    half = 0.5 * sp * (adt * adt)
    sig = np.sqrt(pv) + adt * np.sqrt(vv)
    var = ((sig * sig + q * (adt * adt) * adt) + rtr) + 3.0 * (half * half) * ow2
    return (COARSE_SCALE * sqrt_gate) * np.sqrt(var) + om * half + dp + dv * adt + 50.0


@jit
def coarse_track_terms(x, xm, Pm, r):
    """Track row ``r``'s terms of :func:`coarse_radius`: the larger mode's position
    and velocity variance traces plus the squared mode offsets pv, vv [m^2, m^2/s^2],
    the modes' largest position and velocity offsets from the combined state dp,
    dv, the speed plus dv sp [m/s], the largest |turn rate| om [rad/s] and turn
    rate variance ow2. tracker._coarse_track_terms is the array version."""
    for a in range(M):
        e0, e1, e2 = xm[r, a, 0] - x[r, 0], xm[r, a, 1] - x[r, 1], xm[r, a, 2] - x[r, 2]
        w0, w1, w2 = xm[r, a, 3] - x[r, 3], xm[r, a, 4] - x[r, 4], xm[r, a, 5] - x[r, 5]
        dpa = math.sqrt((e0 * e0 + e1 * e1) + e2 * e2)
        dva = math.sqrt((w0 * w0 + w1 * w1) + w2 * w2)
        pva = (Pm[r, a, 0, 0] + Pm[r, a, 1, 1]) + Pm[r, a, 2, 2]
        vva = (Pm[r, a, 3, 3] + Pm[r, a, 4, 4]) + Pm[r, a, 5, 5]
        oma = abs(xm[r, a, 6])
        ow2a = Pm[r, a, 6, 6]
        if a == 0:
            dp, dv, pv, vv, om, ow2 = dpa, dva, pva, vva, oma, ow2a
        else:
            dp, dv = _max_nan(dp, dpa), _max_nan(dv, dva)
            pv, vv = _max_nan(pv, pva), _max_nan(vv, vva)
            om, ow2 = _max_nan(om, oma), _max_nan(ow2, ow2a)
    speed = math.sqrt((x[r, 3] * x[r, 3] + x[r, 4] * x[r, 4]) + x[r, 5] * x[r, 5])
    return pv + dp * dp, vv + dv * dv, dp, dv, speed + dv, om, ow2


@jit
def gate(
    group, status, x, P, turn, ttime, mode_prob, xm, Pm, mtime, z, spos, axes, sigma, mpos, fp, ip
):
    """Candidate pairs of established tracks and the rows of ``group``, gated.

    Returns the gated pairs (rows, meas indices, local indices and their IMM
    terms), the cost -2 ln(mixture likelihood) of each, ``explained`` per row
    of the group, and whether the gated pairs are free of conflicts.
    """
    cap = status.size
    ng = group.size
    live = np.empty(cap, np.int64)
    nlive = 0
    for r in range(cap):
        if status[r] != FREE and _vel_known(P, r, fp[P_EST_SPEED2]):
            live[nlive] = r
            nlive += 1
    t = np.empty(ng)
    for j in range(ng):
        t[j] = mtime[group[j]]
    t_ref = _pairwise_sum(t) / ng
    spread = 0.0
    for j in range(ng):
        v = abs(t[j] - t_ref)
        if j == 0 or v > spread or v != v:
            spread = v
    rtr = np.empty(ng)
    rtr_max = 0.0
    for j in range(ng):
        v = meas_trace(z[group[j], 0], sigma[group[j], 0], sigma[group[j], 1], sigma[group[j], 2])
        rtr[j] = v
        if j == 0 or v > rtr_max or v != v:
            rtr_max = v
    q = fp[P_Q_MAX]
    sqrt_gate = fp[P_SQRT_GATE]
    terms = np.empty((nlive, 7))
    ppos = np.empty((nlive, 3))
    radius = np.empty(nlive)
    for k in range(nlive):
        r = live[k]
        pv, vv, dp, dv, sp, om, ow2 = coarse_track_terms(x, xm, Pm, r)
        terms[k, 0], terms[k, 1], terms[k, 2], terms[k, 3] = pv, vv, dp, dv
        terms[k, 4], terms[k, 5], terms[k, 6] = sp, om, ow2
        speed = sp - dv
        adt = abs(t_ref - ttime[r]) + spread
        radius[k] = (
            coarse_radius(adt, rtr_max, pv, vv, dp, dv, sp, om, ow2, sqrt_gate, q)
            + speed * spread
            + 1.0
        )
        dtp = t_ref - ttime[r]
        for i in range(3):
            ppos[k, i] = x[r, i] + x[r, i + 3] * dtp
    tpos = np.empty((ng, 3))
    for j in range(ng):
        for i in range(3):
            tpos[j, i] = mpos[group[j], i]
    pk, local = _ball_pairs(ppos, radius, tpos)
    # Each candidate against its own radius, at its own time (tracker.coarse_keep).
    npair = 0
    for c_ in range(pk.size):
        k, jl = pk[c_], local[c_]
        r = live[k]
        dt = mtime[group[jl]] - ttime[r]
        rad = coarse_radius(
            abs(dt), rtr[jl], terms[k, 0], terms[k, 1], terms[k, 2], terms[k, 3], terms[k, 4],
            terms[k, 5], terms[k, 6], sqrt_gate, q,
        )  # fmt: skip
        d0 = (x[r, 0] + x[r, 3] * dt) - mpos[group[jl], 0]
        d1 = (x[r, 1] + x[r, 4] * dt) - mpos[group[jl], 1]
        d2 = (x[r, 2] + x[r, 5] * dt) - mpos[group[jl], 2]
        if (d0 * d0 + d1 * d1) + d2 * d2 <= rad * rad:
            pk[npair] = k
            local[npair] = jl
            npair += 1
    pk = pk[:npair]
    local = local[:npair]
    rows = _take1(live, pk)
    cols = np.empty(npair, np.int64)
    for k in range(npair):
        cols[k] = group[local[k]]
    ok, c, xp, Pp, nu, S, Si, PHt, _d2, ll = gated_pair_terms(
        rows,
        cols,
        mode_prob,
        xm,
        Pm,
        ttime,
        mtime,
        z,
        spos,
        axes,
        sigma,
        _flag(0),
        ip[I_USE_IMM] != 0,
        fp[P_TAU0],
        fp[P_TAU1],
        fp[P_Q_CV],
        fp[P_Q_CT],
        fp[P_Q_TURN],
        fp[P_GATE],
    )
    nok = ok.size
    explained = np.zeros(ng, np.bool_)
    for q in range(nok):
        if status[rows[ok[q]]] == CONFIRMED:
            explained[local[ok[q]]] = True
    cost = np.empty(nok)
    for q in range(nok):
        cost[q] = -2.0 * _mixture(ll[q], c[q])
    # Conflict-free: every gated track and every gated row in one pair only.
    deg_r = np.zeros(cap, np.int64)
    deg_c = np.zeros(ng, np.int64)
    for k in range(nok):
        deg_r[rows[ok[k]]] += 1
        deg_c[local[ok[k]]] += 1
    conflict = False
    for k in range(nok):
        if deg_r[rows[ok[k]]] > 1 or deg_c[local[ok[k]]] > 1:
            conflict = True
    # assign_sparse of single pairs: each taken when its cost beats leaving both unmatched.
    pick = np.empty(nok, np.int64)
    npick = 0
    if not conflict:
        for k in range(nok):
            if cost[k] - BIG_COST < 0:
                pick[npick] = k
                npick += 1
    return (
        _take1(rows, ok),
        _take1(cols, ok),
        _take1(local, ok),
        c,
        xp,
        Pp,
        nu,
        S,
        Si,
        PHt,
        ll,
        cost,
        explained,
        conflict,
        pick[:npick].copy(),
    )


@jit
def _gnn_apply(
    rows,
    cols,
    c,
    xp,
    Pp,
    nu,
    S,
    Si,
    PHt,
    ll,
    lam,
    with_score,
    mode_prob,
    xm,
    Pm,
    x,
    P,
    turn,
    ttime,
    score,
    truth,
    interrogations,
    civil,
    friend,
    mtime,
    miff,
    mtruth,
    log_pd,
):
    """tracker._gnn_apply: update each pair's track with its measurement (rows distinct)."""
    n = rows.size
    post = np.empty((n, M))
    for k in range(n):
        lp0 = math.log(_max_nan(c[k, 0], 1e-300)) + ll[k, 0]
        lp1 = math.log(_max_nan(c[k, 1], 1e-300)) + ll[k, 1]
        norm = _logaddexp(lp0, lp1)
        post[k, 0] = math.exp(lp0 - norm)
        post[k, 1] = math.exp(lp1 - norm)
        mode_prob[rows[k], 0] = post[k, 0]
        mode_prob[rows[k], 1] = post[k, 1]
    update_rows(
        rows, xp, Pp, nu, S, Si, PHt, np.zeros((0, 1, 1, 1)), _flag(0), post, xm, Pm, x, P, turn
    )
    for k in range(n):
        r, j = rows[k], cols[k]
        ttime[r] = mtime[j]
        truth[r] = mtruth[j]
        f = miff[j]
        if f >= 0:
            interrogations[r] += 1
        if f == 1:
            civil[r] += 1
        if f == 2:
            friend[r] += 1
        if with_score:
            score[r] = score[r] + ((log_pd + _mixture(ll[k], c[k])) - math.log(lam[j]))


@jit
def _first_per(key, cost, n_keys):
    """tracker._first_per: least-cost entry per key (first on ties, NaN last), keys ascending."""
    best = np.full(n_keys, -1, np.int64)
    for k in range(key.size):
        b = best[key[k]]
        if b < 0 or cost[k] < cost[b] or (cost[b] != cost[b] and cost[k] == cost[k]):
            best[key[k]] = k
    out = np.empty(key.size, np.int64)
    n = 0
    for q in range(n_keys):
        if best[q] >= 0:
            out[n] = best[q]
            n += 1
    return out[:n]


@jit
def _one_point(
    cols,
    hit,
    status,
    x,
    P,
    xm,
    Pm,
    mode_prob,
    turn,
    ttime,
    score,
    truth,
    interrogations,
    civil,
    friend,
    mtime,
    z,
    spos,
    axes,
    sigma,
    miff,
    mtruth,
    mpos,
    fp,
    ip,
):
    """tracker._update_one_point: two-point initiation with the rows ``cols``."""
    cap = status.size
    nc = cols.size
    live = np.empty(cap, np.int64)
    nlive = 0
    for r in range(cap):
        if status[r] != FREE and not _vel_known(P, r, fp[P_EST_SPEED2]):
            live[nlive] = r
            nlive += 1
    if nlive == 0 or nc == 0:
        return
    t = np.empty(nc)
    for j in range(nc):
        t[j] = mtime[cols[j]]
    t_ref = _pairwise_sum(t) / nc
    spread = 0.0
    for j in range(nc):
        v = abs(t[j] - t_ref)
        if j == 0 or v > spread or v != v:
            spread = v
    meas_sd = np.empty(nc)
    sd_max = 0.0
    for j in range(nc):
        meas_sd[j] = math.sqrt(_meas_scale(z, sigma, cols[j]))
        if j == 0 or meas_sd[j] > sd_max or meas_sd[j] != meas_sd[j]:
            sd_max = meas_sd[j]
    vmax = fp[P_VMAX]
    # Candidates in the velocity gate (ball_pairs, dense), then the exact test.
    pts = np.empty((nlive, 3))
    radius = np.empty(nlive)
    for k in range(nlive):
        r = live[k]
        track_sd = math.sqrt(_trace3(P, r, 0))
        margin = 4.0 * (sd_max + track_sd)
        radius[k] = vmax * (abs(t_ref - ttime[r]) + spread) + margin
        for i in range(3):
            pts[k, i] = x[r, i]
    tpos = np.empty((nc, 3))
    for j in range(nc):
        for i in range(3):
            tpos[j, i] = mpos[cols[j], i]
    bk, bj = _ball_pairs(pts, radius, tpos)
    prow = np.empty(bk.size, np.int64)
    pcol = np.empty(bk.size, np.int64)
    pdp = np.empty((bk.size, 3))
    pdt = np.empty(bk.size)
    n = 0
    for b in range(bk.size):
        r = live[bk[b]]
        j = bj[b]
        m = cols[j]
        track_sd = math.sqrt(_trace3(P, r, 0))
        e0 = mpos[m, 0] - x[r, 0]
        e1 = mpos[m, 1] - x[r, 1]
        e2 = mpos[m, 2] - x[r, 2]
        dist = math.sqrt((e0 * e0 + e1 * e1) + e2 * e2)
        dt = mtime[m] - ttime[r]
        if (dist <= vmax * dt + 4.0 * (meas_sd[j] + track_sd)) and (dt > 1e-3):
            prow[n] = r
            pcol[n] = m
            pdp[n, 0] = e0
            pdp[n, 1] = e1
            pdp[n, 2] = e2
            pdt[n] = dt
            n += 1
    if n == 0:
        return
    cost = np.empty(n)
    R = np.empty((3, 3))
    T = np.empty((3, 3))
    C = np.empty((3, 3))
    s_init = fp[P_INIT_SPEED]
    for k in range(n):
        m, r = pcol[k], prow[k]
        _polar_covariance(z[m, 0], z[m, 1], z[m, 2], sigma[m, 0], sigma[m, 1], sigma[m, 2], R)
        A = axes[m]
        for i in range(3):
            for j in range(3):
                T[i, j] = fma(A[2, i], R[2, j], fma(A[1, i], R[1, j], A[0, i] * R[0, j]))
        for i in range(3):
            for j in range(3):
                rot = fma(T[i, 2], A[2, j], fma(T[i, 1], A[1, j], T[i, 0] * A[0, j]))
                C[i, j] = P[r, i, j] + rot
        v = s_init * pdt[k]
        for i in range(3):
            C[i, i] += v * v
        a, b, c = C[0, 0], C[0, 1], C[0, 2]
        e, f, ii = C[1, 1], C[1, 2], C[2, 2]
        A0 = e * ii - f * f
        B0 = c * f - b * ii
        C0 = b * f - c * e
        det = _max_nan(a * A0 + b * B0 + c * C0, 1e-300)
        T[0, 0] = A0 / det
        T[0, 1] = B0 / det
        T[1, 0] = B0 / det
        T[0, 2] = C0 / det
        T[2, 0] = C0 / det
        T[1, 1] = (a * ii - c * c) / det
        T[1, 2] = (b * c - a * f) / det
        T[2, 1] = T[1, 2]
        T[2, 2] = (a * e - b * b) / det
        acc = 0.0
        for i in range(3):
            for j in range(3):
                acc += pdp[k, i] * T[i, j] * pdp[k, j]
        cost[k] = acc + math.log(det)
    rows = prow[:n]
    cm = pcol[:n]
    best_of_track = _first_per(rows, cost, cap)
    best_of_meas = _first_per(cm, cost, mtime.size)
    is_meas_best = np.zeros(n, np.bool_)
    for k in best_of_meas:
        is_meas_best[k] = True
    claimed = np.zeros(mtime.size, np.bool_)
    take = np.empty(best_of_track.size, np.int64)
    nt = 0
    for k in best_of_track:
        if is_meas_best[k]:
            take[nt] = k
            nt += 1
            claimed[cm[k]] = True
    for k in best_of_track:
        if not is_meas_best[k] and not claimed[cm[k]]:
            take[nt] = k
            nt += 1
    take = take[:nt]
    trows = _take1(rows, take)
    tcols = _take1(cm, take)
    c, xp, Pp, nu, S, Si, PHt, _d2, ll = pair_terms(
        trows,
        tcols,
        mode_prob,
        xm,
        Pm,
        ttime,
        mtime,
        z,
        spos,
        axes,
        sigma,
        _flag(0),
        ip[I_USE_IMM] != 0,
        fp[P_TAU0],
        fp[P_TAU1],
        fp[P_Q_CV],
        fp[P_Q_CT],
        fp[P_Q_TURN],
    )
    _gnn_apply(
        trows,
        tcols,
        c,
        xp,
        Pp,
        nu,
        S,
        Si,
        PHt,
        ll,
        np.empty(0),
        _flag(0),
        mode_prob,
        xm,
        Pm,
        x,
        P,
        turn,
        ttime,
        score,
        truth,
        interrogations,
        civil,
        friend,
        mtime,
        miff,
        mtruth,
        0.0,
    )
    for r in trows:
        hit[r] = True


@jit
def _allocate(
    k,
    next_id,
    status,
    track_id,
    hits,
    looks,
    turn,
    misses,
    score,
    confirmed_s,
    interrogations,
    civil,
    friend,
    truth,
    ident,
):
    """TrackTable.allocate into free rows (the caller made sure there are k)."""
    rows = np.empty(k, np.int64)
    n = 0
    for r in range(status.size):
        if n == k:
            break
        if status[r] == FREE:
            rows[n] = r
            n += 1
    for q in range(k):
        r = rows[q]
        track_id[r] = next_id[0] + q
        hits[r] = 0
        looks[r] = 0
        turn[r] = 0.0
        misses[r] = 0
        score[r] = 0.0
        confirmed_s[r] = np.nan
        interrogations[r] = 0
        civil[r] = 0
        friend[r] = 0
        truth[r] = -1
        ident[r] = 0
    next_id[0] += k
    return rows


@jit
def _initiate(
    rows,
    cols,
    born,
    status,
    x,
    P,
    xm,
    Pm,
    mode_prob,
    turn,
    ttime,
    born_s,
    hits,
    looks,
    truth,
    interrogations,
    civil,
    friend,
    mtime,
    z,
    axes,
    sigma,
    miff,
    mtruth,
    mpos,
    fp,
):
    """tracker._initiate: one one-point tentative track per row of ``cols``, in table ``rows``."""
    R = np.empty((3, 3))
    Pc = np.empty((3, 3))
    s2 = fp[P_INIT_SPEED2]
    p_ct = fp[P_P_CT]
    for q in range(cols.size):
        r, m = rows[q], cols[q]
        _polar_covariance(z[m, 0], z[m, 1], z[m, 2], sigma[m, 0], sigma[m, 1], sigma[m, 2], R)
        A = axes[m]
        for i in range(3):
            for mm in range(3):
                acc = 0.0
                for j in range(3):
                    for li in range(3):
                        acc += A[j, i] * R[j, li] * A[li, mm]
                Pc[i, mm] = acc
        for mo in range(M):
            for i in range(NX):
                xm[r, mo, i] = 0.0
                for i2 in range(NX):
                    Pm[r, mo, i, i2] = 0.0
            for i in range(3):
                xm[r, mo, i] = mpos[m, i]
                for i2 in range(3):
                    Pm[r, mo, i, i2] = Pc[i, i2]
                Pm[r, mo, i + 3, i + 3] = s2
        Pm[r, 0, 6, 6] = 1e-12
        Pm[r, 1, 6, 6] = fp[P_INIT_TURN2]
        mode_prob[r, 0] = 1.0 - p_ct
        mode_prob[r, 1] = p_ct
        for i in range(6):
            x[r, i] = xm[r, 0, i]
            for i2 in range(6):
                P[r, i, i2] = Pm[r, 0, i, i2]
        turn[r] = 0.0
        ttime[r] = mtime[m]
        born_s[r] = mtime[m]
        status[r] = TENTATIVE
        hits[r] = 1
        looks[r] = 1
        truth[r] = mtruth[m]
        f = miff[m]
        if f >= 0:
            interrogations[r] += 1
        if f == 1:
            civil[r] += 1
        if f == 2:
            friend[r] += 1
        born[r] = True


@jit
def apply_stage(
    group,
    pick,
    rows,
    cols,
    local,
    c,
    xp,
    Pp,
    nu,
    S,
    Si,
    PHt,
    ll,
    lam,
    can_allocate,
    hit,
    born,
    next_id,
    status,
    x,
    P,
    xm,
    Pm,
    mode_prob,
    turn,
    ttime,
    track_id,
    hits,
    looks,
    misses,
    score,
    born_s,
    confirmed_s,
    interrogations,
    civil,
    friend,
    truth,
    ident,
    mtime,
    z,
    spos,
    axes,
    sigma,
    miff,
    mtruth,
    mpos,
    fp,
    ip,
):
    """Everything of one radar batch after the gate: GNN updates of the ``pick``
    pairs, two-point initiation and (``can_allocate``: the table has a free row
    for every return) the new one-point tracks.

    Returns the batch's returns that start a track and the rows of the new
    tracks (none when not ``can_allocate``: the caller grows the table and
    calls :func:`initiate_stage`).
    """
    ng = group.size
    cap = status.size
    used = np.zeros(ng, np.bool_)
    in_gate = np.zeros(ng, np.bool_)
    if pick.size:
        _gnn_apply(
            _take1(rows, pick),
            _take1(cols, pick),
            _take2(c, pick),
            _take3(xp, pick),
            _take4(Pp, pick),
            _take3(nu, pick),
            _take4(S, pick),
            _take4(Si, pick),
            _take4(PHt, pick),
            _take2(ll, pick),
            lam,
            _flag(1),
            mode_prob,
            xm,
            Pm,
            x,
            P,
            turn,
            ttime,
            score,
            truth,
            interrogations,
            civil,
            friend,
            mtime,
            miff,
            mtruth,
            fp[P_LOG_PD],
        )
    updated = np.zeros(cap, np.bool_)
    for p in pick:
        used[local[p]] = True
        updated[rows[p]] = True
        hit[rows[p]] = True
    for k in range(rows.size):
        if not updated[rows[k]]:
            in_gate[local[k]] = True
    nleft = 0
    for j in range(ng):
        if not used[j] and not in_gate[j]:
            nleft += 1
    left = np.empty(nleft, np.int64)
    nleft = 0
    for j in range(ng):
        if not used[j] and not in_gate[j]:
            left[nleft] = group[j]
            nleft += 1
    _one_point(
        left,
        hit,
        status,
        x,
        P,
        xm,
        Pm,
        mode_prob,
        turn,
        ttime,
        score,
        truth,
        interrogations,
        civil,
        friend,
        mtime,
        z,
        spos,
        axes,
        sigma,
        miff,
        mtruth,
        mpos,
        fp,
        ip,
    )
    if not can_allocate or nleft == 0:
        return left, np.zeros(0, np.int64)
    new = _allocate(
        nleft,
        next_id,
        status,
        track_id,
        hits,
        looks,
        turn,
        misses,
        score,
        confirmed_s,
        interrogations,
        civil,
        friend,
        truth,
        ident,
    )
    _initiate(
        new,
        left,
        born,
        status,
        x,
        P,
        xm,
        Pm,
        mode_prob,
        turn,
        ttime,
        born_s,
        hits,
        looks,
        truth,
        interrogations,
        civil,
        friend,
        mtime,
        z,
        axes,
        sigma,
        miff,
        mtruth,
        mpos,
        fp,
    )
    return left, new


@jit
def initiate_stage(
    rows,
    cols,
    born,
    status,
    x,
    P,
    xm,
    Pm,
    mode_prob,
    turn,
    ttime,
    born_s,
    hits,
    looks,
    truth,
    interrogations,
    civil,
    friend,
    mtime,
    z,
    axes,
    sigma,
    miff,
    mtruth,
    mpos,
    fp,
):
    """New one-point tracks in rows the caller allocated."""
    _initiate(
        rows,
        cols,
        born,
        status,
        x,
        P,
        xm,
        Pm,
        mode_prob,
        turn,
        ttime,
        born_s,
        hits,
        looks,
        truth,
        interrogations,
        civil,
        friend,
        mtime,
        z,
        axes,
        sigma,
        miff,
        mtruth,
        mpos,
        fp,
    )


@jit
def positions(z, spos, axes):
    """ENU positions (k, 3) of radar rows, as Measurements.positions_enu."""
    return _positions(z, spos, axes)


@jit
def finish(
    hit, born, seen, now_s, status, P, time_s, hits, looks, misses, score, confirmed_s, fp, ip
):
    """End of a step: looks, hits, misses, score; confirmation; deletion.

    Returns the rows confirmed and the rows deleted (ascending).
    """
    cap = status.size
    log_miss = fp[P_LOG_MISS]
    cap_score = fp[P_SCORE_CAP]
    for r in range(cap):
        if status[r] != FREE and not born[r]:
            if seen[r] or hit[r]:
                looks[r] += 1
            if hit[r]:
                hits[r] += 1
                misses[r] = 0
            elif seen[r]:
                misses[r] += 1
                score[r] = score[r] + log_miss
        if score[r] > cap_score:
            score[r] = cap_score
    vel_known = np.empty(cap, np.bool_)
    for r in range(cap):
        vel_known[r] = _vel_known(P, r, fp[P_EST_SPEED2])
    confirmed = np.empty(cap, np.int64)
    nc = 0
    for r in range(cap):
        if (
            status[r] == TENTATIVE
            and hits[r] >= ip[I_CONFIRM_HITS]
            and score[r] >= fp[P_CONFIRM_SCORE]
            and vel_known[r]
        ):
            confirmed[nc] = r
            nc += 1
    for q in range(nc):
        status[confirmed[q]] = CONFIRMED
        confirmed_s[confirmed[q]] = now_s
    deleted = np.empty(cap, np.int64)
    nd = 0
    slack = ip[I_CONFIRM_LOOKS] - ip[I_CONFIRM_HITS]
    for r in range(cap):
        st = status[r]
        if st == FREE:
            continue
        tentative = st == TENTATIVE
        coast = now_s - time_s[r]
        pos_sigma = math.sqrt(_trace3(P, r, 0) + _trace3(P, r, 3) * (coast * coast))
        drop = (
            score[r] < fp[P_DELETE_SCORE]
            or (tentative and (looks[r] - hits[r]) > slack)
            or (tentative and not vel_known[r] and misses[r] >= ip[I_ONE_POINT_MISSES])
            or coast > fp[P_MAX_COAST]
            or (
                st == CONFIRMED
                and (misses[r] >= ip[I_DELETE_MISSES] or pos_sigma > fp[P_MAX_POS_SIGMA])
            )
        )
        if drop:
            deleted[nd] = r
            nd += 1
    for q in range(nd):
        status[deleted[q]] = FREE
    return confirmed[:nc].copy(), deleted[:nd].copy()


@jit
def _hungarian(a):
    """Columns assigned to the rows of a dense cost matrix (n <= m), least total cost.

    Shortest augmenting paths with potentials (Kuhn-Munkres, O(n^2 m)).
    """
    n, m = a.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, np.int64)
    way = np.zeros(m + 1, np.int64)
    minv = np.empty(m + 1)
    used = np.empty(m + 1, np.bool_)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        for j in range(m + 1):
            minv[j] = np.inf
            used[j] = False
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = np.inf
            j1 = 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = a[i0 - 1, j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    col_of_row = np.full(n, -1, np.int64)
    for j in range(1, m + 1):
        if p[j] != 0:
            col_of_row[p[j] - 1] = j - 1
    return col_of_row


@jit
def _solve_block(sel, rows, local, shifted, cap, ng, chosen):
    """assign._solve_component on the pairs ``sel`` (dense, Kuhn-Munkres): marks
    the pairs of its least-cost matching in ``chosen``; False when the block
    is too large for the dense solver."""
    row_idx = np.full(cap, -1, np.int64)
    col_idx = np.full(ng, -1, np.int64)
    for q in sel:
        row_idx[rows[q]] = 0
        col_idx[local[q]] = 0
    n_r = 0
    for r in range(cap):
        if row_idx[r] == 0:
            row_idx[r] = n_r
            n_r += 1
    n_c = 0
    for j in range(ng):
        if col_idx[j] == 0:
            col_idx[j] = n_c
            n_c += 1
    if n_r * n_c > DENSE_LIMIT:
        return False
    transpose = n_r > n_c
    shape0, shape1 = (n_c, n_r) if transpose else (n_r, n_c)
    # Pairs not gated cost 0, the same as leaving both ends unmatched.
    block = np.zeros((shape0, shape1))
    pair_at = np.full((shape0, shape1), -1, np.int64)
    for q in sel:
        a, b = row_idx[rows[q]], col_idx[local[q]]
        if transpose:
            a, b = b, a
        block[a, b] = min(shifted[q], 0.0)
        pair_at[a, b] = q
    col_of_row = _hungarian(block)
    for a in range(shape0):
        b = col_of_row[a]
        if b >= 0 and pair_at[a, b] >= 0 and shifted[pair_at[a, b]] < 0:
            chosen[pair_at[a, b]] = True
    return True


@jit
def _find(parent, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@jit
def _assign(rows, local, cost, cap, ng):
    """assign_sparse(rows, local, cost - BIG_COST): the pairs taken, ascending;
    [-1] when a connected component is too large for one dense block.
    """
    k = rows.size
    shifted = np.empty(k)
    for q in range(k):
        shifted[q] = cost[q] - BIG_COST
    deg_r = np.zeros(cap, np.int64)
    deg_c = np.zeros(ng, np.int64)
    for q in range(k):
        deg_r[rows[q]] += 1
        deg_c[local[q]] += 1
    chosen = np.zeros(k, np.bool_)
    multi = np.empty(k, np.int64)
    n_multi = 0
    for q in range(k):
        if deg_r[rows[q]] == 1 and deg_c[local[q]] == 1:
            chosen[q] = shifted[q] < 0
        else:
            multi[n_multi] = q
            n_multi += 1
    multi = multi[:n_multi]
    if n_multi and n_multi * n_multi <= DENSE_LIMIT:
        # Few pairs in conflict: one dense block over all of them.
        _solve_block(multi, rows, local, shifted, cap, ng, chosen)
    elif n_multi:
        # Connected components of the bipartite graph (tracks 0..cap-1, returns cap..).
        parent = np.arange(cap + ng)
        for q in multi:
            a = _find(parent, rows[q])
            b = _find(parent, cap + local[q])
            if a != b:
                parent[max(a, b)] = min(a, b)
        label = np.empty(n_multi, np.int64)
        for t in range(n_multi):
            label[t] = _find(parent, rows[multi[t]])
        # Distinct rows and columns per component.
        n_rows = np.zeros(cap + ng, np.int64)
        n_cols = np.zeros(cap + ng, np.int64)
        seen_r = np.zeros(cap, np.bool_)
        seen_c = np.zeros(ng, np.bool_)
        for t in range(n_multi):
            q = multi[t]
            if not seen_r[rows[q]]:
                seen_r[rows[q]] = True
                n_rows[label[t]] += 1
            if not seen_c[local[q]]:
                seen_c[local[q]] = True
                n_cols[label[t]] += 1
        best = np.full(cap + ng, -1, np.int64)
        done = np.zeros(cap + ng, np.bool_)
        for t in range(n_multi):
            q = multi[t]
            lab = label[t]
            if n_rows[lab] == 1 or n_cols[lab] == 1:
                # One track and its candidates, or one return and its claimants:
                # the cheapest pair (the first of equal ones).
                b = best[lab]
                if b < 0 or shifted[q] < shifted[b]:
                    best[lab] = q
            elif not done[lab]:
                done[lab] = True
                sel = np.empty(n_multi, np.int64)
                n_sel = 0
                for t2 in range(t, n_multi):
                    if label[t2] == lab:
                        sel[n_sel] = multi[t2]
                        n_sel += 1
                if not _solve_block(sel[:n_sel], rows, local, shifted, cap, ng, chosen):
                    return np.full(1, -1, np.int64)
        for lab in range(cap + ng):
            b = best[lab]
            if b >= 0 and shifted[b] < 0:
                chosen[b] = True
    n_chosen = 0
    for q in range(k):
        if chosen[q]:
            n_chosen += 1
    out = np.empty(n_chosen, np.int64)
    n_chosen = 0
    for q in range(k):
        if chosen[q]:
            out[n_chosen] = q
            n_chosen += 1
    return out


@jit
def _median(a):
    """np.median of a 1-D float array without NaN."""
    order = _stable_argsort(a)
    n = a.size
    if n % 2:
        return a[order[n // 2]]
    return (a[order[n // 2 - 1]] + a[order[n // 2]]) / 2.0


@jit
def _clutter_knn(z, sigma, explained, fp, ip, lam):
    """tracker._clutter_density of a batch of one radar (all rows), into ``lam``.

    The k nearest unexplained rows in noise-scaled (range, azimuth) by brute force.
    """
    n = z.shape[0]
    ref = np.empty(n, np.int64)
    n_ref = 0
    for j in range(n):
        if not explained[j]:
            ref[n_ref] = j
            n_ref += 1
    knn = ip[I_KNN]
    if n_ref <= knn:
        return
    share = 1.0
    fa = fp[P_FALSE_ALARMS]
    if fa == fa:
        share = min(1.0, fa / n_ref)
    K = min(n_ref - 1, math.ceil(knn / share))
    col = np.empty(n)
    for j in range(n):
        col[j] = sigma[j, 0]
    sig0 = _median(col)
    for j in range(n):
        col[j] = sigma[j, 1]
    sig1 = _median(col)
    for j in range(n):
        col[j] = sigma[j, 2]
    sig2 = _median(col)
    ra = np.empty(n_ref)
    rb = np.empty(n_ref)
    for q in range(n_ref):
        ra[q] = z[ref[q], 0] / sig0
        rb[q] = z[ref[q], 1] / sig1
    near_d = np.empty(K + 1)
    near_i = np.empty(K + 1, np.int64)
    for j in range(n):
        qa = z[j, 0] / sig0
        qb = z[j, 1] / sig1
        # The K + 1 nearest, equal distances in reference order (a stable sort's head).
        m = 0
        for q in range(n_ref):
            da = qa - ra[q]
            db = qb - rb[q]
            dq = math.sqrt(da * da + db * db)
            if m == K + 1 and not dq < near_d[K]:
                continue
            pos = m if m < K + 1 else K
            while pos > 0 and near_d[pos - 1] > dq:
                if pos < K + 1:
                    near_d[pos] = near_d[pos - 1]
                    near_i[pos] = near_i[pos - 1]
                pos -= 1
            near_d[pos] = dq
            near_i[pos] = q
            if m < K + 1:
                m += 1
        first = 0 if explained[j] else 1
        reach = near_d[first + K - 1]
        lo = np.inf
        hi = -np.inf
        for q in range(first, first + K):
            el = z[ref[near_i[q]], 2]
            lo = min(lo, el)
            hi = max(hi, el)
        el_extent = hi - lo + 2.0 * sig2
        rr = max(reach, 1e-3)
        area = math.pi * (rr * rr) * sig0 * sig1
        lam[j] = max(share * K / (area * el_extent), fp[P_CLUTTER])


@jit
def _angles(
    hit,
    status,
    x,
    P,
    xm,
    Pm,
    mode_prob,
    turn,
    ttime,
    score,
    truth,
    interrogations,
    civil,
    friend,
    mtime,
    z,
    spos,
    axes,
    sigma,
    miff,
    mtruth,
    fp,
    ip,
):
    """tracker._update_angles of a batch of one passive sensor (all rows).

    Returns False, before touching the table, when the assignment is too
    large for one dense block.
    """
    cap = status.size
    n = mtime.size
    live = np.empty(cap, np.int64)
    nlive = 0
    for r in range(cap):
        if status[r] != FREE and _vel_known(P, r, fp[P_EST_SPEED2]):
            live[nlive] = r
            nlive += 1
    if nlive == 0:
        return True
    t_ref = _pairwise_sum(mtime) / n
    spread = 0.0
    ang_sd = 0.0
    for j in range(n):
        v = abs(mtime[j] - t_ref)
        if j == 0 or v > spread or v != v:
            spread = v
        for i in (1, 2):
            if (j == 0 and i == 1) or sigma[j, i] > ang_sd or sigma[j, i] != sigma[j, i]:
                ang_sd = sigma[j, i]
    q = fp[P_Q_MAX]
    # Line-of-sight unit vectors of the rows (Measurements.directions_enu).
    dirs = np.empty((n, 3))
    for j in range(n):
        ce = math.cos(z[j, 2])
        l0 = ce * math.sin(z[j, 1])
        l1 = ce * math.cos(z[j, 1])
        l2 = math.sin(z[j, 2])
        for i in range(3):
            dirs[j, i] = (axes[j, 0, i] * l0 + axes[j, 1, i] * l1) + axes[j, 2, i] * l2
    upts = np.empty((nlive, 3))
    uradius = np.empty(nlive)
    rel = np.empty(3)
    for k in range(nlive):
        r = live[k]
        dt = abs(t_ref - ttime[r]) + spread
        dt2 = dt * dt
        speed = math.sqrt((x[r, 3] * x[r, 3] + x[r, 4] * x[r, 4]) + x[r, 5] * x[r, 5])
        turn_m = 0.5 * abs(turn[r]) * speed * dt2
        pv = _trace3(P, r, 0) + _trace3(P, r, 3) * dt2
        dtp = t_ref - ttime[r]
        for i in range(3):
            rel[i] = (x[r, i] + x[r, i + 3] * dtp) - spos[0, i]
        rng_m = _max_nan(math.sqrt((rel[0] * rel[0] + rel[1] * rel[1]) + rel[2] * rel[2]), 1.0)
        radius = (
            fp[P_SQRT_GATE_ANGLES]
            * math.sqrt(ang_sd * ang_sd + (pv + q * math.pow(dt, 3.0)) / (rng_m * rng_m))
            + (speed * spread + turn_m + 50.0) / rng_m
        )
        uradius[k] = min(radius, 2.0) if radius == radius else radius
        for i in range(3):
            upts[k, i] = rel[i] / rng_m
    pk, cols = _ball_pairs(upts, uradius, dirs)
    npair = pk.size
    if npair == 0:
        return True
    rows = _take1(live, pk)
    c, xp, Pp, nu, S, Si, PHt, d2m, ll = pair_terms(
        rows,
        cols,
        mode_prob,
        xm,
        Pm,
        ttime,
        mtime,
        z,
        spos,
        axes,
        sigma,
        _flag(1),
        ip[I_USE_IMM] != 0,
        fp[P_TAU0],
        fp[P_TAU1],
        fp[P_Q_CV],
        fp[P_Q_CT],
        fp[P_Q_TURN],
    )
    ok = np.empty(npair, np.int64)
    nok = 0
    for k in range(npair):
        a, b = d2m[k, 0], d2m[k, 1]
        if a == a and b == b and min(a, b) < fp[P_GATE_ANGLES]:
            ok[nok] = k
            nok += 1
    if nok == 0:
        return True
    ok = ok[:nok]
    grows = _take1(rows, ok)
    gcols = _take1(cols, ok)
    cost = np.empty(nok)
    for k in range(nok):
        cost[k] = -2.0 * _mixture(ll[ok[k]], c[ok[k]])
    pick = _assign(grows, gcols, cost, cap, n)
    if pick.size and pick[0] < 0:
        return False
    sel = _take1(ok, pick)
    _gnn_apply(
        _take1(rows, sel),
        _take1(cols, sel),
        _take2(c, sel),
        _take3(xp, sel),
        _take4(Pp, sel),
        _take3(nu, sel),
        _take4(S, sel),
        _take4(Si, sel),
        _take4(PHt, sel),
        _take2(ll, sel),
        np.empty(0),
        _flag(0),
        mode_prob,
        xm,
        Pm,
        x,
        P,
        turn,
        ttime,
        score,
        truth,
        interrogations,
        civil,
        friend,
        mtime,
        miff,
        mtruth,
        0.0,
    )
    for q in sel:
        hit[rows[q]] = True
    return True


@jit
def _count_left(ng, pick, rows, local, cap):
    """Rows of a group that neither update a track nor lie in the gate of one
    that got no update (apply_stage's ``left``)."""
    keep = np.ones(ng, np.bool_)
    updated = np.zeros(cap, np.bool_)
    for p in pick:
        keep[local[p]] = False
        updated[rows[p]] = True
    for k in range(rows.size):
        if not updated[rows[k]]:
            keep[local[k]] = False
    n = 0
    for j in range(ng):
        if keep[j]:
            n += 1
    return n


@jit
def step_batch(
    looked,
    now_s,
    next_id,
    status,
    x,
    P,
    xm,
    Pm,
    mode_prob,
    turn,
    ttime,
    track_id,
    hits,
    looks,
    misses,
    score,
    born_s,
    confirmed_s,
    interrogations,
    civil,
    friend,
    truth,
    ident,
    mtime,
    z,
    spos,
    axes,
    sigma,
    miff,
    mtruth,
    fp,
    ip,
    group_max,
):
    """A whole tracker step for a batch of one radar, one passive sensor or none, in one call.

    Returns (DONE, updated, created, confirmed, deleted ids, deleted truth) or,
    before touching the table, (NEED_PYTHON, empty...) when the batch needs
    the caller: rows of several sensors or of both kinds, more rows than
    ``group_max``, a component of the assignment too large for a dense block,
    or more new tracks than free rows.
    """
    n = mtime.size
    cap = status.size
    empty = np.zeros(0, np.int64)
    n_live = 0
    for r in range(cap):
        if status[r] != FREE:
            n_live += 1
    if n:
        # tracker._sensor_groups: one group when every row has the first row's sensor and kind.
        angles0 = z[0, 0] != z[0, 0]
        for j in range(n):
            if (z[j, 0] != z[j, 0]) != angles0:
                return NEED_PYTHON, empty, empty, empty, empty, empty
            for i in range(3):
                if spos[j, i] != spos[0, i]:
                    return NEED_PYTHON, empty, empty, empty, empty, empty
        if n > group_max:
            return NEED_PYTHON, empty, empty, empty, empty, empty
    hit = np.zeros(cap, np.bool_)
    born = np.zeros(cap, np.bool_)
    new = empty
    if n and angles0:
        ok = _angles(
            hit,
            status,
            x,
            P,
            xm,
            Pm,
            mode_prob,
            turn,
            ttime,
            score,
            truth,
            interrogations,
            civil,
            friend,
            mtime,
            z,
            spos,
            axes,
            sigma,
            miff,
            mtruth,
            fp,
            ip,
        )
        if not ok:
            return NEED_PYTHON, empty, empty, empty, empty, empty
    elif n:
        group = np.arange(n)
        mpos = _positions(z, spos, axes)
        rows, cols, local, c, xp, Pp, nu, S, Si, PHt, ll, cost, explained, conflict, pick = gate(
            group,
            status,
            x,
            P,
            turn,
            ttime,
            mode_prob,
            xm,
            Pm,
            mtime,
            z,
            spos,
            axes,
            sigma,
            mpos,
            fp,
            ip,
        )
        n_explained = 0
        for j in range(n):
            if explained[j]:
                n_explained += 1
        if conflict:
            pick = _assign(rows, local, cost, cap, n)
            if pick.size and pick[0] < 0:
                return NEED_PYTHON, empty, empty, empty, empty, empty
        if cap - n_live < _count_left(n, pick, rows, local, cap):
            # The new tracks need a larger table.
            return NEED_PYTHON, empty, empty, empty, empty, empty
        lam = np.full(n, fp[P_CLUTTER])
        if n - n_explained > ip[I_KNN]:
            _clutter_knn(z, sigma, explained, fp, ip, lam)
        _left, new = apply_stage(
            group,
            pick,
            rows,
            cols,
            local,
            c,
            xp,
            Pp,
            nu,
            S,
            Si,
            PHt,
            ll,
            lam,
            _flag(1),
            hit,
            born,
            next_id,
            status,
            x,
            P,
            xm,
            Pm,
            mode_prob,
            turn,
            ttime,
            track_id,
            hits,
            looks,
            misses,
            score,
            born_s,
            confirmed_s,
            interrogations,
            civil,
            friend,
            truth,
            ident,
            mtime,
            z,
            spos,
            axes,
            sigma,
            miff,
            mtruth,
            mpos,
            fp,
            ip,
        )
    confirmed, deleted = finish(
        hit, born, looked, now_s, status, P, ttime, hits, looks, misses, score, confirmed_s, fp, ip
    )
    nu_ = 0
    for r in range(cap):
        if hit[r] and not born[r]:
            nu_ += 1
    updated = np.empty(nu_, np.int64)
    nu_ = 0
    for r in range(cap):
        if hit[r] and not born[r]:
            updated[nu_] = r
            nu_ += 1
    nc = 0
    for r in new:
        if status[r] != FREE:
            nc += 1
    created = np.empty(nc, np.int64)
    nc = 0
    for r in new:
        if status[r] != FREE:
            created[nc] = r
            nc += 1
    return DONE, updated, created, confirmed, _take1(track_id, deleted), _take1(truth, deleted)


@jit
def rows_holding(track_id, status, wanted_ids):
    """(capacity,) mask of the live rows whose track number is in ``wanted_ids``."""
    cap = status.size
    out = np.zeros(cap, np.bool_)
    if wanted_ids.size == 0:
        return out
    top = 0
    for r in range(cap):
        top = max(top, track_id[r])
    for q in range(wanted_ids.size):
        top = max(top, wanted_ids[q])
    wanted = np.zeros(top + 1, np.bool_)
    for q in range(wanted_ids.size):
        if wanted_ids[q] >= 0:
            wanted[wanted_ids[q]] = True
    for r in range(cap):
        out[r] = status[r] != FREE and track_id[r] >= 0 and wanted[track_id[r]]
    return out
