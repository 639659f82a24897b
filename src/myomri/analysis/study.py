"""Run a radiomics study: tables -> ICC -> collinearity -> per task and classifier repeated CV.

``run_study(config)`` returns a ``StudyResult`` of tidy DataFrames; ``myomri.report.study_tables``
writes them. Every exclusion or fallback is recorded in ``StudyResult.notes`` (never silent).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import analysis as cfg
from ..cores import clamp_jobs
from ..errors import InputError
from .classifiers import make_classifier
from .compare import corrected_resampled_ttest, fold_accuracy
from .metrics import bootstrap_macro_auc, confusion_counts
from .permutation import permutation_test
from .reduction import ReproducibilityFilter, select_collinear
from .selection import ForwardSFS, UnivariateFilter
from .selection_check import check_frame, nested_check_rows
from .study_checks import check_study, task_labels
from .study_config import StudyConfig, Task
from .validation import (
    WARNING_KEY,
    build_pipeline,
    check_target,
    count_fit_warnings,
    recorded_fit_warnings,
    repeat_metrics,
    run_repeated_cv,
)

__all__ = ["StudyResult", "load_tables", "task_data", "run_study"]


@dataclass
class StudyResult:
    """Everything a study run produces, as tidy tables (see ``report.study_tables``)."""

    config: StudyConfig
    icc: pd.DataFrame | None
    features_after_icc: list[str]
    features_after_collinearity: list[str]
    repeats: pd.DataFrame
    performance: pd.DataFrame
    selection: pd.DataFrame
    confusion: dict[tuple[str, str], pd.DataFrame]
    roc: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, list[str]]]
    comparisons: pd.DataFrame
    fold_selection: pd.DataFrame | None = None
    #: published mode with ``nested_check``: published vs nested means on the same repeats (``selection_check``)
    selection_check: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def load_tables(config: StudyConfig) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Read and check the tables; returns (features, clinical, feature names).

    Raises ``StudyInputError`` listing every problem :func:`~.study_checks.study_problems` finds.
    """
    return check_study(config)


def _reference_rows(feats: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    readers = sorted(set(feats["reader"]))
    ref = config.reference_reader or readers[0]  # check_study made sure it is unambiguous and present
    return feats[feats["reader"] == ref].set_index("subject")


def task_data(ref: pd.DataFrame, clin: pd.DataFrame, task: Task, config: StudyConfig, notes: list[str]):
    """Subjects, integer labels and class names of one task (exclusions recorded in ``notes``)."""
    target, classes, problems = task_labels(clin.set_index("subject").loc[ref.index, task.target], task, notes)
    if problems:  # check_study reports these before any work; kept for direct callers
        raise InputError(f"{config.clinical}: " + "; ".join(problems))
    y = np.array([classes.index(v) for v in target], dtype=int)
    check_target(y, folds=config.folds, task=f"task {task.name} ({config.clinical})", class_names=classes)
    return list(target.index), y, classes


def _published_columns(clf_name: str, X: np.ndarray, y: np.ndarray, config: StudyConfig,
                       notes: list[str], task: str) -> list[int]:  # fmt: skip
    """Selection once on all task data (the paper's procedure; optimistic).

    The warnings of the SFS's inner fits (ConvergenceWarnings of the MLP at scikit-learn's default
    ``max_iter``: 185 lines in the demo) are counted into notes, as the cross-validation's are.
    """
    from .reduction import ZScore

    Z = ZScore().fit_transform(X)
    uni = UnivariateFilter(p_threshold=config.univariate_p, min_features=min(config.k)).fit(Z, y)
    cols = np.flatnonzero(uni.support_)
    sfs = ForwardSFS(make_classifier(clf_name, seed=config.seed), k=config.k)
    with recorded_fit_warnings() as caught:
        sfs.fit(Z[:, cols], y)
    notes += _warning_notes(task, clf_name, count_fit_warnings(caught), "the selection's SFS fits")
    return [int(c) for c in cols[sfs.order_]]


def _summary(rep: pd.DataFrame) -> pd.DataFrame:
    g = rep.groupby(["task", "classifier", "average", "metric"], sort=False)["value"]
    out = g.agg(mean="mean", sd=lambda v: v.std(ddof=1) if len(v) > 1 else np.nan, n_repeats="size").reset_index()
    return out


def _fast_path_notes() -> list[str]:
    """A note (and a warning line) for each scikit-learn fast path this installation lacks."""
    from .fastpaths import FAST_PATHS, check_fast_paths

    status = check_fast_paths()
    return [
        f"scikit-learn {status['scikit_learn']}: fast path {name} not used, {status[name]}"
        for name in FAST_PATHS
        if status[name] != "used"
    ]


def _filter_features(feats, ref, names: list[str], config: StudyConfig, notes: list[str]):
    """Reproducibility (ICC), constant-feature and collinearity filters, label-free and once on all
    subjects; returns ``(icc table or None, features after ICC, features kept)`` and adds notes."""
    icc = None
    kept = list(names)
    analyses = {k: v for k, v in (("inter", config.inter), ("intra", config.intra)) if v}
    if analyses:
        filt = ReproducibilityFilter(analyses, form=config.icc_form, threshold=config.icc_threshold)
        filt.fit(feats[["subject", "reader"] + names].assign(subject=feats["subject"].astype(str)))
        icc, kept = filt.icc_, list(filt.get_feature_names_out())
        notes.append(
            f"reproducibility: {len(kept)} of {len(names)} features have ICC({config.icc_form}) >= "
            f"{config.icc_threshold} in {' and '.join(analyses)}"
        )
        if not kept:
            raise InputError(f"no feature reaches ICC >= {config.icc_threshold}; nothing to model")
    constant = [f for f in kept if ref[f].nunique(dropna=False) <= 1]
    if constant:
        # a feature constant over the reference reader separates nothing and has no correlation
        kept = [f for f in kept if f not in constant]
        notes.append(
            f"{len(constant)} feature(s) constant over the reference reader's subjects left out: {', '.join(constant)}"
        )
        if not kept:
            raise InputError("every feature that passed the reproducibility filter is constant; nothing to model")
    after_icc = list(kept)
    if config.collinearity is not None and len(kept) > 1:
        support = select_collinear(ref[kept].to_numpy(float), threshold=config.collinearity)
        kept = [f for f, s in zip(kept, support) if s]
        notes.append(
            f"collinearity: {len(kept)} of {len(after_icc)} features kept at |r| < {config.collinearity}; "
            f"computed once on all {len(ref)} subjects of the reference reader (label-free, so no "
            "label information leaks into the cross-validation)"
        )
    if config.mode == "none":
        dropped = [f for f in config.fixed_features if f not in kept]
        if dropped:
            notes.append(f"selection mode none: fixed features {dropped} are used although the filters would drop them")
    if config.mode == "published":
        notes.append(
            "selection mode published: univariate filter and SFS ran once on ALL subjects before the "
            "cross-validation (as in the paper); the performance estimates are OPTIMISTIC"
        )
    return icc, after_icc, kept


def _warning_notes(task_name: str, clf: str, counts: dict, where: str) -> list[str]:
    """The notes of :func:`~.validation.count_fit_warnings`' counters (those not zero)."""
    out = []
    for key, val in counts.items():
        if val and key == "convergence_warnings":
            out.append(
                f"task {task_name}, {clf}: {val} ConvergenceWarning(s) in {where} (scikit-learn default max_iter)"
            )
        elif val and key.startswith(WARNING_KEY):
            category, message = key[len(WARNING_KEY) :].split(": ", 1)
            out.append(f"task {task_name}, {clf}: {val} {category}(s) in {where}: {message or '(no message)'}")
    return out


def _fit_notes(task_name: str, clf: str, fit_notes: dict, n_outer: int) -> list[str]:
    """The study notes of one task x classifier from its cross-validation counters."""
    out = _warning_notes(task_name, clf, fit_notes, "the cross-validation's fits")
    for key, val in fit_notes.items():
        if val and key == "qda_fallback_in_sfs_fits":
            out.append(
                f"task {task_name}, {clf}: rank-deficient QDA refitted with {cfg.QDA_FALLBACK} "
                f"(plus a {cfg.QDA_RIDGE:g} x mean-variance diagonal ridge where a feature is "
                f"constant within a class) in {val} inner SFS fits"
            )
        elif val and key != "convergence_warnings" and not key.startswith(WARNING_KEY):
            out.append(f"task {task_name}, {clf}: {key.replace('_', ' ')} in {val} of {n_outer} outer folds")
    return out


def _performance(repeats: pd.DataFrame, boot: dict, config: StudyConfig, mode_label: str) -> pd.DataFrame:
    """Mean and SD per task x classifier x metric, with the selected features, the bootstrap CI and
    the permutation p of the AUC."""
    perf = _summary(repeats)
    perf.insert(2, "features", [boot[(t, c)][0] for t, c in zip(perf["task"], perf["classifier"])])
    is_auc = perf["metric"].eq("auc") & perf["average"].isin(
        ["macro"] + [t.positive for t in config.tasks if t.positive]
    )
    perf["ci_low"] = [boot[(t, c)][1][0] if m else np.nan for t, c, m in zip(perf["task"], perf["classifier"], is_auc)]
    perf["ci_high"] = [boot[(t, c)][1][1] if m else np.nan for t, c, m in zip(perf["task"], perf["classifier"], is_auc)]
    perf["permutation_p"] = [
        boot[(t, c)][2] if m else np.nan for t, c, m in zip(perf["task"], perf["classifier"], is_auc)
    ]
    perf["selection"] = mode_label
    perf = perf[
        [
            "task",
            "classifier",
            "features",
            "average",
            "metric",
            "mean",
            "sd",
            "n_repeats",
            "ci_low",
            "ci_high",
            "permutation_p",
            "selection",
        ]
    ]
    return perf


def _design(clf: str, X_all: np.ndarray, y: np.ndarray, columns: list[str], config: StudyConfig,
            notes: list[str], task: str):  # fmt: skip
    """The classifier's pipeline, design matrix and column names under the study's selection mode.

    ``nested``: selection inside the pipeline, all candidate columns; ``published``: the columns
    selected once on all subjects; ``none``: the fixed list.
    """
    if config.mode == "nested":
        pipe = build_pipeline(clf, mode="nested", univariate_p=config.univariate_p, k=config.k, seed=config.seed)
        return pipe, X_all, list(columns)
    idx = list(range(len(columns))) if config.mode == "none" else _published_columns(clf, X_all, y, config, notes, task)
    return build_pipeline(clf, mode="none", seed=config.seed), X_all[:, idx], [columns[i] for i in idx]


def _selection_rows(task: str, clf: str, selected, cols: list[str], mode_label: str):
    """Per-fold subsets, per-feature selection frequencies and the features label of one classifier."""
    fold_rows = [(task, clf, r, f, "+".join(cols[i] for i in sel)) for r, f, sel in selected]
    counts = Counter(f for _, _, sel in selected for f in sel)
    subsets = Counter(tuple(cols[i] for i in sel) for _, _, sel in selected)
    top, n_top = subsets.most_common(1)[0]
    n_outer = len(selected)
    sel_rows = [
        (task, clf, mode_label, name, counts.get(i, 0), counts.get(i, 0) / n_outer) for i, name in enumerate(cols)
    ]
    label = (
        "+".join(top) if len(subsets) == 1 else f"varies by fold; most frequent {'+'.join(top)} ({n_top / n_outer:.0%})"
    )
    return fold_rows, sel_rows, label


def _uncertainty(template, X, y, mean_proba, rows, task: Task, classes, config: StudyConfig, n_jobs: int):
    """Bootstrap CI of the AUC of the mean out-of-fold probabilities, and the permutation p (NaN when off)."""
    pos_idx = len(classes) - 1 if task.positive else None
    ci = (
        bootstrap_macro_auc(y, mean_proba, n_boot=config.bootstrap, seed=config.seed, positive=pos_idx)
        if config.bootstrap
        else (np.nan, np.nan)
    )
    if not config.permutations:
        return ci, np.nan
    auc_key = ("auc", task.positive or "macro")
    obs = float(np.mean([v for _, m, a, v in rows if (m, a) == auc_key]))
    perm_p, _ = permutation_test(template, X, y, observed=obs, n_permutations=config.permutations, folds=config.folds,
                                 repeats=config.permutation_repeats, seed=config.seed, positive_idx=pos_idx,
                                 n_jobs=n_jobs)  # fmt: skip
    return ci, perm_p


def _comparisons(task: str, fold_acc: dict, n: int, config: StudyConfig) -> list[tuple]:
    """Corrected resampled t-tests of fold accuracies for every pair of classifiers of one task."""
    n_test = n / config.folds
    rows = []
    for i, a in enumerate(config.classifiers):
        for b in config.classifiers[i + 1 :]:
            mean, t, df, p = corrected_resampled_ttest(fold_acc[a], fold_acc[b], n_train=round(n - n_test),
                                                       n_test=round(n_test))  # fmt: skip
            rows.append((task, a, b, "accuracy", mean, t, df, p))
    return rows


def run_study(config: StudyConfig, *, n_jobs: int = 1, progress: bool = False) -> StudyResult:
    """Run every task x classifier of a validated study; see the module docstring.

    Everything the tables must give is checked first (``study_checks``): a study that cannot run
    fails before any fit, with every problem listed.
    """
    feats, clin, names = load_tables(config)
    notes: list[str] = _fast_path_notes()
    n_jobs, jobs_note = clamp_jobs(n_jobs)
    if jobs_note:
        notes.append(jobs_note)
    ref = _reference_rows(feats, config)
    icc, after_icc, kept = _filter_features(feats, ref, names, config, notes)

    mode_label = config.mode + (" (optimistic)" if config.mode == "published" else "")
    rep_frames, sel_rows, comp_rows, fold_rows, check_rows = [], [], [], [], []
    checking = config.mode == "published" and config.nested_check > 0
    confusion, roc, boot = {}, {}, {}
    for task in config.tasks:
        subjects, y, classes = task_data(ref, clin, task, config, notes)
        columns = config.fixed_features if config.mode == "none" else kept
        X_all = ref.loc[subjects, columns].to_numpy(float)
        fold_acc = {}
        clf_iter = config.classifiers
        if progress:
            from tqdm import tqdm

            clf_iter = tqdm(config.classifiers, desc=f"task {task.name}", unit="classifier", file=sys.stderr)
        for clf in clf_iter:
            template, X, cols = _design(clf, X_all, y, columns, config, notes, task.name)
            res = run_repeated_cv(template, X, y, folds=config.folds, repeats=config.repeats, seed=config.seed,
                                  n_jobs=n_jobs, progress=progress, task=f"{task.name}/{clf}")  # fmt: skip
            rows = repeat_metrics(res, y, classes=classes, positive=task.positive)
            if checking:
                more, why = nested_check_rows(task, clf, X_all, y, classes, rows, config, n_jobs=n_jobs)
                check_rows += more
                notes += why
            rep_frames.append(
                pd.DataFrame(rows, columns=["repeat", "metric", "average", "value"]).assign(
                    task=task.name, classifier=clf
                )
            )
            folds_here, sel_here, label = _selection_rows(task.name, clf, res.selected, cols, mode_label)
            fold_rows += folds_here
            sel_rows += sel_here
            cm = sum(confusion_counts(y, res.pred[r].astype(int), len(classes)) for r in range(config.repeats))
            confusion[(task.name, clf)] = pd.DataFrame(cm, index=classes, columns=classes)
            mean_proba = res.proba.mean(axis=0)
            roc[(task.name, clf)] = (y, mean_proba, classes)
            ci, perm_p = _uncertainty(template, X, y, mean_proba, rows, task, classes, config, n_jobs)
            boot[(task.name, clf)] = (label, ci, perm_p)
            notes += _fit_notes(task.name, clf, res.notes, len(res.selected))
            fold_acc[clf] = fold_accuracy(res.pred, res.fold, y)
        comp_rows += _comparisons(task.name, fold_acc, len(y), config)

    repeats = pd.concat(rep_frames, ignore_index=True)[["task", "classifier", "repeat", "metric", "average", "value"]]
    repeats["selection"] = mode_label
    perf = _performance(repeats, boot, config, mode_label)
    selection = pd.DataFrame(sel_rows, columns=["task", "classifier", "mode", "feature", "n_selected", "frequency"])
    comparisons = pd.DataFrame(
        comp_rows, columns=["task", "classifier_a", "classifier_b", "metric", "mean_difference", "t", "df", "p"]
    )
    return StudyResult(
        config=config,
        icc=icc,
        features_after_icc=after_icc,
        features_after_collinearity=kept,
        repeats=repeats,
        performance=perf,
        selection=selection,
        confusion=confusion,
        roc=roc,
        comparisons=comparisons,
        notes=notes,
        fold_selection=pd.DataFrame(fold_rows, columns=["task", "classifier", "repeat", "fold", "features"]),
        selection_check=check_frame(check_rows) if checking else None,
    )
