"""Comparing classifiers on the same repeated CV: the corrected resampled t-test.

Nadeau & Bengio (2003): with J = folds x repeats paired per-fold score differences d_j, the
variance of their mean is inflated by the overlap of training sets,
``t = mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with J - 1 degrees of freedom.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import t as t_dist

from ..errors import InputError

__all__ = ["corrected_resampled_ttest", "fold_accuracy"]


def fold_accuracy(pred: np.ndarray, fold: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Accuracy of every (repeat, fold): (repeats, folds) from out-of-fold predictions and fold ids."""
    n_folds = int(fold.max()) + 1
    correct = (pred == y[None, :]).astype(float)
    out = np.empty((pred.shape[0], n_folds))
    for f in range(n_folds):
        m = fold == f
        out[:, f] = np.where(m, correct, 0.0).sum(axis=1) / m.sum(axis=1)
    return out


def corrected_resampled_ttest(scores_a: np.ndarray, scores_b: np.ndarray, *, n_train: int, n_test: int):
    """Two-sided corrected resampled t-test of paired per-fold scores.

    Returns
    -------
    mean_difference, t, df, p : float
        ``t`` and ``p`` are NaN (with df) when the differences have zero variance and zero mean;
        a non-zero mean with zero variance gives ``t = +-inf`` and ``p = 0``.
    """
    d = np.ravel(np.asarray(scores_a, float) - np.asarray(scores_b, float))
    if d.size < 2:
        raise InputError(f"corrected t-test needs at least 2 paired scores; got {d.size}")
    if n_train < 1 or n_test < 1:
        raise InputError(f"n_train and n_test must be positive; got {n_train}, {n_test}")
    j = d.size
    mean = float(d.mean())
    var = float(d.var(ddof=1))
    denom = np.sqrt((1.0 / j + n_test / n_train) * var)
    df = j - 1
    if denom == 0:
        if mean == 0:
            return mean, float("nan"), df, float("nan")
        return mean, float(np.sign(mean) * np.inf), df, 0.0
    t = mean / denom
    return mean, float(t), df, float(2 * t_dist.sf(abs(t), df))
