"""Interrupted runs resume without recomputing finished work; joblib and Dask executors agree."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.pipeline._pipeline_helpers import t2_only_study, write_study
from myomri.pipeline import load_pipeline, run_pipeline
from myomri.pipeline import runner as runner_mod
from myomri.pipeline.executors import guarded_call, map_items

SUBJECTS = ["sub-001", "sub-004", "sub-006", "sub-008"]


def _four_subject_study(cohort):
    man = pd.read_csv(cohort / "manifest.csv", dtype=str, keep_default_na=False)
    man[man["subject"].isin(SUBJECTS)].to_csv(cohort / "manifest.csv", index=False)
    return load_pipeline(write_study(cohort, t2_only_study(cohort)))


def test_interrupted_run_resumes_without_recomputing_finished_subjects(cohort_copy, tmp_path, monkeypatch):
    config = _four_subject_study(cohort_copy)
    out = tmp_path / "out"
    real = runner_mod.run_t2_subject
    calls = []

    def interrupted(task):
        if len(calls) == 2:
            raise KeyboardInterrupt  # as Ctrl-C (or a kill) in the middle of the third subject
        calls.append(task["subject"])
        return real(task)

    monkeypatch.setattr(runner_mod, "run_t2_subject", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(config, out, progress=False)
    finished = calls[:]
    assert len(finished) == 2
    stamps = {s: (out / "stages" / "t2" / s / "done.json").stat().st_mtime_ns for s in finished}
    assert not any((out / "stages" / "t2" / s / "done.json").exists() for s in SUBJECTS if s not in finished)

    recomputed = []

    def counting(task):
        recomputed.append(task["subject"])
        return real(task)

    monkeypatch.setattr(runner_mod, "run_t2_subject", counting)
    result = run_pipeline(config, out, progress=False)
    assert sorted(recomputed) == sorted(set(SUBJECTS) - set(finished))
    assert sorted(result.computed["t2"]) == sorted(recomputed)
    for s in finished:  # finished work was neither recomputed nor rewritten
        assert (out / "stages" / "t2" / s / "done.json").stat().st_mtime_ns == stamps[s]
    assert len(pd.read_csv(out / "stages" / "t2" / "t2_subjects.csv")) == 4


def test_changed_settings_invalidate_the_t2_cache(cohort_copy, tmp_path):
    config = _four_subject_study(cohort_copy)
    out = tmp_path / "out"
    run_pipeline(config, out, progress=False, report=False)
    config.t2["method"] = "nnls"
    again = run_pipeline(config, out, progress=False, report=False)
    assert sorted(again.computed["t2"]) == sorted(SUBJECTS)


def _square(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x * x


def test_map_items_records_a_failing_item_and_goes_on():
    got = dict(map_items(_square, [1, 2, 3, 4], executor="joblib", jobs=2))
    assert got[0]["value"] == 1 and got[3]["value"] == 16
    assert got[2] == guarded_call(_square, 3) | {"message": got[2]["message"]}
    assert got[2]["ok"] is False and got[2]["error_type"] == "ValueError" and "three" in got[2]["message"]


def test_dask_executor_without_scheduler_is_a_config_error(cohort_copy, tmp_path):
    from myomri.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a scheduler address") as err:
        list(map_items(_square, [1], executor="dask"))
    assert err.value.option == "scheduler"  # the CLI names its --scheduler flag
    config = _four_subject_study(cohort_copy)
    with pytest.raises(ConfigError, match="needs a scheduler address"):  # before any output is written
        run_pipeline(config, tmp_path / "out", executor="dask", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_t2_results_as_joblib(cohort_copy, tmp_path):
    from distributed import Client, LocalCluster

    config = _four_subject_study(cohort_copy)
    ref = run_pipeline(config, tmp_path / "joblib", progress=False, report=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        got = run_pipeline(config, tmp_path / "dask", executor="dask", scheduler=client, progress=False,
                           report=False)
    assert sorted(got.computed["t2"]) == sorted(SUBJECTS)
    a = pd.read_csv(tmp_path / "joblib" / "stages" / "t2" / "t2_subjects.csv")
    b = pd.read_csv(tmp_path / "dask" / "stages" / "t2" / "t2_subjects.csv")
    pd.testing.assert_frame_equal(a, b)
    man = json.loads((tmp_path / "dask" / "run_manifest.json").read_text())
    assert man["executor"] == "dask"
