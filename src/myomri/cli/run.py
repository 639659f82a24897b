"""``myomri run STUDY.yaml -o OUTDIR``: the whole study, from images to ``report.html``."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run", "add_executor_options", "print_summary", "run_exit_code"]


def add_executor_options(p, *, jobs: int = 1) -> None:
    """``--jobs``, ``--executor``, ``--scheduler``, ``--no-progress`` (shared with ``myomri demo``)."""
    from .argtypes import n_jobs

    p.add_argument(
        "--jobs",
        type=n_jobs,
        default=jobs,
        metavar="N",
        help=f"joblib worker processes for the per-subject stages and CV (default {jobs}; -1 all cores)",
    )
    p.add_argument(
        "--executor",
        choices=("joblib", "dask"),
        default="joblib",
        help="run per-subject work with joblib (default) or on a Dask cluster",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address for --executor dask (e.g. tcp://host:8786)",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def register(subparsers) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="run a whole study (T2, segmentation, features, classifiers, statistics, report)",
        description=(
            "Run every stage of a pipeline study file into OUTDIR: T2 maps and per-muscle T2, STIR "
            "features of every reader, reproducibility and classifiers, clinical statistics, and the "
            "self-contained OUTDIR/report.html. Stages are cached: a rerun skips what is unchanged "
            "and an interrupted run resumes. Exit code 1 when some subject or stage failed."
        ),
    )
    p.add_argument("study", metavar="STUDY.yaml", help="pipeline study file")
    from .argtypes import output_dir

    p.add_argument("-o", "--output", required=True, type=output_dir, metavar="OUTDIR", help="output folder")
    add_executor_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate the study file, run it, print where the report is."""
    from ..io.paths import refuse_output_over_input
    from ..pipeline import load_pipeline, run_pipeline
    from .argtypes import usable_jobs

    refuse_output_over_input({"study file": args.study}, [args.output])
    config = load_pipeline(args.study)
    result = run_pipeline(
        config,
        args.output,
        jobs=usable_jobs(args.jobs, "run"),
        executor=args.executor,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    print_summary(result)
    return run_exit_code(result)


def run_exit_code(result) -> int:
    """The exit code of a pipeline run (:mod:`myomri.outcome`): 1 when any subject or stage failed
    (a subject's T2 fit counts as failed when it fails as a whole), else 0."""
    from ..outcome import exit_code

    return exit_code(failed_parts=len(result.failures))


def print_summary(result) -> None:
    """One line per stage and the report path."""
    for name, info in result.stages.items():
        if isinstance(info, dict):
            reason = f": {info['reason']}" if info.get("status") == "skipped" and info.get("reason") else ""
            print(f"{name}: {info.get('status')}{reason}", file=sys.stderr)
            if info.get("align_refused"):  # the sanity bound's warning (preprocess.register)
                print(
                    f"warning: series alignment refused (beyond the sanity bound) for "
                    f"{', '.join(info['align_refused'])}; identity kept",
                    file=sys.stderr,
                )
    if result.failures:
        print(f"{len(result.failures)} failure(s): see {result.outdir / 'failures.csv'}", file=sys.stderr)
    print(f"report: {result.report}")
