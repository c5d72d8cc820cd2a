"""Validation cases: samsim's physics against published values, number for number.

Each case function returns a ``Case``: the published source, a table with the
published value, samsim's value and the difference for each quantity, the
acceptance criterion, and the figures it drew. ``fast=True`` runs a smaller
subset (fewer points) for the test suite; the full run is ``python -m validation``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samsim.catalog import InterceptorType, load_catalog
from samsim.geo import LocalFrame
from samsim.geo.horizon import radar_horizon_m
from samsim.interceptors.atmosphere import isa
from samsim.interceptors.engage import simulate, straight_targets
from samsim.interceptors.envelope import (
    engagement_envelope,
    flyout_table,
    point_at,
)
from samsim.interceptors.guidance import (
    adjoint_miss,
    closed_form_heading_miss,
    closed_form_step_miss,
    linear_command,
)
from samsim.interceptors.params import InterceptorTable
from samsim.interceptors.seeker import K_RADAR, line_of_sight
from samsim.interceptors.state import END_KILL, END_MISS
from samsim.threats.ballistic import fly_ballistic_kernel, free_flight_range_m

G0 = 9.80665
SPHERE = LocalFrame(0.0, 0.0, 6_371_000.0)


@dataclass
class Case:
    """One validation case and its outcome."""

    key: str
    title: str
    source: str
    method: str
    criterion: str
    header: list[str]
    rows: list[list[str]]
    passed: bool
    figures: list[str] = field(default_factory=list)
    notes: str = ""
    worst: str = ""  # one-line summary of the largest difference


def _fmt(x: float, digits: int = 4) -> str:
    if x != x:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        return f"{x:.{digits}e}"
    return f"{x:.{digits}g}" if abs(x) >= 1 else f"{x:.{digits}f}"


# --------------------------------------------------------------------------- PN


def textbook_interceptor(nav_ratio: float, lag_s: float) -> InterceptorType:
    """A catalog interceptor turned into the textbook PN missile.

    No thrust, no drag, no g-limit (structural or aerodynamic), no canister
    phase, no seeker noise, PN with the given N' and single time constant;
    gravity is switched off in the run (``gravity_scale=0``). Everything else
    is the fly-out kernel the engine uses.
    """
    base = load_catalog().interceptors["amraam"]
    return base.model_copy(
        update=dict(
            thrust_boost_n=0.0,
            thrust_sustain_n=0.0,
            propellant_kg=0.0,
            drag_cd=[0.0] * len(base.drag_cd),
            induced_drag_factor=0.0,
            lift_coefficient_max=1e9,
            max_accel_g=1e6,
            canister_clear_s=0.0,
            guidance="pn",
            nav_ratio=float(nav_ratio),
            guidance_lag_s=float(lag_s),
            seeker_noise_rad=0.0,
            min_speed_mps=0.0,
            max_flight_s=1e4,
            seeker_range_m=1e9,
            seeker_gimbal_deg=180.0,
            loft_gain=0.0,
        )
    )


def nonlinear_pn_miss(
    nav_ratio: float,
    lag_s: float,
    flight_time_s: np.ndarray,
    *,
    missile_speed_mps: float = 1000.0,
    target_speed_mps: float = 300.0,
    target_accel_mps2: float = 0.0,
    heading_error_rad: float = 0.0,
    dt_s: float = 0.01,
    substeps: int = 5,
) -> np.ndarray:
    """Miss distances [m] of samsim's full nonlinear engagement, one per flight time.

    Head-on geometry in the horizontal plane 10 km up: the missile starts at
    the origin flying north (rotated by the heading error), the target
    ``(V_M + V_T) t_F`` north flying south and, from t = 0, turning at
    ``target_accel_mps2`` (its acceleration stays across its velocity). The
    round is locked from launch and flies ``engage.simulate``.
    """
    tab = InterceptorTable.from_catalog({"textbook": textbook_interceptor(nav_ratio, lag_s)})
    tf = np.asarray(flight_time_s, dtype=float)
    n = tf.size
    h = 10_000.0
    vm, vt, nt = missile_speed_mps, target_speed_mps, target_accel_mps2
    launch = np.tile([0.0, 0.0, h], (n, 1))
    start = np.stack([np.zeros(n), (vm + vt) * tf, np.full(n, h)], axis=1)
    he = heading_error_rad
    direction = np.tile([math.sin(he), math.cos(he), 0.0], (n, 1))

    def targets(t: float):
        if nt == 0.0:
            return (
                start + np.array([0.0, -vt * t, 0.0]),
                np.tile([0, -vt, 0.0], (n, 1)),
                np.zeros((n, 3)),
            )
        w = nt / vt
        a = w * t
        off = np.array([vt / w * (1 - math.cos(a)), -vt / w * math.sin(a), 0.0])
        vel = np.tile([vt * math.sin(a), -vt * math.cos(a), 0.0], (n, 1))
        acc = np.tile([nt * math.cos(a), nt * math.sin(a), 0.0], (n, 1))
        return start + off, vel, acc

    res = simulate(
        tab,
        0,
        SPHERE,
        launch,
        direction,
        targets,
        t_end_s=float(tf.max()) * 1.2 + 1.0,
        dt_s=dt_s,
        substeps=substeps,
        datalink_period_s=None,
        lock_at_launch=True,
        gravity_scale=0.0,
        launch_speed_mps=vm,
    )
    ended = (res.end_code == END_KILL) | (res.end_code == END_MISS)
    return np.where(ended, res.miss_m, np.nan)


def case_pn_zero_lag(out_dir: Path, fast: bool = False) -> Case:
    """Zero-lag PN: zero miss against a non-manoeuvring target; n_c / n_T -> N'/(N'-2)."""
    rows = []
    ok = True
    tfs = np.array([3.0, 6.0, 10.0])
    he = math.radians(10.0)
    worst = 0.0
    for nav in (3, 4, 5):
        miss = nonlinear_pn_miss(nav, 0.0, tfs, heading_error_rad=he, dt_s=0.01, substeps=10)
        for t, m in zip(tfs, miss, strict=True):
            good = bool(m == m and m < 0.05)
            ok &= good
            worst = max(worst, m)
            rows.append(
                [
                    f"N'={nav}, 10 deg heading error, t_F={t:.0f} s: miss [m] (nonlinear)",
                    "0",
                    _fmt(m),
                    _fmt(m),
                    "yes" if good else "NO",
                ]
            )
    for nav in (3, 4, 5):
        for frac in (0.5, 0.9):
            nc = linear_command(nav, 0.0, 5.0, frac)
            pub = nav / (nav - 2) * (1 - (1 - frac) ** (nav - 2))
            good = abs(nc - pub) <= 0.01 * pub
            ok &= good
            rows.append(
                [
                    f"N'={nav}, step n_T, n_c/n_T at t = {frac} t_F (linear, zero lag)",
                    _fmt(pub),
                    _fmt(nc),
                    _fmt(nc - pub),
                    "yes" if good else "NO",
                ]
            )
    return Case(
        key="pn_zero_lag",
        title="Proportional navigation with zero guidance lag",
        source=(
            "Zarchan, Tactical and Strategic Missile Guidance (AIAA), ch. 2: zero-lag PN has "
            "zero miss against a non-manoeuvring target whatever the heading error, and "
            "n_c/n_T = N'/(N'-2) [1 - (1 - t/t_F)^(N'-2)] for a step manoeuvre (PUBLIC-DATA 4.1)"
        ),
        method=(
            "Miss: samsim's full nonlinear engagement (the engine's fly-out kernel, "
            "``engage.simulate``) with the textbook missile (no thrust, drag, gravity or "
            "g-limit; 1000 m/s against a 300 m/s head-on target, 10 deg heading error, "
            "0.002 s sub-steps). Command ratio: samsim's linear homing loop "
            "(``guidance.linear_command``, RK4, t_F = 5 s)."
        ),
        criterion="miss < 0.05 m; command ratio within 1 % of the closed form",
        header=["quantity", "published", "samsim", "difference", "pass"],
        rows=rows,
        passed=ok,
        worst=f"largest miss {worst:.3g} m",
    )


def case_pn_single_lag(out_dir: Path, fast: bool = False) -> Case:
    """Step target manoeuvre with a single-time-constant guidance system, N' = 3, 4, 5."""
    lag = 1.0
    n_t = 1.0 * G0
    xs = np.array([1, 2, 3, 4, 5, 6, 8, 10], dtype=float)
    if fast:
        xs = np.array([1, 2, 4, 6], dtype=float)
    rows = []
    ok = True
    worst_lin = worst_nl = 0.0
    curves = {}
    for nav in (3, 4, 5):
        t, m_step, m_he = adjoint_miss(nav, lag, 10.0, 10_000)
        fine = np.linspace(0.02, 10.0, 500)
        peak = float(np.max(np.abs(closed_form_step_miss(nav, fine))))
        adj = np.interp(xs * lag, t, m_step) / lag**2
        # The nonlinear runs: the table's points, and more for the plot.
        x_plot = xs if fast else np.union1d(xs, np.arange(0.5, 10.01, 0.5))
        nl_all = nonlinear_pn_miss(nav, lag, x_plot * lag, target_accel_mps2=n_t) / (n_t * lag**2)
        nl = nl_all[np.searchsorted(x_plot, xs)]
        pub = closed_form_step_miss(nav, xs)
        curves[nav] = (t, m_step, m_he, x_plot, nl_all)
        for x, p, a, m in zip(xs, pub, adj, nl, strict=True):
            d_lin = abs(a - p) / peak
            d_nl = abs(m - abs(p)) / peak
            worst_lin, worst_nl = max(worst_lin, d_lin), max(worst_nl, d_nl)
            good = d_lin <= 0.01 and d_nl <= 0.10
            ok &= bool(good)
            rows.append(
                [
                    f"{nav}",
                    f"{x:g}",
                    f"{p:+.4f}",
                    f"{a:+.4f}",
                    f"{d_lin * 100:.2f} %",
                    f"{m:.4f}",
                    f"{d_nl * 100:.1f} %",
                    "yes" if good else "NO",
                ]
            )
    figs = [_plot_pn(out_dir, curves, lag)]
    # Outside the theory's premise: the same engagement against a 3 g turn (shown, not judged).
    dev3 = {}
    for nav in (3, 4, 5):
        peak = float(np.max(np.abs(closed_form_step_miss(nav, np.linspace(0.02, 10.0, 500)))))
        m3 = nonlinear_pn_miss(nav, lag, xs * lag, target_accel_mps2=3 * G0) / (3 * G0 * lag**2)
        dev3[nav] = float(np.nanmax(np.abs(m3 - np.abs(closed_form_step_miss(nav, xs))))) / peak
    return Case(
        key="pn_single_lag",
        title="PN miss distance against a step target manoeuvre, single time constant",
        source=(
            "Zarchan, Tactical and Strategic Missile Guidance (AIAA), ch. 3 and 6: normalised "
            "miss M/(n_T T^2) against x = t_F/T, closed forms N'=3: x^2 e^-x / 2; "
            "N'=4: x^2 e^-x (1 - x/3) / 2; N'=5: x^2 e^-x (1 - 2x/3 + x^2/12) / 2 "
            "(table in PUBLIC-DATA 4.1)"
        ),
        method=(
            "adjoint: samsim's adjoint of the linear homing loop (``guidance.adjoint_miss``, "
            "RK4, one run per N' gives every flight time). nonlinear: samsim's full engagement "
            "with the engine's fly-out kernel (textbook missile: no thrust, drag, gravity or "
            "g-limit, PN, lag T = 1 s, 1000 m/s missile head-on against a 300 m/s target "
            "that turns at 1 g from launch; the miss is the closest approach found inside the "
            "0.002 s sub-step). Published values are signed; the nonlinear miss is a distance, "
            "so it is compared with |published|."
        ),
        criterion=(
            "difference within 1 % (adjoint) and 10 % (nonlinear) of the curve's peak "
            "|M|/(n_T T^2) (0.271, 0.131, 0.077 for N' = 3, 4, 5): relative differences are "
            "meaningless where the curves cross zero"
        ),
        header=[
            "N'",
            "x = t_F/T",
            "published",
            "adjoint",
            "diff / peak",
            "nonlinear",
            "diff / peak",
            "pass",
        ],
        rows=rows,
        passed=ok,
        figures=figs,
        notes=(
            "Against a 3 g turn the same 300 m/s target turns through about 1 rad in 10 s, "
            "outside the linear theory's small-angle premise; samsim's nonlinear miss then "
            "departs from the published curve by up to "
            + ", ".join(f"{dev3[n] * 100:.0f} %" for n in (3, 4, 5))
            + " of the peak for N' = 3, 4, 5 (computed in this run, not judged). The 1 g case "
            "keeps the geometry inside the theory's assumptions."
        ),
        worst=(
            f"adjoint {worst_lin * 100:.2f} % of peak, nonlinear {worst_nl * 100:.1f} % of peak"
        ),
    )


def _plot_pn(out_dir: Path, curves: dict, lag: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a0, a1) = plt.subplots(1, 2, figsize=(12, 4.6), constrained_layout=True)
    colors = {3: "tab:blue", 4: "tab:orange", 5: "tab:green"}
    fine = np.linspace(0.0, 10.0, 400)
    for nav, (t, m_step, m_he, xs, nl) in curves.items():
        c = colors[nav]
        a0.plot(fine, np.abs(closed_form_step_miss(nav, fine)), color=c, lw=3, alpha=0.35)
        a0.plot(t / lag, np.abs(m_step) / lag**2, color=c, lw=1, ls="--", label=f"N'={nav}")
        a0.plot(xs, nl, "o", color=c, ms=5, mfc="none")
        a1.plot(fine, np.abs(closed_form_heading_miss(nav, fine)), color=c, lw=3, alpha=0.35)
        a1.plot(t / lag, np.abs(m_he) / lag, color=c, lw=1, ls="--", label=f"N'={nav}")
    a0.set_xlabel("x = t_F / T")
    a0.set_ylabel("|M| / (n_T T^2)")
    a0.set_title(
        "step target manoeuvre (1 g): closed form (wide), samsim adjoint (dashed),\n"
        "samsim nonlinear engagement (circles)",
        fontsize=9,
    )
    a0.legend()
    a1.set_xlabel("x = t_F / T")
    a1.set_ylabel("|M| / (V_M HE T)")
    a1.set_title("heading error: closed form (wide) and samsim adjoint (dashed)", fontsize=9)
    a1.legend()
    path = out_dir / "pn_single_lag.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def case_pn_heading_error(out_dir: Path, fast: bool = False) -> Case:
    """Heading-error miss of the single-lag loop (adjoint) against the closed forms."""
    xs = np.array([1, 2, 3, 4, 5, 6, 8, 10], dtype=float)
    rows = []
    ok = True
    worst = 0.0
    for nav in (3, 4, 5):
        t, _, m_he = adjoint_miss(nav, 1.0, 10.0, 10_000)
        peak = float(np.max(np.abs(closed_form_heading_miss(nav, np.linspace(0.01, 10, 500)))))
        # y'(0) = -V_M HE, so M / (V_M HE T) = -z_2.
        ours = -np.interp(xs, t, m_he)
        pub = closed_form_heading_miss(nav, xs)
        for x, p, a in zip(xs, pub, ours, strict=True):
            d = abs(a - p) / peak
            worst = max(worst, d)
            good = d <= 0.01
            ok &= bool(good)
            rows.append(
                [
                    f"{nav}",
                    f"{x:g}",
                    f"{p:+.4f}",
                    f"{a:+.4f}",
                    f"{d * 100:.2f} %",
                    "yes" if good else "NO",
                ]
            )
    return Case(
        key="pn_heading_error",
        title="PN miss distance from heading error, single time constant (adjoint)",
        source=(
            "Zarchan, Tactical and Strategic Missile Guidance (AIAA), ch. 3: M/(V_M HE T) = "
            "-x e^-x (1 - x/2), -x e^-x (1 - x + x^2/6), -x e^-x (1 - 3x/2 + x^2/2 - x^3/24) "
            "for N' = 3, 4, 5 (PUBLIC-DATA 4.1)"
        ),
        method="samsim's adjoint of the linear homing loop (``guidance.adjoint_miss``)",
        criterion="difference within 1 % of the curve's peak",
        header=["N'", "x = t_F/T", "published", "samsim adjoint", "diff / peak", "pass"],
        rows=rows,
        passed=ok,
        worst=f"{worst * 100:.2f} % of peak",
    )


# --------------------------------------------------------------------------- atmosphere

# U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562), Table I, geometric altitude; identical
# to the ICAO Standard Atmosphere (Doc 7488/3) below 32 km.
ICAO_TABLE = {
    0.0: (288.150, 101_325.0, 1.2250, 340.294),
    5000.0: (255.676, 54_048.0, 0.73643, 320.545),
    11000.0: (216.774, 22_700.0, 0.36480, 295.154),
    20000.0: (216.650, 5_529.3, 0.088910, 295.069),
}


def case_isa(out_dir: Path, fast: bool = False) -> Case:
    from ambiance import Atmosphere

    rows = []
    ok = True
    worst = 0.0
    names = ("temperature [K]", "pressure [Pa]", "density [kg/m^3]", "speed of sound [m/s]")
    keys = ("temperature_k", "pressure_pa", "density_kgpm3", "speed_of_sound_mps")
    for z, pub in ICAO_TABLE.items():
        ours = isa(z)
        amb = Atmosphere(z)
        amb_vals = (amb.temperature[0], amb.pressure[0], amb.density[0], amb.speed_of_sound[0])
        for name, key, p, a in zip(names, keys, pub, amb_vals, strict=True):
            v = float(ours[key])
            rel = abs(v - p) / p
            worst = max(worst, rel)
            good = rel <= 1e-4
            ok &= good
            rows.append(
                [
                    f"{z / 1000:g} km",
                    name,
                    _fmt(p, 6),
                    _fmt(v, 6),
                    f"{rel * 100:.4f} %",
                    _fmt(float(a), 6),
                    "yes" if good else "NO",
                ]
            )
    return Case(
        key="isa",
        title="Standard atmosphere at 0, 5, 11 and 20 km",
        source=(
            "ICAO Standard Atmosphere (Doc 7488/3), as tabulated in the U.S. Standard Atmosphere "
            "1976 (NOAA-S/T 76-1562) Table I at geometric altitude (the two agree below 32 km); "
            "cross-checked with the maintained ``ambiance`` package (ICAO 1993)"
        ),
        method=(
            "samsim's closed-form layers (``interceptors.atmosphere.isa``), the same function "
            "the fly-out and ballistic kernels call"
        ),
        criterion="within 0.01 % of the table (the table's own rounding is about 0.001 %)",
        header=[
            "altitude",
            "quantity",
            "published",
            "samsim",
            "difference",
            "ambiance",
            "pass",
        ],
        rows=rows,
        passed=ok,
        worst=f"{worst * 100:.4f} %",
    )


# --------------------------------------------------------------------------- horizon

HORIZON_TABLE_KM = {
    4.0: (24.2, 37.4, 49.5, 100.4, 192.6, 299.7),
    10.0: (29.0, 42.2, 54.3, 105.2, 197.4, 304.5),
    30.0: (38.5, 51.7, 63.8, 114.7, 206.9, 314.0),
}
HORIZON_TARGETS_M = (15.0, 50.0, 100.0, 500.0, 2000.0, 5000.0)


def _los_limit_m(h_radar: float, h_target: float) -> float:
    """Longest ground distance at which samsim's line-of-sight test (4/3 earth) passes,
    found by bisection on real ENU points of a local frame."""
    lo, hi = 0.0, 500_000.0
    radar = point_at(SPHERE, np.array([0.0]), np.array([h_radar]))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        tgt = point_at(SPHERE, np.array([mid]), np.array([h_target]))
        if line_of_sight(SPHERE, None, radar, tgt, np.array([K_RADAR]))[0]:
            lo = mid
        else:
            hi = mid
    return lo


def case_horizon(out_dir: Path, fast: bool = False) -> Case:
    rows = []
    ok = True
    worst = 0.0
    for hr, pubs in HORIZON_TABLE_KM.items():
        for ht, pub in zip(HORIZON_TARGETS_M, pubs, strict=True):
            formula = float(radar_horizon_m(hr, ht)) / 1000.0
            los = _los_limit_m(hr, ht) / 1000.0
            d = max(abs(formula - pub), abs(los - pub))
            worst = max(worst, d)
            good = d <= 0.06  # the table is rounded to 0.1 km
            ok &= good
            rows.append(
                [
                    f"{hr:g} m",
                    f"{ht:g} m",
                    f"{pub:.1f}",
                    f"{formula:.2f}",
                    f"{los:.2f}",
                    f"{formula - pub:+.2f}",
                    "yes" if good else "NO",
                ]
            )
    return Case(
        key="radar_horizon",
        title="Radar horizon over the 4/3 earth",
        source=(
            "d = sqrt(2 k R h_r) + sqrt(2 k R h_t), k = 4/3, R = 6371 km (Skolnik, Radar "
            "Handbook); table of PUBLIC-DATA 4.3"
        ),
        method=(
            "formula: ``geo.horizon.radar_horizon_m`` (what the radar model tests); "
            "line of sight: the longest ground distance at which samsim's seeker line-of-sight "
            "test (``interceptors.seeker.line_of_sight``, k = 4/3) passes between real points "
            "of a local ENU frame on a 6371 km sphere, by bisection"
        ),
        criterion="within 0.06 km of the table (rounded to 0.1 km)",
        header=[
            "radar height",
            "target height",
            "published [km]",
            "samsim formula [km]",
            "samsim line of sight [km]",
            "difference [km]",
            "pass",
        ],
        rows=rows,
        passed=ok,
        worst=f"{worst:.3f} km",
    )


# --------------------------------------------------------------------------- ballistic


def engine_arc_range_m(speed_mps: float, gamma_rad: float, dt_s: float = 0.2) -> float:
    """Ground range of a drag-free arc flown by the engine's ballistic kernel."""
    pos = np.zeros((1, 3))
    vel = np.array([[0.0, speed_mps * math.cos(gamma_rad), speed_mps * math.sin(gamma_rad)]])
    acc = np.zeros((1, 3))
    rows = np.array([0])
    inv = np.zeros(1)
    for _ in range(200_000):
        done = np.zeros(1, dtype=bool)
        fly_ballistic_kernel(pos, vel, acc, rows, inv, dt_s, SPHERE.radius_m, done)
        if done[0]:
            break
    return float(SPHERE.ground_distance_m(np.zeros(3), pos[0]))


def case_ballistic(out_dir: Path, fast: bool = False) -> Case:
    shots = [(300.0, 45.0), (1000.0, 45.0), (1757.15, 33.48), (3000.0, 30.0)]
    rows = []
    ok = True
    worst = 0.0
    for v, g in shots:
        pub = free_flight_range_m(v, math.radians(g), SPHERE.radius_m)
        ours = engine_arc_range_m(v, math.radians(g))
        flat = v * v * math.sin(2 * math.radians(g)) / G0
        rel = abs(ours - pub) / pub
        worst = max(worst, rel)
        good = rel <= 1e-4
        ok &= good
        rows.append(
            [
                f"{v:g} m/s at {g:g} deg",
                f"{pub / 1000:.4f}",
                f"{ours / 1000:.4f}",
                f"{(ours - pub):+.1f} m ({rel * 100:.5f} %)",
                f"{flat / 1000:.4f}",
                "yes" if good else "NO",
            ]
        )
    return Case(
        key="ballistic",
        title="Drag-free ballistic arc: range",
        source=(
            "free-flight range equation of Keplerian motion from and to the surface of a "
            "sphere, cos(Psi/2) = (1 - Q cos^2 g) / sqrt(1 + Q (Q - 2) cos^2 g), "
            "Q = v^2 R / GM (Bate, Mueller and White, Fundamentals of Astrodynamics, 1971, "
            "sec. 6.2); GM = g0 R^2, R = 6371 km"
        ),
        method=(
            "the engine's ballistic kernel (``threats.ballistic.fly_ballistic_kernel``, RK4, "
            "inverse-square gravity, engine step 0.2 s, impact interpolated to the surface); "
            "ground range along the sphere. The flat-earth v^2 sin(2g)/g is shown for scale"
        ),
        criterion="within 0.01 % of the closed form",
        header=[
            "burn-out velocity",
            "published range [km]",
            "samsim [km]",
            "difference",
            "flat earth [km]",
            "pass",
        ],
        rows=rows,
        passed=ok,
        worst=f"{worst * 100:.5f} %",
    )


# --------------------------------------------------------------------------- envelopes

ENVELOPE_TARGET_SPEED_MPS = 250.0
SPOT_HEIGHT_M = 3000.0


def _outside(value: float, band: tuple[float, float]) -> float:
    """0 inside the band, else the distance to it (signed: + above, - below)."""
    lo, hi = band
    return 0.0 if lo <= value <= hi else (value - hi if value > hi else value - lo)


def spot_engagement(itype: InterceptorType, name: str, table, ground_range_m: float) -> tuple:
    """Full engagement against a 250 m/s head-on target timed to meet the round at a point
    ``ground_range_m`` out at ``SPOT_HEIGHT_M``; returns (hit, miss_m, end_code, time_s)."""
    tab = InterceptorTable.from_catalog({name: itype})
    t_fly = float(
        np.interp(
            ground_range_m,
            table.ground_range_m,
            table.time_s[:, int(np.argmin(abs(table.altitude_m - SPOT_HEIGHT_M)))],
        )
    )
    if not np.isfinite(t_fly):
        t_fly = itype.max_flight_s
    v = ENVELOPE_TARGET_SPEED_MPS
    start = point_at(SPHERE, np.array([ground_range_m + v * t_fly]), np.array([SPOT_HEIGHT_M]))
    launcher = np.array([[0.0, 0.0, 2.0]])
    from samsim.interceptors.engage import launch_direction

    d = launch_direction(
        SPHERE,
        launcher[0],
        start,
        math.radians(load_catalog().launchers["canister_6"].launch_elevation_deg),
    )
    res = simulate(
        tab,
        0,
        SPHERE,
        launcher,
        d,
        straight_targets(start, np.array([0.0, -v, 0.0])),
        t_end_s=itype.max_flight_s + 1.0,
        dt_s=0.1,
        substeps=2,
    )
    code = int(res.end_code[0])
    miss = float(res.miss_m[0])
    hit = code in (END_KILL, END_MISS) and miss <= itype.lethal_radius_m
    return hit, miss, code, float(res.end_time_s[0])


def case_envelopes(out_dir: Path, fast: bool = False) -> Case:
    from samsim.interceptors.state import END_SELF_DESTRUCT
    from samsim.plotting.envelope import draw_envelope

    cat = load_catalog()
    elevation = cat.launchers["canister_6"].launch_elevation_deg
    rows = []
    figs = []
    ok = True
    summary = []
    names = list(cat.interceptors)
    for name in names:
        itype = cat.interceptors[name]
        table = flyout_table(itype, elevation, name)
        env = engagement_envelope(table, ENVELOPE_TARGET_SPEED_MPS)
        r_max, h_max = env.max_range_overall_m, env.max_altitude_m
        d_r = _outside(r_max, itype.public_range_m)
        d_h = _outside(h_max, itype.public_altitude_m)
        summary.append(f"{name} {r_max / 1000:.1f} km / {h_max / 1000:.1f} km")
        for label, val, band, d in (
            ("max range [km]", r_max, itype.public_range_m, d_r),
            ("max altitude [km]", h_max, itype.public_altitude_m, d_h),
        ):
            good = d == 0.0
            ok &= good
            rows.append(
                [
                    name,
                    label,
                    f"{band[0] / 1000:g}-{band[1] / 1000:g}",
                    f"{val / 1000:.1f}",
                    "inside" if good else f"{d / 1000:+.1f} km outside",
                    "yes" if good else "NO",
                ]
            )
        # Full engagements either side of the planning boundary at the spot height.
        h_idx = int(np.argmin(abs(env.altitude_m - SPOT_HEIGHT_M)))
        r_spot = float(env.max_range_m[h_idx, 0])
        for frac, expect_hit in ((0.95, True), (1.2, False)):
            hit, miss, code, t_end = spot_engagement(itype, name, table, frac * r_spot)
            good = hit == expect_hit
            ok &= good
            what = (
                f"hit, miss {miss:.2f} m at {t_end:.0f} s"
                if hit
                else (
                    "self-destruct" if code == END_SELF_DESTRUCT else f"no hit (miss {miss:.0f} m)"
                )
            )
            rows.append(
                [
                    name,
                    f"full engagement at {frac:g} x planning range ({frac * r_spot / 1000:.1f} km, "
                    f"{SPOT_HEIGHT_M / 1000:g} km up)",
                    "hit" if expect_hit else "no hit",
                    what,
                    "as expected" if good else "UNEXPECTED",
                    "yes" if good else "NO",
                ]
            )
        png = out_dir / f"envelope_{name}.png"
        draw_envelope(
            env,
            table,
            png,
            public_range_m=itype.public_range_m,
            public_altitude_m=itype.public_altitude_m,
        )
        figs.append(png.name)
    return Case(
        key="envelopes",
        title="Catalog interceptors: samsim's envelope against the public figures",
        source=(
            "the public figures each catalog entry cites (``public_range_m`` and "
            "``public_altitude_m`` in catalog.yaml, with their sources and tags; PUBLIC-DATA 1.4): "
            "AMRAAM class 25-40 km [N] and 14-15 km [N]; AMRAAM-ER class 40-60 km [N] and "
            "17-23 km [A, placeholder +-15 %]; AIM-9X class 7-10 km and 4-6 km [A, placeholders]"
        ),
        method=(
            f"``interceptors.envelope``: fly-out tables from the engine's model (canister at "
            f"{elevation:g} deg), then the planning rules the FDC uses, against a "
            f"{ENVELOPE_TARGET_SPEED_MPS:g} m/s straight and level target; max range is the "
            "longest intercept ground range at any height and crossing offset, max altitude the "
            "highest target height with any intercept. Spot checks fly full engagements "
            "(``engage.simulate``, engine step 0.1 s) against a head-on target timed to meet the "
            "round at 0.95 and 1.2 times the planning range at 3 km"
        ),
        criterion=(
            "samsim's max range and max altitude inside the public spread; the full engagement "
            "hits inside the planning envelope and fails well beyond it"
        ),
        header=["interceptor", "quantity", "published", "samsim", "difference", "pass"],
        rows=rows,
        passed=ok,
        figures=figs,
        notes=(
            "The generic motor, drag and planning placeholders [A] of each entry were retuned "
            "so that this holds (their catalog sources say so). The planning envelope keeps a "
            "10 % reserve of flight time and of speed above the minimum (``envelope.RESERVE``), "
            "so the kinematic reach of the round is somewhat longer than its planning range."
        ),
        worst="max range / altitude: " + ", ".join(summary),
    )


CASES: list[tuple[str, Callable[[Path, bool], Case]]] = [
    ("pn_zero_lag", case_pn_zero_lag),
    ("pn_single_lag", case_pn_single_lag),
    ("pn_heading_error", case_pn_heading_error),
    ("isa", case_isa),
    ("radar_horizon", case_horizon),
    ("ballistic", case_ballistic),
    ("envelopes", case_envelopes),
]
