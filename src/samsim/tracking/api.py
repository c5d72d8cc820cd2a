"""``track_detections``: the tracker as a function of a detection table.

The interface is fixed by DESIGN.md; outside benchmarks call it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from samsim.tracking.table import CONFIRMED, TrackTable
from samsim.tracking.tracker import Measurements, TrackerParams, step

REQUIRED_COLUMNS = ("scan", "time_s", "range_m", "azimuth_rad", "elevation_rad")
OUTPUT_COLUMNS = ("scan", "time_s", "track_id", "east_m", "north_m", "up_m")


def _check(
    detections: pd.DataFrame,
    sigmas: dict[str, float],
    prob_detection: float,
    clutter_per_scan: float,
    scan_period_s: float,
) -> None:
    if not isinstance(detections, pd.DataFrame):
        raise ValueError("detections: expected a pandas DataFrame")
    missing = [c for c in REQUIRED_COLUMNS if c not in detections.columns]
    if missing:
        raise ValueError(f"detections: missing column(s) {', '.join(missing)}")
    for c in REQUIRED_COLUMNS:
        col = pd.to_numeric(detections[c], errors="coerce")
        if col.isna().any():
            raise ValueError(
                f"detections.{c}: NaN or non-numeric value in row "
                f"{int(np.flatnonzero(col.isna().to_numpy())[0])}"
            )
        if not np.isfinite(col.to_numpy(dtype=float)).all():
            raise ValueError(f"detections.{c}: infinite value")
    if (detections["range_m"] <= 0).any():
        raise ValueError("detections.range_m: range must be positive")
    if (np.abs(detections["elevation_rad"]) > math.pi / 2).any():
        raise ValueError("detections.elevation_rad: outside [-pi/2, pi/2]")
    scans = detections["scan"].to_numpy()
    if np.any(np.diff(scans) < 0):
        raise ValueError("detections.scan: scans must be sorted in increasing order")
    if np.any(scans != np.round(scans)):
        raise ValueError("detections.scan: scan numbers must be integers")
    for name, value in sigmas.items():
        if not (_real(value) and value > 0):
            raise ValueError(f"{name}: must be a positive number (got {value!r})")
    if not (_real(prob_detection) and 0.0 < prob_detection <= 1.0):
        raise ValueError(f"prob_detection: must be in (0, 1] (got {prob_detection!r})")
    if not (_real(clutter_per_scan) and clutter_per_scan >= 0):
        raise ValueError(f"clutter_per_scan: must be >= 0 (got {clutter_per_scan!r})")
    if not (_real(scan_period_s) and scan_period_s > 0):
        raise ValueError(f"scan_period_s: must be positive (got {scan_period_s!r})")


def _real(value: object) -> bool:
    """A finite real number (numpy scalars included, booleans and strings not)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(value)
    )


def params_for(prob_detection: float, clutter_per_scan: float) -> TrackerParams:
    """Tracker tuning for a sensor's Pd and clutter density.

    Confirmation asks for more hits as clutter grows; deletion waits for as
    many missed looks as make a live target's loss less likely than 1 %.
    """
    if clutter_per_scan <= 10:
        m, n = 3, 4
    else:
        m, n = 4, 5
    miss_prob = 1.0 - prob_detection
    misses = 3 if miss_prob <= 0 else max(3, math.ceil(math.log(0.01) / math.log(miss_prob)))
    return TrackerParams(
        confirm_hits=m, confirm_looks=n, delete_misses_confirmed=misses, max_coast_s=1e9
    )


def track_detections(
    detections: pd.DataFrame,
    *,
    sigma_range_m: float,
    sigma_azimuth_rad: float,
    sigma_elevation_rad: float,
    prob_detection: float,
    clutter_per_scan: float,
    scan_period_s: float,
) -> pd.DataFrame:
    """Confirmed tracks at each scan from one radar's detections.

    Parameters
    ----------
    detections : one row per detection with columns scan (int), time_s,
        range_m, azimuth_rad (clockwise from north, atan2(east, north)),
        elevation_rad; the sensor sits at the origin of a local ENU frame.
    sigma_range_m, sigma_azimuth_rad, sigma_elevation_rad : measurement noise
    prob_detection : per-scan Pd of a target, tunes deletion
    clutter_per_scan : mean false alarms per scan, tunes confirmation
    scan_period_s : revisit time

    Returns
    -------
    DataFrame with columns scan, time_s, track_id, east_m, north_m, up_m: every
    confirmed track after each scan, extrapolated to the scan's last time.

    Raises
    ------
    ValueError naming the column or argument when the input is malformed.
    """
    sigmas = {
        "sigma_range_m": sigma_range_m,
        "sigma_azimuth_rad": sigma_azimuth_rad,
        "sigma_elevation_rad": sigma_elevation_rad,
    }
    _check(detections, sigmas, prob_detection, clutter_per_scan, scan_period_s)
    params = params_for(prob_detection, clutter_per_scan)
    table = TrackTable.empty(256)
    sigma = np.array([sigma_range_m, sigma_azimuth_rad, sigma_elevation_rad], float)
    scans = detections["scan"].to_numpy(dtype=np.int64)
    times = detections["time_s"].to_numpy(dtype=float)
    z_all = detections[["range_m", "azimuth_rad", "elevation_rad"]].to_numpy(dtype=float)
    out: list[pd.DataFrame] = []
    if len(scans) == 0:
        return pd.DataFrame(
            {
                c: pd.Series(dtype="int64" if c in ("scan", "track_id") else "float64")
                for c in OUTPUT_COLUMNS
            }
        )
    bounds = np.flatnonzero(np.diff(scans)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(scans)]])
    eye = np.eye(3)
    for a, b in zip(starts, ends, strict=True):
        k = b - a
        meas = Measurements(
            time_s=times[a:b],
            z=z_all[a:b],
            sensor_pos_m=np.zeros((k, 3)),
            sensor_axes=np.broadcast_to(eye, (k, 3, 3)),
            sigma=np.broadcast_to(sigma, (k, 3)),
            iff=np.full(k, -1, np.int8),
            truth_idx=np.full(k, -1, np.int64),
        )
        now = float(times[a:b].max())
        looked = table.status != 0
        step(table, meas, looked, now, params)
        rows = np.flatnonzero(table.status == CONFIRMED)
        pos = table.position_at(rows, now)
        out.append(
            pd.DataFrame(
                {
                    "scan": np.full(rows.size, scans[a], np.int64),
                    "time_s": np.full(rows.size, now),
                    "track_id": table.track_id[rows].astype(np.int64),
                    "east_m": pos[:, 0],
                    "north_m": pos[:, 1],
                    "up_m": pos[:, 2],
                }
            )
        )
    return pd.concat(out, ignore_index=True)
