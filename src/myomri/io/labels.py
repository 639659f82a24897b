"""ITK-SNAP label description files: ``IDX R G B A VIS MSH "LABEL"`` per line, ``#`` comments."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from ..config.labels import format_itksnap_labels
from ..errors import FormatError, MissingFileError
from .atomic import atomic_write_text

__all__ = ["read_label_names", "read_label_table", "refuse_binary_text_file", "write_itksnap_labels"]

_NIFTI_MAGICS = {
    (344, b"n+1\x00"): "a NIfTI-1 image",
    (344, b"ni1\x00"): "a NIfTI-1 header",
    (4, b"n+2\x00"): "a NIfTI-2 image",
}


def _binary_kind(head: bytes) -> str:
    """What a binary file's first bytes look like, for the message."""
    for (offset, magic), kind in _NIFTI_MAGICS.items():
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head[128:132] == b"DICM":
        return "a DICOM file"
    return "binary data"


def refuse_binary_text_file(path: str | os.PathLike, expected: str) -> None:
    """Raise :class:`FormatError` when ``path`` holds binary data (e.g. an image renamed ``.txt``).

    Parameters
    ----------
    path : path-like
        A file that should be text.
    expected : str
        What it should be, for the message (``"an ITK-SNAP label file"``).
    """
    import gzip

    if not Path(path).is_file():
        return  # the caller reports a missing file in its own words
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:2] == b"\x1f\x8b":  # gzip: look inside for an image header
        try:
            with gzip.open(path, "rb") as fh:
                inner = fh.read(352)
            kind = _binary_kind(inner)
            kind = "gzip-compressed data" if kind == "binary data" else f"{kind}, gzip-compressed"
        except (OSError, EOFError):
            kind = "gzip-compressed data"
    elif b"\x00" in head:
        kind = _binary_kind(head)
    else:
        return
    hint = (
        "; rename it to .nii.gz"
        if kind.startswith("a NIfTI") and "gzip" in kind
        else ("; rename it to .nii" if kind.startswith("a NIfTI") else "")
    )
    raise FormatError(f"{path}: holds {kind}, not text; expected {expected}{hint}")


def read_label_table(path: str | os.PathLike) -> list[dict]:
    """Parse every label line: index, colour (r, g, b), alpha, visibility, mesh flag and name.

    Raises
    ------
    MissingFileError
        The file does not exist.
    FormatError
        A line does not have the 8 ITK-SNAP fields, or an index appears twice.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "ITK-SNAP label file")
    refuse_binary_text_file(path, "an ITK-SNAP label description file")
    rows: list[dict] = []
    seen: set[int] = set()
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parts = shlex.split(line)  # the name is quoted and may hold spaces
            if len(parts) < 8:
                raise ValueError(f"{len(parts)} fields")
            idx = int(parts[0])
            r, g, b = (int(v) for v in parts[1:4])
            alpha = float(parts[4])
            vis, msh = int(parts[5]), int(parts[6])
            name = " ".join(parts[7:])
        except ValueError as exc:
            raise FormatError(
                f'{path} line {n}: {line!r} is not an ITK-SNAP label line ({exc}); expected IDX R G B A VIS MSH "LABEL"'
            ) from exc
        if idx in seen:
            raise FormatError(f"{path} line {n}: label {idx} defined twice")
        seen.add(idx)
        rows.append(
            {"label": idx, "color": (r, g, b), "alpha": alpha, "visible": bool(vis), "mesh": bool(msh), "name": name}
        )
    if not rows:
        raise FormatError(f"{path}: no label lines found; expected an ITK-SNAP label description file")
    return rows


def read_label_names(path: str | os.PathLike, *, include_background: bool = False) -> dict[int, str]:
    """``{label: name}`` from an ITK-SNAP label file (label 0, "Clear Label", left out by default)."""
    return {row["label"]: row["name"] for row in read_label_table(path) if include_background or row["label"] != 0}


def write_itksnap_labels(path: str | os.PathLike) -> Path:
    """Write the ITK-SNAP label description file of the myomri thigh labels atomically.

    (Here and not in ``config.labels``: ``io`` imports ``config``, never the other way round.)
    """
    return atomic_write_text(path, format_itksnap_labels())
