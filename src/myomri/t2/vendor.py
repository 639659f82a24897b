"""Quantitative T2 maps made by the scanner (vendor maps), usable wherever a fitted map is.

* A scanner T2 map stored as its own series (DICOM folder/file, or NIfTI/NRRD), e.g. the
  GRAPPATINI maps of seed paper 2: read as a 3-D image whose values are T2 in ms.
* QMRITools' Philips demo ``T2data.nii.gz``: a 4-D file whose 13 x 18 frames are really, in file
  order with the slice index running fastest, 17 echoes per slice followed by one T2-map frame
  per slice (frames ``n_slices * n_echoes + s``). ``read_qmritools_t2data`` untangles it into
  the echo series (with echo times) and the map.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..config import t2 as cfg
from ..errors import FormatError, InputError
from ..io.image import Image
from ..io.read import read_image

__all__ = ["read_vendor_t2map", "read_qmritools_t2data"]


def _frames(image: Image) -> np.ndarray:
    """All 2-D frames of a 4-D image in file order (slice index fastest): (i, j, n_frames)."""
    a = np.asarray(image.array)
    nz, nt = a.shape[2], a.shape[3]
    # file order with z fastest = Fortran order of the (z, t) pair
    return a.reshape(a.shape[0], a.shape[1], nz * nt, order="F")


def read_qmritools_t2data(
    path: str | os.PathLike,
    *,
    n_echoes: int = cfg.QMRITOOLS_N_ECHOES,
    echo_spacing: float = cfg.QMRITOOLS_ECHO_SPACING_MS,
) -> tuple[Image, Image]:
    """The echo series (i, j, slice, echo) and the scanner T2 map (ms) of a QMRITools T2 file.

    Raises
    ------
    FormatError
        The file is not 4-D with ``n_slices * (n_echoes + 1)`` frames.
    """
    image = read_image(path)
    if image.array.ndim != 4:
        raise FormatError(f"{path}: expected a 4-D QMRITools T2 file, got shape {image.shape}")
    frames = _frames(image)
    n_frames = frames.shape[2]
    if n_frames % (n_echoes + 1):
        raise FormatError(f"{path}: {n_frames} frames is not a multiple of {n_echoes} echoes + 1 map per slice")
    n_slices = n_frames // (n_echoes + 1)
    if n_slices != image.shape[2]:
        raise FormatError(f"{path}: {n_frames} frames give {n_slices} slices but the grid has {image.shape[2]}")
    echoes = frames[:, :, : n_slices * n_echoes].reshape(frames.shape[0], frames.shape[1], n_slices, n_echoes)
    t2map = frames[:, :, n_slices * n_echoes :]
    tes = tuple(float(echo_spacing) * np.arange(1, n_echoes + 1))
    grid: dict[str, Any] = dict(spacing=image.spacing, origin=image.origin, direction=image.direction)
    meta = {"SeriesDescription": "QMRITools T2data echoes"}
    echo_img = Image(echoes, echo_times=tes, meta=meta, source=str(path), **grid)
    map_img = Image(
        t2map.astype(float), meta={"Quantity": "T2", "Units": "ms", "Vendor": True}, source=str(path), **grid
    )
    return echo_img, map_img


def read_vendor_t2map(path: str | os.PathLike, *, layout: str = "map", series=None) -> Image:
    """A scanner-made T2 map (ms) as an :class:`Image`.

    Parameters
    ----------
    path : path
        DICOM folder/file or NIfTI/NRRD of the map; or a QMRITools ``T2data`` file.
    layout : {"map", "qmritools"}
        ``"map"``: the file *is* the map (3-D). ``"qmritools"``: take the map frames of a
        QMRITools T2 file.
    series : optional
        DICOM folder with several series: which one.
    """
    if layout == "qmritools":
        return read_qmritools_t2data(path)[1]
    if layout != "map":
        raise InputError(f"layout must be 'map' or 'qmritools', got {layout!r}")
    image = read_image(path, series=series)
    if image.array.ndim != 3:
        raise InputError(
            f"{path}: a T2 map must be 3-D, got shape {image.shape}; for a QMRITools T2data file use layout='qmritools'"
        )
    arr = np.asarray(image.array, dtype=float)
    if not np.all(np.isfinite(arr)) or arr.min() < 0:
        raise InputError(f"{path}: T2 map holds negative or non-finite values; expected ms >= 0")
    out = image.with_array(arr)
    out.meta.update(Quantity="T2", Units="ms", Vendor=True)
    return out
