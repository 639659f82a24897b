"""The public entry points for reading and writing images and masks.

``read_image`` chooses the reader from the path (a folder or ``.dcm`` -> DICOM, ``.nii``/
``.nii.gz`` -> NIfTI and ``.nrrd``/``.nhdr`` -> NRRD, both with a JSON sidecar when one sits
beside them, ``.npz`` -> bare arrays without world geometry); ``write_image``
chooses the writer from the extension. ``require_echo_times`` validates a multi-echo series
(``myomri t2fit`` and the pipeline call it); ``check_finite`` and ``check_not_empty`` are checks for
library callers, with messages that name the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..config import io as cfg
from ..errors import EchoTimeError, FormatError, InputError, MissingFileError, MyomriError
from .image import Image
from .labels import read_label_names
from .masks import validate_mask

__all__ = [
    "read_image",
    "write_image",
    "read_mask",
    "read_label_names",
    "require_echo_times",
    "missing_echo_times",
    "check_finite",
    "check_not_empty",
    "image_kind",
]

_NIFTI = (".nii.gz", ".nii")
_NRRD = (".nrrd", ".nhdr")


def image_kind(path: str | os.PathLike) -> str:
    """``'dicom'``, ``'nifti'``, ``'nrrd'`` or ``'npz'`` from the path (a folder counts as DICOM).

    Raises
    ------
    MissingFileError
        The path does not exist.
    FormatError
        The extension is none of the supported ones.
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(p, "image")
    name = p.name.lower()
    if p.is_dir() or name.endswith((".dcm", ".dicom", ".ima")):
        return "dicom"
    if name.endswith(_NIFTI):
        return "nifti"
    if name.endswith(_NRRD):
        return "nrrd"
    if name.endswith(".npz"):
        return "npz"
    if p.is_file() and _looks_like_dicom(p):
        return "dicom"  # DICOM files often have no extension at all
    raise FormatError(f"{p}: unknown image format; expected a DICOM folder/file, .nii, .nii.gz, .nrrd, .nhdr or .npz")


def _looks_like_dicom(path: Path) -> bool:
    from .dicom import looks_like_dicom

    return looks_like_dicom(path)


def read_image(
    path: str | os.PathLike, *, series: str | int | None = None, allow_missing_echoes: bool = False
) -> Image:
    """Read any supported image into an :class:`Image`.

    NIfTI and NRRD files pick up a BIDS/ORMIR-MIDS sidecar beside them (``x.nii.gz`` -> ``x.json``):
    ``EchoTime`` (seconds, one value or a list) becomes ``echo_times`` in ms for a 4-D image or
    ``meta['EchoTime']`` for a 3-D one; other acquisition fields go to ``meta``.

    Parameters
    ----------
    path : path-like
        DICOM folder or file, NIfTI or NRRD file, or an ``.npz`` archive (see
        :func:`myomri.io.npz.read_npz`: no world geometry).
    series : str or int, optional
        DICOM only: the series to read from a folder holding several.
    allow_missing_echoes : bool
        DICOM only: leave out echoes with fewer frames than the others instead of refusing the
        series (see :func:`myomri.io.dicom.read_dicom`).

    Raises
    ------
    MissingFileError, FormatError, AmbiguousSeriesError, GeometryError, EchoTimeError
    """
    kind = image_kind(path)
    if kind == "dicom":
        from .dicom import read_dicom

        return read_dicom(path, series=series, allow_missing_echoes=allow_missing_echoes)
    if series is not None:
        raise InputError(f"{path}: series={series!r} only applies to DICOM folders")
    if kind == "npz":
        from .npz import read_npz

        return read_npz(path)
    from .sidecar import applicable_sidecars, read_sidecars

    if kind == "nrrd":
        from .nrrd import read_nrrd

        image = read_nrrd(path)
    else:
        from .nifti import read_nifti

        image = read_nifti(path)
    sides = applicable_sidecars(path)  # the one beside it, and inside a dataset the inherited ones
    if sides:
        echo_times, meta, echo_side = read_sidecars(sides)
        image.meta.update(meta)
        if echo_times is not None:  # a mismatch names the file the echo times came from
            image = _attach_echo_times(image, echo_times, echo_side or sides[-1])
    return image


def _attach_echo_times(image: Image, echo_times: tuple[float, ...], side: Path) -> Image:
    if image.array.ndim == 4:
        if image.echo_times is not None and tuple(image.echo_times) != tuple(echo_times):
            raise EchoTimeError(
                f"{side}: EchoTime {list(echo_times)} ms disagrees with the echo "
                f"times {list(image.echo_times)} ms stored in {image.source}"
            )
        if len(echo_times) != image.n_volumes:
            raise EchoTimeError(
                f"{side}: {len(echo_times)} echo times for the {image.n_volumes} volumes of "
                f"{image.source}; expected one per volume"
            )
        image.echo_times = tuple(echo_times)
    elif len(echo_times) == 1:
        image.meta["EchoTime"] = echo_times[0]
    else:
        raise EchoTimeError(
            f"{side}: {len(echo_times)} echo times for the 3-D image {image.source}; expected one (or a 4-D image)"
        )
    return image


def write_image(image: Image, path: str | os.PathLike) -> Path:
    """Write ``image`` atomically as NIfTI (``.nii``/``.nii.gz``) or NRRD (``.nrrd``/``.nhdr``).

    Raises
    ------
    FormatError
        Unknown extension, or the writer cannot store this array (e.g. an object dtype); no
        file is left behind in either case.
    """
    name = Path(path).name.lower()
    writer: Callable[..., Path]
    if name.endswith(_NIFTI):
        from .nifti import write_nifti as writer
    elif name.endswith(_NRRD):
        from .nrrd import write_nrrd as writer
    else:
        raise FormatError(f"{path}: cannot choose a writer; expected .nii, .nii.gz, .nrrd or .nhdr")
    try:
        return writer(image, path)
    except MyomriError:
        raise
    except Exception as exc:  # nibabel/pynrrd raise many types; the atomic writers left nothing
        raise FormatError(
            f"{path}: cannot write {image.shape} {np.asarray(image.array).dtype} image ({type(exc).__name__}: {exc})"
        ) from exc


def read_mask(path: str | os.PathLike, *, label: int | None = None) -> Image:
    """Read an integer label map (NIfTI/NRRD/DICOM) and validate it.

    The full label map is returned (not a binary mask); ``label`` only checks that this label is
    present. Use :func:`myomri.io.masks.select_label` for a 0/1 mask of one label.

    Raises
    ------
    MaskError
        Non-integer values, no label at all, or ``label`` absent (the message names the file).
    """
    return validate_mask(read_image(path), label=label)


def validate_echo_times(echo_times, *, n_volumes: int | None = None, source: str | None = None) -> np.ndarray:
    """Echo times (ms) as a float array, or :class:`EchoTimeError`.

    They must be one per volume (when ``n_volumes`` is given), finite, positive and strictly
    increasing (duplicates or unsorted volumes mean the series was assembled wrongly).
    """
    where = f"{source}: " if source else ""
    tes_arr = np.asarray(echo_times, dtype=float).ravel()
    if n_volumes is not None and tes_arr.size != n_volumes:
        raise EchoTimeError(f"{where}{tes_arr.size} echo times for {n_volumes} volumes; expected one per volume")
    if not np.all(np.isfinite(tes_arr)) or np.any(tes_arr <= 0):
        raise EchoTimeError(f"{where}echo times {tes_arr.tolist()} ms must be positive numbers")
    if np.any(np.diff(tes_arr) <= 0):
        raise EchoTimeError(
            f"{where}echo times {tes_arr.tolist()} ms are not strictly increasing (duplicates or "
            "unsorted volumes); expected one volume per echo in echo order"
        )
    return tes_arr


def missing_echo_times(echo_times) -> list[float]:
    """Echo times (ms) that an evenly spaced echo train lacks; [] when none is missing.

    The echo spacing is the smallest step. A train counts as evenly spaced with gaps when every
    step and the first echo time are whole multiples of it (within
    :data:`myomri.config.io.ECHO_GAP_RTOL`) and at least two steps are single: a spin-echo train
    TE_n = n x ESP that lost echoes. Other trains (e.g. 10, 20, 40, 80 ms) are left alone.

    Examples
    --------
    >>> missing_echo_times([10, 20, 40, 50, 60])
    [30.0]
    >>> missing_echo_times([20, 30, 40, 50]), missing_echo_times([10, 20, 40, 80])
    ([10.0], [])
    """
    tes = np.asarray(echo_times, dtype=float).ravel()
    if tes.size < 3:
        return []
    esp = float(np.min(np.diff(tes)))
    if esp <= 0:
        return []
    steps = np.concatenate([[tes[0]], np.diff(tes)]) / esp
    whole = np.rint(steps)
    if np.any(whole < 1) or np.any(np.abs(steps - whole) > cfg.ECHO_GAP_RTOL * whole):
        return []
    if np.count_nonzero(whole[1:] == 1) < 2:
        return []
    n = np.cumsum(whole).astype(int)  # echo numbers of the echoes present
    present = set(n.tolist())
    return [round(float(k * esp), 6) for k in range(1, int(n[-1]) + 1) if k not in present]


def require_echo_times(image: Image, echo_times_ms=None, *, allow_missing_echoes: bool = False) -> Image:
    """A 4-D image with validated echo times (ms), from the image or from ``echo_times_ms``.

    An evenly spaced echo train with a gap (see :func:`missing_echo_times`: a file of the series
    lost or unreadable) is refused unless ``allow_missing_echoes``.

    Raises
    ------
    EchoTimeError
        3-D image; no echo times known; count differs from the volumes; not strictly increasing;
        echoes missing from the train.
    """
    where = f"{image.source}: " if image.source else ""
    if image.array.ndim != 4:
        raise EchoTimeError(f"{where}3-D image; expected a 4-D multi-echo image [i, j, k, echo]")
    tes = image.echo_times if echo_times_ms is None else tuple(np.ravel(echo_times_ms).astype(float))
    if tes is None:
        raise EchoTimeError(
            f"{where}4-D image with {image.n_volumes} volumes has no echo times; expected them in "
            "the DICOM headers, a JSON sidecar (EchoTime in s) or given explicitly (ms)"
        )
    tes_arr = validate_echo_times(tes, n_volumes=image.n_volumes, source=image.source)
    missing = missing_echo_times(tes_arr)
    if missing and not allow_missing_echoes:
        unreadable = image.meta.get("UnreadableFiles")
        why = f"; unreadable file(s) in the series: {', '.join(unreadable)}" if unreadable else ""
        raise EchoTimeError(
            f"{where}echo times {tes_arr.tolist()} ms lack the echo(es) at {missing} ms{why}; "
            "expected a complete echo train",
            option="allow_missing_echoes",
        )
    if echo_times_ms is None:
        return image
    return image.with_array(image.array, echo_times=tuple(float(t) for t in tes_arr))


def check_finite(image: Image) -> Image:
    """Raise :class:`InputError` naming the file and the count when any voxel is NaN or Inf."""
    arr = np.asarray(image.array)
    if np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.complexfloating):
        bad = ~np.isfinite(arr)
        n_bad = int(bad.sum())
        if n_bad:
            n_nan = int(np.isnan(arr).sum())
            raise InputError(
                f"{image.source or 'image'}: {n_bad} of {arr.size} voxels are not finite "
                f"({n_nan} NaN, {n_bad - n_nan} Inf); expected finite intensities"
            )
    return image


def check_not_empty(image: Image) -> Image:
    """Raise :class:`InputError` when the image has no voxels or every voxel is zero."""
    arr = np.asarray(image.array)
    where = image.source or "image"
    if arr.size == 0:
        raise InputError(f"{where}: image has no voxels (shape {arr.shape})")
    if not np.any(arr):
        raise InputError(f"{where}: every one of the {arr.size} voxels is 0; expected image data")
    return image
