"""``myomri info PATH``: describe an image, a DICOM folder, a mask, an NPZ, a label file or a table.

Everything printed comes from the image grid, the allow-listed acquisition metadata of
:class:`~myomri.io.image.Image` or array statistics: no patient field can reach the output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run", "describe_path"]


def register(subparsers) -> None:
    """Add the ``info`` subcommand."""
    p = subparsers.add_parser(
        "info",
        help="describe an image, DICOM folder, mask, NPZ, label file or table",
        description=(
            "Print shape, spacing, orientation, origin, echo times, series description, field "
            "strength, data type and value range of an image (DICOM folder/file, NIfTI, NRRD), "
            "the series of a DICOM folder holding several, the arrays of an .npz file (no "
            "geometry), the labels of an ITK-SNAP label file, or the size of a CSV table. "
            "Patient fields are never shown."
        ),
    )
    p.add_argument("path", help="file or DICOM folder")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--series", default=None,
                   help="DICOM folder with several series: number, UID or description to describe")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Describe ``args.path`` on stdout; returns 0."""
    info = describe_path(args.path, series=args.series)
    if args.json:
        json.dump(info, sys.stdout, indent=2, default=_json_default)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_text(info))
    return 0


# --- description ----------------------------------------------------------------------------
def describe_path(path, *, series=None) -> dict[str, Any]:
    """A JSON-ready description of whatever ``path`` is (see the module docstring)."""
    from ..errors import FormatError, MissingFileError

    p = Path(path)
    if not p.exists():
        raise MissingFileError(p, "file or folder")
    name = p.name.lower()
    if name.endswith(".npz"):
        return _describe_npz(p)
    if name.endswith(".csv") or name.endswith(".tsv"):
        return _describe_table(p)
    if name.endswith(".json"):
        return _describe_sidecar(p)
    if name.endswith((".txt", ".label")):
        return _describe_labels(p)
    if name.endswith((".md", ".rst")):
        return _describe_text(p)
    from ..io.read import image_kind

    try:
        kind = image_kind(p)
    except FormatError as exc:
        raise FormatError(
            f"{p}: not something myomri info can describe; expected an image (DICOM, .nii, "
            ".nii.gz, .nrrd, .nhdr), an .npz, an ITK-SNAP label file (.txt/.label), a .csv "
            "table, a .json sidecar or a .md text"
        ) from exc
    if kind == "dicom" and series is None:
        from ..io.dicom import describe_dicom_folder

        listing, unreadable = describe_dicom_folder(p)
        if len(listing) > 1:
            for s in listing:
                s.pop("uid", None)  # UIDs are not shown (de-identification treats them as identifying)
            info = {"path": str(p), "format": "dicom", "series": listing,
                    "note": f"{len(listing)} series: choose one with --series NUMBER or DESCRIPTION"}
            if unreadable:
                info["warnings"] = [_unreadable_warning(unreadable)]
            return info
    from ..io.read import read_image

    # describe what is there, incomplete echoes included, and say what is wrong with it
    info = describe_image(read_image(p, series=series, allow_missing_echoes=True), fmt=kind)
    warnings = _series_warnings(info["meta"], info["echo_times_ms"])
    if warnings:
        info["warnings"] = warnings
    return info


def _unreadable_warning(names) -> str:
    return (f"{len(names)} file(s) look like DICOM but cannot be read (damaged header?) and are "
            f"left out: {', '.join(names)}")


def _series_warnings(meta: dict, echo_times) -> list[str]:
    """Problems of a series that reading it did not refuse: unreadable files, lost echoes."""
    from ..io.read import missing_echo_times

    out = []
    if meta.get("UnreadableFiles"):
        out.append(_unreadable_warning(meta["UnreadableFiles"]))
    if meta.get("DroppedEchoTimes"):
        out.append(f"echo(es) {meta['DroppedEchoTimes']} ms have fewer slices than the others and "
                   "are left out; t2fit refuses this series without --allow-missing-echoes")
    missing = missing_echo_times(echo_times) if echo_times else []
    if missing:
        out.append(f"the echo train lacks the echo(es) at {missing} ms; t2fit refuses it without "
                   "--allow-missing-echoes")
    return out


def describe_image(image, *, fmt: str) -> dict[str, Any]:
    """Grid, acquisition metadata and value statistics of an :class:`Image`."""
    import numpy as np

    arr = np.asarray(image.array)
    finite = np.isfinite(arr) if arr.dtype.kind in "fc" else None
    n_bad = int(arr.size - finite.sum()) if finite is not None else 0
    vals = arr[finite] if finite is not None and n_bad else arr
    info: dict[str, Any] = {
        "path": image.source,
        "format": fmt,
        "shape": list(image.shape),
        "dtype": str(arr.dtype),
        "spacing_mm": [round(s, 6) for s in image.spacing],
        "origin_lps_mm": [round(o, 4) for o in image.origin],
        "orientation": image.orientation,
        # one LPS unit vector per axis (the columns of Image.direction); + 0.0 drops "-0"
        "axis_directions_lps": (np.round(image.direction.T, 6) + 0.0).tolist(),
        "n_volumes": image.n_volumes,
        "echo_times_ms": list(image.echo_times) if image.echo_times is not None else None,
        "value_range": [_num(vals.min()), _num(vals.max())] if vals.size else None,
        "nonzero_voxels": int(np.count_nonzero(arr)),
        "non_finite_voxels": n_bad,
    }
    if arr.ndim == 4 and image.echo_times is None:
        info["note"] = ("4-D image without echo times (no sidecar EchoTime, no header field); "
                        "the 4th axis is not interpreted")
    if np.issubdtype(arr.dtype, np.integer) and arr.ndim == 3:
        labels = np.unique(arr)
        if 0 < labels.size <= 64:
            info["distinct_values"] = labels.tolist()
    info["meta"] = {k: _plain(v) for k, v in image.meta.items()}
    return info


def _describe_npz(path: Path) -> dict[str, Any]:
    import numpy as np

    from ..errors import FormatError

    try:
        with np.load(path, allow_pickle=False) as npz:  # never unpickle: it could run code
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zipfile/ValueError for pickled or corrupt archives
        raise FormatError(f"{path}: cannot read as .npz without pickles ({exc})") from exc
    out = {}
    for key, a in arrays.items():
        d: dict[str, Any] = {"shape": list(a.shape), "dtype": str(a.dtype)}
        if a.size and a.dtype.kind in "biuf":
            d["value_range"] = [_num(np.nanmin(a)), _num(np.nanmax(a))]
            d["nonzero"] = int(np.count_nonzero(a))
        elif a.size <= 8:
            d["value"] = a.tolist()
        out[key] = d
    return {"path": str(path), "format": "npz", "arrays": out,
            "note": "NPZ holds bare arrays: no world geometry (origin/orientation); a 'resolution' "
                    "array, when present, is the pixel size in mm"}


def _describe_table(path: Path) -> dict[str, Any]:
    import csv

    from ..errors import FormatError

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(f"{path}: cannot read as a CSV table ({exc})") from exc
    header = rows[0] if rows else []
    return {"path": str(path), "format": "table", "columns": header, "n_rows": max(len(rows) - 1, 0)}


def _describe_sidecar(path: Path) -> dict[str, Any]:
    from ..io.sidecar import read_sidecar

    echo_times, meta = read_sidecar(path)
    return {"path": str(path), "format": "json-sidecar",
            "echo_times_ms": list(echo_times) if echo_times else None, "meta": meta}


def _describe_labels(path: Path) -> dict[str, Any]:
    from ..io.labels import read_label_table

    rows = read_label_table(path)
    return {"path": str(path), "format": "itksnap-labels",
            "labels": {str(r["label"]): r["name"] for r in rows}}


def _describe_text(path: Path) -> dict[str, Any]:
    """Documentation files (READMEs beside data sets): title and size only."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    title = next((ln.lstrip("# ").strip() for ln in lines if ln.strip()), "")
    return {"path": str(path), "format": "text", "title": title, "n_lines": len(lines),
            "note": "documentation, not image data"}


# --- formatting -----------------------------------------------------------------------------
def _num(v):
    v = v.item() if hasattr(v, "item") else v
    return round(v, 6) if isinstance(v, float) else v


def _plain(v):
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _json_default(o):
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def format_text(info: dict[str, Any]) -> str:
    """Human-readable lines ``key: value`` (nested dicts indented)."""
    lines: list[str] = []

    def emit(key, value, indent=0):
        pad = "  " * indent
        if isinstance(value, dict) and not value:
            lines.append(f"{pad}{key}: none")
        elif isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            for k, v in value.items():
                emit(k, v, indent + 1)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{key}:")
            for item in value:
                lines.append(f"{pad}  - " + ", ".join(f"{k}={_short(v)}" for k, v in item.items()))
        elif value is None:
            lines.append(f"{pad}{key}: none")
        else:
            lines.append(f"{pad}{key}: {_short(value)}")

    for k, v in info.items():
        if k == "warnings":  # one line each, so they are not lost in a bracketed list
            lines.extend(f"warning: {w}" for w in v)
        else:
            emit(k, v)
    return "\n".join(lines) + "\n"


def _short(v) -> str:
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return "[" + ", ".join(_short(x) for x in v) + "]"
        return "[" + ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
