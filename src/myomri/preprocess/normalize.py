"""Intensity normalisation with PyRadiomics' semantics (``normalize``, ``normalizeScale``,
``removeOutliers``).

The z-score uses the mean and standard deviation of the WHOLE image, not of the ROI (this is what
``sitk.Normalize`` does and what PyRadiomics calls); outliers are clipped in units of standard
deviations *before* the scale is applied. SimpleITK does the arithmetic so that the values and the
pixel type match PyRadiomics; the sums run on one thread so that a run repeats bit for bit (ITK's
threaded sums leave the last bits to chance).
"""

from __future__ import annotations

import numpy as np

from ..config.features import SETTING_DEFAULTS
from ..errors import InputError
from ..io.image import Image
from ._sitk import from_sitk, to_sitk

__all__ = ["normalize_image"]


def normalize_image(
    image: Image,
    *,
    scale: float = SETTING_DEFAULTS["normalizeScale"],
    remove_outliers: float | None = SETTING_DEFAULTS["removeOutliers"],
) -> Image:
    """Z-score the whole image, clip at +/- ``remove_outliers`` SD, multiply by ``scale``.

    Parameters
    ----------
    image : Image
        3-D image.
    scale : float
        ``normalizeScale``: factor applied after the z-score (e.g. 100).
    remove_outliers : float or None
        ``removeOutliers``: clip normalised values to ``[-n, n]`` before scaling.

    Returns
    -------
    Image
        Floating-point image on the same grid.

    Raises
    ------
    InputError
        The image holds NaN/inf, or it is constant (its standard deviation is 0).

    Examples
    --------
    >>> img = Image(np.arange(8.0).reshape(2, 2, 2))
    >>> out = normalize_image(img, scale=1)
    >>> round(float(out.array.mean()), 12), round(float(out.array.std(ddof=1)), 12)
    (0.0, 1.0)
    """
    import SimpleITK as sitk

    arr = np.asarray(image.array)
    if arr.ndim != 3:
        raise InputError(f"{image._where()}normalisation needs a 3-D image, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{image._where()}image holds {int(np.sum(~np.isfinite(arr)))} NaN/inf voxel(s); "
            "normalisation needs finite values everywhere"
        )
    if arr.size < 2 or np.all(arr == arr.flat[0]):
        raise InputError(
            f"{image._where()}image is constant ({arr.flat[0]!r}); a z-score normalisation "
            "needs a non-zero standard deviation"
        )
    # sitk.Normalize is the statistics filter and then (x - mean) / SD; we spell the two steps out
    # because its inner statistics filter sums on as many threads as the load allows, and the order
    # of the partial sums then moves the last bits of every value from run to run. One thread
    # gives one of the values sitk.Normalize itself can give, every time.
    source = sitk.Cast(to_sitk(image), sitk.sitkFloat64)
    stats = sitk.StatisticsImageFilter()
    stats.SetNumberOfThreads(1)
    stats.Execute(source)
    img = sitk.ShiftScale(source, -stats.GetMean(), 1.0 / stats.GetSigma())
    if remove_outliers is not None:
        values = sitk.GetArrayFromImage(img)
        np.clip(values, -remove_outliers, remove_outliers, out=values)
        clipped = sitk.GetImageFromArray(values)
        clipped.CopyInformation(img)
        img = clipped
    img = img * scale
    return from_sitk(img, like=image)
