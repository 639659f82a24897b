"""The T2 stage's per-subject tables: ROI statistics of water T2 and fat fraction, the subject summary.

Used by :func:`myomri.pipeline.stages.run_t2_subject`; apart from it so that the stage's module stays short.
"""

from __future__ import annotations

import numpy as np

__all__ = ["label_scheme", "check_label_scheme", "t2_roi_table", "t2_summary"]


def t2_roi_table(fit, lab: np.ndarray, task: dict):
    """The subject's ROI statistics of water T2 (and the EPG fat fraction), per muscle and ``all``."""
    from ..tables.roistats import roi_statistics

    t2_unfit = np.where(fit.fitted, fit.t2, 0.0)  # roistats excludes 0 (unfitted) voxels and counts them
    scheme = label_scheme(task["segmentation"])
    table = roi_statistics(t2_unfit, lab, combine=True, scheme=scheme)
    table.insert(0, "subject", task["subject"])
    if fit.ff is not None:
        # unfitted voxels are NaN here: a fat fraction of exactly 0 is a value, not a voxel left out
        ff = np.where(fit.fitted, fit.ff, np.nan)
        ff_tab = roi_statistics(ff, lab, combine=True, scheme=scheme, unfitted_value=np.nan)
        table["ff_mean"] = ff_tab["mean"].to_numpy()
    return table


def label_scheme(seg: dict) -> str | None:
    """The muscle labels' scheme: as the study file declares it, or for "auto" myomri's thigh scheme
    where the DL model wrote them, else unknown (labels then keep ``label_<value>`` names)."""
    scheme = seg.get("label_scheme", "auto")
    if scheme == "auto":
        return "myomri" if seg["method"] == "dl" else None
    return scheme


def t2_summary(task: dict, table, counts: dict, overlap: float, profile, alignment: dict) -> dict:
    """The subject summary: whole-muscle T2 (row ``all`` of ``table``), fit counts, slice profile, alignment."""
    whole = table[table["label"].astype(str) == "all"].iloc[0]
    return {
        "subject": task["subject"],
        "t2_mean": float(whole["mean"]),
        "t2_median": float(whole["median"]),
        "t2_sd": float(whole["sd"]),
        "ff_mean": float(whole["ff_mean"]) if "ff_mean" in table else None,
        "n_voxels": int(whole["n"]),
        "n_excluded": int(whole["n_excluded"]),
        "mask_overlap": float(overlap),
        "fit_failed": int(counts.get("failed", 0)),
        "slices": task["t2"]["slices"],
        "slice_profile": profile.enabled,
        "slice_profile_reason": profile.reason,
        **_alignment_columns(alignment),
    }


def check_label_scheme(lab: np.ndarray, task: dict) -> None:
    """Raise :class:`~myomri.errors.MaskError` naming the label file when labels declared myomri's are not
    (the check ``roi_statistics`` makes after the fit, made before it)."""
    from ..errors import MaskError
    from ..tables.roistats import check_scheme

    if task["segmentation"]["method"] == "dl":  # the network writes myomri's labels
        return
    try:
        check_scheme(np.unique(lab), label_scheme(task["segmentation"]))
    except MaskError as exc:
        raise MaskError(f"{task['labels']}: {exc} (the study's segmentation.label_scheme)") from None


def _alignment_columns(record: dict) -> dict:
    """The subject summary's flat view of an alignment record (the full record is alignment.json)."""
    return {
        "align": record["status"],
        "align_translation_mm": round(float(record["translation_norm_mm"]), 3),
        "align_rotation_deg": round(float(record["rotation_angle_deg"]), 3),
        "mask_overlap_unaligned": float(record["overlap_unaligned"]),
        "mask_dice_unaligned": round(float(record["dice_vs_unaligned"]), 4),
    }
