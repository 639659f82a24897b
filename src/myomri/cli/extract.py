"""``myomri extract``: radiomics features of one image + mask, or of a cohort manifest."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``extract`` subcommand."""
    from .argtypes import n_jobs, output_file

    p = subparsers.add_parser(
        "extract",
        help="PyRadiomics-compatible radiomics features of an image + mask or a cohort manifest",
        description=(
            "Extract radiomics features with PyRadiomics' column names and values. Either IMAGE MASK "
            "(one case, one output row) or --manifest M.csv with columns subject, reader, image, mask "
            "(optional label, session): parallel, resumable (finished cases are kept in OUT.parts/), "
            "failed cases listed in OUT's .errors.csv; exit code 1 when some case failed."
        ),
    )
    p.add_argument("image", nargs="?", help="image file (NIfTI, NRRD) or DICOM folder")
    p.add_argument("mask", nargs="?", help="label map on the same grid as the image")
    p.add_argument("--manifest", help="cohort CSV (subject, reader, image, mask[, label, session])")
    p.add_argument("--params", help="PyRadiomics parameter file (YAML), read as-is and validated")
    p.add_argument("--label", type=int, default=None, help="ROI label (default: the params' label, 1)")
    p.add_argument("-o", "--out", required=True, type=output_file, help="output CSV")
    p.add_argument(
        "--jobs",
        type=n_jobs,
        default=1,
        help="parallel worker processes (manifest; -1: all cores; more than the cores: clamped)",
    )
    p.add_argument(
        "--executor",
        choices=("joblib", "dask"),
        default="joblib",
        help="run cases with joblib processes or on a Dask cluster",
    )
    p.add_argument("--scheduler", default=None, help="Dask scheduler address for --executor dask")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the extraction; 0 when every case succeeded, 1 when some failed (:mod:`myomri.outcome`)."""
    from ..cores import keep_freed_memory, single_threaded_blas

    single_threaded_blas()
    keep_freed_memory()
    from ..errors import InputError
    from ..outcome import exit_code

    if args.manifest:
        if args.image or args.mask:
            raise InputError("give either IMAGE MASK or --manifest, not both")
        if args.label is not None:
            raise InputError("--label applies to IMAGE MASK; put a label column in the manifest instead")
        from ..cores import clamp_jobs
        from ..features.batch import run_batch

        jobs, note = clamp_jobs(args.jobs)
        if note and args.executor == "joblib":
            print(f"extract: {note}", file=sys.stderr)
        result = run_batch(
            args.manifest,
            out=args.out,
            params=args.params,
            jobs=jobs,
            executor=args.executor,
            scheduler=args.scheduler,
            progress=not args.no_progress,
        )
        print(
            f"extract: {len(result.rows)} case(s): {result.n_computed} computed, {result.n_cached} "
            f"from cache, {result.n_failed} failed -> {args.out}",
            file=sys.stderr,
        )
        if result.n_failed:
            print(f"extract: failures listed in {args.out.removesuffix('.csv')}.errors.csv", file=sys.stderr)
        return exit_code(failed_parts=result.n_failed)
    if not (args.image and args.mask):
        raise InputError("give IMAGE and MASK (or --manifest M.csv)")
    from pathlib import Path

    from ..features._batch_io import write_csv
    from ..features.extractor import FeatureExtractor
    from ..io.paths import refuse_output_over_input

    refuse_output_over_input({"image": args.image, "mask": args.mask, "params": args.params}, [args.out])
    row = FeatureExtractor(args.params).extract_files(args.image, args.mask, label=args.label)
    record = {"image": args.image, "mask": args.mask, **row}
    # the batch's CSV writer (cells as pandas writes them) and no pandas to import: ~0.3 s of a one-case run
    write_csv(Path(args.out), list(record), [record])
    print(f"extract: {sum(not k.startswith('diagnostics_') for k in row)} features -> {args.out}", file=sys.stderr)
    return 0
