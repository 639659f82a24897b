"""Grey Level Size Zone Matrix features (16), as PyRadiomics 3.0.1 defines them.

A zone is a connected set of ROI voxels of one grey level: 26-connected in 3-D, 8-connected in-plane with
force2D or for a single-slice ROI (never 1-D runs: the pitfall of pyradiomics#710 does not apply).
"""

from __future__ import annotations

import numpy as np

from myomri.features import _names
from myomri.features._engine import ZONE_SUMS, zone_sums
from myomri.features._matrices import TextureRoi

__all__ = ["FEATURE_NAMES", "calculate_glszm", "compute_glszm"]

FEATURE_NAMES = _names.FEATURE_NAMES["glszm"]

_EPS = np.spacing(1)


def calculate_glszm(roi: TextureRoi) -> tuple[np.ndarray, np.ndarray]:
    """Size-zone matrix (G present levels, S zone sizes that occur) and those sizes (S,)."""
    zone_level, zone_size = roi.directional("glszm")  # union-find over the one-directional offsets
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


def size_features(p: np.ndarray, i: np.ndarray, j: np.ndarray) -> dict[str, float]:
    """Emphasis/non-uniformity/variance/entropy features shared by GLSZM and GLDM (keys GLSZM-style).

    ``p`` (G, S) counts, ``i`` grey levels (G,), ``j`` sizes (S,); one compiled pass
    (:func:`myomri.features._engine.zone_sums`). Also ``n`` (number of zones).
    """
    sums = zone_sums(
        np.ascontiguousarray(p, dtype=np.float64)[:, :, None],
        np.asarray(i, dtype=np.float64),
        np.asarray(j, dtype=np.float64),
        float(_EPS),
    )[0]
    return dict(zip(ZONE_SUMS, sums.tolist()))


def compute_glszm(roi: TextureRoi) -> dict[str, float]:
    """The 16 GLSZM features (names without class prefix) of a discretised ROI."""
    p, j = calculate_glszm(roi)
    out = size_features(p, roi.grey_levels, j)
    out["ZonePercentage"] = out["n"] / roi.n_voxels
    return {name: float(out[name]) for name in FEATURE_NAMES}
