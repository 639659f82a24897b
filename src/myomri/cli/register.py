"""``myomri register MOVING FIXED -o transform.json``: rigid alignment of two series (thin face)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``register`` subcommand."""
    from ..config import register as cfg
    from .argtypes import output_file, positive_float

    p = subparsers.add_parser(
        "register",
        help="rigid alignment of one series onto another (mutual information; e.g. Dixon onto MESE)",
        description=(
            "Find the rigid transform (3 translations, 3 rotations) that aligns MOVING to FIXED by Mattes "
            "mutual information, coarse to fine, so it works across contrasts. A 4-D series (MESE) "
            "contributes its first echo. A correction beyond the sanity bound is refused with a warning, "
            "the identity is kept (exit code 1); images that do not overlap are refused (exit code 2)."
        ),
    )
    p.add_argument("moving", metavar="MOVING", help="image to move (NIfTI/NRRD/DICOM folder)")
    p.add_argument("fixed", metavar="FIXED", help="reference image (its grid is kept)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        type=output_file,
        help="transform.json: translation_mm, rotation_deg, metric before/after, ITK transform",
    )
    p.add_argument(
        "--resampled",
        type=output_file,
        default=None,
        metavar="OUT.nii.gz",
        help="also write MOVING resampled onto FIXED's grid with the transform that applies",
    )
    p.add_argument(
        "--max-translation",
        type=positive_float,
        default=cfg.MAX_TRANSLATION_MM,
        metavar="MM",
        help=f"sanity bound on the translation (default {cfg.MAX_TRANSLATION_MM:g} mm)",
    )
    p.add_argument(
        "--max-rotation",
        type=positive_float,
        default=cfg.MAX_ROTATION_DEG,
        metavar="DEG",
        help=f"sanity bound on the rotation angle (default {cfg.MAX_ROTATION_DEG:g} degrees)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Register, write transform.json (and the resampled image); 0, or 1 when the correction is refused."""
    import json

    from ..io.atomic import atomic_write_text
    from ..io.paths import refuse_output_over_input
    from ..io.read import read_image, write_image
    from ..outcome import EXIT_OK, EXIT_PARTIAL
    from ..preprocess.register import register_rigid, resample_to_fixed

    outputs = [args.output] + ([args.resampled] if args.resampled else [])
    refuse_output_over_input({"moving": args.moving, "fixed": args.fixed}, outputs)
    moving, fixed = read_image(args.moving), read_image(args.fixed)
    result = register_rigid(moving, fixed, max_translation_mm=args.max_translation, max_rotation_deg=args.max_rotation)
    doc = {"moving": str(args.moving), "fixed": str(args.fixed), **result.to_dict()}
    atomic_write_text(args.output, json.dumps(doc, indent=2) + "\n")
    if args.resampled:
        write_image(resample_to_fixed(moving, fixed, result), args.resampled)
    t, r = result.translation_mm, result.rotation_deg
    found = (
        f"translation ({t[0]:.2f}, {t[1]:.2f}, {t[2]:.2f}) mm, rotation ({r[0]:.2f}, {r[1]:.2f}, "
        f"{r[2]:.2f}) deg; metric {result.metric_before:.4f} -> {result.metric_after:.4f}"
    )
    if not result.accepted:
        print(f"register: warning: {found}: {result.reason}; written {args.output}", file=sys.stderr)
        return EXIT_PARTIAL
    print(f"register: {found}; written {args.output}", file=sys.stderr)
    return EXIT_OK
