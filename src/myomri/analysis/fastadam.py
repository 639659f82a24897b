"""The Adam training loop of ``MLPClassifier`` for one full batch per epoch, with less overhead.

With ~50 training subjects, ``batch_size="auto"`` (``min(200, n)``) makes every epoch one
mini-batch holding the whole training set, and each of the (default) 200 epochs is a few dozen
tiny NumPy operations wrapped in method calls, list comprehensions over the four parameter
arrays and per-batch helpers. :func:`fit_full_batch_adam` runs the same epochs with the same
floating-point operations in the same order, so every number is identical:

* the epoch shuffle permutes the sample order in place with ``RandomState.shuffle``, which draws
  the same numbers and applies the same swaps as scikit-learn's ``shuffle`` of the index array;
* forward pass, loss and backward pass call scikit-learn's own activation, derivative and loss
  functions on arrays of the same shapes and memory layout (matrix products are ``a @ b``, what
  ``safe_sparse_dot`` computes for dense arrays); the ReLU derivative zeroes the same entries
  with ``np.copyto(..., where=)`` (a boolean-mask assignment, without building the index list);
* all parameters, gradients and Adam moments live in one flat buffer (each layer's arrays are
  C-ordered views into it), so each element-wise Adam step (moments, step size, update) is one
  NumPy call instead of one per array; element-wise operations do not depend on the layout;
* the stopping rule (training loss not better than ``best - tol`` for more than
  ``n_iter_no_change`` epochs) and the ``ConvergenceWarning`` at ``max_iter`` are scikit-learn's.

:func:`supported` says when this loop applies (Adam with shuffling, no early stopping, no sample
weights, dense input, one batch per epoch, a fresh fit); otherwise ``ExactMLP`` runs
scikit-learn's own loop. Tests: ``tests/analysis/test_study_speed.py`` (bit equality of
probabilities, loss curve and iteration count with ``MLPClassifier``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import xlogy
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network._base import ACTIVATIONS, DERIVATIVES, LOSS_FUNCTIONS
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

__all__ = ["supported", "fit_full_batch_adam"]

#: scikit-learn's automatic batch size is ``min(_AUTO_BATCH, n_samples)``.
_AUTO_BATCH = 200


def supported(est, X, sample_weight, incremental: bool) -> bool:
    """Whether :func:`fit_full_batch_adam` reproduces scikit-learn's loop for this fit."""
    return (
        not incremental
        and est.solver == "adam"
        and est.shuffle is True
        and not est.early_stopping
        and not est.verbose
        and sample_weight is None
        and est.batch_size == "auto"
        and type(X) is np.ndarray
        and X.shape[0] <= _AUTO_BATCH
        and est.out_activation_ in ("softmax", "logistic")
        and est.loss == "log_loss"
    )


class _Flat:
    """Coefficients then intercepts of every layer as views into one flat buffer."""

    def __init__(self, arrays: list[np.ndarray], n_layers: int):
        self.buf = np.concatenate([a.ravel() for a in arrays])
        self.views, start = [], 0
        for a in arrays:
            self.views.append(self.buf[start : start + a.size].reshape(a.shape))
            start += a.size
        self.coef, self.bias = self.views[:n_layers], self.views[n_layers:]
        self.n_coef = sum(a.size for a in arrays[:n_layers])

    def like(self, buf: np.ndarray) -> list[np.ndarray]:
        """Per-array copies of ``buf`` (same layout as this buffer)."""
        out, start = [], 0
        for v in self.views:
            out.append(buf[start : start + v.size].reshape(v.shape).copy())
            start += v.size
        return out


def _softmax(X: np.ndarray) -> None:
    """scikit-learn's ``inplace_softmax`` with the same ufuncs, without its method wrappers."""
    tmp = X - np.maximum.reduce(X, axis=1)[:, np.newaxis]
    np.exp(tmp, out=X)
    X /= np.add.reduce(X, axis=1)[:, np.newaxis]


def _log_loss(y_true: np.ndarray, y_prob: np.ndarray) -> float:
    """scikit-learn's ``log_loss`` for two or more probability columns and no sample weights.

    ``np.average(..., axis=0)`` without weights is the column sums divided by the row count, which
    is what is computed here, with the same ufuncs in the same order.
    """
    eps = np.finfo(y_prob.dtype).eps
    clipped = np.clip(y_prob, eps, 1 - eps)
    return -(np.add.reduce(xlogy(y_true, clipped), axis=0) / y_true.shape[0]).sum()


def _output_functions(est, y: np.ndarray):
    """The output activation and the loss ``f(y_true, y_prob)`` of ``est``, chosen once per fit."""
    if est.out_activation_ == "softmax" and y.shape[1] > 1:
        return _softmax, _log_loss
    name = "binary_log_loss" if est.out_activation_ == "logistic" else "log_loss"
    loss = LOSS_FUNCTIONS[name]
    return ACTIVATIONS[est.out_activation_], lambda y_true, y_prob: loss(y_true, y_prob, None)


def _epoch_loss_and_grads(est, P: _Flat, G: _Flat, Xb, yb, out_act, loss_fn) -> float:
    """Forward pass, loss with the L2 term, and gradients written into ``G`` (one batch)."""
    n, last = Xb.shape[0], len(P.coef) - 1
    hidden, relu = ACTIVATIONS[est.activation], est.activation == "relu"
    acts = [Xb]
    for i, (w, b) in enumerate(zip(P.coef, P.bias)):
        a = acts[-1] @ w
        a += b
        (hidden if i < last else out_act)(a)
        acts.append(a)
    loss = loss_fn(yb, acts[-1])
    values = 0
    for w in P.coef:
        s = w.ravel()
        values += np.dot(s, s)
    loss += (0.5 * est.alpha) * values / n
    delta = acts[-1] - yb
    for i in range(last, -1, -1):
        G.coef[i][...] = acts[i].T @ delta
        np.add.reduce(delta, axis=0, out=G.bias[i])
        if i:
            delta = delta @ P.coef[i].T
            if relu:  # DERIVATIVES["relu"] is ``delta[Z == 0] = 0``: the same entries, set to +0.0
                np.copyto(delta, 0.0, where=acts[i] == 0)
            else:
                DERIVATIVES[est.activation](acts[i], delta)
    # coefficient gradients: (a.T @ delta + alpha * W) / n; intercepts: sum(delta) / n
    nc = P.n_coef
    G.buf[:nc] += est.alpha * P.buf[:nc]
    G.buf /= n
    return loss


def _adam_step(P: _Flat, G: _Flat, m: np.ndarray, v: np.ndarray, t: int, est) -> float:
    """One Adam update of ``P`` in place (AdamOptimizer's formulas, element-wise); returns the step size."""
    b1, b2 = est.beta_1, est.beta_2
    m *= b1
    m += (1 - b1) * G.buf
    v *= b2
    v += (1 - b2) * (G.buf**2)
    lr = est.learning_rate_init * math.sqrt(1 - b2**t) / (1 - b1**t)
    step = -lr * m
    step /= np.sqrt(v) + est.epsilon
    P.buf += step
    return lr


def fit_full_batch_adam(est, X: np.ndarray, y: np.ndarray) -> None:
    """Train ``est`` (initialised by scikit-learn's ``_fit``) on ``X``, ``y`` (binarised labels)."""
    n_layers, n = len(est.coefs_), X.shape[0]
    P = _Flat(est.coefs_ + est.intercepts_, n_layers)
    G = _Flat([np.empty_like(a) for a in est.coefs_ + est.intercepts_], n_layers)
    m, v = np.zeros_like(P.buf), np.zeros_like(P.buf)
    out_act, loss_fn = _output_functions(est, y)
    rs, idx = est._random_state, np.arange(n, dtype=int)
    best, count, curve, lr = est.best_loss_, est._no_improvement_count, est.loss_curve_, est.learning_rate_init
    est.n_iter_ = 0
    for t in range(1, est.max_iter + 1):
        rs.shuffle(idx)  # same draws and swaps as sklearn's shuffle(sample_idx): idx[permutation]
        batch_loss = _epoch_loss_and_grads(est, P, G, X[idx], y[idx], out_act, loss_fn)
        lr = _adam_step(P, G, m, v, t, est)
        est.n_iter_ += 1
        est.loss_ = (0.0 + batch_loss * n) / n  # scikit-learn's per-epoch sum over batches / n
        est.t_ += n
        curve.append(est.loss_)
        count = count + 1 if est.loss_ > best - est.tol else 0
        if est.loss_ < best:
            best = est.loss_
        if count > est.n_iter_no_change:
            break  # Adam stops at the first trigger (BaseOptimizer.trigger_stopping)
        if est.n_iter_ == est.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=2,
            )
    est.best_loss_, est._no_improvement_count = best, count
    params = P.like(P.buf)
    est.coefs_, est.intercepts_ = params[:n_layers], params[n_layers:]
    # the optimizer state scikit-learn would leave (used by a later partial_fit)
    opt = AdamOptimizer(params, est.learning_rate_init, est.beta_1, est.beta_2, est.epsilon)
    opt.t, opt.ms, opt.vs, opt.learning_rate = est.n_iter_, P.like(m), P.like(v), lr
    est._optimizer = opt
