"""Resampling of an image and its mask to a new voxel spacing, on PyRadiomics' grid.

The grid rules are those of PyRadiomics' ``resampleImage`` (3.0.1), so that the resampled voxels
are the same:

* a spacing of 0 keeps the mask's spacing along that axis; an axis along which the ROI spans a
  single slice is not resampled (this matters for 2-D ROIs);
* the new grid is anchored at the outer corner of the first voxel of the original grid (not at
  the centre of voxel 0), so new voxel ``n`` covers ``[n * s_new, (n + 1) * s_new)`` from that corner;
* only the ROI bounding box plus ``pad_distance`` new voxels is resampled, clipped to the extent
  of the original grid;
* the image is interpolated with ``interpolator`` and keeps its pixel type (an int16 image stays
  int16); the mask is resampled nearest-neighbour;
* when the new spacing equals the image spacing nothing is interpolated: image and mask are only
  cropped to the bounding box plus ``pad_distance``.

SimpleITK performs the interpolation (the same code PyRadiomics calls), so values match exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..config.features import INTERPOLATORS, RESAMPLE_MAX_VOXELS, SETTING_DEFAULTS
from ..errors import InputError
from ..io.image import Image
from ._sitk import from_sitk, to_sitk
from .crop import bbox_of_label, crop_to_mask

__all__ = ["resample_grid", "resample_image_and_mask"]


def _interpolator_id(interpolator: str | int) -> int:
    import SimpleITK as sitk

    if isinstance(interpolator, str):
        if interpolator not in INTERPOLATORS:
            raise InputError(f"interpolator {interpolator!r} unknown, expected one of {', '.join(INTERPOLATORS)}")
        return int(getattr(sitk, interpolator))
    known = {int(getattr(sitk, name)) for name in INTERPOLATORS}
    if int(interpolator) not in known:
        raise InputError(
            f"interpolator id {interpolator!r} unknown, expected one of {sorted(known)} ({', '.join(INTERPOLATORS)})"
        )
    return int(interpolator)


def resample_grid(
    mask: Image,
    *,
    spacing: Sequence[float],
    label: int = SETTING_DEFAULTS["label"],
    pad_distance: int = SETTING_DEFAULTS["padDistance"],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The resampled grid ``(spacing, size, origin)`` that PyRadiomics would use for this mask.

    Parameters
    ----------
    mask : Image
        Label image on the original grid.
    spacing : sequence of 2 or 3 floats
        ``resampledPixelSpacing`` along ``i, j(, k)``; 0 keeps the original spacing.
    label : int
        ROI label whose bounding box defines the grid extent.
    pad_distance : int
        Padding, in new voxels, around the ROI bounding box.
    """
    old = np.asarray(mask.spacing, dtype=float)
    new = np.asarray(spacing, dtype=float).ravel()
    if new.size == 2:
        new = np.append(new, 0.0)
    if new.size != 3 or np.any(new < 0):
        raise InputError(f"resampledPixelSpacing {list(spacing)!r} must be 2 or 3 numbers >= 0")
    new = np.where(new == 0, old, new)
    lower, size = bbox_of_label(mask, label=label)
    # A direction the ROI spans in one slice keeps its spacing (2-D ROIs stay 2-D).
    new = np.where(size != 1, new, old)
    ratio = old / new
    # Bounds in the new index space, widened by half a voxel so no ROI voxel is lost.
    new_lo = np.floor((lower - 0.5) * ratio - pad_distance)
    new_hi = np.ceil((lower + size - 0.5) * ratio + pad_distance)
    max_hi = np.ceil(np.asarray(mask.spatial_shape) * ratio) - 1
    new_lo = np.maximum(new_lo, 0)
    new_hi = np.minimum(new_hi, max_hi)
    with np.errstate(over="ignore", invalid="ignore"):  # a spacing near 0 overflows to inf: refused below
        n_voxels = float(np.prod(new_hi - new_lo + 1))
    if not np.isfinite(n_voxels) or n_voxels > RESAMPLE_MAX_VOXELS:
        sp = "x".join(f"{v:g}" for v in old)
        raise InputError(
            f"{mask._where()}resampledPixelSpacing {list(spacing)!r} mm would resample the ROI of label "
            f"{label} (bounding box {tuple(int(v) for v in size)} at {sp} mm) to {n_voxels:.3g} voxels, more "
            f"than {RESAMPLE_MAX_VOXELS}; expected a spacing comparable to the image's {sp} mm"
        )
    new_size = (new_hi - new_lo + 1).astype(int)
    # Continuous index (old grid) of the centre of new voxel 0: the outer corner of old voxel 0
    # (index -0.5) plus half a new voxel, then shifted by the cropped lower bound.
    origin_index = 0.5 * (new - old) / old + new_lo / ratio
    origin = mask.index_to_world(origin_index)
    return new, new_size, origin


def resample_image_and_mask(
    image: Image,
    mask: Image,
    *,
    spacing: Sequence[float],
    interpolator: str | int = SETTING_DEFAULTS["interpolator"],
    label: int = SETTING_DEFAULTS["label"],
    pad_distance: int = SETTING_DEFAULTS["padDistance"],
) -> tuple[Image, Image]:
    """Resample ``image`` (interpolated) and ``mask`` (nearest neighbour) to ``spacing``.

    Image and mask must share one grid (check with the geometry module first). See the module
    docstring for the grid rules.

    Returns
    -------
    (Image, Image)
        Resampled and cropped image (original pixel type) and mask.

    Examples
    --------
    >>> img = Image(np.arange(1000, dtype=np.float64).reshape(10, 10, 10))
    >>> msk = img.with_array((img.array > 400).astype(np.uint8))
    >>> r_img, r_msk = resample_image_and_mask(img, msk, spacing=[2, 2, 2], pad_distance=0)
    >>> r_img.spacing
    (2.0, 2.0, 2.0)
    """
    import SimpleITK as sitk

    new, size, origin = resample_grid(mask, spacing=spacing, label=label, pad_distance=pad_distance)
    if np.allclose(np.asarray(image.spacing), new):
        # Same spacing: PyRadiomics only crops (with padding), no interpolation.
        return crop_to_mask(image, mask, label=label, pad_distance=pad_distance)
    s_image = to_sitk(image)
    s_mask = to_sitk(mask)
    rif = sitk.ResampleImageFilter()
    rif.SetOutputSpacing([float(v) for v in new])
    rif.SetOutputDirection([float(d) for d in np.asarray(mask.direction).ravel()])
    rif.SetSize([int(v) for v in size])
    rif.SetOutputOrigin([float(v) for v in origin])
    rif.SetOutputPixelType(s_image.GetPixelID())
    rif.SetInterpolator(_interpolator_id(interpolator))
    out_image = rif.Execute(s_image)
    rif.SetOutputPixelType(s_mask.GetPixelID())
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    out_mask = rif.Execute(s_mask)
    return from_sitk(out_image, like=image), from_sitk(out_mask, like=mask)
