"""``myomri roi-stats MAP MASK -o stats.csv``: per-label statistics of a quantitative map."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``roi-stats`` subcommand."""
    from ..config.labels import LABEL_SCHEMES
    from .argtypes import output_file

    p = subparsers.add_parser(
        "roi-stats",
        help="per-label count, mean, SD, median and IQR of a map (T2, FF, vendor map)",
        description=(
            "Statistics of a quantitative map (a fitted t2.nii.gz, a scanner T2 map, an FF map) "
            "in every label of a mask. Voxels the fit left out are excluded and counted: those "
            "its status map marks (the status.nii.gz t2fit and run write, found beside MAP or given with "
            "--status), so that a fat fraction of 0 counts as a value; else map voxels equal to 0. "
            "A mask on another grid is carried onto the map through world "
            "coordinates; the overlap fraction is written in the table."
        ),
    )
    p.add_argument("map", help="3-D map (NIfTI/NRRD/DICOM)")
    p.add_argument("mask", help="label map (any grid of the same patient space)")
    p.add_argument("-o", "--output", required=True, type=output_file, help="CSV file to write")
    p.add_argument("--labels", default=None, help="label names: ITK-SNAP label file or 'value name' lines")
    p.add_argument(
        "--label-scheme",
        choices=LABEL_SCHEMES,
        default=None,
        help="the mask's label scheme, for default names: myomri = thigh muscles, right 1-12, "
        "left 13-24 (VL_R, ...; what 'segment --method dl' and demo-data write); "
        "without it (and without --labels) labels are named label_N",
    )
    p.add_argument(
        "--combine",
        action="store_true",
        help="add the whole-muscle value over all labels (and per side with --label-scheme myomri)",
    )
    p.add_argument(
        "--status",
        default="auto",
        metavar="auto|none|FILE",
        help="t2fit's status map: voxels it marks as not fitted are left out and every other value counts, "
        "0 included (auto, the default: status.nii.gz beside MAP, as t2fit and run write it, when it is on "
        "MAP's grid; none: map voxels equal to 0 are left out instead)",
    )
    p.add_argument(
        "--vendor-layout",
        choices=("map", "qmritools"),
        default="map",
        help="how to read MAP: a plain map, or the map frames of a QMRITools T2 file",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute and write the table; returns 0."""
    from ..io.atomic import atomic_path
    from ..io.paths import refuse_output_over_input
    from ..io.read import read_image, read_mask
    from ..t2.vendor import read_vendor_t2map
    from ..tables.roistats import map_roi_statistics, read_names

    status = _status_path(args)
    refuse_output_over_input(
        {"map": args.map, "mask": args.mask, "label file": args.labels, "status map": status}, [args.output]
    )
    if args.vendor_layout == "qmritools":
        value_map = read_vendor_t2map(args.map, layout="qmritools")
    else:
        value_map = read_image(args.map)
    mask = read_mask(args.mask)
    names = read_names(args.labels) if args.labels else None
    unfitted = 0.0
    if status is not None:  # the fit's own record of what it left out: zeros in MAP are then values
        marked = _mark_unfitted(value_map, read_image(status), given=args.status != "auto")
        if marked is None:
            print(f"roi-stats: {status} is not on the map's grid and is not used; voxels equal to 0 are left out",
                  file=sys.stderr)  # fmt: skip
        else:
            value_map, unfitted = marked, float("nan")
            print(f"roi-stats: voxels left out by the fit from {status}", file=sys.stderr)
    table, overlap = map_roi_statistics(value_map, mask, names=names, combine=args.combine, scheme=args.label_scheme,
                                        unfitted_value=unfitted)  # fmt: skip
    with atomic_path(args.output) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    print(f"roi-stats: {len(table)} rows, mask overlap {overlap:.3f}; written {args.output}", file=sys.stderr)
    return 0


def _status_path(args: argparse.Namespace) -> str | None:
    """The status map to use: the one given, or for "auto" the status.nii.gz beside a MAP file (t2fit and
    run write one beside their maps); None otherwise."""
    from pathlib import Path

    if args.status == "none" or (args.status == "auto" and args.vendor_layout != "map"):
        return None
    if args.status != "auto":
        return args.status
    found = Path(args.map).parent / "status.nii.gz"
    return str(found) if Path(args.map).is_file() and found.is_file() else None


def _mark_unfitted(value_map, status, *, given: bool):
    """``value_map`` with NaN where ``status`` (t2fit's codes, same grid) says no value was fitted; None
    for a status map found beside MAP on another grid (a map put in a fit's folder), an error if given."""
    import numpy as np

    from ..errors import InputError
    from ..preprocess.geometry import grid_mismatches
    from ..t2.fit import AT_BOUND, FITTED

    differ = grid_mismatches(status, value_map)
    if differ and not given:
        return None
    if differ:
        raise InputError(
            f"{status.source}: the status map is not on the grid of {value_map.source or 'the map'} "
            f"[{'; '.join(differ)}]; expected the status.nii.gz t2fit wrote with that map"
        )
    codes = np.asarray(status.array)
    fitted = (codes == FITTED) | (codes == AT_BOUND)
    return value_map.with_array(np.where(fitted, np.asarray(value_map.array, dtype=float), np.nan))
