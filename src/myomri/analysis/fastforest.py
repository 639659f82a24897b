"""``RandomForestClassifier`` with the per-tree Python overhead removed; bit-identical results.

The study fits ~10^6 small forests (100 trees on ~50 subjects x 3-4 features inside every SFS
inner fold). scikit-learn spends most of that time outside the tree builder: cloning and
``set_params`` of every tree, ``check_classification_targets``/``validate_data`` per tree, and a
second full ``predict_proba`` inside ``predict``. ``ExactRandomForest`` drives the same Cython
builder (``DepthFirstTreeBuilder`` + ``BestSplitter`` + ``Gini``) with the same random streams:

* per tree, seed ``s = rs.randint(int32 max)`` from ``RandomState(random_state)`` (as
  ``_set_random_states``), bootstrap counts from ``RandomState(s).randint(0, n, n)``, and a
  generator in the state of a fresh ``RandomState(s)`` handed to the splitter (as
  ``DecisionTreeClassifier._fit``); one generator re-seeded, not a new one per use;
* probabilities summed tree by tree in order into float64 zeros, then divided by the number of
  trees (as ``ForestClassifier.predict_proba`` with ``n_jobs=None``).

It takes this path only for the parameter values it reproduces (scikit-learn defaults apart from
``random_state``/``n_estimators``/``max_features``, dense finite input); any other setting falls
back to the parent class unchanged. ``tests/analysis/test_study_speed.py`` checks bit equality
of probabilities, predictions and ``feature_importances_`` against ``RandomForestClassifier``.
Whether this scikit-learn supports the path at all is decided at run time by
:mod:`~myomri.analysis.fastpaths` (``make_classifier`` falls back to the stock forest).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree._criterion import Gini
from sklearn.tree._splitter import BestSplitter
from sklearn.tree._tree import DepthFirstTreeBuilder, Tree
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["ExactRandomForest"]

_INT32_MAX = np.iinfo(np.int32).max
#: Parameters the fast path reproduces only at these (scikit-learn default) values.
_DEFAULTS = {
    "criterion": "gini",
    "max_depth": None,
    "min_samples_split": 2,
    "min_samples_leaf": 1,
    "min_weight_fraction_leaf": 0.0,
    "max_leaf_nodes": None,
    "min_impurity_decrease": 0.0,
    "bootstrap": True,
    "oob_score": False,
    "warm_start": False,
    "class_weight": None,
    "ccp_alpha": 0.0,
    "max_samples": None,
    "monotonic_cst": None,
}


class ExactRandomForest(RandomForestClassifier):
    """Drop-in ``RandomForestClassifier``: same parameters, same fitted probabilities bit for bit."""

    def _fast_ok(self, X, y, sample_weight) -> bool:
        params = self.get_params(deep=False)
        if any(params[k] is not v and params[k] != v for k, v in _DEFAULTS.items()):
            return False
        if sample_weight is not None or not isinstance(self.random_state, numbers.Integral):
            return False
        return isinstance(X, np.ndarray) and np.ndim(y) == 1

    def fit(self, X, y, sample_weight=None):
        if not self._fast_ok(X, y, sample_weight):
            self._fast_ = False
            return super().fit(X, y, sample_weight=sample_weight)
        X, y = validate_data(self, X, y, dtype=np.float32, ensure_all_finite=True)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        self.n_classes_ = self.classes_.size
        self.n_outputs_ = 1
        y_tree = np.ascontiguousarray(y_enc.reshape(-1, 1), dtype=np.float64)
        n, p = X.shape
        mf = self.max_features
        if mf == "sqrt":
            max_features = max(1, int(np.sqrt(p)))
        elif mf == "log2":
            max_features = max(1, int(np.log2(p)))
        elif mf is None:
            max_features = p
        elif isinstance(mf, numbers.Integral):
            max_features = mf
        else:
            max_features = max(1, int(mf * p)) if mf > 0.0 else 0
        n_classes = np.array([self.n_classes_], dtype=np.intp)
        # One size=n_estimators draw is the same stream as one scalar draw per tree.
        seeds = np.random.RandomState(self.random_state).randint(_INT32_MAX, size=self.n_estimators)
        # Constructing a RandomState costs ~50x re-seeding one (it first seeds itself from OS
        # entropy): one generator is re-seeded with the tree's seed before each use instead, which
        # leaves it in the state a fresh RandomState(s) starts in. The splitter draws its only
        # number from it when build() initialises it, so the second re-seed precedes build().
        rs = np.random.RandomState(0)
        trees = []
        for s in seeds:
            rs.seed(s)
            weight = np.bincount(rs.randint(0, n, n), minlength=n).astype(np.float64)
            rs.seed(s)
            splitter = BestSplitter(Gini(1, n_classes), max_features, 1, 0.0, rs, None)
            tree = Tree(p, n_classes, 1)
            DepthFirstTreeBuilder(splitter, 2, 1, 0.0, _INT32_MAX, 0.0).build(tree, X, y_tree, weight, None)
            trees.append(tree)
        self.trees_ = trees
        self._fast_ = True
        return self

    @property
    def estimators_(self):  # the fast path keeps bare ``Tree`` objects, not estimators
        if getattr(self, "_fast_", False):
            raise AttributeError("ExactRandomForest fitted on the fast path keeps trees_ (sklearn Tree objects)")
        return self.__dict__["estimators_"]

    @estimators_.setter
    def estimators_(self, value):
        self.__dict__["estimators_"] = value

    @property
    def feature_importances_(self):
        """Impurity-based importances, computed as ``RandomForestClassifier`` does (the mean of
        the normalised per-tree importances over trees with a split, normalised again)."""
        if not getattr(self, "_fast_", False):
            return super().feature_importances_
        check_is_fitted(self, "trees_")
        per_tree = [t.compute_feature_importances() for t in self.trees_ if t.node_count > 1]
        if not per_tree:
            return np.zeros(self.n_features_in_, dtype=np.float64)
        mean = np.mean(per_tree, axis=0, dtype=np.float64)
        return mean / np.sum(mean)

    def predict_proba(self, X):
        if not getattr(self, "_fast_", False):
            return super().predict_proba(X)
        check_is_fitted(self, "trees_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        out = np.zeros((X.shape[0], self.n_classes_), dtype=np.float64)
        for tree in self.trees_:
            out += tree.predict(X)[:, : self.n_classes_]
        out /= len(self.trees_)
        return out

    def predict(self, X):
        return self.classes_.take(np.argmax(self.predict_proba(X), axis=1), axis=0)
