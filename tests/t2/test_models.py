"""EPG and mono-exponential models on synthetic voxels with known parameters."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.t2 import EPGModel, MonoExpModel
from myomri.t2.dictionary import default_slice_profile, simulate_cpmg
from myomri.t2.fit import BELOW_NOISE, FITTED, INVALID_DATA, OUTSIDE_MASK

from ._synth import synth_voxels


def _mix(t2, ff, b1, *, esp=10.0, n=17, profile=None):
    w = simulate_cpmg(t2, esp=esp, n_echoes=n, t1=1400.0, b1=b1, slice_profile=profile)
    f = simulate_cpmg(151.0, esp=esp, n_echoes=n, t1=365.0, b1=b1, slice_profile=profile)
    return 1000.0 * ((1 - np.asarray(ff)[..., None]) * w + np.asarray(ff)[..., None] * f)


@pytest.fixture(scope="module")
def truth():
    rng = np.random.default_rng(0)
    t2 = np.linspace(22, 75, 30)
    b1 = rng.permutation(np.linspace(0.65, 1.15, 30))
    ff = rng.permutation(np.linspace(0.0, 0.6, 30))
    return t2, b1, ff


@pytest.mark.parametrize("objective", ["lsq", "myoqmri"])
def test_epg_noise_free_recovers_t2_ff_b1_off_grid_with_slice_profile(truth, objective):
    t2, b1, ff = truth
    prof = default_slice_profile()
    y = _mix(t2[:, None], ff[:, None], b1[:, None], profile=prof)[:, 0]
    fit = EPGModel(10.0 * np.arange(1, 18), slice_profile=True, noise_threshold=0,
                   objective=objective).fit(y)
    assert np.all(fit.fitted)
    # continuous refinement: errors far below the 2 ms / 0.05 dictionary steps
    assert np.max(np.abs(fit.t2 - t2)) < 0.25
    assert np.max(np.abs(fit.ff - ff)) < 0.005
    assert np.max(np.abs(fit.b1 - b1)) < 0.01
    assert np.max(np.abs(fit.m0 - 1000.0)) < 5.0


def test_epg_fixed_ff_zero_recovers_pure_water_without_profile():
    t2 = np.array([24.0, 33.3, 47.7, 61.2])
    b1 = np.array([0.72, 0.81, 0.93, 0.99])  # below 1: B1 and 2 - B1 give the same train
    y = _mix(t2, np.zeros(4), b1, n=10)
    fit = EPGModel(10.0 * np.arange(1, 11), fat_fraction=0.0, noise_threshold=0).fit(y)
    # residual error = biquadratic interpolation of the 2 ms x 0.05 dictionary
    np.testing.assert_allclose(fit.t2, t2, atol=0.2)
    # without a slice profile B1 and 2 - B1 give identical trains (flip 180 -/+ x)
    assert np.all(np.minimum(abs(fit.b1 - b1), abs(2 - fit.b1 - b1)) < 0.01)
    assert np.all(fit.ff == 0) and fit.free_parameters == ["t2_water", "b1", "m0"]


def test_epg_ff_map_fixes_ff_per_voxel():
    ff = np.array([0.0, 0.2, 0.45])
    y = _mix(np.full(3, 35.0), ff, np.full(3, 0.9))
    fit = EPGModel(10.0 * np.arange(1, 18), fat_fraction=ff, noise_threshold=0).fit(y)
    np.testing.assert_allclose(fit.ff, ff, atol=1e-12)
    np.testing.assert_allclose(fit.t2, 35.0, atol=0.15)
    assert "ff" not in fit.free_parameters


def test_epg_rician_noise_fixed_ff_unbiased_10_echoes():
    # seed paper 2's protocol: 10 echoes to 100 ms, fat-saturated, FF fixed at 0
    tes = 10.0 * np.arange(1, 11)
    model = EPGModel(tes, fat_fraction=0.0, noise_threshold=0)
    for t2 in (30.0, 50.0):
        y = synth_voxels(t2, 0.0, 0.9, esp=10.0, n_echoes=10, snr=100, n=400, seed=3)
        d = model.fit(y).t2 - t2
        assert abs(d.mean()) < 0.3, d.mean()
        assert np.sqrt(np.mean(d**2)) < 1.5


def test_epg_rician_noise_free_ff_unbiased_17_echoes():
    tes = 10.0 * np.arange(1, 18)
    y = synth_voxels(35.0, 0.3, 1.0, esp=10.0, n_echoes=17, snr=100, n=400, seed=4)
    fit = EPGModel(tes, noise_threshold=0).fit(y)
    d = fit.t2 - 35.0
    assert abs(d.mean()) < 0.5 and np.sqrt(np.mean(d**2)) < 2.5
    assert abs(np.mean(fit.ff) - 0.3) < 0.01


def test_epg_fat_t2_estimated_from_pure_fat_voxels():
    ff = np.r_[np.full(40, 1.0), np.full(20, 0.1)]
    # the truth differs from the 151 ms default: fat T2 of 175 ms
    w = simulate_cpmg(30.0, esp=10.0, n_echoes=17, t1=1400.0, b1=0.95)
    f = simulate_cpmg(175.0, esp=10.0, n_echoes=17, t1=365.0, b1=0.95)
    y = 1000.0 * ((1 - ff[:, None]) * w + ff[:, None] * f)
    fit = EPGModel(10.0 * np.arange(1, 18), fat_t2="estimate", noise_threshold=0).fit(y)
    assert abs(fit.settings["fat_t2_ms"] - 175.0) < 1.0
    assert "fat_t2 (one value for the volume)" in fit.free_parameters
    np.testing.assert_allclose(fit.t2[40:], 30.0, atol=0.5)


def test_epg_status_codes_mask_noise_and_invalid_voxels():
    y = _mix(np.full(6, 35.0), np.zeros(6), np.full(6, 0.9))
    y[1] = 1.0  # below noise
    y[2, 3] = np.nan
    y[3, 5] = -5.0
    mask = np.array([1, 1, 1, 1, 1, 0])
    fit = EPGModel(10.0 * np.arange(1, 18), noise_threshold=50).fit(y, mask=mask)
    assert fit.status.tolist() == [FITTED, BELOW_NOISE, INVALID_DATA, INVALID_DATA, FITTED, OUTSIDE_MASK]
    assert np.all(fit.t2[[1, 2, 3, 5]] == 0) and np.all(np.isfinite(fit.t2))
    assert fit.counts()["invalid_data"] == 2


@pytest.mark.parametrize("method", ["loglinear", "nnls", "nlls"])
def test_mono_methods_recover_exponential(method):
    te = 10.0 * np.arange(1, 11)
    t2 = np.array([15.0, 35.0, 80.0, 150.0])
    y = 1000.0 * np.exp(-te / t2[:, None])
    fit = MonoExpModel(te, method=method, noise_threshold=0).fit(y)
    np.testing.assert_allclose(fit.t2, t2, rtol=2e-3)
    np.testing.assert_allclose(fit.m0, 1000.0, rtol=2e-3)


@pytest.mark.parametrize("method", ["nnls", "nlls"])
def test_mono_fit_offset_recovers_noise_floor(method):
    te = 10.0 * np.arange(1, 17)
    y = 1000.0 * np.exp(-te / np.array([30.0, 60.0])[:, None]) + 40.0
    fit = MonoExpModel(te, method=method, fit_offset=True, noise_threshold=0).fit(y)
    np.testing.assert_allclose(fit.t2, [30.0, 60.0], rtol=5e-3)
    np.testing.assert_allclose(fit.offset, 40.0, atol=1.0)


def test_mono_drop_first_echo_ignores_first_echo():
    te = 10.0 * np.arange(1, 11)
    y = 1000.0 * np.exp(-te / 40.0)
    y[0] *= 0.6  # a low first echo (stimulated-echo pattern)
    assert abs(MonoExpModel(te, drop_first_echo=True).fit(y[None]).t2[0] - 40.0) < 1e-6
    assert abs(MonoExpModel(te).fit(y[None]).t2[0] - 40.0) > 1.0


def test_mono_on_epg_train_is_biased_upward_as_the_issue_says():
    # stimulated echoes from the slice profile lengthen an apparent mono-exponential T2
    te = 10.0 * np.arange(1, 18)
    prof = default_slice_profile()
    y = 1000 * simulate_cpmg(30.0, esp=10.0, n_echoes=17, t1=1400.0, b1=0.9, slice_profile=prof)
    mono = MonoExpModel(te, drop_first_echo=True).fit(y[None]).t2[0]
    epg = EPGModel(te, fat_fraction=0.0, noise_threshold=0, slice_profile=True).fit(y[None]).t2[0]
    assert mono > 38.0 and abs(epg - 30.0) < 0.05


def test_fits_are_deterministic():
    y = synth_voxels(40.0, 0.2, 0.9, esp=10.0, n_echoes=17, snr=50, n=50, seed=9)
    a = EPGModel(10.0 * np.arange(1, 18), noise_threshold=0).fit(y)
    b = EPGModel(10.0 * np.arange(1, 18), noise_threshold=0).fit(y)
    np.testing.assert_array_equal(a.t2, b.t2)
    np.testing.assert_array_equal(a.status, b.status)


@pytest.mark.parametrize("ff", [0.0, None])
def test_epg_voxels_left_out_of_refinement_do_not_break_the_chunk(ff):
    """A voxel whose first echo is not positive is skipped by the continuous refinement; the rest of
    its chunk must still be fitted (it crashed with a shape mismatch on unmasked demo volumes)."""
    t2 = np.array([28.0, 35.0, 42.0, 50.0, 61.0])
    y = _mix(t2, np.zeros(5), np.full(5, 0.9), n=10)
    y[2, 0] = 0.0
    fit = EPGModel(10.0 * np.arange(1, 11), fat_fraction=ff, noise_threshold=0).fit(y)
    good = [0, 1, 3, 4]
    assert np.all(fit.fitted[good])
    np.testing.assert_allclose(fit.t2[good], t2[good], atol=0.5)
    assert np.isfinite(fit.t2).all()
