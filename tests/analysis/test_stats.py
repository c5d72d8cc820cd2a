"""Confidence intervals and run summaries."""

import math

import pytest

from samsim.analysis import mean_ci, proportion_ci, summarise


def test_mean_ci_uses_student_t():
    ci = mean_ci([1.0, 2.0, 3.0])
    half = 4.302653 * 1.0 / math.sqrt(3)  # t(0.975, 2) * s / sqrt(n)
    assert ci["mean"] == 2.0 and ci["n"] == 3
    assert ci["ci_low"] == pytest.approx(2.0 - half, rel=1e-6)
    assert ci["ci_high"] == pytest.approx(2.0 + half, rel=1e-6)


def test_mean_ci_of_one_value_and_of_none():
    assert mean_ci([5.0]) == {"mean": 5.0, "ci_low": 5.0, "ci_high": 5.0, "n": 1}
    assert math.isnan(mean_ci([])["mean"])
    assert mean_ci([1.0, float("nan"), 3.0])["n"] == 2


def test_wilson_interval_of_zero_successes():
    ci = proportion_ci(0, 10)
    assert ci["mean"] == 0.0 and ci["ci_low"] == 0.0
    assert ci["ci_high"] == pytest.approx(0.2775, abs=1e-4)  # Wilson, 95 %
    ci = proportion_ci(5, 10)
    assert ci["ci_low"] == pytest.approx(0.2366, abs=1e-4)
    assert ci["ci_high"] == pytest.approx(0.7634, abs=1e-4)


def _metrics(leakers, fired, destroyed):
    return {
        "threats": 4,
        "kills": 4 - leakers,
        "leakers": leakers,
        "threats_not_engaged": 0,
        "interceptors_fired": fired,
        "cost_defence": fired * 1.0e6,
        "cost_threats": 4e6,
        "cost_threats_destroyed": destroyed,
        "cost_exchange_ratio": destroyed / (fired * 1e6) if fired else math.nan,
        "civil_or_friendly_engagements": 0,
        "civil_or_friendly_killed": 0,
        "asset_damage": 0.0,
        "threats_by_type": {"owa_drone": 4},
        "kills_by_type": {},
        "leakers_by_type": {"owa_drone": leakers} if leakers else {},
        "interceptors_by_type": {"amraam": fired},
        "asset_damage_by_asset": {},
        "wall_s": 1.0,
    }


def test_summary_has_the_documented_fields_and_pooled_cost_exchange():
    s = summarise([_metrics(0, 4, 4e6), _metrics(2, 0, 0.0)], scenario="x", seed=3, wall_s=2.0)
    for key in (
        "scenario",
        "seed",
        "replications",
        "threats",
        "kills",
        "leakers",
        "leakers_by_type",
        "interceptors_fired",
        "interceptors_by_type",
        "p_no_leak",
        "cost_defence",
        "cost_threats",
        "cost_exchange_ratio",
        "civil_or_friendly_engagements",
        "wall_s",
    ):
        assert key in s, key
    assert s["replications"] == 2 and s["seed"] == 3
    assert s["leakers"]["mean"] == 1.0
    assert s["leakers_by_type"]["owa_drone"]["mean"] == 1.0  # absent counts as zero
    assert s["p_no_leak"]["mean"] == 0.5
    # the pooled ratio: 4 M destroyed for 4 M spent, whatever the idle replication
    assert s["cost_exchange_ratio"]["mean"] == pytest.approx(1.0)
