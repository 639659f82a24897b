"""``myomri init``: DICOM tree -> study file, with the bad inputs of issue 15 (tiny synthetic series)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import InputError, StudyInputError
from myomri.io.dicom_write import stable_uid, write_dicom_series
from myomri.io.image import Image
from myomri.io.init_study import init_study
from myomri.pipeline.config import load_pipeline

KINDS = {
    "stir": ({"ScanningSequence": "IR", "InversionTime": "160", "SeriesDescription": "stir_tra"}, None),
    "mese": ({"ScanningSequence": "SE", "SeriesDescription": "t2_mese"}, (10.0, 20.0, 30.0, 40.0)),
    "water": ({"ScanningSequence": "GR", "ImageType": ["DERIVED", "PRIMARY", "DIXON", "WATER"],
               "SeriesDescription": "dixon_W"}, None),
    "fat": ({"ScanningSequence": "GR", "ImageType": ["DERIVED", "PRIMARY", "DIXON", "FAT"],
             "SeriesDescription": "dixon_F"}, None),
}


def _write(folder, patient, kind, tag=""):
    hdr, tes = KINDS[kind]
    shape = (6, 5, 3) + ((len(tes),) if tes else ())
    img = Image(np.arange(np.prod(shape), dtype=np.int16).reshape(shape), spacing=(2, 2, 5), echo_times=tes)
    uid = stable_uid("test", patient, kind, tag)
    write_dicom_series(img, folder, header={"PatientID": patient, "PatientName": f"Secret^{patient}",
                                            "SeriesNumber": 1, **hdr}, series_uid=uid,
                       prefix=f"{patient}_{kind}{tag}_")
    return uid


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "export"
    for pid in ("P-ALPHA", "P-BETA"):
        for kind in KINDS:
            _write(root / pid / kind, pid, kind)
    return root


def test_tree_gives_study_that_run_accepts_and_no_patient_field(tree, tmp_path):
    out = tmp_path / "study" / "study.yaml"
    result = init_study(tree, out)
    assert result.subjects == ["sub-001", "sub-002"] and result.count("used") == 8
    cfg = load_pipeline(out)  # what 'myomri run' validates first
    spec = {s.subject: s for s in cfg.subjects}["sub-001"]
    assert spec.mese is not None and spec.water is not None and spec.fat is not None
    for name in ("study.yaml", "manifest.csv", "series.csv", "participants.tsv"):
        text = (out.parent / name).read_text()
        assert "P-ALPHA" not in text and "Secret" not in text, name
    key = _rows(out.parent / "subject_key.csv")
    assert key == [{"subject": "sub-001", "patient_id": "P-ALPHA"}, {"subject": "sub-002", "patient_id": "P-BETA"}]


def test_two_stir_series_are_ambiguous_with_the_override_shown(tree, tmp_path):
    second = _write(tree / "P-ALPHA" / "stir2", "P-ALPHA", "stir", tag="b")
    out = tmp_path / "s" / "study.yaml"
    rc = main(["init", str(tree), "-o", str(out)])
    assert rc == 1
    amb = [r for r in _rows(out.parent / "series.csv") if r["status"] == "ambiguous"]
    assert len(amb) == 2 and {r["subject"] for r in amb} == {"sub-001"}
    assert f"--role {second}=stir" in amb[0]["reason"]
    assert _rows(out.parent / "manifest.csv")[0]["image"] == ""  # nothing guessed
    assert main(["init", str(tree), "-o", str(out), "--role", f"{second}=stir"]) == 0
    rows = _rows(out.parent / "series.csv")
    assert [r["series_uid"] for r in rows if r["role"] == "stir" and r["status"] == "used" and
            r["subject"] == "sub-001"] == [second]


def test_subject_without_mese_is_listed_and_kept_without_t2(tree, tmp_path):
    for f in (tree / "P-BETA" / "mese").iterdir():
        f.unlink()
    out = tmp_path / "s" / "study.yaml"
    init_study(tree, out)
    manifest = {r["subject"]: r for r in _rows(out.parent / "manifest.csv")}
    assert manifest["sub-002"]["mese"] == "" and manifest["sub-001"]["mese"] != ""
    specs = {s.subject: s for s in load_pipeline(out).subjects}
    assert specs["sub-002"].mese is None  # the T2 stage skips it and lists it; never an error


def test_clinical_ids_matching_no_subject_name_both_sets(tree, tmp_path):
    table = tmp_path / "clin.csv"
    table.write_text("patient_id,group\nX1,PM\nX2,HC\n")
    with pytest.raises(StudyInputError, match=r"table ids \['X1', 'X2'\]; dataset subjects \['sub-001', 'sub-002'\]"):
        init_study(tree, tmp_path / "s" / "study.yaml", clinical=table)


def test_clinical_table_keyed_by_patient_id_is_pseudonymised(tree, tmp_path):
    table = tmp_path / "clin.tsv"
    table.write_text("patient_id\tgroup\tCK\nP-BETA\tPM\t900\nP-ALPHA\tHC\t80\n")
    out = tmp_path / "s" / "study.yaml"
    init_study(tree, out, clinical=table)
    text = (out.parent / "participants.tsv").read_text()
    assert "P-BETA" not in text and "sub-002\tPM\t900" in text and "patient_id" not in text


def test_mixed_patients_in_one_folder_are_split(tmp_path):
    root = tmp_path / "flat"
    _write(root, "P-ONE", "mese")
    _write(root, "P-TWO", "mese")
    out = tmp_path / "s" / "study.yaml"
    result = init_study(root, out)
    assert result.subjects == ["sub-001", "sub-002"]
    for sid, patient in zip(result.subjects, ("P-ONE", "P-TWO")):
        links = sorted((out.parent / "series" / sid / "mese").iterdir())
        assert len(links) == 3 * 4  # 3 slices x 4 echoes: this patient's files only, never merged
        assert all(p.resolve().name.startswith(patient + "_") for p in links)
    from myomri.io.read import read_image

    assert read_image(out.parent / "series" / "sub-002" / "mese").shape == (6, 5, 3, 4)


def test_unreadable_file_is_listed_as_skipped_with_reason(tree, tmp_path):
    (tree / "P-ALPHA" / "mese" / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00garbage")
    (tree / "notes.txt").write_text("not an image")
    out = tmp_path / "s" / "study.yaml"
    init_study(tree, out)
    skipped = [r for r in _rows(out.parent / "series.csv") if r["status"] == "skipped"]
    assert [r["path"] for r in skipped] == ["P-ALPHA/mese/broken.dcm"]
    assert "unreadable" in skipped[0]["reason"] or "without an image" in skipped[0]["reason"]


def test_xlsx_without_openpyxl_says_so(tree, tmp_path):
    pytest.importorskip("pandas")
    try:
        import openpyxl  # noqa: F401

        pytest.skip("openpyxl installed")
    except ModuleNotFoundError:
        pass
    table = tmp_path / "clin.xlsx"
    table.write_bytes(b"PK")
    with pytest.raises(InputError, match="openpyxl"):
        init_study(tree, tmp_path / "s" / "study.yaml", clinical=table)


@pytest.mark.parametrize(
    "name, content, said",
    [
        ("clin.nii.gz", b"\x1f\x8b not a table", "of type '.gz'; expected a .csv, .tsv, .tab, .txt, .xlsx or .xlsm file"),
        ("clin", b"patient_id,group\n", "of type '(none)'; expected a .csv, .tsv, .tab, .txt, .xlsx or .xlsm file"),
        ("clin.csv", b"\xff\xfe\x00\x01binary", "not a readable CSV table (UnicodeDecodeError"),
        ("clin.tsv", b"", "not a readable TSV table (EmptyDataError"),
    ],
)
def test_a_clinical_table_that_is_not_one_is_named_with_what_was_expected(tree, tmp_path, name, content, said):
    table = tmp_path / name
    table.write_bytes(content)
    with pytest.raises(InputError) as err:
        init_study(tree, tmp_path / "s" / "study.yaml", clinical=table)
    assert str(err.value).startswith(f"{table}: ") and said in str(err.value)
    assert not (tmp_path / "s" / "study.yaml").exists()
