"""NIfTI-1/2 reading and writing (via nibabel; plain NIfTI-1 files are read by :mod:`._nifti1`), converting between NIfTI's RAS affine and the
LPS geometry of :class:`~myomri.io.image.Image`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InputError, MissingFileError
from ._nifti1 import read_plain_header, read_plain_nifti1
from .atomic import atomic_path
from .image import LPS_TO_RAS, Image

__all__ = ["read_nifti", "read_nifti_header", "write_nifti", "geometry_from_affine_ras"]


def geometry_from_affine_ras(affine: np.ndarray) -> tuple[tuple, tuple, np.ndarray]:
    """Split a 4x4 RAS affine into (spacing, origin, direction) in LPS.

    Spacing is the column norm; direction the normalised columns (so shears, which MRI grids
    do not have, would be lost).

    Raises
    ------
    InputError
        An axis of zero length or a non-finite entry: no voxel size is invented.
    """
    affine = np.asarray(affine, dtype=float)
    m = LPS_TO_RAS @ affine[:3, :3]
    spacing = np.linalg.norm(m, axis=0)
    if not np.all(np.isfinite(affine[:3])) or np.any(spacing == 0):
        raise InputError(
            f"affine {affine[:3].tolist()} has a zero-length axis or a non-finite value; "
            "expected positive voxel sizes and finite coordinates"
        )
    direction = m / spacing[np.newaxis, :]
    origin = LPS_TO_RAS @ affine[:3, 3]
    return tuple(spacing), tuple(origin), direction


def read_nifti(path: str | os.PathLike) -> Image:
    """Read a NIfTI file into an :class:`Image` (scaling applied, geometry from the sform/qform).

    A plain single-file NIfTI-1 with an sform is read without nibabel (:mod:`myomri.io._nifti1`,
    the same array and geometry); anything else through nibabel.

    Raises
    ------
    MissingFileError
        The file does not exist.
    FormatError
        The file is not a readable NIfTI image (wrong format, truncated, corrupt).
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(path, "NIfTI file")
    array, affine, stored = _read_plain(path)
    if array is None:
        array, affine, stored = _read_nibabel(path)
    if array.ndim > 4:
        array = array.reshape(array.shape[:4])  # NIfTI may carry trailing singleton dims
    spacing, origin, direction = geometry_from_affine_ras(affine)
    # the on-disk type (the array may be float64 after scaling) so `myomri info` can report it
    meta = {"StoredDataType": str(stored)}
    return Image(array, spacing=spacing, origin=origin, direction=direction, meta=meta, source=str(path))


def _read_plain(path: Path):
    """(array, affine, on-disk dtype) by :mod:`myomri.io._nifti1`, or (None, None, None) for nibabel."""
    header = read_plain_header(path)
    if header is None:
        return None, None, None
    affine = _check_claims(path, header.shape, header.dtype, header.offset, header.affine, header.pixdim)
    try:
        array = read_plain_nifti1(path, header)
    except MemoryError as exc:
        raise _too_big(path, header.shape) from exc
    return (None, None, None) if array is None else (array, affine, header.dtype)


def _too_big(path: Path, shape) -> FormatError:
    # the header passed the size check but the data does not fit in memory
    return FormatError(
        f"{path}: the {tuple(shape)} image does not fit in memory; expected an image this machine can hold"
    )


def _read_nibabel(path: Path):
    import nibabel as nib

    try:
        nii: Any = nib.load(str(path))  # reads the header only; the data is read below
    except Exception as exc:  # nibabel raises many types for broken files
        raise FormatError(f"{path}: cannot read as NIfTI ({type(exc).__name__}: {exc})") from exc
    affine = _checked_header(path, nii)
    try:
        if nii.header.get_slope_inter() == (None, None) and np.issubdtype(nii.get_data_dtype(), np.integer):
            array = np.asanyarray(nii.dataobj)
        else:
            array = np.asarray(nii.get_fdata(dtype=np.float64))
    except MemoryError as exc:
        raise _too_big(path, nii.shape) from exc
    except Exception as exc:  # nibabel raises many types for broken files
        raise FormatError(f"{path}: cannot read as NIfTI ({type(exc).__name__}: {exc})") from exc
    return np.asarray(array), affine, np.dtype(nii.get_data_dtype())


def read_nifti_header(path: str | os.PathLike) -> tuple[tuple[int, ...], str]:
    """(shape, on-disk dtype) of a NIfTI file, with the checks of :func:`read_nifti` but no voxel read.

    ``myomri init`` classifies every file of a dataset from its header; reading the voxels of
    each would take minutes on a real cohort.

    Raises
    ------
    MissingFileError, FormatError
        As :func:`read_nifti`: the file is absent, not NIfTI, truncated or has a corrupt header.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(path, "NIfTI file")
    header = read_plain_header(path)
    if header is not None:
        _check_claims(path, header.shape, header.dtype, header.offset, header.affine, header.pixdim)
        shape, stored = header.shape, header.dtype
    else:
        import nibabel as nib

        try:
            nii: Any = nib.load(str(path))
        except Exception as exc:  # nibabel raises many types for broken files
            raise FormatError(f"{path}: cannot read as NIfTI ({type(exc).__name__}: {exc})") from exc
        _checked_header(path, nii)
        shape, stored = tuple(int(d) for d in nii.shape), np.dtype(nii.get_data_dtype())
    while len(shape) > 4 and shape[-1] == 1:  # trailing singleton dims, as read_nifti drops them
        shape = shape[:-1]
    return shape, str(stored)


#: Deflate cannot compress more than about 1032:1, so a .nii.gz of N bytes holds at most this
#: many times N bytes of image data: a header claiming more is corrupt.
_GZIP_MAX_RATIO = 1032


def _format_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.4g} {unit}"
        n /= 1024
    return f"{n:.4g} PiB"  # pragma: no cover


def _checked_header(path: Path, nii) -> np.ndarray:
    """The affine in use, after checking the header as written (before nibabel's fixes).

    nibabel replaces a zero pixdim by 1 with only a log message, and allocates whatever the
    header claims: both are refused here, with the file named, before any data is read.
    """
    from nibabel.openers import ImageOpener

    try:
        with ImageOpener(str(path)) as fh:
            raw = type(nii.header).from_fileobj(fh, check=False)
        affine = np.asarray(raw.get_best_affine(), dtype=float)
    except Exception:  # noqa: BLE001 - a header nibabel can only read with its fixes: use those
        raw, affine = nii.header, np.asarray(nii.affine, dtype=float)
    pixdim = tuple(float(v) for v in raw["pixdim"][1:4])
    return _check_claims(path, nii.shape, nii.get_data_dtype(), int(raw.get_data_offset()), affine, pixdim)


def _check_claims(path: Path, shape, dtype, offset: int, affine: np.ndarray, pixdim) -> np.ndarray:
    """``affine`` after checking a header's claims against the file, before any voxel is read.

    Refused, with the file named: more data than the file can hold, a non-finite world geometry,
    a zero voxel size (nibabel would silently replace it by 1).
    """
    shape = [int(d) for d in shape]
    dtype = np.dtype(dtype)
    n_bytes = float(np.prod([float(d) for d in shape])) * dtype.itemsize
    size = path.stat().st_size
    claims = f"its header claims {tuple(shape)} voxels of {dtype} ({_format_bytes(n_bytes)})"
    if path.name.lower().endswith(".gz"):
        if n_bytes > _GZIP_MAX_RATIO * size:
            raise FormatError(
                f"{path}: {claims}, more than a {_format_bytes(size)} gzip file can hold; "
                "expected a header that matches the data (corrupt header?)"
            )
    elif offset + n_bytes > size:
        raise FormatError(
            f"{path}: {claims} but the file holds {_format_bytes(size)}; expected the whole "
            "image (truncated file or corrupt header?)"
        )
    if not np.all(np.isfinite(affine[:3])):
        raise FormatError(
            f"{path}: the NIfTI header's world geometry (qform/sform) holds NaN or Inf "
            f"(origin {affine[:3, 3].tolist()}); expected finite coordinates"
        )
    zooms = np.linalg.norm(affine[:3, :3], axis=0)
    if np.any(zooms == 0):
        raise FormatError(
            f"{path}: voxel size {np.round(zooms, 6).tolist()} mm has a zero (pixdim "
            f"{list(pixdim)}); expected positive voxel sizes in the NIfTI header"
        )
    return affine


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
