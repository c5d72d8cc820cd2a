"""One tracker step: association, M-of-N confirmation, deletion."""

import math

import numpy as np

from samsim.tracking import (
    FREE,
    TENTATIVE,
    Measurements,
    TrackerParams,
    TrackTable,
    step,
)

SIGMA = np.array([50.0, math.radians(0.2), math.radians(0.2)])
PARAMS = TrackerParams()


def _meas(points_enu: list, t: float, iff=None) -> Measurements:
    pts = np.asarray(points_enu, float).reshape(-1, 3)
    k = len(pts)
    e, n, u = pts.T
    z = np.stack(
        [
            np.linalg.norm(pts, axis=1),
            np.mod(np.arctan2(e, n), 2 * math.pi),
            np.arctan2(u, np.hypot(e, n)),
        ],
        axis=1,
    )
    return Measurements(
        time_s=np.full(k, t),
        z=z,
        sensor_pos_m=np.zeros((k, 3)),
        sensor_axes=np.broadcast_to(np.eye(3), (k, 3, 3)),
        sigma=np.broadcast_to(SIGMA, (k, 3)),
        iff=np.full(k, -1 if iff is None else iff, np.int8),
        truth_idx=np.arange(k, dtype=np.int64),
    )


def _fly(table, hits: list[bool], start=(10e3, 20e3, 1000.0), vel=(100.0, 0.0, 0.0), params=PARAMS):
    """Scans every 2 s of one target; ``hits[k]`` says whether scan k detects it."""
    results = []
    for k, hit in enumerate(hits):
        t = 2.0 * k
        p = np.add(start, np.multiply(vel, t))
        meas = _meas([p] if hit else [], t)
        results.append(step(table, meas, table.status != FREE, t, params))
    return results


def test_track_keeps_its_id_and_learns_the_velocity():
    table = TrackTable.empty(4)
    _fly(table, [True] * 15, vel=(-120.0, 80.0, 0.0))
    (row,) = table.live()
    assert table.track_id[row] == 1
    np.testing.assert_allclose(table.x[row, 3:5], [-120.0, 80.0], atol=15.0)


def test_a_second_target_far_away_gets_its_own_track():
    table = TrackTable.empty(2)
    for k in range(4):
        t = 2.0 * k
        a = (10e3 + 100 * t, 20e3, 1000.0)
        b = (-30e3, -5e3 - 150 * t, 3000.0)
        step(table, _meas([a, b], t), table.status != FREE, t, PARAMS)
    assert sorted(table.track_id[table.confirmed()]) == [1, 2]
    assert table.capacity >= 2


def test_iff_replies_are_counted_on_the_track():
    table = TrackTable.empty(4)
    for k in range(3):
        step(
            table,
            _meas([(8e3, 8e3 + 200 * k, 900.0)], 2.0 * k, iff=1),
            table.status != FREE,
            2.0 * k,
            PARAMS,
        )
    (row,) = table.live()
    assert table.interrogations[row] == 3 and table.civil_replies[row] == 3
    assert table.friend_replies[row] == 0


def test_table_grows_when_full_and_rows_are_reused():
    table = TrackTable.empty(1)
    pts = [(1e3 * i + 5e3, 20e3, 500.0) for i in range(0, 50, 5)]
    step(table, _meas(pts, 0.0), table.status != FREE, 0.0, PARAMS)
    assert table.capacity >= 10 and (table.status == TENTATIVE).sum() == 10
    assert len(set(table.track_id[table.live()])) == 10
