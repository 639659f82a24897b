"""Grey Level Size Zone Matrix features (16), as PyRadiomics 3.0.1 defines them.

A zone is a connected set of ROI voxels of one grey level: 26-connected in 3-D, 8-connected in-plane with
force2D or for a single-slice ROI (never 1-D runs: the pitfall of pyradiomics#710 does not apply).
"""

from __future__ import annotations

import numpy as np

from myomri.features._kernels import find_zones
from myomri.features._matrices import TextureRoi

__all__ = ["FEATURE_NAMES", "calculate_glszm", "compute_glszm"]

FEATURE_NAMES = (
    "SmallAreaEmphasis", "LargeAreaEmphasis", "GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
    "SizeZoneNonUniformity", "SizeZoneNonUniformityNormalized", "ZonePercentage", "GrayLevelVariance",
    "ZoneVariance", "ZoneEntropy", "LowGrayLevelZoneEmphasis", "HighGrayLevelZoneEmphasis",
    "SmallAreaLowGrayLevelEmphasis", "SmallAreaHighGrayLevelEmphasis", "LargeAreaLowGrayLevelEmphasis",
    "LargeAreaHighGrayLevelEmphasis",
)

_EPS = np.spacing(1)


def calculate_glszm(roi: TextureRoi) -> tuple[np.ndarray, np.ndarray]:
    """Size-zone matrix (G present levels, S zone sizes that occur) and those sizes (S,)."""
    _, steps = roi.offsets(distances=[1], bidirectional=False)  # union-find sees each pair once
    zone_level, zone_size = find_zones(roi.levels, roi.roi, steps)
    # look-up tables instead of sorting the (many) zones: present level -> row, occurring size -> column
    sizes = np.flatnonzero(np.bincount(zone_size))
    col_of = np.zeros(sizes[-1] + 1, dtype=np.int64)
    col_of[sizes] = np.arange(len(sizes))
    row_of = np.zeros(roi.n_levels + 1, dtype=np.int64)
    row_of[roi.grey_levels.astype(np.int64)] = np.arange(len(roi.grey_levels))
    n_g, n_s = len(roi.grey_levels), len(sizes)
    flat = row_of[zone_level] * n_s + col_of[zone_size]
    p = np.bincount(flat, minlength=n_g * n_s).reshape(n_g, n_s).astype(np.float64)
    return p, sizes.astype(np.float64)


def size_features(p: np.ndarray, i: np.ndarray, j: np.ndarray) -> dict[str, np.floating]:
    """Emphasis/non-uniformity/variance/entropy features shared by GLSZM and GLDM (keys GLSZM-style).

    ``p`` (G, S) counts, ``i`` grey levels (G,), ``j`` sizes (S,).
    """
    n_z = p.sum()
    pg = p.sum(axis=1)
    ps = p.sum(axis=0)
    pn = p / n_z
    mu_i = np.sum(pn * i[:, None])
    mu_j = np.sum(pn * j[None, :])
    i2 = i[:, None] ** 2
    j2 = j[None, :] ** 2
    return {
        "SmallAreaEmphasis": np.sum(ps / j**2) / n_z,
        "LargeAreaEmphasis": np.sum(ps * j**2) / n_z,
        "GrayLevelNonUniformity": np.sum(pg**2) / n_z,
        "GrayLevelNonUniformityNormalized": np.sum(pg**2) / n_z**2,
        "SizeZoneNonUniformity": np.sum(ps**2) / n_z,
        "SizeZoneNonUniformityNormalized": np.sum(ps**2) / n_z**2,
        "GrayLevelVariance": np.sum(pn * (i[:, None] - mu_i) ** 2),
        "ZoneVariance": np.sum(pn * (j[None, :] - mu_j) ** 2),
        "ZoneEntropy": -np.sum(pn * np.log2(pn + _EPS)),
        "LowGrayLevelZoneEmphasis": np.sum(pg / i**2) / n_z,
        "HighGrayLevelZoneEmphasis": np.sum(pg * i**2) / n_z,
        "SmallAreaLowGrayLevelEmphasis": np.sum(p / (i2 * j2)) / n_z,
        "SmallAreaHighGrayLevelEmphasis": np.sum(p * i2 / j2) / n_z,
        "LargeAreaLowGrayLevelEmphasis": np.sum(p * j2 / i2) / n_z,
        "LargeAreaHighGrayLevelEmphasis": np.sum(p * i2 * j2) / n_z,
    }


def compute_glszm(roi: TextureRoi) -> dict[str, float]:
    """The 16 GLSZM features (names without class prefix) of a discretised ROI."""
    p, j = calculate_glszm(roi)
    out = size_features(p, roi.grey_levels, j)
    out["ZonePercentage"] = p.sum() / roi.n_voxels
    return {name: float(out[name]) for name in FEATURE_NAMES}
