"""Sweep files: field paths, grid expansion, per-point validation, derived seeds, bad input."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import samsim
from samsim.cli import app
from samsim.sweep import SweepError, load_sweep, replication_seed, set_path
from samsim.sweep.runner import point_target
from samsim.sweep.spec import parse_path

BASE = Path(samsim.__file__).parent / "scenarios" / "single_battery.yaml"
SMALL = Path(__file__).parent / "data" / "small_sweep.yaml"


def _sweep_file(tmp_path: Path, name: str = "sweep.yaml", **changes) -> Path:
    data = yaml.safe_load(SMALL.read_text())
    data["base"] = str(BASE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_parse_path_splits_fields_and_indices():
    assert parse_path("batteries[1].launchers[0].lat_deg") == [
        "batteries",
        1,
        "launchers",
        0,
        "lat_deg",
    ]
    assert parse_path("catalog.interceptors.amraam_er.max_range_m") == [
        "catalog",
        "interceptors",
        "amraam_er",
        "max_range_m",
    ]
    with pytest.raises(ValueError, match="not a field path"):
        parse_path("raids[x].count")


def test_set_path_creates_catalog_overrides_and_rejects_missing_indices():
    data = {"raids": [{"count": 1}], "catalog": {}}
    set_path(data, "catalog.interceptors.amraam.max_range_m", 20000)
    assert data["catalog"] == {"interceptors": {"amraam": {"max_range_m": 20000}}}
    set_path(data, "raids[0].count", 9)
    assert data["raids"][0]["count"] == 9
    with pytest.raises(ValueError, match="raids has 1 entries, no index 3"):
        set_path(data, "raids[3].count", 2)
    with pytest.raises(ValueError, match=r"raids\[0\].count is not a mapping"):
        set_path(data, "raids[0].count.x", 2)


def test_grid_is_the_cartesian_product_with_the_last_axis_fastest(tmp_path):
    path = _sweep_file(
        tmp_path,
        grid=[
            {"path": "raids[1].count", "name": "cms", "values": [2, 5]},
            {"path": "doctrine.shots_per_target.cruise_missile", "values": [1, 2, 3]},
        ],
    )
    plan = load_sweep(path)
    assert len(plan.points) == 6
    combos = [
        (pt.scenario.raids[1].count, pt.scenario.doctrine.shots_per_target["cruise_missile"])
        for pt in plan.points
    ]
    assert combos == [(2, 1), (2, 2), (2, 3), (5, 1), (5, 2), (5, 3)]
    assert plan.points[4].label == "cms=5, doctrine.shots_per_target.cruise_missile=2"
    # `set` applies to every point; the rest of the base scenario is untouched.
    assert all(pt.scenario.duration_s == 400 for pt in plan.points)
    assert all(pt.scenario.raids[0].count == 1 for pt in plan.points)
    assert plan.points[0].scenario.assets == plan.base.assets
    assert len({pt.sha256 for pt in plan.points}) == 6


def test_points_list_swaps_mixes_catalog_values_and_layouts(tmp_path):
    path = _sweep_file(
        tmp_path,
        set={"duration_s": 400},
        grid=None,
        points=[
            {"batteries[0].launchers[0].loadout": {"amraam_er": 2, "amraam": 4}},
            {
                "catalog.interceptors.amraam.max_range_m": 20000,
                "batteries[0].launchers[1].lat_deg": 25.1,
            },
        ],
    )
    plan = load_sweep(path)
    assert len(plan.points) == 2
    assert plan.points[0].scenario.batteries[0].launchers[0].loadout == {
        "amraam_er": 2,
        "amraam": 4,
    }
    assert plan.points[1].catalog.interceptors["amraam"].max_range_m == 20000
    assert plan.points[0].catalog.interceptors["amraam"].max_range_m == 30000
    assert plan.points[1].scenario.batteries[0].launchers[1].lat_deg == 25.1


def test_every_point_is_validated_and_problems_name_point_and_field(tmp_path):
    path = _sweep_file(
        tmp_path, grid=[{"path": "raids[1].count", "name": "cms", "values": [2, 0, -1]}]
    )
    with pytest.raises(SweepError) as exc:
        load_sweep(path)
    text = [str(p) for p in exc.value.problems]
    assert len(text) == 2
    assert text[0].startswith("point 1 (cms=0): raids[1].count: Input should be greater than")
    assert text[1].startswith("point 2 (cms=-1): raids[1].count")


def test_seeds_depend_only_on_point_and_replication():
    a = [replication_seed(11, p, r) for p in range(3) for r in range(4)]
    b = [replication_seed(11, p, r) for p in reversed(range(3)) for r in reversed(range(4))]
    assert sorted(a) == sorted(b)
    assert len(set(a)) == 12
    assert all(0 <= s < 2**63 for s in a)
    assert replication_seed(11, 0, 0) != replication_seed(12, 0, 0)
    # Common random numbers: replication r of every point shares its streams.
    assert replication_seed(11, 0, 3, common=True) == replication_seed(11, 5, 3, common=True)
    ss = np.random.SeedSequence(11, spawn_key=(2, 1)).generate_state(1, np.uint64)[0]
    assert replication_seed(11, 2, 1) == int(ss >> np.uint64(1))


def test_stopping_rule_adds_batches_until_the_interval_is_narrow(tmp_path):
    path = _sweep_file(
        tmp_path,
        replications=4,
        stop={"metric": "leakers", "half_width": 0.5, "max_replications": 12, "batch": 4},
    )
    plan = load_sweep(path)
    assert point_target(plan, {}) == 4
    assert point_target(plan, {0: 1, 1: 1}) == 4  # the first batch is not complete
    spread = {0: 0.0, 1: 3.0, 2: 0.0, 3: 3.0}  # half-width 2.39 > 0.5
    assert point_target(plan, spread) == 8
    assert point_target(plan, spread | {4: 0.0, 5: 3.0, 6: 0.0, 7: 3.0}) == 12
    assert point_target(plan, {r: float(r % 2) * 3 for r in range(12)}) == 12  # the maximum
    steady = {0: 2.0, 1: 2.0, 2: 2.0, 3: 2.0}  # half-width 0
    assert point_target(plan, steady) == 4


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"replicatons": 3}, "replicatons: unknown key"),
        ({"grid": [{"path": "raids[1].count", "valuez": [1]}]}, "grid[0].valuez: unknown key"),
        ({"grid": [{"path": "raids[7].count", "values": [1]}]}, "raids has 2 entries, no index 7"),
        ({"grid": [{"path": "raids[1].cuont", "values": [3]}]}, "raids[1].cuont: unknown key"),
        ({"replications": 0}, "replications: Input should be greater than or equal to 1"),
        ({"base": "nowhere.yaml"}, "base: no such base scenario file"),
        ({"base": None}, "base: required field is missing"),
        (
            {"stop": {"metric": "leakerz", "half_width": 1, "max_replications": 9}},
            "stop.metric: Input should be",
        ),
        ({"set": {"duration_s": -5}}, "duration_s: Input should be greater than 0"),
        ({"set": {"raids[0]count": 1}}, "set.raids[0]count"),
    ],
)
def test_malformed_sweep_files_exit_2_naming_the_field(tmp_path, changes, expected):
    path = _sweep_file(tmp_path, **changes)
    out = tmp_path / "study"
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing written


def test_sweep_file_that_is_not_yaml_or_not_a_mapping_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    result = CliRunner().invoke(app, ["sweep", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "not valid YAML at line" in result.stderr
    bad.write_text("- a\n- b\n")
    result = CliRunner().invoke(app, ["sweep", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "must be a mapping" in result.stderr
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "no such sweep file" in result.stderr


def test_scheduler_without_dask_backend_exits_2(tmp_path):
    path = _sweep_file(tmp_path)
    result = CliRunner().invoke(
        app, ["sweep", str(path), "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "--scheduler: only with --backend dask" in result.stderr
