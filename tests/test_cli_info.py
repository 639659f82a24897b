"""``myomri info``: describes every file of the muscle reference data, JSON output, no patient fields."""

from __future__ import annotations

import json

import numpy as np
import pytest

from myomri.cli import main



def _io_helpers():
    """tests/io/tests_io_helpers.py (a package module: ``tests.io`` does not shadow ``io``)."""
    from tests.io import tests_io_helpers

    return tests_io_helpers


def _files(reference):
    root = reference / "muscle"
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name != "dicom")
    return files + [root / "myoqmri_mese_calf" / "dicom"]


def test_info_describes_every_file_of_the_muscle_reference(reference, capsys):
    for path in _files(reference):
        rc = main(["info", str(path), "--json"])
        out = capsys.readouterr()
        assert rc == 0, (path, out.err)
        info = json.loads(out.out)
        assert info["path"] == str(path)
        assert info["format"] in {"dicom", "nifti", "npz", "table", "itksnap-labels", "text"}


def test_info_json_myoqmri_dicom_reports_echoes_geometry_and_series(reference, capsys):
    assert main(["info", "--json", str(reference / "muscle" / "myoqmri_mese_calf" / "dicom")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["shape"] == [256, 128, 8, 17]
    assert info["echo_times_ms"] == [float(t) for t in range(11, 188, 11)]
    assert info["spacing_mm"][:2] == [1.5625, 1.5625]
    assert info["origin_lps_mm"] == pytest.approx([-203.753, -51.3166, -174.532])
    assert info["meta"]["SeriesDescription"] == "mese_product"
    assert info["meta"]["MagneticFieldStrength"] == 3.0
    assert info["dtype"] == "uint16" and info["value_range"] == [0, 4095]


def test_info_output_never_shows_patient_fields_of_myoqmri_dicom(reference, capsys):
    folder = reference / "muscle" / "myoqmri_mese_calf" / "dicom"
    for args in (["info", str(folder)], ["info", "--json", str(folder)],
                 ["info", str(folder / "image0001.dcm")]):
        assert main(args) == 0
        text = capsys.readouterr().out
        # birth date / age / weight / height / institution stored in the header
        import pydicom

        ds = pydicom.dcmread(folder / "image0001.dcm", stop_before_pixels=True)
        for value in (ds.PatientBirthDate, ds.PatientAge, ds.PatientWeight, ds.PatientSize,
                      ds.InstitutionName, ds.PatientName):
            value = str(value)
            if len(value) >= 3:  # short numbers like "73" could appear in value ranges by chance
                assert value not in text, value
        for needle in ("Patient", "Institution", "BirthDate", "loeschen"):
            assert needle not in text


def test_info_npz_reports_arrays_and_no_geometry(reference, capsys):
    path = reference / "muscle" / "dafne_eval_calf_slices" / "pd_manual_rois.npz"
    assert main(["info", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["arrays"]["Soleus_R"] == {"shape": [160, 320, 1], "dtype": "uint8",
                                          "value_range": [0, 1], "nonzero": 2599}
    assert "no world geometry" in info["note"]


def test_info_qmritools_t2data_is_described_as_uninterpreted_4d(reference, capsys):
    assert main(["info", "--json", str(reference / "muscle" / "qmritools_calf" / "T2data.nii.gz")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["shape"] == [160, 160, 13, 18]
    assert info["spacing_mm"] == [3.0, 3.0, 12.0]
    assert info["echo_times_ms"] is None and "not interpreted" in info["note"]
    assert info["meta"]["StoredDataType"] == "int16"


def test_info_text_lists_series_of_a_folder_with_two(tmp_path, capsys):
    write_classic_series = _io_helpers().write_classic_series

    write_classic_series(tmp_path / "a", series_number=3, description="t2_mese", series_uid="1.2.3.1")
    write_classic_series(tmp_path / "b", series_number=7, description="dixon_w", series_uid="1.2.3.2")
    assert main(["info", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "number=3, description=t2_mese, n_frames=6" in text
    assert "number=7, description=dixon_w" in text and "--series" in text
    assert "Secret" not in text and "Hidden" not in text
    assert main(["info", str(tmp_path), "--series", "7"]) == 0
    assert "shape: [6, 5, 3, 2]" in capsys.readouterr().out


def test_info_bad_input_prints_one_line_and_exits_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.nii.gz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.nii.gz" in err
    junk = tmp_path / "x.bin"
    junk.write_bytes(np.arange(10, dtype=np.uint8).tobytes())
    assert main(["info", str(junk)]) == 2
    assert "not something myomri can describe" in capsys.readouterr().err
