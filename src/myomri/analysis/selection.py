"""Label-using feature selection: univariate filter, then forward sequential feature selection.

Both are scikit-learn selectors, so inside a ``Pipeline`` they are refitted on each outer training
fold (``mode: nested``) and cannot leak labels of the test fold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import ttest_ind
from sklearn.base import BaseEstimator, clone
from sklearn.feature_selection import SelectorMixin, f_classif
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted, validate_data

from ..config import analysis as cfg
from ..errors import InputError

__all__ = ["UnivariateFilter", "ForwardSFS", "univariate_pvalues"]


def univariate_pvalues(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """p-value per feature: Student's t-test for two classes, one-way ANOVA F for more."""
    classes = np.unique(y)
    if classes.size < 2:
        raise InputError(f"univariate filter needs at least two classes; got {classes.tolist()}")
    if classes.size == 2:
        return ttest_ind(X[y == classes[0]], X[y == classes[1]], axis=0).pvalue
    return f_classif(X, y)[1]


class UnivariateFilter(SelectorMixin, BaseEstimator):
    """Keep features with univariate p < ``p_threshold`` (t-test if binary, ANOVA F otherwise).

    If fewer than ``min_features`` pass, the ``min_features`` smallest p-values are kept instead
    and ``fallback_`` is set, so the downstream SFS always has candidates; the study reports how
    often that happened.
    """

    def __init__(self, p_threshold: float = cfg.UNIVARIATE_P, min_features: int = 1):
        self.p_threshold = p_threshold
        self.min_features = min_features

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        p = univariate_pvalues(X, y)
        self.pvalues_ = p
        # NaN p (a feature constant within the training fold) never passes.
        support = np.nan_to_num(p, nan=np.inf) < self.p_threshold
        self.fallback_ = bool(support.sum() < min(self.min_features, X.shape[1]))
        if self.fallback_:
            order = np.argsort(np.nan_to_num(p, nan=np.inf), kind="stable")
            support = np.zeros(X.shape[1], dtype=bool)
            support[order[: min(self.min_features, X.shape[1])]] = True
        self.support_ = support
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_


class ForwardSFS(SelectorMixin, BaseEstimator):
    """Forward sequential feature selection scored by stratified inner-CV accuracy.

    At each step every remaining feature is tried; the one giving the highest mean accuracy over
    ``StratifiedKFold(cv)`` (unshuffled, the same splits for every candidate) is added; ties go to
    the earlier column (candidates that provably cannot win are abandoned early, see ``_score``;
    the selection is the same as scoring every candidate in full). With a range of sizes ``k`` the search runs to ``max(k)`` and keeps the
    size in the range with the best score (ties: the smaller subset).

    Parameters
    ----------
    estimator : classifier
        Cloned and fitted on every inner training split.
    k : int or sequence of int
        Subset size, or the sizes to choose among.
    cv : int
        Inner stratified folds.
    skip_forced : bool
        When every subset size in ``k`` is capped to the number of columns (e.g. the univariate
        filter left exactly ``min(k)`` candidates), every column is selected whatever the scores,
        so the search is skipped (``forced_`` set; ``order_``, ``path_`` and ``k_score_`` are then
        not computed). Exact for ``support_``; used in nested mode, where only ``support_`` is.

    Attributes
    ----------
    support_ : ndarray of bool
    k_score_ : float, inner-CV accuracy of the chosen subset
    path_ : list of (tuple of column indices, score) after each step
    n_fallback_fits_ : int, inner fits whose estimator reported ``fallback_used_`` (rank-safe QDA)
    forced_ : bool, whether the search was skipped because the selection was forced
    """

    def __init__(
        self,
        estimator=None,
        k: int | Sequence[int] = cfg.SFS_K,
        cv: int = cfg.SFS_INNER_FOLDS,
        skip_forced: bool = False,
    ):
        self.estimator = estimator
        self.k = k
        self.cv = cv
        self.skip_forced = skip_forced

    def _sizes(self, n_features: int) -> list[int]:
        sizes = sorted(int(s) for s in np.atleast_1d(self.k))  # one size or several
        if not sizes or sizes[0] < 1:
            raise InputError(f"SFS subset size(s) must be >= 1; got {self.k!r}")
        capped = sorted({min(s, n_features) for s in sizes})
        return capped

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        sizes = self._sizes(X.shape[1])
        self.n_fallback_fits_ = 0
        self.n_pruned_ = 0
        self.forced_ = bool(self.skip_forced and sizes == [X.shape[1]])
        if self.forced_:
            # The only admissible subset is all columns: scores cannot change the selection.
            self.support_ = np.ones(X.shape[1], dtype=bool)
            return self
        splits = list(StratifiedKFold(n_splits=self.cv).split(X, y))
        chosen: list[int] = []
        self.path_ = []
        remaining = list(range(X.shape[1]))
        previous = {j: 0.0 for j in remaining}
        while len(chosen) < sizes[-1]:
            # Try the candidates that scored best at the previous step first: a high early bound
            # lets more hopeless candidates be abandoned. The choice itself is the first column
            # with the maximal score, whatever the evaluation order.
            order = sorted(range(len(remaining)), key=lambda i: -previous[remaining[i]])
            scores = [-np.inf] * len(remaining)
            bound = -np.inf
            for i in order:
                scores[i] = self._score(X, y, chosen + [remaining[i]], splits, bound=bound)
                bound = max(bound, scores[i])
            previous = {j: sc for j, sc in zip(remaining, scores)}
            best = int(np.argmax(scores))
            chosen.append(remaining.pop(best))
            self.path_.append((tuple(chosen), float(scores[best])))
        in_range = [(cols, s) for cols, s in self.path_ if len(cols) in sizes]
        best_score = max(s for _, s in in_range)
        cols = next(c for c, s in in_range if s == best_score)
        self.k_score_ = best_score
        self.support_ = np.zeros(X.shape[1], dtype=bool)
        self.support_[list(cols)] = True
        self.order_ = list(cols)
        return self

    def _score(self, X, y, cols, splits, bound: float = -np.inf) -> float:
        """Mean inner-CV accuracy, or -inf as soon as it provably cannot beat ``bound``.

        Unevaluated folds can score at most 1, so once ``(sum of accuracies so far + folds left)
        / folds`` falls below the best earlier candidate (by more than 1e-9, so float ties are
        still evaluated in full) this candidate cannot be selected: skipping its remaining fits
        changes no selection (branch and bound) and saves the fits of hopeless candidates.
        """
        accs = []
        n = len(splits)
        for i, (tr, te) in enumerate(splits):
            est = clone(self.estimator).fit(X[np.ix_(tr, cols)], y[tr])
            self.n_fallback_fits_ += int(getattr(est, "fallback_used_", False))
            accs.append(np.mean(est.predict(X[np.ix_(te, cols)]) == y[te]))
            if (sum(accs) + (n - i - 1)) / n < bound - 1e-9:
                self.n_pruned_ += 1
                return -np.inf
        return float(np.mean(accs))

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_
