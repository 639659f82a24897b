"""DICOM reading: the MyoQMRI enhanced series against its README, synthetic classic series, bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from myomri.errors import AmbiguousSeriesError, FormatError, InputError, MissingFileError
from myomri.io.dicom import list_dicom_series
from myomri.io.read import read_image

PHI = ("loeschen", "036Y", "73", "1.75", "Basel", "Universit")


@pytest.fixture(scope="module")
def myoqmri(reference):
    return read_image(reference / "muscle" / "myoqmri_mese_calf" / "dicom")


def test_myoqmri_reads_as_17_echoes_11_to_187_ms(myoqmri):
    assert myoqmri.shape == (256, 128, 8, 17)  # i = 256 columns, j = 128 rows
    np.testing.assert_allclose(myoqmri.echo_times, np.arange(11, 188, 11))
    assert myoqmri.array.dtype == np.uint16 and myoqmri.array.max() <= 4095


def test_myoqmri_geometry_matches_readme(myoqmri):
    np.testing.assert_allclose(myoqmri.spacing[:2], (1.5625, 1.5625))
    np.testing.assert_allclose(myoqmri.spacing[2], 37.1, atol=0.01)
    np.testing.assert_allclose(myoqmri.origin, (-203.753, -51.317, -174.532), atol=1e-3)
    np.testing.assert_allclose(myoqmri.direction[:, 0], (1, 0, 0), atol=1e-6)
    np.testing.assert_allclose(myoqmri.direction[:, 1], (0, 0.99593, 0.09017), atol=1e-4)
    last = myoqmri.index_to_world([0, 0, 7])
    np.testing.assert_allclose((last - np.asarray(myoqmri.origin)) / 7, (0, -3.345, 36.949), atol=2e-3)
    assert myoqmri.meta["MagneticFieldStrength"] == 3.0
    assert myoqmri.meta["RepetitionTime"] == 5000.0
    assert myoqmri.meta["SeriesDescription"] == "mese_product"
    assert myoqmri.meta["DicomFormat"] == "enhanced"


def test_myoqmri_ras_affine_matches_myoqmri_nifti_output_with_axes_swapped(myoqmri, reference):
    import nibabel as nib

    nii = nib.load(reference / "muscle" / "myoqmri_mese_calf" / "myoqmri_2.0.2_output" / "water_T2_ms.nii.gz")
    # MyoQMRI stores rows first (128 x 256): its axes 0/1 are our j/i.
    assert nii.shape == (128, 256, 8)
    ours = myoqmri.affine_ras[:, [1, 0, 2, 3]]
    np.testing.assert_allclose(ours, nii.affine, atol=2e-3)


def test_myoqmri_first_echo_pixels_equal_first_file_transposed(myoqmri, reference):
    import pydicom

    ds = pydicom.dcmread(reference / "muscle" / "myoqmri_mese_calf" / "dicom" / "image0001.dcm")
    frames = ds.pixel_array  # file order is slice order here (positions increase along normal)
    np.testing.assert_array_equal(myoqmri.array[:, :, 3, 0], frames[3].T)


def test_myoqmri_meta_holds_no_patient_fields(myoqmri):
    text = repr(myoqmri.meta)
    for needle in PHI:
        assert needle not in text
    for key in ("PatientName", "PatientBirthDate", "PatientAge", "PatientWeight", "PatientSize",
                "InstitutionName", "StudyDate", "PatientSex"):
        assert key not in myoqmri.meta


def test_single_enhanced_file_reads_as_3d_with_its_echo_time(myoqmri_dicom):
    img = read_image(myoqmri_dicom / "image0002.dcm")
    assert img.shape == (256, 128, 8)
    assert img.meta["EchoTime"] == 22.0
    assert img.echo_times is None


def test_classic_oblique_series_geometry_and_values(tmp_path, classic_series):
    truth = classic_series(tmp_path / "s", shape=(6, 5, 3), echo_times=(20.0, 10.0))
    img = read_image(tmp_path / "s")
    assert img.shape == (6, 5, 3, 2)
    assert img.echo_times == (10.0, 20.0)
    np.testing.assert_allclose(img.direction, truth["direction"], atol=1e-6)
    np.testing.assert_allclose(img.spacing, truth["spacing"], atol=1e-5)
    np.testing.assert_allclose(img.origin, truth["origin"], atol=1e-5)
    # echo_times were written as (20, 10): volume 0 (10 ms) is the one written as e = 1.
    np.testing.assert_array_equal(img.array[..., 0], truth["array"][..., 1])
    np.testing.assert_array_equal(img.array[..., 1], truth["array"][..., 0])
    assert img.meta["DicomFormat"] == "classic"
    assert "Secret" not in repr(img.meta) and "Hidden" not in repr(img.meta)


def test_classic_rescale_slope_intercept_applied(tmp_path, classic_series):
    truth = classic_series(tmp_path / "s", echo_times=(15.0,), slope=0.5, intercept=-3.0)
    img = read_image(tmp_path / "s")
    assert img.shape == (6, 5, 3)
    assert img.meta["EchoTime"] == 15.0
    np.testing.assert_allclose(img.array, truth["array"][..., 0])


def test_folder_with_two_series_raises_listing_both_and_series_picks_one(tmp_path, classic_series):
    classic_series(tmp_path / "a", series_number=3, description="t2_mese", series_uid="1.2.3.1")
    classic_series(tmp_path / "b", series_number=7, description="dixon_w", series_uid="1.2.3.2",
                   echo_times=(2.4,))
    with pytest.raises(AmbiguousSeriesError) as err:
        read_image(tmp_path)
    msg = str(err.value)
    assert "#3 't2_mese'" in msg and "#7 'dixon_w'" in msg and "2 series" in msg
    assert read_image(tmp_path, series=7).meta["SeriesDescription"] == "dixon_w"
    assert read_image(tmp_path, series="T2_MESE").n_volumes == 2
    assert read_image(tmp_path, series="1.2.3.2").meta["SeriesNumber"] == 7
    with pytest.raises(InputError, match="no series matches '9'"):
        read_image(tmp_path, series=9)
    listing = list_dicom_series(tmp_path)
    assert [(s["number"], s["n_frames"]) for s in listing] == [(3, 6), (7, 3)]


def test_truncated_dicom_raises_format_error_naming_file(tmp_path, myoqmri_dicom):
    src = (myoqmri_dicom / "image0001.dcm").read_bytes()
    bad = tmp_path / "cut.dcm"
    bad.write_bytes(src[: len(src) // 2])
    with pytest.raises(FormatError, match="cut.dcm"):
        read_image(bad)


def test_truncated_file_inside_a_series_folder_raises_format_error(tmp_path, myoqmri_dicom):
    for f in sorted(myoqmri_dicom.glob("*.dcm"))[:3]:
        shutil.copy(f, tmp_path / f.name)
    data = (tmp_path / "image0002.dcm").read_bytes()
    (tmp_path / "image0002.dcm").write_bytes(data[:-5000])
    with pytest.raises(FormatError, match="image0002.dcm"):
        read_image(tmp_path)


def test_junk_file_with_dcm_extension_raises_format_error(tmp_path):
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"this is not a DICOM file at all" * 10)
    with pytest.raises(FormatError, match="junk.dcm"):
        read_image(junk)


def test_folder_without_dicom_raises_format_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(FormatError, match="no DICOM images"):
        read_image(tmp_path)


def test_missing_path_raises_missing_file_error(tmp_path):
    with pytest.raises(MissingFileError, match="nothere"):
        read_image(tmp_path / "nothere")


def test_enhanced_file_with_shared_group_fallback_and_rescale(tmp_path):
    from tests.io.tests_io_helpers import write_enhanced_file

    truth = write_enhanced_file(tmp_path / "enh.dcm", echo_times=(24.0, 12.0, 36.0))
    img = read_image(tmp_path / "enh.dcm")
    assert img.shape == (5, 4, 3, 3)
    assert img.echo_times == (12.0, 24.0, 36.0)
    np.testing.assert_allclose(img.direction, truth["direction"], atol=1e-6)
    np.testing.assert_allclose(img.spacing, truth["spacing"], atol=1e-5)
    np.testing.assert_allclose(img.origin, truth["origin"], atol=1e-5)
    # sorted by echo time: volumes (12, 24, 36) ms were written as e = (1, 0, 2)
    np.testing.assert_allclose(img.array, truth["array"][..., [1, 0, 2]])
    assert img.meta["DicomFormat"] == "enhanced" and "Secret" not in repr(img.meta)


def test_uneven_slice_gaps_raise_geometry_error(tmp_path, classic_series):
    from myomri.errors import GeometryError

    classic_series(tmp_path / "s", shape=(4, 4, 3), echo_times=(10.0,))
    import pydicom

    # move one slice by 1 mm along the normal: gaps 3 and 5 mm instead of 4 and 4
    for f in sorted((tmp_path / "s").glob("*.dcm")):
        ds = pydicom.dcmread(f)
        iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
        normal = np.cross(iop[:3], iop[3:])
        pos = np.asarray(ds.ImagePositionPatient, dtype=float)
        if abs((pos - np.asarray([-100.0, 20.0, 35.0])) @ normal - 4.0) < 1e-3:
            ds.ImagePositionPatient = [f"{v:.6f}" for v in pos - normal]
            ds.save_as(f)
    with pytest.raises(GeometryError, match="uneven"):
        read_image(tmp_path / "s")
