"""GOSPA and track continuity against hand-computed cases and brute force."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from samsim.analysis import gospa, match_tracks, time_to_track, track_continuity


def _table(id_col, rows):
    """rows: (time, id, east, north[, up])."""
    out = pd.DataFrame(
        [(*r, 0.0) if len(r) == 4 else r for r in rows],
        columns=["time_s", id_col, "east_m", "north_m", "up_m"],
    )
    return out.astype({id_col: np.int64})


def truth(rows):
    return _table("truth_id", rows)


def tracks(rows):
    return _table("track_id", rows)


def brute_gospa(x, y, c, p):
    """GOSPA (alpha = 2) by trying every partial assignment."""
    best = math.inf
    nx, ny = len(x), len(y)
    for k in range(min(nx, ny) + 1):
        for xs in itertools.combinations(range(nx), k):
            for ys in itertools.permutations(range(ny), k):
                d = [np.linalg.norm(x[i] - y[j]) for i, j in zip(xs, ys, strict=True)]
                if any(v >= c for v in d):
                    continue
                cost = sum(v**p for v in d) + c**p / 2 * (nx - k + ny - k)
                best = min(best, cost)
    return best ** (1 / p)


def test_gospa_parts_of_a_hand_computed_case():
    # Truth at (0,0) and (1000,0); one track 50 m from the first (3-4-5), one far away.
    t = truth([(0.0, 1, 0.0, 0.0), (0.0, 2, 1000.0, 0.0)])
    y = tracks([(0.0, 7, 30.0, 40.0), (0.0, 8, 5000.0, 0.0)])
    row = gospa(t, y, cutoff_m=100.0).iloc[0]
    assert row.localisation_mp == pytest.approx(2500.0)
    assert row.missed_mp == pytest.approx(100.0**2 / 2)
    assert row.false_mp == pytest.approx(100.0**2 / 2)
    assert row.gospa_m == pytest.approx(math.sqrt(2500.0 + 10000.0))
    assert (row.n_assigned, row.n_missed, row.n_false) == (1, 1, 1)


def test_gospa_of_nothing_against_truths_is_all_missed():
    t = truth([(1.0, i, 1000.0 * i, 0.0) for i in range(4)])
    g = gospa(t, tracks([]), cutoff_m=200.0)
    assert g.gospa_m.iloc[0] == pytest.approx(math.sqrt(4 * 200.0**2 / 2))
    assert g.n_missed.iloc[0] == 4
    # A time with tracks but no truth is all false.
    g = gospa(truth([]), tracks([(2.0, 1, 0.0, 0.0)]), cutoff_m=200.0)
    assert g.false_mp.iloc[0] == pytest.approx(200.0**2 / 2)


def test_gospa_prefers_the_assignment_of_least_total_cost():
    # Closest pair first (truth at 100 with the track at 55, 45 m) would leave
    # the truth at 0 and the track at 160 160 m apart (beyond c = 100): cost
    # 45^2 + c^2 = 12025. The optimum pairs both: 55^2 + 60^2 = 6625.
    t = truth([(0.0, 1, 0.0, 0.0), (0.0, 2, 100.0, 0.0)])
    y = tracks([(0.0, 1, 55.0, 0.0), (0.0, 2, 160.0, 0.0)])
    row = gospa(t, y, cutoff_m=100.0).iloc[0]
    assert row.n_assigned == 2
    assert row.gospa_m == pytest.approx(math.sqrt(6625.0))


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_gospa_matches_brute_force_on_random_sets(p):
    rng = np.random.default_rng(3)
    for _ in range(40):
        nx, ny = rng.integers(0, 5, 2)
        x = rng.uniform(0, 300, (nx, 2))
        y = rng.uniform(0, 300, (ny, 2))
        t = truth([(0.0, i, *x[i]) for i in range(nx)])
        tr = tracks([(0.0, j, *y[j]) for j in range(ny)])
        got = gospa(t, tr, cutoff_m=120.0, p=p)
        expect = brute_gospa(x, y, 120.0, p) if nx + ny else 0.0
        assert (got.gospa_m.iloc[0] if len(got) else 0.0) == pytest.approx(expect)


def test_gospa_names_the_bad_column():
    t = truth([(0.0, 1, 0.0, 0.0)])
    with pytest.raises(ValueError, match=r"tracks: missing column.*up_m"):
        gospa(t, tracks([(0.0, 1, 0.0, 0.0)]).drop(columns="up_m"), cutoff_m=1.0)
    bad = t.copy()
    bad.loc[0, "east_m"] = np.nan
    with pytest.raises(ValueError, match=r"truth\.east_m"):
        gospa(bad, tracks([]), cutoff_m=1.0)
    with pytest.raises(ValueError, match="cutoff_m"):
        gospa(t, tracks([]), cutoff_m=0.0)


def test_two_tracks_exchanging_targets_count_two_switches_and_two_swaps():
    t = truth([(1, 1, 0.0, 0.0), (1, 2, 500.0, 0.0), (2, 1, 0.0, 0.0), (2, 2, 500.0, 0.0)])
    y = tracks([(1, 10, 0.0, 0.0), (1, 20, 500.0, 0.0), (2, 20, 0.0, 0.0), (2, 10, 500.0, 0.0)])
    c = track_continuity(t, y, threshold_m=100.0).set_index("truth_id")
    assert c.id_switches.tolist() == [1, 1]
    assert c.track_swaps.tolist() == [1, 1]
    assert c.breaks.sum() == 0
    assert c.n_track_ids.tolist() == [2, 2]


def test_a_lost_and_reacquired_target_is_one_break_and_one_switch():
    # Truth 1 is tracked by 10 at t = 1, 2, lost at 3 (track 80 m off against a
    # 50 m threshold), picked up by a new track 11 at t = 4 and 5.
    t = truth([(k, 1, 100.0 * k, 0.0) for k in range(1, 6)])
    y = tracks(
        [
            (1, 10, 100.0, 0.0),
            (2, 10, 205.0, 0.0),
            (3, 10, 380.0, 0.0),
            (4, 11, 400.0, 10.0),
            (5, 11, 500.0, 0.0),
        ]
    )
    c = track_continuity(t, y, threshold_m=50.0).iloc[0]
    assert (c.n_times, c.n_matched) == (5, 4)
    assert c.coverage == pytest.approx(0.8)
    assert (c.breaks, c.id_switches, c.track_swaps) == (1, 1, 0)
    assert c.first_matched == 1


def test_continuity_without_any_track():
    t = truth([(k, 1, 0.0, 0.0) for k in range(3)])
    c = track_continuity(t, tracks([]), threshold_m=50.0).iloc[0]
    assert (c.n_times, c.n_matched, c.id_switches, c.breaks) == (3, 0, 0, 0)
    assert np.isnan(c.first_matched)


def test_matching_keeps_a_track_on_its_target_when_another_track_passes_closer():
    # CLEAR MOT keeps an existing correspondence still within the threshold.
    t = truth([(1, 1, 0.0, 0.0), (2, 1, 0.0, 0.0)])
    y = tracks([(1, 10, 20.0, 0.0), (2, 10, 40.0, 0.0), (2, 11, 1.0, 0.0)])
    m = match_tracks(t, y, threshold_m=50.0)
    assert m.track_id.tolist() == [10, 10]
    assert track_continuity(t, y, threshold_m=50.0).id_switches.iloc[0] == 0


def test_time_to_track_from_first_detection():
    t = truth([(k, 1, 0.0, 0.0) for k in range(6)] + [(k, 2, 9000.0, 0.0) for k in range(6)])
    y = tracks([(k, 5, 10.0, 0.0) for k in (3, 4, 5)])
    det = pd.DataFrame({"time_s": [1.0, 2.0, 0.5, 4.0, 2.5], "truth_id": [1, 1, -1, 2, 7]})
    res = time_to_track(t, y, det, threshold_m=100.0).set_index("truth_id")
    assert res.loc[1, "latency"] == pytest.approx(2.0)
    assert np.isnan(res.loc[2, "first_track"])
    assert list(res.index) == [1, 2]  # false alarms and unknown ids are ignored
