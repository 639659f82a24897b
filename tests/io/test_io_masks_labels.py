"""Label maps and ITK-SNAP label files: reference data and bad masks."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.errors import FormatError, MaskError, MissingFileError
from myomri.io.image import Image
from myomri.io.masks import mask_labels, select_label, validate_mask
from myomri.io.read import read_image, read_label_names, read_mask, write_image

HUASHAN_NAMES = {1: "SA", 2: "RF", 3: "VL", 4: "VI", 5: "VM", 6: "AM", 7: "GR", 8: "BL", 9: "ST",
                 10: "SM", 11: "BB"}
QMRITOOLS_COUNTS = {13: 4543, 14: 4121, 15: 2108, 16: 2201, 17: 6417, 18: 5821, 19: 1684, 20: 1850,
                    21: 1930, 22: 2205, 23: 733, 24: 589, 25: 672, 26: 714}


def test_itksnap_label_file_gives_the_eleven_huashan_muscles(reference):
    names = read_label_names(reference / "muscle" / "huashan_thigh_ideal" / "labels_itksnap.txt")
    assert names == HUASHAN_NAMES
    with_bg = read_label_names(reference / "muscle" / "huashan_thigh_ideal" / "labels_itksnap.txt",
                               include_background=True)
    assert with_bg[0] == "Clear Label"


def test_qmritools_label_map_reads_with_readme_voxel_counts(reference):
    mask = read_mask(reference / "muscle" / "qmritools_calf" / "labels.nii.gz", label=20)
    assert mask.array.dtype == np.uint8
    labels, counts = np.unique(mask.array[mask.array > 0], return_counts=True)
    assert dict(zip(labels.tolist(), counts.tolist())) == QMRITOOLS_COUNTS


def test_huashan_mask_shares_grid_with_its_images(reference):
    from myomri.preprocess.geometry import check_same_grid

    folder = reference / "muscle" / "huashan_thigh_ideal"
    mask = read_mask(folder / "Thigh_001_seg.nii.gz")
    water = read_image(folder / "Thigh_001_0001.nii.gz")
    check_same_grid(mask, water)
    assert set(mask_labels(mask)) == set(HUASHAN_NAMES)


def test_requested_label_absent_raises_mask_error_listing_labels(reference):
    with pytest.raises(MaskError, match=r"labels.nii.gz: label 3 not in mask; labels present: \[13, 14"):
        read_mask(reference / "muscle" / "qmritools_calf" / "labels.nii.gz", label=3)


def test_mask_with_fractional_values_raises_mask_error(tmp_path):
    arr = np.zeros((4, 4, 2))
    arr[1, 1, 0] = 0.5
    arr[2, 2, 1] = 1.0
    path = write_image(Image(arr.astype(np.float32)), tmp_path / "prob.nii.gz")
    with pytest.raises(MaskError, match="prob.nii.gz: mask has 1 non-integer voxels"):
        read_mask(path)


def test_float_mask_with_whole_numbers_is_accepted_as_integers(tmp_path):
    arr = np.zeros((4, 4, 2), dtype=np.float32)
    arr[1, 1, 0], arr[2, 2, 1] = 3.0, 300.0
    mask = read_mask(write_image(Image(arr), tmp_path / "m.nrrd"))
    assert mask.array.dtype == np.uint16 and mask_labels(mask) == [3, 300]


def test_all_zero_mask_raises_mask_error(tmp_path):
    path = write_image(Image(np.zeros((3, 3, 1), dtype=np.uint8)), tmp_path / "empty.nii.gz")
    with pytest.raises(MaskError, match="empty.nii.gz: mask holds no labels"):
        read_mask(path)


def test_negative_and_nan_masks_raise_mask_error():
    with pytest.raises(MaskError, match="negative"):
        validate_mask(Image(np.array([[[-1], [1]]], dtype=np.int16)))
    arr = np.ones((2, 2, 1))
    arr[0, 0, 0] = np.nan
    with pytest.raises(MaskError, match="1 NaN/Inf"):
        validate_mask(Image(arr))


def test_multi_volume_mask_raises_mask_error():
    with pytest.raises(MaskError, match="2 volumes"):
        validate_mask(Image(np.ones((2, 2, 2, 2), dtype=np.uint8)))


def test_image_given_as_mask_is_refused_as_looking_like_an_image(tmp_path):
    # issue 16 #12: the arguments swapped, or the image given twice
    rng = np.random.default_rng(0)
    image = Image(rng.integers(0, 2000, (32, 32, 3)).astype(np.int16), source="stir.nii.gz")
    with pytest.raises(MaskError, match=r"stir.nii.gz: mask holds \d+ distinct values .*looks like an image"):
        validate_mask(image)
    ct_like = Image(rng.integers(-1000, 1000, (16, 16, 2)).astype(np.int16), source="ct.nii.gz")
    with pytest.raises(MaskError, match="looks like an image"):  # negative intensities: still an image
        validate_mask(ct_like)


def test_scaled_intensities_given_as_mask_are_refused_as_an_image(tmp_path):
    # integers on disk with a NIfTI scale factor: non-integer values once read
    import nibabel as nib

    rng = np.random.default_rng(1)
    nii = nib.Nifti1Image(rng.integers(1, 3000, (16, 16, 2)).astype(np.int16), np.eye(4))
    nii.header.set_slope_inter(0.37, 0)
    nib.save(nii, tmp_path / "t2map.nii")
    with pytest.raises(MaskError, match=r"t2map.nii: mask has \d+ non-integer voxels .*looks like an image"):
        read_mask(tmp_path / "t2map.nii")


def test_label_map_with_large_but_few_label_values_is_accepted():
    arr = np.zeros((20, 20, 1), np.uint16)
    for n, value in enumerate([1000 + v for v in range(40)]):  # e.g. FreeSurfer-style numbering
        arr[n // 2, (n % 2) * 10:(n % 2) * 10 + 5, 0] = value
    assert len(mask_labels(validate_mask(Image(arr)))) == 40


def test_select_label_gives_binary_mask_of_that_label():
    arr = np.array([[[0], [2]], [[3], [2]]], dtype=np.uint8)
    out = select_label(Image(arr), 2)
    np.testing.assert_array_equal(out.array[..., 0], [[0, 1], [0, 1]])


def test_malformed_and_missing_label_files_raise(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text('1 255 0 0 1 1 "SA"\n')
    with pytest.raises(FormatError, match="bad.txt line 1"):
        read_label_names(bad)
    dup = tmp_path / "dup.txt"
    dup.write_text('1 255 0 0 1 1 1 "SA"\n1 0 255 0 1 1 1 "RF"\n')
    with pytest.raises(FormatError, match="label 1 defined twice"):
        read_label_names(dup)
    with pytest.raises(MissingFileError):
        read_label_names(tmp_path / "none.txt")


def test_label_names_with_spaces_are_kept(tmp_path):
    f = tmp_path / "l.txt"
    f.write_text('# comment\n 0 0 0 0 0 0 0 "Clear Label"\n 4 1 2 3 1 1 1 "Vastus lateralis R"\n')
    assert read_label_names(f) == {4: "Vastus lateralis R"}


def test_an_image_with_few_grey_levels_given_as_mask_is_refused_by_its_texture():
    # a STIR slice stored as int16 0..137 has fewer values than MASK_MAX_LABELS, but they change
    # between most neighbouring voxels; a label map changes only at its boundaries
    from myomri.errors import MaskError
    from myomri.io.image import Image
    from myomri.io.masks import validate_mask

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:96, :96]
    image = np.clip(60 + 40 * np.sin(xx / 9.0) + rng.normal(0, 12, (96, 96)), 0, 137).astype(np.int16)
    with pytest.raises(MaskError, match="looks like an image"):
        validate_mask(Image(image[:, :, None], source="stir.nii.gz"))
    labels = (xx // 4 + 24 * (yy // 48)).astype(np.int16)  # 48 labels in blocks: piecewise constant
    assert validate_mask(Image(labels[:, :, None])).array.max() == 47
