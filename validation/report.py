"""Write the validation report (Markdown with tables and figure links)."""

from __future__ import annotations

from pathlib import Path

from validation.cases import Case


def _table(header: list[str], rows: list[list[str]]) -> str:
    def esc(x: str) -> str:
        return str(x).replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def write_report(
    cases: list[Case], path: Path, figure_dir: str, command: str, wall_s: float
) -> Path:
    """Markdown report: a summary table, then each case with source, method, table, figures."""
    out = [
        "# samsim physics validation",
        "",
        "Each case compares samsim with a published analytic or tabulated result (or, for the "
        "catalog interceptors, with the public figures their catalog entries cite) and states "
        "the source, the published value, samsim's value and the difference. Every number "
        "below is produced by the command",
        "",
        f"    {command}",
        "",
        f"(this run: {wall_s:.0f} s wall time). The fast subset runs in the test suite "
        "(tests/validation).",
        "",
        "## Summary",
        "",
        _table(
            ["case", "result", "largest difference"],
            [
                [
                    f"[{c.title}](#{c.key.replace('_', '-')})",
                    "pass" if c.passed else "FAIL",
                    c.worst or "-",
                ]
                for c in cases
            ],
        ),
        "",
    ]
    for c in cases:
        out += [
            f'<a id="{c.key.replace("_", "-")}"></a>',
            "",
            f"## {c.title}",
            "",
            f"**Published source.** {c.source}",
            "",
            f"**samsim.** {c.method}",
            "",
            f"**Criterion.** {c.criterion}. **Result: {'pass' if c.passed else 'FAIL'}.**",
            "",
            _table(c.header, c.rows),
            "",
        ]
        for fig in c.figures:
            out += [f"![{c.title}]({figure_dir}/{fig})", ""]
        if c.notes:
            out += [f"*Note.* {c.notes}", ""]
    path.write_text("\n".join(out), encoding="utf-8")
    return path
