"""Acquisition grids of the demo series and the world coordinates of their voxel centres."""

from __future__ import annotations

import numpy as np

from ..config.demo import GridSpec
from ..io.image import Image

__all__ = ["rotation_matrix", "make_grid", "voxel_centres"]


def rotation_matrix(*, yaw_deg: float = 0.0, tilt_deg: float = 0.0) -> np.ndarray:
    """Rotation about the S axis by ``yaw_deg`` then about the L axis by ``tilt_deg``."""
    a, b = np.deg2rad(yaw_deg), np.deg2rad(tilt_deg)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return rx @ rz


def make_grid(spec: GridSpec, *, direction: np.ndarray | None = None, shift=(0.0, 0.0, 0.0), dtype=np.float32) -> Image:
    """An empty image whose grid is centred on ``spec.centre + shift`` (LPS mm).

    Axes: ``i`` from patient right to left, ``j`` from anterior to posterior, ``k`` from inferior
    to superior (an axial LPS grid), optionally rotated by ``direction``.
    """
    direction = np.eye(3) if direction is None else np.asarray(direction, dtype=float)
    shape = np.asarray(spec.shape)
    spacing = np.asarray(spec.spacing, dtype=float)
    centre = np.asarray(spec.centre, dtype=float) + np.asarray(shift, dtype=float)
    half = (shape - 1) / 2.0 * spacing
    origin = centre - direction @ half
    return Image(
        np.zeros(tuple(int(s) for s in shape), dtype=dtype),
        spacing=tuple(spacing),
        origin=tuple(origin),
        direction=direction,
    )


def voxel_centres(image: Image) -> np.ndarray:
    """LPS mm of every voxel centre, shape ``(ni * nj * nk, 3)`` in C order of ``[i, j, k]``."""
    ni, nj, nk = image.spatial_shape
    m = image.direction * np.asarray(image.spacing)[np.newaxis, :]
    # separable sum of the three axis offsets (same as Image.index_to_world, without BLAS)
    out = np.empty((ni, nj, nk, 3))
    out[...] = np.asarray(image.origin)
    out += (np.arange(ni)[:, None] * m[:, 0])[:, None, None, :]
    out += (np.arange(nj)[:, None] * m[:, 1])[None, :, None, :]
    out += (np.arange(nk)[:, None] * m[:, 2])[None, None, :, :]
    return out.reshape(-1, 3)
