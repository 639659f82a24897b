"""The feature kernels as the feature classes call them: the C extension built at install
(:file:`_ckernels.c`) where there is one, else the numba versions of the same loops
(:mod:`myomri.features._count_kernels`, :mod:`myomri.features._kernels`).

Both give the same numbers (``tests/features/test_ckernels.py``); what differs is the start-up of a
fresh process: importing numba and loading even its cached kernels costs ~0.6 s, the extension well
under a millisecond, and a 24-case batch computes for only about a second. ``MYOMRI_KERNELS=numba``
in the environment selects the numba versions (to compare the two, or if a build is suspect).

The wrappers allocate the outputs (the extension fills buffers it is given) and pass every array
C-contiguous in the dtype the loops read.
"""

from __future__ import annotations

import math
import os
from types import ModuleType

import numpy as np

__all__ = [
    "BACKEND",
    "GLCM_SUMS",
    "ZONE_SUMS",
    "count_directional",
    "count_glcm",
    "count_neighbourhood",
    "digitize_uniform",
    "firstorder_sums",
    "glcm_sums",
    "order_statistics",
    "zone_sums",
]

#: Columns of :func:`glcm_sums`' result, one row per direction.
GLCM_SUMS = (
    "Autocorrelation",
    "ux",
    "ClusterProminence",
    "ClusterShade",
    "ClusterTendency",
    "Contrast",
    "corm",
    "var_x",
    "var_y",
    "DifferenceAverage",
    "DifferenceEntropy",
    "DifferenceVariance",
    "JointEnergy",
    "hxy",
    "hx",
    "hy",
    "hxy1",
    "hxy2",
    "Idm",
    "Idmn",
    "Id",
    "Idn",
    "InverseVariance",
    "MaximumProbability",
    "SumAverage",
    "SumEntropy",
)

#: Columns of :func:`zone_sums` (GLSZM names; GLRLM and GLDM map theirs onto these).
ZONE_SUMS = (
    "SmallAreaEmphasis",
    "LargeAreaEmphasis",
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "SizeZoneNonUniformity",
    "SizeZoneNonUniformityNormalized",
    "GrayLevelVariance",
    "ZoneVariance",
    "ZoneEntropy",
    "LowGrayLevelZoneEmphasis",
    "HighGrayLevelZoneEmphasis",
    "SmallAreaLowGrayLevelEmphasis",
    "SmallAreaHighGrayLevelEmphasis",
    "LargeAreaLowGrayLevelEmphasis",
    "LargeAreaHighGrayLevelEmphasis",
    "n",
    "weighted_size",
)


def _load_extension() -> ModuleType | None:
    if os.environ.get("MYOMRI_KERNELS", "").strip().lower() == "numba":
        return None
    try:
        from myomri.features import _ckernels
    except ImportError:  # built without a C compiler: the numba kernels below
        return None
    return _ckernels


_C = _load_extension()
#: Which implementation runs: ``"c"`` (the extension) or ``"numba"``.
BACKEND = "c" if _C is not None else "numba"


def _i32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int32)


def _i64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _f64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _tolerance(alpha: float) -> int:
    # integer grey levels: |h - g| <= alpha  <=>  |h - g| <= floor(alpha)
    return int(math.floor(alpha))


def count_directional(levels, roi, offsets, n_levels, n_runs, flags, alpha):
    """GLCM, run-length, zone and neighbourhood counts along one-directional offsets, in one pass.

    Arguments and results as :func:`myomri.features._count_kernels.count_directional`.
    """
    if _C is None:
        from myomri.features._count_kernels import count_directional as numba_count

        return numba_count(levels, roi, offsets, n_levels, n_runs, flags, alpha)
    levels, roi, offsets = _i32(levels), _i64(roi), _i64(offsets)
    do_glcm, do_runs, do_zones, do_neigh = (bool(f) for f in flags)
    n_a, w = offsets.shape[0], n_levels + 1
    glcm = np.zeros((w, w, n_a if do_glcm else 0))
    runs = np.zeros((w, n_runs + 1, n_a if do_runs else 0))
    dependence = np.zeros((w if do_neigh else 0, 2 * n_a + 2))
    ngtdm = np.zeros((w if do_neigh else 0, 3))
    parent = np.empty(levels.shape[0] if do_zones else 0, dtype=np.int64)
    n_zones = roi.shape[0] if do_zones else 0
    zone_level = np.empty(n_zones, dtype=np.int64)
    zone_size = np.zeros(n_zones, dtype=np.int64)
    k = _C.count_directional(
        levels, roi, offsets, int(n_levels), int(n_runs), do_glcm, do_runs, do_zones, do_neigh,
        _tolerance(alpha), glcm, runs, parent, zone_level, zone_size, dependence, ngtdm,
    )  # fmt: skip
    return glcm, runs, zone_level[:k], zone_size[:k], dependence, ngtdm


def count_glcm(levels, roi, offsets, n_levels):
    """Co-occurrence counts ``P[g, h, a]`` along each offset (:func:`~myomri.features._count_kernels.count_glcm`)."""
    if _C is None:
        from myomri.features._count_kernels import count_glcm as numba_glcm

        return numba_glcm(levels, roi, offsets, n_levels)
    offsets = _i64(offsets)
    out = np.zeros((n_levels + 1, n_levels + 1, offsets.shape[0]))
    _C.count_glcm(_i32(levels), _i64(roi), offsets, int(n_levels), out)
    return out


def count_neighbourhood(levels, roi, offsets, n_levels, alpha):
    """GLDM and NGTDM counts (:func:`~myomri.features._count_kernels.count_neighbourhood`)."""
    if _C is None:
        from myomri.features._count_kernels import count_neighbourhood as numba_neighbourhood

        return numba_neighbourhood(levels, roi, offsets, n_levels, alpha)
    offsets = _i64(offsets)
    dependence = np.zeros((n_levels + 1, offsets.shape[0] + 2))
    ngtdm = np.zeros((n_levels + 1, 3))
    _C.count_neighbourhood(_i32(levels), _i64(roi), offsets, int(n_levels), _tolerance(alpha), dependence, ngtdm)
    return dependence, ngtdm


def glcm_sums(p, grey, ii, jj, n_levels, eps):
    """Per-direction sums behind the GLCM features (:func:`~myomri.features._kernels.glcm_sums`)."""
    if _C is None:
        from myomri.features._kernels import glcm_sums as numba_glcm_sums

        return numba_glcm_sums(p, grey, ii, jj, n_levels, eps)
    p = _f64(p)
    n_g, _, n_a = p.shape
    out = np.empty((n_a, len(GLCM_SUMS)))
    _C.glcm_sums(p, _f64(grey), _i64(ii), _i64(jj), n_g, n_a, int(n_levels), float(eps), out)
    return out


def firstorder_sums(x, mean, shift, low, high):
    """First-order moments, extremes and robust MAD in one pass (:func:`~myomri.features._kernels.firstorder_sums`)."""
    if _C is None:
        from myomri.features._kernels import firstorder_sums as numba_firstorder

        return numba_firstorder(x, mean, shift, low, high)
    return _C.firstorder_sums(_f64(x), float(mean), float(shift), float(low), float(high))


def zone_sums(p, i, j, eps):
    """Emphasis / non-uniformity / variance / entropy sums of size-type matrices (:func:`~myomri.features._kernels.zone_sums`)."""
    if _C is None:
        from myomri.features._kernels import zone_sums as numba_zone_sums

        return numba_zone_sums(p, i, j, eps)
    p = _f64(p)
    n_g, n_s, n_a = p.shape
    out = np.empty((n_a, len(ZONE_SUMS)))
    _C.zone_sums(p, _f64(i), _f64(j), n_g, n_s, n_a, float(eps), out)
    return out


def order_statistics(x, ranks) -> np.ndarray:
    """``np.sort(x)[ranks]`` for sorted ``ranks``, without sorting: the extension counts the values
    into buckets and searches only the buckets of the wanted ranks (see ``_cselect.c``; ~5x faster
    than numpy's sort on an ROI's voxels, whose ``partition`` with several ranks is slower still).
    The values are the same order statistics; ``x`` is not reordered.
    """
    ranks = _i64(ranks)
    if _C is None:
        return np.sort(np.asarray(x, dtype=np.float64).ravel())[ranks]
    out = np.empty(ranks.shape[0])
    _C.select(np.ascontiguousarray(x, dtype=np.float64).ravel(), ranks, out)
    return out


def digitize_uniform(values, edges, width: float) -> np.ndarray:
    """``np.digitize(values, edges)`` for increasing ``edges`` spaced ``width`` apart, in one pass of
    the extension (``_cselect.c``; needs ``BACKEND == "c"``). ``values`` must be finite."""
    if _C is None:
        raise RuntimeError("digitize_uniform needs the C extension (BACKEND 'c')")
    x = _f64(values)
    out = np.empty(x.shape, dtype=np.int64)
    _C.digitize(x.ravel(), _f64(edges), float(width), out.ravel())
    return out
