"""Geometry and voxel parity with SimpleITK (the reader PyRadiomics uses) on reference files."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.io.read import read_image

sitk = pytest.importorskip("SimpleITK")


def _assert_same(ours, path):
    ref = sitk.ReadImage(str(path))
    np.testing.assert_array_equal(ours.array, sitk.GetArrayFromImage(ref).T)  # sitk view is [k, j, i]
    np.testing.assert_allclose(ours.origin, ref.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(ours.spacing, ref.GetSpacing(), atol=1e-4)
    np.testing.assert_allclose(ours.direction, np.reshape(ref.GetDirection(), (3, 3)), atol=1e-6)


@pytest.mark.parametrize("name", ["breast1_image.nrrd", "breast1_label.nrrd",
                                  "prostate_phantom_subvolume.nrrd", "brain1_image.nrrd"])
def test_pyradiomics_nrrd_matches_simpleitk(reference, name):
    path = reference / "pyradiomics" / "data" / name
    _assert_same(read_image(path), path)


def test_myoqmri_enhanced_file_matches_simpleitk(reference):
    path = reference / "muscle" / "myoqmri_mese_calf" / "dicom" / "image0001.dcm"
    _assert_same(read_image(path), path)


def test_huashan_nifti_matches_simpleitk(reference):
    path = reference / "muscle" / "huashan_thigh_ideal" / "Thigh_002_seg.nii.gz"
    _assert_same(read_image(path), path)
