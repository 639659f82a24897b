"""A cohort stage is served from cache only when its last run had no failures (a rerun retries them)."""

from __future__ import annotations

from myomri.pipeline.runner import RunResult, _cohort_stage


def test_stage_with_recorded_failures_is_recomputed_and_a_clean_one_is_cached(tmp_path):
    calls = []

    def flaky():
        calls.append(1)
        return {"n": len(calls), "failures": [{"task": "x"}] if len(calls) == 1 else []}

    logs = []
    first = _cohort_stage("study", tmp_path / "study", "key-1", flaky, RunResult(tmp_path, None), logs.append)
    assert first["failures"] and len(calls) == 1
    second = _cohort_stage("study", tmp_path / "study", "key-1", flaky, RunResult(tmp_path, None), logs.append)
    assert len(calls) == 2 and second["failures"] == []  # retried because of the recorded failure
    assert any("recorded 1 failure(s); recomputing" in m for m in logs)
    res = RunResult(tmp_path, None)
    third = _cohort_stage("study", tmp_path / "study", "key-1", flaky, res, logs.append)
    assert len(calls) == 2 and third["n"] == 2 and res.stages["study"]["status"] == "cached"
