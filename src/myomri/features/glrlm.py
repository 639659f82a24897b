"""Grey Level Run Length Matrix features (16), as PyRadiomics 3.0.1 defines them.

Runs follow each of the 13 directions (4 in-plane with force2D or for a single-slice ROI) and stop at the
ROI border. Per direction: rows of grey levels absent from the ROI and columns of run lengths that occur
in no direction are removed; features are computed per direction and averaged (merged first when
``weightingNorm`` is set).
"""

from __future__ import annotations

import numpy as np

from myomri.features import _names
from myomri.features._engine import ZONE_SUMS, zone_sums
from myomri.features._matrices import TextureRoi, angle_weights, drop_empty_angles
from myomri.features._matrices import mean_over_angles as mean

__all__ = ["FEATURE_NAMES", "calculate_glrlm", "compute_glrlm"]

FEATURE_NAMES = _names.FEATURE_NAMES["glrlm"]

_EPS = np.spacing(1)


def calculate_glrlm(roi: TextureRoi, *, weighting_norm=None) -> tuple[np.ndarray, np.ndarray]:
    """Run-length matrices (G present levels, R run lengths, A directions) and the run lengths (R,)."""
    directions, _ = roi.offsets(distances=[1], bidirectional=False)
    n_runs = max(roi.shape)
    counts = roi.directional("glrlm")  # (g, r, a)
    present = roi.grey_levels.astype(np.int64)
    p = counts[present, 1:]
    if weighting_norm is not None:
        w = angle_weights(directions, spacing=roi.spacing, norm=weighting_norm)
        p = np.sum(p * w[None, None, :], axis=2, keepdims=True)
    p = drop_empty_angles(p)
    lengths = np.arange(1, n_runs + 1, dtype=np.float64)
    used = p.sum(axis=(0, 2)) > 0
    return p[:, used], lengths[used]


def compute_glrlm(roi: TextureRoi, *, weighting_norm=None) -> dict[str, float]:
    """The 16 GLRLM features (names without class prefix) of a discretised ROI.

    Per direction, the GLSZM formulas with run lengths as sizes (one compiled pass,
    :func:`myomri.features._engine.zone_sums`), then the mean over directions.
    """
    p, j = calculate_glrlm(roi, weighting_norm=weighting_norm)
    sums = zone_sums(
        np.ascontiguousarray(p, dtype=np.float64),
        roi.grey_levels.astype(np.float64),
        np.asarray(j, dtype=np.float64),
        float(_EPS),
    )
    col = dict(zip(ZONE_SUMS, sums.T))
    with np.errstate(invalid="ignore", divide="ignore"):
        # runs over voxels covered by runs (weighted when the directions are merged)
        col["RunPercentage"] = col["n"] / col["weighted_size"]
    return {name: mean(col[_FROM_ZONE.get(name, name)]) for name in FEATURE_NAMES}


#: GLRLM feature -> the GLSZM-named column of zone_sums holding it.
_FROM_ZONE = {
    "ShortRunEmphasis": "SmallAreaEmphasis",
    "LongRunEmphasis": "LargeAreaEmphasis",
    "RunLengthNonUniformity": "SizeZoneNonUniformity",
    "RunLengthNonUniformityNormalized": "SizeZoneNonUniformityNormalized",
    "RunVariance": "ZoneVariance",
    "RunEntropy": "ZoneEntropy",
    "LowGrayLevelRunEmphasis": "LowGrayLevelZoneEmphasis",
    "HighGrayLevelRunEmphasis": "HighGrayLevelZoneEmphasis",
    "ShortRunLowGrayLevelEmphasis": "SmallAreaLowGrayLevelEmphasis",
    "ShortRunHighGrayLevelEmphasis": "SmallAreaHighGrayLevelEmphasis",
    "LongRunLowGrayLevelEmphasis": "LargeAreaLowGrayLevelEmphasis",
    "LongRunHighGrayLevelEmphasis": "LargeAreaHighGrayLevelEmphasis",
}
