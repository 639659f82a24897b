"""Benchmark: the full nested study protocol vs a naive scikit-learn + mlxtend implementation.

Protocol (seed paper 1, ``mode: nested``): 6 classifiers x 10 outer folds x R repeats; inside every
outer training fold z-score, univariate filter (p < 0.05) and forward SFS to 3-4 of 11 features
(stratified 5-fold inner CV, accuracy), then the classifier. Data: a seeded synthetic 74-subject,
3-class table with 11 features (3 carry planted class signal).

The naive implementation (single process, default threading, ``mlxtend`` SFS with
``k_features=(3, 4)``, scikit-learn's own estimators, metrics with ``sklearn.metrics`` per repeat)
runs on fewer repeats in the same process; the ratio compares seconds per repeat.
``--naive-estimators myomri`` gives the naive side myomri's exact fast RF/MLP/SVM subclasses
instead (as this benchmark did before; a baseline that speeds up with them). Both sides are timed
on the same machine, so the ratio is more meaningful than the absolute numbers on a loaded box;
but the naive calibrated SVM's time depends strongly on load (its default multi-threaded BLAS
calls in tiny L-BFGS fits wait for descheduled threads), so compare per-classifier ratios too.

The last line printed is one JSON object: seconds per repeat (ours, naive), their ratio, the
largest per-repeat metric difference (AUC and accuracy, over the naive repeats), the load, and
the same per classifier (for ``make bench``).

Usage::

    python benchmarks/study.py --repeats 100 --naive-repeats 1 --jobs 2
    python benchmarks/study.py --repeats 2 --naive-repeats 1 --classifiers lda knn   # quick look

Needs ``mlxtend`` for the naive side (``pip install mlxtend``; not a dependency of myomri).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np


def make_table(seed: int = 0, n_per_class=(25, 25, 24), n_features: int = 11, n_signal: int = 3):
    """Seeded 74 x 11 feature matrix: the first ``n_signal`` features shift class means by 1.0 SD."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    X = rng.normal(size=(y.size, n_features))
    for j in range(n_signal):
        X[:, j] += np.roll(np.array([0.0, 1.0, -1.0]), j)[y]
    return X, y


def stock_classifier(name: str, *, seed: int = 0):
    """The study's classifier as plain scikit-learn builds it (no myomri fast path).

    QDA stays myomri's ``RankSafeQDA``: it is exactly ``QuadraticDiscriminantAnalysis()`` unless
    scikit-learn refuses a rank-deficient covariance, where the plain estimator has no answer.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    from myomri.analysis.classifiers import make_classifier
    from myomri.config import analysis as cfg

    stock = {
        "svm": lambda: CalibratedClassifierCV(
            SVC(random_state=seed), cv=cfg.SVM_CALIBRATION_FOLDS, method=cfg.SVM_CALIBRATION_METHOD
        ),
        "rf": lambda: RandomForestClassifier(random_state=seed),
        "mlp": lambda: MLPClassifier(random_state=seed),
    }
    return stock[name]() if name in stock else make_classifier(name, seed=seed)


def naive_run(clf_name: str, X, y, *, repeats: int, folds: int = 10, seed: int = 0, estimators: str = "stock"):
    """Plain nested protocol with sklearn + mlxtend; returns per-repeat macro AUC and accuracy.

    ``estimators="stock"``: scikit-learn's own estimators; ``"myomri"``: ``make_classifier``'s
    (the exact fast RF/MLP/SVM subclasses; what this benchmark's naive side used before).
    """
    from mlxtend.feature_selection import SequentialFeatureSelector
    from sklearn.feature_selection import f_classif
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import RepeatedStratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from myomri.analysis.classifiers import make_classifier as _myomri

    make_classifier = stock_classifier if estimators == "stock" else _myomri

    n_classes = np.unique(y).size
    proba = np.zeros((repeats, y.size, n_classes))
    pred = np.zeros((repeats, y.size), dtype=int)
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    for i, (tr, te) in enumerate(cv.split(X, y)):
        r = i // folds
        scaler = StandardScaler().fit(X[tr])
        Ztr, Zte = scaler.transform(X[tr]), scaler.transform(X[te])
        keep = np.flatnonzero(f_classif(Ztr, y[tr])[1] < 0.05)
        if keep.size < 3:
            keep = np.argsort(f_classif(Ztr, y[tr])[1])[:3]
        sfs = SequentialFeatureSelector(make_classifier(clf_name, seed=seed), k_features=(3, min(4, keep.size)),
                                        forward=True, floating=False, scoring="accuracy", cv=5)
        sfs.fit(Ztr[:, keep], y[tr])
        cols = keep[list(sfs.k_feature_idx_)]
        model = make_classifier(clf_name, seed=seed).fit(Ztr[:, cols], y[tr])
        proba[r, te] = model.predict_proba(Zte[:, cols])
        pred[r, te] = model.predict(Zte[:, cols])
    auc = [roc_auc_score(y, proba[r], multi_class="ovr", average="macro") for r in range(repeats)]
    acc = [accuracy_score(y, pred[r]) for r in range(repeats)]
    return np.array(auc), np.array(acc)


def fast_run(clf_name: str, X, y, *, repeats: int, folds: int = 10, seed: int = 0, n_jobs: int = 1):
    from myomri.analysis.metrics import auc_ovr
    from myomri.analysis.validation import build_pipeline, run_repeated_cv

    res = run_repeated_cv(build_pipeline(clf_name, mode="nested", k=[3, 4], seed=seed), X, y, folds=folds,
                          repeats=repeats, seed=seed, n_jobs=n_jobs)
    return auc_ovr(y, res.proba).mean(axis=1), (res.pred == y).mean(axis=1)


def _summary(args, jobs: int, rows: dict, load_start: float) -> dict:
    """The machine-readable result (one JSON line; ``make bench`` collects it)."""
    fast = sum(r["myomri_s_per_repeat"] for r in rows.values())
    naive = sum(r["naive_s_per_repeat"] for r in rows.values()) if args.naive_repeats else None
    return {
        "benchmark": "study_nested_protocol",
        "repeats": args.repeats,
        "naive_repeats": args.naive_repeats,
        "naive_estimators": args.naive_estimators,
        "jobs_requested": args.jobs,
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "load_start": round(load_start, 2),
        "load_end": round(os.getloadavg()[0], 2),
        "myomri_s_per_repeat": round(fast, 4),
        "naive_s_per_repeat": None if naive is None else round(naive, 4),
        "ratio": None if naive is None else round(naive / fast, 2),
        "max_abs_metric_difference": max((r["max_abs_metric_difference"] or 0.0) for r in rows.values())
        if args.naive_repeats
        else None,
        "classifiers": rows,
    }


def main(argv=None) -> int:
    import json

    from myomri.analysis.validation import clamp_jobs

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=100, help="repeats of the myomri run (full protocol: 100)")
    p.add_argument("--naive-repeats", type=int, default=1, help="repeats of the naive run (0 skips it)")
    p.add_argument("--jobs", type=int, default=2, help="processes for myomri's outer folds (clamped to the cores)")
    p.add_argument("--classifiers", nargs="+", default=["lda", "qda", "svm", "knn", "rf", "mlp"])
    p.add_argument("--naive-estimators", choices=["stock", "myomri"], default="stock",
                   help="naive side's classifiers: scikit-learn's own (default) or myomri's exact fast subclasses")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")  # MLP ConvergenceWarnings (counted and reported by the study itself)
    jobs, note = clamp_jobs(args.jobs)
    if note:
        print(f"note: {note}")
    X, y = make_table()
    # The machine may be shared: state its load so absolute numbers can be judged.
    load_start = os.getloadavg()[0]
    print(f"cpus {os.cpu_count()}, load average at start {load_start:.2f}")
    rows = {}
    print(f"{'clf':5s} {'myomri s/repeat':>16s} {'naive s/repeat':>15s} {'ratio':>7s}  mean AUC myomri/naive  max|diff|")
    for clf in args.classifiers:
        t0 = time.perf_counter()
        auc_f, acc_f = fast_run(clf, X, y, repeats=args.repeats, n_jobs=jobs)
        fast = (time.perf_counter() - t0) / args.repeats
        naive, auc_n, diff = float("nan"), np.array([np.nan]), None
        if args.naive_repeats:
            t0 = time.perf_counter()
            auc_n, acc_n = naive_run(clf, X, y, repeats=args.naive_repeats, estimators=args.naive_estimators)
            naive = (time.perf_counter() - t0) / args.naive_repeats
            # the first repeats use the same splits whatever the number of repeats
            k = min(args.naive_repeats, args.repeats)
            diff = float(max(np.abs(auc_f[:k] - auc_n[:k]).max(), np.abs(acc_f[:k] - acc_n[:k]).max()))
        rows[clf] = {
            "myomri_s_per_repeat": round(fast, 4),
            "naive_s_per_repeat": None if not args.naive_repeats else round(naive, 4),
            "ratio": None if not args.naive_repeats else round(naive / fast, 2),
            "max_abs_metric_difference": diff,
        }
        print(f"{clf:5s} {fast:16.2f} {naive:15.2f} {naive / fast:7.1f}  "
              f"{auc_f[:args.naive_repeats].mean():.4f}/{auc_n.mean():.4f}  {diff}", flush=True)
    out = _summary(args, jobs, rows, load_start)
    total_fast, total_naive = out["myomri_s_per_repeat"], out["naive_s_per_repeat"] or 0.0
    print(f"total: myomri {total_fast:.2f} s/repeat -> {total_fast * 100 / 60:.1f} min for 100 repeats "
          f"(--jobs {jobs}); naive {total_naive:.2f} s/repeat -> {total_naive * 100 / 3600:.2f} h; "
          f"ratio {total_naive / total_fast:.1f}x")
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print(json.dumps(out))  # last line: the machine-readable summary
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
