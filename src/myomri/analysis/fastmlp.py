"""``MLPClassifier`` with scikit-learn's per-iteration helper overhead removed; bit-identical.

With ~50 subjects one mini-batch is the whole training set, so each of the (default) 200 Adam
iterations is tiny and about half of the time went to general-purpose helpers called every
iteration: ``shuffle`` (parameter validation + dataframe detection), ``_safe_indexing`` and
``safe_sparse_dot``. While ``ExactMLP`` fits or predicts, the names the MLP module looks up are
bound to dense-NumPy equivalents that consume the random stream identically
(``shuffle`` = ``arange`` + ``RandomState.shuffle`` + take, as ``resample(replace=False)``) and
compute the same products (``a @ b``). Anything that is not a dense NumPy array is passed to
scikit-learn's own helper. All hyper-parameters stay MLPClassifier's (defaults in the study).

On top of that, a fresh fit whose every epoch is one batch (the study's case) runs the Adam loop
of :mod:`~myomri.analysis.fastadam`, which drops the remaining per-epoch method and list overhead
(same operations, same bits).

The rebinding is module-global for the duration of a call and restored afterwards; estimators
are fitted one at a time per process here (outer folds run in separate processes), so no other
thread sees it. ``tests/analysis/test_study_speed.py`` checks bit equality with MLPClassifier.
"""

from __future__ import annotations

import contextlib

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network import _multilayer_perceptron as _mlp

from . import fastadam

__all__ = ["ExactMLP"]

_ORIG = {"shuffle": _mlp.shuffle, "_safe_indexing": _mlp._safe_indexing, "safe_sparse_dot": _mlp.safe_sparse_dot}


def _shuffle(*arrays, random_state=None, n_samples=None):
    if (
        len(arrays) != 1
        or n_samples is not None
        or not isinstance(arrays[0], np.ndarray)
        or not isinstance(random_state, np.random.RandomState)
    ):
        return _ORIG["shuffle"](*arrays, random_state=random_state, n_samples=n_samples)
    idx = np.arange(arrays[0].shape[0])
    random_state.shuffle(idx)
    return arrays[0][idx]


def _safe_indexing(X, indices, *, axis=0):
    if axis == 0 and isinstance(X, np.ndarray) and isinstance(indices, np.ndarray) and indices.dtype.kind in "iu":
        return X[indices]
    return _ORIG["_safe_indexing"](X, indices, axis=axis)


def _safe_sparse_dot(a, b, *, dense_output=False):
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim <= 2 and b.ndim <= 2:
        return a @ b
    return _ORIG["safe_sparse_dot"](a, b, dense_output=dense_output)


@contextlib.contextmanager
def _lean_helpers():
    _mlp.shuffle, _mlp._safe_indexing, _mlp.safe_sparse_dot = _shuffle, _safe_indexing, _safe_sparse_dot
    try:
        yield
    finally:
        _mlp.shuffle, _mlp._safe_indexing, _mlp.safe_sparse_dot = (
            _ORIG["shuffle"],
            _ORIG["_safe_indexing"],
            _ORIG["safe_sparse_dot"],
        )


class ExactMLP(MLPClassifier):
    """Drop-in ``MLPClassifier`` (same parameters and results bit for bit), faster on small data.

    Where every epoch is one batch (see :func:`~.fastadam.supported`), the Adam loop is
    :func:`~.fastadam.fit_full_batch_adam`; otherwise scikit-learn's own.
    """

    def _fit_stochastic(
        self, X, y, sample_weight, activations, deltas, coef_grads, intercept_grads, layer_units, incremental
    ):
        if not fastadam.supported(self, X, sample_weight, incremental):
            return super()._fit_stochastic(
                X, y, sample_weight, activations, deltas, coef_grads, intercept_grads, layer_units, incremental
            )
        fastadam.fit_full_batch_adam(self, X, y)
        return None

    def fit(self, X, y, sample_weight=None):
        with _lean_helpers():
            return super().fit(X, y, sample_weight=sample_weight)

    def predict_proba(self, X):
        with _lean_helpers():
            return super().predict_proba(X)

    def predict(self, X):
        with _lean_helpers():
            return super().predict(X)
