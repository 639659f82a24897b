"""The run's tidy per-muscle table ``t2_per_muscle.csv``: one row per subject x side x muscle.

Built from each subject's ``roi_stats.csv`` (``tables.roistats``, combine=True). A label of
myomri's thigh scheme is split into muscle and side (``VL_R`` -> VL, R); a label of an unknown
scheme keeps its name as the muscle with an empty side; the pooled rows appear as muscle ``all``
with side R, L or ``both``.
"""

from __future__ import annotations

from ..config import labels as lab

__all__ = ["PER_MUSCLE_COLUMNS", "tidy_per_muscle"]

PER_MUSCLE_COLUMNS = ["subject", "side", "muscle", "n_voxels", "t2_mean", "t2_sd", "t2_median", "t2_iqr", "ff_mean"]


def _side_muscle(label: str, name: str) -> tuple[str, str]:
    if label == "all":
        return "both", "all"
    if label.startswith("all_"):
        return label[4:], "all"
    if label.isdigit() and int(label) in lab.LABEL_VALUES and name == lab.label_name(int(label)):
        muscle, side = lab.muscle_side(int(label))
        return side, muscle
    return "", name


def tidy_per_muscle(roi_tables):
    """Concatenate per-subject ROI tables into the tidy per-muscle layout.

    Parameters
    ----------
    roi_tables : iterable of pandas.DataFrame
        Each a subject's ``roi_stats.csv`` (columns subject, label, name, n, mean, sd, median,
        iqr and, after an EPG fit, ff_mean).

    Returns
    -------
    pandas.DataFrame
        Columns ``PER_MUSCLE_COLUMNS`` (water T2 in ms; ff_mean empty after a mono-exponential fit).
    """
    import pandas as pd

    rows = []
    for table in roi_tables:
        for r in table.to_dict("records"):
            side, muscle = _side_muscle(str(r["label"]), str(r["name"]))
            rows.append(
                {
                    "subject": str(r["subject"]),
                    "side": side,
                    "muscle": muscle,
                    "n_voxels": int(r["n"]),
                    "t2_mean": r["mean"],
                    "t2_sd": r["sd"],
                    "t2_median": r["median"],
                    "t2_iqr": r["iqr"],
                    "ff_mean": r.get("ff_mean"),
                }
            )
    return pd.DataFrame(rows, columns=PER_MUSCLE_COLUMNS)
