"""Neighbouring Grey Tone Difference Matrix features (5), as PyRadiomics 3.0.1 defines them.

For each voxel with at least one neighbour in the ROI, ``s`` accumulates |g - mean neighbour level|;
``n`` counts every ROI voxel, also one without any neighbour in the ROI (PyRadiomics 3.0.1's C code
does so; IBSI leaves such voxels out). An ROI in which no voxel has a neighbour has no texture.
Flat-region conventions: Coarseness = 1e6 when sum p_i s_i = 0; Contrast = 0 with one grey level;
Busyness = 0 and Strength = 0 when their denominators vanish.
"""

from __future__ import annotations

import numpy as np

from myomri.errors import FeatureError
from myomri.features import _names
from myomri.features._matrices import TextureRoi

__all__ = ["FEATURE_NAMES", "calculate_ngtdm", "compute_ngtdm"]

FEATURE_NAMES = _names.FEATURE_NAMES["ngtdm"]


def calculate_ngtdm(roi: TextureRoi, *, distances) -> np.ndarray:
    """NGTDM rows (n_i, s_i, grey level i) for the grey levels with n_i > 0, shape (G, 3).

    Raises
    ------
    FeatureError
        No ROI voxel has a neighbour in the ROI at ``distances``.
    """
    # the NGTDM part of the pass does not depend on alpha: reuse GLDM's pass when there is one
    done = [k for k in roi.memo if k[0] == "neighbourhood" and k[1] == tuple(sorted(set(map(int, distances))))]
    _, counts = roi.memo[done[0]] if done else roi.neighbourhood(distances=distances, alpha=0.0)
    if not counts[:, 2].any():
        raise FeatureError(
            f"NGTDM: no ROI voxel has a neighbour in the ROI at distances {list(distances)}; "
            "texture is undefined for this ROI"
        )
    grey = np.arange(roi.n_levels + 1, dtype=np.float64)
    table = np.column_stack([counts[:, :2], grey])[1:]
    return table[table[:, 0] > 0]


def compute_ngtdm(roi: TextureRoi, *, distances) -> dict[str, float]:
    """The 5 NGTDM features (names without class prefix) of a discretised ROI."""
    table = calculate_ngtdm(roi, distances=distances)
    n, s, i = table.T
    n_vp = n.sum()
    p = n / n_vp
    n_gp = int(np.count_nonzero(p))
    ps = p * s
    sum_ps = ps.sum()
    sum_s = s.sum()
    di = i[:, None] - i[None, :]
    ip = i * p
    busy_den = np.sum(np.abs(ip[:, None] - ip[None, :]))
    pair = p[:, None] + p[None, :]
    contrast = 0.0
    if n_gp > 1:
        contrast = np.sum(p[:, None] * p[None, :] * di**2) * sum_s / n_vp / (n_gp * (n_gp - 1))
    return {
        "Coarseness": 1e6 if sum_ps == 0 else float(1 / sum_ps),
        "Contrast": float(contrast),
        "Busyness": 0.0 if busy_den == 0 else float(sum_ps / busy_den),
        "Complexity": float(np.sum(np.abs(di) * (ps[:, None] + ps[None, :]) / pair) / n_vp),
        "Strength": 0.0 if sum_s == 0 else float(np.sum(pair * di**2) / sum_s),
    }
