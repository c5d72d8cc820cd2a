"""numba kernels for the per-pair IMM-EKF work of :mod:`samsim.tracking.tracker`.

They compute exactly what the array functions of :mod:`samsim.tracking.imm`
and :mod:`samsim.tracking.ekf` compute (the tests check one against the
other), one track-measurement pair at a time. The array versions spend most
of their time in numpy's per-matrix overhead on thousands of 7 x 7 and 3 x 3
products (``matmul``/``einsum`` over stacks of tiny matrices); one compiled
loop that keeps each pair's matrices in cache is several times faster
(measured in docs/benchmarks.md, "Tracking").
"""

from __future__ import annotations

import math

import numpy as np

from samsim._jit import jit

NX = 7
M = 2
TWO_PI = 2.0 * math.pi
LOG_2PI = math.log(2.0 * math.pi)
SMALL_TURN = 1e-6


@jit
def _predict_cv(x, P, dt, q, x_out, P_out, F):
    """Constant-velocity prediction, F P F' written out (F = [[I, dt I], [0, I]])."""
    for a in range(NX):
        x_out[a] = x[a]
    for a in range(3):
        x_out[a] += x[a + 3] * dt
    x_out[6] = 0.0
    for a in range(3):
        for b in range(3):
            pv = P[a, b + 3] + dt * P[a + 3, b + 3]
            P_out[a, b] = P[a, b] + dt * (P[a + 3, b] + P[a, b + 3]) + dt * dt * P[a + 3, b + 3]
            P_out[a, b + 3] = pv
            P_out[b + 3, a] = pv
            P_out[a + 3, b + 3] = P[a + 3, b + 3]
    for a in range(NX):
        P_out[a, 6] = 0.0
        P_out[6, a] = 0.0
    _add_wna(P_out, dt, q)
    P_out[6, 6] = 1e-12


@jit
def _predict_ct(x, P, dt, q, q_turn, x_out, P_out, F):
    ve, vn, w = x[3], x[4], x[6]
    wt = w * dt
    cw, sw = math.cos(wt), math.sin(wt)
    if abs(wt) < SMALL_TURN:
        s = dt - w * w * dt**3 / 6.0
        c = w * dt * dt / 2.0
        ds = -w * dt**3 / 3.0
        dc = dt * dt / 2.0
    else:
        s = sw / w
        c = (1.0 - cw) / w
        ds = (dt * cw - s) / w
        dc = (dt * sw - c) / w
    for a in range(NX):
        x_out[a] = x[a]
        for b in range(NX):
            F[a, b] = 0.0
        F[a, a] = 1.0
    x_out[0] += s * ve - c * vn
    x_out[1] += c * ve + s * vn
    x_out[2] += x[5] * dt
    x_out[3] = cw * ve - sw * vn
    x_out[4] = sw * ve + cw * vn
    F[0, 3], F[0, 4], F[0, 6] = s, -c, ds * ve - dc * vn
    F[1, 3], F[1, 4], F[1, 6] = c, s, dc * ve + ds * vn
    F[2, 5] = dt
    F[3, 3], F[3, 4], F[3, 6] = cw, -sw, -dt * (sw * ve + cw * vn)
    F[4, 3], F[4, 4], F[4, 6] = sw, cw, dt * (cw * ve - sw * vn)
    _fpf(F, P, P_out)
    _add_wna(P_out, dt, q)
    _add_turn_noise(P_out, x, dt, q_turn)


@jit
def _ct_move(x, dt, out):
    """Coordinated-turn motion of one state without noise."""
    ve, vn, w = x[3], x[4], x[6]
    wt = w * dt
    cw, sw = math.cos(wt), math.sin(wt)
    if abs(wt) < SMALL_TURN:
        s = dt - w * w * dt**3 / 6.0
        c = w * dt * dt / 2.0
    else:
        s = sw / w
        c = (1.0 - cw) / w
    for a in range(NX):
        out[a] = x[a]
    out[0] += s * ve - c * vn
    out[1] += c * ve + s * vn
    out[2] += x[5] * dt
    out[3] = cw * ve - sw * vn
    out[4] = sw * ve + cw * vn


@jit
def _predict_ct_unscented(x, P, dt, q, q_turn, x_out, P_out, L, pts, sp):
    """Unscented coordinated-turn prediction (2 NX symmetric sigma points, kappa = 0);
    ``L`` (NX, NX), ``pts`` (2 NX, NX) and ``sp`` (NX,) are work arrays."""
    _ct_sigma_mean(x, P, dt, x_out, L, pts, sp)
    _ct_covariance(x, dt, q, q_turn, x_out, P_out, pts, True)
    _ct_covariance(x, dt, q, q_turn, x_out, P_out, pts, False)


@jit
def _ct_sigma_mean(x, P, dt, x_out, L, pts, sp):
    """The sigma points of the unscented coordinated turn, moved by ``dt``, and their mean."""
    # Cholesky factor of P (+ a tiny load, P may be singular in the turn rate).
    for a in range(NX):
        for b in range(NX):
            L[a, b] = 0.0
    for a in range(NX):
        for b in range(a + 1):
            acc = P[a, b] + (1e-9 if a == b else 0.0)
            for k in range(b):
                acc -= L[a, k] * L[b, k]
            if a == b:
                L[a, a] = math.sqrt(max(acc, 1e-18))
            else:
                L[a, b] = acc / L[b, b]
    scale = math.sqrt(NX)
    for i in range(2 * NX):
        col = i % NX
        sgn = scale if i < NX else -scale
        for a in range(NX):
            sp[a] = x[a] + sgn * L[a, col]
        _ct_move(sp, dt, pts[i])
    inv = 1.0 / (2 * NX)
    for a in range(NX):
        acc = 0.0
        for i in range(2 * NX):
            acc += pts[i, a]
        x_out[a] = acc * inv


@jit
def _ct_covariance(x, dt, q, q_turn, x_out, P_out, pts, position):
    """The moved sigma points' covariance plus the process noise: the position block
    (rows and columns 0-2) when ``position``, every other entry otherwise.

    The gate needs only the position block, so the pairs it rejects never pay
    for the rest; each entry gets the same operations in the same order either way.
    """
    inv = 1.0 / (2 * NX)
    for a in range(NX):
        for b in range(a, NX):
            if (b < 3) != position:
                continue
            acc = 0.0
            for i in range(2 * NX):
                acc += (pts[i, a] - x_out[a]) * (pts[i, b] - x_out[b])
            P_out[a, b] = acc * inv
            P_out[b, a] = acc * inv
    _add_wna_part(P_out, dt, q, position)
    _add_turn_noise_part(P_out, x, dt, q_turn, position)


@jit
def _add_turn_noise(P, x, dt, qt):
    """Turn-rate random walk and its first-order effect on heading (see imm.ct_noise)."""
    _add_turn_noise_part(P, x, dt, qt, True)
    _add_turn_noise_part(P, x, dt, qt, False)


@jit
def _add_turn_noise_part(P, x, dt, qt, position):
    """:func:`_add_turn_noise` on the position block only, or on every other entry."""
    T = abs(dt)
    sgn = 1.0 if dt >= 0 else -1.0
    g0, g1 = -x[4], x[3]
    g = (g0, g1)
    for a in range(2):
        for b in range(2):
            gg = g[a] * g[b]
            if position:
                P[a, b] += qt * T**5 / 20.0 * gg
            else:
                P[a, b + 3] += qt * T**4 / 8.0 * sgn * gg
                P[a + 3, b] += qt * T**4 / 8.0 * sgn * gg
                P[a + 3, b + 3] += qt * T**3 / 3.0 * gg
        if not position:
            P[a, 6] += qt * T**3 / 6.0 * g[a]
            P[6, a] += qt * T**3 / 6.0 * g[a]
            P[a + 3, 6] += qt * T**2 / 2.0 * sgn * g[a]
            P[6, a + 3] += qt * T**2 / 2.0 * sgn * g[a]
    if not position:
        P[6, 6] += qt * T


@jit
def _fpf(F, P, out):
    """out = F P F^T for 7 x 7 matrices."""
    tmp = np.empty((NX, NX))
    for a in range(NX):
        for b in range(NX):
            acc = 0.0
            for k in range(NX):
                acc += F[a, k] * P[k, b]
            tmp[a, b] = acc
    for a in range(NX):
        for b in range(a, NX):
            acc = 0.0
            for k in range(NX):
                acc += tmp[a, k] * F[b, k]
            out[a, b] = acc
            out[b, a] = acc


@jit
def _add_wna(P, dt, q):
    """White-noise-acceleration process noise over ``dt`` [s] with intensity ``q``."""
    _add_wna_part(P, dt, q, True)
    _add_wna_part(P, dt, q, False)


@jit
def _add_wna_part(P, dt, q, position):
    """:func:`_add_wna` on the position block only, or on every other entry."""
    ad = abs(dt)
    sgn = 1.0 if dt >= 0 else -1.0
    for a in range(3):
        if position:
            P[a, a] += q * ad**3 / 3.0
        else:
            off = q * ad * ad / 2.0 * sgn
            P[a, a + 3] += off
            P[a + 3, a] += off
            P[a + 3, a + 3] += q * ad


@jit
def _pair_into(
    k,
    r,
    j,
    mode_prob,
    xm,
    Pm,
    track_time,
    meas_time,
    z,
    sensor_pos,
    axes,
    sigma,
    angles,
    use_imm,
    tau0,
    tau1,
    q_cv,
    q_ct,
    q_turn,
    scratch,
    c_out,
    xp,
    Pp,
    nu_out,
    S_out,
    Si_out,
    PHt_out,
    d2_out,
    ll_out,
):
    """The terms of track row ``r`` and measurement ``j`` that the gate needs, written
    to row ``k`` of the outputs: c, xp, the position block of Pp, nu, S, S_inv and
    d2 (``Pp`` complete for the constant-velocity mode). :func:`_pair_rest` adds
    the rest, from the work arrays in ``scratch`` as this call left them."""
    T, W, dev, x0, P0, F, L, pts, Hm, J, zp, sp, dets = scratch
    d = 2 if angles else 3
    off = 1 if angles else 0
    rate = 1.0 / tau0 + 1.0 / tau1
    pi1 = (1.0 / tau0) / rate
    pi0 = 1.0 - pi1
    dt = meas_time[j] - track_time[r]
    if use_imm:
        decay = math.exp(-rate * abs(dt))
        T[0, 1] = pi1 * (1.0 - decay)
        T[0, 0] = 1.0 - T[0, 1]
        T[1, 0] = pi0 * (1.0 - decay)
        T[1, 1] = 1.0 - T[1, 0]
    else:
        T[0, 0], T[0, 1], T[1, 0], T[1, 1] = 1.0, 0.0, 0.0, 1.0
    # Mixing (interaction): weights mu_{a|b} = mu_a T_ab / c_b.
    for b in range(M):
        cb = 0.0
        for a in range(M):
            cb += mode_prob[r, a] * T[a, b]
        c_out[k, b] = cb
        for a in range(M):
            W[a, b] = mode_prob[r, a] * T[a, b] / cb if cb > 1e-300 else 0.0
        for i in range(NX):
            acc = 0.0
            for a in range(M):
                acc += W[a, b] * xm[r, a, i]
            x0[b, i] = acc
        for a in range(M):
            for i in range(NX):
                dev[a, i] = xm[r, a, i] - x0[b, i]
        for i in range(NX):
            for i2 in range(i, NX):
                acc = 0.0
                for a in range(M):
                    acc += W[a, b] * (Pm[r, a, i, i2] + dev[a, i] * dev[a, i2])
                P0[b, i, i2] = acc
                P0[b, i2, i] = acc
    _predict_cv(x0[0], P0[0], dt, q_cv, xp[k, 0], Pp[k, 0], F)
    _ct_sigma_mean(x0[1], P0[1], dt, xp[k, 1], L, pts, sp)
    _ct_covariance(x0[1], dt, q_ct, q_turn, xp[k, 1], Pp[k, 1], pts, True)
    if not angles:
        for m in range(M):
            _radar_terms(
                xp[k, m], Pp[k, m], j, z, sensor_pos, axes, sigma, Hm[m], nu_out[k, m],
                S_out[k, m], Si_out[k, m], PHt_out[k, m], d2_out, dets, k, m,
            )  # fmt: skip
        return
    for m in range(M):
        # Polar measurement prediction and its Jacobian in ENU position.
        rel0 = xp[k, m, 0] - sensor_pos[j, 0]
        rel1 = xp[k, m, 1] - sensor_pos[j, 1]
        rel2 = xp[k, m, 2] - sensor_pos[j, 2]
        e = axes[j, 0, 0] * rel0 + axes[j, 0, 1] * rel1 + axes[j, 0, 2] * rel2
        nn = axes[j, 1, 0] * rel0 + axes[j, 1, 1] * rel1 + axes[j, 1, 2] * rel2
        u = axes[j, 2, 0] * rel0 + axes[j, 2, 1] * rel1 + axes[j, 2, 2] * rel2
        rho2 = max(e * e + nn * nn, 1e-6)
        rho = math.sqrt(rho2)
        r2 = rho2 + u * u
        rr = math.sqrt(r2)
        zp[0] = rr
        zp[1] = math.atan2(e, nn) % TWO_PI
        zp[2] = math.atan2(u, rho)
        J[0, 0], J[0, 1], J[0, 2] = e / rr, nn / rr, u / rr
        J[1, 0], J[1, 1], J[1, 2] = nn / rho2, -e / rho2, 0.0
        J[2, 0] = -e * u / (r2 * rho)
        J[2, 1] = -nn * u / (r2 * rho)
        J[2, 2] = rho / r2
        for a in range(3):
            for b in range(3):
                Hm[m, a, b] = (
                    J[a, 0] * axes[j, 0, b] + J[a, 1] * axes[j, 1, b] + J[a, 2] * axes[j, 2, b]
                )
        # PHt = P[:, :3] H^T (rows off.. of H), S = H P_pp H^T + R; rows 3.. of PHt
        # come in _pair_rest.
        _pht_rows(Pp[k, m], Hm[m], off, d, 0, 3, PHt_out[k, m])
        for a in range(d):
            for b in range(a, d):
                acc = 0.0
                for i in range(3):
                    acc += Hm[m, a + off, i] * PHt_out[k, m, i, b]
                if a == b:
                    acc += sigma[j, a + off] ** 2
                S_out[k, m, a, b] = acc
                S_out[k, m, b, a] = acc
        for a in range(d):
            nu_out[k, m, a] = z[j, a + off] - zp[a + off]
        az = 1 - off
        nu_out[k, m, az] = (nu_out[k, m, az] + math.pi) % TWO_PI - math.pi
        # Closed-form inverse and log-determinant (radar rows took _radar_terms).
        Sk = S_out[k, m]
        Si = Si_out[k, m]
        det = Sk[0, 0] * Sk[1, 1] - Sk[0, 1] * Sk[0, 1]
        det = max(det, 1e-300)
        Si[0, 0] = Sk[1, 1] / det
        Si[1, 1] = Sk[0, 0] / det
        Si[0, 1] = -Sk[0, 1] / det
        Si[1, 0] = Si[0, 1]
        q = 0.0
        for a in range(d):
            for b in range(d):
                q += nu_out[k, m, a] * Si[a, b] * nu_out[k, m, b]
        d2_out[k, m] = q
        dets[m] = det


@jit
def _radar_terms(xp, Pp, j, z, sensor_pos, axes, sigma, H, nu, S, Si, PHt, d2_out, dets, k, m):
    """The gate's terms of one mode of a pair with radar row ``j`` (range, azimuth,
    elevation): the rows of ``_pair_into``'s general loop for three measured
    components, in scalars. The same operations in the same order, so the same
    bits; the general loop indexes four-dimensional outputs at every step and
    took most of the gate's time in dense raids."""
    rel0 = xp[0] - sensor_pos[j, 0]
    rel1 = xp[1] - sensor_pos[j, 1]
    rel2 = xp[2] - sensor_pos[j, 2]
    ax = axes[j]
    e = ax[0, 0] * rel0 + ax[0, 1] * rel1 + ax[0, 2] * rel2
    nn = ax[1, 0] * rel0 + ax[1, 1] * rel1 + ax[1, 2] * rel2
    u = ax[2, 0] * rel0 + ax[2, 1] * rel1 + ax[2, 2] * rel2
    rho2 = max(e * e + nn * nn, 1e-6)
    rho = math.sqrt(rho2)
    r2 = rho2 + u * u
    rr = math.sqrt(r2)
    zp1 = math.atan2(e, nn) % TWO_PI
    zp2 = math.atan2(u, rho)
    j00, j01, j02 = e / rr, nn / rr, u / rr
    j10, j11, j12 = nn / rho2, -e / rho2, 0.0
    j20 = -e * u / (r2 * rho)
    j21 = -nn * u / (r2 * rho)
    j22 = rho / r2
    for b in range(3):
        H[0, b] = j00 * ax[0, b] + j01 * ax[1, b] + j02 * ax[2, b]
        H[1, b] = j10 * ax[0, b] + j11 * ax[1, b] + j12 * ax[2, b]
        H[2, b] = j20 * ax[0, b] + j21 * ax[1, b] + j22 * ax[2, b]
    h00, h01, h02 = H[0, 0], H[0, 1], H[0, 2]
    h10, h11, h12 = H[1, 0], H[1, 1], H[1, 2]
    h20, h21, h22 = H[2, 0], H[2, 1], H[2, 2]
    # PHt rows 0-2 (P_pp H^T), accumulated from 0.0 as the general loop does.
    p00, p01, p02 = Pp[0, 0], Pp[0, 1], Pp[0, 2]
    p10, p11, p12 = Pp[1, 0], Pp[1, 1], Pp[1, 2]
    p20, p21, p22 = Pp[2, 0], Pp[2, 1], Pp[2, 2]
    t00 = ((0.0 + p00 * h00) + p01 * h01) + p02 * h02
    t01 = ((0.0 + p00 * h10) + p01 * h11) + p02 * h12
    t02 = ((0.0 + p00 * h20) + p01 * h21) + p02 * h22
    t10 = ((0.0 + p10 * h00) + p11 * h01) + p12 * h02
    t11 = ((0.0 + p10 * h10) + p11 * h11) + p12 * h12
    t12 = ((0.0 + p10 * h20) + p11 * h21) + p12 * h22
    t20 = ((0.0 + p20 * h00) + p21 * h01) + p22 * h02
    t21 = ((0.0 + p20 * h10) + p21 * h11) + p22 * h12
    t22 = ((0.0 + p20 * h20) + p21 * h21) + p22 * h22
    PHt[0, 0], PHt[0, 1], PHt[0, 2] = t00, t01, t02
    PHt[1, 0], PHt[1, 1], PHt[1, 2] = t10, t11, t12
    PHt[2, 0], PHt[2, 1], PHt[2, 2] = t20, t21, t22
    # S = H P_pp H^T + R, upper triangle from the same sums.
    a0 = (((0.0 + h00 * t00) + h01 * t10) + h02 * t20) + sigma[j, 0] ** 2
    b0 = ((0.0 + h00 * t01) + h01 * t11) + h02 * t21
    c0 = ((0.0 + h00 * t02) + h01 * t12) + h02 * t22
    e0 = (((0.0 + h10 * t01) + h11 * t11) + h12 * t21) + sigma[j, 1] ** 2
    f0 = ((0.0 + h10 * t02) + h11 * t12) + h12 * t22
    i0 = (((0.0 + h20 * t02) + h21 * t12) + h22 * t22) + sigma[j, 2] ** 2
    S[0, 0], S[0, 1], S[0, 2] = a0, b0, c0
    S[1, 0], S[1, 1], S[1, 2] = b0, e0, f0
    S[2, 0], S[2, 1], S[2, 2] = c0, f0, i0
    n0 = z[j, 0] - rr
    n1 = ((z[j, 1] - zp1) + math.pi) % TWO_PI - math.pi
    n2 = z[j, 2] - zp2
    nu[0], nu[1], nu[2] = n0, n1, n2
    A = e0 * i0 - f0 * f0
    B = c0 * f0 - b0 * i0
    C = b0 * f0 - c0 * e0
    det = max(a0 * A + b0 * B + c0 * C, 1e-300)
    s00, s01, s02 = A / det, B / det, C / det
    s11 = (a0 * i0 - c0 * c0) / det
    s12 = (b0 * c0 - a0 * f0) / det
    s22 = (a0 * e0 - b0 * b0) / det
    Si[0, 0], Si[0, 1], Si[0, 2] = s00, s01, s02
    Si[1, 0], Si[1, 1], Si[1, 2] = s01, s11, s12
    Si[2, 0], Si[2, 1], Si[2, 2] = s02, s12, s22
    q = 0.0
    q += n0 * s00 * n0
    q += n0 * s01 * n1
    q += n0 * s02 * n2
    q += n1 * s01 * n0
    q += n1 * s11 * n1
    q += n1 * s12 * n2
    q += n2 * s02 * n0
    q += n2 * s12 * n1
    q += n2 * s22 * n2
    d2_out[k, m] = q
    dets[m] = det


@jit
def _pair_rest(
    k, r, j, angles, q_ct, q_turn, track_time, meas_time, scratch, xp, Pp, PHt_out, d2_out, ll_out
):
    """The rest of a pair's terms after :func:`_pair_into` (row ``k``): the
    coordinated-turn mode's covariance outside the position block, the rows of
    PHt beyond the position and the log-likelihoods."""
    x0, pts, Hm, dets = scratch[3], scratch[7], scratch[8], scratch[12]
    d = 2 if angles else 3
    off = 1 if angles else 0
    dt = meas_time[j] - track_time[r]
    _ct_covariance(x0[1], dt, q_ct, q_turn, xp[k, 1], Pp[k, 1], pts, False)
    for m in range(M):
        _pht_rows(Pp[k, m], Hm[m], off, d, 3, NX, PHt_out[k, m])
        ll_out[k, m] = -0.5 * (d2_out[k, m] + math.log(dets[m]) + d * LOG_2PI)


@jit
def _pht_rows(Pp, H, off, d, lo, hi, out):
    """Rows ``lo:hi`` of P[:, :3] H^T (rows ``off``.. of H)."""
    for i in range(lo, hi):
        for a in range(d):
            acc = 0.0
            for b in range(3):
                acc += Pp[i, b] * H[a + off, b]
            out[i, a] = acc


@jit
def _pair_scratch():
    """Work arrays of :func:`_pair_into`, allocated once per call of the pair loop."""
    return (
        np.empty((M, M)),
        np.empty((M, M)),
        np.empty((M, NX)),
        np.empty((M, NX)),
        np.empty((M, NX, NX)),
        np.empty((NX, NX)),
        np.empty((NX, NX)),
        np.empty((2 * NX, NX)),
        np.empty((M, 3, 3)),
        np.empty((3, 3)),
        np.empty(3),
        np.empty(NX),
        np.empty(M),
    )


@jit
def pair_terms(
    rows,
    cols,
    mode_prob,
    xm,
    Pm,
    track_time,
    meas_time,
    z,
    sensor_pos,
    axes,
    sigma,
    angles,
    use_imm,
    tau0,
    tau1,
    q_cv,
    q_ct,
    q_turn,
):
    """IMM mixing, mode-matched prediction and measurement prediction of each pair.

    Returns c (k, M), xp (k, M, NX), Pp (k, M, NX, NX), nu (k, M, d),
    S, S_inv (k, M, d, d), PHt (k, M, NX, d), d2 (k, M), loglik (k, M) with
    d = 2 for angles-only rows and 3 for radar rows.
    """
    out = _pair_loop(
        rows, cols, mode_prob, xm, Pm, track_time, meas_time, z, sensor_pos, axes, sigma, angles,
        use_imm, tau0, tau1, q_cv, q_ct, q_turn, math.inf, True,
    )  # fmt: skip
    return out[1:]


@jit
def gated_pair_terms(
    rows,
    cols,
    mode_prob,
    xm,
    Pm,
    track_time,
    meas_time,
    z,
    sensor_pos,
    axes,
    sigma,
    angles,
    use_imm,
    tau0,
    tau1,
    q_cv,
    q_ct,
    q_turn,
    gate_d2,
):
    """:func:`pair_terms` of the pairs inside the gate only: the indices k of the
    pairs whose smaller mode distance d2 is below ``gate_d2`` (NaN never is),
    then their terms in that order.

    The same numbers as :func:`pair_terms` followed by a selection. The pairs
    that fail, most of the candidates in a dense raid, stop after the terms the
    gate needs (:func:`_pair_into`) and leave nothing to copy back: the outputs are
    views of the first rows.
    """
    return _pair_loop(
        rows, cols, mode_prob, xm, Pm, track_time, meas_time, z, sensor_pos, axes, sigma, angles,
        use_imm, tau0, tau1, q_cv, q_ct, q_turn, gate_d2, False,
    )  # fmt: skip


@jit
def _pair_loop(
    rows,
    cols,
    mode_prob,
    xm,
    Pm,
    track_time,
    meas_time,
    z,
    sensor_pos,
    axes,
    sigma,
    angles,
    use_imm,
    tau0,
    tau1,
    q_cv,
    q_ct,
    q_turn,
    gate_d2,
    keep_all,
):
    """The loop of :func:`pair_terms` (``keep_all``) and :func:`gated_pair_terms`."""
    n = rows.size
    d = 2 if angles else 3
    out = _pair_outputs(n, d)
    c, xp, Pp, nu, S, Si, PHt, d2, ll = out
    scratch = _pair_scratch()
    ok = np.empty(n, np.int64)
    nok = 0
    for k in range(n):
        r, j = rows[k], cols[k]
        _pair_into(
            nok, r, j, mode_prob, xm, Pm, track_time, meas_time, z, sensor_pos, axes, sigma,
            angles, use_imm, tau0, tau1, q_cv, q_ct, q_turn, scratch, *out,
        )  # fmt: skip
        a, b = d2[nok, 0], d2[nok, 1]
        if keep_all or (a == a and b == b and min(a, b) < gate_d2):
            _pair_rest(
                nok, r, j, angles, q_ct, q_turn, track_time, meas_time, scratch, xp, Pp, PHt, d2, ll
            )
            ok[nok] = k
            nok += 1
    # Leading slices of C arrays stay C-contiguous views: nothing to copy.
    return (
        ok[:nok],
        c[:nok],
        xp[:nok],
        Pp[:nok],
        nu[:nok],
        S[:nok],
        Si[:nok],
        PHt[:nok],
        d2[:nok],
        ll[:nok],
    )


@jit
def _pair_outputs(n, d):
    """Output arrays of the pair terms of ``n`` pairs with ``d`` measured components."""
    return (
        np.empty((n, M)),
        np.empty((n, M, NX)),
        np.empty((n, M, NX, NX)),
        np.empty((n, M, d)),
        np.empty((n, M, d, d)),
        np.empty((n, M, d, d)),
        np.empty((n, M, NX, d)),
        np.empty((n, M)),
        np.empty((n, M)),
    )


@jit
def update_rows(
    dest,
    xp,
    Pp,
    nu,
    S,
    S_inv,
    PHt,
    P_extra,
    has_extra,
    mode_prob,
    xm_out,
    Pm_out,
    x_out,
    P_out,
    turn_out,
):
    """Kalman update of each model of each pair, written to table rows ``dest``.

    ``mode_prob`` (k, M) are the posterior mode probabilities; the combined
    estimate (moment matching) goes to ``x_out``, ``P_out`` and ``turn_out``.
    """
    n = dest.size
    d = nu.shape[2]
    K = np.empty((NX, d))
    xc = np.empty(NX)
    for k in range(n):
        r = dest[k]
        for m in range(M):
            for i in range(NX):
                for a in range(d):
                    acc = 0.0
                    for b in range(d):
                        acc += PHt[k, m, i, b] * S_inv[k, m, b, a]
                    K[i, a] = acc
            for i in range(NX):
                acc = xp[k, m, i]
                for a in range(d):
                    acc += K[i, a] * nu[k, m, a]
                xm_out[r, m, i] = acc
            # P - K S K^T = P - K PHt^T (S K^T = PHt^T).
            for i in range(NX):
                for i2 in range(i, NX):
                    acc = Pp[k, m, i, i2]
                    for a in range(d):
                        acc -= K[i, a] * PHt[k, m, i2, a]
                    if has_extra:
                        acc += 0.5 * (P_extra[k, m, i, i2] + P_extra[k, m, i2, i])
                    Pm_out[r, m, i, i2] = acc
                    Pm_out[r, m, i2, i] = acc
        for i in range(NX):
            acc = 0.0
            for m in range(M):
                acc += mode_prob[k, m] * xm_out[r, m, i]
            xc[i] = acc
        for i in range(6):
            x_out[r, i] = xc[i]
        turn_out[r] = xc[6]
        for i in range(6):
            for i2 in range(i, 6):
                acc = 0.0
                for m in range(M):
                    acc += mode_prob[k, m] * (
                        Pm_out[r, m, i, i2]
                        + (xm_out[r, m, i] - xc[i]) * (xm_out[r, m, i2] - xc[i2])
                    )
                P_out[r, i, i2] = acc
                P_out[r, i2, i] = acc
