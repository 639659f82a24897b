"""Conversion between :class:`myomri.io.image.Image` and SimpleITK images.

SimpleITK's numpy view is ``[k, j, i]`` (the transpose of ours); its direction matrix is stored
row-major with the axis unit vectors as columns, as ours is. Used where SimpleITK does the
numerics so that values match PyRadiomics exactly (normalisation, interpolation).
"""

from __future__ import annotations

import numpy as np

from ..io.image import Image

__all__ = ["to_sitk", "from_sitk"]


def to_sitk(image: Image):
    """A 3-D SimpleITK image with the same voxels and geometry as ``image``."""
    import SimpleITK as sitk

    img = sitk.GetImageFromArray(np.ascontiguousarray(np.asarray(image.array).T))
    img.SetSpacing([float(s) for s in image.spacing])
    img.SetOrigin([float(o) for o in image.origin])
    img.SetDirection([float(d) for d in np.asarray(image.direction).ravel()])
    return img


def from_sitk(img, *, like: Image) -> Image:
    """An :class:`Image` from a SimpleITK image, keeping ``like``'s metadata and source."""
    import SimpleITK as sitk

    arr = np.ascontiguousarray(sitk.GetArrayFromImage(img).T)
    return Image(
        arr,
        spacing=img.GetSpacing(),
        origin=img.GetOrigin(),
        direction=np.asarray(img.GetDirection(), dtype=float).reshape(3, 3),
        meta=dict(like.meta),
        source=like.source,
    )
