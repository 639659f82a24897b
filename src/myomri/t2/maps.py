"""Write a T2 ``Fit`` as NIfTI maps on the input grid plus a JSON summary."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text
from ..io.image import Image
from ..io.nifti import write_nifti
from .fit import STATUS_NAMES, Fit

__all__ = ["MAP_NAMES", "write_fit", "fit_summary"]


def fit_summary(fit: Fit, **extra) -> dict:
    """JSON-ready summary: model settings, free parameters, voxel counts and map statistics."""
    counts = fit.counts()
    ok = fit.fitted
    stats = {}
    for name in ("t2", "ff", "b1"):
        arr = getattr(fit, name)
        if arr is not None and ok.any():
            v = arr[ok]
            stats[name] = {
                "median": float(np.median(v)),
                "q1": float(np.percentile(v, 25)),
                "q3": float(np.percentile(v, 75)),
            }
    return {
        "model": fit.settings.get("model"),
        "settings": fit.settings,
        "free_parameters": fit.free_parameters,
        "fixed_parameters": _fixed(fit),
        "counts": {
            "fitted": counts["fitted"] + counts["fitted_at_bound"],
            "fitted_at_bound": counts["fitted_at_bound"],
            "below_noise": counts["below_noise"],
            "outside_mask": counts["outside_mask"],
            "invalid_data": counts["invalid_data"],
            "failed": counts["failed"],
            "total": int(fit.status.size),
        },
        "status_codes": {str(k): v for k, v in STATUS_NAMES.items()},
        "statistics_of_fitted_voxels": stats,
        **extra,
    }


def _fixed(fit: Fit) -> dict:
    s = fit.settings
    if s.get("model") == "epg":
        fixed = {"t1_water_ms": s["t1_water_ms"], "t1_fat_ms": s["t1_fat_ms"]}
        if not s.get("fat_t2_estimated"):
            fixed["fat_t2_ms"] = s.get("fat_t2_ms")
        if s.get("fat_fraction") != "free":
            fixed["fat_fraction"] = s.get("fat_fraction")
        return fixed
    return {} if s.get("fit_offset") else {"offset": 0.0}


#: Every map a Fit may hold, in the order they are written.
MAP_NAMES = ("t2", "m0", "residual", "ff", "b1", "offset")


def write_fit(
    fit: Fit,
    grid: Image,
    outdir: str | os.PathLike,
    *,
    maps: Sequence[str] = MAP_NAMES,
    summary: bool = True,
    status: bool | None = None,
    **extra,
) -> dict:
    """Write the maps of ``fit`` on ``grid`` into ``outdir`` (float32 NIfTI, unfitted voxels 0).

    Parameters
    ----------
    fit : Fit
        The fit to write.
    grid : Image
        The grid of the fitted data (a 3-D volume of the series, or the 4-D series itself).
    outdir : path
        Output folder (created).
    maps : sequence of str
        Which of :data:`MAP_NAMES` to write; those the fit does not hold (``ff`` and ``b1`` of a
        mono-exponential fit, ``offset`` without ``fit_offset``) are skipped.
    summary : bool
        Also write ``summary.json`` (``extra`` adds fields to the summary).
    status : bool, optional
        Also write ``status.nii.gz`` (the voxel codes, which say where a 0 in a map is a value);
        None: with the summary.

    Returns
    -------
    dict
        The summary (:func:`fit_summary`), with the files written under ``files``.
    """
    unknown = sorted(set(maps) - set(MAP_NAMES))
    if unknown:
        raise InputError(f"unknown map name(s) {unknown}; a Fit holds {list(MAP_NAMES)}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (n for n in MAP_NAMES if n in maps and getattr(fit, n) is not None):
        write_nifti(_on_grid(grid, np.asarray(getattr(fit, name), dtype=np.float32)), outdir / f"{name}.nii.gz")
        written.append(f"{name}.nii.gz")
    if status is None:
        status = summary
    if status:
        write_nifti(_on_grid(grid, fit.status.astype(np.uint8)), outdir / "status.nii.gz")
        written.append("status.nii.gz")
    result = fit_summary(fit, files=written, **extra)
    if not summary:
        return result
    atomic_write_text(outdir / "summary.json", json.dumps(result, indent=2, default=_json) + "\n")
    return result


def _on_grid(grid: Image, array: np.ndarray) -> Image:
    """``array`` as an image on the spatial grid of ``grid`` (no metadata carried over)."""
    return Image(array, spacing=grid.spacing, origin=grid.origin, direction=grid.direction)


def _json(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
