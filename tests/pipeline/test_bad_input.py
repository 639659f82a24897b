"""Bad input: study files naming missing series, a subject without T2, a subject whose stage fails."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from myomri.errors import ConfigError, MissingFileError
from myomri.pipeline import load_pipeline, run_pipeline

from tests.pipeline._pipeline_helpers import small_study, t2_only_study, write_study


def _subset(cohort, subjects, *, edit=None):
    """Keep only ``subjects`` in the cohort's manifest (optionally edited); returns the manifest."""
    man = pd.read_csv(cohort / "manifest.csv", dtype=str, keep_default_na=False)
    man = man[man["subject"].isin(subjects)].copy()
    if edit:
        edit(man)
    man.to_csv(cohort / "manifest.csv", index=False)
    return man


def test_study_file_naming_missing_series_lists_every_problem(cohort_copy):
    def edit(man):
        man.loc[man["subject"] == "sub-001", "mese"] = "sub-001/mese/absent_mese.nii.gz"
        man.loc[man["subject"] == "sub-002", "dseg"] = "sub-002/seg/absent_dseg.nii.gz"

    _subset(cohort_copy, ["sub-001", "sub-002", "sub-003"], edit=edit)
    path = write_study(cohort_copy, t2_only_study(cohort_copy))
    with pytest.raises(ConfigError) as err:
        load_pipeline(path)
    text = "\n".join(err.value.problems)
    assert "sub-001: mese series (mese) not found" in text and "absent_mese.nii.gz" in text
    assert "sub-002: labels series (dseg) not found" in text and "absent_dseg.nii.gz" in text
    assert len(err.value.problems) == 2
    assert str(path) in str(err.value)


def test_every_setting_problem_is_reported_at_once(cohort_copy):
    study = small_study(cohort_copy, t2={"model": "biexp", "fat_fraction": 2, "slices": "some"},
                        segmentation={"method": "magic"}, colour="red", clinical="nope.tsv")
    with pytest.raises(ConfigError) as err:
        load_pipeline(write_study(cohort_copy, study))
    text = "\n".join(err.value.problems)
    for fragment in ("t2.model: 'biexp'", "t2.fat_fraction", "t2.slices: 'some'", "segmentation.method: 'magic'",
                     "colour: unknown key", "clinical: clinical table not found"):
        assert fragment in text, fragment


def test_missing_study_file_is_a_missing_file_error(tmp_path):
    with pytest.raises(MissingFileError, match="study file not found"):
        load_pipeline(tmp_path / "nowhere.yaml")


def test_cli_reports_bad_study_file_in_one_line_exit_2(cohort_copy, tmp_path, capsys):
    from myomri.cli import main

    _subset(cohort_copy, ["sub-001"], edit=lambda m: m.__setitem__("mese", "missing.nii.gz"))
    path = write_study(cohort_copy, t2_only_study(cohort_copy))
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "missing.nii.gz" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "report.html").exists()


def test_subject_without_t2_series_is_skipped_and_listed(cohort_copy, tmp_path):
    def edit(man):
        man.loc[man["subject"] == "sub-002", "mese"] = ""

    _subset(cohort_copy, ["sub-001", "sub-002", "sub-004"], edit=edit)
    config = load_pipeline(write_study(cohort_copy, t2_only_study(cohort_copy)))
    result = run_pipeline(config, tmp_path / "out", progress=False)
    assert result.stages["t2_skipped"] == ["sub-002"]
    assert sorted(result.computed["t2"]) == ["sub-001", "sub-004"]
    assert not (tmp_path / "out" / "stages" / "t2" / "sub-002").exists()
    table = pd.read_csv(tmp_path / "out" / "stages" / "t2" / "t2_subjects.csv")
    assert list(table["subject"]) == ["sub-001", "sub-004"]
    report = result.report.read_text()
    assert "Without a T2 series" in report and "sub-002" in report


def test_stage_failing_for_one_subject_run_goes_on_and_report_lists_it(cohort_copy, tmp_path):
    _subset(cohort_copy, ["sub-001", "sub-003", "sub-004"])
    bad = cohort_copy / "sub-003" / "mese" / "sub-003_mese.nii.gz"
    bad.unlink()  # a hard link to the shared cohort: replace, never write through it
    bad.write_bytes(gzip.compress(b"not a nifti file at all"))
    config = load_pipeline(write_study(cohort_copy, t2_only_study(cohort_copy)))
    result = run_pipeline(config, tmp_path / "out", progress=False)
    failed = [f for f in result.failures if f["stage"] == "t2"]
    assert [f["subject"] for f in failed] == ["sub-003"]
    assert "sub-003_mese.nii.gz" in failed[0]["message"]
    assert sorted(result.computed["t2"]) == ["sub-001", "sub-004"]
    listed = pd.read_csv(tmp_path / "out" / "failures.csv")
    assert "sub-003" in set(listed["subject"])
    html = result.report.read_text()
    # the last occurrence is the section itself (the first is its entry in the table of contents)
    assert "Failures and exclusions" in html and "sub-003" in html.split("Failures and exclusions")[-1]
    # the failed subject is retried on the next run, the others are not recomputed
    again = run_pipeline(config, tmp_path / "out", progress=False, report=False)
    assert again.computed["t2"] == [] and [f["subject"] for f in again.failures if f["stage"] == "t2"] == ["sub-003"]
    assert (again.stages["t2"]["status"], again.stages["t2"]["n_failed"]) == ("cached", 1)


def test_a_t2_stage_whose_every_subject_failed_says_failed_not_cached(cohort_copy, tmp_path):
    _subset(cohort_copy, ["sub-003"])
    bad = cohort_copy / "sub-003" / "mese" / "sub-003_mese.nii.gz"
    bad.unlink()  # a hard link to the shared cohort: replace, never write through it
    bad.write_bytes(gzip.compress(b"not a nifti file at all"))
    config = load_pipeline(write_study(cohort_copy, t2_only_study(cohort_copy)))
    result = run_pipeline(config, tmp_path / "out", progress=False, report=False)
    assert (result.stages["t2"]["status"], result.stages["t2"]["n_failed"]) == ("failed", 1)


def test_a_study_left_with_no_classification_task_says_its_study_stage_was_skipped(cohort_copy, tmp_path, capsys):
    from myomri.cli.run import print_summary

    _subset(cohort_copy, ["sub-001", "sub-002"])
    study = small_study(cohort_copy)
    study["t2"]["enabled"] = False
    study["analysis"]["tasks"] = []  # as myomri demo leaves it when the cohort supports no task
    result = run_pipeline(load_pipeline(write_study(cohort_copy, study)), tmp_path / "out", progress=False,
                          report=False)  # fmt: skip
    assert result.stages["study"]["status"] == "skipped" and "analysis.tasks is empty" in result.stages["study"]["reason"]
    print_summary(result)
    assert "study: skipped: no classification task" in capsys.readouterr().err
