"""``myomri study run STUDY.yaml -o OUTDIR [--jobs N]`` and ``myomri study validate STUDY.yaml``."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    """Add the ``study`` subcommand (``run`` and ``validate``)."""
    from .argtypes import n_jobs, output_dir

    p = subparsers.add_parser(
        "study",
        help="radiomics study: ICC, selection, six classifiers, repeated CV",
        description="Run or check a study file (features + clinical tables, tasks, selection, validation).",
    )
    sub = p.add_subparsers(dest="study_command", metavar="ACTION", required=True)
    run_p = sub.add_parser("run", help="run the study and write tables, figures and performance.md")
    run_p.add_argument("study", help="study YAML file")
    run_p.add_argument("-o", "--output", required=True, type=output_dir, help="output folder (created if missing)")
    run_p.add_argument(
        "--jobs",
        type=n_jobs,
        default=1,
        help="parallel processes for the outer CV folds (default 1; -1: all cores; clamped to the cores)",
    )
    run_p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    run_p.set_defaults(func=run)
    val_p = sub.add_parser(
        "validate",
        help="check the study file and its tables without fitting anything",
        description="Check everything 'study run' needs (settings, columns, readers, classes "
        "and their sizes for every cross-validation step, repeated rows) and "
        "report every problem at once.",
    )
    val_p.add_argument("study", help="study YAML file")
    val_p.set_defaults(func=validate)


def validate(args: argparse.Namespace) -> int:
    from ..analysis.study_checks import check_study
    from ..analysis.study_config import load_study

    config = load_study(args.study)
    # the checks study run makes before any fit: what passes here does not fail there on its inputs
    _, _, names = check_study(config)
    print(
        f"{args.study}: valid; {len(names)} feature columns, {len(config.tasks)} task(s), "
        f"{len(config.classifiers)} classifier(s), mode {config.mode}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    from ..analysis.study import run_study
    from ..analysis.study_config import load_study
    from ..cores import clamp_jobs
    from ..io.paths import refuse_output_over_input
    from ..report.study_tables import write_study_outputs

    jobs, jobs_note = clamp_jobs(args.jobs)  # -1: all cores; more than the cores: clamped
    if jobs_note:
        print(f"note: {jobs_note}", file=sys.stderr)
    config = load_study(args.study)
    refuse_output_over_input(
        {"study file": args.study, "features table": config.features, "clinical table": config.clinical}, [args.output]
    )
    result = run_study(config, n_jobs=jobs, progress=True)
    written = write_study_outputs(result, args.output, figures=not args.no_figures)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {len(written)} files to {args.output}")
    return 0
