"""Describe a file or folder for ``myomri info``: an image, a DICOM folder, a mask, an NPZ, a
label file, a sidecar or a table, as a JSON-ready dict.

Everything described comes from the image grid, the allow-listed acquisition metadata of
:class:`~myomri.io.image.Image` or array statistics: no patient field can reach the output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["describe_path", "describe_image"]


def describe_path(path, *, series=None) -> dict[str, Any]:
    """A JSON-ready description of whatever ``path`` is: an image, a DICOM folder, an NPZ, a table, a sidecar, a label file."""
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
    from .read import image_kind

    try:
        kind = image_kind(p)
    except FormatError as exc:
        raise FormatError(
            f"{p}: not something myomri can describe; expected an image (DICOM, .nii, "
            ".nii.gz, .nrrd, .nhdr), an .npz, an ITK-SNAP label file (.txt/.label), a .csv "
            "table, a .json sidecar or a .md text"
        ) from exc
    if kind == "dicom" and series is None:
        from .dicom import describe_dicom_folder

        listing, unreadable = describe_dicom_folder(p)
        if len(listing) > 1:
            for s in listing:
                s.pop("uid", None)  # UIDs are not shown (de-identification treats them as identifying)
            info: dict[str, Any] = {
                "path": str(p),
                "format": "dicom",
                "series": listing,
                "note": f"{len(listing)} series; one is described when chosen by its number or description",
            }
            if unreadable:
                info["warnings"] = [_unreadable_warning(unreadable)]
            return info
    from .read import read_image

    # describe what is there, incomplete echoes included, and say what is wrong with it
    info = describe_image(read_image(p, series=series, allow_missing_echoes=True), fmt=kind)
    warnings = _series_warnings(info["meta"], info["echo_times_ms"])
    if warnings:
        info["warnings"] = warnings
    return info


def _unreadable_warning(names) -> str:
    return (
        f"{len(names)} file(s) look like DICOM but cannot be read (damaged header?) and are "
        f"left out: {', '.join(names)}"
    )


def _series_warnings(meta: dict, echo_times) -> list[str]:
    """Problems of a series that reading it did not refuse: unreadable files, lost echoes."""
    from .read import missing_echo_times

    out = []
    if meta.get("UnreadableFiles"):
        out.append(_unreadable_warning(meta["UnreadableFiles"]))
    if meta.get("DroppedEchoTimes"):
        out.append(
            f"echo(es) {meta['DroppedEchoTimes']} ms have fewer slices than the others and "
            "are left out; a T2 fit refuses this series unless missing echoes are allowed"
        )
    missing = missing_echo_times(echo_times) if echo_times else []
    if missing:
        out.append(
            f"the echo train lacks the echo(es) at {missing} ms; a T2 fit refuses it unless missing echoes are allowed"
        )
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
        info["note"] = (
            "4-D image without echo times (no sidecar EchoTime, no header field); the 4th axis is not interpreted"
        )
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
    return {
        "path": str(path),
        "format": "npz",
        "arrays": out,
        "note": "NPZ holds bare arrays: no world geometry (origin/orientation); a 'resolution' "
        "array, when present, is the pixel size in mm",
    }


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
    from .sidecar import read_sidecar

    echo_times, meta = read_sidecar(path)
    return {
        "path": str(path),
        "format": "json-sidecar",
        "echo_times_ms": list(echo_times) if echo_times else None,
        "meta": meta,
    }


def _describe_labels(path: Path) -> dict[str, Any]:
    from .labels import read_label_table

    rows = read_label_table(path)
    return {"path": str(path), "format": "itksnap-labels", "labels": {str(r["label"]): r["name"] for r in rows}}


def _describe_text(path: Path) -> dict[str, Any]:
    """Documentation files (READMEs beside data sets): title and size only."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    title = next((ln.lstrip("# ").strip() for ln in lines if ln.strip()), "")
    return {
        "path": str(path),
        "format": "text",
        "title": title,
        "n_lines": len(lines),
        "note": "documentation, not image data",
    }


def _num(v):
    v = v.item() if hasattr(v, "item") else v
    return round(v, 6) if isinstance(v, float) else v


def _plain(v):
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v
