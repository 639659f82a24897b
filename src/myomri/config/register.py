"""Defaults of rigid registration between series (``myomri.preprocess.register``).

Seed paper 2 found residual misalignment between the Dixon series (where the muscles are drawn) and
the T2 map of a few millimetres and degrees; a correction much larger than that is more likely a
failed optimisation (or two different scans) than a patient who moved, so it is refused.
"""

from __future__ import annotations

__all__ = [
    "MAX_TRANSLATION_MM",
    "MAX_ROTATION_DEG",
    "HISTOGRAM_BINS",
    "SAMPLING_PERCENTAGE",
    "SAMPLING_SEED",
    "SHRINK_FACTORS",
    "SMOOTHING_SIGMAS_MM",
    "LEARNING_RATE",
    "MIN_STEP",
    "MAX_ITERATIONS",
    "MIN_OVERLAP_FRACTION",
    "N_THREADS",
    "GRADIENT_FILTER",
]

#: Sanity bound: a correction whose translation (at the centre of the fixed grid) is longer than
#: this, or whose rotation angle is larger than MAX_ROTATION_DEG, is refused and the identity kept.
MAX_TRANSLATION_MM = 10.0
MAX_ROTATION_DEG = 5.0

#: Mattes mutual information: joint histogram bins per image (50 is ITK's usual choice for MR).
HISTOGRAM_BINS = 50

#: Fraction of the fixed image's voxels the metric samples, on a regular grid; with a fixed seed
#: the samples (and so the result) are the same on every run.
SAMPLING_PERCENTAGE = 0.5
SAMPLING_SEED = 1

#: Multi-resolution schedule, coarse to fine: shrink factors and Gaussian smoothing (mm). Thigh
#: series are thin slabs (5-7 slices), which ITK never shrinks below one slice.
SHRINK_FACTORS = (4, 2, 1)
SMOOTHING_SIGMAS_MM = (4.0, 2.0, 0.0)

#: Regular-step gradient descent, with parameter scales estimated from physical shifts so that
#: one step moves a voxel by at most LEARNING_RATE mm whether it turns or translates.
LEARNING_RATE = 2.0
MIN_STEP = 1e-4
MAX_ITERATIONS = 200

#: Fraction of the fixed grid's voxel centres that must fall inside the moving grid at the start;
#: below it the two images do not show the same anatomy and registration is refused.
MIN_OVERLAP_FRACTION = 0.05

#: ITK threads for the metric: one, because sums of per-thread partial histograms change in the
#: last bits with the thread count and the optimiser amplifies that into different results.
N_THREADS = 1

#: Image gradients for the metric from central differences, not ITK's default recursive-Gaussian
#: gradient images: on a thin slab of 6 mm slices the Gaussian gradient across the slab edges
#: dominates and drove the optimiser 30-40 mm out of the slab in tests (demo Dixon onto itself).
GRADIENT_FILTER = False
