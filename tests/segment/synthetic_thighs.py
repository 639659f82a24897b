"""Synthetic two-thigh Dixon volumes with known tissue labels (shared by the segmentation tests)."""

from __future__ import annotations

import numpy as np

from myomri.io.image import Image

PIXEL = 1.5  # mm


def make_two_thighs(n_slices: int = 3, seed: int = 0, touching: bool = False):
    """Two synthetic thighs: skin, subcutaneous fat ring, muscle disc with fat septa, femur.

    Returns water, fat (Images) and the true tissue labels (values of TISSUE_LABELS).
    """
    rng = np.random.default_rng(seed)
    ni, nj = 240, 140
    ii, jj = np.meshgrid(np.arange(ni) * PIXEL, np.arange(nj) * PIXEL, indexing="ij")
    truth = np.zeros((ni, nj), np.uint8)
    gap = 0.0 if touching else 20.0
    r_leg, r_fascia = 80.0, 62.0
    for cx in (105.0 - gap / 2 - 5, 255.0 + gap / 2 + 5):
        cy = 105.0
        d = np.hypot(ii - cx, jj - cy)
        ang = np.arctan2(jj - cy, ii - cx)
        truth[d <= r_leg] = 5                      # skin (outermost 1.5 mm)
        truth[d <= r_leg - 1.6] = 2                # subcutaneous fat
        truth[d <= r_fascia] = 1                   # muscle
        # two thin fat septa between muscles (intermuscular fat)
        for a0 in (0.5, 2.6):
            septum = (d > 20) & (d < r_fascia - 3) & (np.abs(np.angle(np.exp(1j * (ang - a0)))) * d < 1.6)
            truth[septum] = 4
        femur_c = (np.hypot(ii - (cx + 8), jj - (cy - 10)))
        truth[femur_c <= 14.0] = 3                 # cortex + marrow
    marrow = np.zeros_like(truth, bool)
    for cx in (105.0 - gap / 2 - 5, 255.0 + gap / 2 + 5):
        marrow |= np.hypot(ii - (cx + 8), jj - (105.0 - 10)) <= 10.0
    water = np.zeros((ni, nj))
    fat = np.zeros((ni, nj))
    water[truth == 1], fat[truth == 1] = 900.0, 60.0        # lean muscle, FF ~ 0.06
    water[truth == 5], fat[truth == 5] = 700.0, 150.0       # skin
    water[truth == 2], fat[truth == 2] = 80.0, 1000.0       # fat, FF ~ 0.93
    water[truth == 4], fat[truth == 4] = 80.0, 1000.0
    water[truth == 3], fat[truth == 3] = 5.0, 5.0           # cortex: no signal
    water[marrow], fat[marrow] = 60.0, 950.0                # marrow: fat
    vol_w = np.repeat(water[:, :, None], n_slices, axis=2) + rng.normal(0, 15, (ni, nj, n_slices))
    vol_f = np.repeat(fat[:, :, None], n_slices, axis=2) + rng.normal(0, 15, (ni, nj, n_slices))
    geom = dict(spacing=(PIXEL, PIXEL, 8.0), origin=(-180.0, -100.0, 20.0))
    truth3 = np.repeat(truth[:, :, None], n_slices, axis=2)
    return (Image(np.abs(vol_w), **geom, source="water.nii.gz"),
            Image(np.abs(vol_f), **geom, source="fat.nii.gz"), truth3)
