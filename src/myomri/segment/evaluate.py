"""Scores of a segmentation against a reference: Dice and the 95th-percentile Hausdorff distance.

Both take boolean masks on one grid; HD95 is measured in mm with the voxel spacing (anisotropic
voxels, e.g. 0.8 x 0.8 x 24 mm, are handled exactly by the distance transform's ``sampling``).
It is the symmetric variant: the 95th percentile of the distances of both surfaces' voxels to the
other surface, pooled.

Examples
--------
>>> import numpy as np
>>> a = np.zeros((20, 20, 20), bool); a[5:15, 5:15, 5:15] = True
>>> b = np.roll(a, 2, axis=0)
>>> round(dice(a, b), 3), hd95(a, b, spacing=(1.0, 1.0, 1.0))
(0.8, 2.0)
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["dice", "hd95", "per_muscle_scores"]


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice coefficient of two boolean masks; NaN when both are empty."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    s = int(a.sum()) + int(b.sum())
    return float(2 * np.logical_and(a, b).sum() / s) if s else float("nan")


def _surface(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(mask.ndim, 1))


def hd95(a: np.ndarray, b: np.ndarray, *, spacing) -> float:
    """Symmetric 95th-percentile Hausdorff distance (mm); NaN when either mask is empty."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    if not a.any() or not b.any():
        return float("nan")
    sa, sb = _surface(a), _surface(b)
    to_b = ndimage.distance_transform_edt(~sb, sampling=spacing)
    to_a = ndimage.distance_transform_edt(~sa, sampling=spacing)
    return float(np.percentile(np.concatenate([to_b[sa], to_a[sb]]), 95))


def per_muscle_scores(pred: np.ndarray, truth: np.ndarray, *, spacing, muscles) -> dict[str, dict[str, float]]:
    """``{muscle: {"dice", "hd95_mm"}}`` for side-free muscle-index maps (index = position in ``muscles`` + 1)."""
    out = {}
    for i, m in enumerate(muscles, start=1):
        a, b = pred == i, truth == i
        out[m] = {"dice": dice(a, b), "hd95_mm": hd95(a, b, spacing=spacing)}
    return out
