"""``myomri demo-data --dicom``: the demo series as DICOM read back equal to the NIfTI files,
with sequence headers a classifier can use and synthetic patient fields only."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from myomri.cli import main
from myomri.config.demo import DemoConfig
from myomri.demo.dicom_export import write_subject_dicom
from myomri.demo.subject import simulate_subject
from myomri.io.read import read_image


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("dd") / "demo"
    assert main(["demo-data", str(out), "--subjects-per-group", "HC=1,DM=1", "--dicom", "--no-progress"]) == 0
    return out


def _headers(folder):
    return [pydicom.dcmread(str(f), stop_before_pixels=True) for f in sorted(folder.glob("*.dcm"))]


def test_series_folders_and_files_per_slice_and_echo(cohort):
    root = cohort / "dicom"
    assert sorted(p.name for p in root.iterdir()) == ["DEMO001", "DEMO002", "clinical.tsv"]
    names = sorted(p.name for p in (root / "DEMO001").iterdir())
    assert names == ["02_t2_tirm_tra_stir", "03_t2_mese_tra", "04_dixon_tra_W", "05_dixon_tra_F"]
    mese = _headers(root / "DEMO001" / "03_t2_mese_tra")
    assert len(mese) == 5 * 10  # 5 slices x 10 echoes
    assert sorted({float(h.EchoTime) for h in mese}) == [10.0 * n for n in range(1, 11)]
    # the demo MESE is simulated without slice profile, and its headers say 3D (DemoConfig.mese_slice_profile)
    assert {h.MRAcquisitionType for h in mese} == {"3D"} and len({h.SeriesInstanceUID for h in mese}) == 1
    assert {h.SequenceName for h in mese} == {"*se3d10"}
    stir = _headers(root / "DEMO001" / "02_t2_tirm_tra_stir")[0]
    assert stir.ScanningSequence == "IR" and float(stir.InversionTime) > 0
    water = _headers(root / "DEMO001" / "04_dixon_tra_W")[0]
    fat = _headers(root / "DEMO001" / "05_dixon_tra_F")[0]
    assert list(water.ImageType)[-1] == "WATER" and list(fat.ImageType)[-1] == "FAT"


def test_patient_fields_are_synthetic(cohort):
    for folder in (cohort / "dicom").glob("DEMO*/*"):
        h = _headers(folder)[0]
        assert h.PatientID == folder.parent.name and str(h.PatientName).startswith("Demo^Subject")
        assert "PatientBirthDate" not in h and "InstitutionName" not in h
    text = (cohort / "dicom" / "clinical.tsv").read_text().splitlines()
    assert text[0].split("\t")[0] == "patient_id" and text[1].startswith("DEMO001\t")


@pytest.mark.parametrize("key,folder", [("stir", "02_t2_tirm_tra_stir"), ("mese", "03_t2_mese_tra"),
                                        ("water", "04_dixon_tra_W"), ("fat", "05_dixon_tra_F")])
def test_dicom_reads_back_equal_to_nifti(cohort, key, folder):
    rel = {"stir": "anat/sub-001_stir", "mese": "mese/sub-001_mese", "water": "dixon/sub-001_water",
           "fat": "dixon/sub-001_fat"}[key]
    nii = read_image(cohort / "sub-001" / f"{rel}.nii.gz")
    dcm = read_image(cohort / "dicom" / "DEMO001" / folder)
    assert dcm.shape == nii.shape
    np.testing.assert_array_equal(np.asarray(dcm.array, dtype=float), np.asarray(nii.array, dtype=float))
    np.testing.assert_allclose(dcm.spacing, nii.spacing, atol=1e-4)
    np.testing.assert_allclose(dcm.origin, nii.origin, atol=1e-3)
    np.testing.assert_allclose(dcm.direction, nii.direction, atol=1e-6)
    if key == "mese":
        assert dcm.echo_times == pytest.approx(nii.echo_times)


def test_dicom_export_is_byte_identical_for_the_same_subject(tmp_path):
    data = simulate_subject(1, "sub-001", "HC", DemoConfig())
    a = write_subject_dicom(tmp_path / "a", data, 0)
    b = write_subject_dicom(tmp_path / "b", data, 0)
    assert [f.read_bytes() for f in a] == [f.read_bytes() for f in b]
