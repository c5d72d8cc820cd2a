"""``track_detections``: the tracker as a function of a detection table.

The interface is fixed by DESIGN.md; outside benchmarks call it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from samsim.tracking.table import CONFIRMED, FREE, TrackTable
from samsim.tracking.tracker import Measurements, TrackerParams, step

# Confirmation: expected tracks confirmed on false alarms per scan, and the
# least track score to confirm (the engine's TrackerParams default).
FALSE_TRACKS_PER_SCAN = 0.1
CONFIRM_SCORE_MIN = 4.0

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


def params_for(
    prob_detection: float,
    clutter_per_scan: float,
    clutter_volume_m_rad2: float = 1.0,
    association: str = "auto",
) -> TrackerParams:
    """Tracker tuning for a sensor's Pd and clutter.

    Confirmation takes 3 updates in 4 looks and a track score (target against
    clutter log-likelihood ratio) that adapts to the local clutter density;
    deletion waits for as many consecutive
    missed looks as make a live target's loss less likely than 1 %, at least
    three. JPDA's clutter density is the false alarms per scan over the
    measurement volume (range extent times 2 pi times elevation extent).

    The score to confirm is Wald's threshold ln(1 / alpha) of a sequential
    test, alpha being the chance that a track started on a false alarm is
    confirmed, set so that the false alarms of one scan confirm about
    ``FALSE_TRACKS_PER_SCAN`` tracks: ln(clutter_per_scan / 0.1), at least 4
    (up to 55 false alarms per scan, 4 as in the engine). In 450 false alarms
    per scan a fixed 4 confirmed about four tracks per scan on clutter, which
    then took the returns of targets entering turns.

    The coordinated-turn model's white-noise acceleration is 1 m^2/s^3 rather
    than the engine's 0.2 (``TrackerParams``): at a scan-based radar's 2 s
    revisit its turn-rate estimate lags the first scans of a 4 g turn, and the
    extra acceleration noise lets it follow the speed and heading change
    meanwhile, so fewer tracks are drawn off by clutter in the turn (chosen on
    heavy_clutter seeds 2 to 10 and 101 of ``benchmarks/tracking_vs_stonesoup.py``,
    no change on the other scenarios' seeds; docs/benchmarks.md).
    """
    m, n = 3, 4
    # Wald's upper threshold ln((1 - beta) / alpha), with alpha (the chance
    # that a track started on a false alarm is confirmed) such that the
    # false alarms of a scan confirm about FALSE_TRACKS_PER_SCAN tracks.
    confirm_score = max(
        CONFIRM_SCORE_MIN, math.log(max(clutter_per_scan, 1.0) / FALSE_TRACKS_PER_SCAN)
    )
    miss_prob = 1.0 - prob_detection
    misses = 3 if miss_prob <= 0 else max(3, math.ceil(math.log(0.01) / math.log(miss_prob)))
    return TrackerParams(
        q_ct_m2ps3=1.0,
        confirm_hits=m,
        confirm_score=confirm_score,
        confirm_looks=n,
        delete_misses_confirmed=misses,
        max_coast_s=1e9,
        association=association,
        prob_detection=prob_detection,
        clutter_density=max(clutter_per_scan, 1e-3) / max(clutter_volume_m_rad2, 1e-9),
        false_alarms_per_batch=max(clutter_per_scan, 1.0),
    )


def measurement_volume(detections: pd.DataFrame) -> float:
    """Extent of the detections in (range [m], azimuth [rad], elevation [rad]): m rad^2."""
    if len(detections) == 0:
        return 1.0
    r = detections["range_m"].to_numpy(dtype=float)
    el = detections["elevation_rad"].to_numpy(dtype=float)
    return max(float(np.ptp(r)), 1.0) * 2.0 * math.pi * max(float(np.ptp(el)), 1e-3)


def run_scans(
    detections: pd.DataFrame, sigma: NDArray[np.float64], params: TrackerParams
) -> pd.DataFrame:
    """Run the tracker over checked detections (see :func:`track_detections`).

    Parameters
    ----------
    detections : validated detection table
    sigma : (3,) range [m], azimuth [rad], elevation [rad] noise
    params : tracker tuning
    """
    table = TrackTable.empty(256)
    scans = detections["scan"].to_numpy(dtype=np.int64)
    times = detections["time_s"].to_numpy(dtype=float)
    z_all = detections[["range_m", "azimuth_rad", "elevation_rad"]].to_numpy(dtype=float, copy=True)
    z_all[:, 1] = np.mod(z_all[:, 1], 2.0 * math.pi)
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
    out: list[pd.DataFrame] = []
    for a, b in zip(starts, ends, strict=True):
        meas = Measurements.build(times[a:b], z_all[a:b], sigma)
        now = float(times[a:b].max())
        looked = table.status != FREE
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
    params = params_for(prob_detection, clutter_per_scan, measurement_volume(detections))
    sigma = np.array([sigma_range_m, sigma_azimuth_rad, sigma_elevation_rad], float)
    return run_scans(detections, sigma, params)
