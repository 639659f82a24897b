"""NIfTI/NRRD round trips, JSON sidecars, echo-time validation, finite/empty checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from myomri.errors import EchoTimeError, FormatError, InputError, MissingFileError
from myomri.io.image import Image
from myomri.io.read import (
    check_finite,
    check_not_empty,
    read_image,
    require_echo_times,
    write_image,
)
from tests.io.tests_io_helpers import oblique_image


@pytest.mark.parametrize("name", ["x.nii.gz", "x.nii", "x.nrrd", "x.nhdr"])
def test_round_trip_keeps_oblique_geometry_and_values(tmp_path, name):
    img = oblique_image()
    out = write_image(img, tmp_path / name)
    back = read_image(out)
    np.testing.assert_allclose(back.direction, img.direction, atol=1e-6)
    np.testing.assert_allclose(back.spacing, img.spacing, atol=1e-6)
    np.testing.assert_allclose(back.origin, img.origin, atol=1e-5)
    np.testing.assert_array_equal(back.array, img.array)
    # the same voxel lands at the same world point
    np.testing.assert_allclose(back.index_to_world([3, 2, 1]), img.index_to_world([3, 2, 1]), atol=1e-4)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("name", ["e.nrrd", "e.nhdr"])
def test_nrrd_round_trip_keeps_4d_echo_times(tmp_path, name):
    img = oblique_image(n_echoes=4)
    back = read_image(write_image(img, tmp_path / name))
    assert back.shape == img.shape
    assert back.echo_times == img.echo_times
    np.testing.assert_array_equal(back.array, img.array)


def test_nrrd_in_ras_space_is_converted_to_lps(tmp_path):
    import nrrd

    data = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    header = {"space": "right-anterior-superior", "space origin": [10.0, 20.0, 30.0],
              "space directions": np.diag([-0.5, 0.7, 2.0])}
    nrrd.write(str(tmp_path / "r.nrrd"), data, header, index_order="F")
    img = read_image(tmp_path / "r.nrrd")
    np.testing.assert_allclose(img.origin, (-10.0, -20.0, 30.0))
    np.testing.assert_allclose(img.spacing, (0.5, 0.7, 2.0))
    np.testing.assert_allclose(img.direction, np.diag([1.0, -1.0, 1.0]))
    assert img.orientation == "LAS"


def test_write_image_unknown_extension_raises_and_leaves_nothing(tmp_path):
    with pytest.raises(FormatError, match="out.png"):
        write_image(oblique_image(), tmp_path / "out.png")
    assert list(tmp_path.iterdir()) == []


def test_nifti_written_from_dicom_meta_has_no_patient_text(tmp_path):
    img = oblique_image()
    img.meta.update(PatientName="Secret^Person", InstitutionName="Hidden Hospital")
    out = write_image(img, tmp_path / "p.nii")
    raw = out.read_bytes()
    assert b"Secret" not in raw and b"Hidden" not in raw


def _mese_nifti(tmp_path, echo_times_s=None, n=4, **extra):
    img = oblique_image(n_echoes=n)
    img.echo_times = None
    path = write_image(img, tmp_path / "sub-01_mese.nii.gz")
    if echo_times_s is not None or extra:
        side = {"EchoTime": echo_times_s, **extra} if echo_times_s is not None else dict(extra)
        (tmp_path / "sub-01_mese.json").write_text(json.dumps(side))
    return path


def test_mese_nifti_sidecar_echo_times_seconds_become_ms(tmp_path):
    path = _mese_nifti(tmp_path, [0.01, 0.02, 0.03, 0.04], RepetitionTime=3.0, FlipAngle=90,
                       MagneticFieldStrength=3, SeriesDescription="mese", PatientName="X^Y",
                       InstitutionName="Somewhere")
    img = read_image(path)
    assert img.echo_times == (10.0, 20.0, 30.0, 40.0)
    assert img.meta["RepetitionTime"] == 3000.0
    assert img.meta["MagneticFieldStrength"] == 3
    assert img.meta["SeriesDescription"] == "mese"
    assert "PatientName" not in img.meta and "InstitutionName" not in img.meta
    assert require_echo_times(img) is img


def test_sidecar_with_wrong_echo_count_raises_echo_time_error(tmp_path):
    path = _mese_nifti(tmp_path, [0.01, 0.02, 0.03])
    with pytest.raises(EchoTimeError, match="3 echo times for the 4 volumes"):
        read_image(path)


def test_sidecar_echo_times_in_ms_are_refused(tmp_path):
    path = _mese_nifti(tmp_path, [10, 20, 30, 40])
    with pytest.raises(EchoTimeError, match="looks like milliseconds"):
        read_image(path)


def test_4d_nifti_without_echo_times_raises_from_require_echo_times(tmp_path):
    img = read_image(_mese_nifti(tmp_path))
    assert img.echo_times is None
    with pytest.raises(EchoTimeError, match="sub-01_mese.nii.gz.*no echo times"):
        require_echo_times(img)
    fixed = require_echo_times(img, [10, 20, 30, 40])
    assert fixed.echo_times == (10.0, 20.0, 30.0, 40.0)


def test_require_echo_times_rejects_mismatch_unsorted_duplicates_and_3d():
    img = oblique_image(n_echoes=3)
    with pytest.raises(EchoTimeError, match="2 echo times for 3 volumes"):
        require_echo_times(img, [10, 20])
    with pytest.raises(EchoTimeError, match="not strictly increasing"):
        require_echo_times(img, [10, 30, 20])
    with pytest.raises(EchoTimeError, match="not strictly increasing"):
        require_echo_times(img, [10, 20, 20])
    with pytest.raises(EchoTimeError, match="3-D image"):
        require_echo_times(oblique_image(), [10])


def test_check_finite_counts_nan_and_inf_and_names_file():
    img = oblique_image().with_array(oblique_image().array.astype(float), source="scan.nii.gz")
    img.source = "scan.nii.gz"
    assert check_finite(img) is img
    bad = img.array.copy()
    bad[0, 0, 0] = np.nan
    bad[1, 0, 0] = np.inf
    bad[2, 0, 0] = np.nan
    with pytest.raises(InputError, match=r"scan.nii.gz: 3 of 60 voxels are not finite \(2 NaN, 1 Inf\)"):
        check_finite(img.with_array(bad))


def test_check_not_empty_rejects_all_zero_image():
    img = oblique_image()
    assert check_not_empty(img) is img
    with pytest.raises(InputError, match="every one of the 60 voxels is 0"):
        check_not_empty(img.with_array(np.zeros(img.shape)))
    with pytest.raises(InputError, match=r"empty.nrrd: image has no voxels \(shape \(0, 4, 1\)\)"):
        check_not_empty(Image(np.zeros((0, 4, 1)), source="empty.nrrd"))


def test_missing_and_unknown_files_raise_typed_errors(tmp_path):
    with pytest.raises(MissingFileError, match="absent.nii.gz"):
        read_image(tmp_path / "absent.nii.gz")
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    with pytest.raises(FormatError, match="unknown image format"):
        read_image(tmp_path / "a.png")
    (tmp_path / "broken.nii.gz").write_bytes(b"not gzip")
    with pytest.raises(FormatError, match="broken.nii.gz"):
        read_image(tmp_path / "broken.nii.gz")
    (tmp_path / "broken.nrrd").write_bytes(b"NRRD0004\ntype: what\n")
    with pytest.raises(FormatError, match="broken.nrrd"):
        read_image(tmp_path / "broken.nrrd")


def test_image_type_is_shared_with_readers():
    assert isinstance(oblique_image(), Image)


def test_2d_nifti_reads_as_single_slice(tmp_path):
    import nibabel as nib

    aff = np.diag([-0.8, -0.8, 8.0, 1.0])
    nib.save(nib.Nifti1Image(np.arange(12, dtype=np.int16).reshape(3, 4), aff), tmp_path / "roi.nii.gz")
    img = read_image(tmp_path / "roi.nii.gz")
    assert img.shape == (3, 4, 1)
    np.testing.assert_allclose(img.spacing[:2], (0.8, 0.8))


def test_nrrd_picks_up_sidecar_echo_times(tmp_path):
    img = oblique_image(n_echoes=3)
    img.echo_times = None
    path = write_image(img, tmp_path / "sub-01_mese.nrrd")
    (tmp_path / "sub-01_mese.json").write_text(json.dumps({"EchoTime": [0.01, 0.02, 0.03]}))
    assert read_image(path).echo_times == (10.0, 20.0, 30.0)


def test_sidecar_contradicting_stored_echo_times_raises(tmp_path):
    path = write_image(oblique_image(n_echoes=3), tmp_path / "e.nrrd")  # stores 10, 20, 30 ms
    (tmp_path / "e.json").write_text(json.dumps({"EchoTime": [0.01, 0.02, 0.04]}))
    with pytest.raises(EchoTimeError, match="disagrees"):
        read_image(path)


@pytest.mark.parametrize("name", ["bad.nii.gz", "bad.nrrd", "bad.nhdr"])
def test_failed_write_leaves_no_partial_file(tmp_path, name):
    img = oblique_image()
    img.array = np.empty(img.shape, dtype=object)  # no writer can store Python objects
    with pytest.raises(FormatError, match=f"{name}: cannot write"):
        write_image(img, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
