"""Hostile NIfTI headers and misnamed files give one clear error naming the file (issue 16 #15)."""

from __future__ import annotations

import gzip
import shutil
import struct

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import FormatError, InputError
from myomri.io.image import Image
from myomri.io.nifti import read_nifti, write_nifti

# byte offsets of NIfTI-1 header fields
_DIM, _PIXDIM, _QFORM_CODE, _QOFFSET_X, _SROW_X = 40, 76, 252, 268, 280


def _nifti_bytes(tmp_path) -> bytearray:
    img = Image(np.random.default_rng(0).normal(size=(4, 4, 4)).astype(np.float32), spacing=(2.0, 2.0, 3.0))
    write_nifti(img, tmp_path / "ok.nii")
    return bytearray((tmp_path / "ok.nii").read_bytes())


def _write(path, raw: bytearray):
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("name", ["huge.nii", "huge.nii.gz"])
def test_header_claiming_far_more_voxels_than_the_file_holds_is_refused_before_allocating(tmp_path, name):
    raw = _nifti_bytes(tmp_path)
    struct.pack_into("<4h", raw, _DIM, 3, 30000, 30000, 30000)
    path = tmp_path / name
    path.write_bytes(gzip.compress(bytes(raw)) if name.endswith(".gz") else bytes(raw))
    with pytest.raises(FormatError, match=rf"{name}: its header claims \(30000, 30000, 30000\) voxels of float32 "
                                          r"\(98.23 TiB\)"):
        read_nifti(path)


def test_truncated_uncompressed_nifti_is_refused(tmp_path):
    raw = _nifti_bytes(tmp_path)
    with pytest.raises(FormatError, match="cut.nii: its header claims .* but the file holds .*truncated"):
        read_nifti(_write(tmp_path / "cut.nii", raw[:-10]))


@pytest.mark.parametrize("form", ["none", "qform"])
def test_zero_pixdim_is_refused_not_set_to_1_mm(tmp_path, form):
    raw = _nifti_bytes(tmp_path)
    struct.pack_into("<f", raw, _PIXDIM + 4, 0.0)  # pixdim[1]
    struct.pack_into("<hh", raw, _QFORM_CODE, 1 if form == "qform" else 0, 0)
    with pytest.raises(FormatError, match=r"pix0.nii: voxel size \[0.0, 2.0, 3.0\] mm has a zero"):
        read_nifti(_write(tmp_path / "pix0.nii", raw))


def test_zero_pixdim_beside_a_valid_sform_is_read_with_the_sform_geometry(tmp_path):
    raw = _nifti_bytes(tmp_path)
    struct.pack_into("<f", raw, _PIXDIM + 4, 0.0)
    struct.pack_into("<hh", raw, _QFORM_CODE, 0, 1)  # the sform (2, 2, 3 mm) is the geometry in use
    assert read_nifti(_write(tmp_path / "s.nii", raw)).spacing == (2.0, 2.0, 3.0)


@pytest.mark.parametrize("form", ["qform", "sform"])
def test_nan_origin_is_refused(tmp_path, form):
    raw = _nifti_bytes(tmp_path)
    if form == "qform":
        struct.pack_into("<hh", raw, _QFORM_CODE, 1, 0)
        struct.pack_into("<f", raw, _QOFFSET_X, float("nan"))
    else:
        struct.pack_into("<hh", raw, _QFORM_CODE, 0, 1)
        struct.pack_into("<f", raw, _SROW_X + 12, float("nan"))
    with pytest.raises(FormatError, match=r"nan.nii: the NIfTI header's world geometry .* NaN or Inf"):
        read_nifti(_write(tmp_path / "nan.nii", raw))


def test_image_refuses_non_finite_origin_and_direction():
    with pytest.raises(InputError, match="x.nrrd: origin .* must be 3 finite numbers"):
        Image(np.zeros((2, 2, 2)), origin=(0.0, np.nan, 0.0), source="x.nrrd")
    direction = np.eye(3)
    direction[1, 1] = np.inf
    with pytest.raises(InputError, match="direction must be a 3x3 matrix of finite numbers"):
        Image(np.zeros((2, 2, 2)), direction=direction)


@pytest.mark.parametrize("compressed", [True, False])
def test_info_on_a_nifti_renamed_txt_says_so_instead_of_printing_binary(tmp_path, capsys, compressed):
    img = Image(np.ones((3, 3, 2), np.float32))
    src = tmp_path / ("a.nii.gz" if compressed else "a.nii")
    write_nifti(img, src)
    shutil.copy(src, tmp_path / "labels.txt")
    assert main(["info", str(tmp_path / "labels.txt")]) == 2
    err = capsys.readouterr().err
    assert "labels.txt: holds a NIfTI-1 image" in err and "expected an ITK-SNAP label description file" in err
    assert "\\x" not in err and "\x00" not in err and len(err.strip().splitlines()) == 1


def test_roi_stats_label_names_from_a_binary_file_are_refused(tmp_path):
    from myomri.tables.roistats import read_names

    (tmp_path / "names.txt").write_bytes(b"1 VL\x00\x01\x02")
    with pytest.raises(FormatError, match="names.txt: holds binary data, not text"):
        read_names(tmp_path / "names.txt")
