"""``myomri demo-data``: generate the synthetic demo cohort with its ground truth."""

from __future__ import annotations

import argparse

__all__ = ["register", "run", "parse_composition"]


def register(subparsers) -> None:
    """Add the ``demo-data`` subcommand."""
    from .argtypes import n_jobs, output_dir, seed

    p = subparsers.add_parser(
        "demo-data",
        help="generate the synthetic demo cohort (STIR, MESE, Dixon, labels, ROIs, clinical table, truth)",
        description=(
            "Generate the synthetic two-thigh MRI demo cohort, deterministic by seed: per subject a STIR "
            "slice with three reader ROIs (R1, R2, R1b), a 10-echo MESE series, Dixon water/fat with the "
            "muscle label map; participants.tsv, manifest.csv and the ground truth under truth/."
        ),
    )
    p.add_argument("outdir", metavar="OUTDIR", type=output_dir, help="output folder (new or empty)")
    p.add_argument("--seed", type=seed, default=None, help="random seed (default from config: 0)")
    p.add_argument(
        "--subjects-per-group",
        metavar="N|G=N,...",
        default=None,
        help="subjects per group: one number for every group, or e.g. 'PM=3,DM=3,ADM=2,nonIIM=2,HC=2' "
        "(default: 19 PM, 22 DM, 14 ADM, 19 nonIIM, 10 HC)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty OUTDIR")
    p.add_argument(
        "--jobs",
        type=n_jobs,
        default=1,
        metavar="N",
        help="subjects simulated in parallel (default 1; output does not depend on it)",
    )
    p.add_argument(
        "--dicom",
        action="store_true",
        help="also write the STIR, MESE and Dixon series as DICOM under OUTDIR/dicom/ (synthetic "
        "headers: PatientID DEMO001..., no real patient data) with dicom/clinical.tsv keyed "
        "by PatientID, to try 'myomri init'",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def parse_composition(text: str) -> dict[str, int]:
    """``'3'`` -> every group 3; ``'PM=3,HC=2'`` -> only those groups."""
    from ..config.demo import GROUPS
    from ..errors import ConfigError

    text = text.strip()
    if text.isdigit():
        return {g: int(text) for g in GROUPS}
    out: dict[str, int] = {}
    problems: list[str] = []
    for part in text.split(","):
        name, _, num = part.partition("=")
        name = name.strip()
        match = {g.lower(): g for g in GROUPS}.get(name.lower())
        if match is None or not num.strip().isdigit():
            problems.append(f"--subjects-per-group item {part!r}: expected GROUP=N with GROUP in {', '.join(GROUPS)}")
            continue
        if match in out:
            # a repeated group would otherwise silently keep its last count
            problems.append(
                f"--subjects-per-group: group {match} given more than once ({part.strip()!r} "
                f"after {match}={out[match]})"
            )
            continue
        out[match] = int(num)
    if problems:
        raise ConfigError(problems)
    return out


def run(args: argparse.Namespace) -> int:
    """Generate the cohort and print a short summary."""
    from ..config.demo import DemoConfig
    from ..demo.cohort import generate_cohort

    changes = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.subjects_per_group is not None:
        changes["composition"] = parse_composition(args.subjects_per_group)
    config = DemoConfig(**changes).validate()
    summary = generate_cohort(
        args.outdir,
        config=config,
        overwrite=args.overwrite,
        progress=not args.no_progress,
        n_jobs=args.jobs,
        dicom=args.dicom,
    )
    print(summary.format())
    return 0
