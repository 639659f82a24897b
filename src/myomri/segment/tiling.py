"""From an axial thigh volume to one-leg network tiles, and back (DAFNE-style left/right split).

Steps (all numpy/scipy, no torch):

1. ``canonical_view``: transpose/flip the voxel array so axis 0 runs right -> left (world +x in LPS),
   axis 1 anterior -> posterior and axis 2 along the slices, using the image's direction matrix,
   so the same anatomy lands at the same place whatever the storage order.
2. ``normalise_intensity``: divide by a high percentile of the body (whole volume, robust to
   scanner scaling), clip; fat-bright contrasts (fat, T1) are inverted inside the body so the
   network always sees muscle bright.
3. ``resample_inplane``: linear resampling of every slice to the fixed pixel size (same field of view).
4. ``count_legs`` / ``find_midline``: the column between the two thighs, the minimum of the body
   profile in the central band; the left half is mirrored so one network sees one (right-looking)
   leg. An image of one thigh is that leg whole; its side comes from world coordinates
   (``single_leg_side``).
5. Each half is placed in a fixed-size tile centred on its body centroid (same offset on every
   slice); ``TileLayout`` records everything needed to put network outputs back on the input grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..config import segment_dl as cfg
from ..config.labels import N_MUSCLES
from ..errors import InputError
from ..io.image import Image

__all__ = [
    "TileLayout", "canonical_view", "normalise_intensity", "resample_inplane", "find_midline",
    "muscle_indices", "prepare_volume", "tiles_to_labels", "check_volume", "count_legs", "single_leg_side",
]  # fmt: skip


def check_volume(image: Image, *, name: str = "image") -> None:
    """Raise ``InputError`` unless ``image`` is a non-empty, finite 3-D volume with some contrast."""
    src = image.source or name
    if image.array.ndim != 3:
        raise InputError(f"{src}: expected a 3-D axial volume (i, j, slices), found {image.array.ndim}-D "
                         f"array of shape {image.array.shape}")  # fmt: skip
    if image.array.size == 0 or min(image.array.shape[:2]) < 8:
        raise InputError(f"{src}: expected slices of at least 8 x 8 voxels, found shape {image.array.shape}")
    a = np.asarray(image.array, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{src}: image contains NaN or infinite values; expected finite intensities")
    if float(a.max()) <= float(a.min()) or float(a.max()) <= 0:
        raise InputError(f"{src}: image is empty (constant {float(a.min()):g}); expected an axial thigh image")


def canonical_view(image: Image) -> tuple[np.ndarray, tuple[int, int, int], tuple[bool, bool, bool]]:
    """(perm, flips) so that ``a.transpose(perm)`` flipped on ``flips`` runs R->L, A->P, slices.

    Returns the canonical array, the permutation and the flips (apply the inverse with
    :func:`_uncanonical`).
    """
    d = np.asarray(image.direction, dtype=float)[:3, :3]
    # the voxel axis most aligned with each world axis; ties broken by taking axes in order
    perm: list[int] = []
    for w in range(3):
        order = np.argsort(-np.abs(d[w]))
        perm.append(int(next(a for a in order if a not in perm)))
    flips = tuple(bool(d[w, perm[w]] < 0) for w in range(3))
    a = np.transpose(image.array, perm)
    for ax, f in enumerate(flips):
        if f:
            a = np.flip(a, axis=ax)
    return a, tuple(perm), flips  # type: ignore[return-value]


def _uncanonical(a: np.ndarray, perm, flips) -> np.ndarray:
    for ax, f in enumerate(flips):
        if f:
            a = np.flip(a, axis=ax)
    return np.transpose(a, np.argsort(perm))


def normalise_intensity(a: np.ndarray, *, contrast: str = "water", percentile: float = cfg.PERCENTILE,
                        clip_max: float = cfg.CLIP_MAX) -> np.ndarray:  # fmt: skip
    """Scale to the body's ``percentile`` (-> 1), clip to [0, clip_max]; invert fat-bright contrasts."""
    if contrast not in cfg.CONTRASTS:
        raise InputError(f"contrast {contrast!r} is unknown; expected one of {cfg.CONTRASTS}")
    a = np.clip(np.asarray(a, dtype=np.float32), 0, None)
    rough = a > cfg.FOREGROUND_FRACTION * float(np.percentile(a, 99.5))
    ref = float(np.percentile(a[rough], percentile)) if rough.any() else float(a.max())
    out = np.clip(a / max(ref, 1e-12), 0, clip_max)
    if contrast in cfg.INVERTED_CONTRASTS:
        body = ndimage.binary_fill_holes(out > cfg.FOREGROUND_FRACTION, structure=np.ones((3, 3, 1)))
        out = np.where(body, np.clip(1.0 - out, 0, clip_max) + 0.1, 0).astype(np.float32)
    return out.astype(np.float32)


def _resample_matrix(shape_in, spacing_in, pixel_mm):
    shape_out = tuple(max(1, int(round(n * s / pixel_mm))) for n, s in zip(shape_in, spacing_in, strict=True))
    # same field of view: output pixel centre u' sits at input index (u' + 0.5) * f - 0.5
    f = [n_in / n_out for n_in, n_out in zip(shape_in, shape_out, strict=True)]
    return shape_out, f


def resample_inplane(a: np.ndarray, spacing_xy, *, pixel_mm: float = cfg.PIXEL_MM, order: int = 1,
                     shape_out=None) -> np.ndarray:  # fmt: skip
    """Resample axes 0, 1 of ``a`` (x, y, slices[, ...]) from ``spacing_xy`` to ``pixel_mm``
    keeping the field of view; ``shape_out`` forces the output in-plane shape (inverse mapping)."""
    if shape_out is None:
        shape_out, f = _resample_matrix(a.shape[:2], spacing_xy, pixel_mm)
    else:
        f = [a.shape[0] / shape_out[0], a.shape[1] / shape_out[1]]
    extra = a.ndim - 2
    matrix = np.array(list(f) + [1.0] * extra)
    offset = np.array([0.5 * fi - 0.5 for fi in f] + [0.0] * extra)
    out_shape = tuple(shape_out) + a.shape[2:]
    mode = "nearest" if order == 0 else "constant"
    return ndimage.affine_transform(a, matrix, offset=offset, output_shape=out_shape, order=order, mode=mode,
                                    cval=0.0, prefilter=False)  # fmt: skip


def find_midline(norm: np.ndarray) -> int:
    """Column (axis 0 of a canonical, normalised volume) separating the two thighs."""
    body = norm > cfg.FOREGROUND_FRACTION
    profile = body.sum(axis=tuple(range(1, body.ndim))).astype(float)
    cols = np.flatnonzero(profile > 0)
    if cols.size == 0:
        return norm.shape[0] // 2
    lo, hi = cols[0], cols[-1]
    a, b = int(lo + 0.3 * (hi - lo)), int(lo + 0.7 * (hi - lo)) + 1
    smooth = ndimage.uniform_filter1d(profile, size=3)
    return int(a + np.argmin(smooth[a:b])) if b > a else int((lo + hi) // 2)


_SLICE_CROSS = ndimage.generate_binary_structure(2, 1)[:, :, None]


def count_legs(norm: np.ndarray) -> int:
    """1 or 2: whether a canonical, normalised volume shows one thigh or both.

    Two thighs leave a dip in the body's column profile between them (deeper than
    ``config.segment_dl.TWO_LEG_DIP`` of the lower of the two peaks); one thigh's profile is a
    single bump whose central band stays close to its peak.
    """
    # holes filled per slice: in a fat image the body is a bright ring around dark muscle
    body = ndimage.binary_fill_holes(norm > cfg.FOREGROUND_FRACTION, structure=_SLICE_CROSS if norm.ndim == 3 else None)
    profile = ndimage.uniform_filter1d(body.sum(axis=tuple(range(1, body.ndim))).astype(float), size=3)
    cols = np.flatnonzero(profile > 0.05 * profile.max()) if profile.max() > 0 else np.array([], int)
    if cols.size < 8:
        return 1
    lo, hi = cols[0], cols[-1]
    a, b = int(lo + 0.3 * (hi - lo)), int(lo + 0.7 * (hi - lo)) + 1
    mid = a + int(np.argmin(profile[a:b]))
    peaks = min(profile[lo : mid + 1].max(), profile[mid : hi + 1].max())
    return 2 if profile[mid] < cfg.TWO_LEG_DIP * peaks else 1


def single_leg_side(image: Image, norm_body: np.ndarray | None = None) -> str:
    """'R' or 'L': the side of a one-thigh image from world coordinates.

    Scanners place the patient's midline near world x = 0 (LPS: +x is the patient's left); real
    thigh scans put it within ~25 mm of 0 while a thigh's centre lies ~90 mm to one side.
    """
    a = np.asarray(image.array, dtype=np.float32)
    body = a > cfg.FOREGROUND_FRACTION * float(np.percentile(a, 99.5)) if norm_body is None else norm_body
    if not body.any():
        return "R"
    centre = image.index_to_world(np.argwhere(body).mean(axis=0))
    return "L" if centre[0] > 0 else "R"


def _found(lab: np.ndarray) -> str:
    values = np.unique(lab)
    shown = ", ".join(str(int(v)) for v in values[:16])
    return f"{{{shown}{', ...' if values.size > 16 else ''}}} ({values.size} distinct, {values[0]}..{values[-1]})"


def muscle_indices(labels: np.ndarray, *, scheme: str = "myomri") -> np.ndarray:
    """Side-free muscle index 0..12 (0 background) from a label map.

    ``scheme='myomri'``: values 1..24 of :mod:`myomri.config.labels`; ``'huashan'``: the 11 Huashan
    IDEAL labels (no laterality, no AL), see :data:`myomri.config.segment_dl.HUASHAN_TO_MUSCLE`.
    """
    from ..config.labels import MUSCLES

    lab = np.asarray(labels).astype(np.int64)
    if scheme == "myomri":
        if lab.min() < 0 or lab.max() > 2 * N_MUSCLES:
            raise InputError(
                f"label map has values {_found(lab)}; expected 0..{2 * N_MUSCLES} (myomri thigh "
                "muscles: right 1-12, left 13-24) or pass the scheme it uses (huashan: 0..11)"
            )
        return np.where(lab > 0, (lab - 1) % N_MUSCLES + 1, 0)
    if scheme == "huashan":
        lut = np.zeros(256, dtype=np.int64)
        for v, m in cfg.HUASHAN_TO_MUSCLE.items():
            lut[v] = MUSCLES.index(m) + 1
        if lab.min() < 0 or lab.max() > max(cfg.HUASHAN_TO_MUSCLE):
            raise InputError(
                f"Huashan label map has values {_found(lab)}; expected 0..11 (the 11 Huashan thigh muscles)"
            )
        return lut[lab]
    raise InputError(f"label scheme {scheme!r} is unknown; expected 'myomri' or 'huashan'")


@dataclass
class TileLayout:
    """How a volume was cut into tiles: undo with :func:`tiles_to_labels`."""

    perm: tuple[int, int, int]
    flips: tuple[bool, bool, bool]
    canonical_shape: tuple[int, int, int]
    resampled_shape: tuple[int, int]
    midline: int
    offsets: tuple[tuple[int, int], tuple[int, int]]  # (x0, y0) of the right and mirrored-left half
    tile: int


def _halves(a: np.ndarray, mid: int) -> list[np.ndarray]:
    return [a[:mid], a[mid:][::-1]]  # mirror the left leg so it looks like a right leg


def _tile_offsets(half_norm: np.ndarray, tile: int) -> tuple[int, int]:
    body = half_norm > cfg.FOREGROUND_FRACTION
    if body.any():
        cx, cy = (float(np.mean(np.nonzero(body)[ax])) for ax in (0, 1))
    else:
        cx, cy = half_norm.shape[0] / 2, half_norm.shape[1] / 2
    return int(round(cx - tile / 2)), int(round(cy - tile / 2))


def _crop(a: np.ndarray, x0: int, y0: int, tile: int, fill=0) -> np.ndarray:
    out = np.full((tile, tile) + a.shape[2:], fill, dtype=a.dtype)
    xs, ys = max(x0, 0), max(y0, 0)
    xe, ye = min(x0 + tile, a.shape[0]), min(y0 + tile, a.shape[1])
    if xe > xs and ye > ys:
        out[xs - x0 : xe - x0, ys - y0 : ye - y0] = a[xs:xe, ys:ye]
    return out


def prepare_volume(image: Image, *, contrast: str = "water", labels: np.ndarray | None = None,
                   tile: int | None = None, pixel_mm: float | None = None):  # fmt: skip
    """Cut ``image`` into one-leg tiles.

    Parameters
    ----------
    image : Image
        3-D axial volume.
    labels : ndarray, optional
        Side-free muscle indices (0..12, see :func:`muscle_indices`) on the image grid.

    Returns
    -------
    tiles : ndarray (2 * n_slices, tile, tile) float32
        Right-leg tiles of every slice, then mirrored left-leg tiles.
    label_tiles : ndarray (2 * n_slices, tile, tile) int64 or None
    layout : TileLayout
    """
    tile = cfg.TILE if tile is None else int(tile)
    pixel_mm = cfg.PIXEL_MM if pixel_mm is None else float(pixel_mm)
    check_volume(image)
    can, perm, flips = canonical_view(image)
    sp = np.asarray(image.spacing, dtype=float)[list(perm)]
    norm = resample_inplane(normalise_intensity(can, contrast=contrast), sp[:2], pixel_mm=pixel_mm)
    if count_legs(norm) == 2:
        mid = find_midline(norm)
    else:  # one thigh: the whole width is that leg (the other "half" is empty)
        mid = norm.shape[0] if single_leg_side(image) == "R" else 0
    halves = _halves(norm, mid)
    offsets = tuple(_tile_offsets(h, tile) for h in halves)
    tiles = np.concatenate([np.moveaxis(_crop(h, *o, tile), 2, 0) for h, o in zip(halves, offsets, strict=True)])
    label_tiles = None
    if labels is not None:
        lab, _, _ = canonical_view(image.with_array(np.asarray(labels).astype(np.int16)))
        lab = resample_inplane(lab, sp[:2], pixel_mm=pixel_mm, order=0, shape_out=norm.shape[:2])
        lh = _halves(lab, mid)
        label_tiles = np.concatenate([np.moveaxis(_crop(h, *o, tile), 2, 0) for h, o in zip(lh, offsets, strict=True)])
        label_tiles = label_tiles.astype(np.int64)
    layout = TileLayout(perm, flips, tuple(can.shape), tuple(norm.shape[:2]), mid, offsets, tile)  # type: ignore
    return tiles.astype(np.float32), label_tiles, layout


def _uncrop(t: np.ndarray, x0: int, y0: int, shape) -> np.ndarray:
    """Inverse of ``_crop`` for (C, tile, tile) tiles; outside the tile: background probability 1."""
    c, tile = t.shape[0], t.shape[1]
    out = np.zeros((c,) + tuple(shape), dtype=np.float32)
    out[0] = 1.0
    xs, ys = max(x0, 0), max(y0, 0)
    xe, ye = min(x0 + tile, shape[0]), min(y0 + tile, shape[1])
    if xe > xs and ye > ys:
        out[:, xs:xe, ys:ye] = t[:, xs - x0 : xe - x0, ys - y0 : ye - y0]
    return out


def _interp_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) linear-interpolation weights, same field of view, edge values clamped."""
    u = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(u).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    w = np.zeros((n_out, n_in), dtype=np.float32)
    np.add.at(w, (np.arange(n_out), lo), 1.0 - (u - lo))
    np.add.at(w, (np.arange(n_out), hi), u - lo)
    return w


def tiles_to_labels(probs: np.ndarray, layout: TileLayout) -> np.ndarray:
    """Network probabilities (2 * n_slices, C, tile, tile) -> label map (values 1..24) on the image grid.

    Probabilities are resampled linearly back to the input pixel size before the arg-max, the
    right half gets values 1..12 and the left half 13..24.
    """
    n = layout.canonical_shape[2]
    nx, ny = layout.resampled_shape
    mid = layout.midline
    shapes = [(mid, ny), (nx - mid, ny)]
    nxc, nyc = layout.canonical_shape[:2]
    # side of every canonical column: its centre in resampled coordinates vs the midline
    xr = (np.arange(nxc) + 0.5) * nx / nxc - 0.5
    left_col = xr >= mid - 0.5
    out = np.zeros(layout.canonical_shape, dtype=np.uint8)
    wx, wy = _interp_matrix(nxc, nx), _interp_matrix(nyc, ny)
    for k in range(n):
        parts = []
        for side in (0, 1):
            p = _uncrop(probs[side * n + k], *layout.offsets[side], shapes[side])
            parts.append(p if side == 0 else p[:, ::-1])
        full = np.concatenate(parts, axis=1)  # (C, nx, ny)
        back = np.einsum("ux,cxy,vy->cuv", wx, full, wy, optimize=True)  # separable linear resampling
        idx = np.argmax(back, axis=0)
        out[:, :, k] = np.where(idx > 0, idx + np.where(left_col[:, None], N_MUSCLES, 0), 0)
    return np.ascontiguousarray(_uncanonical(out, layout.perm, layout.flips))
