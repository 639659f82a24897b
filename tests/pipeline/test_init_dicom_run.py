"""End to end as a new user: ``demo-data --dicom`` -> ``init`` -> ``run`` with no hand-written YAML.

Radiomics is off in an init-made study (DICOM exports carry no reader ROIs), so this checks the T2
arm: every subject's muscle water T2 from the DICOM series, segmented from the Dixon pair, is
close to the planted truth, and no patient field reaches the study or the run's outputs.
"""

from __future__ import annotations

import csv

import pytest

from myomri.cli import main

pytestmark = pytest.mark.slow


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_demo_dicom_init_run_gives_t2_near_truth_without_patient_fields(tmp_path):
    cohort, study, out = tmp_path / "cohort", tmp_path / "study" / "study.yaml", tmp_path / "out"
    assert main(["demo-data", str(cohort), "--subjects-per-group", "HC=2,PM=2", "--dicom", "--no-progress"]) == 0
    assert main(["init", str(cohort / "dicom"), "-o", str(study), "--clinical",
                 str(cohort / "dicom" / "clinical.tsv")]) == 0
    assert main(["run", str(study), "-o", str(out)]) == 0
    assert (out / "report.html").is_file()
    truth = {r["subject"]: float(r["t2_mean_ms"]) for r in _rows(cohort / "truth" / "planted.csv")}
    found = {r["subject"]: float(r["t2_mean"]) for r in _rows(out / "stages" / "t2" / "t2_subjects.csv")}
    # sub-00N <-> DEMO00N <-> pseudonym sub-00N (PatientIDs sorted), so ids line up with the truth
    assert sorted(found) == sorted(truth)
    for sid, t2 in found.items():
        assert t2 == pytest.approx(truth[sid], abs=6.0), sid
    for folder in (study.parent, out):
        for f in folder.rglob("*"):
            if f.is_file() and not f.is_symlink() and f.name != "subject_key.csv":
                text = f.read_bytes()
                assert b"DEMO0" not in text and b"Demo^" not in text, f
