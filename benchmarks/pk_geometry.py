"""Realised kill probability of samsim's own fly-out and end-game against the FDC's planning Pk.

Run:  python benchmarks/pk_geometry.py [--rounds 30] [--types amraam,amraam_er,aim9x]
                                       [--targets drone,cruise_missile,cm_weave,aircraft]
                                       [--json FILE]

For each interceptor type and reference target, targets fly toward the
launcher on straight great-circle courses (curved earth, constant height) from
a range of start distances and three crossing offsets, so that the predicted
intercept point (PIP) sweeps the fly-out envelope from its centre to its edge.
For each geometry the FDC's own planning (``solve_intercepts`` on the fly-out
tables, then ``fire_control.pk.geometry_pk``) gives the planned Pk, and
``--rounds`` rounds are flown with the engine's kernel (``engage.simulate``:
seeker noise, the Carleton kill draw, datalink uplinks every second, launched
as the engine launches) to count the realised kills. The table bins geometries
by the arrival-speed margin of the fly-out table at the PIP (the variable the
planning Pk falls with) and prints, per bin, the mean planned Pk divided by
the type's catalog ``pk_planning`` (1 at the envelope centre) next to the
realised kill fraction divided by the realised fraction at the centre: where
the planning Pk is faithful the two ratios fall together.

Reference targets (from the catalog's threat types): ``drone`` (owa_drone at
800 m), ``cruise_missile`` (subsonic_cm at 30 m, no weave), ``cm_weave`` (the
same with its 5 g end-game weave), ``aircraft`` (fighter at 6 km that beams the
interceptor at its ``max_turn_g`` once the round is within its warning range,
as the engine's evasion cue does; the start of the turn is taken from the
planned time to intercept and the closing speed).
Perfect track uplinks: the tracker's errors are not in this measurement.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from samsim.catalog import load_catalog
from samsim.fire_control.pk import geometry_pk
from samsim.geo import LocalFrame
from samsim.interceptors.atmosphere import G0_MPS2
from samsim.interceptors.engage import launch_direction, simulate
from samsim.interceptors.envelope import arrival_state, flyout_set, solve_intercepts
from samsim.interceptors.params import InterceptorTable
from samsim.interceptors.state import END_KILL
from samsim.threats.state import CATEGORIES

FRAME = LocalFrame(0.0, 0.0, 6_371_000.0)
DT_S = 0.05
ELEVATION_DEG = 30.0  # canister_6 launch elevation
LAUNCHER = np.array([0.0, 0.0, 2.0])
OFFSETS = (0.0, 0.3, 0.6)  # crossing offset / start distance
MARGIN_BINS = (0.10, 0.15, 0.20, 0.30, 0.50, 0.75, 1.00, 1.40, 10.0)  # v_arr / v_min - 1


def _targets_spec(cat, name: str) -> dict:
    if name in ("drone", "cruise_missile", "cm_weave"):
        tt = cat.threats["owa_drone" if name == "drone" else "subsonic_cm"]
        return dict(
            category="drone" if name == "drone" else "cruise_missile",
            speed=tt.speed_mps,
            height=tt.altitude_m,
            weave_g=(tt.weave_g if name == "cm_weave" else 0.0),
            weave_period_s=getattr(tt, "weave_period_s", 3.0) or 3.0,
            evade_g=0.0,
            warning_m=0.0,
        )
    if name == "aircraft":
        tt = cat.threats["fighter"]
        return dict(
            category="aircraft",
            speed=tt.speed_mps,
            height=tt.altitude_m,
            weave_g=0.0,
            weave_period_s=3.0,
            evade_g=tt.max_turn_g,
            warning_m=tt.warning_range_m,
        )
    raise ValueError(f"--targets: unknown reference target {name!r}")


def sphere_path(start_xy_m, course_rad, spec, t_evade_s, rng, n, t_end_s):
    """Target positions, velocities, accelerations over time (curved earth, constant height).

    The ground track is integrated in a flat map (x east, y north) at the
    target's speed, with the weave or the evasive turn as a course offset, and
    wrapped onto the sphere (azimuthal equidistant), then lifted to its height.
    """
    ts = np.arange(0.0, t_end_s + 2 * DT_S, DT_S)
    v = spec["speed"]
    psi = np.repeat(course_rad[None, :], len(ts), axis=0)
    if spec["weave_g"] > 0:
        om = 2 * math.pi / spec["weave_period_s"]
        amp = min(spec["weave_g"] * G0_MPS2 / (v * om), 1.0)
        phase = rng.uniform(0, 2 * math.pi, n)
        psi = psi + amp * np.sin(om * ts[:, None] + phase[None, :])
    if spec["evade_g"] > 0:
        # Beam: turn at the g-limit by 90 degrees (side chosen at random) from t_evade.
        rate = spec["evade_g"] * G0_MPS2 / v
        side = rng.choice([-1.0, 1.0], n)
        turned = np.clip((ts[:, None] - t_evade_s[None, :]) * rate, 0.0, math.pi / 2)
        psi = psi + side[None, :] * turned
    dx = v * np.sin(psi) * DT_S
    dy = v * np.cos(psi) * DT_S
    x = start_xy_m[None, :, 0] + np.concatenate([np.zeros((1, n)), np.cumsum(dx[:-1], 0)])
    y = start_xy_m[None, :, 1] + np.concatenate([np.zeros((1, n)), np.cumsum(dy[:-1], 0)])
    rho = np.hypot(x, y)
    ang = rho / FRAME.radius_m
    with np.errstate(invalid="ignore", divide="ignore"):
        ux, uy = np.where(rho > 0, x / rho, 0.0), np.where(rho > 0, y / rho, 1.0)
    r = FRAME.radius_m
    surf = np.stack([r * np.sin(ang) * ux, r * np.sin(ang) * uy, r * np.cos(ang) - r], axis=-1)
    pos = FRAME.lift(surf, np.full(x.shape, spec["height"]))
    vel = np.gradient(pos, DT_S, axis=0)
    acc = np.gradient(vel, DT_S, axis=0)

    def at(t_s: float):
        k = min(round(t_s / DT_S), len(ts) - 1)
        return pos[k], vel[k], acc[k]

    return at


def measure(cat, type_name: str, target: str, rounds: int, seed: int) -> list[dict]:
    """One row per geometry: planning values at the PIP and the realised kill fraction."""
    itype = cat.interceptors[type_name]
    tab = InterceptorTable.from_catalog({type_name: itype})
    fs = flyout_set(itype, [ELEVATION_DEG], type_name)
    spec = _targets_spec(cat, target)
    rng = np.random.default_rng(seed)
    reach = float(fs.ground_range_m[np.isfinite(fs.time_s[0]).any(axis=1)].max())
    c = CATEGORIES.index(spec["category"])
    pk_cat = itype.pk_planning.get(spec["category"], 0.0)
    rows: list[dict] = []
    for d in OFFSETS:
        for frac in np.linspace(0.15, 1.7, 26):
            r0 = frac * reach
            off = d * r0
            start = np.array([[off, math.sqrt(r0 * r0 - off * off)]])
            course = np.array([math.pi])  # due south, passing `off` east of the launcher
            probe = sphere_path(
                start, course, spec | {"weave_g": 0, "evade_g": 0}, np.zeros(1), rng, 1, 1.0
            )
            p0, v0, _ = probe(0.0)
            ok, t, pip = solve_intercepts(
                fs,
                LAUNCHER[None],
                np.radians([ELEVATION_DEG]),
                p0,
                v0,
                np.array([1e9]),
                FRAME.radius_m,
            )
            if not ok[0, 0]:
                continue
            v_arr, _ = arrival_state(
                fs, LAUNCHER[None], np.radians([ELEVATION_DEG]), pip, ok, FRAME.radius_m
            )
            pk_plan = float(
                geometry_pk(
                    np.array([[pk_cat]]),
                    v_arr,
                    v_edge_mps=(1.0 + 0.10) * itype.min_speed_mps,
                    v_full_mps=itype.endgame_speed_mps,
                    edge_fraction=np.array([[itype.pk_edge_fraction.get(spec["category"], 1.0)]]),
                )[0, 0]
            )
            t_plan = float(t[0, 0])
            closing = float(v_arr[0, 0]) + spec["speed"]
            t_evade = np.full(rounds, max(t_plan - spec["warning_m"] / closing, 0.0))
            starts = np.repeat(start, rounds, axis=0)
            path = sphere_path(
                starts, np.repeat(course, rounds), spec, t_evade, rng, rounds, t_plan + 40.0
            )
            pos0, _, _ = path(0.0)
            direction = launch_direction(FRAME, LAUNCHER, pos0, math.radians(ELEVATION_DEG))
            res = simulate(
                tab,
                0,
                FRAME,
                np.broadcast_to(LAUNCHER, pos0.shape),
                direction,
                path,
                t_end_s=itype.max_flight_s + DT_S,
                dt_s=DT_S,
                rng=rng,
                datalink_period_s=1.0,
            )
            rows.append(
                dict(
                    type=type_name,
                    target=target,
                    category_index=c,
                    offset=d,
                    start_m=r0,
                    t_plan_s=t_plan,
                    v_arr_mps=float(v_arr[0, 0]),
                    margin=float(v_arr[0, 0]) / itype.min_speed_mps - 1.0,
                    pk_catalog=pk_cat,
                    pk_plan=pk_plan,
                    realised=float(np.mean(res.end_code == END_KILL)),
                    rounds=rounds,
                )
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30, help="rounds flown per geometry")
    ap.add_argument("--types", default="amraam,amraam_er,aim9x")
    ap.add_argument("--targets", default="drone,cruise_missile,cm_weave,aircraft")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="write every geometry's row here")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds: need at least 1")
    cat = load_catalog()
    for t in args.types.split(","):
        if t not in cat.interceptors:
            ap.error(f"--types: no interceptor type {t!r} in the catalog")
    all_rows: list[dict] = []
    console = Console()
    table = Table(
        title="Planned Pk / catalog pk_planning against realised kills / realised at the centre, "
        "by arrival-speed margin v_arr / v_min - 1 at the PIP"
    )
    for col in (
        "type",
        "target",
        "margin",
        "geometries",
        "planned / catalog",
        "realised / centre",
        "realised +- s.e.",
    ):
        table.add_column(col, justify="right")
    t0 = time.perf_counter()
    for k, type_name in enumerate(args.types.split(",")):
        for m, target in enumerate(args.targets.split(",")):
            rows = measure(cat, type_name, target, args.rounds, args.seed + 100 * k + m)
            all_rows += rows
            if not rows:
                continue
            margin = np.array([r["margin"] for r in rows])
            ratio = np.array([r["pk_plan"] / max(r["pk_catalog"], 1e-12) for r in rows])
            real = np.array([r["realised"] for r in rows])
            # Centre: where the planning Pk is the catalog's (the round arrives faster
            # than endgame_speed_mps), or margin >= 1 for a type without a fall-off.
            v_full = cat.interceptors[type_name].endgame_speed_mps
            v_arr = np.array([r["v_arr_mps"] for r in rows])
            inner = v_arr >= v_full if v_full is not None else margin >= 1.0
            centre = real[inner].mean() if inner.any() else np.nan
            for lo, hi in itertools.pairwise(MARGIN_BINS):
                sel = (margin >= lo) & (margin < hi)
                if not sel.any():
                    continue
                p_real = real[sel].mean()
                se = np.sqrt(max(p_real * (1 - p_real), 1e-9) / (sel.sum() * args.rounds))
                table.add_row(
                    type_name,
                    target,
                    f"{lo:.2f}-{hi:.2f}",
                    str(int(sel.sum())),
                    f"{ratio[sel].mean():.2f}",
                    f"{real[sel].mean() / centre:.2f}" if centre > 0 else "-",
                    f"{real[sel].mean():.2f} +- {se:.2f}",
                )
    console.print(table)
    console.print(
        f"{len(all_rows)} geometries, {args.rounds} rounds each, {time.perf_counter() - t0:.0f} s"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(all_rows, indent=1))


if __name__ == "__main__":
    main()
