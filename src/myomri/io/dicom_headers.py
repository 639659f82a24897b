"""DICOM header parsing: one :class:`Frame` per classic file or enhanced-MR frame, and the
allow-listed acquisition metadata.

Enhanced multi-frame MR keeps geometry, echo time and rescale per frame in
``PerFrameFunctionalGroupsSequence``, with ``SharedFunctionalGroupsSequence`` as the fallback;
classic files keep them at the top level.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError

__all__ = ["Frame", "frames_of", "acquisition_meta", "META_FIELDS"]

#: Acquisition fields copied into ``Image.meta`` (an allow-list: nothing about the patient,
#: the institution or dates).
META_FIELDS = (
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "MagneticFieldStrength",
    "SeriesDescription",
    "SeriesNumber",
    "ProtocolName",
    "RepetitionTime",
    "FlipAngle",
    "EchoTrainLength",
    "SliceThickness",
    "ScanningSequence",
    "SequenceVariant",
    "MRAcquisitionType",
)

_ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"


@dataclass
class Frame:
    """One 2-D image plane: where its pixels are and the geometry/timing needed to place it."""

    path: Path
    index: int | None  # frame number in a multi-frame file, None for a classic file
    series_uid: str
    series_number: Any
    series_description: str
    position: np.ndarray
    row_cosine: np.ndarray
    col_cosine: np.ndarray
    pixel_spacing: tuple[float, float]  # (between rows, between columns) as in DICOM
    slice_thickness: float | None
    echo_time: float | None
    slope: float
    intercept: float
    rows: int
    columns: int


def _first(seq_owner, *names):
    """Item 0 of the first of ``names`` (functional-group sequences) present in ``seq_owner``."""
    for name in names:
        seq = getattr(seq_owner, name, None)
        if seq:
            return seq[0]
    return None


def _group_value(groups, seq_name, attr):
    """``attr`` from sequence ``seq_name`` in the first functional group that has it."""
    for grp in groups:
        if grp is None:
            continue
        item = _first(grp, seq_name)
        if item is not None and attr in item:
            return item[attr].value
    return None


def _as_float(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def frames_of(ds, path: Path) -> list[Frame]:
    """All frames of one dataset (header only)."""
    uid = str(ds.get("SeriesInstanceUID", "")) or f"{ds.get('SeriesNumber', '?')}:{path.parent}"
    number = ds.get("SeriesNumber", None)
    description = str(ds.get("SeriesDescription", "") or "")
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    is_multi = "PerFrameFunctionalGroupsSequence" in ds or str(ds.get("SOPClassUID", "")) == _ENHANCED_MR
    frames = []
    if is_multi:
        shared = _first(ds, "SharedFunctionalGroupsSequence")
        per_frame = list(ds.get("PerFrameFunctionalGroupsSequence", []) or [])
        if per_frame and len(per_frame) != n_frames:
            raise FormatError(f"{path}: {len(per_frame)} per-frame functional groups for {n_frames} frames")
        for f in range(n_frames):
            groups = (per_frame[f] if per_frame else None, shared)
            pos = _group_value(groups, "PlanePositionSequence", "ImagePositionPatient")
            iop = _group_value(groups, "PlaneOrientationSequence", "ImageOrientationPatient")
            spacing = _group_value(groups, "PixelMeasuresSequence", "PixelSpacing")
            thick = _group_value(groups, "PixelMeasuresSequence", "SliceThickness")
            te = _group_value(groups, "MREchoSequence", "EffectiveEchoTime")
            slope = _group_value(groups, "PixelValueTransformationSequence", "RescaleSlope")
            inter = _group_value(groups, "PixelValueTransformationSequence", "RescaleIntercept")
            frames.append(
                _make_frame(
                    path,
                    f,
                    uid,
                    number,
                    description,
                    pos,
                    iop,
                    spacing,
                    thick,
                    te if te is not None else ds.get("EchoTime"),
                    slope if slope is not None else ds.get("RescaleSlope"),
                    inter if inter is not None else ds.get("RescaleIntercept"),
                    rows,
                    cols,
                )
            )
    else:
        frames.append(
            _make_frame(
                path,
                None,
                uid,
                number,
                description,
                ds.get("ImagePositionPatient"),
                ds.get("ImageOrientationPatient"),
                ds.get("PixelSpacing"),
                ds.get("SliceThickness"),
                ds.get("EchoTime"),
                ds.get("RescaleSlope"),
                ds.get("RescaleIntercept"),
                rows,
                cols,
            )
        )
    return frames


def _make_frame(path, index, uid, number, description, pos, iop, spacing, thick, te, slope, inter, rows, cols) -> Frame:
    where = f"{path}" + (f" frame {index + 1}" if index is not None else "")
    if pos is None or iop is None or spacing is None:
        missing = [
            n
            for n, v in (("ImagePositionPatient", pos), ("ImageOrientationPatient", iop), ("PixelSpacing", spacing))
            if v is None
        ]
        raise FormatError(f"{where}: no {', '.join(missing)}; expected an image with patient geometry")
    iop = np.asarray([float(v) for v in iop])
    if iop.size != 6 or rows <= 0 or cols <= 0:
        raise FormatError(f"{where}: malformed geometry (orientation {iop.size} values, {rows}x{cols} pixels)")
    echo_time = _as_float(te)
    if echo_time is None and te is not None and str(te).strip():
        raise FormatError(f"{where}: EchoTime {str(te)!r} is not a number; expected the echo time in ms")
    row_c, col_c = iop[:3], iop[3:]
    row_c, col_c = row_c / np.linalg.norm(row_c), col_c / np.linalg.norm(col_c)
    return Frame(
        path=path,
        index=index,
        series_uid=uid,
        series_number=number,
        series_description=description,
        position=np.asarray([float(v) for v in pos]),
        row_cosine=row_c,
        col_cosine=col_c,
        pixel_spacing=(float(spacing[0]), float(spacing[1])),
        slice_thickness=_as_float(thick),
        echo_time=echo_time,
        slope=_as_float(slope) or 1.0,  # a slope of 0 is a writer's bug
        intercept=_as_float(inter) or 0.0,
        rows=rows,
        columns=cols,
    )


def acquisition_meta(ds) -> dict[str, Any]:
    """Allow-listed acquisition fields, looked up top level first, then in functional groups."""
    shared = _first(ds, "SharedFunctionalGroupsSequence")
    per0 = _first(ds, "PerFrameFunctionalGroupsSequence")
    meta: dict[str, Any] = {}
    for name in META_FIELDS:
        value = ds.get(name, None)
        if value is None or value == "":
            for grp in (shared, per0):
                if grp is None:
                    continue
                for seq in ("MRTimingAndRelatedParametersSequence", "PixelMeasuresSequence", "MRModifierSequence"):
                    item = _first(grp, seq)
                    if item is not None and name in item:
                        value = item[name].value
                        break
                if value is not None:
                    break
        if value is None or value == "":
            continue
        if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
            value = [str(v) for v in value]
        elif name in ("SeriesNumber", "EchoTrainLength"):
            value = int(value)
        elif name in ("MagneticFieldStrength", "RepetitionTime", "FlipAngle", "SliceThickness"):
            value = float(value)
        else:
            value = str(value)
        meta[name] = value
    return meta
