"""Static weapon-target assignment: samsim's solve_wta against a greedy baseline and an
outer-approximation MILP peer, on random instances as in Ahuja, Kumar, Jha and Orlin
(Operations Research 55(6), 2007).

Run:  python benchmarks/wta.py [--instances N] [--quick] [--peer-max-pairs P] [--markdown]

Instances: target values uniform on [25, 100], kill probabilities uniform on
[0.60, 0.90], every weapon distinct; seeded by (n_weapons, n_targets, k). Sizes run
from 5 x 5 to 400 x 400 plus weapon-rich (2 weapons per target) and target-rich
(2 targets per weapon) ones.

For every instance it measures
- greedy: the maximum-marginal-return greedy (``greedy_wta``), the usual fast baseline;
- samsim: ``solve_wta`` without a time limit (proven optimum up to EXACT_MAX_PAIRS
  pairs, heuristic to convergence beyond) and with the fire-control budget
  ``time_limit_s=0.1``;
- reference: ``solve_exact`` started from samsim's best answer with a long deadline,
  which proves the optimum or leaves a Lagrangian lower bound;
- peer (up to --peer-max-pairs weapon-target pairs): the outer-approximation MILP on
  HiGHS (``wta_oa``), the formulation the issue quotes (about 5 s at 80 x 80).

It prints, per size, the mean gap of each method to the best known value and to the
lower bound (equal when the optimum is proven), wall times, and the ratio of the peer's
time to prove the optimum to samsim's. Timings are wall clock on one process; the
first call loads the numba kernels, so a warm-up runs before anything is timed.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from dataclasses import dataclass, field

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from samsim.fire_control.wta import EXACT_MAX_PAIRS, greedy_wta, solve_wta, surviving_value
from samsim.fire_control.wta_exact import solve_exact
from samsim.fire_control.wta_oa import solve_outer_approximation

VALUE_RANGE = (25.0, 100.0)
PK_RANGE = (0.60, 0.90)
FIRE_CONTROL_BUDGET_S = 0.1
REFERENCE_LIMIT_S = 120.0
PEER_LIMIT_S = 60.0
BALANCED = [5, 10, 20, 40, 60, 80, 100, 200, 300, 400]
WEAPON_RICH = [(10, 5), (40, 20), (80, 40), (200, 100), (400, 200)]
TARGET_RICH = [(5, 10), (20, 40), (40, 80), (100, 200), (200, 400)]


def ahuja_instance(n_weapons: int, n_targets: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Instance k of a size: (pk (n_weapons, n_targets), value (n_targets,))."""
    rng = np.random.default_rng([n_weapons, n_targets, k])
    pk = rng.uniform(*PK_RANGE, size=(n_weapons, n_targets))
    value = rng.uniform(*VALUE_RANGE, size=n_targets)
    return pk, value


@dataclass
class SizeResult:
    """Per-instance measurements of one size."""

    n_weapons: int
    n_targets: int
    best: list[float] = field(default_factory=list)
    bound: list[float] = field(default_factory=list)
    proven: list[bool] = field(default_factory=list)
    value: dict[str, list[float]] = field(default_factory=dict)
    time_s: dict[str, list[float]] = field(default_factory=dict)
    peer_proven: list[bool] = field(default_factory=list)

    def record(self, method: str, value: float, time_s: float) -> None:
        self.value.setdefault(method, []).append(value)
        self.time_s.setdefault(method, []).append(time_s)

    def gap_pct(self, method: str, to: str) -> float:
        ref = np.asarray(self.best if to == "best" else self.bound)
        return float(np.mean(np.asarray(self.value[method]) / ref - 1.0) * 100.0)


def run_size(n_w: int, n_t: int, n_inst: int, peer_max_pairs: int, progress, task) -> SizeResult:
    res = SizeResult(n_w, n_t)
    for k in range(n_inst):
        pk, value = ahuja_instance(n_w, n_t, k)
        t0 = time.perf_counter()
        a = greedy_wta(pk, value)
        res.record("greedy", surviving_value(pk, value, a), time.perf_counter() - t0)
        t0 = time.perf_counter()
        a_none = solve_wta(pk, value)
        res.record("samsim", surviving_value(pk, value, a_none), time.perf_counter() - t0)
        t0 = time.perf_counter()
        a_fc = solve_wta(pk, value, time_limit_s=FIRE_CONTROL_BUDGET_S)
        res.record("samsim_fc", surviving_value(pk, value, a_fc), time.perf_counter() - t0)
        start = min((a_none, a_fc), key=lambda x: surviving_value(pk, value, x))
        ref = solve_exact(
            pk,
            value,
            np.zeros(n_w),
            start.astype(np.int64),
            deadline_s=time.perf_counter() + REFERENCE_LIMIT_S,
        )
        best = min(ref.objective, *(res.value[m][-1] for m in ("greedy", "samsim", "samsim_fc")))
        bound = ref.lower_bound
        if n_w * n_t <= peer_max_pairs:
            t0 = time.perf_counter()
            oa = solve_outer_approximation(pk, value, deadline_s=time.perf_counter() + PEER_LIMIT_S)
            res.record("peer", oa.objective, time.perf_counter() - t0)
            res.peer_proven.append(oa.proven)
            best = min(best, oa.objective)
            bound = max(bound, oa.lower_bound) if oa.proven else bound
        res.best.append(best)
        res.bound.append(min(bound, best))
        res.proven.append(ref.proven)
        progress.advance(task)
    return res


def _fmt_gap(x: float) -> str:
    return f"{x:.3f}"


def _rows(results: list[SizeResult]) -> tuple[list[str], list[list[str]]]:
    head = [
        "weapons x targets",
        "n",
        "optimum proven",
        "best vs bound %",
        "greedy gap %",
        "greedy s",
        "samsim gap % (no limit)",
        "samsim s mean / max",
        f"samsim gap % ({FIRE_CONTROL_BUDGET_S:g} s)",
        f"samsim s max ({FIRE_CONTROL_BUDGET_S:g} s)",
        "OA-MILP s mean (proven)",
        "OA-MILP s / samsim s",
    ]
    rows = []
    for r in results:
        n = len(r.best)
        bound_gap = float(np.mean(np.asarray(r.best) / np.asarray(r.bound) - 1.0) * 100.0)

        def gap(method: str, r: SizeResult = r) -> str:
            to_best = r.gap_pct(method, "best")
            to_bound = r.gap_pct(method, "bound")
            if all(r.proven):
                return _fmt_gap(to_best)
            return f"{_fmt_gap(to_best)} / {_fmt_gap(to_bound)}"

        t_s = np.asarray(r.time_s["samsim"])
        peer = "-"
        ratio = "-"
        if "peer" in r.time_s:
            t_peer = np.asarray(r.time_s["peer"])
            peer = f"{t_peer.mean():.2f} ({sum(r.peer_proven)}/{n})"
            ratio = f"{t_peer.mean() / t_s.mean():.0f}"
        rows.append(
            [
                f"{r.n_weapons} x {r.n_targets}",
                str(n),
                f"{sum(r.proven)}/{n}",
                f"{bound_gap:.4f}",
                gap("greedy"),
                f"{np.mean(r.time_s['greedy']):.4f}",
                gap("samsim"),
                f"{t_s.mean():.3f} / {t_s.max():.3f}",
                gap("samsim_fc"),
                f"{np.max(r.time_s['samsim_fc']):.3f}",
                peer,
                ratio,
            ]
        )
    return head, rows


def _warm_up() -> None:
    solve_wta(*ahuja_instance(5, 5, 99))  # the branch and bound for few weapons
    pk, value = ahuja_instance(30, 20, 99)
    solve_wta(pk, value)
    solve_wta(pk, value, time_limit_s=1.0)
    solve_exact(pk, value, np.zeros(30), greedy_wta(pk, value).astype(np.int64), master_ip=False)
    solve_outer_approximation(*ahuja_instance(5, 5, 99))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=0, help="instances per size (0: by size)")
    ap.add_argument("--quick", action="store_true", help="sizes up to 100 x 100 only")
    ap.add_argument(
        "--peer-max-pairs",
        type=int,
        default=80 * 80,
        help="largest n_weapons * n_targets the OA-MILP peer is run on",
    )
    ap.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = ap.parse_args()
    sizes = [(n, n) for n in BALANCED] + WEAPON_RICH + TARGET_RICH
    if args.quick:
        sizes = [s for s in sizes if s[0] * s[1] <= 100 * 100]

    def count(n_w: int, n_t: int) -> int:
        if args.instances:
            return args.instances
        return 10 if n_w * n_t <= 100 * 100 else 5 if n_w * n_t <= 200 * 200 else 3

    console = Console()
    _warm_up()
    results = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("instances", total=sum(count(*s) for s in sizes))
        for n_w, n_t in sizes:
            results.append(run_size(n_w, n_t, count(n_w, n_t), args.peer_max_pairs, progress, task))
    head, rows = _rows(results)
    table = Table(
        title=(
            f"WTA, Ahuja et al. instances (values U{list(VALUE_RANGE)}, pk U{list(PK_RANGE)}); "
            f"gap % to best known (/ to lower bound where not proven); "
            f"no limit = proven optimum up to {EXACT_MAX_PAIRS} pairs "
            f"({platform.processor() or platform.machine()}, 1 process)"
        )
    )
    for col in head:
        table.add_column(col, justify="left" if col == head[0] else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(["---"] * len(head)) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    worst_fc = max(
        (np.mean(np.asarray(r.value["samsim_fc"]) / np.asarray(r.best) - 1) * 100, r.n_weapons)
        for r in results
    )
    better = all(r.gap_pct("samsim_fc", "best") <= r.gap_pct("greedy", "best") for r in results)
    console.print(
        f"samsim ({FIRE_CONTROL_BUDGET_S:g} s) beats or ties greedy at every size: {better}; "
        f"worst mean gap {worst_fc[0]:.3f} %"
    )
    if not math.isfinite(worst_fc[0]):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
