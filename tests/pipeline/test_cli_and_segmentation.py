"""``myomri run`` end to end on a small study, and the classical-segmentation route of the T2 stage."""

from __future__ import annotations

import json

import pandas as pd

from tests.pipeline._pipeline_helpers import t2_only_study, write_study


def _keep(cohort, subjects):
    man = pd.read_csv(cohort / "manifest.csv", dtype=str, keep_default_na=False)
    man[man["subject"].isin(subjects)].to_csv(cohort / "manifest.csv", index=False)


def test_cli_run_writes_report_manifest_and_prints_the_report_path(cohort_copy, tmp_path, capsys):
    from myomri.cli import main

    _keep(cohort_copy, ["sub-001", "sub-006"])
    study = write_study(cohort_copy, t2_only_study(cohort_copy))
    out = tmp_path / "out"
    rc = main(["run", str(study), "-o", str(out), "--no-progress"])
    printed = capsys.readouterr()
    assert (out / "report.html").is_file()
    assert f"report: {out / 'report.html'}" in printed.out
    man = json.loads((out / "run_manifest.json").read_text())
    assert man["stages"]["t2"]["n_computed"] == 2 and man["jobs"] == 1 and man["executor"] == "joblib"
    failures = pd.read_csv(out / "failures.csv")
    assert rc == (1 if len(failures) else 0)
    assert set(failures["stage"]) <= {"stats"}  # two subjects cannot feed every statistic; T2 never fails


def test_classical_segmentation_route_fits_t2_inside_the_dixon_muscle_mask(cohort_copy, tmp_path):
    import nibabel as nib

    from myomri.pipeline import load_pipeline, run_pipeline

    _keep(cohort_copy, ["sub-006"])  # a healthy control: T2 near 34 ms everywhere in muscle
    study = t2_only_study(cohort_copy, segmentation={"method": "classical"})
    result = run_pipeline(load_pipeline(write_study(cohort_copy, study)), tmp_path / "out", progress=False,
                          report=False)
    assert result.computed["t2"] == ["sub-006"]
    folder = tmp_path / "out" / "stages" / "t2" / "sub-006"
    labels = nib.load(folder / "labels.nii.gz").get_fdata()
    truth = nib.load(cohort_copy / "truth" / "sub-006" / "sub-006_labels.nii.gz").get_fdata() > 0
    mask = labels > 0
    assert set(pd.unique(labels.ravel())) <= {0.0, 1.0}  # one muscle label: tissue classes only
    centre = labels.shape[2] // 2
    inter = (mask & truth)[:, :, centre].sum()
    dice = 2 * inter / (mask[:, :, centre].sum() + truth[:, :, centre].sum())
    assert dice > 0.8
    # the same fit inside the given muscle labels: the two masks give nearly the same mean T2
    given = run_pipeline(load_pipeline(write_study(cohort_copy, t2_only_study(cohort_copy), "given.yaml")),
                         tmp_path / "given", progress=False, report=False)
    assert given.computed["t2"] == ["sub-006"]
    a = pd.read_csv(tmp_path / "out" / "stages" / "t2" / "t2_subjects.csv").iloc[0]["t2_mean"]
    b = pd.read_csv(tmp_path / "given" / "stages" / "t2" / "t2_subjects.csv").iloc[0]["t2_mean"]
    assert abs(a - b) < 2.0, (a, b)
