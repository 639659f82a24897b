"""``--jobs`` / ``n_jobs`` larger than the usable cores: clamped to the cores, and said (a study
note, and a ``note:`` line from ``myomri study run``); -1 still means all cores."""

from __future__ import annotations

import pytest
from tests.analysis._study_synth import write_study

from myomri.analysis.study import run_study
from myomri.analysis.study_config import load_study
from myomri import cores
from myomri.cores import clamp_jobs
from myomri.errors import InputError


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(cores, "available_cores", lambda: 2)


def test_clamp_jobs_to_the_cores_with_a_note(two_cores):
    assert clamp_jobs(1) == (1, None) and clamp_jobs(2) == (2, None) and clamp_jobs(-1) == (2, None)
    n, note = clamp_jobs(64)
    assert n == 2 and "64" in note and "clamped to 2" in note
    for bad in (0, -2):
        with pytest.raises(InputError, match="--jobs"):
            clamp_jobs(bad)


def test_run_study_records_the_clamp_and_gives_the_same_results(tmp_path, monkeypatch):
    monkeypatch.setattr(cores, "available_cores", lambda: 1)  # clamped to 1: runs in process
    cfg = load_study(write_study(tmp_path, classifiers=["lda"], bootstrap=0))
    clamped = run_study(cfg, n_jobs=8)
    plain = run_study(cfg, n_jobs=1)
    assert any("--jobs 8" in n and "clamped to 1" in n for n in clamped.notes)
    assert not any("clamped" in n for n in plain.notes)
    assert clamped.repeats.equals(plain.repeats)


def test_study_run_cli_says_the_clamp(tmp_path, monkeypatch, capsys):
    from myomri.cli import main

    monkeypatch.setattr(cores, "available_cores", lambda: 1)
    study = write_study(tmp_path, classifiers=["lda"], bootstrap=0)
    assert main(["study", "run", str(study), "-o", str(tmp_path / "out"), "--jobs", "99", "--no-figures"]) == 0
    err = capsys.readouterr().err
    assert "note: --jobs 99 is more than the 1 usable core(s) here: clamped to 1" in err
