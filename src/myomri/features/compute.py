"""Compute radiomics features of one (already preprocessed) image + ROI: the engine's single entry point.

Axis order. ``values`` and ``mask`` are indexed ``[i, j, k]`` like :class:`myomri.io.image.Image`
(nibabel voxel order; the SimpleITK numpy view transposed). PyRadiomics works on the SimpleITK view
``[z, y, x]``, so its ``force2Ddimension: 0`` (the slice axis) is OUR axis 2; in general PyRadiomics axis
``d`` is our axis ``2 - d``. A 2-D ``values`` array is taken as a single slice ``[i, j, 1]``.

What happens here, in PyRadiomics 3.0.1 order: settings merged with :mod:`myomri.config.features`
defaults and checked; mask checks (empty, NaN inside the ROI, single voxel, fewer dimensions than
``minimumROIDimensions``, fewer voxels than ``minimumROISize``); re-segmentation (``resegmentRange`` /
``resegmentMode``) and a second mask check; crop to the ROI bounding box; discretisation
(:mod:`myomri.preprocess.discretize`); then each feature class. Normalisation, resampling and filters
(LBP) are the caller's (the extractor's).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> img = rng.integers(0, 100, size=(20, 20, 1))
>>> roi = np.zeros(img.shape, bool); roi[5:15, 5:15] = True
>>> f = compute_features(img, roi, spacing=(1, 1, 1), settings={"binWidth": 10}, classes=["glcm"])
>>> len(f), "glcm_Contrast" in f
(24, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from myomri.config import features as cfg
from myomri.errors import ConfigError, InputError, MaskError
from myomri.features import _engine, firstorder, glcm, gldm, glrlm, glszm, ngtdm
from myomri.features._angles import force2d_axis
from myomri.features._matrices import TextureRoi, build_texture_roi
from myomri.preprocess.discretize import discretize_values, validate_binning

__all__ = ["compute_features", "feature_names", "resolve_settings", "prepare_roi", "FEATURE_CLASS_NAMES"]

_MODULES = {"firstorder": firstorder, "glcm": glcm, "gldm": gldm, "glrlm": glrlm, "glszm": glszm, "ngtdm": ngtdm}

#: Feature classes this engine computes, in PyRadiomics' column order.
FEATURE_CLASS_NAMES = tuple(_MODULES)

_WEIGHTING_NORMS = (None, "infinity", "euclidean", "manhattan", "no_weighting")
_RESEGMENT_MODES = ("absolute", "relative", "sigma")


def feature_names(classes: Sequence[str]) -> list[str]:
    """``"<class>_<Feature>"`` names (PyRadiomics spelling) of the given classes, in output order.

    >>> len(feature_names(["firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm"]))
    93
    """
    return [f"{c}_{name}" for c in _check_classes(classes) for name in _MODULES[c].FEATURE_NAMES]


def _check_classes(classes: Sequence[str]) -> list[str]:
    if isinstance(classes, str):
        classes = [classes]
    bad = [c for c in classes if c not in _MODULES]
    if bad:
        raise ConfigError(f"unknown or unsupported feature class(es) {bad}; expected some of {list(_MODULES)}")
    return list(dict.fromkeys(classes))


def resolve_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge ``settings`` over the defaults of :mod:`myomri.config.features` and validate what we use.

    A ``binCount`` given without ``binWidth`` replaces the default bin width; both given -> ConfigError.
    """
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(cfg.SETTING_DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown setting(s) {unknown}; valid: {sorted(cfg.SETTING_DEFAULTS)}")
    merged = dict(cfg.SETTING_DEFAULTS)
    merged.update(settings)
    if settings.get("binCount") is not None and "binWidth" not in settings:
        merged["binWidth"] = None
    validate_binning(bin_width=merged["binWidth"], bin_count=merged["binCount"])
    problems = []
    dist = merged["distances"]
    if (
        not isinstance(dist, (list, tuple))
        or not dist
        or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in dist)
    ):
        problems.append(f"distances must be a non-empty list of integers >= 1, got {dist!r}")
    if merged["weightingNorm"] not in _WEIGHTING_NORMS:
        problems.append(f"weightingNorm must be one of {_WEIGHTING_NORMS}, got {merged['weightingNorm']!r}")
    if merged["resegmentMode"] not in _RESEGMENT_MODES:
        problems.append(f"resegmentMode must be one of {_RESEGMENT_MODES}, got {merged['resegmentMode']!r}")
    rr = merged["resegmentRange"]
    if rr is not None and (
        not isinstance(rr, (list, tuple))
        or len(rr) not in (1, 2)
        or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in rr)
    ):
        problems.append(f"resegmentRange must be null or a list of 1 or 2 numbers, got {rr!r}")
    if merged["force2Ddimension"] not in (0, 1, 2):
        problems.append(f"force2Ddimension must be 0, 1 or 2, got {merged['force2Ddimension']!r}")
    a = merged["gldm_a"]
    if not isinstance(a, (int, float)) or isinstance(a, bool) or a < 0:
        problems.append(f"gldm_a must be a number >= 0, got {a!r}")
    for key in ("force2D", "symmetricalGLCM"):
        if not isinstance(merged[key], (bool, np.bool_)):
            problems.append(f"{key} must be true or false, got {merged[key]!r}")
    shift = merged["voxelArrayShift"]
    if not isinstance(shift, (int, float, np.number)) or isinstance(shift, bool) or not math.isfinite(shift):
        problems.append(f"voxelArrayShift must be a finite number, got {shift!r}")
    size = merged["minimumROISize"]
    if size is not None and (not isinstance(size, (int, float, np.number)) or isinstance(size, bool) or size < 1):
        problems.append(f"minimumROISize must be null or a number >= 1, got {size!r}")
    if merged["minimumROIDimensions"] not in (1, 2, 3):
        problems.append(f"minimumROIDimensions must be 1, 2 or 3, got {merged['minimumROIDimensions']!r}")
    if problems:
        raise ConfigError(problems)
    return merged


def _bounding_box(mask: np.ndarray) -> tuple[slice, ...]:
    idx = [np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis))) for axis in range(3)]
    return tuple(slice(int(i[0]), int(i[-1]) + 1) for i in idx)


def _check_mask(mask: np.ndarray, settings: Mapping[str, Any], *, when: str) -> tuple[slice, ...]:
    """PyRadiomics' checkMask: non-empty, not one voxel, enough dimensions and voxels. Returns the bbox."""
    n = int(mask.sum())
    if n == 0:
        raise MaskError(f"the ROI is empty{when}; expected at least 2 voxels")
    box = _bounding_box(mask)
    ndim = sum((s.stop - s.start) > 1 for s in box)
    if ndim == 0:
        raise MaskError(f"the ROI is a single voxel{when}; features need at least 2 voxels")
    if ndim < settings["minimumROIDimensions"]:
        raise MaskError(
            f"the ROI spans {ndim} dimension(s){when}, expected at least "
            f"minimumROIDimensions = {settings['minimumROIDimensions']}"
        )
    min_size = settings["minimumROISize"]
    if min_size is not None and n < min_size:
        raise MaskError(f"the ROI has {n} voxels{when}, expected at least minimumROISize = {min_size}")
    return box


def _resegment(values: np.ndarray, mask: np.ndarray, settings: Mapping[str, Any]) -> np.ndarray:
    """Drop ROI voxels outside ``resegmentRange`` (absolute, relative to the max, or in SDs around the mean)."""
    bounds = sorted(float(v) for v in settings["resegmentRange"])
    roi = values[mask].astype(np.float64)
    mode = settings["resegmentMode"]
    if mode == "relative":
        bounds = [roi.max() * b for b in bounds]
    elif mode == "sigma":
        bounds = [roi.mean() + roi.std() * b for b in bounds]
    keep = mask & (values >= bounds[0])
    if len(bounds) == 2:
        keep &= values <= bounds[1]
    return keep


def prepare_roi(values, mask, *, settings: Mapping[str, Any]):
    """Checks, re-segmentation and crop; returns (values, mask, resolved settings), cropped to the ROI box."""
    settings = resolve_settings(settings)
    values = np.asarray(values)
    mask = np.asarray(mask)
    if values.ndim == 2:
        values = values[:, :, None]
    if mask.ndim == 2:
        mask = mask[:, :, None]
    if values.ndim != 3:
        raise InputError(f"image array has shape {values.shape}; expected 2-D or 3-D [i, j, k]")
    if mask.shape != values.shape:
        raise InputError(f"mask shape {mask.shape} does not match image shape {values.shape}")
    if values.dtype.kind not in "biuf":
        raise InputError(f"image array has dtype {values.dtype}; expected integer or float intensities")
    if mask.dtype != bool:
        if mask.dtype.kind not in "biu" or not np.isin(np.unique(mask), [0, 1]).all():
            raise MaskError(
                f"mask array has dtype {mask.dtype} with values other than 0/1; "
                "expected a boolean ROI (select the label first)"
            )
        mask = mask.astype(bool)
    box = _check_mask(mask, settings, when="")
    if values.dtype.kind == "f":
        bad = int(np.count_nonzero(~np.isfinite(values[box][mask[box]])))
        if bad:
            raise InputError(
                f"{bad} ROI voxel(s) are NaN or infinite; expected finite intensities "
                "(fix the image or exclude them from the mask)"
            )
    values, mask = values[box], mask[box]
    if settings["resegmentRange"] is not None:
        mask = _resegment(values, mask, settings)
        box = _check_mask(
            mask,
            settings,
            when=f" after re-segmentation ({settings['resegmentMode']} {list(settings['resegmentRange'])})",
        )
        values, mask = values[box], mask[box]
    return values, mask, settings


def compute_features(
    values: np.ndarray, mask: np.ndarray, *, spacing, settings: Mapping[str, Any], classes: Sequence[str]
) -> dict[str, float]:
    """Radiomics features of the ROI ``mask`` in ``values``, PyRadiomics 3.0.1-exact.

    Parameters
    ----------
    values : ndarray, shape (I, J, K) or (I, J)
        Intensities in myomri's ``[i, j, k]`` order (already normalised/resampled/filtered as wanted).
    mask : ndarray of bool, same shape
        The ROI.
    spacing : sequence of 3 float
        Voxel spacing (si, sj, sk) in mm.
    settings : mapping
        PyRadiomics setting names (binWidth, binCount, voxelArrayShift, distances, weightingNorm,
        symmetricalGLCM, gldm_a, force2D, force2Ddimension, resegmentRange, resegmentMode,
        minimumROIDimensions, minimumROISize); missing keys take :mod:`myomri.config.features` defaults.
    classes : sequence of str
        Feature classes among firstorder, glcm, gldm, glrlm, glszm, ngtdm.

    Returns
    -------
    dict
        ``"<class>_<Feature>"`` -> float, in :func:`feature_names` order.

    Raises
    ------
    ConfigError
        Bad settings (binWidth <= 0, binWidth and binCount both given, unknown keys...).
    MaskError
        Empty ROI, single voxel, too few dimensions or voxels (also after re-segmentation).
    InputError
        NaN/inf inside the ROI, mismatched shapes.
    """
    classes = _check_classes(classes)
    spacing = tuple(float(s) for s in spacing)
    if len(spacing) == 2:
        spacing = spacing + (1.0,)
    if len(spacing) != 3 or not all(math.isfinite(s) and s > 0 for s in spacing):
        raise InputError(f"spacing {spacing} must be 3 positive finite numbers (mm)")
    values, mask, settings = prepare_roi(values, mask, settings=settings)
    roi_values = values[mask]
    levels_roi, _ = discretize_values(
        roi_values,
        bin_width=settings["binWidth"],
        bin_count=settings["binCount"],
        digitize=_engine.digitize_uniform if _engine.BACKEND == "c" else None,  # one pass, not ~12 numpy ones
    )
    out: dict[str, float] = {}
    texture: TextureRoi | None = None
    for cls in classes:
        if cls == "firstorder":
            feats = firstorder.compute_firstorder(
                roi_values, levels_roi, spacing=spacing, voxel_array_shift=settings["voxelArrayShift"]
            )
        else:
            if texture is None:
                texture = build_texture_roi(
                    levels_roi,
                    mask,
                    spacing=spacing,
                    pad=max(settings["distances"]),
                    drop_axis=force2d_axis(settings),
                    fused=_fused_kinds(classes, settings),
                    alpha=float(settings["gldm_a"]),
                )
            feats = _texture(cls, texture, settings)
        out.update({f"{cls}_{name}": float(feats[name]) for name in _MODULES[cls].FEATURE_NAMES})
    return out


def _fused_kinds(classes: Sequence[str], settings: Mapping[str, Any]) -> set[str]:
    """The counts to make in one pass: GLRLM and GLSZM, and GLCM, GLDM and NGTDM at distance 1 only."""
    kinds = {c for c in classes if c in ("glrlm", "glszm")}
    if {int(d) for d in settings["distances"]} == {1}:
        if "glcm" in classes:
            kinds.add("glcm")
        if "gldm" in classes or "ngtdm" in classes:
            kinds.add("neighbourhood")
    return kinds


def _texture(cls: str, roi: TextureRoi, settings: Mapping[str, Any]) -> dict[str, float]:
    if cls == "glcm":
        return glcm.compute_glcm(
            roi,
            distances=settings["distances"],
            symmetrical=settings["symmetricalGLCM"],
            weighting_norm=settings["weightingNorm"],
        )
    if cls == "glrlm":
        return glrlm.compute_glrlm(roi, weighting_norm=settings["weightingNorm"])
    if cls == "glszm":
        return glszm.compute_glszm(roi)
    if cls == "gldm":
        return gldm.compute_gldm(roi, distances=settings["distances"], alpha=settings["gldm_a"])
    return ngtdm.compute_ngtdm(roi, distances=settings["distances"])
