"""The tissues a real thigh image shows around the labelled muscles, added to a label map.

A map of the 11 Huashan muscles leaves everything else 0. Trained on such maps alone, a network
learns that the bright ring of subcutaneous fat, the femur and the fat between muscles are
"nothing", and fails on real images. For every slice of one leg (2-D, at the network's pixel size)
:func:`add_tissues` builds, from the muscles' own shape:

* the fascia envelope: the muscle union closed with a disc (6-15 mm) and its holes filled;
* the femur: the largest round gap of the envelope next to the vastus intermedius (which wraps the
  shaft), as cortex (a 2.5-6 mm ring) around marrow;
* the other gaps: an unlabelled muscle (probability 0.6 for gaps >= 1.5 cm^2: the adductor longus
  and brevis lie there) or intermuscular fat;
* subcutaneous fat outside the envelope, 3-30 mm thick with a smooth random variation around the
  leg, and skin (1-2.5 mm) at the outer surface (at the network's 2 mm pixels it shows as one pixel
  when the drawn thickness reaches 2 mm, else partial volume leaves it in the fat);
* 0-2 vessels (2-5 mm) inside the intermuscular fat.

Codes and ranges are in :mod:`myomri.config.segment_synth`. :func:`label_map_tiles` cuts a whole
label map into one-leg tiles exactly as :func:`myomri.segment.tiling.prepare_volume` cuts an
image (canonical orientation, in-plane resampling, midline, mirrored left leg, fixed offsets).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..config import segment_synth as scfg
from ..config.labels import MUSCLES
from ..io.image import Image

__all__ = ["add_tissues", "label_map_tiles"]

_VI = MUSCLES.index("VI") + 1
_T = scfg.TISSUES


def _closing(mask: np.ndarray, radius_px: float) -> np.ndarray:
    """Binary closing with a disc, through distance transforms (any radius, no structuring element)."""
    grown = ndimage.distance_transform_edt(~mask) <= radius_px
    return ndimage.distance_transform_edt(grown) > radius_px


def _smooth_field(shape, rng: np.random.Generator, grid: int = 4) -> np.ndarray:
    """A smooth random field in [-1, 1] over ``shape`` (cubic zoom of a coarse grid)."""
    coarse = rng.uniform(-1, 1, (grid, grid))
    f = ndimage.zoom(coarse, (shape[0] / grid, shape[1] / grid), order=3, mode="nearest")
    return np.clip(f[: shape[0], : shape[1]], -1, 1)


def _femur(gaps: np.ndarray, muscles: np.ndarray, px: float, rng) -> np.ndarray:
    """Mask of the femur inside ``gaps``; empty where no gap is round enough and next to VI."""
    lab, n = ndimage.label(gaps)
    if n == 0:
        return np.zeros_like(gaps)
    depth = ndimage.distance_transform_edt(gaps)
    vi = muscles == _VI
    near_vi = ndimage.distance_transform_edt(~vi) if vi.any() else None
    best, best_depth = None, 10.0 / (2 * px)  # a marrow cavity of >= 10 mm diameter at least
    for k, sl in enumerate(ndimage.find_objects(lab), start=1):
        d = np.where(lab[sl] == k, depth[sl], 0)
        i, j = np.unravel_index(int(np.argmax(d)), d.shape)
        centre = (i + sl[0].start, j + sl[1].start)
        if d[i, j] <= best_depth or (near_vi is not None and near_vi[centre] > 15.0 / px):
            continue
        best, best_depth = (k, centre), float(d[i, j])
    if best is None:
        return np.zeros_like(gaps)
    k, (ci, cj) = best
    r_max = min(best_depth + 1.0, rng.uniform(*scfg.TISSUE_MM["femur_radius"]) / px)
    ii, jj = np.ogrid[: gaps.shape[0], : gaps.shape[1]]
    return (lab == k) & ((ii - ci) ** 2 + (jj - cj) ** 2 <= r_max**2)


def add_tissues(muscles: np.ndarray, *, pixel_mm: float, rng: np.random.Generator) -> np.ndarray:
    """Tissue codes (uint8) of one leg's slice from its muscle indices (0..12).

    Parameters
    ----------
    muscles : ndarray (nx, ny) int
        Side-free muscle indices of one leg (``segment.tiling.muscle_indices``), 0 elsewhere.
    pixel_mm : float
        Pixel size; all tissue sizes are drawn in mm.
    rng : numpy Generator
        Draws the sizes and the gap assignments.

    Returns
    -------
    ndarray (nx, ny) uint8
        1..12 the muscles unchanged, 13..19 the added tissues (``config.segment_synth.TISSUES``), 0 air.
    """
    out = np.asarray(muscles).astype(np.uint8).copy()
    m = out > 0
    if not m.any():
        return out
    mm = scfg.TISSUE_MM
    envelope = ndimage.binary_fill_holes(_closing(m, rng.uniform(*mm["fascia_closing"]) / pixel_mm))
    gaps = envelope & ~m
    femur = _femur(gaps, out, pixel_mm, rng)
    if femur.any():
        cortex = ndimage.distance_transform_edt(femur) <= rng.uniform(*mm["cortex"]) / pixel_mm
        out[femur & cortex] = _T["cortex"]
        out[femur & ~cortex] = _T["marrow"]
    lab, n = ndimage.label(gaps & ~femur)
    if n:
        areas = ndimage.sum_labels(np.ones_like(lab), lab, index=np.arange(1, n + 1)) * pixel_mm**2
        big = (areas >= scfg.UNLABELLED_MIN_MM2) & (rng.random(n) < scfg.UNLABELLED_MUSCLE_PROB)
        code = np.where(big, _T["unlabelled_muscle"], _T["intermuscular_fat"]).astype(np.uint8)
        out[lab > 0] = code[lab[lab > 0] - 1]
    _add_vessels(out, pixel_mm, rng)
    thickness = rng.uniform(*mm["subcutaneous_fat"]) / pixel_mm * (1 + 0.5 * _smooth_field(out.shape, rng))
    outside = ndimage.distance_transform_edt(~envelope)
    subcut = ~envelope & (outside <= np.maximum(thickness, 1.0))
    out[subcut] = _T["subcutaneous_fat"]
    body = envelope | subcut
    skin = body & (ndimage.distance_transform_edt(body) <= rng.uniform(*mm["skin"]) / pixel_mm)
    out[skin & (out == _T["subcutaneous_fat"])] = _T["skin"]
    return out


def _add_vessels(out: np.ndarray, pixel_mm: float, rng) -> None:
    fat = out == _T["intermuscular_fat"]
    room = ndimage.distance_transform_edt(fat)
    for _ in range(int(rng.integers(0, 3))):
        r = rng.uniform(*scfg.TISSUE_MM["vessel_radius"]) / pixel_mm
        cand = np.flatnonzero(room.ravel() >= r)
        if cand.size == 0:
            return
        ci, cj = np.unravel_index(int(rng.choice(cand)), out.shape)
        ii, jj = np.ogrid[: out.shape[0], : out.shape[1]]
        out[fat & ((ii - ci) ** 2 + (jj - cj) ** 2 <= r**2)] = _T["vessel"]


def label_map_tiles(label_map: Image, *, scheme: str = "huashan", tile: int, pixel_mm: float,
                    rng: np.random.Generator, variants: int = scfg.VARIANTS):  # fmt: skip
    """Tissue tiles and muscle-index tiles of every leg slice of ``label_map``.

    Returns
    -------
    tissues : ndarray (n, tile, tile) uint8
    targets : ndarray (n, tile, tile) int64
        Muscle indices 0..12 (the map's muscles only; added tissues are 0).
    """
    from ..config import segment_dl as cfg
    from .tiling import _crop, _halves, _tile_offsets, canonical_view, find_midline, muscle_indices, resample_inplane

    can, perm, _ = canonical_view(label_map.with_array(muscle_indices(label_map.array, scheme=scheme)))
    sp = np.asarray(label_map.spacing, dtype=float)[list(perm)]
    lab = resample_inplane(can.astype(np.int16), sp[:2], pixel_mm=pixel_mm, order=0).astype(np.int64)
    mid = find_midline((lab > 0).astype(np.float32))
    tissues, targets = [], []
    for half in _halves(lab, mid):
        keep = [k for k in range(half.shape[2]) if (half[:, :, k] > 0).sum() >= scfg.MIN_MUSCLE_PX]
        for _ in range(variants):
            vol = (
                np.stack([add_tissues(half[:, :, k], pixel_mm=pixel_mm, rng=rng) for k in keep], axis=2)
                if keep
                else np.zeros(half.shape[:2] + (0,), np.uint8)
            )
            body = (vol > 0).astype(np.float32) * (10 * cfg.FOREGROUND_FRACTION)
            x0, y0 = _tile_offsets(body, tile)
            tissues.append(np.moveaxis(_crop(vol, x0, y0, tile), 2, 0))
            targets.append(np.moveaxis(_crop(half[:, :, keep], x0, y0, tile), 2, 0))
    return np.concatenate(tissues).astype(np.uint8), np.concatenate(targets).astype(np.int64)
