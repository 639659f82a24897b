"""DICOM reading: classic single-frame series and enhanced multi-frame MR, multi-echo grouping.

Every frame (a classic file, or one frame of an enhanced file) is reduced to a :class:`Frame`
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
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..config import io as cfg
from ..errors import AmbiguousSeriesError, EchoTimeError, FormatError, GeometryError, InputError, MissingFileError
from .dicom_headers import META_FIELDS, Frame, acquisition_meta, frames_of
from .image import Image

__all__ = ["read_dicom", "list_dicom_series", "describe_dicom_folder", "looks_like_dicom", "META_FIELDS"]


# --- folder scan ----------------------------------------------------------------------------
def _candidate_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def looks_like_dicom(path: Path) -> bool:
    """True when ``path`` carries the DICOM Part 10 signature (``DICM`` after a 128-byte preamble)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b"DICM"


def _is_non_image_object(ds) -> bool:
    """A well-formed DICOM object that is not an image (DICOMDIR, presentation state, report):
    it names its SOP class. A damaged header that parses into a few junk elements does not."""
    meta = getattr(ds, "file_meta", None)
    return "SOPClassUID" in ds or (meta is not None and "MediaStorageSOPClassUID" in meta)


def _scan(path: Path):
    """Read every DICOM header under ``path``.

    Returns (frames, header datasets by file, ignored count, unreadable files). Files that are
    not DICOM, or DICOM objects that are not images, are ignored (counted); files that carry the
    DICOM signature but whose header cannot be read as an image are listed as unreadable, so the
    caller can name them instead of silently reading a series without them.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not path.exists():
        raise MissingFileError(path, "DICOM file or folder")
    frames: list[Frame] = []
    headers: dict[Path, Any] = {}
    ignored, unreadable = 0, []
    files = _candidate_files(path)
    for f in files:
        explicit = path.is_file() or f.suffix.lower() in cfg.DICOM_SUFFIXES
        try:
            ds = pydicom.dcmread(str(f), stop_before_pixels=True)
        except InvalidDicomError as exc:
            if explicit:
                raise FormatError(f"{f}: not a DICOM file ({exc}); expected a DICOM image") from exc
            if looks_like_dicom(f):
                unreadable.append(f)
            else:
                ignored += 1  # READMEs, DICOMDIR-less folders with notes: not images, not an error
            continue
        except Exception as exc:  # truncated / corrupt header
            raise FormatError(f"{f}: unreadable DICOM header ({type(exc).__name__}: {exc})") from exc
        if "Rows" not in ds:
            if explicit and path.is_file():
                raise FormatError(f"{f}: DICOM file holds no image (no Rows/geometry); expected an image")
            if _is_non_image_object(ds):
                ignored += 1  # DICOMDIR, presentation states, structured reports
            else:
                unreadable.append(f)  # e.g. a damaged file meta header: the data set is junk
            continue
        headers[f] = ds
        frames.extend(frames_of(ds, f))
    if not frames:
        bad = f"; unreadable DICOM: {', '.join(_relative(path, unreadable))}" if unreadable else ""
        raise FormatError(f"{path}: no DICOM images found ({len(files)} file(s) looked at{bad})")
    return frames, headers, ignored, unreadable


def _relative(root: Path, files: list[Path]) -> list[str]:
    """File names relative to the scanned folder (the full path when ``root`` is the file)."""
    return [str(f) if root.is_file() else str(f.relative_to(root)) for f in files]


def _series_table(frames: list[Frame]) -> dict[str, list[Frame]]:
    table: dict[str, list[Frame]] = {}
    for fr in frames:
        table.setdefault(fr.series_uid, []).append(fr)
    return table


def _series_label(frames: list[Frame]) -> str:
    f0 = frames[0]
    n_files = len({f.path for f in frames})
    return f"#{f0.series_number} '{f0.series_description}' ({len(frames)} frames in {n_files} file(s))"


def list_dicom_series(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Describe each series under ``path``: number, description, frames, files, echo times (ms)."""
    return describe_dicom_folder(path)[0]


def describe_dicom_folder(path: str | os.PathLike) -> tuple[list[dict[str, Any]], list[str]]:
    """(:func:`list_dicom_series`'s listing, files that look like DICOM but cannot be read)."""
    frames, _, _, unreadable = _scan(Path(path))
    out = []
    for uid, fr in _series_table(frames).items():
        tes = sorted({round(f.echo_time, cfg.ECHO_TIME_DECIMALS) for f in fr if f.echo_time is not None})
        out.append(
            {
                "number": fr[0].series_number if fr[0].series_number is None else int(fr[0].series_number),
                "description": fr[0].series_description,
                "uid": uid,
                "n_frames": len(fr),
                "n_files": len({f.path for f in fr}),
                "echo_times_ms": tes,
            }
        )
    listing = sorted(out, key=lambda d: (d["number"] is None, d["number"] or 0, d["description"]))
    return listing, _relative(Path(path), unreadable)


def _pick_series(path: Path, table: dict[str, list[Frame]], series) -> list[Frame]:
    labels = [_series_label(fr) for fr in table.values()]
    if series is None:
        if len(table) > 1:
            raise AmbiguousSeriesError(path, labels)
        return next(iter(table.values()))
    key = str(series).strip()
    hits = [
        fr
        for uid, fr in table.items()
        if key == uid or key == str(fr[0].series_number) or key.lower() == fr[0].series_description.lower()
    ]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise InputError(f"{path}: no series matches {key!r}; found {'; '.join(labels)}")
    raise AmbiguousSeriesError(path, [_series_label(fr) for fr in hits])


# --- volume assembly ------------------------------------------------------------------------
def _check_common_grid(path: Path, frames: list[Frame]) -> None:
    f0 = frames[0]
    for fr in frames[1:]:
        if (fr.rows, fr.columns) != (f0.rows, f0.columns):
            raise GeometryError(
                f"{path}: frames of {fr.rows}x{fr.columns} and {f0.rows}x{f0.columns} "
                "pixels in one series; expected one matrix size"
            )
        if (
            np.max(np.abs(fr.row_cosine - f0.row_cosine)) > cfg.ORIENTATION_ATOL
            or np.max(np.abs(fr.col_cosine - f0.col_cosine)) > cfg.ORIENTATION_ATOL
        ):
            raise GeometryError(
                f"{path}: frames with different orientations in one series "
                f"({fr.path.name}); expected parallel slices (a localizer?)"
            )
        if not np.allclose(fr.pixel_spacing, f0.pixel_spacing, rtol=1e-4):
            raise GeometryError(
                f"{path}: pixel spacings {fr.pixel_spacing} and {f0.pixel_spacing} in one series; expected one"
            )


def _slice_geometry(path: Path, stack: list[Frame], normal: np.ndarray):
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
        raise FormatError(
            f"{path}: several frames at the same slice position and echo time "
            f"(series {_series_label(stack)}); expected one frame per slice and echo"
        )
    med = float(np.median(gaps))
    if np.max(np.abs(gaps - med)) > cfg.SLICE_SPACING_RTOL * med:
        raise GeometryError(
            f"{path}: slice gaps {np.round(gaps, 3).tolist()} mm are uneven; expected evenly spaced slices"
        )
    # The true step vector, not the normal: a gantry tilt would otherwise be lost.
    step = (stack[-1].position - stack[0].position) / (len(stack) - 1)
    spacing = float(np.linalg.norm(step))
    return stack, step / spacing, spacing


def _load_pixels(path: Path, frames: list[Frame]) -> dict[tuple[Path, int | None], np.ndarray]:
    """Pixel arrays of the chosen frames, rescaled, keyed by (file, frame index)."""
    import pydicom

    out: dict[tuple[Path, int | None], np.ndarray] = {}
    by_file: dict[Path, list[Frame]] = {}
    for fr in frames:
        by_file.setdefault(fr.path, []).append(fr)
    for f, frs in by_file.items():
        try:
            ds = pydicom.dcmread(str(f))
            pix = ds.pixel_array
        except Exception as exc:  # truncated pixel data, missing codec
            raise FormatError(
                f"{f}: cannot decode pixel data ({type(exc).__name__}: {exc}); "
                "the file may be truncated or use an unsupported compression"
            ) from exc
        n = int(ds.get("NumberOfFrames", 1) or 1)
        if pix.ndim == 2:
            pix = pix[np.newaxis]
        if pix.shape != (n, frs[0].rows, frs[0].columns):
            raise FormatError(
                f"{f}: pixel data of shape {pix.shape}, expected "
                f"({n}, {frs[0].rows}, {frs[0].columns}) frames (colour image?)"
            )
        for fr in frs:
            out[(f, fr.index)] = pix[0 if fr.index is None else fr.index]
    return out


def _group_echoes(path: Path, frames: list[Frame], unreadable: list[str], allow_missing: bool):
    """Frames by echo time (ms, rounded); with ``allow_missing``, echoes that have fewer frames
    than the others are dropped and returned as the second item, otherwise refused."""
    echoes: dict[float | None, list[Frame]] = {}
    for fr in frames:  # a missing echo time is its own (single) group
        key = None if fr.echo_time is None else round(fr.echo_time, cfg.ECHO_TIME_DECIMALS)
        echoes.setdefault(key, []).append(fr)
    if None in echoes and len(echoes) > 1:
        raise FormatError(f"{path}: some frames have an EchoTime and others none; expected all or none")
    full = max(len(v) for v in echoes.values())
    # a None key (no echo time) is the only key, so never short
    short = sorted(k for k, v in echoes.items() if len(v) < full and k is not None)
    if not short:
        return echoes, []
    if not allow_missing:
        counts = ", ".join(f"{k:g} ms: {len(echoes[k])}" for k in short)
        why = f"; unreadable file(s): {', '.join(unreadable)}" if unreadable else ""
        raise EchoTimeError(
            f"{path}: echo(es) with fewer slices than the others ({counts}; the others: {full}){why}; "
            "expected the same slices for every echo (or the incomplete echoes left out)",
            option="allow_missing_echoes",
        )
    return {k: v for k, v in echoes.items() if k not in short}, [float(k) for k in short]


def _assemble(path: Path, stacks: list[list[Frame]]) -> np.ndarray:
    """The voxel array of the sorted echo stacks: ``[i, j, k]`` for one echo, ``[i, j, k, echo]`` for several."""
    pixels = _load_pixels(path, [fr for s in stacks for fr in s])
    # every frame or none, so the volume has one dtype: the stored integer type when no frame changes
    rescale = any(fr.slope != 1.0 or fr.intercept != 0.0 for s in stacks for fr in s)
    vols = []
    for stack in stacks:
        planes = []
        for fr in stack:
            p = pixels[(fr.path, fr.index)]
            planes.append(p * fr.slope + fr.intercept if rescale else p)
        vols.append(np.stack(planes, axis=-1).transpose(1, 0, 2))  # [row, col, k] -> [i, j, k]
    return vols[0] if len(vols) == 1 else np.stack(vols, axis=-1)


def read_dicom(
    path: str | os.PathLike, *, series: str | int | None = None, allow_missing_echoes: bool = False
) -> Image:
    """Read a DICOM series (a folder, or one file) into an :class:`Image`.

    Parameters
    ----------
    path : path-like
        A folder (searched recursively) or a single DICOM file.
    series : str or int, optional
        Which series to read when the folder holds several: SeriesNumber, SeriesInstanceUID or
        SeriesDescription (case-insensitive).
    allow_missing_echoes : bool
        Read a series in which some echoes have fewer frames than the others (a file lost or
        unreadable) by leaving those echoes out (listed in ``meta['DroppedEchoTimes']``);
        refused by default.

    Returns
    -------
    Image
        3-D for a single echo time; 4-D ``[i, j, k, echo]`` sorted by echo time, with
        ``echo_times`` in ms, when frames carry several echo times. Rescale slope/intercept are
        applied (float64 result when they change values, the stored integer type otherwise).
        Files that carry the DICOM signature but cannot be read are named in
        ``meta['UnreadableFiles']`` (relative to ``path``).

    Raises
    ------
    MissingFileError, FormatError, AmbiguousSeriesError, GeometryError, EchoTimeError
    """
    path = Path(path)
    frames, headers, ignored, unreadable = _scan(path)
    chosen = _pick_series(path, _series_table(frames), series)
    _check_common_grid(path, chosen)
    f0 = chosen[0]
    normal = np.cross(f0.row_cosine, f0.col_cosine)
    unreadable = _relative(path, unreadable)
    echoes, dropped = _group_echoes(path, chosen, unreadable, allow_missing_echoes)
    keys = sorted(echoes, key=lambda t: -1.0 if t is None else t)
    stacks: list[Any] = []
    direction_k, spacing_k = None, None
    for key in keys:
        stack, dk, sk = _slice_geometry(path, echoes[key], normal)
        if stacks and np.max(np.abs(stack[0].position - stacks[0][0].position)) > 1e-2:
            raise GeometryError(f"{path}: echo {key} ms starts at another position than echo {keys[0]} ms")
        stacks.append(stack)
        direction_k, spacing_k = (dk, sk) if direction_k is None else (direction_k, spacing_k)
    array = _assemble(path, stacks)
    direction = np.column_stack([f0.row_cosine, f0.col_cosine, cast(Any, direction_k)])
    spacing = (f0.pixel_spacing[1], f0.pixel_spacing[0], spacing_k)
    meta = acquisition_meta(headers[f0.path])
    meta["SliceThickness"] = f0.slice_thickness if f0.slice_thickness else meta.get("SliceThickness")
    meta["SpacingBetweenSlices"] = spacing_k
    meta["DicomFormat"] = "enhanced" if f0.index is not None else "classic"
    meta["NumberOfFiles"] = len({fr.path for s in stacks for fr in s})
    if ignored:
        meta["IgnoredFiles"] = ignored
    if unreadable:
        meta["UnreadableFiles"] = unreadable
    if dropped:
        meta["DroppedEchoTimes"] = dropped
    echo_times = None
    if len(keys) > 1:
        echo_times = tuple(float(k) for k in keys)
    elif keys[0] is not None:
        meta["EchoTime"] = float(keys[0])
    return Image(
        array,
        spacing=cast(tuple[float, float, float], spacing),
        origin=tuple(stacks[0][0].position),
        direction=direction,
        echo_times=echo_times,
        meta={k: v for k, v in meta.items() if v is not None},
        source=str(path),
    )
