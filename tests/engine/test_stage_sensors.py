"""The sensor stage in the engine: one shared network picture, sensors in the scenario,
lost radars, DEM ground heights and EO/IR batches."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from samsim.engine import run_replication
from samsim.engine.stage_sensors import (
    _eo_ir_batch,
    _latest_frame,
    _looked,
    track_name,
)
from samsim.scenario import ScenarioError, scenario_from_data
from samsim.sensors import Detections
from samsim.tracking import FREE, TENTATIVE, TrackTable
from samsim.world import build_world


def _two_units(lost_at_s: float | None = None) -> dict:
    """Two fire units 25 km apart; drones come at the western unit's asset.

    The western unit's radar is lost at ``lost_at_s``; the eastern radar still sees the raid.
    """
    west_radar = {"name": "radar", "lat_deg": 25.0, "lon_deg": 121.0, "alt_m": 30}
    if lost_at_s is not None:
        west_radar["lost_at_s"] = lost_at_s
    return {
        "name": "two_units",
        "seed": 3,
        "duration_s": 700,
        "step_s": 0.2,
        "assets": [{"name": "base", "lat_deg": 25.0, "lon_deg": 121.0, "value": 50}],
        "batteries": [
            {
                "name": "west",
                "fdc": {"lat_deg": 25.0, "lon_deg": 121.0},
                "radars": [west_radar],
                "eo_ir": [{"name": "eoir", "lat_deg": 25.01, "lon_deg": 121.0, "alt_m": 30}],
                "launchers": [
                    {"name": "ln1", "lat_deg": 25.0, "lon_deg": 120.98, "loadout": {"amraam": 6}}
                ],
            },
            {
                "name": "east",
                "fdc": {"lat_deg": 25.0, "lon_deg": 121.25},
                "radars": [{"name": "radar", "lat_deg": 25.0, "lon_deg": 121.25, "alt_m": 30}],
                "launchers": [
                    {"name": "ln1", "lat_deg": 25.0, "lon_deg": 121.55, "loadout": {"aim9x": 6}}
                ],
            },
        ],
        "raids": [
            {
                "name": "drones",
                "type": "owa_drone",
                "count": 3,
                "launch": {"lat_deg": 25.0, "lon_deg": 120.75, "radius_m": 2000},
                "target": "base",
                "interval_s": 20,
                "speed_mps": 80,
                "altitude": {"cruise_m": 800},
            }
        ],
    }


def test_every_fdc_acts_on_one_network_picture():
    sc, cat = scenario_from_data(_two_units())
    w = build_world(sc, cat)
    assert len(w.fdcs) == 2
    assert all(f.tracks is w.picture for f in w.fdcs)
    assert w.eo_ir.n == 1 and w.eo_ir.name == ["west/eoir"]
    assert track_name(12) == "net/T12"


def test_a_unit_that_lost_its_radar_still_has_the_picture_and_engages():
    sc, cat = scenario_from_data(_two_units(lost_at_s=0.0))
    res = run_replication(sc, cat, 0, keep_world=True)
    w = res.world
    assert not w.radars.alive[0] and w.radars.alive[1]
    ev = res.events.to_pandas()
    # Every detection came from the eastern radar, yet the western unit fires on the
    # network tracks (its AMRAAMs reach the raid; the eastern AIM-9Xs do not).
    launches = ev[ev.kind == "launch"]
    assert (launches.detail == "west/ln1").sum() >= 3
    assert launches.object.str.fullmatch(r"net/T\d+").all()
    assert res.metrics["kills"] >= 2


def test_scenario_checks_eo_ir_types_and_sensor_names():
    data = _two_units()
    data["batteries"][0]["eo_ir"][0]["type"] = "no_such_sensor"
    with pytest.raises(ScenarioError, match=r"batteries\[0\]\.eo_ir\[0\]\.type: unknown catalog"):
        scenario_from_data(data)
    data = _two_units()
    data["batteries"][0]["eo_ir"][0]["name"] = "radar"
    with pytest.raises(ScenarioError, match=r"batteries\[0\]\.eo_ir\[0\]\.name: duplicate name"):
        scenario_from_data(data)
    data = _two_units()
    data["batteries"][0]["radars"][0]["lost_at_s"] = -1
    with pytest.raises(ScenarioError, match=r"batteries\[0\]\.radars\[0\]\.lost_at_s"):
        scenario_from_data(data)


def test_runs_with_eo_ir_are_deterministic():
    sc, cat = scenario_from_data(_two_units())
    a = run_replication(sc, cat, 1).events.to_pandas()
    b = run_replication(sc, cat, 1).events.to_pandas()
    assert len(a) > 20
    assert a.equals(b)  # pandas: NaN positions compare equal


def test_radar_sites_stand_on_the_dem_ground(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    dem = tmp_path / "plateau.tif"
    height = np.full((50, 50), 400.0, dtype=np.float32)
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        height=50,
        width=50,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(120.9, 25.1, 0.004, 0.004),
    ) as dst:
        dst.write(height, 1)
    data = copy.deepcopy(_two_units())
    data["terrain"] = {"dem_path": str(dem), "cell_m": 200}
    data["batteries"][0]["radars"][0]["alt_m"] = 10.0  # a tower on the plateau
    sc, cat = scenario_from_data(data)
    w = build_world(sc, cat)
    mast = cat.radars["sentinel"].antenna_height_m
    assert w.radars.height_m[0] == pytest.approx(400.0 + 10.0 + mast, abs=1.0)
    assert w.frame.altitude_m(w.radars.pos_enu_m[0]) == pytest.approx(410.0 + mast, abs=1.0)
    # Off the DEM the surface is the sea: the eastern radar keeps its 30 m site.
    assert w.radars.height_m[1] == pytest.approx(30.0 + mast, abs=1e-6)
    assert w.eo_ir.height_m[0] == pytest.approx(
        430.0 + cat.eo_ir["nasams_eoir"].mast_height_m, abs=1.0
    )


def test_latest_frame_keeps_the_last_detection_per_sensor_and_object():
    det = Detections(
        sensor_idx=np.array([0, 0, 1, 0, 1, 0]),
        time_s=np.array([0.25, 0.25, 0.3, 0.75, 0.8, 0.75]),
        range_m=np.full(6, np.nan),
        az_rad=np.arange(6.0),
        el_rad=np.zeros(6),
        truth_idx=np.array([4, 7, 4, 4, 4, 7]),
    )
    last = _latest_frame(det)
    got = zip(last.sensor_idx.tolist(), last.truth_idx.tolist(), last.az_rad.tolist(), strict=True)
    assert sorted(got) == [
        (0, 4, 3.0),
        (0, 7, 5.0),
        (1, 4, 4.0),
    ]


def test_eo_ir_batches_are_angles_only_rows_with_the_sensor_pose():
    sc, cat = scenario_from_data(_two_units())
    w = build_world(sc, cat)
    det = Detections(
        np.array([0, 0]),
        np.array([1.0, 1.5]),
        np.full(2, np.nan),
        np.array([0.1, 0.2]),
        np.array([0.01, 0.02]),
        np.array([0, 1]),
    )
    b = _eo_ir_batch(w, det, np.array([5, 6]), np.zeros(0, np.int64), 2.0)
    m = b.meas
    assert np.all(np.isnan(m.z[:, 0])) and np.all(np.isnan(m.sigma[:, 0]))
    np.testing.assert_allclose(m.z[:, 1:], [[0.1, 0.01], [0.2, 0.02]])
    np.testing.assert_allclose(m.sensor_pos_m, np.repeat(w.eo_ir.pos_enu_m, 2, axis=0))
    np.testing.assert_allclose(m.sensor_axes[1], w.eo_ir.axes[0])
    assert np.all(m.iff == -1) and m.truth_idx.tolist() == [5, 6]
    assert b.time_s == pytest.approx(1.25)


def test_looks_follow_track_numbers_across_reused_and_grown_rows():
    table = TrackTable.empty(2)
    rows = table.allocate(2)
    table.status[rows] = TENTATIVE
    looked_ids = table.track_id[rows].copy()  # the sensor looked at tracks 1 and 2
    table.status[rows[0]] = FREE  # track 1 dropped by an earlier batch ...
    new = table.allocate(2)  # ... its row reused by track 3, and the table grew
    table.status[new] = TENTATIVE
    mask = _looked(table, looked_ids)
    assert mask.shape == (table.capacity,)
    assert np.flatnonzero(mask).tolist() == [int(rows[1])]
