"""The exit-code rule (issue 16 item 7): one rule in ``myomri.outcome``, its fraction in config,
applied by t2fit (tests/t2/test_t2fit_outputs_and_exit.py), extract --manifest, run/demo and the
pipeline's per-subject T2 fit, and documented in the README."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from myomri.config.outcome import MAX_FAILED_VOXEL_FRACTION
from myomri.errors import FitError
from myomri.outcome import EXIT_OK, EXIT_PARTIAL, exit_code, fit_failure

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("fitted, failed, fails", [
    (124_005 - 12, 12, False),  # the demo subject that exited 1 before
    (0, 0, True),  # e.g. --noise-threshold 1e12
    (0, 5, True),
    (950, 50, False),  # exactly 5 %: accepted
    (949, 51, True),
    (100, 0, False),
])
def test_fit_failure_known_answers(fitted, failed, fails):
    assert MAX_FAILED_VOXEL_FRACTION == 0.05  # the answers above are for the shipped 5 %
    assert (fit_failure(fitted, failed) is not None) == fails


def test_fit_failure_reason_gives_the_counts():
    assert fit_failure(90, 10) == "10 of the 100 voxels tried (10.00%) failed to fit, more than the 5.00% accepted"
    assert fit_failure(90, 10, max_failed_fraction=0.2) is None


def test_exit_code_is_partial_for_any_failed_part():
    assert exit_code() == EXIT_OK == 0
    assert exit_code(failed_parts=1) == EXIT_PARTIAL == 1


def test_readme_command_line_paragraph_states_the_rule_and_the_fraction():
    text = README.read_text()
    para = text[text.index("## Command line"):text.index("### Data")]
    assert f"{MAX_FAILED_VOXEL_FRACTION:.0%}" in para and "src/myomri/config/outcome.py" in para
    for code in ("exit 0", "exit 1", "exit 2", "130"):
        assert code in para


def test_run_exit_code_counts_failures():
    from types import SimpleNamespace

    from myomri.cli.run import run_exit_code

    assert run_exit_code(SimpleNamespace(failures=[])) == 0
    assert run_exit_code(SimpleNamespace(failures=[{"stage": "t2", "subject": "s1"}])) == 1


def _subject(tmp_path, n_bad):
    """A pipeline T2 task on a 10 x 10 mono-exponential series; ``n_bad`` voxels grow with TE."""
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti

    tes = 10.0 * np.arange(1, 11)
    data = np.broadcast_to(1000 * np.exp(-tes / 40.0), (10, 10, 1, tes.size)).copy()
    data.reshape(100, tes.size)[:n_bad] = 100 * np.exp(+tes / 40.0)
    write_nifti(Image(data.astype(np.float32)), tmp_path / "mese.nii.gz")
    write_nifti(Image(np.ones((10, 10, 1), np.uint8)), tmp_path / "labels.nii.gz")
    return {"subject": "s1", "mese": str(tmp_path / "mese.nii.gz"), "echo_times": tes.tolist(),
            "labels": str(tmp_path / "labels.nii.gz"), "water": None, "fat": None,
            "t2": {"model": "mono", "method": "loglinear", "slices": "all", "align": True},
            "segmentation": {"method": "given", "align": True}, "outdir": str(tmp_path / "out")}


def test_pipeline_subject_with_a_few_failed_voxels_is_kept(tmp_path):
    from myomri.pipeline.stages import run_t2_subject

    row = run_t2_subject(_subject(tmp_path, n_bad=2))
    assert row["fit_failed"] == 2 and row["t2_mean"] == pytest.approx(40.0, abs=1e-3)


def test_pipeline_subject_whose_fit_fails_as_a_whole_is_a_failure(tmp_path):
    from myomri.pipeline.stages import run_t2_subject

    with pytest.raises(FitError, match=r"mese.nii.gz: the T2 fit inside the muscles failed: 20 of the 100"):
        run_t2_subject(_subject(tmp_path, n_bad=20))

