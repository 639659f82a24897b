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


def test_checksum_memo_sees_an_in_place_edit_that_kept_size_and_mtime(tmp_path):
    import os

    from myomri.pipeline.cache import Checksums

    f = tmp_path / "mask.nii"
    f.write_bytes(b"\x00" * 64)
    sums = Checksums(tmp_path / "checksums.json")
    before = sums.of(f)
    st = f.stat()
    with open(f, "r+b") as fh:  # edited in place, as an editor saves an uncompressed NIfTI
        fh.write(b"\x01")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert sums.of(f) != before
    sums.save()
    assert Checksums(tmp_path / "checksums.json").of(f) == sums.of(f)  # the memo still serves reruns
