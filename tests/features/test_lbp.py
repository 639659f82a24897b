"""LBP2D image type: equals PyRadiomics' LBP2D image (skimage LBP, slice by slice, input dtype)."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.errors import InputError
from myomri.io.image import Image
from myomri.preprocess.lbp import filter_lbp2d
from myomri.preprocess.normalize import normalize_image
from myomri.preprocess.resample import resample_image_and_mask

from tests.features._pyrad_reference import load_input, load_params, load_preprocessed


def test_lbp2d_on_full_int16_slice_equals_pyradiomics():
    image, _ = load_input("lbp2d_slice")
    ref = load_preprocessed("lbp2d_slice")
    out = filter_lbp2d(image)
    assert out.array.dtype == np.int16 == ref["lbp"].dtype
    np.testing.assert_array_equal(out.array, ref["lbp"])
    assert set(np.unique(out.array)) <= set(range(10))  # 'uniform' with P=8: codes 0..9


def test_lbp2d_on_normalised_resampled_crop_equals_pyradiomics():
    ref = load_preprocessed("norm_resample_3mm")
    out = filter_lbp2d(Image(ref["image"], spacing=ref["spacing"]))
    np.testing.assert_array_equal(out.array, ref["lbp"])


def test_lbp2d_per_slice_of_precropped_float_volume_with_custom_radius_equals_pyradiomics():
    image, mask = load_input("lbp_volume_norm")
    s = load_params("lbp_volume_norm")
    ref = load_preprocessed("lbp_volume_norm")
    norm = normalize_image(image, scale=s["setting"]["normalizeScale"],
                           remove_outliers=s["setting"]["removeOutliers"])
    # preCrop without resampling: crop to bbox + padDistance (same spacing -> crop only)
    c_img, c_msk = resample_image_and_mask(norm, mask, spacing=image.spacing, pad_distance=3)
    np.testing.assert_allclose(c_img.array, ref["image"], rtol=1e-12, atol=1e-9)
    lbp = s["imageType"]["LBP2D"]
    out = filter_lbp2d(c_img, radius=lbp["lbp2DRadius"], samples=lbp["lbp2DSamples"])
    np.testing.assert_array_equal(out.array, ref["lbp"])


def test_rotation_sensitive_lbp_across_force2d_dimension_1_equals_pyradiomics():
    # 'default' LBP codes change with the rotation sense: this pins the slice orientation
    image, _ = load_input("lbp_default_dim1")
    ref = load_preprocessed("lbp_default_dim1")
    out = filter_lbp2d(image, method="default", force2d_dimension=1)
    np.testing.assert_array_equal(out.array, ref["lbp"])
    assert len(np.unique(out.array)) > 20


def test_lbp2d_slices_are_independent_along_force2d_dimension():
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 50, (9, 8, 3)).astype(np.int16)
    out = filter_lbp2d(Image(arr), force2d_dimension=0).array
    one = filter_lbp2d(Image(arr[:, :, 1:2]), force2d_dimension=0).array
    np.testing.assert_array_equal(out[:, :, 1:2], one)


def test_lbp2d_rejects_unknown_method():
    with pytest.raises(InputError, match="lbp2DMethod"):
        filter_lbp2d(Image(np.zeros((4, 4, 1))), method="fancy")
