"""The six classifiers of seed paper 1, with scikit-learn defaults, seeded.

``make_classifier(name, seed=...)`` returns a fresh unfitted estimator. Two explicit departures
from a bare default, both reported by the study:

* SVM probabilities come from ``CalibratedClassifierCV(SVC())`` (sigmoid, 5 stratified folds)
  rather than the deprecated ``SVC(probability=True)``.
* QDA: scikit-learn >= 1.8 raises when a class covariance is rank deficient (fewer training
  samples of a class than features + 1, or a constant feature within a class). ``RankSafeQDA``
  then refits with ``config.analysis.QDA_FALLBACK`` (Ledoit-Wolf shrinkage) and records it in
  ``fallback_used_``; otherwise it is exactly ``QuadraticDiscriminantAnalysis()``. A feature that is
  exactly constant within a class leaves even the shrunk covariance singular: the last resort adds a
  ridge (``config.analysis.QDA_RIDGE`` x the training set's mean feature variance) to the diagonal.

RF, MLP and the calibrated SVM are ``ExactRandomForest`` / ``ExactMLP`` / ``ExactCalibratedSVC``:
subclasses with the same parameters whose fits and predictions equal ``RandomForestClassifier`` /
``MLPClassifier`` / ``CalibratedClassifierCV`` bit for bit, with less per-call overhead (see
fastforest.py, fastmlp.py, fastadam.py, fastsvm.py; tested in tests/analysis/test_study_speed.py).
They drive scikit-learn internals, so they are used only where ``fastpaths`` finds those
internals working at run time; otherwise the stock estimators are returned (same results).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

from ..config import analysis as cfg
from ..errors import InputError
from .fastpaths import use_fast_path

__all__ = ["make_classifier", "RankSafeQDA", "CLASSIFIER_NAMES"]

CLASSIFIER_NAMES = cfg.CLASSIFIERS


class RankSafeQDA(ClassifierMixin, BaseEstimator):
    """QDA with scikit-learn defaults; on a rank-deficient class covariance, a regularised refit.

    Attributes
    ----------
    model_ : the fitted QuadraticDiscriminantAnalysis
    fallback_used_ : bool, whether the regularised fallback was needed
    fallback_reason_ : str, scikit-learn's message when it was
    """

    def __init__(self, fallback: dict | None = None):
        self.fallback = fallback

    def fit(self, X, y):
        self.fallback_used_, self.fallback_reason_ = False, ""
        try:
            self.model_ = QuadraticDiscriminantAnalysis().fit(X, y)
        except np.linalg.LinAlgError as exc:
            self.fallback_used_, self.fallback_reason_ = True, str(exc).split(".")[0]
            params = dict(cfg.QDA_FALLBACK if self.fallback is None else self.fallback)
            try:
                self.model_ = QuadraticDiscriminantAnalysis(**params).fit(X, y)
            except np.linalg.LinAlgError:
                self.model_ = self._ridge_fit(X, y)
                self.fallback_reason_ += "; shrunk covariance singular too: ridge added"
        self.classes_ = self.model_.classes_
        return self

    @staticmethod
    def _ridge_fit(X, y):
        x = np.asarray(X, dtype=np.float64)
        scale = float(np.mean(np.var(x, axis=0)))
        floor = cfg.QDA_RIDGE * (scale if scale > 0 else 1.0)
        # sklearn's rank check is an absolute eigenvalue threshold: put it below the floor we add
        return QuadraticDiscriminantAnalysis(
            solver="eigen", covariance_estimator=_RidgedLedoitWolf(floor), tol=floor / 10
        ).fit(X, y)

    def predict(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict(X)

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(X)


class _RidgedLedoitWolf(BaseEstimator):
    """Ledoit-Wolf covariance of one class plus ``floor`` on the diagonal (QDA's last resort)."""

    def __init__(self, floor: float = 1e-3):
        self.floor = floor

    def fit(self, X, y=None):
        from sklearn.covariance import LedoitWolf

        cov = LedoitWolf().fit(X).covariance_
        self.covariance_ = cov + self.floor * np.eye(cov.shape[0])
        return self


def make_classifier(name: str, *, seed: int = cfg.VALIDATION_SEED):
    """A fresh classifier by name (``lda``, ``qda``, ``svm``, ``knn``, ``rf``, ``mlp``)."""
    if name == "lda":
        return LinearDiscriminantAnalysis()
    if name == "qda":
        return RankSafeQDA()
    if name == "svm":
        svc = SVC(random_state=seed)
        if not use_fast_path("svm"):
            return CalibratedClassifierCV(svc, cv=cfg.SVM_CALIBRATION_FOLDS, method=cfg.SVM_CALIBRATION_METHOD)
        # Same ensemble and probabilities bit for bit, without scikit-learn's per-fit plumbing.
        from .fastsvm import ExactCalibratedSVC

        return ExactCalibratedSVC(svc, cv=cfg.SVM_CALIBRATION_FOLDS, method=cfg.SVM_CALIBRATION_METHOD)
    if name == "knn":
        return KNeighborsClassifier()
    if name == "rf":
        # Same fit, probabilities and predictions as RandomForestClassifier bit for bit, ~4x faster,
        # where this scikit-learn has the internals it drives (checked at run time: fastpaths.py).
        if not use_fast_path("forest"):
            return RandomForestClassifier(random_state=seed)
        from .fastforest import ExactRandomForest

        return ExactRandomForest(random_state=seed)
    if name == "mlp":
        # MLPClassifier with lean per-iteration helpers: same results bit for bit, ~2x faster.
        if not use_fast_path("mlp"):
            return MLPClassifier(random_state=seed)
        from .fastmlp import ExactMLP

        return ExactMLP(random_state=seed)
    raise InputError(f"unknown classifier {name!r}; expected one of {list(CLASSIFIER_NAMES)}")
