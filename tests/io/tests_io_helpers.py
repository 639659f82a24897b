"""Small synthetic images with known oblique geometry for the I/O tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from myomri.io.image import Image


def rotation(ax: float, ay: float, az: float) -> np.ndarray:
    """Rotation matrix from three angles in degrees (x, then y, then z)."""
    ax, ay, az = np.deg2rad([ax, ay, az])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def oblique_image(n_echoes: int = 0) -> Image:
    """A 5x4x3 (x n_echoes) int16 image, 0.7x0.9x5 mm, rotated about all three axes."""
    shape = (5, 4, 3) + ((n_echoes,) if n_echoes else ())
    array = (np.arange(int(np.prod(shape))).reshape(shape) + 1).astype(np.int16)
    return Image(
        array,
        spacing=(0.7, 0.9, 5.0),
        origin=(-12.5, 40.25, -101.0),
        direction=rotation(12.0, -7.0, 20.0),
        echo_times=tuple(10.0 * (e + 1) for e in range(n_echoes)) if n_echoes else None,
    )


def _mr_dataset(sop_class_uid: str):
    """An MR dataset with file meta, fresh instance UID and fake patient fields (the privacy tests
    check that these never reach any output)."""
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class_uid
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    ds.PatientName = "Secret^Person"
    return ds


def write_classic_series(
    folder: Path,
    *,
    shape=(6, 5, 3),
    echo_times=(10.0, 20.0),
    spacing=(0.8, 0.9, 4.0),
    origin=(-100.0, 20.0, 35.0),
    angles=(8.0, -5.0, 3.0),
    series_number=3,
    description="t2_mese",
    series_uid="1.2.826.0.1.3680043.8.498.1",
    slope=1.0,
    intercept=0.0,
    shuffle_seed=0,
):
    """Write one classic MR file per slice and echo, in shuffled order; return the truth.

    Pixel value at ``(i, j, k, e)`` is ``100 * e + 10 * k + j + i * 1000`` (before rescale), so
    any axis mix-up shows in the values. Returns ``dict(array, direction, spacing, origin)``
    with ``array`` in rescaled units, ``[i, j, k, e]``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ni, nj, nk = shape
    direction = rotation(*angles)
    i_idx, j_idx = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    truth = np.zeros((ni, nj, nk, len(echo_times)))
    jobs = [(k, e) for k in range(nk) for e in range(len(echo_times))]
    rng = np.random.default_rng(shuffle_seed)
    rng.shuffle(jobs)
    for n, (k, e) in enumerate(jobs):
        stored = (1000 * i_idx + j_idx + 10 * k + 100 * e).astype(np.uint16)  # [i, j]
        truth[:, :, k, e] = stored * slope + intercept
        pos = np.asarray(origin) + direction[:, 2] * spacing[2] * k
        ds = _mr_dataset("1.2.840.10008.5.1.4.1.1.4")  # MR Image Storage
        ds.PatientBirthDate = "19700101"
        ds.InstitutionName = "Hidden Hospital"
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = series_number
        ds.SeriesDescription = description
        ds.MagneticFieldStrength = 3
        ds.RepetitionTime = 2500
        ds.FlipAngle = 90
        ds.EchoTime = echo_times[e]
        ds.InstanceNumber = n + 1
        ds.ImagePositionPatient = [f"{v:.6f}" for v in pos]
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in np.r_[direction[:, 0], direction[:, 1]]]
        ds.PixelSpacing = [f"{spacing[1]:g}", f"{spacing[0]:g}"]  # (between rows, between columns)
        ds.SliceThickness = spacing[2]
        ds.Rows, ds.Columns = nj, ni
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        if slope != 1.0 or intercept != 0.0:
            ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
        ds.PixelData = np.ascontiguousarray(stored.T).tobytes()  # DICOM stores rows of columns
        ds.save_as(folder / f"f{n:03d}.dcm", enforce_file_format=True)
    return {"array": truth, "direction": direction, "spacing": spacing, "origin": np.asarray(origin)}


def write_enhanced_file(
    path: Path,
    *,
    shape=(5, 4, 3),
    echo_times=(12.0, 24.0),
    spacing=(1.1, 0.9, 6.0),
    origin=(30.0, -60.0, 12.0),
    angles=(-4.0, 9.0, 15.0),
    slope=2.0,
    intercept=-1.0,
    shuffle_seed=1,
):
    """One enhanced MR file holding every slice and echo (frames shuffled).

    Orientation, pixel spacing and rescale sit only in the *shared* functional groups, position
    and echo time per frame. Stored value at ``(i, j, k, e)`` is ``1000 i + j + 10 k + 100 e``.
    Returns ``dict(array, direction, spacing, origin)`` with ``array`` rescaled, ``[i, j, k, e]``.
    """
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ni, nj, nk = shape
    direction = rotation(*angles)
    i_idx, j_idx = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    truth = np.zeros((ni, nj, nk, len(echo_times)))
    jobs = [(k, e) for k in range(nk) for e in range(len(echo_times))]
    np.random.default_rng(shuffle_seed).shuffle(jobs)
    frames, per_frame = [], []
    for k, e in jobs:
        stored = (1000 * i_idx + j_idx + 10 * k + 100 * e).astype(np.uint16)
        truth[:, :, k, e] = stored * slope + intercept
        frames.append(np.ascontiguousarray(stored.T))
        pos = np.asarray(origin) + direction[:, 2] * spacing[2] * k
        item = Dataset()
        plane = Dataset()
        plane.ImagePositionPatient = [f"{v:.6f}" for v in pos]
        item.PlanePositionSequence = Sequence([plane])
        echo = Dataset()
        echo.EffectiveEchoTime = float(echo_times[e])
        item.MREchoSequence = Sequence([echo])
        per_frame.append(item)
    shared = Dataset()
    orient = Dataset()
    orient.ImageOrientationPatient = [f"{v:.8f}" for v in np.r_[direction[:, 0], direction[:, 1]]]
    shared.PlaneOrientationSequence = Sequence([orient])
    measures = Dataset()
    measures.PixelSpacing = [f"{spacing[1]:g}", f"{spacing[0]:g}"]
    measures.SliceThickness = spacing[2]
    shared.PixelMeasuresSequence = Sequence([measures])
    rescale = Dataset()
    rescale.RescaleSlope, rescale.RescaleIntercept, rescale.RescaleType = slope, intercept, "US"
    shared.PixelValueTransformationSequence = Sequence([rescale])
    ds = _mr_dataset("1.2.840.10008.5.1.4.1.1.4.1")  # Enhanced MR Image Storage
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.77"
    ds.SeriesNumber = 12
    ds.SeriesDescription = "enhanced_mese"
    ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = nj, ni
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.PixelData = np.stack(frames).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return {"array": truth, "direction": direction, "spacing": spacing, "origin": np.asarray(origin)}
