"""Track continuity: which track follows which true object, identity switches, breaks,
and the time from first detection to a confirmed track.

Matching follows the CLEAR MOT procedure (Bernardin and Stiefelhagen,
"Evaluating multiple object tracking performance: the CLEAR MOT metrics",
EURASIP JIVP 2008): at each time, a truth keeps the track it was last
matched with if that track is still within ``threshold_m`` and was last
matched with it too; the remaining truths and tracks are then matched by a
least-total-distance assignment among pairs closer than ``threshold_m``.

* an *identity switch* is a truth matched to a different track than at its
  previous match (MOT "IDSW");
* a *track swap* is a track matched to a different truth than at its previous
  match (the same event seen from the track: two tracks exchanging their
  targets count two switches and two swaps);
* a *break* (fragmentation) is a truth that was matched, lost its match, and
  is matched again later (MOT "Frag").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from samsim.analysis.gospa import POSITION_COLUMNS, check_table
from samsim.tracking.assign import assign_sparse


def _check_threshold(threshold_m: float) -> None:
    if not (np.isfinite(threshold_m) and threshold_m > 0):
        raise ValueError(f"threshold_m: must be a positive number (got {threshold_m!r})")


def match_tracks(
    truth: pd.DataFrame,
    tracks: pd.DataFrame,
    *,
    threshold_m: float,
    time_col: str = "time_s",
) -> pd.DataFrame:
    """CLEAR-MOT matching of tracks to true objects at each time.

    Parameters
    ----------
    truth : ``time_col``, truth_id, east_m, north_m, up_m
    tracks : ``time_col``, track_id, east_m, north_m, up_m
    threshold_m : largest distance at which a track counts as following a truth [m]
    time_col : column that pairs truth and track rows (exact equality)

    Returns
    -------
    DataFrame, one row per matched pair, sorted by time: ``time_col``,
    truth_id, track_id, distance_m.
    """
    check_table(truth, "truth", "truth_id", time_col)
    check_table(tracks, "tracks", "track_id", time_col)
    _check_threshold(threshold_m)
    cols = list(POSITION_COLUMNS)
    truth_codes, truth_ids = pd.factorize(truth["truth_id"], sort=True)
    track_codes, track_ids = pd.factorize(tracks["track_id"], sort=True)
    x_all = truth[cols].to_numpy(dtype=float)
    y_all = tracks[cols].to_numpy(dtype=float)
    tx = truth[time_col].to_numpy()
    ty = tracks[time_col].to_numpy()
    times = np.union1d(tx, ty)
    ox, oy = np.argsort(tx, kind="stable"), np.argsort(ty, kind="stable")
    sx = np.searchsorted(tx[ox], times, "left"), np.searchsorted(tx[ox], times, "right")
    sy = np.searchsorted(ty[oy], times, "left"), np.searchsorted(ty[oy], times, "right")
    last_track = np.full(len(truth_ids), -1, np.int64)
    last_truth = np.full(len(track_ids), -1, np.int64)
    row_of_track = np.full(len(track_ids), -1, np.int64)
    out_t, out_x, out_y, out_d = [], [], [], []
    for k in range(times.size):
        rx = ox[sx[0][k] : sx[1][k]]
        ry = oy[sy[0][k] : sy[1][k]]
        if rx.size == 0 or ry.size == 0:
            continue
        xi, yi = truth_codes[rx], track_codes[ry]
        x, y = x_all[rx], y_all[ry]
        row_of_track[yi] = np.arange(yi.size)
        # 1. Keep last correspondences still within the threshold.
        prev = last_track[xi]
        ok = prev >= 0
        ok[ok] = (row_of_track[prev[ok]] >= 0) & (last_truth[prev[ok]] == xi[ok])
        a = np.flatnonzero(ok)
        b = row_of_track[prev[a]]
        d_keep = np.linalg.norm(x[a] - y[b], axis=1)
        near = d_keep < threshold_m
        a, b, d_keep = a[near], b[near], d_keep[near]
        # 2. Assign the rest by least total distance within the threshold.
        free_x = np.setdiff1d(np.arange(xi.size), a)
        free_y = np.setdiff1d(np.arange(yi.size), b)
        a2 = b2 = d2 = np.zeros(0)
        if free_x.size and free_y.size:
            pairs = cKDTree(x[free_x]).sparse_distance_matrix(
                cKDTree(y[free_y]), threshold_m, output_type="ndarray"
            )
            pairs = pairs[pairs["v"] < threshold_m]
            if pairs.size:
                pick = assign_sparse(pairs["i"], pairs["j"], pairs["v"] - threshold_m)
                a2, b2, d2 = free_x[pairs["i"][pick]], free_y[pairs["j"][pick]], pairs["v"][pick]
        a = np.concatenate([a, a2]).astype(np.intp)
        b = np.concatenate([b, b2]).astype(np.intp)
        d = np.concatenate([d_keep, d2])
        last_track[xi[a]] = yi[b]
        last_truth[yi[b]] = xi[a]
        row_of_track[yi] = -1
        out_t.append(np.full(a.size, times[k]))
        out_x.append(xi[a])
        out_y.append(yi[b])
        out_d.append(d)
    if not out_t:
        return pd.DataFrame(
            {
                time_col: pd.Series(dtype=float),
                "truth_id": pd.Series(dtype=truth["truth_id"].dtype),
                "track_id": pd.Series(dtype=tracks["track_id"].dtype),
                "distance_m": pd.Series(dtype=float),
            }
        )
    xi = np.concatenate(out_x)
    yi = np.concatenate(out_y)
    res = pd.DataFrame(
        {
            time_col: np.concatenate(out_t),
            "truth_id": np.asarray(truth_ids)[xi],
            "track_id": np.asarray(track_ids)[yi],
            "distance_m": np.concatenate(out_d),
        }
    )
    return res.sort_values([time_col, "truth_id"], kind="stable").reset_index(drop=True)


def track_continuity(
    truth: pd.DataFrame,
    tracks: pd.DataFrame,
    *,
    threshold_m: float,
    time_col: str = "time_s",
) -> pd.DataFrame:
    """Continuity of the tracks on each true object.

    Parameters
    ----------
    truth, tracks, threshold_m, time_col : as in :func:`match_tracks`

    Returns
    -------
    DataFrame, one row per truth_id (sorted): n_times (times the truth is
    present), n_matched, coverage (n_matched / n_times), n_track_ids
    (distinct tracks that followed it), id_switches, track_swaps, breaks,
    first_matched (first matched time, NaN if never). Sum a column for the
    totals.

    Examples
    --------
    Two tracks that exchange their targets at t = 2:

    >>> truth = pd.DataFrame({"time_s": [1, 1, 2, 2], "truth_id": [1, 2, 1, 2],
    ...     "east_m": [0.0, 500.0, 0.0, 500.0], "north_m": 0.0, "up_m": 0.0})
    >>> tracks = pd.DataFrame({"time_s": [1, 1, 2, 2], "track_id": [10, 20, 20, 10],
    ...     "east_m": [0.0, 500.0, 0.0, 500.0], "north_m": 0.0, "up_m": 0.0})
    >>> c = track_continuity(truth, tracks, threshold_m=100.0)
    >>> c[["id_switches", "track_swaps"]].sum().tolist()
    [2, 2]
    """
    m = match_tracks(truth, tracks, threshold_m=threshold_m, time_col=time_col)
    present = truth[[time_col, "truth_id"]].drop_duplicates()
    flags = present.merge(
        m[[time_col, "truth_id", "track_id"]], on=[time_col, "truth_id"], how="left"
    )
    flags = flags.sort_values(["truth_id", time_col], kind="stable").reset_index(drop=True)
    matched = flags["track_id"].notna().to_numpy()
    tid = flags["truth_id"].to_numpy()
    same_truth = np.r_[False, tid[1:] == tid[:-1]]
    # Breaks: a matched -> unmatched transition with a later match of the same truth.
    ends = np.r_[same_truth[1:] & matched[:-1] & ~matched[1:], False]
    pos = np.arange(matched.size)
    last_match = pd.Series(np.where(matched, pos, -1)).groupby(tid).transform("max").to_numpy()
    breaks = ends & (pos < last_match)
    # Identity switches: consecutive matches of one truth with different tracks.
    mm = m.sort_values(["truth_id", time_col], kind="stable")
    sw = (mm["truth_id"].to_numpy()[1:] == mm["truth_id"].to_numpy()[:-1]) & (
        mm["track_id"].to_numpy()[1:] != mm["track_id"].to_numpy()[:-1]
    )
    switches = pd.Series(np.r_[False, sw][: len(mm)], index=mm.index).groupby(mm["truth_id"]).sum()
    # Track swaps: consecutive matches of one track with different truths,
    # charged to the truth the track moved to.
    mt = m.sort_values(["track_id", time_col], kind="stable")
    sp = (mt["track_id"].to_numpy()[1:] == mt["track_id"].to_numpy()[:-1]) & (
        mt["truth_id"].to_numpy()[1:] != mt["truth_id"].to_numpy()[:-1]
    )
    swaps = pd.Series(np.r_[False, sp][: len(mt)], index=mt.index).groupby(mt["truth_id"]).sum()
    g = flags.assign(matched=matched, brk=breaks).groupby("truth_id")
    res = pd.DataFrame(
        {
            "n_times": g.size(),
            "n_matched": g["matched"].sum(),
        }
    )
    res["coverage"] = res.n_matched / res.n_times
    res["n_track_ids"] = m.groupby("truth_id")["track_id"].nunique().reindex(res.index).fillna(0)
    res["id_switches"] = switches.reindex(res.index).fillna(0)
    res["track_swaps"] = swaps.reindex(res.index).fillna(0)
    res["breaks"] = g["brk"].sum()
    res["first_matched"] = m.groupby("truth_id")[time_col].min().reindex(res.index)
    for c in ("n_matched", "n_track_ids", "id_switches", "track_swaps", "breaks"):
        res[c] = res[c].astype(np.int64)
    return res.reset_index()


def time_to_track(
    truth: pd.DataFrame,
    tracks: pd.DataFrame,
    detections: pd.DataFrame,
    *,
    threshold_m: float,
    time_col: str = "time_s",
) -> pd.DataFrame:
    """Time from a true object's first detection to the first track that follows it.

    Parameters
    ----------
    truth, tracks, threshold_m, time_col : as in :func:`match_tracks`
        (``tracks`` holds confirmed tracks only, as ``track_detections``
        returns them)
    detections : ``time_col`` and truth_id (-1 or any id absent from truth for
        false alarms), one row per detection

    Returns
    -------
    DataFrame, one row per detected truth_id: first_detection, first_track
    (NaN if no track ever followed it), latency (first_track -
    first_detection, in the unit of ``time_col``).
    """
    for c in (time_col, "truth_id"):
        if c not in detections.columns:
            raise ValueError(f"detections: missing column {c}")
    m = match_tracks(truth, tracks, threshold_m=threshold_m, time_col=time_col)
    known = detections[detections["truth_id"].isin(truth["truth_id"])]
    first_det = known.groupby("truth_id")[time_col].min()
    first_trk = m.groupby("truth_id")[time_col].min().reindex(first_det.index)
    res = pd.DataFrame({"first_detection": first_det, "first_track": first_trk})
    res["latency"] = res.first_track - res.first_detection
    return res.reset_index()
