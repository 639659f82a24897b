"""Reading, sampling and describing the volumes the viewer shows.

The *edit grid* of a subject is the grid of its label map (so a saved correction lands on exactly
the original grid); the image, a quantitative map or any second image are carried onto it through
world (LPS) coordinates, nearest neighbour, when they lie on another grid. Arrays travel to the
page flattened with ``i`` fastest (Fortran order), so one axial slice ``k`` is one contiguous run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import GeometryError, InputError
from ..io.image import Image

__all__ = [
    "SubjectView",
    "load_subject",
    "sample_onto",
    "label_entries",
    "label_stats",
    "to_bytes",
    "from_bytes",
    "display_window",
]

#: Largest label value the page can paint (labels travel as uint16).
MAX_LABEL = 65535


def sample_onto(image: Image, grid: Image) -> np.ndarray:
    """``image`` (first volume when 4-D) sampled at the voxel centres of ``grid``, nearest neighbour.

    Centres outside ``image`` get NaN. Returns a float32 array of ``grid.spatial_shape``.
    """
    src = np.asarray(image.volume(0).array if image.array.ndim == 4 else image.array, dtype=np.float32)
    ni, nj, nk = grid.spatial_shape
    out = np.full((ni, nj, nk), np.nan, dtype=np.float32)
    ii, jj = (a.ravel() for a in np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij"))
    for k in range(nk):  # one slice at a time: the coordinate arrays stay small on 512 x 512 x 200 grids
        idx = np.stack([ii, jj, np.full_like(ii, k)], axis=1)
        vals = _nearest(src, image, image.world_to_index(grid.index_to_world(idx)))
        out[:, :, k] = vals.reshape(ni, nj)
    return out


def _nearest(src: np.ndarray, image: Image, frac: np.ndarray) -> np.ndarray:
    """Values of ``src`` at the voxels nearest to the fractional indices ``frac`` (n, 3); NaN outside."""
    r = np.floor(frac + 0.5).astype(np.int64)
    shape = np.asarray(src.shape)
    if shape[2] == 1:  # a single slice is a slab of its own thickness
        half = 0.5 * float(image.meta.get("SliceThickness") or image.spacing[2]) / image.spacing[2]
        ok = np.all((r[:, :2] >= 0) & (r[:, :2] < shape[:2]), axis=1) & (np.abs(frac[:, 2]) <= half + 1e-9)
        r[:, 2] = 0
    else:
        ok = np.all((r >= 0) & (r < shape), axis=1)
    vals = np.full(r.shape[0], np.nan, dtype=np.float32)
    vals[ok] = src[r[ok, 0], r[ok, 1], r[ok, 2]]
    return vals


def to_bytes(array: np.ndarray, dtype) -> bytes:
    """``array`` as raw little-endian bytes of ``dtype``, ``i`` fastest."""
    return np.asarray(array, dtype=np.dtype(dtype).newbyteorder("<")).ravel(order="F").tobytes()


def from_bytes(data: bytes, shape: tuple[int, int, int], dtype=np.uint16) -> np.ndarray:
    """Inverse of :func:`to_bytes`; raises :class:`InputError` when the size does not fit ``shape``."""
    dt = np.dtype(dtype).newbyteorder("<")
    n = int(np.prod(shape))
    if len(data) != n * dt.itemsize:
        raise InputError(f"label data of {len(data)} bytes; expected {n * dt.itemsize} for grid {shape}")
    return np.frombuffer(data, dtype=dt).reshape(shape, order="F").astype(dt.newbyteorder("="))


def display_window(array: np.ndarray) -> list[float]:
    """A default window (1st and 99.5th percentile of the finite voxels); ``[0, 1]`` when none."""
    finite = np.asarray(array)[np.isfinite(array)]
    if finite.size == 0:
        return [0.0, 1.0]
    lo, hi = (float(v) for v in np.percentile(finite, [1.0, 99.5]))
    return [lo, hi if hi > lo else lo + 1.0]


def label_entries(values, table: list[dict] | None = None) -> list[dict]:
    """Name and colour of every label value: from an ITK-SNAP table, else the thigh labels, else a palette."""
    from ..config import labels as lab

    known = {row["label"]: (row["name"], list(row["color"])) for row in table or [] if row["label"] != 0}
    if not known:
        known = {row["value"]: (row["name"], list(row["rgb"])) for row in lab.label_table()}
    out = []
    for v in sorted({int(x) for x in values} | set(known)):
        if v == 0:
            continue
        name, rgb = known.get(v, (f"label {v}", _palette(v)))
        out.append({"value": v, "name": name, "rgb": rgb})
    return out


def _palette(v: int) -> list[int]:
    # golden-angle hues: neighbouring values get distinct colours
    import colorsys

    r, g, b = colorsys.hsv_to_rgb((v * 0.618034) % 1.0, 0.75, 0.95)
    return [int(255 * r), int(255 * g), int(255 * b)]


@dataclass
class SubjectView:
    """What the server keeps of one subject: the edit grid and the arrays on it."""

    subject: str
    grid: Image
    image: np.ndarray
    labels: np.ndarray
    original_labels: np.ndarray
    label_path: Path | None
    image_path: Path
    map_image: Image | None = None
    map_on_grid: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def voxel_ml(self) -> float:
        """Volume of one voxel of the edit grid in mL."""
        return float(np.prod(self.grid.spacing)) / 1000.0


def load_subject(subject: str, image_path, label_path=None, map_path=None, *, start_labels=None) -> SubjectView:
    """Read one subject: the label map's grid becomes the edit grid, the rest is carried onto it.

    Parameters
    ----------
    start_labels : path-like, optional
        A label map on the same grid to start editing from (an earlier saved correction).

    Raises
    ------
    GeometryError
        The label map and the image do not overlap at all (nothing to show).
    """
    from ..io.read import read_image, read_mask
    from ..preprocess.geometry import check_same_grid, grid_mismatches

    image = read_image(image_path)
    notes = []
    if label_path is None:
        grid = image.volume(0) if image.array.ndim == 4 else image
        labels = np.zeros(grid.spatial_shape, np.uint16)
    else:
        mask = read_mask(label_path)
        grid = mask
        labels = _as_labels(mask)
        if grid_mismatches(mask, image):
            notes.append(
                f"the label map {Path(label_path).name} is on another grid than the image "
                f"({mask.describe_grid()} vs {image.describe_grid()}): the image is shown carried "
                "onto the label map's grid through world coordinates, and corrections are saved "
                "on the label map's own grid"
            )
    pixels = _on_grid(image, grid)
    if label_path is not None and not np.isfinite(pixels).any():
        raise GeometryError(
            f"the label map {label_path} ({grid.describe_grid()}) does not overlap the image "
            f"{image_path} ({image.describe_grid()}) at all: no image voxel lands on it "
            "(different patient space?)"
        )
    n_nan = int(np.isnan(pixels).sum())
    if n_nan:
        notes.append(
            f"{n_nan} voxels of the edit grid have no finite image value (NaN or outside the "
            "image): shown in blue, read out as NaN"
        )
    current = labels
    if start_labels is not None:
        start = read_mask(start_labels)
        check_same_grid(start, grid, names=("saved correction", "label map"))
        current = _as_labels(start)
        notes.append(f"editing the saved correction {Path(start_labels).name}")
    view = SubjectView(subject, grid, pixels, current.copy(), labels, None if label_path is None else Path(label_path),
                       Path(image_path), notes=notes)  # fmt: skip
    if map_path is not None:
        value_map = read_image(map_path)
        view.map_image = value_map.volume(0) if value_map.array.ndim == 4 else value_map
        view.map_on_grid = _on_grid(view.map_image, grid)
    return view


def _as_labels(mask: Image) -> np.ndarray:
    arr = np.asarray(mask.array)
    if arr.min() < 0 or arr.max() > MAX_LABEL:
        raise InputError(f"{mask.source}: label values {arr.min()}..{arr.max()}; the viewer edits 0..{MAX_LABEL}")
    return arr.astype(np.uint16)


def _on_grid(image: Image, grid: Image) -> np.ndarray:
    from ..preprocess.geometry import grid_mismatches

    vol = image.volume(0) if image.array.ndim == 4 else image
    if not grid_mismatches(vol, grid):
        return np.asarray(vol.array, dtype=np.float32)
    return sample_onto(vol, grid)


def label_stats(view: SubjectView, labels: np.ndarray | None = None, names: dict | None = None) -> list[dict]:
    """Per label: voxel count, volume (mL) and, with a map, its mean and SD (``roi-stats``' numbers)."""
    labels = view.labels if labels is None else labels
    counts = np.bincount(labels.ravel().astype(np.int64))
    rows: dict[int, dict[str, Any]] = {int(v): {"value": int(v), "n": int(counts[v]), "volume_ml": float(counts[v] * view.voxel_ml)}
            for v in np.nonzero(counts)[0] if v != 0}  # fmt: skip
    if view.map_image is not None and rows and view.map_image.array.ndim == 3:
        from ..tables.roistats import map_roi_statistics

        try:
            table, _ = map_roi_statistics(view.map_image, view.grid.with_array(labels), names=names)
        except GeometryError:
            table = None
        for rec in [] if table is None else table.to_dict("records"):
            row = rows.get(int(rec["label"]))
            if row is not None:
                row.update(map_n=int(rec["n"]), map_mean=_num(rec["mean"]), map_sd=_num(rec["sd"]))
    return [rows[v] for v in sorted(rows)]


def _num(x) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else x
