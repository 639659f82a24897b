"""The folder layout of a ``myomri run`` output, in one place.

``OUTDIR/stages/<stage>/`` holds each stage's files (``t2/<subject>/`` per subject); ``report.html``,
``run_manifest.json``, ``run.log`` and ``failures.csv`` lie in ``OUTDIR``. The report and the
viewer get their paths from here, so that they never assume the layout themselves.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STAGES_DIR", "stage_dir", "t2_subject_dir", "report_inputs"]

#: Folder of the stage outputs inside OUTDIR.
STAGES_DIR = "stages"


def stage_dir(outdir: str | Path, stage: str) -> Path:
    """The folder of one stage's outputs (``t2``, ``features``, ``study``, ``stats``)."""
    return Path(outdir) / STAGES_DIR / stage


def t2_subject_dir(outdir: str | Path, subject: str) -> Path:
    """The folder of one subject's T2 maps (``t2.nii.gz``, ``labels.nii.gz``, ``roi_stats.csv``)."""
    return stage_dir(outdir, "t2") / str(subject)


def report_inputs(outdir: str | Path, subjects: list[str]):
    """Where :func:`~myomri.report.html.write_report` finds the stage outputs of a run."""
    from ..report.html import ReportInputs

    maps = {s: (t2_subject_dir(outdir, s) / "t2.nii.gz", t2_subject_dir(outdir, s) / "labels.nii.gz") for s in subjects}
    return ReportInputs(
        stats=stage_dir(outdir, "stats"),
        study=stage_dir(outdir, "study"),
        t2_maps=maps,
        per_muscle=Path(outdir) / "t2_per_muscle.csv",
        report_dir=Path(outdir),
    )
