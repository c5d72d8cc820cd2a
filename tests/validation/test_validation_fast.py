"""The fast subset of the physics validation suite (the full run: python -m validation)."""

import pytest
from validation.cases import CASES
from validation.report import write_report


@pytest.mark.parametrize("key, fn", CASES, ids=[k for k, _ in CASES])
def test_validation_case_passes(key, fn, tmp_path):
    case = fn(tmp_path, True)
    assert case.passed, f"{key}: {case.worst}"
    assert case.rows and all(len(r) == len(case.header) for r in case.rows)
    for fig in case.figures:
        assert (tmp_path / fig).stat().st_size > 10_000


def test_report_has_a_summary_and_every_case(tmp_path):
    cases = [fn(tmp_path, True) for key, fn in CASES if key in ("isa", "ballistic")]
    path = write_report(
        cases, tmp_path / "validation.md", "validation", "python -m validation", 1.0
    )
    text = path.read_text()
    assert "## Summary" in text
    assert "## Standard atmosphere at 0, 5, 11 and 20 km" in text
    assert "| 11 km | pressure [Pa] | 22700 |" in text
