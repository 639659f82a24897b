"""Local binary pattern image, slice by slice (PyRadiomics' ``LBP2D`` image type).

PyRadiomics runs ``skimage.feature.local_binary_pattern`` on every 2-D slice across
``force2Ddimension`` of the image it is given (the whole image, or the image cropped with
``padDistance`` when resampling or ``preCrop`` is on), on SimpleITK's ``[z, y, x]`` view, and
writes the result back into an array of the input dtype. We do the same, slice for slice in the
same orientation, so the values are identical (LBP 'default'/'ror' codes depend on the rotation
sense, so the slice orientation matters).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..config.features import LBP_METHODS, SETTING_DEFAULTS
from ..errors import InputError
from ..io.image import Image

__all__ = ["filter_lbp2d"]


def filter_lbp2d(
    image: Image,
    *,
    radius: float = SETTING_DEFAULTS["lbp2DRadius"],
    samples: int = SETTING_DEFAULTS["lbp2DSamples"],
    method: str = SETTING_DEFAULTS["lbp2DMethod"],
    force2d_dimension: int = SETTING_DEFAULTS["force2Ddimension"],
) -> Image:
    """LBP of every 2-D slice across ``force2d_dimension`` (PyRadiomics numbering).

    Parameters
    ----------
    image : Image
        3-D image (a 2-D image is one slice).
    radius, samples, method
        ``lbp2DRadius``, ``lbp2DSamples``, ``lbp2DMethod``.
    force2d_dimension : int
        PyRadiomics' ``force2Ddimension``: 0 = slices across our axis ``k``, 1 = ``j``, 2 = ``i``.

    Returns
    -------
    Image
        LBP codes on the same grid, in the input dtype (for 'uniform' with P samples: 0..P+1).

    Examples
    --------
    >>> img = Image(np.random.default_rng(0).integers(0, 100, (6, 6, 1)).astype(np.int16))
    >>> out = filter_lbp2d(img)
    >>> out.array.dtype, int(out.array.max()) <= 9
    (dtype('int16'), True)
    """
    from skimage.feature import local_binary_pattern

    if method not in LBP_METHODS:
        raise InputError(f"lbp2DMethod {method!r} unknown, expected one of {', '.join(LBP_METHODS)}")
    if force2d_dimension not in (0, 1, 2):
        raise InputError(f"force2Ddimension {force2d_dimension!r} must be 0, 1 or 2")
    # SimpleITK's view [k, j, i]; its axis 0 is force2Ddimension 0.
    view = np.array(np.asarray(image.array).T, copy=True)
    slices = view.swapaxes(0, force2d_dimension)
    with warnings.catch_warnings():
        # skimage warns that LBP of float images may be unexpected; PyRadiomics uses them anyway
        warnings.simplefilter("ignore", UserWarning)
        for idx in range(slices.shape[0]):
            slices[idx, ...] = local_binary_pattern(slices[idx, ...], P=int(samples), R=float(radius), method=method)
    return image.with_array(np.ascontiguousarray(view.T))
