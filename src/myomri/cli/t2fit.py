"""``myomri t2fit INPUT -o OUTDIR``: T2 maps (mono-exponential or water T2 by EPG) of a multi-echo
spin-echo series (DICOM folder, or 4-D NIfTI with a JSON sidecar or ``--echo-times``)."""

from __future__ import annotations

import argparse
import os
import sys
import time

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``t2fit`` subcommand."""
    from ..config import outcome as ocfg
    from ..config import t2 as cfg
    from .argtypes import output_dir

    p = subparsers.add_parser(
        "t2fit",
        help="fit T2 maps (mono-exponential or EPG water T2 / FF / B1) of a multi-echo series",
        description=(
            "Fit a multi-echo spin-echo series voxel by voxel and write t2.nii.gz (ms; the water "
            "T2 for --model epg), m0.nii.gz, residual.nii.gz, status.nii.gz and, for epg, "
            "ff.nii.gz and b1.nii.gz, on the input grid, plus summary.json (model, settings, "
            "free parameters, voxel counts, timing). Unfitted voxels are 0. The maps are written "
            "into a fresh temporary folder that replaces OUTDIR as a whole, so OUTDIR never "
            "mixes two fits; a non-empty OUTDIR is refused (before fitting) unless --overwrite "
            "is given. Exit code 0 when the fit succeeded, also with a few failed voxels; 1 "
            "when no voxel was fitted or more than "
            f"{ocfg.MAX_FAILED_VOXEL_FRACTION:.0%} of the voxels tried failed (maps still "
            "written); 2 on unusable input."
        ),
    )
    p.add_argument("input", help="DICOM folder, or 4-D NIfTI/NRRD (echo times from a JSON sidecar)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        type=output_dir,
        metavar="OUTDIR",
        help="output folder (created; replaced as a whole, see --overwrite)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an OUTDIR that holds an earlier t2fit's maps (the whole set: no "
        "stale ff/b1 of an earlier model stays); a folder holding other files is "
        "always refused",
    )
    p.add_argument("--model", choices=("epg", "mono"), default="epg", help="signal model (default epg)")
    p.add_argument(
        "--method",
        default=None,
        help=f"mono: loglinear|nnls|nlls (default {cfg.MONO_METHOD}); "
        f"epg: lsq|myoqmri matching criterion (default {cfg.EPG_OBJECTIVE})",
    )
    _add_reading_arguments(p)
    _add_fit_arguments(p)
    p.set_defaults(func=run)


def _add_reading_arguments(p) -> None:
    """Options of how the series (its echoes, its layout) and the fitting mask are read."""
    p.add_argument(
        "--echo-times",
        default=None,
        help="comma-separated echo times in ms (overrides headers/sidecar); values below 1 (seconds?) are refused",
    )
    p.add_argument(
        "--allow-missing-echoes",
        action="store_true",
        help="fit a series that lacks echoes (a gap in the echo spacing, or an echo with "
        "fewer slices than the others, which is then left out); refused by default",
    )
    p.add_argument("--series", default=None, help="DICOM folder with several series: which one")
    p.add_argument(
        "--input-layout",
        choices=("series", "qmritools"),
        default="series",
        help="'qmritools': INPUT is a QMRITools T2data file (echo frames + map frames)",
    )
    p.add_argument(
        "--mask",
        default=None,
        help="fit only inside this mask (label map; carried onto the input grid "
        "through world coordinates when it lies on another grid)",
    )


def _add_fit_arguments(p) -> None:
    """Options of the signal model and of the fit itself."""
    from ..config import t2 as cfg
    from .argtypes import fat_t2, n_jobs, non_negative_float

    p.add_argument(
        "--fat-t2",
        type=fat_t2,
        default=cfg.FAT_T2_MS,
        help=f"fat T2 in ms, or 'estimate' from pure-fat voxels (default {cfg.FAT_T2_MS:g})",
    )
    p.add_argument(
        "--fat-fraction",
        default=None,
        help="fix FF: a number 0-1 (0 for fat-saturated data) or a FF map (e.g. "
        "Dixon, 0-1 or %%, any grid: interpolated through world coordinates); "
        "default: FF is fitted",
    )
    p.add_argument("--drop-first-echo", action="store_true", help="leave the first echo out")
    p.add_argument("--fit-offset", action="store_true", help="mono nnls/nlls: fit a noise offset")
    p.add_argument(
        "--slice-profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="EPG with the slice profile of Hann-sinc TBW 2 pulses (MyoQMRI-like). Default: on for a "
        "2-D multi-slice series (MRAcquisitionType 2D, or not recorded), off for 3D; summary.json "
        "says what was chosen and why",
    )
    p.add_argument(
        "--profile-sampling",
        choices=("interpolate", "myoqmri"),
        default=cfg.PROFILE_SAMPLING,
        help="slice positions: true 1.2x refocusing stretch, or MyoQMRI 2.0.2's binning",
    )
    p.add_argument(
        "--noise-threshold",
        type=non_negative_float,
        default=None,
        help="do not fit voxels whose maximum signal is below this (default: "
        f"{cfg.NOISE_AUTO_FRACTION:g} x the {cfg.NOISE_AUTO_PERCENTILE:g}th "
        "percentile of voxel maxima)",
    )
    p.add_argument("--jobs", type=n_jobs, default=1, help="worker processes (slabs of slices in parallel; default 1)")


def _parse_echo_times(text):
    """``--echo-times`` as floats in ms; refused when not numbers or when they look like seconds."""
    from ..errors import EchoTimeError

    try:
        tes = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError as exc:
        raise EchoTimeError(f"--echo-times {text!r}: expected comma-separated numbers in ms") from exc
    # no spin echo is shorter than 1 ms: such values are seconds, and fitting them as ms would put
    # every EPG T2 on its lower bound and give mono T2s a thousand times too small
    if tes and max(tes) < 1.0:
        ms = ",".join(f"{1000 * t:g}" for t in tes)
        raise EchoTimeError(
            f"--echo-times {text!r}: every value is below 1, which looks like seconds; "
            f"expected milliseconds (e.g. --echo-times {ms})"
        )
    return tes


def _fat_fraction(value, image):
    """None (free), a float, or a map carried onto the input grid (NaN outside the map)."""
    from ..errors import InputError
    from ..io.read import read_image
    from ..t2.fatmap import ff_on_grid

    if value is None:
        return None, None
    try:
        ff = float(value)
    except ValueError:
        ff = None
    if ff is not None:
        if not 0.0 <= ff <= 1.0:
            raise InputError(f"--fat-fraction {value}: expected a fraction between 0 and 1")
        return ff, None
    return ff_on_grid(read_image(value), image), str(value)


#: Files a t2fit writes into OUTDIR; --overwrite replaces a folder holding only these.
_FIT_FILES = frozenset(
    {
        "t2.nii.gz",
        "m0.nii.gz",
        "residual.nii.gz",
        "status.nii.gz",
        "ff.nii.gz",
        "b1.nii.gz",
        "offset.nii.gz",
        "summary.json",
    }
)


def _check_outdir(path, overwrite: bool) -> None:
    """Refuse, before any fitting, an OUTDIR that the atomic replacement must not touch."""
    from pathlib import Path

    from ..errors import InputError

    out = Path(path)
    if not out.is_dir():
        return
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
    others = [name for name in entries if name not in _FIT_FILES]
    if others:
        raise InputError(
            f"-o {path}: folder holds {len(entries)} entries ({shown}) and not only "
            "t2fit maps; expected a new or empty folder (t2fit replaces OUTDIR as a whole)"
        )
    if not overwrite:
        raise InputError(
            f"-o {path}: folder holds an earlier fit ({shown}); pass --overwrite to "
            "replace the whole set, or choose a new folder"
        )


def _read_series(args):
    """The multi-echo image with validated echo times, and the summary's input fields."""
    from ..io.read import read_image, require_echo_times

    if args.input_layout == "qmritools":
        from ..t2.vendor import read_qmritools_t2data

        image = read_qmritools_t2data(args.input)[0]
    else:
        image = read_image(args.input, series=args.series, allow_missing_echoes=args.allow_missing_echoes)
    tes = None if args.echo_times is None else _parse_echo_times(args.echo_times)
    image = require_echo_times(image, tes, allow_missing_echoes=args.allow_missing_echoes)
    extra = {"input": str(args.input), "input_grid": image.describe_grid()}
    for key in ("UnreadableFiles", "DroppedEchoTimes"):
        if key in image.meta:
            extra[key] = image.meta[key]
    return image, extra


def _read_fit_mask(path, image, extra):
    """The ``--mask`` as a boolean array on the image grid (None without one)."""
    import numpy as np

    from ..io.read import read_mask
    from ..preprocess.geometry import grid_mismatches, transfer_mask

    if not path:
        return None
    mimg = read_mask(path)
    if grid_mismatches(mimg, image):
        mimg, overlap = transfer_mask(mimg, image)
        extra["mask_transferred"] = True
        extra["mask_overlap"] = overlap
    extra["mask"] = str(path)
    return np.asarray(mimg.array) != 0


def _make_model(args, image, mask, extra):
    """The model the options ask for, and the (possibly narrowed) fitting mask."""
    import numpy as np

    from ..errors import InputError
    from ..t2.acquisition import choose_slice_profile
    from ..t2.build import make_model

    if args.model == "mono" and (args.fat_fraction is not None or args.slice_profile):
        raise InputError("--fat-fraction and --slice-profile apply to --model epg only")
    profile = choose_slice_profile(image.meta, args.slice_profile, model=args.model)
    extra["slice_profile_choice"] = profile.as_dict()
    ff, ff_source = _fat_fraction(args.fat_fraction, image) if args.model == "epg" else (None, None)
    if ff_source:
        # voxels the FF map does not cover are left out (counted as outside the mask)
        covered = np.isfinite(ff)
        extra["fat_fraction_map"] = ff_source
        extra["outside_fat_fraction_map"] = int((~covered & (mask if mask is not None else True)).sum())
        mask = covered if mask is None else (mask & covered)
        ff = np.where(covered, ff, 0.0)
    model = make_model(
        image.echo_times,
        args.model,
        fit_method=args.method,
        fat_t2=args.fat_t2,
        fat_fraction=ff,
        slice_profile=profile.enabled,
        profile_sampling=args.profile_sampling,
        noise_threshold=args.noise_threshold,
        drop_first_echo=args.drop_first_echo,
        fit_offset=args.fit_offset,
        source=image.source,
    )
    return model, mask


def run(args: argparse.Namespace) -> int:
    """Fit and write the maps; the exit code follows :mod:`myomri.outcome` (1: the fit failed as a
    whole, i.e. no voxel fitted or more than the accepted fraction of failed voxels)."""
    import functools

    import numpy as np
    from tqdm import tqdm

    from ..io.atomic import atomic_dir
    from ..io.paths import refuse_output_over_input
    from ..outcome import exit_code, fit_failure
    from ..t2.maps import write_fit
    from ..t2.volume import fit_volume
    from .argtypes import usable_jobs

    t0 = time.perf_counter()
    # --fat-fraction is a number or a map file: only a file is an input that must not be overwritten
    fat_map = args.fat_fraction if args.fat_fraction and os.path.exists(str(args.fat_fraction)) else None
    refuse_output_over_input({"multi-echo series": args.input, "mask": args.mask, "fat-fraction map": fat_map},
                             output_folders=[args.output])  # fmt: skip
    _check_outdir(args.output, args.overwrite)
    image, extra = _read_series(args)
    for name in extra.get("UnreadableFiles", []):
        print(f"t2fit: warning: {name}: looks like DICOM but cannot be read; left out of the series", file=sys.stderr)
    if extra.get("DroppedEchoTimes"):
        print(
            f"t2fit: warning: echo(es) {extra['DroppedEchoTimes']} ms left out (--allow-missing-echoes)",
            file=sys.stderr,
        )
    mask = _read_fit_mask(args.mask, image, extra)
    model, mask = _make_model(args, image, mask, extra)
    choice = extra["slice_profile_choice"]
    if args.model == "epg":
        print(f"t2fit: slice profile {'on' if choice['enabled'] else 'off'}: {choice['reason']}", file=sys.stderr)
    progress = functools.partial(tqdm, desc="slabs", file=sys.stderr)
    jobs = usable_jobs(args.jobs, "t2fit")
    fit = fit_volume(model, np.asarray(image.array, dtype=float), mask, n_jobs=jobs, progress=progress)
    c = fit.counts()
    failure = fit_failure(c["fitted"] + c["fitted_at_bound"], c["failed"])
    extra["outcome"] = "ok" if failure is None else f"failed: {failure}"
    extra["seconds_total"] = round(time.perf_counter() - t0, 3)
    with atomic_dir(args.output) as tmp:
        summary = write_fit(fit, image, tmp, **extra)
    c = summary["counts"]
    print(
        f"t2fit: {c['fitted']} voxels fitted ({c['fitted_at_bound']} at a range bound), "
        f"{c['below_noise']} below noise, {c['outside_mask']} outside mask, "
        f"{c['invalid_data']} invalid, {c['failed']} failed; maps in {args.output}",
        file=sys.stderr,
    )
    if failure is not None:
        print(f"t2fit: the fit failed: {failure}", file=sys.stderr)
    return exit_code(failed_parts=failure is not None)
