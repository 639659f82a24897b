"""Carry a label map onto a T2 grid after rigidly aligning the series it was drawn on.

The muscles are drawn (or segmented) on one series, the Dixon water image, and averaged in
another, the MESE T2 map; the patient moves between the two. Carrying the labels through the
scanner coordinates alone keeps that motion as a mask offset. :func:`carry_aligned` first registers
the drawn-on image onto the first MESE echo (:func:`~myomri.preprocess.register.register_rigid`),
moves the labels' header by the correction, then carries them across, and records what it did.
"""

from __future__ import annotations

import numpy as np

from ..config import register as reg_cfg
from ..errors import FitError, GeometryError, InputError
from ..io.image import Image
from .geometry import grid_mismatches, transfer_mask
from .register import into_fixed_world, register_rigid

__all__ = ["carry_aligned", "ALIGN_STATUSES"]

#: ``off``: alignment disabled; ``applied``: the correction was used; ``refused``: beyond the sanity
#: bound, identity kept; ``skipped``: nothing to register (reason given), identity kept.
ALIGN_STATUSES = ("off", "applied", "refused", "skipped")


def _carry(labels: Image, target: Image) -> tuple[Image, float]:
    """Labels on ``target``'s grid and the fraction of labelled voxels inside it."""
    if grid_mismatches(labels, target):
        return transfer_mask(labels, target)
    return labels, 1.0


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    total = int(a.sum() + b.sum())
    return 1.0 if total == 0 else float(2.0 * np.logical_and(a, b).sum() / total)


def carry_aligned(
    labels: Image,
    target: Image,
    *,
    moving: Image | None,
    align: bool = True,
    max_translation_mm: float = reg_cfg.MAX_TRANSLATION_MM,
    max_rotation_deg: float = reg_cfg.MAX_ROTATION_DEG,
) -> tuple[Image, float, dict]:
    """Carry ``labels`` onto ``target``'s grid, aligning ``moving`` onto ``target`` first.

    Parameters
    ----------
    labels : Image
        Integer label map on ``moving``'s grid.
    target : Image
        The T2 series (a 4-D MESE series registers and receives through its first echo).
    moving : Image or None
        The image the labels were drawn on; alignment is skipped when it is None or not on the
        labels' grid (the labels would then not follow it).
    align : bool
        False: carry through the scanner coordinates only (``status`` 'off').
    max_translation_mm, max_rotation_deg : float
        Sanity bound of the correction; beyond it the identity is kept (``status`` 'refused').

    Returns
    -------
    (Image, float, dict)
        The labels on ``target``'s grid, the fraction of labelled voxels that landed inside it,
        and the record: ``status``, ``reason``, ``translation_mm``, ``rotation_deg``, their norms,
        ``overlap_unaligned`` / ``overlap_aligned`` (labelled-voxel fractions inside the T2 grid),
        ``dice_vs_unaligned`` (Dice of the carried mask with and without the correction) and the
        full ``registration`` result (None when none ran).

    Raises
    ------
    GeometryError
        No label lands on ``target``'s grid (from :func:`~myomri.preprocess.geometry.transfer_mask`).
    """
    plain, overlap = _carry(labels, target)
    record = {
        "status": "off",
        "reason": "",
        "translation_mm": [0.0, 0.0, 0.0],
        "rotation_deg": [0.0, 0.0, 0.0],
        "translation_norm_mm": 0.0,
        "rotation_angle_deg": 0.0,
        "overlap_unaligned": overlap,
        "overlap_aligned": overlap,
        "dice_vs_unaligned": 1.0,
        "registration": None,
    }
    if not align:
        record["reason"] = "alignment turned off (align: false)"
        return plain, overlap, record
    if moving is None or grid_mismatches(moving, labels):
        record.update(status="skipped", reason="no image on the labels' grid to register onto the T2 series")
        return plain, overlap, record
    try:
        result = register_rigid(
            moving, target, max_translation_mm=max_translation_mm, max_rotation_deg=max_rotation_deg
        )
    except (InputError, GeometryError, FitError) as exc:  # e.g. a one-slice MESE series: keep the identity
        record.update(status="skipped", reason=f"registration not possible: {exc}")
        return plain, overlap, record
    reg = result.to_dict()
    record.update(
        translation_mm=list(result.translation_mm),
        rotation_deg=list(result.rotation_deg),
        translation_norm_mm=reg["translation_norm_mm"],
        rotation_angle_deg=reg["rotation_angle_deg"],
        registration=reg,
    )
    if not result.accepted:
        record.update(status="refused", reason=result.reason)
        return plain, overlap, record
    moved, moved_overlap = _carry(into_fixed_world(labels, result), target)
    record.update(status="applied", overlap_aligned=moved_overlap, dice_vs_unaligned=_dice(moved.array, plain.array))
    return moved, moved_overlap, record
