"""Defaults of the input/output stage (DICOM grouping, grid tolerances, sidecars).

This module is the only place these numbers live; the readers take them as keyword arguments.
"""

from __future__ import annotations

__all__ = [
    "ECHO_TIME_DECIMALS",
    "ORIENTATION_ATOL",
    "SLICE_SPACING_RTOL",
    "GRID_ATOL_MM",
    "SIDECAR_MAX_ECHO_TIME_S",
    "NRRD_ECHO_TIMES_KEY",
    "DICOM_SUFFIXES",
    "MASK_MAX_LABELS",
    "MASK_TEXTURE_MIN_LABELS",
    "MASK_MAX_NEIGHBOUR_CHANGES",
    "ECHO_GAP_RTOL",
]

#: Echo times (ms) are rounded to this many decimals before frames are grouped into echoes, so
#: that 11.0 and 11.000001 (float noise between vendors' fields) are one echo.
ECHO_TIME_DECIMALS = 2

#: Largest difference between direction cosines of two frames that still counts as one orientation.
ORIENTATION_ATOL = 1e-4

#: Slice positions must step evenly: each gap may differ from the median gap by this fraction.
SLICE_SPACING_RTOL = 0.01

#: Default tolerance (mm, and unitless for direction cosines) when two grids are compared.
GRID_ATOL_MM = 1e-3

#: BIDS / ORMIR-MIDS sidecars give ``EchoTime`` in seconds; a value above this is surely in ms
#: (no spin echo lasts 1 s), and the reader refuses to guess.
SIDECAR_MAX_ECHO_TIME_S = 1.0

#: NRRD header field in which myomri stores the echo times (ms) of a 4-D image.
NRRD_ECHO_TIMES_KEY = "myomri_echo_times_ms"

#: File name endings treated as DICOM even when a folder also holds other files.
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")

#: A label map with more distinct non-zero values than this is taken for an image given as the mask
#: (arguments swapped, or the image given twice). Label sets in use hold far fewer (myomri's thigh
#: muscles 24, TotalSegmentator 117); an MR image holds hundreds to thousands of grey levels.
MASK_MAX_LABELS = 150
#: A "mask" with more distinct values than this whose values change between more than
#: MASK_MAX_NEIGHBOUR_CHANGES of neighbouring voxels is an image (an intensity image with few grey
#: levels, e.g. 0-137, has fewer than MASK_MAX_LABELS values but changes almost everywhere; label
#: maps change only at label boundaries: 3-23 % of voxel pairs in the demo and reference maps).
MASK_TEXTURE_MIN_LABELS = 16
MASK_MAX_NEIGHBOUR_CHANGES = 0.75

#: An echo train counts as evenly spaced with missing echoes when its first echo time and every
#: step are whole multiples of the echo spacing within this fraction (echo times are rounded to
#: ECHO_TIME_DECIMALS, so 0.01 ms on an 11 ms spacing is ~0.1 %).
ECHO_GAP_RTOL = 0.01

#: BIDS version the run's derivative dataset (``OUTDIR/derivatives/myomri``) declares.
BIDS_VERSION = "1.9.0"
#: Folder of the run's BIDS derivative dataset, below OUTDIR.
DERIVATIVES_DIR = ("derivatives", "myomri")
