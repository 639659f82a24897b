"""The numpy-only NIfTI-1 reader (myomri.io._nifti1) against nibabel, its peer.

Every NIfTI file of the shared reference data, and files written here with each voxel type, byte
order, scaling and dimensionality, must read to the same array (dtype, values bit for bit, memory
order irrelevant) and the same affine as nibabel gives; files it does not handle go to nibabel.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from myomri.errors import FormatError
from myomri.io import _nifti1
from myomri.io.nifti import _read_nibabel, read_nifti, read_nifti_header


def _nibabel_reference(path: Path):
    """What myomri read through nibabel before this reader (and still does for other files)."""
    array, affine, stored = _read_nibabel(path)
    assert nib.load(str(path)).shape == array.shape
    return array, affine, stored


def _same(path: Path) -> None:
    header = _nifti1.read_plain_header(path)
    assert header is not None, f"{path}: expected the fast reader to take it"
    array = _nifti1.read_plain_nifti1(path, header)
    ref, affine, stored = _nibabel_reference(path)
    assert array is not None
    assert array.dtype == ref.dtype and array.shape == ref.shape
    assert array.flags.writeable
    np.testing.assert_array_equal(array, ref, strict=True)
    np.testing.assert_array_equal(header.affine, affine)
    assert str(header.dtype) == str(stored)


def test_reference_files_read_as_nibabel_reads_them(reference):
    files = sorted(reference.rglob("*.nii*"))
    taken = 0
    for path in files:
        if _nifti1.read_plain_header(path) is None:
            continue  # nibabel's path: covered by the other io tests
        _same(path)
        taken += 1
    assert taken >= 0.8 * len(files), f"only {taken} of {len(files)} reference files read fast"


def _write(path: Path, data: np.ndarray, *, slope=None, inter=None, qform_only=False, big_endian=False) -> Path:
    affine = np.array([[-0.8, 0.1, 0, 12.5], [0.05, 0.78, 0.2, -30.25], [0, -0.1, 3.0, 7.0], [0, 0, 0, 1]])
    header = nib.Nifti1Header()
    header.set_data_dtype(data.dtype)  # nibabel refuses 64-bit integers unless told the type
    img = nib.Nifti1Image(data, None if qform_only else affine, header=header)
    if qform_only:
        img.set_qform(affine, code=1)
        img.set_sform(None, code=0)
    if slope is not None:
        img.header.set_slope_inter(slope, inter)
    if big_endian:
        img = nib.Nifti1Image(data, affine, header=img.header.as_byteswapped(">"))
    nib.save(img, str(path))
    return path


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"])
@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_every_voxel_type_unscaled(tmp_path, dtype, suffix):
    rng = np.random.default_rng(3)
    data = (rng.random((7, 5, 4)) * 100).astype(dtype)
    _same(_write(tmp_path / f"x{suffix}", data))


@pytest.mark.parametrize("dtype", ["i2", "u1", "f4"])
@pytest.mark.parametrize(("slope", "inter"), [(2.5, -7.25), (1.0, 3.0), (0.3, 0.0), (1.0, 0.0)])
def test_scaling_applied_in_nibabels_order(tmp_path, dtype, slope, inter):
    data = (np.random.default_rng(4).random((6, 5, 3)) * 50).astype(dtype)
    path = _write(tmp_path / "s.nii.gz", data, slope=slope, inter=inter)
    _same(path)
    identity = (slope, inter) == (1.0, 0.0) and dtype != "f4"  # nibabel then gives the stored integers
    assert read_nifti(path).array.dtype == (np.dtype(dtype) if identity else np.float64)


def test_big_endian_and_4d_and_trailing_dims(tmp_path):
    data = np.arange(5 * 4 * 3 * 2, dtype=np.int16).reshape(5, 4, 3, 2)
    _same(_write(tmp_path / "be.nii", data, big_endian=True))
    _same(_write(tmp_path / "four.nii.gz", data.astype(np.float32)))
    five = _write(tmp_path / "five.nii.gz", data.reshape(5, 4, 3, 2, 1))
    _same(five)
    assert read_nifti(five).array.shape == (5, 4, 3, 2)
    assert read_nifti_header(five) == ((5, 4, 3, 2), "int16")


def test_read_nifti_gives_the_same_image_either_way(tmp_path, monkeypatch):
    data = (np.random.default_rng(5).random((9, 8, 3)) * 1000).astype(np.int16)
    path = _write(tmp_path / "a.nii.gz", data, slope=0.5, inter=1.0)
    fast = read_nifti(path)
    monkeypatch.setattr("myomri.io.nifti.read_plain_header", lambda p: None)  # force nibabel
    slow = read_nifti(path)
    np.testing.assert_array_equal(fast.array, slow.array, strict=True)
    assert fast.spacing == slow.spacing and fast.origin == slow.origin
    np.testing.assert_array_equal(fast.direction, slow.direction)
    assert fast.meta == slow.meta


def test_files_it_does_not_handle_go_to_nibabel(tmp_path):
    data = np.ones((4, 4, 2), dtype=np.float32)
    qonly = _write(tmp_path / "q.nii", data, qform_only=True)
    assert _nifti1.read_plain_header(qonly) is None
    np.testing.assert_allclose(read_nifti(qonly).spacing, nib.load(str(qonly)).header.get_zooms()[:3], rtol=1e-6)
    two = tmp_path / "n2.nii"
    nib.save(nib.Nifti2Image(data, np.eye(4)), str(two))
    assert _nifti1.read_plain_header(two) is None
    assert read_nifti(two).shape == (4, 4, 2)
    pair = tmp_path / "pair.img"
    nib.save(nib.Nifti1Pair(data, np.eye(4)), str(pair))
    assert _nifti1.read_plain_header(tmp_path / "pair.hdr") is None
    cplx = tmp_path / "c.nii"
    nib.save(nib.Nifti1Image(data.astype(np.complex64), np.eye(4)), str(cplx))
    assert _nifti1.read_plain_header(cplx) is None


def test_damaged_files_are_refused_with_the_file_named(tmp_path):
    path = _write(tmp_path / "t.nii.gz", np.random.default_rng(6).random((40, 40, 10)).astype(np.float32))
    blob = gzip.decompress(path.read_bytes())
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes(gzip.compress(blob[: len(blob) // 2]))
    with pytest.raises(FormatError, match="cut.nii.gz"):
        read_nifti(cut)
    short = tmp_path / "short.nii"
    short.write_bytes(blob[: len(blob) - 100])
    with pytest.raises(FormatError, match="short.nii.*truncated"):
        read_nifti(short)
    garbage = tmp_path / "g.nii.gz"
    garbage.write_bytes(path.read_bytes()[:200] + b"\0" * 500)
    with pytest.raises(FormatError, match="g.nii.gz"):
        read_nifti(garbage)


def test_multi_member_gzip(tmp_path):
    path = _write(tmp_path / "m.nii", np.arange(60, dtype=np.int32).reshape(5, 4, 3))
    blob = path.read_bytes()
    multi = tmp_path / "multi.nii.gz"
    multi.write_bytes(gzip.compress(blob[:500]) + gzip.compress(blob[500:]))
    _same(multi)


def test_isal_inflate_gives_zlibs_bytes(reference, monkeypatch):
    """The ISA-L inflate (when installed) and the standard library's zlib read the same voxels."""
    paths = [p for p in sorted(reference.rglob("*.nii.gz")) if _nifti1.read_plain_header(p) is not None][:6]
    assert paths
    fast = [_nifti1.read_plain_nifti1(p, _nifti1.read_plain_header(p)) for p in paths]
    import zlib

    monkeypatch.setattr(_nifti1, "_inflate", zlib)
    for p, a in zip(paths, fast):
        b = _nifti1.read_plain_nifti1(p, _nifti1.read_plain_header(p))
        np.testing.assert_array_equal(a, b, strict=True)
