"""The T2 stage's ROI table: fat fractions of exactly 0 count, and muscles are named by the declared scheme."""

from __future__ import annotations

import numpy as np
import pytest
from tests.pipeline.test_config_types import _problems, _study

from myomri.pipeline import load_pipeline
from myomri.pipeline.t2_tables import t2_roi_table as _t2_table
from myomri.t2.fit import BELOW_NOISE, FITTED, Fit


def _fit():
    # label 1 (VL_R): three fitted voxels, one of pure water (FF 0), one left out; label 13 (VL_L): two fitted
    status = np.array([FITTED, FITTED, FITTED, BELOW_NOISE, FITTED, FITTED], np.int8).reshape(6, 1, 1)
    t2 = np.array([30.0, 32.0, 34.0, 0.0, 40.0, 44.0]).reshape(6, 1, 1)
    ff = np.array([0.0, 0.3, 0.6, 0.0, 0.1, 0.0]).reshape(6, 1, 1)
    zeros = np.zeros_like(t2)
    labels = np.array([1, 1, 1, 1, 13, 13], np.int16).reshape(6, 1, 1)
    return Fit(t2=t2, m0=zeros, residual=zeros, status=status, ff=ff), labels


def _task(**seg):
    return {"subject": "s1", "segmentation": {"method": "given", **seg}}


def test_fat_fraction_means_count_the_fitted_voxels_of_fat_fraction_zero():
    fit, labels = _fit()
    table = _t2_table(fit, labels, _task()).set_index("label")
    assert table.loc[1, "ff_mean"] == pytest.approx(0.3)  # (0 + 0.3 + 0.6) / 3, the pure-water voxel included
    assert table.loc[13, "ff_mean"] == pytest.approx(0.05)
    assert table.loc[1, "mean"] == pytest.approx(32.0) and table.loc[1, "n_excluded"] == 1  # T2: the unfitted voxel out
    assert table.loc["all", "ff_mean"] == pytest.approx(1.0 / 5)


def test_given_labels_are_named_by_the_declared_scheme_only():
    fit, labels = _fit()
    assert _t2_table(fit, labels, _task())["name"].tolist()[:2] == ["label_1", "label_13"]  # auto: unknown
    named = _t2_table(fit, labels, _task(label_scheme="myomri"))
    assert named["name"].tolist()[:2] == ["VL_R", "VL_L"] and "all_R" in named["label"].tolist()
    dl = _t2_table(fit, labels, {"subject": "s1", "segmentation": {"method": "dl", "label_scheme": "auto"}})
    assert dl["name"].tolist()[:2] == ["VL_R", "VL_L"]  # the network writes myomri's scheme


def test_the_demo_declares_its_labels_and_an_unknown_scheme_is_a_problem(tmp_path):
    assert load_pipeline(_study(tmp_path)).segmentation["label_scheme"] == "myomri"
    problems = _problems(_study(tmp_path, segmentation={"method": "given", "label_scheme": "dafne"}))
    assert "segmentation.label_scheme: 'dafne' is not one of ['auto', 'myomri']" in problems
    classical = _problems(_study(tmp_path, segmentation={"method": "classical", "label_scheme": "myomri"}))
    assert "the classical method writes one muscle label" in classical


def test_given_labels_declared_myomri_but_outside_it_are_refused_naming_the_file():
    from myomri.errors import MaskError
    from myomri.pipeline.t2_tables import check_label_scheme

    labels = np.array([1, 13, 30], np.int16).reshape(3, 1, 1)
    task = {"labels": "sub-1_dseg.nii.gz", "segmentation": {"method": "given", "label_scheme": "myomri"}}
    with pytest.raises(MaskError, match=r"sub-1_dseg.nii.gz: label\(s\) \[30\] are not in the myomri thigh scheme"):
        check_label_scheme(labels, task)
    check_label_scheme(labels, {**task, "segmentation": {"method": "given", "label_scheme": "auto"}})  # not declared
