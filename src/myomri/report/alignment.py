"""The report's account of the series alignment (Dixon water onto MESE echo 1) per subject.

Built from the subject T2 table alone (its ``align*`` and ``mask_*`` columns), so it does not need
to know where the pipeline keeps its files.
"""

from __future__ import annotations

import html

from .tables import frame_to_html

__all__ = ["alignment_section"]

_COLUMNS = {
    "subject": "subject",
    "align": "alignment",
    "align_translation_mm": "translation (mm)",
    "align_rotation_deg": "rotation (deg)",
    "mask_overlap_unaligned": "mask in T2 field, before",
    "mask_overlap": "mask in T2 field, after",
    "mask_dice_unaligned": "Dice before vs after",
}


def alignment_section(subjects) -> str:
    """``<h3>`` + summary sentence + per-subject table; '' when the table has no alignment columns.

    Parameters
    ----------
    subjects : pandas.DataFrame
        The subject T2 table (one row per subject).
    """
    if subjects is None or "align" not in subjects.columns:
        return ""
    status = subjects["align"].astype(str)
    counts = status.value_counts()
    shift = subjects.loc[status == "applied", "align_translation_mm"]
    angle = subjects.loc[status == "applied", "align_rotation_deg"]
    text = (
        "Before the muscle labels were carried onto the T2 grid, the series they were drawn on (Dixon "
        "water) was rigidly registered onto the first MESE echo (Mattes mutual information); a "
        "correction beyond the sanity bound was refused and the identity kept. Alignment per subject: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + "."
    )
    if len(shift):
        text += (
            f" Applied corrections: translation median {shift.median():.2f} mm (max {shift.max():.2f}), "
            f"rotation median {angle.median():.2f} deg (max {angle.max():.2f})."
        )
    table = subjects[[c for c in _COLUMNS if c in subjects.columns]].rename(columns=_COLUMNS)
    return f'<h3 id="alignment">Series alignment</h3><p>{html.escape(text)}</p>' + frame_to_html(table, max_rows=None)
