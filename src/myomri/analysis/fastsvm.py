"""``CalibratedClassifierCV(SVC(), cv=k, method="sigmoid")`` with less plumbing; bit-identical.

The study's SVM fits a calibrated SVC ~10^5 times on ~50 subjects; most of a fit went to
scikit-learn's general-purpose plumbing (routing, namespace and target-type checks, joblib
dispatch, label encoders) rather than to the SVC or the sigmoid fits. ``ExactCalibratedSVC``
computes the same ensemble with the same pieces:

* ``StratifiedKFold(cv)`` splits of the training data (what ``check_cv`` gives a classifier);
* per split a clone of the SVC fitted on the training part, its ``decision_function`` on the
  held-out part, and per class Platt's sigmoid fit of that column (scikit-learn's own
  ``_sigmoid_calibration``, or :mod:`~myomri.analysis.fastplatt`'s bit-identical one) (the
  same strided column views as ``_fit_calibrator``) against the one-vs-rest 0/1 labels;
* probabilities: per split ``expit(-(a * f + b))`` per class, normalised as
  ``_CalibratedClassifier.predict_proba`` does (binary: ``1 - p``; multiclass: divided by the
  row sum, uniform where it is 0; values within 1e-5 above 1 set to 1), summed over the splits in
  order and divided by their number.

The fitted ``calibrated_classifiers_`` are scikit-learn's own ``_CalibratedClassifier`` objects,
so the estimator looks like the stock one. Any other setting (another estimator or method,
sample weights, fit parameters, a CV object, parallel jobs, non-array input) goes to
``CalibratedClassifierCV`` unchanged. Whether this scikit-learn supports the path is decided at
run time by :mod:`~myomri.analysis.fastpaths`; tests: ``tests/analysis/test_study_speed.py``.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import expit
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _sigmoid_calibration, _SigmoidCalibration
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

from .fastpaths import use_fast_path

__all__ = ["ExactCalibratedSVC"]

#: The normalised probabilities scikit-learn rounds down to exactly 1 (float noise above 1).
_ONE_TOLERANCE = 1e-5


class ExactCalibratedSVC(CalibratedClassifierCV):
    """Drop-in ``CalibratedClassifierCV`` for a sigmoid-calibrated SVC; same numbers bit for bit."""

    def _fast_ok(self, X, y, sample_weight, fit_params) -> bool:
        return (
            type(self.estimator) is SVC
            and self.method == "sigmoid"
            and isinstance(self.cv, numbers.Integral)
            and self.ensemble in ("auto", True)
            and self.n_jobs is None
            and sample_weight is None
            and not fit_params
            and type(X) is np.ndarray
            and X.ndim == 2
            and type(y) is np.ndarray
            and y.ndim == 1
        )

    def fit(self, X, y, sample_weight=None, **fit_params):
        self._fast_ = False
        if not self._fast_ok(X, y, sample_weight, fit_params):
            return super().fit(X, y, sample_weight=sample_weight, **fit_params)
        classes, counts = np.unique(y, return_counts=True)
        if classes.size < 2 or np.any(counts < self.cv) or classes.dtype.kind not in "iub":
            return super().fit(X, y)  # scikit-learn's errors and label handling, unchanged
        binary = classes.size == 2
        platt = _sigmoid_calibration
        if use_fast_path("platt"):
            from .fastplatt import sigmoid_calibration as platt
        calibrated = []
        for train, test in StratifiedKFold(n_splits=self.cv).split(X, y):
            est = clone(self.estimator).fit(X[train], y[train])
            if not np.array_equal(est.classes_, classes):
                return super().fit(X, y)  # a class missing from a split: the general code path
            pred = est.decision_function(X[test])
            if pred.ndim == 1:
                pred = pred.reshape(-1, 1)
            # label_binarize: one 0/1 column per class; for two classes, the positive class only
            Y = (y[test][:, None] == (classes[1:] if binary else classes)[None, :]).astype(int)
            calibrators = []
            for k, column in enumerate(pred.T):
                cal = _SigmoidCalibration()
                cal.a_, cal.b_ = platt(column, Y[:, k])
                calibrators.append(cal)
            calibrated.append(_CalibratedClassifier(est, calibrators, method=self.method, classes=classes))
        self.calibrated_classifiers_, self.classes_ = calibrated, classes
        self.n_features_in_ = calibrated[0].estimator.n_features_in_
        self._fast_ = True
        return self

    def predict_proba(self, X):
        if not getattr(self, "_fast_", False) or type(X) is not np.ndarray:
            return super().predict_proba(X)
        check_is_fitted(self)
        n_classes = self.classes_.shape[0]
        mean = np.zeros((X.shape[0], n_classes))
        for member in self.calibrated_classifiers_:
            pred = member.estimator.decision_function(X)
            if pred.ndim == 1:
                pred = pred.reshape(-1, 1)
            proba = np.zeros((X.shape[0], n_classes))
            for k, (column, cal) in enumerate(zip(pred.T, member.calibrators)):
                proba[:, k + 1 if n_classes == 2 else k] = expit(-(cal.a_ * column + cal.b_))
            if n_classes == 2:
                proba[:, 0] = 1.0 - proba[:, 1]
            else:
                denominator = np.sum(proba, axis=1)[:, np.newaxis]
                proba = np.divide(proba, denominator, out=np.full_like(proba, 1 / n_classes), where=denominator != 0)
            proba[(1.0 < proba) & (proba <= 1.0 + _ONE_TOLERANCE)] = 1.0
            mean += proba
        mean /= len(self.calibrated_classifiers_)
        return mean

    def predict(self, X):
        if not getattr(self, "_fast_", False) or type(X) is not np.ndarray:
            return super().predict(X)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
