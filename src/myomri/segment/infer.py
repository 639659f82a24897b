"""Per-muscle segmentation of an axial thigh volume with a trained network.

``segment_dl`` cuts the volume into one-leg tiles (left leg mirrored), runs the network, puts the
probabilities back on the input grid (right leg -> labels 1..12, left leg -> 13..24, see
:mod:`myomri.config.labels`) and keeps, for every label, only its largest 3-D connected component
(a muscle is one connected body; stray islands are errors). A one-thigh image is one leg, its side
from world coordinates. ``out.meta['confidence']`` holds the per-slice confidence record
(:mod:`myomri.segment.confidence`).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import ndimage

from ..config import segment_dl as cfg
from ..errors import MissingFileError
from ..io.image import Image

__all__ = ["default_model_path", "segment_dl", "keep_largest_components"]

_SHIPPED = "thigh_unet.pt"


def default_model_path() -> Path:
    """Path of the weights shipped in ``myomri/data`` (raises ``MissingFileError`` when absent)."""
    path = Path(str(resources.files("myomri").joinpath("data", _SHIPPED)))
    if not path.is_file():
        raise MissingFileError(path, "shipped segmentation weights (this installation lacks them; give a "
                                     "model file or use the classical method)")  # fmt: skip
    return path


def keep_largest_components(labels: np.ndarray) -> np.ndarray:
    """For every non-zero label keep its largest 3-D connected component (26-connected); others -> 0."""
    out = np.asarray(labels).copy()
    structure = np.ones((3,) * out.ndim, bool)
    for v in np.unique(out):
        if v == 0:
            continue
        comp, n = ndimage.label(out == v, structure=structure)
        if n > 1:
            sizes = np.bincount(comp.ravel())
            sizes[0] = 0
            out[(comp > 0) & (comp != int(np.argmax(sizes)))] = 0
    return out


def _shift(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``a`` moved by ``(dy, dx)`` pixels on its last two axes; zeros enter at the edges."""
    out = np.zeros_like(a)
    h, w = a.shape[-2:]
    src_y, dst_y = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    src_x, dst_x = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., dst_y, dst_x] = a[..., src_y, src_x]
    return out


def predict_shifted(network, tiles: np.ndarray, shifts=cfg.TTA_SHIFTS) -> np.ndarray:
    """Softmax probabilities (n, C, T, T) averaged over the tiles moved by each of ``shifts``.

    Each prediction is moved back before averaging; where a moved tile had no image (its edge),
    the prediction counts as background (class 0), which is what a tile's border shows.
    """
    from .train import predict_tiles

    total = None
    for dy, dx in shifts:
        if not (dy or dx):
            back = predict_tiles(network, tiles)
        else:
            back = _shift(predict_tiles(network, _shift(tiles, dy, dx)), -dy, -dx)
            back[:, 0, _shift(np.ones(tiles.shape[-2:], bool), -dy, -dx) == 0] = 1.0
        total = back if total is None else total + back
    if total is None:
        raise ValueError("predict_shifted needs at least one shift")
    return total / len(shifts)


def segment_dl(image: Image, *, model=None, contrast: str = "water", n_threads: int = cfg.N_THREADS,
               cleanup: bool = True, tta: bool = True) -> Image:  # fmt: skip
    """Label map (uint8, values 0..24) of the twelve muscles of both thighs on ``image``'s grid.

    Parameters
    ----------
    image : Image
        3-D axial thigh volume containing both thighs.
    model : SegmentationModel, path or None
        A loaded model, a model file, or None for the shipped weights.
    contrast : {'water', 'fat', 't1', 'stir'}
        Only for models trained before the contrast-agnostic recipe (fat-bright contrasts were
        inverted for them); a model whose ``preprocess`` says ``contrast_agnostic`` ignores it.
    tta : bool
        Average the network's probabilities over the shifted tiles of ``config.segment_dl.TTA_SHIFTS``
        (test-time augmentation; more accurate, 5x the network time); False: one pass.

    Raises
    ------
    InputError
        Not a 3-D volume, empty/constant, non-finite, or unknown contrast.
    FormatError, MissingFileError
        Unreadable or missing model file.
    """
    import torch

    from .confidence import slice_confidence, summarise_confidence, with_coherence
    from .model_io import SegmentationModel, load_model
    from .tiling import check_volume, prepare_volume, tiles_to_labels

    check_volume(image)
    if not isinstance(model, SegmentationModel):
        model = load_model(default_model_path() if model is None else Path(os.fspath(model)))
    torch.set_num_threads(n_threads)
    pre = model.preprocess
    # a contrast-agnostic model sees every image as it is; older models want fat-bright contrasts inverted
    seen_as = "water" if pre.get("contrast_agnostic") else contrast
    tiles, _, layout = prepare_volume(image, contrast=seen_as, tile=int(pre.get("tile", cfg.TILE)),
                                      pixel_mm=float(pre.get("pixel_mm", cfg.PIXEL_MM)))  # fmt: skip
    probs = predict_shifted(model.network, tiles, shifts=cfg.TTA_SHIFTS if tta else ((0, 0),))
    raw = tiles_to_labels(probs, layout)
    cleaned = keep_largest_components(raw)  # the output (with cleanup) and the coherence both need it
    labels = cleaned if cleanup else raw
    out = image.with_array(labels.astype(np.uint8))
    records = slice_confidence(probs, layout.canonical_shape[2], pixel_mm=float(pre.get("pixel_mm", cfg.PIXEL_MM)))
    if layout.flips[2]:  # records follow the image's own slice order (canonical slices may be flipped)
        records = [{**r, "slice": len(records) - 1 - r["slice"]} for r in reversed(records)]
    # share of each slice's muscle pixels in their muscle's main body: a thigh gives one body per
    # muscle (> 0.99), anatomy the network does not know (a calf) scattered fragments
    axis = layout.perm[2]
    total = np.moveaxis(raw > 0, axis, 2).sum(axis=(0, 1))
    kept = np.moveaxis(cleaned > 0, axis, 2).sum(axis=(0, 1))
    conf = summarise_confidence(with_coherence(records, kept / np.maximum(total, 1)))
    conf["legs"] = "both" if 0 < layout.midline < layout.resampled_shape[0] else "one"
    out.meta.update({"segmentation": "myomri dl", "model_lineage": model.lineage, "contrast": seen_as,
                     "confidence": conf})  # fmt: skip
    return out
