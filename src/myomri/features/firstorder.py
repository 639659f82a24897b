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

__all__ = ["FEATURE_NAMES", "compute_firstorder"]

FEATURE_NAMES = (
    "Energy", "TotalEnergy", "Entropy", "Minimum", "10Percentile", "90Percentile", "Maximum", "Mean",
    "Median", "InterquartileRange", "Range", "MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation",
    "RootMeanSquared", "Skewness", "Kurtosis", "Variance", "Uniformity",
)


def compute_firstorder(values: np.ndarray, levels: np.ndarray, *, spacing, voxel_array_shift: float = 0
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
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    shifted = x + voxel_array_shift
    energy = float(np.dot(shifted, shifted))
    p = np.bincount(np.asarray(levels).ravel())[1:] / n
    p = p[p > 0]
    eps = np.spacing(1)
    mean = x.mean()
    dev = x - mean
    dev2 = dev * dev  # products, not ** 3 / ** 4: integer powers > 2 go through pow() per element
    m2 = np.mean(dev2)
    m3 = np.mean(dev2 * dev)
    m4 = np.mean(dev2 * dev2)
    flat = m2 == 0
    p10, p25, p50, p75, p90 = np.percentile(x, [10, 25, 50, 75, 90])
    robust = x[(x >= p10) & (x <= p90)]  # the 10th-90th percentile band, both ends included
    return {
        "Energy": energy,
        "TotalEnergy": float(np.prod(spacing)) * energy,
        "Entropy": float(-np.sum(p * np.log2(p + eps))),
        "Minimum": float(x.min()),
        "10Percentile": float(p10),
        "90Percentile": float(p90),
        "Maximum": float(x.max()),
        "Mean": float(mean),
        "Median": float(p50),
        "InterquartileRange": float(p75 - p25),
        "Range": float(x.max() - x.min()),
        "MeanAbsoluteDeviation": float(np.mean(np.abs(dev))),
        "RobustMeanAbsoluteDeviation": float(np.mean(np.abs(robust - robust.mean()))) if robust.size else 0.0,
        "RootMeanSquared": float(np.sqrt(energy / n)),
        "Skewness": 0.0 if flat else float(m3 / m2**1.5),
        "Kurtosis": 0.0 if flat else float(m4 / m2**2),
        "Variance": float(np.std(x) ** 2),
        "Uniformity": float(np.sum(p**2)),
    }
