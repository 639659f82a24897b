"""No protected health information in any output: T2 stage on a DICOM series whose header still
holds a birth date, age, sex, weight, height, institution and dates (MyoQMRI's calf example)."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest
import yaml

#: Header values of ../shared/reference/muscle/myoqmri_mese_calf/dicom (checked below with pydicom).
PHI_VALUES = ("loeschen", "19881212", "036Y", "Universitaetsspital", "Basel", "20250121", "2025.01.21",
              "AWP66003", "Street StreetNo")
PHI_FIELDS = ("PatientName", "PatientID", "PatientBirthDate", "PatientAge", "PatientSex", "PatientWeight",
              "PatientSize", "InstitutionName", "InstitutionAddress", "StudyDate", "SeriesDate",
              "ContentDate", "StationName", "BirthDate")


@pytest.fixture
def dicom_study(reference, tmp_path):
    import pydicom

    from myomri.io.nifti import write_nifti
    from myomri.io.read import read_image

    dicom = reference / "muscle" / "myoqmri_mese_calf" / "dicom"
    header = pydicom.dcmread(sorted(dicom.glob("*.dcm"))[0], stop_before_pixels=True)
    # the test is only meaningful while the header really holds these values
    assert str(header.PatientBirthDate) == "19881212" and str(header.PatientAge) == "036Y"
    assert str(header.PatientWeight) == "73" and "Basel" in str(header.InstitutionName)
    image = read_image(dicom)
    first = image.volume(0)
    mask = np.zeros(first.spatial_shape, np.uint8)
    i, j, k = (s // 2 for s in first.spatial_shape)
    mask[i - 8:i + 8, j - 8:j + 8, k] = 1  # a small calf-muscle box on the centre slice
    write_nifti(first.with_array(mask), tmp_path / "roi.nii.gz")
    (tmp_path / "subjects.csv").write_text(f"subject,mese,dseg\nP01,{dicom},roi.nii.gz\nP02,{dicom},roi.nii.gz\n")
    (tmp_path / "clinical.csv").write_text("participant_id,group,CK\nP01,PM,900\nP02,HC,80\n")
    study = {"subjects": "subjects.csv", "clinical": "clinical.csv", "features": {"enabled": False},
             "t2": {"model": "epg", "fat_fraction": "fit"}, "segmentation": {"method": "given"},
             "statistics": {"positive": ["PM"], "negative": ["HC"], "correlations": ["CK"],
                            "continuous": ["CK"], "categorical": []}}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study))
    return tmp_path / "study.yaml"


def _leaks(data: bytes) -> list[str]:
    text = data.decode("latin-1")
    found = [v for v in PHI_VALUES if v.lower() in text.lower()]
    found += [f for f in PHI_FIELDS if re.search(rf"\b{f}\b", text, re.IGNORECASE)]
    return found


@pytest.mark.slow
def test_no_dicom_patient_field_reaches_any_output(dicom_study, tmp_path, capsys):
    from myomri.cli import main

    out = tmp_path / "out"
    rc = main(["run", str(dicom_study), "-o", str(out), "--no-progress"])
    printed = capsys.readouterr()
    assert rc in (0, 1)  # 1: statistics with one subject per group may record a failure; never a crash
    t2 = (out / "stages" / "t2" / "P01" / "t2.nii.gz")
    assert t2.is_file() and (out / "report.html").is_file() and (out / "run_manifest.json").is_file()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".gz" for p in files) and any(p.suffix == ".csv" for p in files)
    leaks = {}
    for p in files:
        data = p.read_bytes()
        if p.suffix == ".gz":
            data = gzip.decompress(data)  # NIfTI header (descrip, aux_file, intent, extensions) and data
        found = _leaks(data)
        if found:
            leaks[str(p.relative_to(out))] = found
    found = _leaks((printed.out + printed.err).encode())
    if found:
        leaks["<console>"] = found
    assert leaks == {}
    # the subjects keep the study file's pseudonymous ids
    assert "P01" in (out / "stages" / "stats" / "t2_subjects.csv").read_text()


def test_the_leak_detector_finds_the_fields_in_the_source_dicom(reference):
    raw = sorted((reference / "muscle" / "myoqmri_mese_calf" / "dicom").glob("*.dcm"))[0].read_bytes()
    found = _leaks(raw)  # the raw file holds the values (field names are binary tags, not text)
    assert {"19881212", "036Y", "Universitaetsspital", "loeschen"} <= set(found)
    assert _leaks(b'{"PatientWeight": 73}') == ["PatientWeight"]
