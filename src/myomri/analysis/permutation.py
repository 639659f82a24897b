"""Permutation test of the whole pipeline (selection included) against shuffled labels."""

from __future__ import annotations

import numpy as np

from .metrics import auc_ovr
from .validation import run_repeated_cv

__all__ = ["permutation_test"]


def _score(result, y, positive_idx):
    auc = auc_ovr(y, result.proba)  # (repeats, classes)
    stat = auc[:, positive_idx] if positive_idx is not None else auc.mean(axis=1)
    return float(stat.mean())


def permutation_test(
    template,
    X,
    y,
    *,
    observed: float,
    n_permutations: int,
    folds: int,
    repeats: int,
    seed: int,
    positive_idx: int | None = None,
    n_jobs: int = 1,
):
    """p-value of the observed mean (macro or positive-class) AUC under label permutation.

    Each permutation shuffles the labels with ``default_rng(seed).permutation`` (one generator for
    the whole test) and reruns the complete pipeline with the same CV settings, so feature
    selection is repeated under the null as well. ``p = (1 + #{null >= observed}) / (1 + n)``.

    Returns
    -------
    p_value : float
    null : ndarray (n_permutations,)
    """
    rng = np.random.default_rng(seed)
    null = np.empty(n_permutations)
    for i in range(n_permutations):
        y_perm = rng.permutation(y)
        res = run_repeated_cv(template, X, y_perm, folds=folds, repeats=repeats, seed=seed, n_jobs=n_jobs)
        null[i] = _score(res, y_perm, positive_idx)
    p = (1.0 + np.sum(null >= observed)) / (1.0 + n_permutations)
    return float(p), null
