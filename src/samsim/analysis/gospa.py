"""GOSPA: the generalised optimal sub-pattern assignment metric between truth and tracks.

Rahmathullah, Garcia-Fernandez and Svensson, "Generalized optimal sub-pattern
assignment metric", FUSION 2017. With ``alpha = 2`` (the only value
implemented; it is the one that splits into localisation, missed and false
parts) and cut-off ``c``, at each time

    GOSPA^p = min over assignments g of
              sum_{(i, j) in g} d(x_i, y_j)^p  +  c^p / 2 (|X| - |g|)  +  c^p / 2 (|Y| - |g|)

where only pairs closer than ``c`` may be assigned, ``X`` are the true
objects and ``Y`` the tracks. The three terms are the localisation, missed
and false parts; they add up to GOSPA^p. The assignment is solved per
cluster of nearby objects (:func:`samsim.tracking.assign.assign_sparse`), so
the cost grows with the pairs closer than ``c``, not with |X| |Y|.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from samsim.tracking.assign import assign_sparse

POSITION_COLUMNS = ("east_m", "north_m", "up_m")


def check_table(table: pd.DataFrame, name: str, id_col: str, time_col: str) -> None:
    """Raise ValueError naming the table and column when a column is missing or not finite."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame")
    need = (time_col, id_col, *POSITION_COLUMNS)
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
    for c in need:
        col = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(col).all():
            raise ValueError(f"{name}.{c}: NaN, infinite or non-numeric value")


def gospa(
    truth: pd.DataFrame,
    tracks: pd.DataFrame,
    *,
    cutoff_m: float,
    p: float = 2.0,
    time_col: str = "time_s",
) -> pd.DataFrame:
    """GOSPA (alpha = 2) between truth and track positions at each time.

    Parameters
    ----------
    truth : one row per true object and time: ``time_col``, truth_id,
        east_m, north_m, up_m
    tracks : one row per track and time: ``time_col``, track_id, east_m,
        north_m, up_m (e.g. the output of ``track_detections``)
    cutoff_m : c [m], the largest localisation error counted; an object
        farther than c from every track is missed and costs c^p / 2
    p : order (>= 1)
    time_col : column that pairs truth and track rows (exact equality)

    Returns
    -------
    DataFrame, one row per time present in either table, sorted by time:
    ``time_col``, gospa_m (GOSPA itself [m]), localisation_mp, missed_mp,
    false_mp (its parts in m^p; they add up to gospa_m ** p), n_truth,
    n_tracks, n_assigned, n_missed, n_false.

    Examples
    --------
    >>> truth = pd.DataFrame({"time_s": [0.0, 0.0], "truth_id": [1, 2],
    ...     "east_m": [0.0, 1000.0], "north_m": [0.0, 0.0], "up_m": [0.0, 0.0]})
    >>> tracks = pd.DataFrame({"time_s": [0.0], "track_id": [7],
    ...     "east_m": [30.0], "north_m": [40.0], "up_m": [0.0]})
    >>> row = gospa(truth, tracks, cutoff_m=100.0).iloc[0]
    >>> float(row.localisation_mp), float(row.missed_mp), float(row.gospa_m)
    (2500.0, 5000.0, 86.60254037844386)
    """
    check_table(truth, "truth", "truth_id", time_col)
    check_table(tracks, "tracks", "track_id", time_col)
    if not (np.isfinite(cutoff_m) and cutoff_m > 0):
        raise ValueError(f"cutoff_m: must be a positive number (got {cutoff_m!r})")
    if not (np.isfinite(p) and p >= 1):
        raise ValueError(f"p: must be >= 1 (got {p!r})")
    cols = list(POSITION_COLUMNS)
    x_all = truth[cols].to_numpy(dtype=float)
    y_all = tracks[cols].to_numpy(dtype=float)
    tx = truth[time_col].to_numpy()
    ty = tracks[time_col].to_numpy()
    times = np.union1d(tx, ty)
    ox, oy = np.argsort(tx, kind="stable"), np.argsort(ty, kind="stable")
    bx = np.searchsorted(tx[ox], times, side="left"), np.searchsorted(tx[ox], times, "right")
    by = np.searchsorted(ty[oy], times, side="left"), np.searchsorted(ty[oy], times, "right")
    c_p = float(cutoff_m) ** p
    out = np.zeros((times.size, 6))
    for k in range(times.size):
        x = x_all[ox[bx[0][k] : bx[1][k]]]
        y = y_all[oy[by[0][k] : by[1][k]]]
        d_p = _assigned_distances(x, y, cutoff_m, p) ** p
        n_a = d_p.size
        out[k] = (
            d_p.sum(),
            0.5 * c_p * (len(x) - n_a),
            0.5 * c_p * (len(y) - n_a),
            len(x),
            len(y),
            n_a,
        )
    total = out[:, 0] + out[:, 1] + out[:, 2]
    res = pd.DataFrame(
        {
            time_col: times,
            "gospa_m": total ** (1.0 / p),
            "localisation_mp": out[:, 0],
            "missed_mp": out[:, 1],
            "false_mp": out[:, 2],
            "n_truth": out[:, 3].astype(np.int64),
            "n_tracks": out[:, 4].astype(np.int64),
            "n_assigned": out[:, 5].astype(np.int64),
        }
    )
    res["n_missed"] = res.n_truth - res.n_assigned
    res["n_false"] = res.n_tracks - res.n_assigned
    return res


def _assigned_distances(x: np.ndarray, y: np.ndarray, cutoff_m: float, p: float) -> np.ndarray:
    """Distances of the pairs in the optimal GOSPA assignment (all below the cut-off)."""
    if len(x) == 0 or len(y) == 0:
        return np.zeros(0)
    pairs = cKDTree(x).sparse_distance_matrix(cKDTree(y), cutoff_m, output_type="ndarray")
    d = pairs["v"]
    keep = d < cutoff_m
    if not keep.any():
        return np.zeros(0)
    i, j, d = pairs["i"][keep], pairs["j"][keep], d[keep]
    # sum(d^p) + c^p / 2 per unassigned object or track, minimised over partial
    # matchings, is the least-cost matching with pair cost d^p - c^p.
    return d[assign_sparse(i, j, d**p - cutoff_m**p)]
