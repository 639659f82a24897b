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


def _load(path):
    import yaml

    return yaml.safe_load(path.read_text())


def test_dicom_route_with_reader_rois_shows_the_findings_of_the_nifti_demo(tmp_path):
    """One cohort, two routes: its NIfTI files with the demo study file (what ``myomri demo`` runs)
    and its DICOM export with the readers' ROI folder through ``init --rois``. Both run
    the same analysis settings (the test's reduced ones), so their key findings must agree."""
    import json

    import pandas as pd
    import yaml

    from tests.pipeline._pipeline_helpers import small_study

    cohort = tmp_path / "cohort"
    assert main(["demo-data", str(cohort), "--subjects-per-group", "HC=3,PM=3,DM=3", "--dicom",
                 "--no-progress"]) == 0
    demo = small_study(cohort)
    (cohort / "study.yaml").write_text(yaml.safe_dump(demo, sort_keys=False))
    study = tmp_path / "study" / "study.yaml"
    assert main(["init", str(cohort / "dicom"), "-o", str(study), "--clinical", str(cohort / "dicom" / "clinical.tsv"),
                 "--rois", str(cohort / "dicom_rois")]) == 0
    made = _load(study)
    assert made["features"]["enabled"] is True
    manifest = pd.read_csv(study.parent / "manifest.csv", dtype=str)
    assert sorted(manifest["reader"].unique()) == ["R1", "R1b", "R2"] and len(manifest) == 27
    # the same analysis on both routes; init chose the series, the segmentation and the ROIs
    for key in ("t2", "features", "analysis", "statistics", "reductions"):
        made[key] = demo[key]
    study.write_text(yaml.safe_dump(made, sort_keys=False))
    outs = {name: tmp_path / f"out_{name}" for name in ("nifti", "dicom")}
    assert main(["run", str(cohort / "study.yaml"), "-o", str(outs["nifti"])]) == 0
    assert main(["run", str(study), "-o", str(outs["dicom"])]) == 0
    found = {}
    for name, out in outs.items():
        roc = pd.read_csv(out / "stages" / "stats" / "roc.csv").iloc[0]
        perf = pd.read_csv(out / "stages" / "study" / "performance.csv")
        auc = perf[(perf["metric"] == "auc") & (perf["average"] == "macro")].set_index("classifier")["mean"]
        found[name] = {"t2_auc": float(roc["auc"]), "best": auc.idxmax(), "best_auc": float(auc.max()),
                       "n_features": json.loads((out / "run_manifest.json").read_text())["stages"]["features"]["n_ok"]}
        assert "Key results" in (out / "report.html").read_text()
    a, b = found["nifti"], found["dicom"]
    assert b["n_features"] == a["n_features"] == 27  # every ROI of every reader extracted on both routes
    assert abs(a["t2_auc"] - b["t2_auc"]) <= 0.1, found
    assert a["best"] == b["best"] and abs(a["best_auc"] - b["best_auc"]) <= 0.1, found
