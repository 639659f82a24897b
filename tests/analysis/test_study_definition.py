"""The definition: per-repeat metrics equal a plain scikit-learn loop (mode none, and nested LDA).

The reference loops below are written independently of ``myomri.analysis``: scikit-learn
estimators, ``RepeatedStratifiedKFold`` splits and ``sklearn.metrics`` only.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import f_classif
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from tests.analysis._study_synth import CLASSES, make_study_tables
from myomri.analysis.study import run_study
from myomri.analysis.study_config import load_study

FOLDS, REPEATS, SEED = 5, 2, 0
FIXED = ["sig_a", "sig_b", "noise_1"]

NAIVE = {
    "lda": lambda: LinearDiscriminantAnalysis(),
    "qda": lambda: QuadraticDiscriminantAnalysis(),
    "svm": lambda: CalibratedClassifierCV(SVC(random_state=SEED), cv=5, method="sigmoid"),
    "knn": lambda: KNeighborsClassifier(),
    "rf": lambda: RandomForestClassifier(random_state=SEED),
    "mlp": lambda: MLPClassifier(random_state=SEED),
}


def naive_repeats(X, y, make, *, binary_positive=None):
    """Plain loop: per repeat pool OOF probabilities/predictions, then sklearn.metrics."""
    out = {}
    labels = np.unique(y)
    proba = np.zeros((REPEATS, len(y), labels.size))
    pred = np.empty((REPEATS, len(y)), dtype=y.dtype)
    cv = RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED)
    for i, (tr, te) in enumerate(cv.split(X, y)):
        r = i // FOLDS
        model = make()
        if not hasattr(model, "steps"):
            model = make_pipeline(StandardScaler(), model)
        model.fit(X[tr], y[tr])
        proba[r, te] = model.predict_proba(X[te])
        pred[r, te] = model.predict(X[te])
    for r in range(REPEATS):
        if binary_positive is None:
            out[(r, "auc", "macro")] = roc_auc_score(y, proba[r], multi_class="ovr", average="macro")
            out[(r, "accuracy", "macro")] = accuracy_score(y, pred[r])
            for name, fn in (("recall", recall_score), ("precision", precision_score), ("f1", f1_score)):
                out[(r, name, "macro")] = fn(y, pred[r], average="macro", zero_division=0)
                per = fn(y, pred[r], average=None, labels=labels, zero_division=0)
                for c, v in zip(labels, per):
                    out[(r, name, CLASSES[c])] = v
            for c in labels:
                out[(r, "auc", CLASSES[c])] = roc_auc_score(y == c, proba[r][:, c])
        else:
            p = 1
            out[(r, "accuracy", binary_positive)] = accuracy_score(y, pred[r])
            out[(r, "sensitivity", binary_positive)] = recall_score(y, pred[r], pos_label=p)
            out[(r, "specificity", binary_positive)] = recall_score(y, pred[r], pos_label=0)
            out[(r, "precision", binary_positive)] = precision_score(y, pred[r], pos_label=p, zero_division=0)
            out[(r, "f1", binary_positive)] = f1_score(y, pred[r], pos_label=p, zero_division=0)
            out[(r, "auc", binary_positive)] = roc_auc_score(y, proba[r][:, p])
    return out


def _run(tmp_path, **overrides):
    from tests.analysis._study_synth import write_study

    cfg = load_study(write_study(tmp_path, **overrides))
    return run_study(cfg)


def _compare(result, task, clf, expected):
    got = result.repeats[(result.repeats.task == task) & (result.repeats.classifier == clf)]
    got = {(int(r), m, a): v for r, m, a, v in zip(got.repeat, got.metric, got.average, got.value)}
    assert set(got) == set(expected)
    worst = max(abs(got[key] - expected[key]) for key in expected)
    assert worst <= 1e-9, f"{task}/{clf}: max |difference| {worst}"


def _data():
    features, clinical = make_study_tables(0)
    r1 = features[features.reader == "R1"].set_index("subject")
    clinical = clinical.set_index("subject").loc[r1.index]
    y_group = np.array([CLASSES.index(g) for g in clinical.group])
    y_jo1 = (clinical.anti_jo1 == "positive").to_numpy().astype(int)
    return r1, y_group, y_jo1


@pytest.mark.slow
def test_mode_none_per_repeat_metrics_equal_plain_sklearn_loop_for_all_six_classifiers(tmp_path):
    r1, y_group, y_jo1 = _data()
    res = _run(tmp_path, selection={"mode": "none", "features": FIXED}, classifiers=list(NAIVE),
               tasks=[{"name": "groups", "target": "group", "classes": CLASSES},
                      {"name": "jo1", "target": "anti_jo1", "positive": "positive"}],
               collinearity=None, bootstrap=0)
    X = r1[FIXED].to_numpy(float)
    for clf, make in NAIVE.items():
        _compare(res, "groups", clf, naive_repeats(X, y_group, make))
        _compare(res, "jo1", clf, naive_repeats(X, y_jo1, make, binary_positive="positive"))


def _naive_sfs(X, y, k_sizes, make):
    """Greedy forward selection by mean accuracy over StratifiedKFold(5); best size in range, ties smaller."""
    chosen, remaining, path = [], list(range(X.shape[1])), []
    splits = list(StratifiedKFold(n_splits=5).split(X, y))
    while len(chosen) < max(k_sizes):
        best, best_score = None, -1.0
        for j in remaining:
            cols = chosen + [j]
            accs = [accuracy_score(y[te], make().fit(X[tr][:, cols], y[tr]).predict(X[te][:, cols]))
                    for tr, te in splits]
            if np.mean(accs) > best_score:
                best, best_score = j, np.mean(accs)
        chosen.append(best)
        remaining.remove(best)
        path.append((list(chosen), best_score))
    in_range = [(c, s) for c, s in path if len(c) in k_sizes]
    top = max(s for _, s in in_range)
    return next(c for c, s in in_range if s == top)


def test_nested_mode_equals_naive_nested_loop_for_lda(tmp_path):
    r1, y_group, _ = _data()
    res = _run(tmp_path, classifiers=["lda"], collinearity=None, bootstrap=0,
               reproducibility=None, selection={"mode": "nested", "univariate_p": 0.05, "k": [2, 3]})
    X = r1[[c for c in r1.columns if c != "reader"]].to_numpy(float)

    class NaiveNested:
        """Fold model: scaler on training data, ANOVA p < 0.05, forward SFS, then LDA."""

        def fit(self, Xt, yt):
            self.scaler = StandardScaler().fit(Xt)
            Z = self.scaler.transform(Xt)
            keep = np.flatnonzero(f_classif(Z, yt)[1] < 0.05)
            sub = _naive_sfs(Z[:, keep], yt, [2, 3], LinearDiscriminantAnalysis)
            self.cols = keep[sub]
            self.model = LinearDiscriminantAnalysis().fit(Z[:, self.cols], yt)
            return self

        def predict_proba(self, Xs):
            return self.model.predict_proba(self.scaler.transform(Xs)[:, self.cols])

        def predict(self, Xs):
            return self.model.predict(self.scaler.transform(Xs)[:, self.cols])

    NaiveNested.steps = True  # already a complete fold model
    _compare(res, "groups", "lda", naive_repeats(X, y_group, NaiveNested))
