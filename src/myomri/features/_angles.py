"""Neighbour offsets ("angles") of the texture matrices, in PyRadiomics' order and our axis order.

PyRadiomics works on the SimpleITK numpy view, indexed ``[z, y, x]``; myomri arrays are indexed
``[i, j, k]`` = ``[x, y, z]``. An offset ``(dz, dy, dx)`` of PyRadiomics is therefore our
``(di, dj, dk) = (dx, dy, dz)``, and PyRadiomics' ``force2Ddimension`` ``d`` (an axis of the
SimpleITK view; 0 = slice axis) is our axis ``2 - d``.

Rules (PyRadiomics 3.0.1 semantics):

* an offset is kept when its Chebyshev length is one of ``distances``;
* an offset that moves along an axis whose bounding-box size is not larger than that move is dropped
  (so a single-slice ROI gets the 4 in-plane directions, not 13: a 2-D image, a 3-D image with one slice
  and ``force2D`` all agree, the pitfall of pyradiomics#710 avoided);
* with ``force2D`` every offset moving along the ``force2Ddimension`` axis is dropped;
* one-directional sets (GLCM, GLRLM) keep one offset of each opposite pair; neighbourhoods
  (GLSZM, GLDM, NGTDM) use both.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

__all__ = ["generate_offsets", "force2d_axis"]


def force2d_axis(settings) -> int | None:
    """Our array axis dropped by ``force2D`` (None when force2D is off).

    PyRadiomics' ``force2Ddimension`` counts axes of the SimpleITK numpy view ``[z, y, x]``;
    our axis order is ``[i, j, k]`` = ``[x, y, z]``, hence ``2 - force2Ddimension``.
    """
    if not settings["force2D"]:
        return None
    return 2 - int(settings["force2Ddimension"])


def generate_offsets(
    size: Sequence[int], *, distances: Sequence[int], drop_axis: int | None, bidirectional: bool
) -> np.ndarray:
    """Neighbour offsets in our ``[i, j, k]`` order.

    Parameters
    ----------
    size : sequence of 3 int
        Bounding-box size of the ROI along our axes.
    distances : sequence of int
        Chebyshev distances to use (PyRadiomics ``distances``).
    drop_axis : int or None
        Our axis excluded by force2D.
    bidirectional : bool
        Keep both members of each opposite pair.

    Returns
    -------
    ndarray of int64, shape (n_offsets, 3)
        In PyRadiomics' order (its angle index ``a`` of the GLCM/GLRLM matrices is row ``a``).
    """
    distances = tuple(sorted({int(d) for d in distances}))
    # only whether each axis is longer than the largest distance matters: cache on that
    clipped = tuple(min(int(n), distances[-1] + 1) for n in size)
    return _offsets(clipped, distances, None if drop_axis is None else int(drop_axis), bool(bidirectional))


@functools.lru_cache(maxsize=64)
def _offsets(size: tuple, distances: tuple, drop_axis: int | None, bidirectional: bool) -> np.ndarray:
    dmax = distances[-1]
    rng = np.arange(dmax, -dmax - 1, -1)
    # PyRadiomics enumerates (dz, dy, dx) descending, dz slowest: (1,1,1), (1,1,0), ..., (0,0,1);
    # checked against the angle axis of its stored GLCM/GLRLM matrices. Ours is (dx, dy, dz).
    dz, dy, dx = (g.ravel() for g in np.meshgrid(rng, rng, rng, indexing="ij"))
    ours = np.stack([dx, dy, dz], axis=1)
    cheb = np.abs(ours).max(axis=1)
    keep = np.zeros(len(cheb), dtype=bool)
    for d in distances:
        keep |= cheb == d
    for axis in range(3):
        # a move of |a| along an axis needs at least |a| + 1 voxels there
        keep &= np.abs(ours[:, axis]) < int(size[axis])
        if axis == drop_axis:
            keep &= ours[:, axis] == 0
    if not bidirectional:
        # keep the member whose first non-zero PyRadiomics component (dz, then dy, then dx) is positive
        pyr = ours[:, ::-1]
        first = np.take_along_axis(pyr, np.argmax(pyr != 0, axis=1)[:, None], axis=1)[:, 0]
        keep &= first > 0
    out = np.ascontiguousarray(ours[keep], dtype=np.int64)
    out.flags.writeable = False  # shared by every caller through the cache
    return out
