"""Normalisation, resampling and cropping against PyRadiomics 3.0.1 and analytic cases."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.errors import InputError, MaskError
from myomri.io.image import Image
from myomri.preprocess.crop import bbox_of_label, crop_to_mask
from myomri.preprocess.normalize import normalize_image
from myomri.preprocess.resample import resample_grid, resample_image_and_mask

from tests.features._pyrad_reference import load_input, load_params, load_preprocessed


def test_normalize_is_zscore_over_whole_image_times_scale():
    rng = np.random.default_rng(1)
    arr = rng.normal(300, 40, (12, 10, 3))
    out = normalize_image(Image(arr), scale=100).array
    np.testing.assert_allclose(out, (arr - arr.mean()) / arr.std(ddof=1) * 100, rtol=1e-9, atol=1e-9)


def test_normalize_clips_outliers_in_sd_units_before_scaling():
    arr = np.zeros((10, 10, 1))
    arr[0, 0, 0] = 1000.0  # one extreme voxel
    out = normalize_image(Image(arr), scale=100, remove_outliers=2).array
    assert out.max() == pytest.approx(200.0)
    z = (arr - arr.mean()) / arr.std(ddof=1)
    np.testing.assert_allclose(out[1:], np.clip(z, -2, 2)[1:] * 100, rtol=1e-9)


def test_normalize_gives_doubles_for_integer_images_as_sitk_does():
    arr = np.arange(60, dtype=np.int16).reshape(5, 4, 3)
    out = normalize_image(Image(arr), scale=1).array
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, (arr - arr.mean()) / arr.std(ddof=1), rtol=1e-12)


def test_normalize_rejects_constant_and_nan_images():
    with pytest.raises(InputError, match="constant"):
        normalize_image(Image(np.full((4, 4, 1), 7.0)))
    arr = np.ones((4, 4, 1))
    arr[1, 1, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        normalize_image(Image(arr))


@pytest.mark.parametrize("case", ["norm_resample_3mm"])
def test_normalize_and_resample_match_pyradiomics_grid_and_values(case):
    image, mask = load_input(case)
    s = load_params(case)["setting"]
    ref = load_preprocessed(case)
    norm = normalize_image(image, scale=s["normalizeScale"])
    r_img, r_msk = resample_image_and_mask(
        norm, mask, spacing=s["resampledPixelSpacing"], interpolator=s["interpolator"], label=1,
        pad_distance=5,
    )
    # the single-slice direction keeps its 6 mm spacing
    np.testing.assert_allclose(r_img.spacing, ref["spacing"], rtol=1e-12)
    assert r_img.spacing == (3.0, 3.0, 6.0)
    np.testing.assert_allclose(r_img.origin, ref["origin"], rtol=0, atol=1e-9)
    assert r_img.spatial_shape == ref["image"].shape
    assert r_img.array.dtype == ref["image"].dtype
    np.testing.assert_allclose(r_img.array, ref["image"], rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(r_msk.array, ref["mask"])


def test_resample_grid_is_anchored_at_outer_corner_of_first_voxel():
    # 1 mm voxels, origin at 0: the outer corner is at -0.5 mm; new 3 mm voxel 0 is centred at 1 mm.
    mask = Image(np.ones((9, 9, 9), np.uint8))
    spacing, size, origin = resample_grid(mask, spacing=[3, 3, 3], label=1, pad_distance=0)
    np.testing.assert_allclose(spacing, [3, 3, 3])
    np.testing.assert_array_equal(size, [3, 3, 3])
    np.testing.assert_allclose(origin, [1.0, 1.0, 1.0])


def test_resample_keeps_pixel_type_and_single_slice_direction():
    arr = (np.arange(20 * 20 * 1).reshape(20, 20, 1) % 97).astype(np.int16)
    mask_arr = np.zeros_like(arr, dtype=np.uint8)
    mask_arr[5:15, 4:16, 0] = 1
    img = Image(arr, spacing=(0.5, 0.5, 5.0))
    r_img, r_msk = resample_image_and_mask(img, img.with_array(mask_arr), spacing=[1, 1, 1],
                                           interpolator="sitkLinear", pad_distance=1)
    assert r_img.array.dtype == np.int16
    assert r_img.spacing == (1.0, 1.0, 5.0)
    assert r_msk.array.sum() > 0


def test_resample_same_spacing_only_crops_with_padding():
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 100, (20, 20, 6)).astype(np.int16)
    m = np.zeros_like(arr, dtype=np.uint8)
    m[8:12, 9:11, 2:4] = 1
    img = Image(arr)
    r_img, r_msk = resample_image_and_mask(img, img.with_array(m), spacing=[1, 1, 1], pad_distance=2)
    np.testing.assert_array_equal(r_img.array, arr[6:14, 7:13, 0:6])
    np.testing.assert_allclose(r_img.origin, (6.0, 7.0, 0.0))
    assert r_msk.array.sum() == m.sum()


def test_bbox_and_crop_of_label_and_missing_label_error():
    m = np.zeros((10, 10, 3), np.uint8)
    m[2:5, 3:4, 1] = 2
    msk = Image(m)
    lower, size = bbox_of_label(msk, label=2)
    np.testing.assert_array_equal(lower, [2, 3, 1])
    np.testing.assert_array_equal(size, [3, 1, 1])
    c_img, c_msk = crop_to_mask(Image(np.arange(300.0).reshape(10, 10, 3)), msk, label=2)
    assert c_img.spatial_shape == (3, 1, 1)
    with pytest.raises(MaskError, match="label 1 not present.*labels found: 2"):
        bbox_of_label(msk, label=1)
