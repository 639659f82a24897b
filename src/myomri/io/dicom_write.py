"""Write an :class:`~myomri.io.image.Image` as a classic single-frame MR DICOM series.

One file per slice (and per echo of a 4-D image), with the geometry the reader
(:mod:`myomri.io.dicom`) reads back: ``ImagePositionPatient`` of each slice,
``ImageOrientationPatient`` from the first two direction columns, ``PixelSpacing`` as (between
rows, between columns). UIDs are derived from the caller's names (:func:`stable_uid`), so the
same input gives byte-identical files. The caller supplies every header value beyond geometry
and pixels, patient fields included: this module invents none.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from .atomic import atomic_path
from .image import Image

__all__ = ["stable_uid", "write_dicom_series"]

#: SOP class of classic single-frame MR Image Storage (one file per slice, as most exports hold).
_MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"


def stable_uid(*parts: str) -> str:
    """A DICOM UID derived from ``parts`` (same parts, same UID; different parts, different UID)."""
    from pydicom.uid import generate_uid

    return str(generate_uid(entropy_srcs=[str(p) for p in parts]))


def _stored(array: np.ndarray) -> tuple[np.ndarray, float]:
    """(int16 values, rescale slope): integers in range as they are, anything else scaled."""
    arr = np.asarray(array)
    if np.issubdtype(arr.dtype, np.integer) and arr.min(initial=0) >= -32768 and arr.max(initial=0) <= 32767:
        return arr.astype(np.int16), 1.0
    finite = np.nan_to_num(arr.astype(float), nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.max(np.abs(finite), initial=0.0))
    slope = peak / 32000.0 if peak > 0 else 1.0
    return np.rint(finite / slope).astype(np.int16), slope


def _dataset(header: dict, sop_uid: str):
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(_MR_IMAGE_STORAGE)
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = _MR_IMAGE_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "MR"
    for key, value in header.items():
        setattr(ds, key, value)
    return ds


def write_dicom_series(
    image: Image, folder: str | os.PathLike, *, header: dict, series_uid: str, prefix: str = "IM"
) -> list[Path]:
    """Write ``image`` into ``folder`` as one MR file per slice and echo; return the files.

    Parameters
    ----------
    image : Image
        3-D, or 4-D with ``echo_times`` (one file per slice and echo, ``EchoTime`` and
        ``EchoNumbers`` set per file).
    folder : path
        Created if absent; files are named ``{prefix}{n:05d}.dcm``.
    header : dict
        DICOM keywords -> values common to every file (patient, study, series, sequence fields).
    series_uid : str
        SeriesInstanceUID; instance UIDs are derived from it.
    """
    if image.array.ndim == 4 and image.echo_times is None:
        raise InputError(f"{image.source or 'image'}: 4-D image without echo times; expected EchoTime per volume")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vols = image.array if image.array.ndim == 4 else image.array[..., None]
    stored, slope = _stored(vols)
    ni, nj, nk, ne = stored.shape
    d, sp = np.asarray(image.direction), np.asarray(image.spacing)
    iop = [f"{v:.8f}" for v in np.r_[d[:, 0], d[:, 1]]]
    files, n = [], 0
    for e in range(ne):
        for k in range(nk):
            n += 1
            ds = _dataset(header, stable_uid(series_uid, str(e), str(k)))
            ds.SeriesInstanceUID = series_uid
            ds.InstanceNumber = n
            pos = np.asarray(image.origin) + d[:, 2] * sp[2] * k
            ds.ImagePositionPatient = [f"{v:.6f}" for v in pos]
            ds.ImageOrientationPatient = iop
            ds.SliceLocation = f"{float(pos @ d[:, 2]):.6f}"
            ds.PixelSpacing = [f"{sp[1]:.6g}", f"{sp[0]:.6g}"]
            ds.SliceThickness = f"{float(image.meta.get('SliceThickness', sp[2])):.6g}"
            if nk > 1:
                ds.SpacingBetweenSlices = f"{sp[2]:.6g}"
            if image.echo_times is not None:
                ds.EchoTime = f"{image.echo_times[e]:.6g}"
                ds.EchoNumbers = e + 1
            ds.Rows, ds.Columns = nj, ni
            ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
            ds.RescaleSlope, ds.RescaleIntercept = f"{slope:.8g}", "0"
            ds.PixelData = np.ascontiguousarray(stored[:, :, k, e].T).tobytes()  # rows of columns
            path = folder / f"{prefix}{n:05d}.dcm"
            with atomic_path(path) as tmp:
                ds.save_as(tmp, enforce_file_format=True)
            files.append(path)
    return files
