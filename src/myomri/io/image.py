"""The one image type of myomri.

Conventions (the same as ITK/SimpleITK and DICOM, so geometry can be compared with PyRadiomics):

* ``array`` is indexed ``[i, j, k]`` (and ``[i, j, k, t]`` for multi-echo data), where ``i`` runs
  along the first in-plane axis (DICOM columns / NIfTI x), ``j`` along the second (DICOM rows /
  NIfTI y) and ``k`` across slices. This is nibabel's voxel order; SimpleITK's numpy view is the
  transpose ``array.T`` (``[k, j, i]``).
* World coordinates are **LPS** millimetres (DICOM patient coordinates).
* ``origin`` is the world position of the *centre* of voxel ``(0, 0, 0)``.
* ``direction`` is a 3x3 matrix whose *columns* are the unit vectors of the ``i``, ``j``, ``k``
  axes in LPS; ``spacing`` holds the voxel size along ``i``, ``j``, ``k``.

So ``world = origin + direction @ (spacing * index)``. A 2-D image is stored as one slice
(``k`` of length 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["Image", "LPS_TO_RAS"]

#: Flip of the first two world axes: LPS <-> RAS (nibabel/NIfTI world convention).
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


@dataclass(eq=False)
class Image:
    """An image array with its grid geometry and acquisition metadata.

    Parameters
    ----------
    array : ndarray
        3-D ``[i, j, k]`` or 4-D ``[i, j, k, t]`` voxel array.
    spacing : sequence of 3 floats
        Voxel size in mm along ``i``, ``j``, ``k``.
    origin : sequence of 3 floats
        LPS position (mm) of the centre of voxel ``(0, 0, 0)``.
    direction : (3, 3) array_like
        Columns are the LPS unit vectors of the ``i``, ``j``, ``k`` axes.
    echo_times : sequence of float, optional
        Echo times in **ms**, one per volume of a 4-D multi-echo image.
    meta : dict
        Acquisition metadata free of patient identifiers (``EchoTime``, ``RepetitionTime``,
        ``FlipAngle``, ``SeriesDescription``, ``MagneticFieldStrength``, ...).
    source : str, optional
        Path the image was read from (used in error messages).

    Examples
    --------
    >>> img = Image(np.zeros((4, 5, 1)), spacing=(1.2, 1.2, 8.0))
    >>> img.shape, img.spatial_shape
    ((4, 5, 1), (4, 5, 1))
    """

    array: np.ndarray
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    echo_times: tuple[float, ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        arr = np.asarray(self.array)
        if arr.ndim == 2:
            arr = arr[:, :, np.newaxis]
        if arr.ndim not in (3, 4):
            raise InputError(f"{self._where()}image array has {arr.ndim} dimensions, expected 2, 3 or 4")
        self.array = arr
        spacing = np.asarray(self.spacing, dtype=float).ravel()
        if spacing.size == 2:
            spacing = np.append(spacing, 1.0)
        if spacing.size != 3 or not np.all(np.isfinite(spacing)) or np.any(spacing <= 0):
            raise InputError(f"{self._where()}spacing {self.spacing!r} must be 3 positive numbers")
        self.spacing = (float(spacing[0]), float(spacing[1]), float(spacing[2]))
        origin = np.asarray(self.origin, dtype=float).ravel()
        if origin.size == 2:
            origin = np.append(origin, 0.0)
        if origin.size != 3 or not np.all(np.isfinite(origin)):
            raise InputError(f"{self._where()}origin {self.origin!r} must be 3 finite numbers")
        self.origin = (float(origin[0]), float(origin[1]), float(origin[2]))
        direction = np.asarray(self.direction, dtype=float)
        if direction.shape == (2, 2):
            d3 = np.eye(3)
            d3[:2, :2] = direction
            direction = d3
        if direction.shape != (3, 3) or not np.all(np.isfinite(direction)):
            raise InputError(
                f"{self._where()}direction must be a 3x3 matrix of finite numbers, got "
                f"{direction.tolist() if direction.size <= 9 else direction.shape}"
            )
        self.direction = direction
        if self.echo_times is not None:
            tes = tuple(float(t) for t in np.ravel(self.echo_times))
            n_vol = self.array.shape[3] if self.array.ndim == 4 else 1
            if len(tes) != n_vol:
                from ..errors import EchoTimeError

                raise EchoTimeError(f"{self._where()}{len(tes)} echo times given for {n_vol} volume(s)")
            self.echo_times = tes

    def _where(self) -> str:
        return f"{self.source}: " if self.source else ""

    # --- shape -------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Full array shape (3-D or 4-D)."""
        return tuple(self.array.shape)

    @property
    def spatial_shape(self) -> tuple[int, int, int]:
        """Shape of the spatial grid ``(ni, nj, nk)``."""
        return tuple(self.array.shape[:3])

    @property
    def n_volumes(self) -> int:
        """Number of volumes along the 4th axis (1 for a 3-D image)."""
        return self.array.shape[3] if self.array.ndim == 4 else 1

    # --- geometry ----------------------------------------------------------------------------
    @property
    def affine_lps(self) -> np.ndarray:
        """4x4 voxel-index -> LPS-mm matrix."""
        aff = np.eye(4)
        aff[:3, :3] = self.direction * np.asarray(self.spacing)[np.newaxis, :]
        aff[:3, 3] = self.origin
        return aff

    @property
    def affine_ras(self) -> np.ndarray:
        """4x4 voxel-index -> RAS-mm matrix (the NIfTI/nibabel affine)."""
        aff = self.affine_lps
        aff[:3, :] = LPS_TO_RAS @ aff[:3, :]
        return aff

    @property
    def orientation(self) -> str:
        """Three-letter LPS-style code of the world direction each axis points to, e.g. ``'LPS'``."""
        letters = (("L", "R"), ("P", "A"), ("S", "I"))
        code = []
        for col in self.direction.T:
            axis = int(np.argmax(np.abs(col)))
            code.append(letters[axis][0] if col[axis] > 0 else letters[axis][1])
        return "".join(code)

    def index_to_world(self, index: np.ndarray) -> np.ndarray:
        """Map voxel indices ``(..., 3)`` (may be fractional) to LPS mm ``(..., 3)``."""
        index = np.asarray(index, dtype=float)
        m = self.direction * np.asarray(self.spacing)[np.newaxis, :]
        return index @ m.T + np.asarray(self.origin)

    def world_to_index(self, world: np.ndarray) -> np.ndarray:
        """Map LPS mm ``(..., 3)`` to fractional voxel indices ``(..., 3)``."""
        world = np.asarray(world, dtype=float)
        m = self.direction * np.asarray(self.spacing)[np.newaxis, :]
        return (world - np.asarray(self.origin)) @ np.linalg.inv(m).T

    def describe_grid(self) -> str:
        """Short human-readable grid description for messages, e.g. ``(256, 256, 1) at 0.8x0.8x8 mm``."""
        sp = "x".join(f"{s:g}" for s in np.round(self.spacing, 4))
        org = ", ".join(f"{o:.1f}" for o in self.origin)
        return f"{self.spatial_shape} at {sp} mm, origin ({org}), {self.orientation}"

    # --- copies ------------------------------------------------------------------------------
    def with_array(self, array: np.ndarray, **changes: Any) -> Image:
        """A new image on the same grid (and metadata) holding ``array``."""
        if np.asarray(array).shape[:3] != self.spatial_shape:
            raise InputError(
                f"{self._where()}new array shape {np.asarray(array).shape} does not fit grid {self.spatial_shape}"
            )
        changes.setdefault("echo_times", self.echo_times if np.ndim(array) == 4 else None)
        return replace(self, array=np.asarray(array), meta=dict(self.meta), **changes)

    def volume(self, t: int) -> Image:
        """The 3-D volume ``t`` of a 4-D image (a 3-D image returns itself for ``t == 0``)."""
        if self.array.ndim == 3:
            if t != 0:
                raise InputError(f"{self._where()}3-D image has no volume {t}")
            return self
        meta = dict(self.meta)
        if self.echo_times is not None:
            meta["EchoTime"] = self.echo_times[t]
        return replace(self, array=self.array[..., t], echo_times=None, meta=meta)
