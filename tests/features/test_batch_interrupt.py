"""Cohort batch under bad conditions: too many --jobs, an interrupt (a case raising KeyboardInterrupt,
and a real SIGINT to a parallel ``myomri extract --manifest`` process), then the rerun."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from myomri.io.image import Image
from myomri.io.nifti import write_nifti

pytest.importorskip("myomri.features.compute", exc_type=ImportError)
from myomri.features import batch  # noqa: E402
from myomri.cores import available_cores, clamp_jobs  # noqa: E402

PARAMS = {"setting": {"binWidth": 20}, "featureClass": {"firstorder": None, "glcm": ["Contrast"]}}
SRC = Path(__file__).resolve().parents[2] / "src"


def _cohort(folder: Path, n: int, shape=(24, 20, 1)) -> Path:
    rng = np.random.default_rng(0)
    grid = np.indices(shape) - (np.array(shape)[:, None, None, None] - 1) / 2
    inside = (grid[0] / (0.45 * shape[0])) ** 2 + (grid[1] / (0.45 * shape[1])) ** 2
    if shape[2] > 1:
        inside = inside + (grid[2] / (0.45 * shape[2])) ** 2
    rows = []
    for c in range(n):
        img = Image(rng.integers(0, 300, shape).astype(np.int16), spacing=(1.0, 1.0, 1.0))
        write_nifti(img, folder / f"c{c}_img.nii.gz")
        write_nifti(img.with_array((inside <= 1).astype(np.uint8)), folder / f"c{c}_mask.nii.gz")
        rows.append({"subject": f"c{c}", "reader": "A", "image": f"c{c}_img.nii.gz", "mask": f"c{c}_mask.nii.gz"})
    path = folder / "manifest.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _default_sigint() -> None:
    # a suite started in the background of a non-interactive shell (nohup ... &) inherits SIGINT
    # ignored, and so would the CLI under test: give it the terminal's default back
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _leftovers(folder: Path) -> list[str]:
    """Temporary files of atomic writes (``.name.XXXX``) left behind."""
    return sorted(p.name for p in folder.rglob(".*") if p.is_file())


def test_jobs_beyond_the_cores_are_clamped_and_said(tmp_path, capsys):
    from myomri.cli import main

    cores = available_cores()
    assert clamp_jobs(cores + 5) == (cores, f"--jobs {cores + 5} is more than the {cores} usable core(s) here: "
                                            f"clamped to {cores}")
    assert clamp_jobs(-1) == (cores, None) and clamp_jobs(1) == (1, None)
    manifest = _cohort(tmp_path, 3)
    out = tmp_path / "f.csv"
    assert main(["extract", "--manifest", str(manifest), "-o", str(out), "--jobs", str(cores + 5), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"--jobs {cores + 5} is more than the {cores} usable core(s)" in err
    assert "3 computed" in err and out.is_file()


def test_a_case_raising_keyboardinterrupt_leaves_no_output_and_the_rerun_computes_the_rest(tmp_path, monkeypatch):
    manifest = _cohort(tmp_path, 5)
    out = tmp_path / "features.csv"
    real = batch.extract_case
    seen = []

    def interrupted_at_the_third(image, mask, label, params):
        seen.append(image)
        if len(seen) == 3:
            raise KeyboardInterrupt
        return real(image, mask, label, params)

    monkeypatch.setattr(batch, "extract_case", interrupted_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(manifest, out=out, params=PARAMS, progress=False)
    assert not out.exists() and not _leftovers(tmp_path)
    assert len(list((tmp_path / "features.csv.parts").glob("*.json"))) == 2
    # a part that was being written when a run was killed (SIGKILL: no clean-up ran) is removed
    (tmp_path / "features.csv.parts" / ".0123abcd.x1y2z3.json").write_text('{"status": "o')
    monkeypatch.setattr(batch, "extract_case", real)
    res = batch.run_batch(manifest, out=out, params=PARAMS, progress=False)
    assert (res.n_cached, res.n_computed, res.n_failed) == (2, 3, 0)
    assert not _leftovers(tmp_path)
    assert list(res.table["subject"]) == [f"c{c}" for c in range(5)]


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_sigint_to_a_parallel_batch_keeps_finished_cases_and_the_rerun_computes_only_the_rest(tmp_path):
    n = 60
    # ~0.1 s a case, ~3 s of work on 2 workers: the interrupt lands mid-way even when this test
    # process is kept waiting on a loaded machine
    manifest = _cohort(tmp_path, n, shape=(96, 96, 64))
    out = tmp_path / "features.csv"
    parts = tmp_path / "features.csv.parts"
    cmd = [sys.executable, "-m", "myomri", "extract", "--manifest", str(manifest), "-o", str(out),
           "--jobs", "2", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    # its own process group, as a terminal's Ctrl-C reaches the CLI and its workers together
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_sigint)  # fmt: skip
    deadline = time.monotonic() + 120
    while not (parts.is_dir() and any(parts.glob("[!.]*.json"))) and proc.poll() is None:
        assert time.monotonic() < deadline, "no case finished within 2 minutes"
        time.sleep(0.005)
    assert proc.poll() is None, "the whole batch finished before the interrupt could be sent"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    done = sorted(parts.glob("[!.]*.json"))
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert 1 <= len(done) < n, f"{len(done)} of {n} cases finished before the interrupt"
    # nothing half-written under a final name (a part caught mid-write stays a hidden temporary
    # file, which the rerun removes)
    assert not out.exists()
    for part in done:
        assert json.loads(part.read_text())["status"] == "ok"
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{n - len(done)} computed, {len(done)} from cache, 0 failed" in rerun.stderr
    assert not _leftovers(tmp_path)
    with open(out, newline="") as fh:
        assert [r["subject"] for r in csv.DictReader(fh)] == [f"c{c}" for c in range(n)]
