"""End to end from NIfTI: the demo cohort as an ORMIR-MIDS folder (EchoTime in ms, ``mr-anat/``) ->
``init`` -> ``run`` with no hand-written YAML; the T2 of every subject is near the planted truth."""

from __future__ import annotations

import csv
import json
import os
import shutil

import pytest

from myomri.cli import main


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _as_ormir_mids(cohort, root):
    """The demo cohort's images in the ORMIR-MIDS layout dcm2omids writes (sidecar times in ms)."""
    root.mkdir()
    (root / "dataset_description.json").write_text(json.dumps({"Name": "demo as ORMIR-MIDS"}))
    shutil.copy(cohort / "participants.tsv", root / "participants.tsv")
    for row in _rows(cohort / "manifest.csv"):
        sid, anat = row["subject"], root / row["subject"] / "mr-anat"
        if anat.is_dir():
            continue
        anat.mkdir(parents=True)
        for col, suffix in (("image", "stir"), ("mese", "mese"), ("dixon_water", "dixon_water"),
                            ("dixon_fat", "dixon_fat")):
            os.symlink((cohort / row[col]).resolve(), anat / f"{sid}_{suffix}.nii.gz")
        side = json.loads((cohort / row["mese_json"]).read_text())
        # the demo's own acquisition type (3D: its MESE carries no slice profile) travels along
        assert side["MRAcquisitionType"] == "3D"
        side.update(EchoTime=[round(t * 1000, 6) for t in side["EchoTime"]],
                    RepetitionTime=side["RepetitionTime"] * 1000)
        (anat / f"{sid}_mese.json").write_text(json.dumps(side))
        (anat / f"{sid}_mese_patient.json").write_text(json.dumps({"PatientName": "Demo^Secret"}))


@pytest.mark.slow
def test_ormir_mids_folder_init_run_gives_t2_near_truth(tmp_path):
    cohort, mids = tmp_path / "cohort", tmp_path / "mids"
    study, out = tmp_path / "study" / "study.yaml", tmp_path / "out"
    assert main(["demo-data", str(cohort), "--subjects-per-group", "HC=2,PM=2", "--no-progress"]) == 0
    _as_ormir_mids(cohort, mids)
    assert main(["init", str(mids), "-o", str(study)]) == 0
    assert not (study.parent / "subject_key.csv").exists()
    assert main(["run", str(study), "-o", str(out), "--no-progress"]) == 0
    assert (out / "report.html").is_file()
    truth = {r["subject"]: float(r["t2_mean_ms"]) for r in _rows(cohort / "truth" / "planted.csv")}
    found = {r["subject"]: float(r["t2_mean"]) for r in _rows(out / "stages" / "t2" / "t2_subjects.csv")}
    assert sorted(found) == sorted(truth)  # the sub- labels are the ids, as in the dataset
    for sid, t2 in found.items():
        assert t2 == pytest.approx(truth[sid], abs=6.0), sid
    for folder in (study.parent, out):
        for f in folder.rglob("*"):
            if f.is_file() and not f.is_symlink():
                assert b"Secret" not in f.read_bytes(), f


def test_demo_cohort_folder_is_a_bids_dataset_init_reads(tmp_path):
    """The demo's own NIfTI tree (sub-*/anat, mese, dixon; dseg and ROIs beside): the same roles."""
    cohort, study = tmp_path / "cohort", tmp_path / "study" / "study.yaml"
    assert main(["demo-data", str(cohort), "--subjects-per-group", "HC=1,PM=1", "--no-progress"]) == 0
    assert main(["init", str(cohort), "-o", str(study)]) == 0
    rows = _rows(study.parent / "series.csv")
    used = {(r["subject"], r["role"]) for r in rows if r["status"] == "used"}
    assert used == {(s, role) for s in ("sub-001", "sub-002") for role in ("stir", "mese", "water", "fat")}
    assert {r["reason"] for r in rows if r["status"] == "skipped"} == {
        "a reader ROI, not an acquisition; give reader ROIs with --rois",
        "a segmentation label map (dseg), not an acquisition; myomri segments the muscles itself",
    }
