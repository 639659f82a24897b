"""Grey Level Dependence Matrix features (14), as PyRadiomics 3.0.1 defines them (IBSI NGLDM).

The dependence of a voxel is 1 + the number of its neighbours (Chebyshev ``distances``, in-plane only
with force2D) inside the ROI whose grey level differs by at most ``gldm_a``.
"""

from __future__ import annotations

import numpy as np

from myomri.features import _names
from myomri.features._matrices import TextureRoi
from myomri.features.glszm import size_features

__all__ = ["FEATURE_NAMES", "calculate_gldm", "compute_gldm"]

FEATURE_NAMES = _names.FEATURE_NAMES["gldm"]

# GLDM features are the GLSZM formulas over (grey level, dependence size)
_FROM_SIZE = {
    "SmallDependenceEmphasis": "SmallAreaEmphasis",
    "LargeDependenceEmphasis": "LargeAreaEmphasis",
    "GrayLevelNonUniformity": "GrayLevelNonUniformity",
    "DependenceNonUniformity": "SizeZoneNonUniformity",
    "DependenceNonUniformityNormalized": "SizeZoneNonUniformityNormalized",
    "GrayLevelVariance": "GrayLevelVariance",
    "DependenceVariance": "ZoneVariance",
    "DependenceEntropy": "ZoneEntropy",
    "LowGrayLevelEmphasis": "LowGrayLevelZoneEmphasis",
    "HighGrayLevelEmphasis": "HighGrayLevelZoneEmphasis",
    "SmallDependenceLowGrayLevelEmphasis": "SmallAreaLowGrayLevelEmphasis",
    "SmallDependenceHighGrayLevelEmphasis": "SmallAreaHighGrayLevelEmphasis",
    "LargeDependenceLowGrayLevelEmphasis": "LargeAreaLowGrayLevelEmphasis",
    "LargeDependenceHighGrayLevelEmphasis": "LargeAreaHighGrayLevelEmphasis",
}


def calculate_gldm(roi: TextureRoi, *, distances, alpha: float = 0) -> tuple[np.ndarray, np.ndarray]:
    """Dependence matrix (G present levels, D dependence sizes that occur) and those sizes (D,)."""
    dependence, _ = roi.neighbourhood(distances=distances, alpha=alpha)
    p = dependence[roi.grey_levels.astype(np.int64), 1:]
    sizes = np.arange(1, p.shape[1] + 1, dtype=np.float64)
    used = p.sum(axis=0) > 0
    return p[:, used], sizes[used]


def compute_gldm(roi: TextureRoi, *, distances, alpha: float = 0) -> dict[str, float]:
    """The 14 GLDM features (names without class prefix) of a discretised ROI."""
    p, j = calculate_gldm(roi, distances=distances, alpha=alpha)
    out = size_features(p, roi.grey_levels, j)
    return {name: float(out[_FROM_SIZE[name]]) for name in FEATURE_NAMES}
