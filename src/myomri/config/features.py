"""Defaults and valid keys of the radiomics feature engine (PyRadiomics 3.0.1 semantics).

The names are PyRadiomics' own so that a PyRadiomics parameter file is read as-is. Every default
lives here; the feature code never calls ``kwargs.get(name, default)`` with its own default.
"""

from __future__ import annotations

#: Defaults of PyRadiomics 3.0.1 for the settings we support (``setting:`` section of a params file).
SETTING_DEFAULTS: dict[str, object] = {
    "binWidth": 25.0,
    "binCount": None,
    "normalize": False,
    "normalizeScale": 1.0,
    "removeOutliers": None,
    "resampledPixelSpacing": None,
    "interpolator": "sitkBSpline",
    "padDistance": 5,
    "preCrop": False,
    "force2D": False,
    "force2Ddimension": 0,
    "label": 1,
    "voxelArrayShift": 0,
    "distances": [1],
    "weightingNorm": None,
    "symmetricalGLCM": True,
    "gldm_a": 0,
    "resegmentRange": None,
    "resegmentMode": "absolute",
    "resegmentShape": False,
    "minimumROIDimensions": 2,
    "minimumROISize": None,
    "geometryTolerance": None,
    "correctMask": False,
    "additionalInfo": True,
    "lbp2DRadius": 1,
    "lbp2DSamples": 8,  # the PyRadiomics docstring says 9, its code uses 8
    "lbp2DMethod": "uniform",
}

#: Feature classes of the six texture/intensity families plus optional shape.
FEATURE_CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape", "shape2D")

#: Image types we implement; names as in PyRadiomics parameter files -> column prefix.
IMAGE_TYPES = {"Original": "original", "LBP2D": "lbp-2D"}
