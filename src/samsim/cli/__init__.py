"""Command line: ``samsim run | demo | validate | schema | catalog``.

Bad input never produces a traceback: every problem is printed as one line
naming the field and what is wrong, and the command exits with status 2
before anything is written. Each group of commands lives in its own module
and registers itself on ``app`` when imported here.
"""

from __future__ import annotations

import os

from rich.markup import escape

from samsim.cli import (
    commands,  # noqa: F401  (registers run, demo, validate, schema, catalog)
    envelope,  # noqa: F401  (registers envelope)
    serve,  # noqa: F401  (registers serve)
    sweep,  # noqa: F401  (registers sweep, results, report)
)
from samsim.cli.app import app, err

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: run the app, turning unexpected errors into one line (exit 1)."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
    except Exception as exc:
        if os.environ.get("SAMSIM_DEBUG"):
            raise
        err.print(
            f"[red]internal error:[/red] {escape(type(exc).__name__)}: {escape(str(exc))} "
            "(set SAMSIM_DEBUG=1 for a traceback)"
        )
        raise SystemExit(1) from None
