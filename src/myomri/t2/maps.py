"""Write a T2 ``Fit`` as NIfTI maps on the input grid plus a JSON summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write_text
from ..io.image import Image
from ..io.nifti import write_nifti
from .fit import STATUS_NAMES, Fit

__all__ = ["write_fit", "fit_summary"]


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


def write_fit(fit: Fit, grid: Image, outdir: str | os.PathLike, **extra) -> dict:
    """Write ``t2``, ``m0``, ``residual`` (and ``ff``, ``b1`` for EPG), ``status`` and
    ``summary.json`` into ``outdir``; returns the summary. Unfitted voxels are 0."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    maps = {"t2": fit.t2, "m0": fit.m0, "residual": fit.residual}
    if fit.ff is not None:
        maps["ff"] = fit.ff
    if fit.b1 is not None:
        maps["b1"] = fit.b1
    if fit.offset is not None:
        maps["offset"] = fit.offset
    written = []
    for name, arr in maps.items():
        img = Image(np.asarray(arr, dtype=np.float32), spacing=grid.spacing, origin=grid.origin,
                    direction=grid.direction)
        write_nifti(img, outdir / f"{name}.nii.gz")
        written.append(f"{name}.nii.gz")
    status = Image(fit.status.astype(np.uint8), spacing=grid.spacing, origin=grid.origin,
                   direction=grid.direction)
    write_nifti(status, outdir / "status.nii.gz")
    written.append("status.nii.gz")
    summary = fit_summary(fit, files=written, **extra)
    atomic_write_text(outdir / "summary.json", json.dumps(summary, indent=2, default=_json) + "\n")
    return summary


def _json(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
