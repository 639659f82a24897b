"""Per-label statistics of a quantitative map (T2, FF, ...): count, mean, SD, median, IQR.

Map voxels equal to the "unfitted" value (0: voxels a fit left out) or non-finite are excluded
and counted, never averaged in. ``combine=True`` adds the whole-muscle value over both thighs as
seed paper 2 reports it (all labelled voxels pooled), plus one row per side when the labels follow
myomri's thigh scheme (right 1..12, left 13..24).

Label names come from ``names`` (a label file), else from the scheme when it is known
(``scheme="myomri"``: ``VL_R``, ...), else ``label_<value>``: a mask whose scheme is not known is
never named after thigh muscles just because its values are small integers.
"""

from __future__ import annotations

import os

import numpy as np

from ..config import labels as lab
from ..config import t2 as cfg
from ..errors import FormatError, InputError, MaskError
from ..io.image import Image

__all__ = ["roi_statistics", "check_scheme", "read_names", "map_roi_statistics"]

LABEL_SCHEMES = lab.LABEL_SCHEMES

COLUMNS = [
    "label",
    "name",
    "n_labelled",
    "n_excluded",
    "n",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "iqr",
]


def _stats(v: np.ndarray) -> dict:
    if v.size == 0:
        return dict(n=0, mean=np.nan, sd=np.nan, median=np.nan, q1=np.nan, q3=np.nan, iqr=np.nan)
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return dict(
        n=int(v.size),
        mean=float(v.mean()),
        sd=float(v.std(ddof=1)) if v.size > 1 else 0.0,
        median=float(med),
        q1=float(q1),
        q3=float(q3),
        iqr=float(q3 - q1),
    )


def roi_statistics(values, labels, *, names=None, combine=False, scheme=None, unfitted_value=cfg.ROI_UNFITTED_VALUE):
    """Statistics of ``values`` within each non-zero label of ``labels`` (same shape).

    Parameters
    ----------
    values, labels : ndarray
        The map and the integer label map, same shape.
    names : dict, optional
        ``{label: name}`` (e.g. from :func:`read_names`); wins over the scheme's names.
    combine : bool
        Add the pooled ``all`` row (and per-side rows when the scheme knows the sides).
    scheme : {None, 'myomri'}
        Label scheme of ``labels``; None (unknown) names labels ``label_<value>``.
    unfitted_value : float
        Map value of voxels a fit left out (excluded and counted). NaN: only non-finite values are
        left out, for maps where 0 is a value (a fat fraction map whose unfitted voxels are NaN).

    Returns
    -------
    pandas.DataFrame
        One row per label (columns ``COLUMNS``); with ``combine`` also ``all_muscles`` and, for
        the myomri scheme, ``all_R`` / ``all_L``. A label whose voxels were all excluded has n = 0
        and NaN statistics (it is listed, not dropped).

    Raises
    ------
    MaskError
        Shapes differ, non-integer labels, no label, or labels outside the given scheme.
    """
    import pandas as pd

    values = np.asarray(values, dtype=float)
    labels = np.asarray(labels)
    if values.shape != labels.shape:
        raise MaskError(f"label map shape {labels.shape} does not match map shape {values.shape}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise MaskError("label map holds non-integer values; expected integer labels")
        labels = labels.astype(np.int64)
    present = [int(v) for v in np.unique(labels) if v != 0]
    if not present:
        raise MaskError("label map holds no label (all zero)")
    usable = np.isfinite(values) & (values != unfitted_value)
    check_scheme(present, scheme)
    thigh = scheme == "myomri"
    rows = []

    def add(label, name, sel):
        v = values[sel & usable]
        rows.append(
            dict(label=label, name=name, n_labelled=int(sel.sum()), n_excluded=int((sel & ~usable).sum()), **_stats(v))
        )

    for value in present:
        name = (names or {}).get(value) or (lab.label_name(value) if thigh else f"label_{value}")
        add(value, name, labels == value)
    if combine:
        if thigh:
            for side_index, side in enumerate(lab.SIDES):
                side_values = [v for v in present if (v - 1) // lab.N_MUSCLES == side_index]
                if side_values:
                    add(f"all_{side}", f"all muscles, {lab.SIDE_NAMES[side]}", np.isin(labels, side_values))
        add("all", "all_muscles", labels != 0)
    return pd.DataFrame(rows, columns=COLUMNS)


def check_scheme(values, scheme: str | None) -> None:
    """Raise :class:`MaskError` when label ``values`` (non-zero) fall outside ``scheme`` (None: any values).

    Raises
    ------
    InputError
        ``scheme`` is not one of ``LABEL_SCHEMES``.
    MaskError
        Labels outside myomri's thigh scheme where ``scheme`` is "myomri".
    """
    if scheme is not None and scheme not in LABEL_SCHEMES:
        raise InputError(f"label scheme {scheme!r} unknown; expected one of {', '.join(LABEL_SCHEMES)}")
    outside = sorted({int(v) for v in values} - {0, *lab.LABEL_VALUES})
    if scheme == "myomri" and outside:
        raise MaskError(
            f"label(s) {outside[:10]} are not in the myomri thigh scheme (1..{max(lab.LABEL_VALUES)}: "
            "right 1..12, left 13..24); expected a myomri label map, or no label scheme"
        )


def read_names(path: str | os.PathLike) -> dict[int, str]:
    """Label names from an ITK-SNAP label file, or from ``value name`` lines."""
    from ..io.labels import read_label_names, refuse_binary_text_file

    refuse_binary_text_file(path, "an ITK-SNAP label file or 'value name' lines")
    try:
        return read_label_names(path)
    except FormatError:
        pass
    names = {}
    for n, line in enumerate(open(path, encoding="utf-8-sig").read().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").replace("\t", " ").split(None, 1)
        try:
            names[int(parts[0])] = parts[1].strip().strip('"') if len(parts) > 1 else ""
        except ValueError as exc:
            raise FormatError(
                f"{path} line {n}: {line!r}; expected an ITK-SNAP label file or 'value name' lines"
            ) from exc
    if not names:
        raise FormatError(f"{path}: no label names found")
    return names


def map_roi_statistics(value_map: Image, mask: Image, *, names=None, combine=False, scheme=None,
                       unfitted_value=cfg.ROI_UNFITTED_VALUE):  # fmt: skip
    """``roi_statistics`` of two images; a mask on another grid is carried onto the map's grid
    through world coordinates. Returns ``(table, overlap)`` (overlap 1.0 on the same grid)."""
    from ..preprocess.geometry import grid_mismatches, transfer_mask

    if value_map.array.ndim != 3:
        raise InputError(f"{value_map.source or 'map'}: expected a 3-D map, got shape {value_map.shape}")
    overlap, transferred = 1.0, False
    if grid_mismatches(mask, value_map):
        mask, overlap = transfer_mask(mask, value_map)
        transferred = True
    try:
        table = roi_statistics(value_map.array, mask.array, names=names, combine=combine, scheme=scheme,
                               unfitted_value=unfitted_value)  # fmt: skip
    except MaskError as exc:  # name the mask file
        raise MaskError(f"{mask.source or 'mask'}: {exc}") from exc
    table["mask_transferred"] = transferred
    table["mask_overlap"] = overlap
    return table, overlap
