"""Feature robustness to segmentation without a second reader (Zwanenburg et al. 2019, Sci Rep 9:614).

Each ROI ("target") is segmented again ``n`` times by perturbing its mask: a random growth or
shrinkage (dilation/erosion by up to ``max_grow`` voxels), a contour randomisation (every voxel of
the one-voxel band around the contour flips with ``contour_probability``) and a small translation
(up to ``max_translation`` voxels, rounded to the grid, since the mask is label data). Only the axes
along which the ROI extends are perturbed, so a 2-D ROI stays in its slice, and axes more than twice
as coarse as the finest one (thick slices) are left alone. The features of every
perturbed mask are extracted on the unchanged image.

Reproducibility is the one-way random-effects, single-measure ICC(1,1) (Shrout & Fleiss 1979),
the coefficient Zwanenburg et al. used: each target is "rated" by its own random set of
perturbations, so perturbations are not the same raters across targets, which is the one-way
model. ICC needs at least two targets: several labels of one mask (e.g. muscles) or several
subjects. A feature that is constant over all targets and perturbations has an undefined ICC: it is
reported as NaN with the note ``constant`` and never flagged as robust.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config.features import ROBUSTNESS_DEFAULTS as DEF
from ..errors import FeatureError, InputError
from ..io.image import Image
from ..preprocess.normalize import normalize_image

__all__ = ["icc_1_1", "perturb_mask", "assess_robustness"]


def icc_1_1(values: np.ndarray) -> np.ndarray:
    """One-way random, single-measure ICC(1,1) for every feature at once.

    Parameters
    ----------
    values : ndarray, shape (n_targets, k_raters) or (n_targets, k_raters, n_features)

    Returns
    -------
    ndarray
        ``(MSB - MSW) / (MSB + (k - 1) MSW)`` per feature (NaN where MSB + (k-1) MSW is 0).

    Examples
    --------
    >>> round(float(icc_1_1(np.array([[1.0, 1.1], [2.0, 2.1], [3.0, 2.9]]))), 4)  # 1.80167 / 1.81167
    0.9945
    """
    x = np.asarray(values, dtype=np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, np.newaxis]
    if x.ndim != 3:
        raise InputError(f"ICC needs an array (targets, raters[, features]), got shape {x.shape}")
    n, k = x.shape[:2]
    if n < 2 or k < 2:
        raise InputError(f"ICC needs at least 2 targets and 2 raters, got {n} target(s) and {k} rater(s)")
    target_mean = x.mean(axis=1)
    grand = target_mean.mean(axis=0)
    msb = k * ((target_mean - grand) ** 2).sum(axis=0) / (n - 1)
    msw = ((x - target_mean[:, np.newaxis, :]) ** 2).sum(axis=(0, 1)) / (n * (k - 1))
    denom = msb + (k - 1) * msw
    with np.errstate(invalid="ignore", divide="ignore"):
        icc = np.where(denom > 0, (msb - msw) / np.where(denom > 0, denom, 1.0), np.nan)
    return icc[0] if squeeze else icc


def _structure(axes: Sequence[int]) -> np.ndarray:
    """Face-connected structuring element acting only along ``axes``."""
    st = np.zeros((3, 3, 3), bool)
    st[1, 1, 1] = True
    for a in axes:
        idx = [1, 1, 1]
        for v in (0, 2):
            idx[a] = v
            st[tuple(idx)] = True
    return st


def _identity(image: Image) -> Image:
    return image


def _extended_axes(roi: np.ndarray) -> list[int]:
    """Axes along which the ROI spans more than one voxel."""
    out = []
    for a in range(3):
        idx = np.flatnonzero(roi.any(axis=tuple(b for b in range(3) if b != a)))
        if idx.size and idx[-1] > idx[0]:
            out.append(a)
    return out


def perturb_mask(
    roi: np.ndarray,
    *,
    rng: np.random.Generator,
    spacing: Sequence[float] | None = None,
    max_translation: float = DEF["max_translation"],
    max_grow: int = DEF["max_grow"],
    contour_probability: float = DEF["contour_probability"],
) -> np.ndarray:
    """One perturbed copy of a boolean ROI (growth/shrinkage, contour randomisation, translation).

    Only axes along which the ROI extends are perturbed and, when ``spacing`` is given, only those
    at most twice as coarse as the finest axis (no through-plane moves of thick-slice data).
    Returns a boolean array of the same shape with at least 2 voxels (the original ROI when the
    draws keep emptying it).
    """
    from scipy import ndimage

    roi = np.asarray(roi, bool)
    if roi.ndim != 3 or roi.sum() < 2:
        raise InputError(
            f"perturbation needs a 3-D ROI of at least 2 voxels, got shape {roi.shape}, {int(roi.sum())} voxel(s)"
        )
    extended = _extended_axes(roi)
    axes = extended
    if spacing is not None:
        # readers contour slice by slice: an axis much coarser than the finest one (thick slices)
        # is not perturbed, since one voxel there is far more than a contouring error
        sp = np.asarray(spacing, float)
        axes = [a for a in axes if sp[a] <= 2 * sp.min()] or axes
    st = _structure(axes)
    for _ in range(10):
        out = roi.copy()
        grow = int(rng.integers(-max_grow, max_grow + 1)) if max_grow > 0 else 0
        if grow > 0:
            out = ndimage.binary_dilation(out, st, iterations=grow)
        elif grow < 0:
            out = ndimage.binary_erosion(out, st, iterations=-grow)
        if contour_probability > 0 and out.any():
            band = ndimage.binary_dilation(out, st) & ~ndimage.binary_erosion(out, st)
            flip = band & (rng.random(out.shape) < contour_probability)
            out = out ^ flip
        shift = np.zeros(3, int)
        for a in axes:
            shift[a] = int(np.rint(rng.uniform(-max_translation, max_translation)))
        if shift.any():
            out = ndimage.shift(out.astype(np.uint8), shift, order=0, mode="constant", cval=0).astype(bool)
        # keep the ROI's dimensionality (a 2-D ROI must not collapse to a line); compared with
        # the ROI's own axes, not the perturbed ones: a thick-slice ROI still spans its slices
        if out.sum() >= 2 and len(_extended_axes(out)) == len(extended):
            return out
    return roi.copy()


def assess_robustness(
    cases: Sequence[tuple[Image, Image, int]],
    *,
    params: Any = None,
    n: int = DEF["n"],
    seed: int = DEF["seed"],
    max_translation: float = DEF["max_translation"],
    max_grow: int = DEF["max_grow"],
    contour_probability: float = DEF["contour_probability"],
    progress: bool = True,
):
    """Per-feature ICC(1,1) over ``n`` mask perturbations of every target.

    Parameters
    ----------
    cases : sequence of (image, mask, label)
        The targets (at least 2): ROIs of one image or of several subjects.
    params : None, path, mapping
        Extraction parameters (PyRadiomics parameter file).
    n : int
        Perturbations per target (the raters); the unperturbed mask is not one of them.
    seed : int
        Seed of every random draw (target ``t`` uses ``default_rng([seed, t])``).

    Returns
    -------
    pandas.DataFrame
        One row per feature: ``icc``, ``robust_0.75``, ``robust_0.9``, ``mean``, ``sd_within``,
        ``cv_within``, ``n_targets``, ``n_perturbations``, ``note``.
    """
    from tqdm import tqdm

    if len(cases) < 2:
        raise InputError(
            f"robustness needs at least 2 ROIs (labels of the mask, or subjects of a manifest) to "
            f"compute an ICC, got {len(cases)}"
        )
    if n < 2:
        raise InputError(f"robustness needs at least 2 perturbations, got n={n}")
    ext, columns, prepare = _extractor_and_preparation(params)
    values = np.empty((len(cases), n, len(columns)))
    bar = tqdm(total=len(cases) * n, desc="robustness", unit="mask", disable=not progress or None)
    try:
        for t, (image, mask, label) in enumerate(cases):
            rng = np.random.default_rng([seed, t])
            image = prepare(image)
            roi = np.asarray(mask.array) == label
            if roi.sum() < 2:
                raise InputError(f"{mask._where()}label {label} has {int(roi.sum())} voxel(s); need >= 2")
            for r in range(n):
                pert = perturb_mask(
                    roi,
                    rng=rng,
                    spacing=mask.spacing,
                    max_translation=max_translation,
                    max_grow=max_grow,
                    contour_probability=contour_probability,
                )
                try:
                    row = ext.extract(image, mask.with_array(pert.astype(np.uint8)), label=1)
                except Exception as exc:  # noqa: BLE001 - name the target and perturbation
                    raise FeatureError(
                        f"{mask._where()}label {label}, perturbation {r}: {type(exc).__name__}: {exc}"
                    ) from exc
                values[t, r] = [row[c] for c in columns]
                bar.update(1)
    finally:
        bar.close()
    return _robustness_table(values, columns, n_targets=len(cases), n=n)


def _extractor_and_preparation(params):
    """The extractor, its feature columns and the per-target image preparation.

    With normalisation on, the returned extractor does not normalise: ``prepare`` does it instead.
    """
    from .extractor import FeatureExtractor

    ext = FeatureExtractor(params)
    columns = ext.feature_columns()
    settings = ext.params.settings
    prepare = _identity
    if settings["normalize"]:
        # normalisation uses the whole image, never the mask: do it once per target, not per mask
        plain = ext.params.to_dict()
        plain["setting"]["normalize"] = False
        ext = FeatureExtractor(plain)
        prepare = functools.partial(
            normalize_image, scale=settings["normalizeScale"], remove_outliers=settings["removeOutliers"]
        )
    return ext, columns, prepare


def _robustness_table(values: np.ndarray, columns, *, n_targets: int, n: int):
    """Per-feature ICC, robustness flags and within-target spread of ``values`` (targets, raters, features)."""
    import pandas as pd

    icc = icc_1_1(values)
    target_mean = values.mean(axis=1)
    sd_within = np.sqrt(((values - target_mean[:, None, :]) ** 2).sum(axis=(0, 1)) / (n_targets * (n - 1)))
    mean = values.mean(axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean != 0, sd_within / np.abs(np.where(mean != 0, mean, 1.0)), np.nan)
    constant = np.ptp(values.reshape(-1, len(columns)), axis=0) == 0
    good, excellent = DEF["icc_good"], DEF["icc_excellent"]
    return pd.DataFrame(
        {
            "feature": columns,
            "icc": icc,
            f"robust_{good}": np.nan_to_num(icc, nan=-np.inf) >= good,
            f"robust_{excellent}": np.nan_to_num(icc, nan=-np.inf) >= excellent,
            "mean": mean,
            "sd_within": sd_within,
            "cv_within": cv,
            "n_targets": n_targets,
            "n_perturbations": n,
            "note": np.where(constant, "constant", ""),
        }
    )
