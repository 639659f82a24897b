"""Integer label maps: validation and label selection.

A mask is an :class:`~myomri.io.image.Image` holding non-negative integer labels (0 =
background) on a 3-D grid; a single-slice 2-D ROI is a grid with one slice. Masks written as
floats (common after resampling or by some tools) are accepted when every value is a whole number.
"""

from __future__ import annotations

import numpy as np

from ..config.io import MASK_MAX_LABELS, MASK_MAX_NEIGHBOUR_CHANGES, MASK_TEXTURE_MIN_LABELS
from ..errors import MaskError
from .image import Image

__all__ = ["validate_mask", "select_label", "mask_labels"]


def _where(image: Image) -> str:
    return image.source or "mask"


_LOOKS_LIKE_IMAGE = (
    "this looks like an image, not a label map (IMAGE and MASK swapped, or the image "
    "given twice?); expected a mask of integer labels"
)


def _n_distinct(arr: np.ndarray) -> int:
    """Distinct non-zero values; a histogram when the labels are small integers (no sort)."""
    if np.issubdtype(arr.dtype, np.integer) and arr.size and 0 <= arr.min() and arr.max() < 1 << 20:
        return int(np.count_nonzero(np.bincount(arr.ravel())[1:]))
    values = np.unique(arr)
    return int(values.size - np.count_nonzero(values == 0))


def _neighbour_changes(arr: np.ndarray) -> float:
    """Share of neighbouring voxel pairs (along the first two axes, either voxel non-zero) whose
    values differ: a few % at label boundaries, most pairs in an image's noise and texture."""
    changed = pairs = 0
    for ax in (0, 1):
        if arr.shape[ax] < 2:
            continue
        a, b = np.swapaxes(arr, 0, ax)[1:], np.swapaxes(arr, 0, ax)[:-1]
        inside = (a != 0) | (b != 0)
        changed += int(np.count_nonzero((a != b) & inside))
        pairs += int(np.count_nonzero(inside))
    return changed / pairs if pairs else 0.0


def validate_mask(mask: Image, *, label: int | None = None, max_labels: int = MASK_MAX_LABELS) -> Image:
    """Check that ``mask`` is a usable label map and return it with an integer array.

    Parameters
    ----------
    mask : Image
        Candidate label map (3-D, or 4-D with a single volume).
    label : int, optional
        A label that must be present.
    max_labels : int
        More distinct non-zero values than this mean the "mask" is an image.

    Returns
    -------
    Image
        The same grid with an integer array (``uint8``/``uint16``/``int32`` as small as fits).

    Raises
    ------
    MaskError
        4-D with several volumes, NaN/Inf, fractional or negative values, no label at all, more
        than ``max_labels`` distinct values (an image given as the mask), or ``label`` absent.
    """
    where = _where(mask)
    arr = np.asarray(mask.array)
    if arr.ndim == 4:
        if arr.shape[3] != 1:
            raise MaskError(f"{where}: mask has {arr.shape[3]} volumes, expected a 3-D label map")
        arr = arr[..., 0]
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating):
            raise MaskError(f"{where}: mask of type {arr.dtype}, expected integer labels")
        bad = ~np.isfinite(arr)
        if bad.any():
            raise MaskError(f"{where}: mask has {int(bad.sum())} NaN/Inf voxels, expected integer labels")
        frac = np.abs(arr - np.round(arr)) > 1e-6
        if frac.any():
            example = float(arr[frac].flat[0])
            n_distinct = _n_distinct(arr)
            if n_distinct > max_labels:  # intensities (e.g. scaled integers), not a damaged mask
                raise MaskError(
                    f"{where}: mask has {int(frac.sum())} non-integer voxels (e.g. {example:g}) "
                    f"and {n_distinct} distinct values; {_LOOKS_LIKE_IMAGE}"
                )
            raise MaskError(
                f"{where}: mask has {int(frac.sum())} non-integer voxels (e.g. {example:g}); "
                "expected integer labels (a probability map or an interpolated mask?)"
            )
        arr = np.round(arr)
    low = arr.min() if arr.size else 0
    top = int(arr.max()) if arr.size else 0
    if top > max_labels or low < 0:  # only then can there be too many labels: the common case costs nothing
        n_distinct = _n_distinct(arr)
        if n_distinct > max_labels:
            raise MaskError(
                f"{where}: mask holds {n_distinct} distinct values ({low:g} to {top}), more than "
                f"the {max_labels} labels a label map may have; {_LOOKS_LIKE_IMAGE}"
            )
    if top > MASK_TEXTURE_MIN_LABELS and _n_distinct(arr) > MASK_TEXTURE_MIN_LABELS:
        changes = _neighbour_changes(arr)
        if changes > MASK_MAX_NEIGHBOUR_CHANGES:
            raise MaskError(
                f"{where}: mask holds {_n_distinct(arr)} distinct values that change between "
                f"{changes:.0%} of neighbouring voxels (a label map is piecewise constant); "
                f"{_LOOKS_LIKE_IMAGE}"
            )
    if low < 0:
        raise MaskError(f"{where}: mask has negative values (min {low:g}), expected labels >= 0")
    if top == 0:
        raise MaskError(f"{where}: mask holds no labels (all {arr.size} voxels are 0)")
    dtype = np.uint8 if top < 256 else np.uint16 if top < 65536 else np.int64
    arr = arr.astype(dtype, copy=False)
    if label is not None and not np.any(arr == label):
        present = mask_labels(arr)
        shown = present[:20] + (["..."] if len(present) > 20 else [])
        raise MaskError(f"{where}: label {label} not in mask; labels present: {shown}")
    return mask.with_array(arr, echo_times=None)


def mask_labels(mask: Image | np.ndarray) -> list[int]:
    """Sorted non-zero labels present in a mask."""
    arr = mask.array if isinstance(mask, Image) else np.asarray(mask)
    return [int(v) for v in np.unique(arr) if v != 0]


def select_label(mask: Image, label: int) -> Image:
    """A 0/1 ``uint8`` mask of one label (raises :class:`MaskError` when the label is absent)."""
    mask = validate_mask(mask, label=label)
    return mask.with_array((mask.array == label).astype(np.uint8))
