"""samsim's physics validation suite: published results against samsim, number for number.

Run ``python -m validation`` from the repository root; it writes
``docs/validation.md`` and the figures under ``docs/validation/``. The cases
live in ``validation.cases``; the tests (tests/validation) run a fast subset.
"""

from validation.cases import CASES, Case

__all__ = ["CASES", "Case"]
