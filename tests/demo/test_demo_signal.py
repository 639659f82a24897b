"""Signal models of the demo generator checked against analytic answers and the direct EPG."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.config.demo import DemoConfig
from myomri.demo.mese import add_rician_noise, epg_dictionary, mese_signal
from myomri.demo.stir import inversion_recovery_factor
from myomri.demo.subject import simulate_subject
from myomri.t2.dictionary import default_slice_profile, simulate_cpmg
from myomri.t2.epg import epg_cpmg

TE = 10.0 * np.arange(1, 11)


def test_generator_epg_with_b1_1_no_fat_no_noise_is_exactly_exponential():
    t2 = np.array([20.0, 33.9, 47.4, 80.0, 150.0])
    sig = mese_signal(t2, np.zeros(5), np.ones(5), np.ones(5), esp=10.0, n_echoes=10,
                      t1_water=1400.0, t1_fat=365.0, t2_fat=151.0)  # fmt: skip
    np.testing.assert_allclose(sig, np.exp(-TE[None, :] / t2[:, None]), rtol=1e-12)


def test_epg_dictionary_matches_direct_epg_over_t2_and_b1():
    rng = np.random.default_rng(7)
    t2 = rng.uniform(20, 130, 500)
    b1 = rng.uniform(0.7, 1.15, 500)
    prof = default_slice_profile()
    for t1 in (1400.0, 365.0):
        got = epg_dictionary(esp=10.0, n_echoes=10, t1=t1)(t2, b1)
        ref = epg_cpmg(t2, esp=10.0, n_echoes=10, t1=t1, b1=b1)
        np.testing.assert_allclose(got, ref, rtol=2e-3)
        got = epg_dictionary(esp=10.0, n_echoes=10, t1=t1, slice_profile=True)(t2, b1)
        ref = simulate_cpmg(t2, esp=10.0, n_echoes=10, t1=t1, b1=b1, slice_profile=prof)
        np.testing.assert_allclose(got, ref, rtol=2e-3)
    # a fixed-T2 (fat) dictionary has only the B1 axis, and is exact at that T2
    fat = epg_dictionary(esp=10.0, n_echoes=10, t1=365.0, t2=151.0)(np.full(500, 151.0), b1)
    np.testing.assert_allclose(fat, epg_cpmg(151.0, esp=10.0, n_echoes=10, t1=365.0, b1=b1), rtol=2e-3)


def test_two_component_signal_is_the_fat_fraction_weighted_sum():
    b1 = np.array([0.8, 0.95, 1.05])
    ff = np.array([0.0, 0.3, 1.0])
    sig = mese_signal(np.full(3, 40.0), ff, b1, np.ones(3), esp=10.0, n_echoes=10,
                      t1_water=1400.0, t1_fat=365.0, t2_fat=151.0, m0=1000.0)  # fmt: skip
    water = epg_cpmg(40.0, esp=10.0, n_echoes=10, t1=1400.0, b1=b1)
    fat = epg_cpmg(151.0, esp=10.0, n_echoes=10, t1=365.0, b1=b1)
    np.testing.assert_allclose(sig, 1000.0 * ((1 - ff)[:, None] * water + ff[:, None] * fat), rtol=2e-3)


def test_dictionary_rejects_t2_or_b1_outside_its_range():
    d = epg_dictionary(esp=10.0, n_echoes=10, t1=1400.0)
    with pytest.raises(ValueError, match="T2 outside"):
        d(np.array([5.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="B1 outside"):
        d(np.array([40.0]), np.array([1.5]))


def test_rician_noise_has_rayleigh_mean_on_zero_signal_and_is_seeded():
    zeros = np.zeros(200_000)
    a = add_rician_noise(zeros, 10.0, np.random.default_rng(1))
    b = add_rician_noise(zeros, 10.0, np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert a.mean() == pytest.approx(10.0 * np.sqrt(np.pi / 2), rel=0.01)


def test_stir_nulls_fat_and_keeps_water_signal():
    c = DemoConfig()
    assert inversion_recovery_factor(c.stir_t1_fat, ti=c.stir_ti, tr=c.stir_tr) < 0.05
    assert inversion_recovery_factor(c.stir_t1_water, ti=c.stir_ti, tr=c.stir_tr) > 0.6


@pytest.fixture(scope="module")
def noiseless_subject():
    config = DemoConfig.small(1, mese_snr=None, stir_snr=None, dixon_snr=None)
    return simulate_subject(3, "sub-003", "DM", config), config


def test_noiseless_demo_mese_equals_epg_model_of_the_true_maps(noiseless_subject):
    data, c = noiseless_subject
    mese = data.images["mese"]
    t2 = data.images["truth_t2"].array.astype(float)
    ff = data.images["truth_ff"].array.astype(float)
    b1 = data.images["truth_b1"].array.astype(float)
    assert mese.array.dtype == np.float32 and mese.echo_times == tuple(TE)
    idx = np.flatnonzero(t2.ravel() > 0)
    pick = np.random.default_rng(0).choice(idx, 400, replace=False)
    t2v, ffv, b1v = t2.ravel()[pick], ff.ravel()[pick], b1.ravel()[pick]
    # no slice profile in the trains (the default), and the headers say so (3D)
    assert not c.mese_slice_profile and mese.meta["MRAcquisitionType"] == "3D"
    prof = None
    water = simulate_cpmg(t2v, esp=10.0, n_echoes=10, t1=c.t1_water, b1=b1v, slice_profile=prof)
    fat = simulate_cpmg(c.t2_fat, esp=10.0, n_echoes=10, t1=c.t1_fat, b1=b1v, slice_profile=prof)
    model = c.mese_m0 * ((1 - ffv)[:, None] * water + ffv[:, None] * fat)
    got = mese.array.reshape(-1, 10)[pick]
    np.testing.assert_allclose(got, model, rtol=3e-3)
    # voxels without tissue (air, cortex) carry no signal at all
    assert np.all(mese.array.reshape(-1, 10)[t2.ravel() == 0] == 0)


def test_slice_profile_subject_is_labelled_2d_and_fits_back_without_bias():
    from myomri.t2 import EPGModel

    c = DemoConfig.small(1, mese_snr=None, stir_snr=None, dixon_snr=None, mese_slice_profile=True)
    data = simulate_subject(3, "sub-003", "DM", c)
    mese = data.images["mese"]
    assert mese.meta["MRAcquisitionType"] == "2D"
    t2 = data.images["truth_t2"].array.astype(float)
    ff = data.images["truth_ff"].array.astype(float)
    body = (t2 > 0) & (ff < 0.3)
    fit = EPGModel(mese.echo_times, slice_profile=True, noise_threshold=0).fit(np.asarray(mese.array, float), body)
    assert abs(np.median(fit.t2[body] - t2[body])) < 0.05


def test_b1_map_spans_the_configured_range_smoothly(noiseless_subject):
    data, c = noiseless_subject
    b1 = data.images["truth_b1"].array
    body = data.images["truth_t2"].array > 0
    lo, hi = c.b1_range
    assert lo - 0.06 <= b1[body].min() < b1[body].max() <= hi + 0.03
    assert b1[body].max() - b1[body].min() > 0.1
    # smooth: neighbouring voxels differ by far less than the range
    assert np.abs(np.diff(b1, axis=0)).max() < 0.01
