"""Reader ROIs on the STIR slice, as drawn in Nagawa et al. (2021).

The seed paper's ROI "covered the whole area of one slice of a muscle MR image of the proximal
thighs and excluded the epimysium": one 2-D ROI per reader holding all thigh muscle of both legs
inside the fascia (intermuscular septa included, subcutaneous fat, skin and femur excluded),
mean area about 480 cm^2. Each reader's outline is the true outline moved by a signed offset
(the reader's habit: negative erodes, positive dilates), a smooth random jitter along the contour
and a small in-plane shift. A repeat by the same reader (R1b) keeps the reader's offset but draws
new jitter and shift, so intra-reader agreement exceeds inter-reader agreement.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .phantom import MUSCLE, SEPTUM, SmoothField

__all__ = ["truth_roi", "signed_distance", "draw_reader_roi"]


def truth_roi(tissue_slice: np.ndarray) -> np.ndarray:
    """The ideal ROI (bool) of a 2-D tissue-code slice: muscle and septa inside the fascia."""
    return np.isin(tissue_slice, (MUSCLE, SEPTUM))


def signed_distance(mask: np.ndarray, spacing) -> np.ndarray:
    """Signed distance (mm) to the mask outline: negative inside, positive outside."""
    mask = np.asarray(mask, dtype=bool)
    outside = ndimage.distance_transform_edt(~mask, sampling=spacing)
    inside = ndimage.distance_transform_edt(mask, sampling=spacing)
    return np.where(mask, -inside + 0.5 * min(spacing), outside - 0.5 * min(spacing))


def draw_reader_roi(
    roi: np.ndarray,
    points: np.ndarray,
    *,
    spacing,
    bias: float,
    jitter: float,
    max_shift: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """One reader's version of the 2-D ``roi`` (bool, shape (ni, nj)).

    Parameters
    ----------
    roi : ndarray of bool
        True ROI on the slice.
    points : ndarray (ni * nj, 3)
        World coordinates of the slice's pixel centres (the jitter is a world-space field).
    spacing : (float, float)
        Pixel size in mm.
    bias, jitter, max_shift : float
        Outline offset (mm, + dilates), jitter amplitude (mm) and largest shift (mm).
    """
    sd = signed_distance(roi, spacing)
    shift_mm = rng.uniform(-max_shift, max_shift, size=2)
    sd = ndimage.shift(sd, shift_mm / np.asarray(spacing), order=1, mode="nearest")
    wobble = SmoothField.random(rng, n_modes=8, wavelength=(8.0, 40.0), sd=jitter)(points)
    out = sd < bias + wobble.reshape(roi.shape)
    # a reader draws closed outlines: drop specks and fill pin holes
    labels, n = ndimage.label(out)
    if n > 1:
        sizes = ndimage.sum_labels(out, labels, index=np.arange(1, n + 1))
        out = np.isin(labels, 1 + np.flatnonzero(sizes >= 20))
    return out
