"""A tiny two-thigh muscle phantom with known per-muscle labels (DL segmentation tests).

Each thigh is a disc (subcutaneous fat ring, femur in the middle) whose muscle ring is cut into
twelve angular sectors, one per muscle of ``myomri.config.labels``; each muscle has its own
intensity so a tiny network can learn it in seconds. The left thigh is the mirror image of the
right one (sector angles measured from the lateral side), as in real anatomy, so after the
left/right split and mirroring both legs look alike. Right leg at low LPS x: labels 1..12,
left leg: 13..24.
"""

from __future__ import annotations

import numpy as np

from myomri.io.image import Image

#: Tiny preprocessing/architecture used by the tests (seconds on one core).
PIXEL_MM = 4.0
TILE = 32
TINY_ARCH = {"arch": "ResUNet2d", "in_channels": 1, "n_classes": 13, "base_channels": 4, "depth": 3}


def make_phantom(*, seed: int = 0, n_slices: int = 3, shape=(84, 48), spacing=(4.0, 4.0, 6.0),
                 noise: float = 0.03, shift_mm: float = 0.0) -> tuple[Image, np.ndarray]:
    """Water-like image (muscle bright, fat dark) and its 0..24 label map."""
    rng = np.random.default_rng(seed)
    ni, nj = shape
    x, y = np.meshgrid(np.arange(ni) * spacing[0], np.arange(nj) * spacing[1], indexing="ij")
    img = np.zeros((ni, nj), np.float32)
    lab = np.zeros((ni, nj), np.uint8)
    cy = nj * spacing[1] / 2 + rng.uniform(-4, 4)
    centres = (ni * spacing[0] * 0.26 + shift_mm, ni * spacing[0] * 0.74 + shift_mm)
    for side, cx in enumerate(centres):
        dx = (x - cx) if side == 1 else (cx - x)  # mirror: angle measured from the lateral side
        d = np.hypot(dx, y - cy)
        ang = np.mod(np.arctan2(y - cy, dx), 2 * np.pi)
        img[d <= 70] = 0.15  # subcutaneous fat: dark in a water image
        muscle = (d <= 60) & (d > 14)
        sector = np.minimum((ang / (2 * np.pi) * 12).astype(int), 11)
        img[muscle] = (0.35 + 0.05 * sector)[muscle]
        lab[muscle] = (sector + 1 + 12 * side)[muscle].astype(np.uint8)
        img[d <= 14] = 0.05  # femur
    vol = np.repeat(img[:, :, None], n_slices, axis=2) * 1000
    vol = vol + noise * 1000 * rng.standard_normal(vol.shape)
    labels = np.repeat(lab[:, :, None], n_slices, axis=2)
    image = Image(np.clip(vol, 0, None).astype(np.float32), spacing=spacing, origin=(0.0, 0.0, 0.0))
    return image, labels


def phantom_tiles(seeds, **kw):
    """TileSet of the phantoms of ``seeds`` (tiny tiles)."""
    from myomri.segment.tiling import muscle_indices, prepare_volume
    from myomri.segment.train import TileSet

    sets = []
    for s in seeds:
        image, lab = make_phantom(seed=s, **kw)
        t, lt, _ = prepare_volume(image, labels=muscle_indices(lab), tile=TILE, pixel_mm=PIXEL_MM)
        sets.append(TileSet(t, lt))
    return TileSet.concat(sets)


def tiny_model(seed: int = 0, **arch):
    """An untrained tiny model whose preprocessing matches the phantom tiles."""
    from myomri.segment.model_io import new_model

    m = new_model({**TINY_ARCH, **arch}, seed=seed)
    m.preprocess.update(tile=TILE, pixel_mm=PIXEL_MM)
    return m
