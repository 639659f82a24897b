"""First-order (intensity) features, as PyRadiomics 3.0.1 defines them.

Conventions that differ from IBSI (see ``docs/ibsi_deviations.md``): ``Kurtosis`` is the plain fourth
standardised moment (IBSI excess kurtosis + 3); ``Energy``, ``TotalEnergy`` and ``RootMeanSquared`` add
``voxelArrayShift`` before squaring; ``Entropy`` and ``Uniformity`` use the discretised grey levels.
A flat ROI (zero variance) gives Skewness = Kurtosis = 0, as in PyRadiomics. One deviation: for a
2-voxel ROI no value lies inside [P10, P90] and PyRadiomics returns NaN for RobustMeanAbsoluteDeviation;
we return 0 (no spread inside an empty band) rather than a NaN.
"""

from __future__ import annotations

import numpy as np

from myomri.features import _names
from myomri.features._engine import firstorder_sums, order_statistics

__all__ = ["FEATURE_NAMES", "compute_firstorder"]

FEATURE_NAMES = _names.FEATURE_NAMES["firstorder"]


def compute_firstorder(
    values: np.ndarray, levels: np.ndarray, *, spacing, voxel_array_shift: float = 0
) -> dict[str, float]:
    """First-order features of the ROI.

    Parameters
    ----------
    values : ndarray, shape (n,)
        Intensities of the ROI voxels (finite).
    levels : ndarray of int, shape (n,)
        Their discretised grey levels (for Entropy and Uniformity).
    spacing : sequence of float
        Voxel spacing in mm (TotalEnergy = Energy x voxel volume).
    voxel_array_shift : float
        Added to the intensities before squaring (PyRadiomics ``voxelArrayShift``).

    Returns
    -------
    dict
        Feature name (without class prefix) -> value.
    """
    x = np.ascontiguousarray(values, dtype=np.float64).ravel()
    n = x.size
    p = np.bincount(np.asarray(levels).ravel())[1:] / n
    p = p[p > 0]
    eps = np.spacing(1)
    mean = float(x.mean())  # pairwise summation: the accurate mean the moments are taken about
    p10, p25, p50, p75, p90 = _percentiles(x, (10, 25, 50, 75, 90))
    # one compiled pass for the moments, extremes and the P10-P90 band (both ends included)
    energy, m2, m3, m4, mad, lo, hi, robust = firstorder_sums(x, mean, float(voxel_array_shift), p10, p90)
    flat = m2 == 0
    return {
        "Energy": energy,
        "TotalEnergy": float(np.prod(spacing)) * energy,
        "Entropy": float(-np.sum(p * np.log2(p + eps))),
        "Minimum": float(lo),
        "10Percentile": float(p10),
        "90Percentile": float(p90),
        "Maximum": float(hi),
        "Mean": mean,
        "Median": float(p50),
        "InterquartileRange": float(p75 - p25),
        "Range": float(hi - lo),
        "MeanAbsoluteDeviation": float(mad),
        "RobustMeanAbsoluteDeviation": float(robust),
        "RootMeanSquared": float(np.sqrt(energy / n)),
        "Skewness": 0.0 if flat else float(m3 / m2**1.5),
        "Kurtosis": 0.0 if flat else float(m4 / m2**2),
        "Variance": float(m2),
        "Uniformity": float(np.sum(p**2)),
    }


def _percentiles(x: np.ndarray, q) -> np.ndarray:
    """``np.percentile(x, q)`` (method 'linear') from the order statistics it interpolates.

    The two neighbouring order statistics of every percentile are selected, not sorted for
    (:func:`~myomri.features._engine.order_statistics`); the interpolation is numpy's own (index
    (n - 1) q, lerp from the nearer side).
    """
    n = x.size
    pos = (n - 1) * (np.asarray(q, dtype=np.float64) / 100)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    ranks = sorted(set(lo.tolist()) | set(hi.tolist()))  # not np.unique: it imports numpy.ma (11 ms)
    value = dict(zip(ranks, order_statistics(x, ranks).tolist()))
    t = pos - lo
    a = np.array([value[i] for i in lo.tolist()])
    b = np.array([value[i] for i in hi.tolist()])
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
