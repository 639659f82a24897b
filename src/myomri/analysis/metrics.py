"""Classification metrics from pooled out-of-fold predictions, computed once per repeat.

Definitions are scikit-learn's (``zero_division=0``): macro values are unweighted means of the
per-class values; the one-vs-rest AUC of a class is the Mann-Whitney statistic of its probability
column (average ranks for ties), which equals ``roc_auc_score``; macro AUC is their mean, which
equals ``roc_auc_score(multi_class="ovr", average="macro")``. Binary tasks report sensitivity
(recall of the positive class), specificity (recall of the negative class), precision, F1 and AUC
of the positive class.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["confusion_counts", "auc_ovr", "compute_metrics", "bootstrap_macro_auc"]


def confusion_counts(y_idx: np.ndarray, pred_idx: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix, rows = true class, columns = predicted class (integer class indices)."""
    return np.bincount(y_idx * n_classes + pred_idx, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def auc_ovr(y_idx: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """One-vs-rest AUC per class; ``proba`` is (..., n_samples, n_classes), vectorised over leading axes."""
    n_classes = proba.shape[-1]
    out = np.empty(proba.shape[:-2] + (n_classes,))
    for c in range(n_classes):
        pos = y_idx == c
        n_pos = pos.sum(axis=-1)
        n_neg = y_idx.shape[-1] - n_pos
        ranks = rankdata(proba[..., c], axis=-1)
        r_pos = np.where(pos, ranks, 0.0).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[..., c] = (r_pos - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
    return out


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def compute_metrics(
    y_idx: np.ndarray, proba: np.ndarray, pred_idx: np.ndarray, *, classes: list[str], positive: str | None = None
) -> list[tuple[str, str, float]]:
    """(metric, average, value) rows for one repeat.

    Parameters
    ----------
    y_idx, pred_idx : int arrays (n_samples,), class indices into ``classes``
    proba : (n_samples, n_classes), columns in ``classes`` order
    positive : str or None
        Binary tasks: the positive class; rows then have average = that class name.
    """
    k = len(classes)
    cm = confusion_counts(y_idx, pred_idx, k).astype(float)
    tp = np.diag(cm)
    recall = _safe_div(tp, cm.sum(axis=1))
    precision = _safe_div(tp, cm.sum(axis=0))
    f1 = _safe_div(2 * precision * recall, precision + recall)
    auc = auc_ovr(y_idx, proba)
    accuracy = tp.sum() / cm.sum()
    if positive is not None:
        p = classes.index(positive)
        n = 1 - p
        return [
            ("accuracy", positive, float(accuracy)),
            ("sensitivity", positive, float(recall[p])),
            ("specificity", positive, float(recall[n])),
            ("precision", positive, float(precision[p])),
            ("f1", positive, float(f1[p])),
            ("auc", positive, float(auc[p])),
        ]
    rows = [
        ("auc", "macro", float(auc.mean())),
        ("accuracy", "macro", float(accuracy)),
        ("recall", "macro", float(recall.mean())),
        ("precision", "macro", float(precision.mean())),
        ("f1", "macro", float(f1.mean())),
    ]
    for i, c in enumerate(classes):
        rows += [
            ("recall", c, float(recall[i])),
            ("precision", c, float(precision[i])),
            ("f1", c, float(f1[i])),
            ("auc", c, float(auc[i])),
        ]
    return rows


def bootstrap_macro_auc(
    y_idx: np.ndarray, proba: np.ndarray, *, n_boot: int, seed: int, level: float = 0.95, positive: int | None = None
) -> tuple[float, float]:
    """Percentile bootstrap CI of the (macro, or positive-class) AUC, resampling subjects.

    ``proba`` is each subject's out-of-fold probability averaged over the repeats. Resamples
    lacking a class are redrawn implicitly by being ignored (their AUC is undefined).
    """
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y_idx.size, size=(n_boot, y_idx.size))
    auc = auc_ovr(y_idx[idx], proba[idx])
    stat = auc[:, positive] if positive is not None else auc.mean(axis=1)
    stat = stat[np.isfinite(stat)]
    if stat.size == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    return float(np.quantile(stat, a)), float(np.quantile(stat, 1 - a))
