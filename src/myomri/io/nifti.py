"""NIfTI-1/2 reading and writing (via nibabel), converting between NIfTI's RAS affine and the
LPS geometry of :class:`~myomri.io.image.Image`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError, MissingFileError
from .atomic import atomic_path
from .image import LPS_TO_RAS, Image

__all__ = ["read_nifti", "write_nifti", "geometry_from_affine_ras"]


def geometry_from_affine_ras(affine: np.ndarray) -> tuple[tuple, tuple, np.ndarray]:
    """Split a 4x4 RAS affine into (spacing, origin, direction) in LPS.

    Spacing is the column norm; direction the normalised columns (so shears, which MRI grids
    do not have, would be lost).
    """
    affine = np.asarray(affine, dtype=float)
    m = LPS_TO_RAS @ affine[:3, :3]
    spacing = np.linalg.norm(m, axis=0)
    spacing[spacing == 0] = 1.0
    direction = m / spacing[np.newaxis, :]
    origin = LPS_TO_RAS @ affine[:3, 3]
    return tuple(spacing), tuple(origin), direction


def read_nifti(path: str | os.PathLike) -> Image:
    """Read a NIfTI file into an :class:`Image` (scaling applied, geometry from the sform/qform).

    Raises
    ------
    MissingFileError
        The file does not exist.
    FormatError
        The file is not a readable NIfTI image (wrong format, truncated, corrupt).
    """
    import nibabel as nib

    path = Path(path)
    if not path.exists():
        raise MissingFileError(path, "NIfTI file")
    try:
        nii = nib.load(str(path))
        if nii.header.get_slope_inter() == (None, None) and np.issubdtype(
            nii.get_data_dtype(), np.integer
        ):
            array = np.asanyarray(nii.dataobj)
        else:
            array = np.asarray(nii.get_fdata(dtype=np.float64))
    except Exception as exc:  # nibabel raises many types for broken files
        raise FormatError(f"{path}: cannot read as NIfTI ({type(exc).__name__}: {exc})") from exc
    array = np.asarray(array)
    if array.ndim > 4:
        array = array.reshape(array.shape[:4])  # NIfTI may carry trailing singleton dims
    spacing, origin, direction = geometry_from_affine_ras(nii.affine)
    # the on-disk type (the array may be float64 after scaling) so `myomri info` can report it
    meta = {"StoredDataType": str(np.dtype(nii.get_data_dtype()))}
    return Image(array, spacing=spacing, origin=origin, direction=direction, meta=meta,
                 source=str(path))


def write_nifti(image: Image, path: str | os.PathLike, *, dtype=None) -> Path:
    """Write ``image`` as NIfTI (``.nii`` or ``.nii.gz``) atomically, with sform and qform set.

    Only the array and geometry are written: no metadata from the source (and therefore no
    patient information) ends up in the header.
    """
    import nibabel as nib

    path = Path(path)
    array = np.asarray(image.array if dtype is None else image.array.astype(dtype))
    if array.dtype == bool:
        array = array.astype(np.uint8)
    nii = nib.Nifti1Image(array, image.affine_ras)
    nii.header.set_xyzt_units("mm", "msec")
    nii.set_sform(image.affine_ras, code=1)
    nii.set_qform(image.affine_ras, code=1)
    with atomic_path(path) as tmp:
        nib.save(nii, str(tmp))
    return path
