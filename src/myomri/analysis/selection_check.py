"""How optimistic selecting features once on all subjects is: the same study with the selection nested.

Seed paper 1 ran the univariate filter and the SFS once on all subjects and then cross-validated the
classifiers on the selected features (``selection.mode: published``). The selection has then seen the
labels of every test fold, so the cross-validated estimates are biased upwards (selection bias:
Ambroise & McLachlan, PNAS 2002). With ``selection.nested_check: R`` a published-mode study also runs
each classifier for the first R repeats with the selection refitted inside every outer training fold
(as ``mode: nested`` does) on the same splits: ``RepeatedStratifiedKFold`` draws its repeats one after
the other from the seed, so the first R repeats of a longer run are the R repeats of a shorter one.
Both means over those R repeats are reported side by side; their difference is the optimism of the
published protocol on this data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .study_checks import class_size_problem
from .study_config import StudyConfig, Task
from .validation import build_pipeline, repeat_metrics, run_repeated_cv

__all__ = ["COLUMNS", "nested_check_rows", "check_frame"]

#: Columns of ``selection_check.csv``: the published and nested means over the same first ``repeats``.
COLUMNS = ["task", "classifier", "metric", "average", "repeats", "published", "nested", "optimism"]
_METRICS = ("auc", "accuracy")


def _means(rows, repeats: int, average: str) -> dict[str, float]:
    """Mean over repeats ``0 .. repeats-1`` of each metric in ``_METRICS`` at ``average``."""
    return {
        m: float(np.mean([v for r, metric, a, v in rows if r < repeats and metric == m and a == average]))
        for m in _METRICS
    }


def nested_check_rows(
    task: Task, clf: str, X: np.ndarray, y: np.ndarray, classes: list[str], published_rows, config: StudyConfig,
    *, n_jobs: int = 1,
) -> tuple[list[tuple], list[str]]:  # fmt: skip
    """Rows of ``COLUMNS`` for one task and classifier, and notes.

    Parameters
    ----------
    X : ndarray (n_subjects, n_features)
        Every feature the published selection chose from (after the reproducibility and collinearity
        filters), so that the nested selection has the same candidates.
    published_rows : list of (repeat, metric, average, value)
        The published-mode per-repeat metrics of this task and classifier (``repeat_metrics``).

    Returns
    -------
    rows, notes
        No rows, and a note saying why, when a class is too small for the nested selection's inner folds.
    """
    n_rep = int(config.nested_check)
    counts = {c: int(np.sum(y == i)) for i, c in enumerate(classes)}
    small = {c: why for c, n in counts.items() if (why := class_size_problem(n, folds=config.folds, mode="nested",
                                                                          classifiers=[clf]))}  # fmt: skip
    if small:
        return [], [f"nested check of {task.name}/{clf} skipped: class(es) {sorted(small)} "
                    f"{next(iter(small.values()))}"]  # fmt: skip
    template = build_pipeline(clf, mode="nested", univariate_p=config.univariate_p, k=config.k, seed=config.seed)
    res = run_repeated_cv(template, X, y, folds=config.folds, repeats=n_rep, seed=config.seed, n_jobs=n_jobs)
    average = task.positive or "macro"
    pub = _means(published_rows, n_rep, average)
    nes = _means(repeat_metrics(res, y, classes=classes, positive=task.positive), n_rep, average)
    return [(task.name, clf, m, average, n_rep, pub[m], nes[m], pub[m] - nes[m]) for m in _METRICS], []


def check_frame(rows: list[tuple]) -> pd.DataFrame:
    """The ``selection_check`` table (empty with its columns when no check ran)."""
    return pd.DataFrame(rows, columns=COLUMNS)
