"""Defaults and valid keys of the radiomics feature engine (PyRadiomics 3.0.1 semantics).

The names are PyRadiomics' own so that a PyRadiomics parameter file is read as-is. Every default
lives here; the feature code never calls ``kwargs.get(name, default)`` with its own default.
"""

from __future__ import annotations

from typing import Any

#: Defaults of PyRadiomics 3.0.1 for the settings we support (``setting:`` section of a params file).
SETTING_DEFAULTS: dict[str, Any] = {  # values of several types: read by key
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

#: Largest grid ``resampledPixelSpacing`` may produce (ROI bounding box plus padding), in voxels:
#: 2**28 voxels are 2 GiB as float64. A far finer spacing than the image's (e.g. 0.001 mm) is a
#: typo, refused with a clear message instead of SimpleITK failing to allocate the grid.
RESAMPLE_MAX_VOXELS = 2**28

#: Feature classes of the six texture/intensity families plus optional shape.
FEATURE_CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm", "shape", "shape2D")

#: Image types we implement; names as in PyRadiomics parameter files -> column prefix.
IMAGE_TYPES = {"Original": "original", "LBP2D": "lbp-2D"}

#: Image types enabled when a parameter file has no ``imageType`` section (PyRadiomics' default).
DEFAULT_IMAGE_TYPES: dict[str, dict] = {"Original": {}}

#: Feature classes enabled when a parameter file has no ``featureClass`` section: the six
#: intensity/texture classes of seed paper 1 (93 features). PyRadiomics would also enable shape;
#: we do not, because the study does not use shape features.
DEFAULT_FEATURE_CLASSES: tuple[str, ...] = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")

#: Top-level sections of a PyRadiomics parameter file that we read.
PARAM_SECTIONS = ("setting", "imageType", "featureClass")

#: SimpleITK interpolator names accepted for ``interpolator``. PyRadiomics also accepts the integer
#: constant; its value depends on the SimpleITK version (sitkBSpline is 3 in 1.x, 23 in 2.5).
INTERPOLATORS: tuple[str, ...] = (
    "sitkNearestNeighbor",
    "sitkLinear",
    "sitkBSpline",
    "sitkGaussian",
    "sitkLabelGaussian",
    "sitkHammingWindowedSinc",
    "sitkCosineWindowedSinc",
    "sitkWelchWindowedSinc",
    "sitkLanczosWindowedSinc",
    "sitkBlackmanWindowedSinc",
)

#: Methods of ``skimage.feature.local_binary_pattern`` (``lbp2DMethod``).
LBP_METHODS = ("default", "ror", "uniform", "nri_uniform", "var")

#: ``weightingNorm`` values PyRadiomics understands.
WEIGHTING_NORMS = ("manhattan", "euclidean", "infinity", "no_weighting")

#: ``resegmentMode`` values.
RESEGMENT_MODES = ("absolute", "relative", "sigma")

#: Mask perturbations of the robustness command (Zwanenburg et al. 2019, Sci Rep 9:614).
ROBUSTNESS_DEFAULTS: dict[str, Any] = {
    "n": 20,  # number of perturbed masks
    "seed": 0,
    "max_translation": 1.0,  # voxels; sub-voxel shifts, mask re-sampled nearest-neighbour
    "max_grow": 1,  # voxels of erosion (-) or dilation (+)
    "contour_probability": 0.25,  # chance a voxel of the 1-voxel contour band flips
    "icc_good": 0.75,
    "icc_excellent": 0.9,
}
