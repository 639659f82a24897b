"""Saving what the page drew: corrected label maps and reader ROIs, never over an original.

A corrected label map goes beside the original as ``<name>_corrected.nii.gz`` (then
``<name>_corrected-2.nii.gz``, ...), written atomically on exactly the original grid: for a NIfTI
original, its own header and affine are reused, so the affine is bit-identical. A save names the
*signature* (SHA-256) of the file its edits started from; when that file has changed since (another
tab saved), the edits go to the next free version instead, and the reply says so: nothing is lost
and nothing is overwritten silently. Every save adds a line to ``corrections.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_path, atomic_write_text

__all__ = ["naming_base", "correction_target", "file_signature", "save_correction", "save_reader_roi", "CORRECTIONS_COLUMNS",
           "ConflictError"]  # fmt: skip

CORRECTIONS_COLUMNS = ("time", "subject", "original", "corrected", "slices_edited", "voxels_changed", "note")
_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr")
_READER_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")
#: One save at a time: the check of the signature and the rename must not interleave.
_SAVE_LOCK = threading.Lock()


class ConflictError(InputError):
    """A save that would overwrite or duplicate something (HTTP 409)."""


def _split(path: Path) -> tuple[str, str]:
    for suf in _SUFFIXES:
        if path.name.lower().endswith(suf):
            return path.name[: -len(suf)], path.name[-len(suf) :]
    return path.stem, path.suffix


def _version(stem: str, suffix: str, n: int) -> str:
    return f"{stem}_corrected{'' if n == 1 else f'-{n}'}{suffix}"


def naming_base(label_path: Path | None, image_path: Path) -> Path:
    """The file corrections are named after: the label map, or ``<image>_labels`` when there is none."""
    if label_path is not None:
        return Path(label_path)
    return Path(image_path).with_name(_split(Path(image_path))[0] + "_labels.nii.gz")


def correction_target(label_path: Path) -> tuple[Path, bool]:
    """``(path, exists)`` of the newest correction of ``label_path`` (or of the first one to write)."""
    stem, suffix = _split(label_path)
    suffix = suffix if suffix in (".nii.gz", ".nii", ".nrrd") else ".nii.gz"
    first = label_path.parent / _version(stem, suffix, 1)
    if not first.exists():
        return first, False
    n = 1
    while (label_path.parent / _version(stem, suffix, n + 1)).exists():
        n += 1
    return label_path.parent / _version(stem, suffix, n), True


def _next_free(target: Path) -> Path:
    stem, suffix = _split(target)
    stem = re.sub(r"_corrected(-\d+)?$", "", stem)
    n = 2
    while (target.parent / _version(stem, suffix, n)).exists():
        n += 1
    return target.parent / _version(stem, suffix, n)


def file_signature(path: Path) -> str:
    """SHA-256 of the file's bytes, or ``'absent'``."""
    path = Path(path)
    if not path.is_file():
        return "absent"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_like(reference: Path, grid, array: np.ndarray, target: Path) -> None:
    """Write ``array`` on ``reference``'s grid: a NIfTI reference lends its header and affine."""
    dtype = np.uint8 if array.max(initial=0) <= 255 else np.uint16
    name = reference.name.lower()
    ref: Any = None
    if name.endswith((".nii", ".nii.gz")) and target.name.lower().endswith((".nii", ".nii.gz")):
        import nibabel as nib

        ref = nib.load(str(reference))
    if ref is not None and len(ref.shape) == 3:
        header = ref.header.copy()
        header.set_data_dtype(dtype)
        header.set_slope_inter(1.0, 0.0)
        for key in ("descrip", "aux_file", "db_name"):  # free text; keep nothing but the grid
            if key in header.keys():
                header[key] = b""
        out = type(ref)(array.astype(dtype), ref.affine, header=header)
        with atomic_path(target) as tmp:
            nib.save(out, str(tmp))
        return
    from ..io.read import write_image

    write_image(grid.with_array(array.astype(dtype)), target)


def _edited_slices(new: np.ndarray, original: np.ndarray) -> tuple[list[int], int]:
    diff = new != original
    return [int(k) for k in np.nonzero(diff.any(axis=(0, 1)))[0]], int(diff.sum())


def _append_csv(path: Path, row: dict, columns) -> None:
    buf = io.StringIO()
    if path.is_file():
        buf.write(path.read_text())
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    if not path.is_file():
        writer.writeheader()
    writer.writerow(row)
    atomic_write_text(path, buf.getvalue())


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def save_correction(view, labels: np.ndarray, *, base: str, corrections_csv: Path) -> dict:
    """Write ``labels`` (on ``view.grid``) as the subject's correction; return what happened.

    Returns
    -------
    dict
        ``status`` (``'saved'`` or ``'versioned'`` when the file the edits started from changed in
        the meantime), ``file``, ``signature`` of the written file (the next save's ``base``),
        ``slices_edited`` (k indices that differ from the original) and ``message``.

    Raises
    ------
    InputError
        ``labels`` does not have the grid's shape. OSError when the folder is not writable (the
        caller reports it; nothing was written under the final name).
    """
    labels = np.asarray(labels)
    if labels.shape != view.grid.spatial_shape:
        raise InputError(f"labels of shape {labels.shape}; expected the grid {view.grid.spatial_shape}")
    reference = view.label_path or view.image_path
    with _SAVE_LOCK:
        target, _ = correction_target(naming_base(view.label_path, view.image_path))
        status, message = "saved", ""
        if file_signature(target) != base:
            target = target if not target.exists() else _next_free(target)
            status = "versioned"
            message = (f"this label map was saved elsewhere (another tab or window) since these edits started; "
                       f"they were saved as {target.name} so that neither version is lost")  # fmt: skip
        _write_like(reference, view.grid, labels, target)
        slices, changed = _edited_slices(labels, view.original_labels)
        _append_csv(corrections_csv, {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "subject": view.subject,
            "original": _rel(reference, corrections_csv.parent), "corrected": _rel(target, corrections_csv.parent),
            "slices_edited": " ".join(str(k) for k in slices), "voxels_changed": changed, "note": status,
        }, CORRECTIONS_COLUMNS)  # fmt: skip
    view.labels = labels.astype(np.uint16)
    return {
        "status": status,
        "file": target.name,
        "path": str(target),
        "signature": file_signature(target),
        "slices_edited": slices,
        "voxels_changed": changed,
        "message": message or f"saved {target.name} ({changed} voxels changed on {len(slices)} slice(s))",
    }


def save_reader_roi(entry, reader: str, roi: np.ndarray, grid, manifest: Path | None) -> dict:
    """Write a reader's 2-D ROI as ``roi/<subject>_reader-<id>_roi.nii.gz`` and add its manifest row.

    Raises
    ------
    InputError
        Bad reader id, empty ROI, or an ROI spread over several slices.
    ConflictError
        This reader already has an ROI for the subject (a repeat needs its own id, e.g. ``R1b``).
    """
    if not _READER_ID.match(reader or ""):
        raise InputError(f"reader id {reader!r}: expected 1-16 letters or digits, e.g. R1, R2, R1b")
    roi = (np.asarray(roi) > 0).astype(np.uint8)
    slices = np.nonzero(roi.any(axis=(0, 1)))[0]
    if slices.size == 0:
        raise InputError("the ROI is empty: draw it before saving")
    if slices.size > 1:
        raise InputError(f"the ROI covers slices {slices.tolist()}; a reader ROI is 2-D (one slice)")
    subject_dir = entry.stir.parent.parent
    target = subject_dir / "roi" / f"{entry.subject}_reader-{reader}_roi.nii.gz"
    with _SAVE_LOCK:
        if target.exists() or reader in entry.readers:
            raise ConflictError(
                f"reader {reader} already has an ROI for {entry.subject}; "
                "a repeated reading needs its own id (e.g. R1b)"
            )
        _write_like(entry.stir, grid, roi, target)
        if manifest is not None:
            _add_manifest_row(manifest, entry, reader, target)
        entry.readers.append(reader)
    return {
        "status": "saved",
        "file": target.name,
        "path": str(target),
        "slice": int(slices[0]),
        "n_pixels": int(roi.sum()),
        "message": f"saved {target.name} ({int(roi.sum())} pixels)",
    }


def _add_manifest_row(manifest: Path, entry, reader: str, target: Path) -> None:
    with open(manifest, newline="", encoding="utf-8-sig") as fh:
        reader_csv = csv.DictReader(fh)
        columns = list(reader_csv.fieldnames or [])
    row = {c: "" for c in columns}
    row.update({k: v for k, v in (entry.manifest_row or {}).items() if k in row})
    row.update(subject=entry.subject, reader=reader, mask=_rel(target, manifest.parent))
    if "label" in row:
        row["label"] = "1"
    if "image" in row and not row["image"]:
        row["image"] = _rel(entry.stir, manifest.parent)
    text = manifest.read_text(encoding="utf-8-sig")
    buf = io.StringIO()
    buf.write(text if text.endswith("\n") else text + "\n")
    csv.DictWriter(buf, fieldnames=columns, lineterminator="\n").writerow(row)
    atomic_write_text(manifest, buf.getvalue())
