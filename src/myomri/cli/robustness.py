"""``myomri robustness``: per-feature ICC over mask perturbations (no second reader needed)."""

from __future__ import annotations

import argparse
import sys

from ..config.features import ROBUSTNESS_DEFAULTS

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``robustness`` subcommand."""
    from .argtypes import output_file, seed

    p = subparsers.add_parser(
        "robustness",
        help="feature robustness to segmentation: ICC(1,1) over random mask perturbations",
        description=(
            "Perturb every ROI's mask N times (erosion/dilation, contour randomisation, small "
            "translations; Zwanenburg et al. 2019), extract the features of each on the same image and "
            "write one row per feature with its one-way ICC(1,1) and flags for ICC >= 0.75 and >= 0.9. "
            "Targets are the labels of MASK (e.g. muscles) or the rows of --manifest; at least 2 are needed."
        ),
    )
    p.add_argument("image", nargs="?", help="image file or DICOM folder")
    p.add_argument("mask", nargs="?", help="label map; every label (or --labels) is one target")
    p.add_argument("--labels", type=int, nargs="+", default=None, help="labels of MASK to use (default: all)")
    p.add_argument("--manifest", help="cohort CSV (subject, reader, image, mask[, label]); one target per row")
    p.add_argument("--params", help="PyRadiomics parameter file (YAML)")
    p.add_argument("--n", type=int, default=ROBUSTNESS_DEFAULTS["n"], help="perturbations per target")
    p.add_argument("--seed", type=seed, default=ROBUSTNESS_DEFAULTS["seed"], help="random seed")
    p.add_argument("-o", "--out", required=True, type=output_file, help="output CSV (one row per feature)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the robustness table; returns 0."""
    from ..errors import InputError
    from ..features.robustness import assess_robustness
    from ..io.atomic import atomic_path
    from ..io.masks import mask_labels
    from ..io.paths import refuse_output_over_input
    from ..io.read import read_image, read_mask

    inputs = {"image": args.image, "mask": args.mask, "manifest": args.manifest, "params": args.params}
    refuse_output_over_input(inputs, [args.out])
    cases = []
    if args.manifest:
        if args.image or args.mask or args.labels:
            raise InputError("give either IMAGE MASK [--labels] or --manifest, not both")
        from ..features.batch import read_manifest

        manifest = read_manifest(args.manifest)
        refuse_output_over_input(
            {"manifest image": list(manifest["image"]), "manifest mask": list(manifest["mask"])}, [args.out]
        )
        for row in manifest.itertuples(index=False):
            label = row.label if row.label is not None else 1
            cases.append((read_image(row.image), read_mask(row.mask, label=label), label))
    else:
        if not (args.image and args.mask):
            raise InputError("give IMAGE and MASK (or --manifest M.csv)")
        image = read_image(args.image)
        mask = read_mask(args.mask)
        labels = args.labels or mask_labels(mask)
        missing = [lab for lab in labels if lab not in mask_labels(mask)]
        if missing:
            raise InputError(f"{args.mask}: label(s) {missing} not in mask; present: {mask_labels(mask)}")
        cases = [(image, mask, lab) for lab in labels]
    table = assess_robustness(cases, params=args.params, n=args.n, seed=args.seed, progress=not args.no_progress)
    with atomic_path(args.out) as tmp:
        table.to_csv(tmp, index=False)
    good = table.columns[2]
    print(
        f"robustness: {int(table[good].sum())}/{len(table)} features with ICC >= "
        f"{ROBUSTNESS_DEFAULTS['icc_good']} over {args.n} perturbations of {len(cases)} targets -> {args.out}",
        file=sys.stderr,
    )
    return 0
