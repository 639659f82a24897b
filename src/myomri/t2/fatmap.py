"""A fat-fraction map (e.g. from Dixon) carried onto the T2 grid to fix FF in the EPG model."""

from __future__ import annotations

import numpy as np

from ..errors import GeometryError, InputError
from ..io.image import Image

__all__ = ["ff_on_grid"]


def ff_on_grid(ff_map: Image, target: Image) -> np.ndarray:
    """FF (0-1) at every voxel centre of ``target``, trilinear through world (LPS) coordinates.

    A map in percent (maximum above 1, up to 100) is divided by 100. Voxel centres outside the
    map's grid get NaN (the caller leaves them unfitted and counts them).

    Raises
    ------
    InputError
        The map is not 3-D or its values are not fractions or percentages.
    GeometryError
        No target voxel centre lies inside the map.
    """
    from scipy.ndimage import map_coordinates

    where = f"{ff_map.source}: " if ff_map.source else ""
    arr = np.asarray(ff_map.array, dtype=float)
    if arr.ndim != 3:
        raise InputError(f"{where}fat-fraction map must be 3-D, got shape {arr.shape}")
    finite = arr[np.isfinite(arr)]
    if finite.size == 0 or finite.min() < -1e-6:
        raise InputError(f"{where}fat-fraction map has no finite or has negative values; expected 0-1 or 0-100 %")
    top = finite.max()
    if top > 100.0 + 1e-6:
        raise InputError(f"{where}fat-fraction values up to {top:g}; expected 0-1 or 0-100 %")
    if top > 1.0 + 1e-6:
        arr = arr / 100.0
    shape = target.spatial_shape
    idx = np.indices(shape).reshape(3, -1).T
    src = ff_map.world_to_index(target.index_to_world(idx))
    # centres within half a voxel of the map's outer voxel centres count as inside (clamped)
    inside = np.all((src >= -0.5) & (src <= np.asarray(arr.shape) - 0.5), axis=1)
    if not inside.any():
        raise GeometryError(
            f"{where}fat-fraction map grid {ff_map.describe_grid()} does not overlap the T2 grid "
            f"{target.describe_grid()}"
        )
    src = np.clip(src, 0, np.asarray(arr.shape) - 1)
    out = map_coordinates(np.nan_to_num(arr, nan=0.0), src.T, order=1, mode="nearest")
    out = np.clip(out, 0.0, 1.0)
    out[~inside] = np.nan
    return out.reshape(shape)
