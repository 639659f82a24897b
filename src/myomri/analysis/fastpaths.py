"""Which scikit-learn fast paths this installation supports, decided at run time.

The study's fast estimators lean on scikit-learn internals: ``ExactRandomForest`` drives the
private Cython tree builder, ``ExactMLP`` rebinds helpers of the private MLP module and runs its
own Adam loop around scikit-learn's activation and loss functions, ``ExactCalibratedSVC`` calls the
private sigmoid calibration and builds private ``_CalibratedClassifier`` objects, ``fastplatt``
drives SciPy's private L-BFGS-B routine with scikit-learn's private binomial loss, and
``lean_sklearn`` replaces a private narwhals check that appeared in scikit-learn 1.9. Each is
checked here once per process: the internals must exist, and a tiny fit on the fast path must
equal the stock estimator bit for bit. A path that fails is not used: ``make_classifier`` returns
the stock estimator (same results, slower), :func:`check_fast_paths` warns once with
:class:`FastPathWarning`, and the run manifest records :func:`fast_path_status`.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

__all__ = ["FAST_PATHS", "FastPathWarning", "fast_path_status", "use_fast_path", "check_fast_paths"]

#: The fast paths by name.
FAST_PATHS = ("forest", "mlp", "svm", "platt", "lean")


class FastPathWarning(UserWarning):
    """A scikit-learn fast path is unavailable here; the stock estimator is used instead."""


def _data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    return X, (X[:, 0] + 0.5 * rng.normal(size=30) > 0).astype(int) + (X[:, 1] > 1)


def _check_forest() -> str | None:
    from sklearn.ensemble import RandomForestClassifier

    from .fastforest import ExactRandomForest

    X, y = _data()
    fast = ExactRandomForest(n_estimators=5, random_state=3).fit(X, y)
    if not getattr(fast, "_fast_", False):
        return "the fast path did not run"
    stock = RandomForestClassifier(n_estimators=5, random_state=3).fit(X, y)
    if not np.array_equal(fast.predict_proba(X), stock.predict_proba(X)):
        return "its probabilities differ from RandomForestClassifier's"
    return None


def _check_mlp() -> str | None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from .fastmlp import ExactMLP

    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fast = ExactMLP(max_iter=5, random_state=3).fit(X, y)
        stock = MLPClassifier(max_iter=5, random_state=3).fit(X, y)
    if not np.array_equal(fast.predict_proba(X), stock.predict_proba(X)):
        return "its probabilities differ from MLPClassifier's"
    return None


def _check_svm() -> str | None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    from .fastsvm import ExactCalibratedSVC

    X, y = _data()
    y = y.copy()
    y[:5] = 2  # three classes, each at least the number of calibration folds
    for labels in (y, (y > 0).astype(int)):  # multiclass and binary
        fast = ExactCalibratedSVC(SVC(random_state=3), cv=3).fit(X, labels)
        if not getattr(fast, "_fast_", False):
            return "the fast path did not run"
        stock = CalibratedClassifierCV(SVC(random_state=3), cv=3).fit(X, labels)
        if not np.array_equal(fast.predict_proba(X), stock.predict_proba(X)):
            return "its probabilities differ from CalibratedClassifierCV's"
    return None


def _check_platt() -> str | None:
    from sklearn.calibration import _sigmoid_calibration

    from .fastplatt import sigmoid_calibration

    rng = np.random.RandomState(0)
    for scale in (0.5, 3.0, 80.0):  # 80: the large-value rescaling branch
        for _ in range(5):
            f = rng.normal(scale=scale, size=9)
            for labels in ((rng.uniform(size=9) < 0.4).astype(int), (f > 0).astype(int)):  # separable too
                if sigmoid_calibration(f, labels) != _sigmoid_calibration(f, labels):
                    return "its sigmoid parameters differ from _sigmoid_calibration's"
    return None


def _check_lean() -> str | None:
    from sklearn.utils import validation

    if not callable(getattr(validation, "_nw_into_df_or_series", None)):
        return "sklearn.utils.validation._nw_into_df_or_series is missing (scikit-learn < 1.9)"
    return None


_CHECKS = {"forest": _check_forest, "mlp": _check_mlp, "svm": _check_svm, "platt": _check_platt, "lean": _check_lean}


@functools.cache
def _problem(name: str) -> str | None:
    """Why the fast path ``name`` cannot be used here (None: it can)."""
    try:
        return _CHECKS[name]()
    except (ImportError, AttributeError, TypeError, ValueError) as exc:  # internals moved or changed
        return f"{type(exc).__name__}: {exc}"


def use_fast_path(name: str) -> bool:
    """True when the fast path ``name`` (one of :data:`FAST_PATHS`) works with this scikit-learn."""
    return _problem(name) is None


def fast_path_status() -> dict[str, Any]:
    """The scikit-learn version and, per fast path, ``"used"`` or why the stock code is used."""
    import sklearn

    status: dict[str, Any] = {"scikit_learn": sklearn.__version__}
    for name in FAST_PATHS:
        problem = _problem(name)
        status[name] = "used" if problem is None else f"stock scikit-learn ({problem})"
    return status


def check_fast_paths() -> dict[str, Any]:
    """:func:`fast_path_status`, warning once per unavailable path (:class:`FastPathWarning`)."""
    status = fast_path_status()
    for name in FAST_PATHS:
        if status[name] != "used":
            warnings.warn(
                f"scikit-learn {status['scikit_learn']}: fast path {name!r} unavailable, using "
                f"{status[name]}; results are the same, only slower",
                FastPathWarning,
                stacklevel=2,
            )
    return status
