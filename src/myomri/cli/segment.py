"""``myomri segment``: whole-muscle segmentation of an axial thigh image.

``--method`` picks the segmenter by name from the one table :data:`myomri.segment.methods.METHODS`
(the names the CLI offers are :data:`myomri.config.segment.METHODS`; a test keeps both in step).
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]

MASK_KINDS = ("tissue", "muscle", "compartment")


def register(subparsers) -> None:
    """Add the ``segment`` subcommand."""
    from ..config.segment import METHODS, TISSUE_LABELS
    from .argtypes import output_file
    from .segment_dl import add_dl_options, add_refine_parser, add_train_parser

    values = ", ".join(f"{k} {v}" for k, v in TISSUE_LABELS.items())
    top = subparsers.add_parser(
        "segment",
        help="segment muscle, subcutaneous fat and bone (or each muscle) in an axial thigh image; train/refine models",
        usage="myomri segment IMAGE [options] | myomri segment {train,refine} ...",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "myomri segment IMAGE [options]: segment one image (options below).\n"
            "myomri segment train ...: train a per-muscle model (deep learning) on image/mask pairs.\n"
            "myomri segment refine ...: fine-tune a model on corrected masks (incremental learning)."
        ),
    )
    # IMAGE or a command name: argparse subparsers with a fallback (see _ImageOrCommand)
    sub = top.add_subparsers(action=_ImageOrCommand, dest="segment_command", metavar="IMAGE | train | refine")
    add_train_parser(sub)
    add_refine_parser(sub)
    p = sub.add_parser(
        _IMAGE_COMMAND,
        prog="myomri segment",
        description=(
            "Segment an axial thigh volume: a Dixon pair (IMAGE = water, --fat FAT) or one T1- or "
            "T2-weighted image with bright fat. Writes a label map on the input grid "
            f"(--mask tissue: {values}) or a 0/1 mask (--mask muscle: label 1; --mask compartment: "
            "labels 1 and 4, i.e. muscle including fat-infiltrated muscle)."
        ),
    )
    p.add_argument("image", metavar="IMAGE", help="water image, or a T1/T2-weighted image (NIfTI, NRRD or DICOM)")
    p.add_argument("--fat", metavar="FAT", default=None, help="Dixon fat image on the same grid as IMAGE")
    p.add_argument(
        "--method",
        choices=METHODS,
        default=None,
        help="classical: thresholds and morphology -> tissue map (the default with --fat); "
        "dl: the per-muscle network -> 24 muscle labels, right 1-12, left 13-24 (the default "
        "for one image)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="MASK",
        required=True,
        type=output_file,
        help="output label map (.nii, .nii.gz, .nrrd); written atomically",
    )
    p.add_argument(
        "--mask",
        choices=MASK_KINDS,
        default="tissue",
        help="what to write: the tissue label map (default) or a binary muscle/compartment mask",
    )
    p.add_argument(
        "--series",
        default=None,
        help="series number or description when IMAGE/FAT is a DICOM folder with several series",
    )
    add_dl_options(p)
    p.set_defaults(func=run)
    top.epilog = "options of 'myomri segment IMAGE':\n\n" + p.format_help()


#: Hidden name of the one-image subcommand: ``myomri segment IMAGE ...`` is parsed by it.
_IMAGE_COMMAND = "segment-image"


class _ImageOrCommand(argparse._SubParsersAction):
    """Subcommands where an unknown first word (an image path) selects the one-image command."""

    class _AnyWord:
        # argparse checks ``word in choices`` before calling the action; every word is acceptable here
        def __init__(self, names: dict):
            self.names = names

        def __contains__(self, key) -> bool:
            return True

        def __iter__(self):
            return iter(self.names)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = self._AnyWord(self._name_parser_map)

    def __call__(self, parser, namespace, values, option_string=None):
        if values and values[0] not in self._name_parser_map:
            values = [_IMAGE_COMMAND, *values]
        super().__call__(parser, namespace, values, option_string)


def _read(path: str, series):
    from ..io.read import read_image

    return read_image(path, series=series)


def run(args: argparse.Namespace) -> int:
    """Read, segment, write; print the tissue volumes."""
    import numpy as np

    from ..config.segment import TISSUE_LABELS
    from ..errors import InputError
    from ..io.paths import refuse_output_over_input
    from ..io.read import write_image

    refuse_output_over_input({"image": args.image, "fat image": args.fat, "model": args.model}, [args.output])
    if args.method is None:  # the DL model takes one image; a Dixon pair means the classical method
        args.method = "classical" if args.fat else "dl"
    if args.method == "dl" and args.fat:
        raise InputError(
            f"--fat {args.fat}: the dl method segments one image (IMAGE, --contrast); "
            "use --method classical for a Dixon water/fat pair"
        )
    if args.method == "dl" and args.mask == "compartment":
        raise InputError(
            "--mask compartment: the dl method labels each muscle and draws no fascia compartment; "
            "expected --mask tissue (the muscle labels) or muscle (a 0/1 mask), or --method classical"
        )
    image = _read(args.image, args.series)
    if args.method == "dl":  # per-muscle labels, not the tissue map: its own writer
        from .segment_dl import run_dl

        return run_dl(args, image)
    from ..segment.methods import segment

    fat = _read(args.fat, args.series) if args.fat else None
    if fat is not None and fat.shape == image.shape and np.array_equal(fat.array, image.array):
        raise InputError(
            f"--fat {args.fat}: holds the same pixels as IMAGE {args.image}; expected the Dixon fat image "
            "beside the water image (with --series, both are read from that one series)"
        )
    tissue = segment(image, args.method, fat=fat)
    if args.mask == "tissue":
        out = tissue
    else:
        keep = (1,) if args.mask == "muscle" else (1, 4)
        out = tissue.with_array(np.isin(tissue.array, keep).astype(np.uint8))
    path = write_image(out, args.output)
    voxel_ml = float(np.prod(tissue.spacing)) / 1000.0
    counts = np.bincount(tissue.array.ravel(), minlength=len(TISSUE_LABELS))
    parts = [f"{TISSUE_LABELS[k]} {counts[k] * voxel_ml:.1f} mL" for k in (1, 4, 2, 3)]
    n_femur = sum(bool((tissue.array[:, :, k] == 3).any()) for k in range(tissue.array.shape[2]))
    print(
        f"{path}: {args.method} segmentation ({args.mask}); "
        + ", ".join(parts)
        + f"; femur found in {n_femur}/{tissue.array.shape[2]} slices"
    )
    if not counts[1] or not n_femur:  # an axial thigh always holds muscle and the femur: inputs likely wrong
        print(
            f"segment: warning: {'no muscle' if not counts[1] else 'no femur'} found in {args.image}; expected an "
            "axial thigh image "
            + ("(IMAGE the Dixon water image, --fat the fat image, not swapped)" if args.fat else "with bright fat"),
            file=sys.stderr,
        )
    return 0
