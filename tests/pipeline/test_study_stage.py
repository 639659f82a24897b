"""The study stage: a task the cohort cannot support is recorded as a failure, the others run;
the demo study leaves such tasks out and says so."""

from __future__ import annotations

import copy
from dataclasses import replace

import pandas as pd
import pytest

from myomri.pipeline.demo import demo_study, drop_infeasible_tasks
from myomri.pipeline.stages import run_study_stage


@pytest.mark.slow
def test_infeasible_task_is_recorded_and_the_other_tasks_run(finished_run, tmp_path):
    config, result = finished_run
    analysis = copy.deepcopy(config.analysis)
    # 3 folds, 3 subjects per group: HC_PM_DM runs; anti_Jo1 has fewer than 3 positives
    analysis["tasks"] = [*analysis["tasks"], {"name": "anti_Jo1", "target": "anti_Jo1", "positive": "1"}]
    clin = pd.read_csv(config.clinical, sep="\t", na_values=["n/a"])
    assert (clin["anti_Jo1"] == 1).sum() < 3  # the premise: too few positives for 3 folds
    out = tmp_path / "study"
    out.mkdir()
    info = run_study_stage(replace(config, analysis=analysis), result.outdir / "stages" / "features" / "features.csv",
                           out, jobs=1, progress=False)
    assert [f["classifier"] for f in info["failures"]] == ["task anti_Jo1"]
    assert "task anti_Jo1" in info["failures"][0]["message"]
    assert info["failures"][0]["error_type"] == "StudyInputError"  # found by the checks before any fit
    perf = pd.read_csv(out / "performance.csv")
    assert set(perf["task"]) == {"HC_PM_DM"} and set(perf["classifier"]) == {"lda", "knn"}
    assert "anti_Jo1 failed" in (out / "performance.md").read_text()


def test_demo_study_leaves_out_tasks_with_classes_smaller_than_the_folds(tmp_path):
    rows = ["participant_id\tgroup\tanti_Jo1\tanti_ARS"]
    rows += [f"s{i}\t{'PM' if i % 2 else 'DM'}\t{int(i < 4)}\t{int(i < 12)}" for i in range(24)]
    rows += [f"x{i}\tADM\tn/a\tn/a" for i in range(12)]
    (tmp_path / "participants.tsv").write_text("\n".join(rows) + "\n")
    study = drop_infeasible_tasks(demo_study(), tmp_path / "participants.tsv")
    names = [t["name"] for t in study["analysis"]["tasks"]]
    assert names == ["IIM_groups", "anti_ARS"]  # all_groups: no nonIIM; anti_Jo1: 4 positives < 10 folds
    dropped = [r for r in study["reductions"] if "left out" in r]
    assert len(dropped) == 2 and "'nonIIM': 0" in dropped[0] and "'1': 4" in dropped[1]


def test_demo_study_follows_the_papers_protocol_by_default_and_states_a_nested_selection():
    from myomri.config.pipeline import DEMO_NESTED_CHECK, DEMO_NESTED_REPEATS

    papers = demo_study()
    # seed paper 1: selection once on all subjects, then 10-fold cross-validation repeated 100 times
    assert papers["analysis"]["selection"]["mode"] == "published"
    assert (papers["analysis"]["validation"]["repeats"], papers["analysis"]["validation"]["folds"]) == (100, 10)
    assert papers["analysis"]["selection"]["nested_check"] == DEMO_NESTED_CHECK > 0
    assert not any("repeat" in r or "nested" in r for r in papers["reductions"])  # nothing of the protocol reduced
    nested = demo_study(selection_mode="nested")
    assert nested["analysis"]["selection"]["mode"] == "nested" and "nested_check" not in nested["analysis"]["selection"]
    assert nested["analysis"]["validation"]["repeats"] == DEMO_NESTED_REPEATS
    assert any("not once on all subjects as the paper did" in r for r in nested["reductions"])
    assert any(f"{DEMO_NESTED_REPEATS} repeat(s)" in r for r in nested["reductions"])
    # a short published run checks no more repeats than it has
    assert demo_study(repeats=2)["analysis"]["selection"]["nested_check"] == 2
