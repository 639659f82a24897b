"""NRRD reading and writing (via pynrrd) with LPS geometry.

NRRD's ``space directions`` give one vector per axis (spacing times direction) and ``space
origin`` the centre of the first voxel, so they map one to one onto :class:`Image` once the
space is known (``left-posterior-superior`` or ``right-anterior-superior``; RAS is flipped to
LPS). A non-spatial axis (``space directions`` ``none``, e.g. echoes or a 3D Slicer list axis)
becomes the 4th axis. Echo times (ms) are stored in a header field of their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..config import io as cfg
from ..errors import FormatError, MissingFileError
from .atomic import atomic_path
from .image import LPS_TO_RAS, Image

__all__ = ["read_nrrd", "write_nrrd"]

_SPACES = {
    "left-posterior-superior": np.eye(3),
    "lps": np.eye(3),
    "right-anterior-superior": LPS_TO_RAS,
    "ras": LPS_TO_RAS,
}


def read_nrrd(path: str | os.PathLike) -> Image:
    """Read a ``.nrrd`` or ``.nhdr`` file into an :class:`Image`.

    Raises
    ------
    MissingFileError
        The file does not exist.
    FormatError
        Not a readable NRRD, an unsupported space, or more than one non-spatial axis.
    """
    import nrrd

    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "NRRD file")
    try:
        array, header = nrrd.read(str(path), index_order="F")
    except Exception as exc:  # pynrrd raises NRRDError, ValueError, OSError, ...
        raise FormatError(f"{path}: cannot read as NRRD ({type(exc).__name__}: {exc})") from exc
    array = np.asarray(array)
    space = str(header.get("space", "left-posterior-superior")).lower()
    if space not in _SPACES:
        raise FormatError(f"{path}: NRRD space {space!r} not supported; expected LPS or RAS")
    flip = _SPACES[space]
    dirs = header.get("space directions")
    if dirs is None:  # no world geometry at all: unit grid (say so in meta)
        spatial = list(range(min(array.ndim, 3)))
        vectors = np.eye(3)[: len(spatial)]
        meta = {"NoGeometry": True}
    else:
        dirs = np.asarray(dirs, dtype=float)
        spatial = [ax for ax in range(dirs.shape[0]) if np.all(np.isfinite(dirs[ax]))]
        vectors = dirs[spatial]
        meta = {}
    other = [ax for ax in range(array.ndim) if ax not in spatial]
    if len(spatial) not in (2, 3) or len(other) > 1:
        raise FormatError(
            f"{path}: NRRD with {len(spatial)} spatial and {len(other)} other axes; expected a "
            "2-D/3-D grid with at most one extra (echo/list) axis"
        )
    array = np.transpose(array, spatial + other)
    vectors = vectors @ flip.T  # to LPS
    spacing = np.linalg.norm(vectors, axis=1)
    if np.any(spacing == 0):
        raise FormatError(f"{path}: NRRD space directions {vectors.tolist()} have a zero vector")
    direction = (vectors / spacing[:, np.newaxis]).T
    if len(spatial) == 2:  # a 2-D NRRD: one slice, the slice axis completes a right-handed frame
        array = array[:, :, np.newaxis, ...]
        normal = np.cross(direction[:, 0], direction[:, 1])
        direction = np.column_stack([direction, normal])
        spacing = np.append(spacing, 1.0)
    origin = np.asarray(header.get("space origin", np.zeros(3)), dtype=float)
    origin = flip @ origin if origin.size == 3 else np.zeros(3)
    echo_times = None
    if cfg.NRRD_ECHO_TIMES_KEY in header and array.ndim == 4:
        echo_times = _header_echo_times(header, cfg.NRRD_ECHO_TIMES_KEY, None, path)
    elif (
        "MultiVolume.FrameLabels" in header
        and array.ndim == 4
        and "echo" in str(header.get("MultiVolume.FrameIdentifyingDICOMTagName", "")).lower()
    ):
        echo_times = _header_echo_times(header, "MultiVolume.FrameLabels", ",", path)
    return Image(
        array,
        spacing=spacing,
        origin=cast(Any, origin),
        direction=direction,
        echo_times=echo_times,
        meta=meta,
        source=str(path),
    )


def _header_echo_times(header, key: str, sep: str | None, path) -> tuple[float, ...]:
    """Echo times (ms) from header field ``key``, or FormatError naming the file and the field."""
    text = str(header[key])
    try:
        return tuple(float(v) for v in text.split(sep) if v.strip())
    except ValueError:
        raise FormatError(
            f"{path}: header field {key} = {text!r} is not a list of numbers; expected the echo times in ms"
        ) from None


def write_nrrd(image: Image, path: str | os.PathLike, *, compress: bool = True) -> Path:
    """Write ``image`` as NRRD atomically (LPS space; echo times kept for 4-D images).

    ``.nhdr`` writes a detached header with the data in a ``.raw`` (or ``.raw.gz``) beside it.
    Only geometry and echo times are written: no other metadata (hence no patient information).
    """
    import nrrd

    path = Path(path)
    array = np.asarray(image.array)
    if array.dtype == bool:
        array = array.astype(np.uint8)
    vectors = (image.direction * np.asarray(image.spacing)[np.newaxis, :]).T  # one row per axis
    header: dict = {
        "space": "left-posterior-superior",
        "space origin": np.asarray(image.origin, dtype=float),
        "encoding": "gzip" if compress else "raw",
    }
    if array.ndim == 4:
        header["space directions"] = np.vstack([vectors, np.full((1, 3), np.nan)])
        header["kinds"] = ["domain", "domain", "domain", "list"]
        if image.echo_times is not None:
            header[cfg.NRRD_ECHO_TIMES_KEY] = " ".join(f"{t:.6g}" for t in image.echo_times)
    else:
        header["space directions"] = vectors
        header["kinds"] = ["domain", "domain", "domain"]
    if path.name.lower().endswith(".nhdr"):
        _write_detached(path, array, header)
    else:
        with atomic_path(path) as tmp:
            nrrd.write(str(tmp), array, header, index_order="F")
    return path


def _write_detached(path: Path, array: np.ndarray, header: dict) -> None:
    """Header + data file: both written in a temporary folder under their final names, then the
    data and lastly the header are moved into place (a reader never finds a header without data)."""
    import tempfile

    import nrrd

    path.parent.mkdir(parents=True, exist_ok=True)
    stem = path.name[: -len(".nhdr")]
    data_name = stem + (".raw.gz" if header["encoding"] == "gzip" else ".raw")
    with tempfile.TemporaryDirectory(prefix=f".{stem}.", dir=path.parent) as tmpdir:
        tmp_header = Path(tmpdir) / path.name
        nrrd.write(str(tmp_header), array, header, detached_header=True, index_order="F", relative_data_path=True)
        written = [p for p in Path(tmpdir).iterdir() if p != tmp_header]
        if len(written) != 1:
            raise FormatError(f"{path}: NRRD writer produced {len(written)} data files, expected 1")
        header_text = tmp_header.read_text()
        header_text = header_text.replace(f"data file: {written[0].name}", f"data file: {data_name}")
        tmp_header.write_text(header_text)
        os.replace(written[0], path.with_name(data_name))
        os.replace(tmp_header, path)
