"""NumPy ``.npz`` archives of 2-D slices and masks (e.g. Dafne's example calf slices).

An NPZ holds bare arrays: no origin and no orientation. What is sensible is supported:

* an ``image`` array (or the one ``key`` asked for) becomes an :class:`Image` whose spacing comes
  from a ``resolution`` array when present (pixel size in mm, one value per array axis) and
  whose origin/direction are the identity; ``meta['NoGeometry']`` says so;
* an archive of same-shaped 0/1 masks (one key per muscle) becomes one label map, labels
  ``1..n`` in archive order, with ``meta['LabelNames']`` mapping label -> key. Where two masks
  overlap the earlier one keeps the pixel and ``meta['MaskOverlaps']`` records
  ``{"later|earlier": n_pixels}``.

Archives are always opened with ``allow_pickle=False``: unpickling could run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import numpy as np

from ..errors import FormatError, MaskError, MissingFileError
from .image import Image

__all__ = ["read_npz"]


def _load(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise MissingFileError(path, "NPZ file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except Exception as exc:  # BadZipFile, ValueError (pickled object arrays), OSError
        raise FormatError(f"{path}: cannot read as .npz without pickles ({exc})") from exc


def read_npz(path: str | os.PathLike, *, key: str | None = None, spacing: tuple[float, ...] | None = None) -> Image:
    """Read an image or a set of masks from an ``.npz`` archive (see the module docstring).

    Parameters
    ----------
    path : path-like
        The archive.
    key : str, optional
        The array to read; by default ``image`` if present, else all masks as one label map.
    spacing : tuple of float, optional
        Pixel size (mm) when the archive has no ``resolution`` array (mask archives usually
        do not: take it from the matching image).

    Raises
    ------
    MissingFileError, FormatError
        Missing file, not an NPZ, ``key`` absent, or arrays that are neither an image nor masks.
    MaskError
        Mask arrays with values other than 0/1.
    """
    path = Path(path)
    arrays = _load(path)
    res = arrays.pop("resolution", None)
    if spacing is None and res is not None:
        spacing = tuple(float(v) for v in np.ravel(res))
    meta = {"NoGeometry": True}
    if key is None and "image" in arrays:
        key = "image"
    if key is not None:
        if key not in arrays:
            raise FormatError(f"{path}: no array {key!r}; arrays: {sorted(arrays)}")
        array = arrays[key]
    else:
        array, names, overlaps = _stack_masks(path, arrays)
        meta["LabelNames"] = names
        if overlaps:
            meta["MaskOverlaps"] = overlaps
    if array.ndim not in (2, 3):
        raise FormatError(f"{path}: array of shape {array.shape}, expected a 2-D slice or 3-D volume")
    spacing = tuple(spacing) if spacing is not None else (1.0,) * 2
    if len(spacing) == 2:
        spacing = spacing + (1.0,)
    if spacing == (1.0, 1.0, 1.0) and res is None:
        meta["SpacingUnknown"] = True
    # Image checks that the spacing has 3 values (a 4-value resolution array is refused there)
    return Image(array, spacing=cast(tuple[float, float, float], spacing), meta=meta, source=str(path))


def _stack_masks(path: Path, arrays: dict[str, np.ndarray]):
    """(label map, {label: key}, {"later|earlier": pixels the later mask lost to the earlier})."""
    if not arrays:
        raise FormatError(f"{path}: archive holds no arrays")
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1:
        raise FormatError(
            f"{path}: no 'image' array and arrays of different shapes {sorted(shapes)}; expected "
            "an 'image' array or same-shaped masks (or pass key=)"
        )
    labels = np.zeros(next(iter(shapes)), dtype=np.uint8 if len(arrays) < 256 else np.uint16)
    names: dict[int, str] = {}
    overlaps: dict[str, int] = {}
    for n, (name, a) in enumerate(arrays.items(), start=1):
        values = np.unique(a)
        if not np.all(np.isin(values, (0, 1))):
            raise MaskError(f"{path}: array {name!r} has values {values[:5].tolist()}..., expected 0/1")
        overlap = (labels != 0) & (a != 0)
        if overlap.any():
            # hand-drawn neighbours touch: the earlier mask keeps the pixel, and the loss is
            # recorded (never dropped silently) so counts can be reconciled
            other = names[int(labels[overlap][0])]
            overlaps[f"{name}|{other}"] = int(overlap.sum())
        labels[(a != 0) & ~overlap] = n
        names[n] = name
    return labels, names, overlaps
