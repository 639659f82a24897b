"""Slice profiles: analytic limits of the hard-pulse (SLR) transform and the position sampling."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.t2.slice_profile import pulse_profile, sinc_pulse, slice_profile_angles


def test_profile_at_slice_centre_is_tan_half_flip():
    for flip in (30.0, 90.0, 150.0):
        prof = pulse_profile(sinc_pulse(flip_angle=flip))
        assert prof[0] == pytest.approx(np.tan(np.deg2rad(flip) / 2), rel=1e-12)


def test_small_tip_profile_is_half_the_fourier_transform_of_the_pulse():
    pulse = sinc_pulse(flip_angle=0.5)
    w = np.pi * np.arange(1024) / 1024
    ft = np.abs(np.exp(-1j * np.outer(w, np.arange(pulse.size))) @ pulse)
    prof = pulse_profile(pulse)
    np.testing.assert_allclose(prof, ft[:199] / 2, rtol=1e-4, atol=1e-9)


def test_interpolated_refocusing_profile_is_stretched_by_the_width_factor():
    exc, ref = slice_profile_angles(refocusing_width_factor=1.2, sampling="interpolate")
    assert exc.size == ref.size == 24
    assert exc[0] == pytest.approx(90.0, abs=1.0) and ref[0] == pytest.approx(180.0, abs=1.5)
    # the refocusing profile falls off 1.2x more slowly: ref(1.2 x) / 2 == exc(x)
    exc1, ref1 = slice_profile_angles(refocusing_width_factor=1.0, sampling="interpolate")
    np.testing.assert_allclose(ref1[:20] / 2, exc1[:20], rtol=1e-6)
    assert np.all(exc[20:] == 0) and np.all(ref[20:] > 0)


def test_myoqmri_sampling_bins_one_sample_each_so_refocusing_is_not_stretched():
    exc, ref = slice_profile_angles(sampling="myoqmri")
    used = exc > 0
    np.testing.assert_allclose(ref[used] / 2, exc[used], rtol=1e-6)
    with pytest.raises(ValueError, match="sampling"):
        slice_profile_angles(sampling="other")
