"""DICOM reading: classic single-frame series and enhanced multi-frame MR, multi-echo grouping.

Every frame (a classic file, or one frame of an enhanced file) is reduced to a :class:`_Frame`
holding its geometry, echo time and where its pixels are. Frames are grouped by series, then by
echo time; within an echo they are sorted along the slice normal. The result is one
:class:`~myomri.io.image.Image`: 3-D for one echo, 4-D ``[i, j, k, echo]`` sorted by echo time
otherwise.

Axis convention: DICOM ``ImageOrientationPatient`` gives the row cosine (direction of increasing
*column* index) then the column cosine (increasing *row* index). Our ``i`` axis runs along
columns, so ``array[i, j] = pixel_array[j, i]``.

Only acquisition fields free of patient identity go into ``Image.meta`` (see ``META_FIELDS``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import io as cfg
from ..errors import AmbiguousSeriesError, FormatError, GeometryError, InputError, MissingFileError
from .image import Image

__all__ = ["read_dicom", "list_dicom_series", "META_FIELDS"]

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
class _Frame:
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


# --- header parsing -------------------------------------------------------------------------
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


def _frames_of(ds, path: Path) -> list[_Frame]:
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
            raise FormatError(
                f"{path}: {len(per_frame)} per-frame functional groups for {n_frames} frames"
            )
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
                _make_frame(path, f, uid, number, description, pos, iop, spacing, thick,
                            te if te is not None else ds.get("EchoTime"),
                            slope if slope is not None else ds.get("RescaleSlope"),
                            inter if inter is not None else ds.get("RescaleIntercept"), rows, cols)
            )
    else:
        frames.append(
            _make_frame(path, None, uid, number, description, ds.get("ImagePositionPatient"),
                        ds.get("ImageOrientationPatient"), ds.get("PixelSpacing"),
                        ds.get("SliceThickness"), ds.get("EchoTime"), ds.get("RescaleSlope"),
                        ds.get("RescaleIntercept"), rows, cols)
        )
    return frames


def _make_frame(path, index, uid, number, description, pos, iop, spacing, thick, te, slope,
                inter, rows, cols) -> _Frame:
    where = f"{path}" + (f" frame {index + 1}" if index is not None else "")
    if pos is None or iop is None or spacing is None:
        missing = [n for n, v in (("ImagePositionPatient", pos), ("ImageOrientationPatient", iop),
                                  ("PixelSpacing", spacing)) if v is None]
        raise FormatError(f"{where}: no {', '.join(missing)}; expected an image with patient geometry")
    iop = np.asarray([float(v) for v in iop])
    if iop.size != 6 or rows <= 0 or cols <= 0:
        raise FormatError(f"{where}: malformed geometry (orientation {iop.size} values, {rows}x{cols} pixels)")
    row_c, col_c = iop[:3], iop[3:]
    row_c, col_c = row_c / np.linalg.norm(row_c), col_c / np.linalg.norm(col_c)
    return _Frame(
        path=path, index=index, series_uid=uid, series_number=number,
        series_description=description,
        position=np.asarray([float(v) for v in pos]), row_cosine=row_c, col_cosine=col_c,
        pixel_spacing=(float(spacing[0]), float(spacing[1])), slice_thickness=_as_float(thick),
        echo_time=_as_float(te), slope=_as_float(slope) or 1.0,  # a slope of 0 is a writer's bug
        intercept=_as_float(inter) or 0.0, rows=rows, columns=cols,
    )


# --- folder scan ----------------------------------------------------------------------------
def _candidate_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def _scan(path: Path):
    """Read every DICOM header under ``path``: (frames, header datasets by file, ignored count)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not path.exists():
        raise MissingFileError(path, "DICOM file or folder")
    frames: list[_Frame] = []
    headers: dict[Path, Any] = {}
    ignored = 0
    files = _candidate_files(path)
    for f in files:
        explicit = path.is_file() or f.suffix.lower() in cfg.DICOM_SUFFIXES
        try:
            ds = pydicom.dcmread(str(f), stop_before_pixels=True)
        except InvalidDicomError as exc:
            if explicit:
                raise FormatError(f"{f}: not a DICOM file ({exc}); expected a DICOM image") from exc
            ignored += 1  # READMEs, DICOMDIR-less folders with notes: not images, not an error
            continue
        except Exception as exc:  # truncated / corrupt header
            raise FormatError(f"{f}: unreadable DICOM header ({type(exc).__name__}: {exc})") from exc
        if "Rows" not in ds:
            if explicit and path.is_file():
                raise FormatError(f"{f}: DICOM file holds no image (no Rows/geometry); expected an image")
            ignored += 1  # DICOMDIR, presentation states, structured reports
            continue
        headers[f] = ds
        frames.extend(_frames_of(ds, f))
    if not frames:
        raise FormatError(f"{path}: no DICOM images found ({len(files)} file(s) looked at)")
    return frames, headers, ignored


def _series_table(frames: list[_Frame]) -> dict[str, list[_Frame]]:
    table: dict[str, list[_Frame]] = {}
    for fr in frames:
        table.setdefault(fr.series_uid, []).append(fr)
    return table


def _series_label(frames: list[_Frame]) -> str:
    f0 = frames[0]
    n_files = len({f.path for f in frames})
    return (f"#{f0.series_number} '{f0.series_description}' ({len(frames)} frames in {n_files} file(s))")


def list_dicom_series(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Describe each series under ``path``: number, description, frames, files, echo times (ms)."""
    frames, _, _ = _scan(Path(path))
    out = []
    for uid, fr in _series_table(frames).items():
        tes = sorted({round(f.echo_time, cfg.ECHO_TIME_DECIMALS) for f in fr if f.echo_time is not None})
        out.append({
            "number": fr[0].series_number if fr[0].series_number is None else int(fr[0].series_number),
            "description": fr[0].series_description,
            "uid": uid,
            "n_frames": len(fr),
            "n_files": len({f.path for f in fr}),
            "echo_times_ms": tes,
        })
    return sorted(out, key=lambda d: (d["number"] is None, d["number"] or 0, d["description"]))


def _pick_series(path: Path, table: dict[str, list[_Frame]], series) -> list[_Frame]:
    labels = [_series_label(fr) for fr in table.values()]
    if series is None:
        if len(table) > 1:
            raise AmbiguousSeriesError(path, labels)
        return next(iter(table.values()))
    key = str(series).strip()
    hits = [fr for uid, fr in table.items()
            if key == uid or key == str(fr[0].series_number)
            or key.lower() == fr[0].series_description.lower()]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise InputError(f"{path}: no series matches {key!r}; found {'; '.join(labels)}")
    raise AmbiguousSeriesError(path, [_series_label(fr) for fr in hits])


# --- volume assembly ------------------------------------------------------------------------
def _check_common_grid(path: Path, frames: list[_Frame]) -> None:
    f0 = frames[0]
    for fr in frames[1:]:
        if (fr.rows, fr.columns) != (f0.rows, f0.columns):
            raise GeometryError(f"{path}: frames of {fr.rows}x{fr.columns} and {f0.rows}x{f0.columns} "
                                "pixels in one series; expected one matrix size")
        if (np.max(np.abs(fr.row_cosine - f0.row_cosine)) > cfg.ORIENTATION_ATOL
                or np.max(np.abs(fr.col_cosine - f0.col_cosine)) > cfg.ORIENTATION_ATOL):
            raise GeometryError(f"{path}: frames with different orientations in one series "
                                f"({fr.path.name}); expected parallel slices (a localizer?)")
        if not np.allclose(fr.pixel_spacing, f0.pixel_spacing, rtol=1e-4):
            raise GeometryError(f"{path}: pixel spacings {fr.pixel_spacing} and {f0.pixel_spacing} "
                                "in one series; expected one")


def _slice_geometry(path: Path, stack: list[_Frame], normal: np.ndarray):
    """Sort one echo's frames along ``normal``; return (sorted frames, k direction, k spacing)."""
    dist = np.array([fr.position @ normal for fr in stack])
    order = np.argsort(dist, kind="stable")
    stack = [stack[i] for i in order]
    dist = dist[order]
    if len(stack) == 1:
        thick = stack[0].slice_thickness
        return stack, normal, float(thick) if thick and thick > 0 else 1.0
    gaps = np.diff(dist)
    if np.any(gaps < 1e-3):
        raise FormatError(f"{path}: several frames at the same slice position and echo time "
                          f"(series {_series_label(stack)}); expected one frame per slice and echo")
    med = float(np.median(gaps))
    if np.max(np.abs(gaps - med)) > cfg.SLICE_SPACING_RTOL * med:
        raise GeometryError(f"{path}: slice gaps {np.round(gaps, 3).tolist()} mm are uneven; "
                            "expected evenly spaced slices")
    # The true step vector, not the normal: a gantry tilt would otherwise be lost.
    step = (stack[-1].position - stack[0].position) / (len(stack) - 1)
    spacing = float(np.linalg.norm(step))
    return stack, step / spacing, spacing


def _load_pixels(path: Path, frames: list[_Frame]) -> dict[tuple[Path, int | None], np.ndarray]:
    """Pixel arrays of the chosen frames, rescaled, keyed by (file, frame index)."""
    import pydicom

    out: dict[tuple[Path, int | None], np.ndarray] = {}
    by_file: dict[Path, list[_Frame]] = {}
    for fr in frames:
        by_file.setdefault(fr.path, []).append(fr)
    for f, frs in by_file.items():
        try:
            ds = pydicom.dcmread(str(f))
            pix = ds.pixel_array
        except Exception as exc:  # truncated pixel data, missing codec
            raise FormatError(f"{f}: cannot decode pixel data ({type(exc).__name__}: {exc}); "
                              "the file may be truncated or use an unsupported compression") from exc
        n = int(ds.get("NumberOfFrames", 1) or 1)
        if pix.ndim == 2:
            pix = pix[np.newaxis]
        if pix.shape != (n, frs[0].rows, frs[0].columns):
            raise FormatError(f"{f}: pixel data of shape {pix.shape}, expected "
                              f"({n}, {frs[0].rows}, {frs[0].columns}) frames (colour image?)")
        for fr in frs:
            out[(f, fr.index)] = pix[0 if fr.index is None else fr.index]
    return out


def read_dicom(path: str | os.PathLike, *, series: str | int | None = None) -> Image:
    """Read a DICOM series (a folder, or one file) into an :class:`Image`.

    Parameters
    ----------
    path : path-like
        A folder (searched recursively) or a single DICOM file.
    series : str or int, optional
        Which series to read when the folder holds several: SeriesNumber, SeriesInstanceUID or
        SeriesDescription (case-insensitive).

    Returns
    -------
    Image
        3-D for a single echo time; 4-D ``[i, j, k, echo]`` sorted by echo time, with
        ``echo_times`` in ms, when frames carry several echo times. Rescale slope/intercept are
        applied (float64 result when they change values, the stored integer type otherwise).

    Raises
    ------
    MissingFileError, FormatError, AmbiguousSeriesError, GeometryError
    """
    path = Path(path)
    frames, headers, ignored = _scan(path)
    chosen = _pick_series(path, _series_table(frames), series)
    _check_common_grid(path, chosen)
    f0 = chosen[0]
    normal = np.cross(f0.row_cosine, f0.col_cosine)
    # Group by echo time; a missing echo time is its own (single) group.
    echoes: dict[float | None, list[_Frame]] = {}
    for fr in chosen:
        key = None if fr.echo_time is None else round(fr.echo_time, cfg.ECHO_TIME_DECIMALS)
        echoes.setdefault(key, []).append(fr)
    if None in echoes and len(echoes) > 1:
        raise FormatError(f"{path}: some frames have an EchoTime and others none; expected all or none")
    keys = sorted(echoes, key=lambda t: -1.0 if t is None else t)
    stacks, direction_k, spacing_k = [], None, None
    for key in keys:
        stack, dk, sk = _slice_geometry(path, echoes[key], normal)
        if stacks and len(stack) != len(stacks[0]):
            raise FormatError(f"{path}: echo {key} ms has {len(stack)} slices, echo {keys[0]} ms has "
                              f"{len(stacks[0])}; expected the same slices for every echo")
        if stacks and np.max(np.abs(stack[0].position - stacks[0][0].position)) > 1e-2:
            raise GeometryError(f"{path}: echo {key} ms starts at another position than echo {keys[0]} ms")
        stacks.append(stack)
        direction_k, spacing_k = (dk, sk) if direction_k is None else (direction_k, spacing_k)
    pixels = _load_pixels(path, [fr for s in stacks for fr in s])
    rescale = any(fr.slope != 1.0 or fr.intercept != 0.0 for s in stacks for fr in s)
    vols = []
    for stack in stacks:
        planes = []
        for fr in stack:
            p = pixels[(fr.path, fr.index)]
            planes.append(p * fr.slope + fr.intercept if rescale else p)
        vols.append(np.stack(planes, axis=-1).transpose(1, 0, 2))  # [row, col, k] -> [i, j, k]
    array = vols[0] if len(vols) == 1 else np.stack(vols, axis=-1)
    direction = np.column_stack([f0.row_cosine, f0.col_cosine, direction_k])
    spacing = (f0.pixel_spacing[1], f0.pixel_spacing[0], spacing_k)
    meta = _meta(headers[f0.path])
    meta["SliceThickness"] = f0.slice_thickness if f0.slice_thickness else meta.get("SliceThickness")
    meta["SpacingBetweenSlices"] = spacing_k
    meta["DicomFormat"] = "enhanced" if f0.index is not None else "classic"
    meta["NumberOfFiles"] = len({fr.path for s in stacks for fr in s})
    if ignored:
        meta["IgnoredFiles"] = ignored
    echo_times = None
    if len(keys) > 1:
        echo_times = tuple(float(k) for k in keys)
    elif keys[0] is not None:
        meta["EchoTime"] = float(keys[0])
    return Image(array, spacing=spacing, origin=tuple(stacks[0][0].position), direction=direction,
                 echo_times=echo_times, meta={k: v for k, v in meta.items() if v is not None},
                 source=str(path))


def _meta(ds) -> dict[str, Any]:
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
                for seq in ("MRTimingAndRelatedParametersSequence", "PixelMeasuresSequence",
                            "MRModifierSequence"):
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
