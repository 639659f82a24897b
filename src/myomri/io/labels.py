"""ITK-SNAP label description files: ``IDX R G B A VIS MSH "LABEL"`` per line, ``#`` comments."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from ..errors import FormatError, MissingFileError

__all__ = ["read_label_names", "read_label_table"]


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
                f"{path} line {n}: {line!r} is not an ITK-SNAP label line ({exc}); expected "
                'IDX R G B A VIS MSH "LABEL"'
            ) from exc
        if idx in seen:
            raise FormatError(f"{path} line {n}: label {idx} defined twice")
        seen.add(idx)
        rows.append({"label": idx, "color": (r, g, b), "alpha": alpha, "visible": bool(vis),
                     "mesh": bool(msh), "name": name})
    if not rows:
        raise FormatError(f"{path}: no label lines found; expected an ITK-SNAP label description file")
    return rows


def read_label_names(path: str | os.PathLike, *, include_background: bool = False) -> dict[int, str]:
    """``{label: name}`` from an ITK-SNAP label file (label 0, "Clear Label", left out by default)."""
    return {
        row["label"]: row["name"]
        for row in read_label_table(path)
        if include_background or row["label"] != 0
    }
