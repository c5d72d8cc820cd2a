"""``python -m validation [--fast] [--docs DIR]``: run the suite and write the report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from validation.cases import CASES
from validation.report import write_report

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m validation", description=__doc__)
    ap.add_argument("--fast", action="store_true", help="the smaller subset the tests run")
    ap.add_argument("--docs", type=Path, default=ROOT / "docs", help="where validation.md goes")
    ap.add_argument("--only", nargs="*", default=None, help="run only these case keys")
    args = ap.parse_args(argv)
    docs: Path = args.docs
    fig_dir = docs / "validation"
    fig_dir.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    todo = [(k, f) for k, f in CASES if args.only is None or k in args.only]
    unknown = set(args.only or []) - {k for k, _ in CASES}
    if unknown:
        console.print(
            f"error: --only: unknown case(s) {sorted(unknown)} (known: {[k for k, _ in CASES]})"
        )
        return 2
    t0 = time.perf_counter()
    results = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("validation", total=len(todo))
        for key, fn in todo:
            progress.update(task, description=f"validation: {key}")
            results.append(fn(fig_dir, args.fast))
            progress.advance(task)
    wall = time.perf_counter() - t0
    cmd = "python -m validation" + (" --fast" if args.fast else "")
    report = write_report(results, docs / "validation.md", "validation", cmd, wall)
    table = Table(title=f"samsim validation ({wall:.0f} s)")
    for col in ("case", "result", "largest difference"):
        table.add_column(col)
    for c in results:
        table.add_row(c.key, "pass" if c.passed else "[red]FAIL[/red]", c.worst or "-")
    Console().print(table)
    Console().print(f"report: {report}")
    return 0 if all(c.passed for c in results) else 1


if __name__ == "__main__":
    sys.exit(main())
