"""``myomri demo [-o OUTDIR] [--seed N]``: generate the synthetic cohort and run the whole study."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

__all__ = ["register", "nested_check_note", "run"]


def register(subparsers) -> None:
    """Add the ``demo`` subcommand."""
    from .run import add_executor_options

    p = subparsers.add_parser(
        "demo",
        help="generate the synthetic demo cohort and run the whole study on it (report.html)",
        description=(
            "Generate the synthetic 84-subject thigh MRI cohort into OUTDIR/data (kept when already "
            "there), write OUTDIR/data/study.yaml with the papers' protocol (T2 on every MESE slice; "
            "features selected once on all subjects, then 10-fold cross-validation x 100), and run it "
            "into OUTDIR: about four minutes on 2 cores. The report states what is optimistic (the "
            "selection; a nested re-estimate on the first repeats shows by how much) and what is reduced "
            "(200 bootstrap resamples, no Dixon-to-MESE alignment)."
        ),
    )
    from .argtypes import output_dir, seed

    p.add_argument(
        "-o",
        "--output",
        default="myomri-demo",
        metavar="OUTDIR",
        type=output_dir,
        help="output folder (default ./myomri-demo)",
    )
    p.add_argument("--seed", type=seed, default=None, help="random seed of the cohort and the CV (default 0)")
    p.add_argument(
        "--subjects-per-group",
        default=None,
        metavar="N|G=N,...",
        help="cohort size as for demo-data (default: the papers' 19 PM, 22 DM, 14 ADM, 19 nonIIM, 10 HC)",
    )
    from ..config.pipeline import DEMO_JOBS, DEMO_NESTED_CHECK, DEMO_NESTED_REPEATS, DEMO_REPEATS, DEMO_SELECTION_MODE

    p.add_argument(
        "--selection",
        choices=("nested", "published"),
        default=DEMO_SELECTION_MODE,
        help=f"feature selection once on all subjects as the paper did (published, default "
        f"{DEMO_SELECTION_MODE}: optimistic, stated in the report) or inside every outer CV fold (nested: "
        "leak-free, ~26 s per repeat on 2 cores)",
    )
    p.add_argument(
        "--repeats",
        type=_at_least(1),
        default=None,
        metavar="N",
        help=f"repeats of the cross-validation (default {DEMO_REPEATS}, as the papers; {DEMO_NESTED_REPEATS} "
        "with --selection nested)",
    )
    p.add_argument(
        "--nested-check",
        type=_at_least(0),
        default=None,  # None: the default, lowered to the repeats without a word; an N given is reported
        metavar="N",
        help=f"with the published selection, also run the first N repeats with the selection nested and "
        f"report both (default {DEMO_NESTED_CHECK}, at most the repeats; 0: off)",
    )
    p.add_argument(
        "--folds",
        type=_at_least(2),
        default=10,
        metavar="K",
        help="cross-validation folds (default 10, as the papers; a small --subjects-per-group "
        "cohort needs fewer, since tasks with a class smaller than K are left out)",
    )
    add_executor_options(p, jobs=DEMO_JOBS)
    p.set_defaults(func=run)


def nested_check_note(args: argparse.Namespace) -> str | None:
    """The line that says why a ``--nested-check N`` the user gave does not run as given (None when it does)."""
    from ..config.pipeline import DEMO_REPEATS

    if not args.nested_check:  # the default (None) or 0 (off)
        return None
    if args.selection == "nested":
        return "demo: --nested-check applies to the published selection; with --selection nested every repeat is nested"
    repeats = DEMO_REPEATS if args.repeats is None else args.repeats
    if args.nested_check > repeats:
        return f"demo: --nested-check {args.nested_check} is more than the {repeats} repeats; all {repeats} are checked"
    return None


def run(args: argparse.Namespace) -> int:
    """Generate (or reuse) the cohort, run the study, print where report.html is."""
    import json
    from pathlib import Path

    from ..config import pipeline as pcfg
    from ..config.demo import DemoConfig
    from ..demo.cohort import generate_cohort, is_same_cohort
    from ..io.atomic import atomic_write_text
    from ..pipeline import load_pipeline, run_pipeline
    from ..pipeline.demo import write_demo_study
    from .argtypes import usable_jobs
    from .demo_data import parse_composition
    from .run import print_summary, run_exit_code

    t0 = time.perf_counter()
    args.jobs = usable_jobs(args.jobs, "demo")
    note = nested_check_note(args)
    if note:  # said first: the run takes minutes
        print(note, file=sys.stderr)
    seed = pcfg.DEMO_SEED if args.seed is None else int(args.seed)
    out = Path(args.output)
    data = out / "data"
    changes: dict[str, Any] = {"seed": seed}
    if args.subjects_per_group is not None:
        changes["composition"] = parse_composition(args.subjects_per_group)
    demo_cfg = DemoConfig(**changes).validate()
    if not is_same_cohort(data, demo_cfg):
        summary = generate_cohort(
            data, config=demo_cfg, overwrite=True, progress=not args.no_progress, n_jobs=max(1, args.jobs)
        )
        print(summary.format())
    check = pcfg.DEMO_NESTED_CHECK if args.nested_check is None else args.nested_check
    study = write_demo_study(data, seed=seed, selection_mode=args.selection, repeats=args.repeats, folds=args.folds,
                             nested_check=check)  # fmt: skip
    result = run_pipeline(
        load_pipeline(study),
        out,
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    print_summary(result)
    print(f"demo finished in {time.perf_counter() - t0:.0f} s")
    atomic_write_text(out / "demo.json", json.dumps({"seed": seed, "seconds": round(time.perf_counter() - t0, 1)}))
    return run_exit_code(result)


def _at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= {low}")
        return value

    return parse
