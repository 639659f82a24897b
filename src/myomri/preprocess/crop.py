"""Bounding boxes of a label and cropping to them (PyRadiomics' ``cropToTumorMask`` rules)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ..errors import MaskError
from ..io.image import Image

__all__ = ["bbox_of_label", "crop_to_mask"]


def bbox_of_label(mask: Image, *, label: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower index and size ``(lower, size)`` along ``i, j, k`` of the voxels equal to ``label``.

    Raises
    ------
    MaskError
        The label is not present in the mask.
    """
    hit = np.asarray(mask.array) == label
    if not hit.any():
        present = np.unique(np.asarray(mask.array))
        present = present[present != 0]
        raise MaskError(
            f"{mask._where()}label {label} not present in the mask (labels found: "
            f"{', '.join(str(v) for v in present.tolist()) or 'none, the mask is empty'})"
        )
    lower, upper = [], []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        idx = np.flatnonzero(hit.any(axis=other))
        lower.append(idx[0])
        upper.append(idx[-1])
    lower_arr = np.asarray(lower, dtype=int)
    return lower_arr, np.asarray(upper, dtype=int) - lower_arr + 1


def crop_to_mask(image: Image, mask: Image, *, label: int, pad_distance: int = 0) -> tuple[Image, Image]:
    """Crop image and mask to the label's bounding box plus ``pad_distance`` voxels.

    The padded box is clipped to the image, as PyRadiomics does; the origin moves with the crop.
    """
    lower, size = bbox_of_label(mask, label=label)
    shape = np.asarray(mask.spatial_shape)
    lo = np.maximum(lower - pad_distance, 0)
    hi = np.minimum(lower + size + pad_distance, shape)
    sl = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    origin = image.index_to_world(lo.astype(float))
    out_image = Image(
        np.ascontiguousarray(image.array[sl]),
        spacing=image.spacing,
        origin=cast(Any, origin),  # an array; Image stores it as a tuple
        direction=image.direction,
        meta=dict(image.meta),
        source=image.source,
    )
    out_mask = Image(
        np.ascontiguousarray(mask.array[sl]),
        spacing=mask.spacing,
        origin=cast(Any, origin),  # an array; Image stores it as a tuple
        direction=mask.direction,
        meta=dict(mask.meta),
        source=mask.source,
    )
    return out_image, out_mask
