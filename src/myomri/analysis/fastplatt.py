"""Platt's sigmoid fit as scikit-learn's ``_sigmoid_calibration`` computes it, without the plumbing.

The study's calibrated SVM fits ~10^5 sigmoids of ~5-10 points each. scikit-learn fits each with
``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``; on such tiny problems most of the time
goes to ``minimize``'s set-up (option and bound standardisation, the ``ScalarFunction`` and
``MemoizeJac`` wrappers with their copies and caches) rather than to the ~10 evaluations of the
loss. :func:`sigmoid_calibration` drives the same L-BFGS-B routine (SciPy's ``setulb``) with the
same settings, start point and sequence of loss/gradient values, computed by the same
``HalfBinomialLoss``, so ``(a, b)`` are identical to the bit:

* the prior-corrected targets, the rescaling of large decision values (threshold 30) and the
  start point ``(0, log((N- + 1) / (N+ + 1)))`` are scikit-learn's;
* L-BFGS-B with ``m = 10`` corrections, ``factr = 64`` (``ftol = 64 eps``), ``pgtol = 1e-6``,
  ``maxls = 20``, at most 15000 iterations and evaluations (``minimize``'s defaults for this call),
  no bounds.

Whether this SciPy and scikit-learn support it is decided at run time by
:mod:`~myomri.analysis.fastpaths` (path ``"platt"``: the internals exist and the fit equals
``_sigmoid_calibration`` bit for bit on test problems); tests: ``tests/analysis/test_study_speed.py``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import _lbfgsb
from sklearn._loss.loss import HalfBinomialLoss

__all__ = ["sigmoid_calibration"]

_M = 10  # L-BFGS-B corrections kept (minimize's maxcor)
_FACTR = 64.0  # ftol / eps with scikit-learn's ftol = 64 eps
_PGTOL = 1e-6
_MAXLS = 20
_MAXITER = 15000
_MAXFUN = 15000
_LOSS = HalfBinomialLoss()


def _targets(F: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Platt's prior-corrected targets and the start intercept ``log((N- + 1) / (N+ + 1))``."""
    negative = y <= 0
    prior0 = float(np.sum(negative))
    prior1 = y.shape[0] - prior0
    T = np.zeros_like(y, dtype=F.dtype)
    T[y > 0] = (prior1 + 1.0) / (prior1 + 2.0)
    T[negative] = 1.0 / (prior0 + 2.0)
    return T, prior0, prior1


def sigmoid_calibration(predictions: np.ndarray, y: np.ndarray, max_abs_prediction_threshold: float = 30):
    """Slope ``a`` and intercept ``b`` of ``P(y=1|f) = 1 / (1 + exp(a f + b))`` (Platt 2000).

    Parameters
    ----------
    predictions : ndarray of shape (n_samples,)
        Decision values of the held-out samples (float64).
    y : ndarray of shape (n_samples,)
        0/1 targets.
    max_abs_prediction_threshold : float
        Decision values are divided by their largest magnitude when it reaches this.

    Returns
    -------
    a, b : float
        As ``sklearn.calibration._sigmoid_calibration(predictions, y)`` returns them.
    """
    F = predictions.ravel()
    y = y.ravel()
    scale = 1.0
    largest = np.max(np.abs(F))
    if largest >= max_abs_prediction_threshold:
        scale = largest  # logistic regression is invariant to this rescaling of its input
        F = F / scale
    T, prior0, prior1 = _targets(F, y)
    x = np.array([0.0, math.log((prior0 + 1.0) / (prior1 + 1.0))], dtype=np.float64)
    _lbfgs(F, T, predictions.dtype, x)
    return x[0] / scale, x[1]


def _loss_grad(F: np.ndarray, T: np.ndarray, dtype, AB: np.ndarray):
    """scikit-learn's ``loss_grad`` closure of ``_sigmoid_calibration``."""
    raw = -(AB[0] * F + AB[1]).astype(dtype=dtype)
    loss, g = _LOSS.loss_gradient(y_true=T, raw_prediction=raw, sample_weight=None)
    return loss.sum(), np.asarray([-g @ F, -g.sum()], dtype=np.float64)


def _lbfgs(F: np.ndarray, T: np.ndarray, dtype, x: np.ndarray) -> None:
    """``_minimize_lbfgsb``'s reverse-communication loop for two unbounded parameters; ``x`` in place."""
    n = x.shape[0]
    nbd = np.zeros(n, np.int32)
    low = np.zeros(n, np.float64)
    high = np.zeros(n, np.float64)
    f, g = _loss_grad(F, T, dtype, x.copy())  # minimize evaluates the start point first
    wa = np.zeros(2 * _M * n + 5 * n + 11 * _M * _M + 8 * _M, np.float64)
    iwa = np.zeros(3 * n, np.int32)
    task = np.zeros(2, np.int32)
    ln_task = np.zeros(2, np.int32)
    lsave = np.zeros(4, np.int32)
    isave = np.zeros(44, np.int32)
    dsave = np.zeros(29, np.float64)
    f_arg, g_arg = np.array(0.0, dtype=np.float64), np.zeros(n, np.float64)
    at, nfev, iterations = x.copy(), 1, 0
    while True:
        _lbfgsb.setulb(_M, x, low, high, nbd, f_arg, g_arg, _FACTR, _PGTOL, wa, iwa, task, lsave, isave, dsave,
                       _MAXLS, ln_task)  # fmt: skip
        if task[0] == 3:  # f and g wanted at x: the start point's are cached, as ScalarFunction does
            if not np.array_equal(x, at):
                f, g = _loss_grad(F, T, dtype, x.copy())
                at, nfev = x.copy(), nfev + 1
            f_arg, g_arg = f, g.astype(np.float64)
        elif task[0] == 1:  # a new iteration
            iterations += 1
            if iterations >= _MAXITER:
                task[0], task[1] = 5, 504  # STOP, as minimize asks: setulb then winds up
            elif nfev > _MAXFUN:
                task[0], task[1] = 5, 502
        else:
            return
