"""The rotating radar: detection statistics, false alarms, beam timing, coverage limits."""

import math

import numpy as np
import pytest
from scipy import stats

from samsim.sensors import Detections, TerrainGrid, range_limits, scan
from samsim.sensors.detection import (
    albersheim_snr_db,
    pd_swerling0,
    pd_swerling1,
    pd_swerling3,
)
from samsim.sensors.radar import false_alarms, looks, resolution_cells, turn

from .conftest import FRAME, polar_points, radar_type, radars_at, surface_points

PFA = 1e-6


def _rotations(radars, pos, rcs, swerling, n_rot, steps_per_rot=2, seed=1, terrain=None):
    """Scan ``n_rot`` full rotations of stationary objects; return all detections."""
    grid = terrain or TerrainGrid.of(None)
    rng = np.random.default_rng(seed)
    period = float(radars.rotation_period_s[0])
    dt = period / steps_per_rot
    vel = np.zeros_like(pos)
    out = []
    for k in range(n_rot * steps_per_rot):
        out.append(scan(radars, FRAME, pos, vel, rcs, swerling, (k + 1) * dt, dt, rng, grid))
        turn(radars, dt)
    return out


def _ring(radars, range_m, n, el_deg=2.0):
    az = np.linspace(0.0, 2 * np.pi, n, endpoint=False) + 0.3
    return polar_points(radars.pos_enu_m[0], radars.axes[0], range_m, az, math.radians(el_deg))


def _rcs_for_snr(radars, snr, range_m):
    return snr / radars.snr_ref[0] * radars.ref_rcs_m2[0] * (range_m / radars.ref_range_m[0]) ** 4


def _measured_pd(dets, n_targets, n_rot):
    hits = sum(int((d.truth_idx >= 0).sum()) for d in dets)
    n = n_targets * n_rot
    return hits / n, math.sqrt(max(hits / n * (1 - hits / n), 1e-4) / n)


def test_pd_at_the_albersheim_snr_for_pd_09_measures_09_on_a_steady_target():
    radars = radars_at([radar_type()])
    snr_db = albersheim_snr_db(0.9, PFA, 1)  # 13.11 dB
    snr = 10 ** (snr_db / 10)
    range_m, n, n_rot = 30_000.0, 2000, 10
    pos = _ring(radars, range_m, n)
    rcs = np.full(n, _rcs_for_snr(radars, snr, range_m))
    pd, sigma = _measured_pd(_rotations(radars, pos, rcs, np.zeros(n, np.int8), n_rot), n, n_rot)
    # The engine's detector is the exact square-law detector: 0.891 at this SNR.
    assert pd == pytest.approx(float(pd_swerling0(snr, PFA)), abs=4 * sigma)
    # Albersheim is accurate to 0.2 dB (0.07 dB off here): Pd stays 0.9 within that and sampling.
    lo, hi = (
        pd_swerling0(10 ** ((snr_db - 0.2) / 10), PFA),
        pd_swerling0(10 ** ((snr_db + 0.2) / 10), PFA),
    )
    assert lo - 4 * sigma < pd < hi + 4 * sigma
    assert pd == pytest.approx(0.9, abs=0.015)


@pytest.mark.parametrize(
    ("swerling", "snr_db", "closed_form"), [(1, 10.0, pd_swerling1), (3, 14.0, pd_swerling3)]
)
def test_fluctuating_targets_follow_the_closed_form_swerling_curves(swerling, snr_db, closed_form):
    radars = radars_at([radar_type()])
    snr = 10 ** (snr_db / 10)
    range_m, n, n_rot = 30_000.0, 2000, 8
    pos = _ring(radars, range_m, n)
    rcs = np.full(n, _rcs_for_snr(radars, snr, range_m))
    dets = _rotations(radars, pos, rcs, np.full(n, swerling, np.int8), n_rot)
    pd, sigma = _measured_pd(dets, n, n_rot)
    assert pd == pytest.approx(float(closed_form(snr, PFA)), abs=4 * sigma)


def test_calibration_gives_pd_05_for_1_m2_swerling_1_at_the_instrumented_range():
    radars = radars_at([radar_type()])
    range_m = float(radars.ref_range_m[0]) - 1.0
    n, n_rot = 2000, 5
    pos = _ring(radars, range_m, n)
    dets = _rotations(radars, pos, np.ones(n), np.ones(n, np.int8), n_rot)
    pd, sigma = _measured_pd(dets, n, n_rot)
    assert pd == pytest.approx(0.5, abs=4 * sigma)


def test_false_alarms_per_rotation_are_poisson_with_mean_pfa_times_cells():
    pfa = 4e-5
    rt = radar_type(pfa=pfa)
    radars = radars_at([rt])
    expected = pfa * resolution_cells(rt)  # about 32 per rotation
    rng = np.random.default_rng(5)
    period = float(radars.rotation_period_s[0])
    counts, ranges, els = [], [], []
    for k in range(400):
        fa = false_alarms(radars, (k + 1) * period, period, rng)
        counts.append(fa.n)
        ranges.append(fa.range_m)
        els.append(fa.el_rad)
    counts = np.array(counts)
    assert counts.mean() == pytest.approx(expected, abs=4 * math.sqrt(expected / counts.size))
    # Poisson: dispersion index (n - 1) s^2 / mean ~ chi-square(n - 1).
    dispersion = (counts.size - 1) * counts.var(ddof=1) / counts.mean()
    assert stats.chi2(counts.size - 1).cdf(dispersion) == pytest.approx(0.5, abs=0.4995)
    # Spread uniformly over the cells of the surveillance volume.
    r, e = np.concatenate(ranges), np.concatenate(els)
    assert (
        stats.kstest(
            r, stats.uniform(rt.min_range_m, rt.instrumented_range_m - rt.min_range_m).cdf
        ).pvalue
        > 1e-3
    )
    el_lo, el_hi = math.radians(rt.elevation_min_deg), math.radians(rt.elevation_max_deg)
    assert stats.kstest(e, stats.uniform(el_lo, el_hi - el_lo).cdf).pvalue > 1e-3


def test_false_alarms_fall_in_the_swept_sector_at_the_beam_time():
    rt = radar_type(pfa=1e-4)
    radars = radars_at([rt], beam_az_rad=1.0)
    fa = false_alarms(radars, 10.0, 0.5, np.random.default_rng(2))
    sweep = 2 * np.pi * 0.5 / rt.rotation_period_s
    assert fa.n > 10
    offset = np.mod(fa.az_rad - 1.0, 2 * np.pi)
    assert np.all(offset <= sweep + 1e-12)
    # Time stamp = when the beam crossed that azimuth.
    np.testing.assert_allclose(fa.time_s, 9.5 + offset / sweep * 0.5, atol=1e-9)


def test_beam_looks_at_each_target_once_per_rotation_when_it_passes_its_azimuth():
    radars = radars_at([radar_type()], beam_az_rad=0.25)
    n, n_rot = 24, 4
    az = np.linspace(0.0, 2 * np.pi, n, endpoint=False) + 0.01
    pos = polar_points(radars.pos_enu_m[0], radars.axes[0], 20_000.0, az, 0.05)
    rcs = np.full(n, 1000.0)  # SNR > 60 dB: Pd = 1 to machine precision
    period = float(radars.rotation_period_s[0])
    dets = _rotations(radars, pos, rcs, np.zeros(n, np.int8), n_rot, steps_per_rot=5)
    times = np.concatenate([d.time_s for d in dets])
    truth = np.concatenate([d.truth_idx for d in dets])
    assert np.bincount(truth[truth >= 0], minlength=n).tolist() == [n_rot] * n
    for t in range(n):
        got = np.sort(times[truth == t])
        first = np.mod(az[t] - 0.25, 2 * np.pi) / (2 * np.pi) * period
        np.testing.assert_allclose(got, first + period * np.arange(n_rot), atol=1e-9)


def test_detections_are_measured_where_the_target_was_when_the_beam_passed():
    radars = radars_at(
        [radar_type(sigma_range_m=1e-3, sigma_azimuth_deg=1e-6, sigma_elevation_deg=1e-6)]
    )
    pos = polar_points(radars.pos_enu_m[0], radars.axes[0], 20_000.0, 1.0, 0.05)[None]
    vel = np.array([[200.0, 0.0, 0.0]])
    hits = []
    rng = np.random.default_rng(0)
    for k in range(4):
        det = scan(
            radars,
            FRAME,
            pos + vel * k,
            vel,
            np.array([1e3]),
            np.zeros(1, np.int8),
            float(k),
            1.0,
            rng,
        )
        turn(radars, 1.0)
        hits += [
            (det.time_s[i], det.range_m[i], det.az_rad[i])
            for i in range(det.n)
            if det.truth_idx[i] == 0
        ]
    assert len(hits) == 2
    for t, r_m, az in hits:
        truth = pos[0] + vel[0] * t
        local = radars.axes[0] @ (truth - radars.pos_enu_m[0])
        assert r_m == pytest.approx(np.linalg.norm(local), abs=0.05)
        assert az == pytest.approx(math.atan2(local[0], local[1]) % (2 * np.pi), abs=1e-6)


def test_measurement_noise_has_the_catalog_sigmas():
    rt = radar_type()
    radars = radars_at([rt])
    n = 3000
    az = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    pos = polar_points(radars.pos_enu_m[0], radars.axes[0], 20_000.0, az, 0.05)
    dets = _rotations(radars, pos, np.full(n, 1e3), np.zeros(n, np.int8), 1)
    det = Detections.concat(dets)
    real = det.truth_idx >= 0
    err_r = det.range_m[real] - 20_000.0
    err_az = np.mod(det.az_rad[real] - az[det.truth_idx[real]] + np.pi, 2 * np.pi) - np.pi
    err_el = det.el_rad[real] - 0.05
    for err, sigma in (
        (err_r, rt.sigma_range_m),
        (err_az, math.radians(rt.sigma_azimuth_deg)),
        (err_el, math.radians(rt.sigma_elevation_deg)),
    ):
        assert abs(err.mean()) < 4 * sigma / math.sqrt(err.size)
        assert err.std() == pytest.approx(sigma, rel=0.06)


def test_target_below_the_radar_horizon_is_never_detected():
    radars = radars_at([radar_type()])  # antenna 4 m above the sea
    # 4/3 earth: 4.12 km x (sqrt(4) + sqrt(100)) = 49.5 km for a target at 100 m.
    pos = surface_points(
        [[0.0, 45_000.0], [0.0, 53_000.0], [30_000.0, -45_000.0]], [100.0, 100.0, 100.0]
    )
    dets = _rotations(radars, pos, np.full(3, 1e4), np.zeros(3, np.int8), 10)
    counts = np.bincount(np.concatenate([d.truth_idx[d.truth_idx >= 0] for d in dets]), minlength=3)
    assert counts[1] == 0
    assert counts[0] == 10
    assert counts[2] == 0  # 54 km away, also below the horizon


def test_min_range_and_elevation_limits_are_blind():
    rt = radar_type()
    radars = radars_at([rt])
    p, ax = radars.pos_enu_m[0], radars.axes[0]
    pos = np.vstack(
        [
            polar_points(p, ax, rt.min_range_m * 0.8, 0.5, 0.1),  # inside the minimum range
            polar_points(p, ax, 10_000.0, 1.5, math.radians(rt.elevation_max_deg + 5)),  # above
            polar_points(p, ax, 10_000.0, 2.5, math.radians(rt.elevation_min_deg - 1)),  # below
            polar_points(p, ax, rt.instrumented_range_m + 500.0, 3.5, 0.2),  # beyond
            polar_points(p, ax, 10_000.0, 4.5, 0.2),  # control
        ]
    )
    dets = _rotations(radars, pos, np.full(5, 1e4), np.zeros(5, np.int8), 5)
    counts = np.bincount(np.concatenate([d.truth_idx[d.truth_idx >= 0] for d in dets]), minlength=5)
    assert counts.tolist() == [0, 0, 0, 0, 5]


def test_target_behind_a_terrain_ridge_is_never_detected(ridge_terrain):
    grid = TerrainGrid.of(ridge_terrain)
    radars = radars_at([radar_type()], ground_alt_m=[20.0])
    pos = surface_points(
        [[20_000.0, 0.0], [-20_000.0, 0.0], [20_000.0, 5_000.0], [20_000.0, 0.0]],
        [300.0, 300.0, 300.0, 5_000.0],
    )
    dets = _rotations(radars, pos, np.full(4, 1e4), np.zeros(4, np.int8), 10, terrain=grid)
    counts = np.bincount(np.concatenate([d.truth_idx[d.truth_idx >= 0] for d in dets]), minlength=4)
    # Behind the 1000 m ridge at 300 m: never; in the open, or high above the ridge: every look.
    assert counts.tolist() == [0, 10, 0, 10]
    # Without the DEM the same low targets are seen.
    radars = radars_at([radar_type()], ground_alt_m=[20.0])
    dets = _rotations(radars, pos, np.full(4, 1e4), np.zeros(4, np.int8), 10)
    counts = np.bincount(np.concatenate([d.truth_idx[d.truth_idx >= 0] for d in dets]), minlength=4)
    assert counts.tolist() == [10, 10, 10, 10]


def test_visibility_kernel_masks_like_terrain_masked(ridge_terrain):
    grid = TerrainGrid.of(ridge_terrain)
    rng = np.random.default_rng(4)
    radars = radars_at([radar_type()], ground_alt_m=[200.0])
    ends = surface_points(
        rng.uniform(-25_000.0, 25_000.0, (300, 2)), rng.uniform(300.0, 2500.0, 300)
    )
    _, ti, *_ = looks(radars, FRAME, ends, 2.0, grid)  # a full rotation: every direction
    seen = np.zeros(len(ends), bool)
    seen[ti] = True
    masked = np.array([ridge_terrain.masked(FRAME, radars.pos_enu_m[0], e[None])[0] for e in ends])
    in_range = np.linalg.norm(ends - radars.pos_enu_m[0], axis=1) >= radars.min_range_m[0]
    assert masked[in_range].sum() > 30 and (~masked[in_range]).sum() > 30
    assert (seen[in_range] == ~masked[in_range]).mean() > 0.99


def test_several_radars_each_see_their_own_sectors():
    radars = radars_at([radar_type(), radar_type()], ground_en_m=[[0.0, 0.0], [40_000.0, 0.0]])
    radars.beam_az_rad = np.array([0.0, np.pi])
    pos = surface_points([[20_000.0, 20_000.0]], [1000.0])
    dets = _rotations(radars, pos, np.full(1, 1e4), np.zeros(1, np.int8), 3)
    det = Detections.concat(dets)
    real = det.truth_idx >= 0
    assert np.bincount(det.sensor_idx[real], minlength=2).tolist() == [3, 3]
    # Radar 0 sees it to its north-east, radar 1 to its north-west.
    az0 = det.az_rad[real & (det.sensor_idx == 0)]
    az1 = det.az_rad[real & (det.sensor_idx == 1)]
    np.testing.assert_allclose(az0, np.pi / 4, atol=0.01)
    np.testing.assert_allclose(az1, 7 * np.pi / 4, atol=0.01)


def test_lost_radar_sees_nothing_and_raises_no_false_alarms():
    radars = radars_at([radar_type(pfa=1e-4)])
    radars.alive[:] = False
    pos = surface_points([[0.0, 20_000.0]], [1000.0])
    dets = _rotations(radars, pos, np.full(1, 1e4), np.zeros(1, np.int8), 3)
    assert sum(d.n for d in dets) == 0


def test_range_limits_match_the_scaling_and_horizon_tables():
    rt = radar_type()
    # PUBLIC-DATA 4.4: 0.1 m2 -> 42.2 km, 0.01 m2 -> 23.7 km (75 km reference).
    assert range_limits(rt, 0.1, 5000.0).radar_equation_m == pytest.approx(42_200, rel=2e-3)
    assert range_limits(rt, 0.01, 5000.0).radar_equation_m == pytest.approx(23_700, rel=2e-3)
    # PUBLIC-DATA 4.3: 4 m radar, 100 m target -> 49.5 km; 15 m target -> 24.2 km.
    low = range_limits(rt, 1.0, 15.0)
    assert low.horizon_m == pytest.approx(24_200, rel=5e-3)
    assert low.binding == "horizon" and low.effective_m == low.horizon_m
    assert range_limits(rt, 0.01, 5000.0).binding == "radar_equation"
    assert range_limits(rt, 100.0, 5000.0).binding == "instrumented"
    # Pd 0.9 on a Swerling-1 target needs 21.14 dB against 12.77 dB for 0.5: R x 10^(-8.37/40).
    assert range_limits(rt, 1.0, 5000.0, pd=0.9).radar_equation_m == pytest.approx(
        75_000 * 10 ** (-(21.14 - 12.77) / 40), rel=2e-3
    )


def test_compiled_detection_pass_equals_the_array_formulas():
    """``_detected`` and ``_measure_true`` (one compiled pass over the looked-at
    pairs) give exactly what the array expressions give: Swerling factor, the
    radar equation, the square-law detector, and the geometry of the look."""
    from samsim.sensors.detection import swerling_factor
    from samsim.sensors.radar import SQRT_HALF, _detected, _measure_true, snr_at

    radars = radars_at([radar_type(), radar_type()], ground_en_m=[(0.0, 0.0), (30e3, 5e3)])
    rng = np.random.default_rng(7)
    n = 40
    pos = rng.uniform([-60e3, -60e3, 50.0], [60e3, 60e3, 9e3], (n, 3))
    vel = rng.normal(0.0, 200.0, (n, 3))
    rcs = rng.uniform(0.01, 20.0, n)
    swerling = rng.choice(np.array([0, 1, 3]), n)
    ri = np.repeat(np.arange(2), n)
    ti = np.tile(np.arange(n), 2)
    rng_m = np.linalg.norm(pos[ti] - radars.pos_enu_m[ri], axis=1)
    e = rng.standard_exponential((2, 2, n))
    g = rng.standard_normal((2, 2, n))
    hit = _detected(
        ri, ti, rng_m, e, g, rcs, swerling, radars.snr_ref, radars.ref_rcs_m2,
        radars.ref_range_m, radars.threshold,
    )  # fmt: skip
    fluct = rcs[ti] * swerling_factor(swerling[ti], e[0, ri, ti], e[1, ri, ti])
    amp = np.sqrt(snr_at(radars, ri, fluct, rng_m)) + SQRT_HALF * g[0, ri, ti]
    quad = SQRT_HALF * g[1, ri, ti]
    expected = amp * amp + quad * quad > radars.threshold[ri]
    assert 0 < expected.sum() < expected.size  # both outcomes occur
    np.testing.assert_array_equal(hit, expected)
    back_s = rng.uniform(0.0, 1.0, ri.size)
    r, az, el = _measure_true(ri, ti, back_s, pos, vel, radars.axes, radars.pos_enu_m)
    p = pos[ti] - vel[ti] * back_s[:, None]
    local = np.einsum("kij,kj->ki", radars.axes[ri], p - radars.pos_enu_m[ri])
    true_r = np.sqrt(np.einsum("ki,ki->k", local, local))
    np.testing.assert_allclose(r, true_r, rtol=1e-14)
    np.testing.assert_allclose(az, np.arctan2(local[:, 0], local[:, 1]), rtol=0, atol=1e-14)
    np.testing.assert_allclose(el, np.arcsin(local[:, 2] / true_r), rtol=0, atol=1e-14)


def test_engine_scan_measurements_equal_scan_then_iff_grouped_by_radar():
    """``scan_measurements`` (the engine's one compiled pass) gives the same
    measurements, bit for bit, as ``scan`` then ``interrogate`` on the
    detections' object rows, reordered by radar; and leaves both random
    streams where they would be. Three radars, a raid of mixed allegiance,
    false alarms raised (Pfa 1e-4) so that every step has some."""
    from samsim.sensors import interrogate
    from samsim.sensors.radar import scan_measurements

    types = [radar_type(pfa=1e-4), radar_type(pfa=1e-4), radar_type(pfa=1e-4)]
    en = [(0.0, 0.0), (25e3, 5e3), (-10e3, 30e3)]
    ra, rb = radars_at(types, ground_en_m=en), radars_at(types, ground_en_m=en)
    rng = np.random.default_rng(3)
    n = 60
    pos = rng.uniform([-50e3, -50e3, 100.0], [50e3, 50e3, 8e3], (n, 3))
    vel = rng.normal(0.0, 150.0, (n, 3))
    rcs = rng.uniform(0.01, 10.0, n)
    swerling = rng.choice(np.array([0, 1, 3]), n)
    object_rows = np.sort(rng.choice(200, n, replace=False))
    allegiance = rng.choice(np.array([0, 1, 2], np.int8), 200)
    grid = TerrainGrid.of(None)
    s1, s2, i1, i2 = (np.random.default_rng(s) for s in (11, 11, 12, 12))
    n_fa = n_iff = n_real = 0
    for k in range(8):
        t1 = (k + 1) * 1.0
        t_s, z, spos, axes, sigma, iff, truth, bounds = scan_measurements(
            ra, FRAME, pos, vel, rcs, swerling, object_rows, allegiance, 0.9, 0.8, t1, 1.0, s1, i1,
            grid,
        )  # fmt: skip
        det = scan(rb, FRAME, pos, vel, rcs, swerling, t1, 1.0, s2, grid)
        real = det.truth_idx >= 0
        rows = np.where(real, object_rows[np.maximum(det.truth_idx, 0)], -1)
        reply = interrogate(rows, allegiance, 0.9, 0.8, i2)
        order = np.argsort(det.sensor_idx, kind="stable")
        np.testing.assert_array_equal(t_s, det.time_s[order])
        np.testing.assert_array_equal(z[:, 0], det.range_m[order])
        np.testing.assert_array_equal(z[:, 1], det.az_rad[order])
        np.testing.assert_array_equal(z[:, 2], det.el_rad[order])
        np.testing.assert_array_equal(truth, rows[order])
        np.testing.assert_array_equal(iff, reply[order])
        np.testing.assert_array_equal(spos, rb.pos_enu_m[det.sensor_idx[order]])
        np.testing.assert_array_equal(axes, rb.axes[det.sensor_idx[order]])
        np.testing.assert_array_equal(sigma[:, 1], rb.sigma_az_rad[det.sensor_idx[order]])
        np.testing.assert_array_equal(bounds, np.searchsorted(det.sensor_idx[order], np.arange(4)))
        n_fa += int((~real).sum())
        n_real += int(real.sum())
        n_iff += int((reply > 0).sum())
        turn(ra, 1.0)
        turn(rb, 1.0)
    assert n_fa > 0 and n_iff > 0 and n_real > 0  # false alarms, detections and replies
    assert s1.random() == s2.random() and i1.random() == i2.random()


def test_scan_hits_and_caller_draws_equal_scan_measurements():
    """``scan_hits`` (the first compiled call of the engine's radar second) with the
    draws made by the caller, then ``_returns_by_radar``, gives ``scan_measurements``'
    arrays bit for bit and leaves both streams where it does; flying and
    non-flying objects mixed, one radar lost part-way (``alive`` updated in place)."""
    from samsim.sensors.radar import _returns_by_radar, scan_hits, scan_measurements

    types = [radar_type(pfa=1e-4), radar_type(pfa=3e-5), radar_type(pfa=1e-4)]
    en = [(0.0, 0.0), (25e3, 5e3), (-10e3, 30e3)]
    ra, rb = radars_at(types, ground_en_m=en), radars_at(types, ground_en_m=en)
    ra.lost_at_s[1] = rb.lost_at_s[1] = 4.5
    rng = np.random.default_rng(5)
    n_all = 90
    pos = rng.uniform([-50e3, -50e3, 100.0], [50e3, 50e3, 8e3], (n_all, 3))
    vel = rng.normal(0.0, 150.0, (n_all, 3))
    rcs = rng.uniform(0.01, 10.0, n_all)
    swerling = rng.choice(np.array([0, 1, 3], np.int8), n_all)
    flying = rng.random(n_all) < 0.7
    allegiance = rng.choice(np.array([0, 1, 2], np.int8), n_all)
    grid = TerrainGrid.of(None)
    s1, s2, i1, i2 = (np.random.default_rng(s) for s in (21, 21, 22, 22))
    n_real = n_fa = 0
    for k in range(10):
        t1 = (k + 1) * 1.0
        ra.alive &= ra.lost_at_s > t1
        rows = flying.nonzero()[0]
        want = scan_measurements(
            ra, FRAME, pos[rows], vel[rows], rcs[rows], swerling[rows], rows, allegiance, 0.9,
            0.8, t1, 1.0, s1, i1, grid,
        )  # fmt: skip
        e = s2.standard_exponential((2, rb.n, rows.size))
        g = s2.standard_normal((2, rb.n, rows.size))
        got_rows, p, v, ri, ti, frac, hit, n_hit, sweep, sweep_fa, total, cum = scan_hits(
            rb, FRAME, flying, pos, vel, rcs, swerling, e, g, t1, 1.0, grid
        )
        np.testing.assert_array_equal(got_rows, rows)
        np.testing.assert_array_equal(rb.alive, ra.alive)
        np.testing.assert_array_equal(sweep, 2.0 * math.pi * 1.0 / rb.rotation_period_s)
        noise = s2.standard_normal((3, n_hit))
        k_fa = int(s2.poisson(total)) if total > 0 else 0
        u = s2.random((4, k_fa)) if k_fa else np.zeros((4, 0))
        draw = i2.random(n_hit + k_fa)
        got = _returns_by_radar(
            ri, ti, frac, hit, noise, u, cum, sweep_fa, draw, p, v, rows, allegiance, 0.9, 0.8,
            t1, 1.0, rb.pos_enu_m, rb.axes, rb.sigma_range_m, rb.sigma_az_rad, rb.sigma_el_rad,
            rb.beam_az_rad, rb.min_range_m, rb.max_range_m, rb.el_min_rad, rb.el_max_rad,
        )  # fmt: skip
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        n_real += int((want[6] >= 0).sum())
        n_fa += int((want[6] < 0).sum())
        turn(ra, 1.0)
        turn(rb, 1.0)
    assert n_real > 0 and n_fa > 0
    assert not ra.alive[1] and ra.alive[0]
    assert s1.random() == s2.random() and i1.random() == i2.random()
