"""track_detections(): the tracker as a function of a detection table (DESIGN.md)."""

import math

import numpy as np
import pandas as pd
import pytest

from samsim.tracking import track_detections

SIGMAS = dict(
    sigma_range_m=50.0,
    sigma_azimuth_rad=math.radians(0.2),
    sigma_elevation_rad=math.radians(0.2),
)
SCAN_S = 2.0
TARGETS = [  # start east, north, up [m]; velocity [m/s]
    ((20e3, 30e3, 3000.0), (-150.0, 60.0, 0.0)),
    ((-25e3, 10e3, 800.0), (50.0, 0.0, 0.0)),
    ((5e3, -35e3, 6000.0), (0.0, 220.0, 0.0)),
    ((-10e3, -15e3, 300.0), (200.0, 200.0, 0.0)),
]
KWARGS = dict(**SIGMAS, prob_detection=0.9, clutter_per_scan=1.0, scan_period_s=SCAN_S)


def _detections(n_scans: int, seed: int, pd_: float = 0.9, clutter: float = 1.0):
    """Detections of the targets (with their truth index, kept aside) and clutter."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_scans):
        for i, (p0, v) in enumerate(TARGETS):
            if rng.random() >= pd_:
                continue
            t = k * SCAN_S + rng.uniform(0, SCAN_S)  # when the beam passed it
            e, n, u = np.add(p0, np.multiply(v, t))
            z = [
                math.sqrt(e * e + n * n + u * u),
                math.atan2(e, n) % (2 * math.pi),
                math.atan2(u, math.hypot(e, n)),
            ]
            noise = rng.standard_normal(3) * list(SIGMAS.values())
            rows.append((k, t, *(np.add(z, noise)), i))
        for _ in range(rng.poisson(clutter)):
            rows.append(
                (
                    k,
                    k * SCAN_S + rng.uniform(0, SCAN_S),
                    rng.uniform(1e3, 60e3),
                    rng.uniform(0, 2 * math.pi),
                    rng.uniform(0, 0.3),
                    -1,
                )
            )
    df = pd.DataFrame(
        rows, columns=["scan", "time_s", "range_m", "azimuth_rad", "elevation_rad", "truth"]
    )
    df = df.sort_values(["scan", "time_s"], kind="stable").reset_index(drop=True)
    return df.drop(columns="truth"), df["truth"].to_numpy()


def _truth_at(i: int, t: np.ndarray) -> np.ndarray:
    p0, v = TARGETS[i]
    return np.asarray(p0) + np.outer(t, v)


@pytest.fixture(scope="module")
def tracked():
    det, _ = _detections(40, seed=1)
    return track_detections(det, **KWARGS)


def test_output_has_the_documented_columns(tracked):
    assert list(tracked.columns) == ["scan", "time_s", "track_id", "east_m", "north_m", "up_m"]
    assert tracked["track_id"].dtype == np.int64


def test_one_confirmed_track_per_target_with_a_stable_id(tracked):
    settled = tracked[tracked["scan"] >= 6]
    counts = settled.groupby("scan").size()
    assert (counts == len(TARGETS)).all(), counts[counts != len(TARGETS)]
    ids = set()
    for i in range(len(TARGETS)):
        truth = _truth_at(i, settled["time_s"].to_numpy())
        err = np.linalg.norm(settled[["east_m", "north_m", "up_m"]].to_numpy() - truth, axis=1)
        mine = settled[err < 1000.0]
        # exactly one track follows target i at every scan, and always the same one
        assert mine.groupby("scan").size().eq(1).all()
        assert mine["scan"].nunique() == settled["scan"].nunique()
        assert mine["track_id"].nunique() == 1
        ids.add(int(mine["track_id"].iloc[0]))
    assert len(ids) == len(TARGETS)


def test_tracks_are_accurate_after_convergence(tracked):
    late = tracked[tracked["scan"] >= 20]
    errs = []
    for i in range(len(TARGETS)):
        truth = _truth_at(i, late["time_s"].to_numpy())
        err = np.linalg.norm(late[["east_m", "north_m", "up_m"]].to_numpy() - truth, axis=1)
        errs.append(err[err < 1000.0])
    rms = math.sqrt(np.mean(np.concatenate(errs) ** 2))
    assert rms < 150.0  # well below the single-measurement cross-range error (~100-120 m)


def test_confirmation_needs_m_of_n_scans():
    det, _ = _detections(3, seed=2, pd_=1.0, clutter=0.0)
    out = track_detections(det, **KWARGS)
    assert set(out["scan"]) == {2}  # 3 of 4: confirmed at the third scan, not before
    assert out["track_id"].nunique() == len(TARGETS)


def test_numpy_scalars_are_accepted_as_arguments():
    det, _ = _detections(8, seed=5, pd_=1.0, clutter=0.0)
    sigmas = {k: np.float32(v) for k, v in SIGMAS.items()}
    out = track_detections(
        det,
        **sigmas,
        prob_detection=np.float64(0.9),
        clutter_per_scan=np.int64(0),
        scan_period_s=np.float32(SCAN_S),
    )
    assert out.groupby("scan").size().iloc[-1] == len(TARGETS)


def test_no_detections_give_an_empty_table():
    empty = pd.DataFrame(
        {
            c: pd.Series(dtype=float)
            for c in ("scan", "time_s", "range_m", "azimuth_rad", "elevation_rad")
        }
    )
    out = track_detections(empty, **KWARGS)
    assert len(out) == 0
    assert list(out.columns) == ["scan", "time_s", "track_id", "east_m", "north_m", "up_m"]


def test_a_lost_target_is_dropped():
    det, truth = _detections(30, seed=3, pd_=1.0, clutter=0.0)
    # target 0 vanishes after scan 14
    det = det[~((truth == 0) & (det["scan"] > 14))].reset_index(drop=True)
    out = track_detections(det, **KWARGS)
    assert out.groupby("scan").size().loc[25:].eq(len(TARGETS) - 1).all()


@pytest.fixture
def good():
    det, _ = _detections(5, seed=4)
    return det


def _bad_column(good, column, value, row=2):
    df = good.copy()
    df[column] = df[column].astype(object if isinstance(value, str) else float)
    df.loc[row, column] = value
    return df


BAD_INPUTS = {
    "missing azimuth": (lambda d: d.drop(columns="azimuth_rad"), {}, "azimuth_rad"),
    "missing scan and time": (lambda d: d.drop(columns=["scan", "time_s"]), {}, "scan, time_s"),
    "NaN range": (lambda d: _bad_column(d, "range_m", np.nan), {}, "range_m"),
    "infinite time": (lambda d: _bad_column(d, "time_s", np.inf), {}, "time_s"),
    "text elevation": (lambda d: _bad_column(d, "elevation_rad", "high"), {}, "elevation_rad"),
    "negative range": (lambda d: _bad_column(d, "range_m", -100.0), {}, "range_m"),
    "zero range": (lambda d: _bad_column(d, "range_m", 0.0), {}, "range_m"),
    "elevation past zenith": (lambda d: _bad_column(d, "elevation_rad", 2.0), {}, "elevation_rad"),
    "unsorted scans": (lambda d: d.iloc[::-1].reset_index(drop=True), {}, "scan"),
    "fractional scan": (lambda d: _bad_column(d, "scan", 0.5, row=0), {}, "scan"),
    "not a DataFrame": (lambda d: d.to_dict(), {}, "detections"),
    "zero sigma range": (lambda d: d, {"sigma_range_m": 0.0}, "sigma_range_m"),
    "boolean sigma range": (lambda d: d, {"sigma_range_m": True}, "sigma_range_m"),
    "text sigma range": (lambda d: d, {"sigma_range_m": "50"}, "sigma_range_m"),
    "negative sigma az": (lambda d: d, {"sigma_azimuth_rad": -1e-3}, "sigma_azimuth_rad"),
    "NaN sigma el": (lambda d: d, {"sigma_elevation_rad": float("nan")}, "sigma_elevation_rad"),
    "Pd zero": (lambda d: d, {"prob_detection": 0.0}, "prob_detection"),
    "Pd above one": (lambda d: d, {"prob_detection": 1.5}, "prob_detection"),
    "Pd as text": (lambda d: d, {"prob_detection": "0.9"}, "prob_detection"),
    "clutter as text": (lambda d: d, {"clutter_per_scan": "1"}, "clutter_per_scan"),
    "infinite scan period": (lambda d: d, {"scan_period_s": float("inf")}, "scan_period_s"),
    "negative clutter": (lambda d: d, {"clutter_per_scan": -1.0}, "clutter_per_scan"),
    "zero scan period": (lambda d: d, {"scan_period_s": 0.0}, "scan_period_s"),
}


@pytest.mark.parametrize(("mutate", "kwargs", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS)
def test_bad_input_raises_value_error_naming_the_column_or_argument(good, mutate, kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        track_detections(mutate(good), **{**KWARGS, **kwargs})
