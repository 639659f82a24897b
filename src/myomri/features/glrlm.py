"""Grey Level Run Length Matrix features (16), as PyRadiomics 3.0.1 defines them.

Runs follow each of the 13 directions (4 in-plane with force2D or for a single-slice ROI) and stop at the
ROI border. Per direction: rows of grey levels absent from the ROI and columns of run lengths that occur
in no direction are removed; features are computed per direction and averaged (merged first when
``weightingNorm`` is set).
"""

from __future__ import annotations

import numpy as np

from myomri.features._kernels import count_glrlm
from myomri.features._matrices import TextureRoi, angle_weights, drop_empty_angles
from myomri.features._matrices import mean_over_angles as mean

__all__ = ["FEATURE_NAMES", "calculate_glrlm", "compute_glrlm"]

FEATURE_NAMES = (
    "ShortRunEmphasis", "LongRunEmphasis", "GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
    "RunLengthNonUniformity", "RunLengthNonUniformityNormalized", "RunPercentage", "GrayLevelVariance",
    "RunVariance", "RunEntropy", "LowGrayLevelRunEmphasis", "HighGrayLevelRunEmphasis",
    "ShortRunLowGrayLevelEmphasis", "ShortRunHighGrayLevelEmphasis", "LongRunLowGrayLevelEmphasis",
    "LongRunHighGrayLevelEmphasis",
)

_EPS = np.spacing(1)


def calculate_glrlm(roi: TextureRoi, *, weighting_norm=None) -> tuple[np.ndarray, np.ndarray]:
    """Run-length matrices (G present levels, R run lengths, A directions) and the run lengths (R,)."""
    directions, steps = roi.offsets(distances=[1], bidirectional=False)
    n_runs = max(roi.shape)
    counts = count_glrlm(roi.levels, roi.roi, steps, roi.n_levels, n_runs)  # (a, g, r)
    present = roi.grey_levels.astype(np.int64)
    p = counts[:, present, 1:].transpose(1, 2, 0)
    if weighting_norm is not None:
        w = angle_weights(directions, spacing=roi.spacing, norm=weighting_norm)
        p = np.sum(p * w[None, None, :], axis=2, keepdims=True)
    p = drop_empty_angles(p)
    lengths = np.arange(1, n_runs + 1, dtype=np.float64)
    used = p.sum(axis=(0, 2)) > 0
    return p[:, used], lengths[used]


def compute_glrlm(roi: TextureRoi, *, weighting_norm=None) -> dict[str, float]:
    """The 16 GLRLM features (names without class prefix) of a discretised ROI."""
    p, j = calculate_glrlm(roi, weighting_norm=weighting_norm)
    i = roi.grey_levels
    n_runs = p.sum(axis=(0, 1))  # (A,)
    n_runs = np.where(n_runs == 0, np.nan, n_runs)
    pg = p.sum(axis=1)  # (G, A)
    pr = p.sum(axis=0)  # (R, A)
    i2 = (i**2)[:, None]
    j2 = (j**2)[:, None]
    n_vox = np.sum(pr * j[:, None], axis=0)  # voxels covered by runs (weighted when merged)
    pn = p / n_runs[None, None, :]
    pgn = pg / n_runs
    prn = pr / n_runs
    mu_i = np.sum(pgn * i[:, None], axis=0)
    mu_j = np.sum(prn * j[:, None], axis=0)
    ij = i[:, None, None] ** 2 * j[None, :, None] ** 2
    ratio = i[:, None, None] ** 2 / j[None, :, None] ** 2

    return {
        "ShortRunEmphasis": mean(np.sum(pr / j2, axis=0) / n_runs),
        "LongRunEmphasis": mean(np.sum(pr * j2, axis=0) / n_runs),
        "GrayLevelNonUniformity": mean(np.sum(pg**2, axis=0) / n_runs),
        "GrayLevelNonUniformityNormalized": mean(np.sum(pg**2, axis=0) / n_runs**2),
        "RunLengthNonUniformity": mean(np.sum(pr**2, axis=0) / n_runs),
        "RunLengthNonUniformityNormalized": mean(np.sum(pr**2, axis=0) / n_runs**2),
        "RunPercentage": mean(n_runs / n_vox),
        "GrayLevelVariance": mean(np.sum(pgn * (i[:, None] - mu_i[None, :]) ** 2, axis=0)),
        "RunVariance": mean(np.sum(prn * (j[:, None] - mu_j[None, :]) ** 2, axis=0)),
        "RunEntropy": mean(-np.sum(pn * np.log2(pn + _EPS), axis=(0, 1))),
        "LowGrayLevelRunEmphasis": mean(np.sum(pg / i2, axis=0) / n_runs),
        "HighGrayLevelRunEmphasis": mean(np.sum(pg * i2, axis=0) / n_runs),
        "ShortRunLowGrayLevelEmphasis": mean(np.sum(p / ij, axis=(0, 1)) / n_runs),
        "ShortRunHighGrayLevelEmphasis": mean(np.sum(p * ratio, axis=(0, 1)) / n_runs),
        "LongRunLowGrayLevelEmphasis": mean(np.sum(p / ratio, axis=(0, 1)) / n_runs),
        "LongRunHighGrayLevelEmphasis": mean(np.sum(p * ij, axis=(0, 1)) / n_runs),
    }
