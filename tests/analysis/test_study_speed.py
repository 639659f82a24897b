"""Exact speed-ups of the study: each shortcut must reproduce scikit-learn bit for bit.

ExactRandomForest and ExactMLP against RandomForestClassifier / MLPClassifier (probabilities,
predictions, iteration counts) on varied small data sets; lean_sklearn() against plain
scikit-learn on whole nested outer folds of every classifier; helpers restored after use.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network import _multilayer_perceptron as mlp_module
from sklearn.svm import SVC
from sklearn.utils import validation as skv

from myomri.analysis.classifiers import make_classifier
from myomri.analysis.fastforest import ExactRandomForest
from myomri.analysis.fastmlp import ExactMLP
from myomri.analysis.fastsvm import ExactCalibratedSVC
from myomri.analysis.lean import lean_sklearn
from myomri.analysis.validation import _fit_fold, build_pipeline, run_repeated_cv
from myomri.errors import InputError


def _data(seed, n=None, p=None, k=None):
    rng = np.random.default_rng(seed)
    n = n or 30 + 3 * seed
    p = p or 1 + seed % 5
    k = k or 2 + seed % 2
    y = np.arange(n) % k  # every class present
    X = rng.normal(size=(n, p)) + 0.8 * y[:, None]
    X[:, 0] = np.round(X[:, 0], 1)  # ties in a split feature
    return X, y, rng.normal(size=(25, p)) + 0.5


@pytest.mark.parametrize("seed", range(8))
def test_exact_random_forest_equals_sklearn_bit_for_bit(seed):
    X, y, Xt = _data(seed)
    ref = RandomForestClassifier(random_state=seed).fit(X, y)
    fast = ExactRandomForest(random_state=seed).fit(X, y)
    assert fast._fast_
    assert np.array_equal(ref.predict_proba(Xt), fast.predict_proba(Xt))
    assert np.array_equal(ref.predict(Xt), fast.predict(Xt))
    assert np.array_equal(ref.classes_, fast.classes_)


def test_exact_random_forest_string_labels_other_sizes_and_fallback_path():
    X, y, Xt = _data(3, n=41, p=4, k=3)
    labels = np.array(["PM", "DM", "ADM"])[y]
    for kwargs in ({"n_estimators": 7, "max_features": 2}, {"n_estimators": 13, "max_features": None}):
        ref = RandomForestClassifier(random_state=5, **kwargs).fit(X, labels)
        fast = ExactRandomForest(random_state=5, **kwargs).fit(X, labels)
        assert fast._fast_ and np.array_equal(ref.predict_proba(Xt), fast.predict_proba(Xt))
        assert np.array_equal(ref.predict(Xt), fast.predict(Xt))
    # A setting the fast path does not reproduce goes to scikit-learn's own fit.
    slow = ExactRandomForest(random_state=5, max_depth=2).fit(X, labels)
    assert not slow._fast_
    ref = RandomForestClassifier(random_state=5, max_depth=2).fit(X, labels)
    assert np.array_equal(ref.predict_proba(Xt), slow.predict_proba(Xt))


@pytest.mark.parametrize("seed", range(4))
def test_exact_mlp_equals_sklearn_bit_for_bit_and_restores_helpers(seed):
    X, y, Xt = _data(seed)
    before = (mlp_module.shuffle, mlp_module._safe_indexing, mlp_module.safe_sparse_dot)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MLPClassifier(random_state=seed).fit(X, y)
        fast = ExactMLP(random_state=seed).fit(X, y)
    assert (mlp_module.shuffle, mlp_module._safe_indexing, mlp_module.safe_sparse_dot) == before
    assert fast.n_iter_ == ref.n_iter_ and fast.loss_curve_ == ref.loss_curve_
    assert np.array_equal(ref.predict_proba(Xt), fast.predict_proba(Xt))
    assert np.array_equal(ref.predict(Xt), fast.predict(Xt))


@pytest.mark.parametrize("seed", range(6))
def test_exact_calibrated_svc_equals_sklearn_bit_for_bit(seed):
    X, y, Xt = _data(seed, n=45 + 4 * seed)
    ref = CalibratedClassifierCV(SVC(random_state=seed), cv=5, method="sigmoid").fit(X, y)
    fast = ExactCalibratedSVC(SVC(random_state=seed), cv=5, method="sigmoid").fit(X, y)
    assert fast._fast_ and np.array_equal(ref.classes_, fast.classes_)
    assert np.array_equal(ref.predict_proba(Xt), fast.predict_proba(Xt))
    assert np.array_equal(ref.predict(Xt), fast.predict(Xt))
    for a, b in zip(ref.calibrated_classifiers_, fast.calibrated_classifiers_):
        assert [(c.a_, c.b_) for c in a.calibrators] == [(c.a_, c.b_) for c in b.calibrators]


def test_fast_platt_fit_equals_sklearn_sigmoid_calibration_bit_for_bit():
    from sklearn.calibration import _sigmoid_calibration

    from myomri.analysis.fastplatt import sigmoid_calibration

    rng = np.random.default_rng(3)
    problems = []
    for i in range(400):
        n = int(rng.integers(3, 15))
        f = rng.normal(0, [0.2, 1.0, 6.0, 45.0][i % 4], n)  # 45: decision values rescaled (>= 30)
        y = (rng.random(n) < 0.4).astype(int)
        problems.append((f, y))
    f = rng.normal(size=10)
    problems += [(f, (f > 0).astype(int)), (f, np.zeros(10, int)), (f, np.ones(10, int)),
                 (np.zeros(6), np.array([0, 1, 0, 1, 0, 1])), (np.full(5, 30.0), np.array([0, 0, 1, 1, 1]))]
    for f, y in problems:
        assert sigmoid_calibration(f, y) == _sigmoid_calibration(f, y), (f, y)
    # a strided column, as ExactCalibratedSVC passes it
    Y = np.stack([problems[0][1], 1 - problems[0][1]], axis=1)
    assert sigmoid_calibration(problems[0][0], Y[:, 1]) == _sigmoid_calibration(problems[0][0], Y[:, 1])


def test_exact_calibrated_svc_other_settings_take_the_stock_path():
    X, y, Xt = _data(2, n=40, p=3, k=2)
    for kwargs in ({"method": "isotonic"}, {"cv": StratifiedKFold(3)}, {"ensemble": False}):
        fast = ExactCalibratedSVC(SVC(random_state=0), **kwargs).fit(X, y)
        ref = CalibratedClassifierCV(SVC(random_state=0), **kwargs).fit(X, y)
        assert not fast._fast_ and np.array_equal(ref.predict_proba(Xt), fast.predict_proba(Xt))
    with pytest.raises(ValueError, match="less than"):  # scikit-learn's own error
        ExactCalibratedSVC(SVC(), cv=5).fit(X[:8], y[:8])


def _plain(name):
    return {"rf": lambda: RandomForestClassifier(random_state=0), "mlp": lambda: MLPClassifier(random_state=0),
            "svm": lambda: CalibratedClassifierCV(SVC(random_state=0), cv=5, method="sigmoid")}.get(name)


@pytest.mark.parametrize("clf", ["lda", "qda", "svm", "knn", "rf", "mlp"])
def test_nested_outer_fold_with_shortcuts_equals_plain_sklearn_fold(clf):
    """A whole nested fold (z-score, filter, SFS, model) through lean_sklearn + Exact* estimators
    equals the same fold with plain scikit-learn estimators and no shortcuts."""
    X, y, _ = _data(1, n=48, p=5, k=3)
    tr, te = next(StratifiedKFold(n_splits=4, shuffle=True, random_state=1).split(X, y))
    fast = _fit_fold(build_pipeline(clf, mode="nested", k=[1, 2]), X, y, tr, te)
    plain = build_pipeline(clf, mode="nested", k=[1, 2])
    if _plain(clf) is not None:
        plain.set_params(sfs__estimator=_plain(clf)(), classifier=_plain(clf)())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain.fit(X[tr], y[tr])
    assert np.array_equal(fast[0], plain.predict_proba(X[te]))
    assert np.array_equal(fast[1], plain.predict(X[te]))


def test_lean_sklearn_restores_narwhals_check_and_config():
    import sklearn
    from sklearn.externals.array_api_compat.common import _aliases as aac

    before = skv._nw_into_df_or_series, aac._unique_kwargs, sklearn.get_config()
    with lean_sklearn():
        assert sklearn.get_config()["assume_finite"]
        assert skv._nw_into_df_or_series(np.zeros(3)) is False
        # the memoised equal_nan probe gives the probe's answer, as a fresh dict each time
        assert aac._unique_kwargs(np) == before[1](np) and aac._unique_kwargs(np) is not aac._unique_kwargs(np)
    assert (skv._nw_into_df_or_series, aac._unique_kwargs, sklearn.get_config()) == before


def test_make_classifier_uses_the_exact_fast_estimators():
    assert type(make_classifier("rf")) is ExactRandomForest
    assert type(make_classifier("mlp")) is ExactMLP
    assert type(make_classifier("svm")) is ExactCalibratedSVC


def test_repeated_cv_rejects_non_finite_features_before_any_fit():
    X, y, _ = _data(0, n=40, p=3, k=2)
    X[4, 2] = np.nan
    with pytest.raises(InputError, match=r"column\(s\) \[2\]"):
        run_repeated_cv(build_pipeline("lda", mode="none"), X, y, folds=4, repeats=1)


@pytest.mark.parametrize("clf", ["lda", "knn"])
def test_skip_forced_sfs_selects_what_the_full_search_selects(clf):
    from myomri.analysis.selection import ForwardSFS

    X, y, _ = _data(2, n=45, p=3, k=3)
    full = ForwardSFS(make_classifier(clf), k=[3]).fit(X, y)
    fast = ForwardSFS(make_classifier(clf), k=[3], skip_forced=True).fit(X, y)
    assert fast.forced_ and not full.forced_ and len(full.path_) == 3
    assert np.array_equal(fast.support_, full.support_) and full.support_.all()
    # Not forced (a choice among sizes or columns): the search runs and matches exactly.
    for k in ([2, 3], [2]):
        a = ForwardSFS(make_classifier(clf), k=k).fit(X, y)
        b = ForwardSFS(make_classifier(clf), k=k, skip_forced=True).fit(X, y)
        assert not b.forced_ and a.order_ == b.order_ and a.path_ == b.path_


def test_nested_fold_with_forced_selection_equals_fold_without_the_shortcut():
    """Three planted columns pass the filter exactly as min(k) = 3: the fold model is the same."""
    X, y, _ = _data(4, n=60, p=3, k=3)
    X = X + 2.0 * y[:, None]  # every column clearly significant
    tr, te = next(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    tpl = build_pipeline("knn", mode="nested", k=[3, 4])
    assert tpl.named_steps["sfs"].skip_forced
    fast = _fit_fold(tpl, X, y, tr, te)
    slow = _fit_fold(build_pipeline("knn", mode="nested", k=[3, 4]).set_params(sfs__skip_forced=False), X, y, tr, te)
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1]) and fast[2] == slow[2]
