"""The discretised ROI as the texture kernels want it, and helpers shared by the texture classes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from myomri.features._angles import generate_offsets
from myomri.features._engine import count_directional, count_neighbourhood

#: what :func:`~myomri.features._count_kernels.count_directional` can count, in its flags' order
_DIRECTIONAL = ("glcm", "glrlm", "glszm", "neighbourhood")

__all__ = ["TextureRoi", "build_texture_roi", "angle_weights", "drop_empty_angles", "mean_over_angles"]


@dataclass(frozen=True)
class TextureRoi:
    """Discretised ROI cropped to its bounding box, padded and flattened for the kernels.

    Attributes
    ----------
    levels : ndarray of int32
        Padded bounding box, flattened (C order); grey levels 1..n_levels in the ROI, 0 elsewhere.
    roi : ndarray of int64
        Flat indices of the ROI voxels in ``levels``.
    shape : tuple of int
        Bounding-box size (unpadded) along our axes [i, j, k].
    strides : ndarray of int64
        Flat index step per axis of the padded array.
    n_levels : int
        Highest grey level in the ROI (PyRadiomics ``Ng``).
    grey_levels : ndarray of float
        Grey levels present in the ROI, ascending.
    n_voxels : int
        Number of ROI voxels (PyRadiomics ``Np``).
    spacing : tuple of float
        Voxel spacing along [i, j, k] in mm.
    drop_axis : int or None
        Our axis excluded by force2D.
    fused : frozenset of str
        Kinds among ``glcm`` (distance 1), ``glrlm``, ``glszm`` that the caller will ask
        :meth:`directional` for (and ``neighbourhood``: GLDM/NGTDM at distance 1): the first
        request counts them all in one pass.
    alpha : float
        GLDM tolerance of that fused neighbourhood pass.
    """

    levels: np.ndarray
    roi: np.ndarray
    shape: tuple
    strides: np.ndarray
    n_levels: int
    grey_levels: np.ndarray
    n_voxels: int
    spacing: tuple
    drop_axis: int | None
    fused: frozenset = frozenset()
    alpha: float = 0.0
    #: results shared between classes (GLDM and NGTDM need the same neighbourhood pass)
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def offsets(self, *, distances, bidirectional: bool) -> tuple[np.ndarray, np.ndarray]:
        """Directions (n, 3) in our axis order and their flat index steps (n,)."""
        key = ("offsets", tuple(sorted({int(d) for d in distances})), bool(bidirectional))
        if key not in self.memo:
            vec = generate_offsets(self.shape, distances=key[1], drop_axis=self.drop_axis, bidirectional=bidirectional)
            self.memo[key] = (vec, vec @ self.strides)
        return self.memo[key]

    def directional(self, kind: str):
        """Counts of one kind along the 13 (in 2-D 4) one-directional distance-1 offsets.

        ``kind`` ``"glcm"``: co-occurrence counts (g, h, a); ``"glrlm"``: run-length counts
        (g, r, a), r up to the longest box side; ``"glszm"``: (zone levels, zone sizes);
        ``"neighbourhood"``: GLDM dependence and NGTDM counts at distance 1 with tolerance
        :attr:`alpha`. Every kind in :attr:`fused` is counted in the same kernel pass
        (:func:`~myomri.features._count_kernels.count_directional`).
        """
        key = ("directional", kind)
        if key not in self.memo:
            kinds = self.fused | {kind}
            _, steps = self.offsets(distances=[1], bidirectional=False)
            if kind != "glcm" and "glcm" in kinds:
                from myomri.features.glcm import _MAX_MATRIX_BYTES

                if len(steps) * (self.n_levels + 1) ** 2 * 8 > _MAX_MATRIX_BYTES:
                    kinds = kinds - {"glcm"}  # GLCM itself will refuse it with a clear error
            flags = tuple(k in kinds for k in _DIRECTIONAL)
            res = count_directional(self.levels, self.roi, steps, self.n_levels, max(self.shape), flags, self.alpha)
            values = {"glcm": res[0], "glrlm": res[1], "glszm": res[2:4], "neighbourhood": res[4:6]}
            for name in kinds:
                self.memo[("directional", name)] = values[name]
            if "neighbourhood" in kinds:  # where NGTDM looks for a neighbourhood pass of any alpha
                self.memo[("neighbourhood", (1,), self.alpha)] = values["neighbourhood"]
        return self.memo[key]

    def neighbourhood(self, *, distances, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """GLDM dependence counts and NGTDM (n, s) per level, one kernel pass per (distances, alpha)."""
        key = ("neighbourhood", tuple(sorted(set(int(d) for d in distances))), float(alpha))
        if key == ("neighbourhood", (1,), self.alpha) and "neighbourhood" in self.fused:
            return self.directional("neighbourhood")
        if key not in self.memo:
            _, steps = self.offsets(distances=distances, bidirectional=True)
            self.memo[key] = count_neighbourhood(self.levels, self.roi, steps, self.n_levels, float(alpha))
        return self.memo[key]


def build_texture_roi(
    levels: np.ndarray,
    mask: np.ndarray,
    *,
    spacing,
    pad: int,
    drop_axis: int | None,
    fused=frozenset(),
    alpha: float = 0.0,
) -> TextureRoi:
    """Pad the cropped grey-level box by ``pad`` voxels of 0 and index its ROI voxels.

    Parameters
    ----------
    levels : ndarray of int, shape (I, J, K), or shape (n,)
        Grey levels (>= 1 inside ``mask``), cropped to the ROI bounding box; or only the ``n``
        levels of the mask's voxels, in the mask's C order (``levels_box[mask]``), which spares
        making the box first.
    mask : ndarray of bool, same shape
    spacing : sequence of 3 float
    pad : int
        At least the largest offset component used (max of ``distances``, and 1).
    drop_axis : int or None
    fused : iterable of str
        See :attr:`TextureRoi.fused`.
    alpha : float
        See :attr:`TextureRoi.alpha`.
    """
    padded = np.zeros(tuple(s + 2 * pad for s in mask.shape), dtype=np.int32)
    inner = tuple(slice(pad, pad + s) for s in mask.shape)
    box_given = levels.shape == mask.shape
    if box_given:
        padded[inner] = np.where(mask, levels, 0)
    else:  # a view's masked assignment writes the ROI straight into the padded box (~4 ms less per 3-D ROI)
        padded[inner][mask] = levels
    flat = padded.ravel()
    strides = np.array(padded.strides, dtype=np.int64) // padded.itemsize
    roi = np.flatnonzero(flat).astype(np.int64, copy=False)
    # sorted levels that occur (no sort of the ROI); the ROI's levels in any order count the same
    present = np.flatnonzero(np.bincount(flat[roi] if box_given else levels))
    return TextureRoi(
        levels=flat,
        roi=roi,
        shape=tuple(int(s) for s in mask.shape),
        strides=strides,
        n_levels=int(present[-1]),
        grey_levels=present.astype(np.float64),
        n_voxels=int(roi.size),
        spacing=tuple(float(s) for s in spacing),
        drop_axis=drop_axis,
        fused=frozenset(fused),
        alpha=float(alpha),
    )


def angle_weights(directions: np.ndarray, *, spacing, norm: str) -> np.ndarray:
    """PyRadiomics' per-direction weights for merging GLCM/GLRLM matrices (``weightingNorm``).

    ``infinity``: exp(-max|a s|^2); ``euclidean``: exp(-sum (a s)^2); ``manhattan``: exp(-(sum|a s|)^2);
    ``no_weighting``: 1. ``a`` is the direction in voxels, ``s`` the spacing in mm.
    """
    scaled = np.abs(directions) * np.asarray(spacing, dtype=float)[None, :]
    if norm == "infinity":
        return np.exp(-(scaled.max(axis=1) ** 2))
    if norm == "euclidean":
        return np.exp(-np.sum(scaled**2, axis=1))
    if norm == "manhattan":
        return np.exp(-(np.sum(scaled, axis=1) ** 2))
    return np.ones(len(directions))


def drop_empty_angles(matrices: np.ndarray) -> np.ndarray:
    """Remove directions (last axis) whose matrix holds no counts (PyRadiomics ignores them)."""
    if matrices.shape[-1] > 1:
        total = matrices.sum(axis=tuple(range(matrices.ndim - 1)))
        matrices = matrices[..., total > 0]
    return matrices


def mean_over_angles(x) -> float:
    """Mean over directions ignoring NaN, as PyRadiomics' nanmean (NaN only if all are NaN).

    Plain Python on the few (<= 13) values: numpy's nanmean costs ~30 us per call, and a feature
    vector needs ~60 of them.
    """
    vals = [v for v in np.asarray(x, dtype=np.float64).ravel().tolist() if v == v]
    return sum(vals) / len(vals) if vals else float("nan")
