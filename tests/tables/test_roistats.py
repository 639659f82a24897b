"""ROI statistics of quantitative maps: known answers, exclusions, combining, grids, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myomri.cli import main
from myomri.errors import MaskError
from myomri.io.image import Image
from myomri.io.nifti import write_nifti
from myomri.tables.roistats import map_roi_statistics, roi_statistics


def test_per_label_statistics_are_the_known_values():
    values = np.array([10.0, 20.0, 30.0, 40.0, 0.0, 50.0, 60.0, np.nan]).reshape(2, 2, 2)
    labels = np.array([1, 1, 1, 1, 1, 13, 13, 13]).reshape(2, 2, 2)
    t = roi_statistics(values, labels, scheme="myomri").set_index("label")
    r = t.loc[1]
    assert r["name"] == "VL_R" and r["n_labelled"] == 5 and r["n_excluded"] == 1 and r["n"] == 4
    assert r["mean"] == 25.0 and r["median"] == 25.0
    assert r["sd"] == pytest.approx(np.std([10, 20, 30, 40], ddof=1))
    assert (r["q1"], r["q3"], r["iqr"]) == (17.5, 32.5, 15.0)
    left = t.loc[13]
    assert left["name"] == "VL_L" and left["n"] == 2 and left["n_excluded"] == 1 and left["mean"] == 55.0


def test_combine_pools_all_labelled_voxels_and_each_side():
    values = np.array([10.0, 20.0, 30.0, 70.0]).reshape(2, 2, 1)
    labels = np.array([1, 2, 13, 14]).reshape(2, 2, 1)
    t = roi_statistics(values, labels, combine=True, scheme="myomri").set_index("label")
    assert t.loc["all", "mean"] == 32.5 and t.loc["all", "n"] == 4
    assert t.loc["all_R", "mean"] == 15.0 and t.loc["all_L", "mean"] == 50.0


def test_labels_of_an_unknown_scheme_are_not_named_after_thigh_muscles():
    # issue 16 #16: label 1 of any mask was called VL_R
    values = np.array([10.0, 20.0, 30.0, 70.0]).reshape(2, 2, 1)
    labels = np.array([1, 2, 13, 14]).reshape(2, 2, 1)
    t = roi_statistics(values, labels, combine=True)
    assert t["name"].tolist() == ["label_1", "label_2", "label_13", "label_14", "all_muscles"]
    assert "all_R" not in set(t["label"]) and "all_L" not in set(t["label"])  # sides unknown too
    with pytest.raises(MaskError, match=r"label\(s\) \[31\] are not in the myomri thigh scheme"):
        roi_statistics(np.ones((2, 1, 1)), np.array([1, 31]).reshape(2, 1, 1), scheme="myomri")


def test_cli_roi_stats_names_muscles_only_with_the_myomri_scheme(tmp_path):
    write_nifti(Image(np.full((2, 1, 1), 40.0, np.float32)), tmp_path / "t2.nii.gz")
    write_nifti(Image(np.array([1, 13], np.uint8).reshape(2, 1, 1)), tmp_path / "mask.nii.gz")
    base = ["roi-stats", str(tmp_path / "t2.nii.gz"), str(tmp_path / "mask.nii.gz")]
    assert main([*base, "-o", str(tmp_path / "a.csv")]) == 0
    assert pd.read_csv(tmp_path / "a.csv")["name"].tolist() == ["label_1", "label_13"]
    assert main([*base, "--label-scheme", "myomri", "-o", str(tmp_path / "b.csv")]) == 0
    assert pd.read_csv(tmp_path / "b.csv")["name"].tolist() == ["VL_R", "VL_L"]


def test_label_whose_voxels_are_all_unfitted_is_listed_with_n_zero():
    values = np.array([0.0, 0.0, 5.0]).reshape(3, 1, 1)
    labels = np.array([3, 3, 4]).reshape(3, 1, 1)
    t = roi_statistics(values, labels).set_index("label")
    assert t.loc[3, "n"] == 0 and np.isnan(t.loc[3, "mean"]) and t.loc[3, "n_excluded"] == 2


def test_non_thigh_labels_get_generic_names_or_given_names():
    values = np.ones((2, 1, 1))
    labels = np.array([31, 40]).reshape(2, 1, 1)
    assert roi_statistics(values, labels)["name"].tolist() == ["label_31", "label_40"]
    named = roi_statistics(values, labels, names={31: "soleus"})
    assert named["name"].tolist()[0] == "soleus"


def test_bad_masks_raise_mask_error():
    with pytest.raises(MaskError, match="does not match"):
        roi_statistics(np.ones((2, 2, 1)), np.ones((2, 1, 1)))
    with pytest.raises(MaskError, match="no label"):
        roi_statistics(np.ones((2, 2, 1)), np.zeros((2, 2, 1)))


def test_mask_on_another_grid_is_carried_through_world_and_overlap_reported():
    value_map = Image(np.arange(16, dtype=float).reshape(4, 4, 1) + 1, spacing=(2.0, 2.0, 5.0))
    # the same field of view at half the spacing, shifted by one map voxel: half lands outside
    fine = np.zeros((8, 8, 1), np.uint8)
    fine[:, :, 0] = 1
    mask = Image(fine, spacing=(1.0, 1.0, 5.0), origin=(3.5, -0.5, 0.0))
    t, overlap = map_roi_statistics(value_map, mask)
    assert overlap == pytest.approx(0.5)
    assert bool(t["mask_transferred"].iloc[0]) and t["mask_overlap"].iloc[0] == pytest.approx(0.5)
    # map voxels i = 2, 3 (all j) are covered: values 9..16
    assert t["n"].iloc[0] == 8 and t["mean"].iloc[0] == pytest.approx(np.arange(9, 17).mean())


def test_cli_roi_stats_writes_csv_with_names_and_combined_row(tmp_path):
    vals = np.zeros((4, 2, 1), np.float32)
    vals[:, 0, 0] = [30, 32, 0, 34]
    vals[:, 1, 0] = [40, 42, 44, 46]
    labels = np.zeros((4, 2, 1), np.uint8)
    labels[:, 0, 0] = 1
    labels[:, 1, 0] = 13
    write_nifti(Image(vals), tmp_path / "t2.nii.gz")
    write_nifti(Image(labels), tmp_path / "mask.nii.gz")
    (tmp_path / "names.txt").write_text("1 vastus_lateralis_right\n13 vastus_lateralis_left\n")
    out = tmp_path / "stats.csv"
    rc = main(["roi-stats", str(tmp_path / "t2.nii.gz"), str(tmp_path / "mask.nii.gz"),
               "--labels", str(tmp_path / "names.txt"), "--combine", "-o", str(out)])
    assert rc == 0
    t = pd.read_csv(out).set_index("label")
    assert t.loc["1", "name"] == "vastus_lateralis_right" and t.loc["1", "n_excluded"] == 1
    assert t.loc["1", "mean"] == pytest.approx(32.0) and t.loc["13", "mean"] == pytest.approx(43.0)
    assert t.loc["all", "mean"] == pytest.approx((30 + 32 + 34 + 40 + 42 + 44 + 46) / 7)


def test_cli_roi_stats_on_qmritools_scanner_map(reference, tmp_path):
    folder = reference / "muscle" / "qmritools_calf"
    # a mask of slice 6 on the T2data grid, taken from the file itself (map > 0 there)
    from myomri.t2.vendor import read_vendor_t2map

    vmap = read_vendor_t2map(folder / "T2data.nii.gz", layout="qmritools")
    m = np.zeros(vmap.spatial_shape, np.uint8)
    m[:, :, 6] = (vmap.array[:, :, 6] > 20) & (vmap.array[:, :, 6] < 80)
    write_nifti(vmap.with_array(m), tmp_path / "mask.nii.gz")
    out = tmp_path / "s.csv"
    rc = main(["roi-stats", str(folder / "T2data.nii.gz"), str(tmp_path / "mask.nii.gz"),
               "--vendor-layout", "qmritools", "-o", str(out)])
    assert rc == 0
    t = pd.read_csv(out)
    assert t["n"].iloc[0] == m.sum() and 35 < t["median"].iloc[0] < 50
    assert t["mask_overlap"].iloc[0] == 1.0


def test_myoqmri_map_stats_with_a_mask_drawn_on_the_dicom_grid(reference):
    # the MyoQMRI NIfTI map stores rows first, our DICOM grid columns first: the mask is carried
    # through world coordinates and must give exactly the statistics of the transposed voxels
    from myomri.io.read import read_image

    folder = reference / "muscle" / "myoqmri_mese_calf"
    dicom = read_image(folder / "dicom")
    t2map = read_image(folder / "myoqmri_2.0.2_output" / "water_T2_ms.nii.gz")
    first = dicom.volume(0).array.astype(float)
    labels = (np.where(first > 400, 1, 0) + np.where(first > 1200, 1, 0)).astype(np.uint8)
    table, overlap = map_roi_statistics(t2map, dicom.volume(0).with_array(labels), combine=True)
    assert overlap == 1.0
    direct = t2map.array.transpose(1, 0, 2)
    t = table.set_index("label")
    for value in (1, 2):
        v = direct[(labels == value) & (direct != 0)]
        assert t.loc[value, "n"] == v.size
        assert t.loc[value, "mean"] == pytest.approx(v.mean(), rel=1e-12)
        assert t.loc[value, "median"] == pytest.approx(np.median(v), rel=1e-12)
