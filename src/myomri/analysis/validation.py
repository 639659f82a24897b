"""Repeated stratified cross-validation with per-repeat pooled out-of-fold predictions.

Splits are ``RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)``.
Each outer fold fits a clone of the whole pipeline (z-score, and in nested mode the univariate
filter and SFS, then the classifier) on its training part only. Outer folds run in parallel
(joblib processes); the result is identical for any ``n_jobs`` because every fit is seeded.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline

from ..config import analysis as cfg
from ..cores import clamp_jobs
from ..errors import InputError
from .classifiers import RankSafeQDA, make_classifier
from .lean import lean_sklearn
from .metrics import compute_metrics
from .reduction import ZScore
from .selection import ForwardSFS, UnivariateFilter

__all__ = [
    "build_pipeline",
    "check_target",
    "count_fit_warnings",
    "recorded_fit_warnings",
    "CVResult",
    "run_repeated_cv",
    "repeat_metrics",
]

#: Prefix of the note counters under which :func:`count_fit_warnings` keeps the warnings other than
#: ConvergenceWarnings, followed by ``<Category>: <first line of the message>``.
WARNING_KEY = "warning "


def build_pipeline(
    classifier: str,
    *,
    mode: str = cfg.SELECTION_MODE,
    univariate_p: float = cfg.UNIVARIATE_P,
    k=cfg.SFS_K,
    seed: int = cfg.VALIDATION_SEED,
) -> Pipeline:
    """z-score [-> univariate filter -> forward SFS] -> classifier, as one sklearn Pipeline.

    In ``nested`` mode the selectors are steps of the pipeline, so they are refitted inside every
    outer training fold. In ``published``/``none`` mode the columns are fixed beforehand.
    """
    steps = [("zscore", ZScore())]
    if mode == "nested":
        sizes = [int(np.asarray(k))] if np.isscalar(k) else list(k)
        steps += [
            ("univariate", UnivariateFilter(p_threshold=univariate_p, min_features=min(sizes))),
            # skip_forced: when the filter leaves exactly min(k) candidates the selection is forced;
            # not for QDA, whose SFS fits are counted for the rank-deficiency notes.
            ("sfs", ForwardSFS(make_classifier(classifier, seed=seed), k=k, skip_forced=classifier != "qda")),
        ]
    steps.append(("classifier", make_classifier(classifier, seed=seed)))
    return Pipeline(steps)


def check_target(y: np.ndarray, *, folds: int, task: str = "task", class_names=None) -> None:
    """Raise a clear error when stratified k-fold cannot run on these labels."""
    classes, counts = np.unique(y, return_counts=True)
    if class_names is not None:
        classes = np.array([class_names[int(c)] for c in classes])
    if classes.size < 2:
        raise InputError(f"{task}: target has a single class {classes.tolist()}; need at least two")
    small = {str(c): int(n) for c, n in zip(classes, counts) if n < folds}
    if small:
        raise InputError(
            f"{task}: class(es) {small} have fewer subjects than the {folds} CV folds; "
            "lower validation.folds or merge classes"
        )


@dataclass
class CVResult:
    """Out-of-fold results of a repeated CV: arrays indexed [repeat, subject(, class)]."""

    proba: np.ndarray
    pred: np.ndarray
    fold: np.ndarray
    selected: list = field(default_factory=list)  # (repeat, fold, tuple of column indices)
    notes: dict = field(default_factory=dict)


@contextlib.contextmanager
def recorded_fit_warnings():
    """Record, not print, every occurrence of the warnings a block of fits gives (yields their list).

    Every category Python shows by default is recorded each time it occurs, so that a count means
    occurrences on every path (a "default" filter would keep one per location and block); the ones it
    hides by default (deprecation, import and resource warnings of library internals) stay hidden.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=category)
        yield caught


def count_fit_warnings(caught) -> dict[str, int]:
    """Note counters for the warnings recorded around a block of fits.

    ConvergenceWarnings (the MLP at scikit-learn's default ``max_iter``) go under
    ``convergence_warnings``; every other warning under ``WARNING_KEY + "<Category>: <message>"``
    (its first line). Why counters: a study reports each warning once with its count, where a line
    per fold on stderr would repeat it up to folds x repeats times, and dropping it would hide it.
    """
    counts = {"convergence_warnings": 0}
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            counts["convergence_warnings"] += 1
            continue
        lines = str(w.message).strip().splitlines() or [""]
        key = f"{WARNING_KEY}{w.category.__name__}: {lines[0][:200]}"
        counts[key] = counts.get(key, 0) + 1
    return counts


_THREADS_LIMITED = False


def _limit_threads() -> None:
    """One BLAS/OpenMP thread per process, once per worker.

    The models are tiny (tens of subjects, a few features): multi-threaded BLAS only adds thread
    start-up and, on a shared machine, oversubscription (measured: calibrated SVC 0.75 s -> 0.025 s
    per fit with one thread). Parallelism comes from the outer folds instead.
    """
    global _THREADS_LIMITED
    if not _THREADS_LIMITED:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        _THREADS_LIMITED = True


def _fit_fold(template, X, y, train, test, limit_threads=False):
    if limit_threads:
        _limit_threads()
    est = clone(template)
    # lean_sklearn: scikit-learn skips only checks that cannot change a result (X is finite,
    # checked in run_repeated_cv); see lean.py. Warnings are recorded with fixed filters, so the counts
    # are the same here and in a worker process.
    with recorded_fit_warnings() as caught, lean_sklearn():
        est.fit(X[train], y[train])
        proba = est.predict_proba(X[test])
        pred = est.predict(X[test])
    notes = count_fit_warnings(caught)
    selected = tuple(range(X.shape[1]))
    if isinstance(est, Pipeline):
        if "univariate" in est.named_steps:
            uni = est.named_steps["univariate"]
            cols = np.flatnonzero(uni.support_)
            notes["univariate_fallback"] = int(uni.fallback_)
            if isinstance(est.named_steps["sfs"].estimator, RankSafeQDA):
                notes["qda_fallback_in_sfs_fits"] = est.named_steps["sfs"].n_fallback_fits_
            selected = tuple(int(c) for c in cols[est.named_steps["sfs"].support_])
        final = est.steps[-1][1]
    else:
        final = est
    if isinstance(final, RankSafeQDA):
        notes["qda_fallback"] = int(final.fallback_used_)
    return proba, pred, selected, notes


def run_repeated_cv(
    template,
    X: np.ndarray,
    y: np.ndarray,
    *,
    folds: int = cfg.VALIDATION_FOLDS,
    repeats: int = cfg.VALIDATION_REPEATS,
    seed: int = cfg.VALIDATION_SEED,
    n_jobs: int = 1,
    progress: bool = False,
    task: str = "task",
) -> CVResult:
    """Run the repeated stratified CV of ``template`` on ``X`` and integer labels ``y`` (0..K-1).

    Returns pooled out-of-fold probabilities (repeats, n, K), predictions and fold ids (repeats, n).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    check_target(y, folds=folds, task=task)
    if not np.isfinite(X).all():
        bad = sorted({int(c) for c in np.argwhere(~np.isfinite(X))[:, 1]})
        raise InputError(f"{task}: feature matrix has NaN/inf values in column(s) {bad}; expected finite numbers")
    n_jobs, _ = clamp_jobs(n_jobs)  # callers (run_study, the CLI) report a clamp
    n_classes = np.unique(y).size
    splits = list(RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed).split(X, y))
    if n_jobs == 1:
        it = splits
        if progress:
            from tqdm import tqdm

            it = tqdm(splits, desc=task, unit="fold", leave=False)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            outs = [_fit_fold(template, X, y, tr, te) for tr, te in it]
    else:
        from joblib import Parallel, delayed

        outs = Parallel(n_jobs=n_jobs)(delayed(_fit_fold)(template, X, y, tr, te, True) for tr, te in splits)
    proba = np.empty((repeats, y.size, n_classes))
    pred = np.empty((repeats, y.size), dtype=y.dtype)
    fold = np.empty((repeats, y.size), dtype=int)
    selected: list[tuple[int, ...]] = []
    notes: dict[str, int] = {}
    for i, ((_, te), (p, yhat, sel, nt)) in enumerate(zip(splits, outs)):
        r, f = divmod(i, folds)
        proba[r, te], pred[r, te], fold[r, te] = p, yhat, f
        selected.append((r, f, sel))
        for key, val in nt.items():
            notes[key] = notes.get(key, 0) + val
    return CVResult(proba=proba, pred=pred, fold=fold, selected=selected, notes=notes)


def repeat_metrics(result: CVResult, y: np.ndarray, *, classes: list[str], positive: str | None = None):
    """Per-repeat metric rows: list of (repeat, metric, average, value)."""
    rows = []
    for r in range(result.proba.shape[0]):
        for metric, average, value in compute_metrics(
            y, result.proba[r], result.pred[r].astype(int), classes=classes, positive=positive
        ):
            rows.append((r, metric, average, value))
    return rows
