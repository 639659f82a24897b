"""A context in which scikit-learn skips checks that cannot change a result on clean dense input.

The study fits ~10^6 tiny models; per call, scikit-learn re-validates hyper-parameters, scans
inputs for NaN/inf and asks narwhals whether each array is a dataframe (``inspect`` heavy). Inside
``lean_sklearn()``:

* ``assume_finite=True`` and ``skip_parameter_validation=True`` (scikit-learn's own switches):
  they only skip raising errors, so results on finite input with valid parameters are unchanged.
  ``run_repeated_cv`` checks that the feature matrix is finite before any fit, and the
  parameters are fixed scikit-learn defaults.
* ``sklearn.utils.validation._nw_into_df_or_series`` answers ``False`` at once for a plain
  ``numpy.ndarray`` (which is never a dataframe or series) and defers to narwhals otherwise.
* the vendored ``array_api_compat`` asks ``inspect.signature(xp.unique)`` on every ``unique_*``
  call whether ``equal_nan`` exists (a fixed property of the namespace); the answer is computed
  once per namespace (measured: ~40% of the calibrated SVM's non-numeric time went there).

Everything is restored on exit (to the originals captured at import, so overlapping use from
several threads cannot leave the replacement behind; a thread that sees the replacement gets the
same answers anyway, and ``config_context`` is thread-local). Used per outer fold in ``validation._fit_fold`` (one fold at a
time per process).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import sklearn
from sklearn.utils import validation as _skv

from .fastpaths import use_fast_path

__all__ = ["lean_sklearn"]


def _vendored_aliases() -> Any:
    """The vendored array-api compatibility layer (scikit-learn >= 1.6), or None."""
    import importlib

    # by name: a static import of this vendored sub-package confuses mypy's view of ``sklearn``
    try:
        return importlib.import_module("sklearn.externals.array_api_compat.common._aliases")
    except ImportError:  # pragma: no cover - older scikit-learn: nothing to shortcut
        return None


_aac = _vendored_aliases()

#: scikit-learn >= 1.9 only; older versions run the stock check (see ``fastpaths``).
_ORIG_NW = getattr(_skv, "_nw_into_df_or_series", None)
_ORIG_UK = getattr(_aac, "_unique_kwargs", None)
_UNIQUE_KWARGS: dict = {}


def _nw_into_df_or_series(x):
    if type(x) is np.ndarray:
        return False
    assert _ORIG_NW is not None  # only installed when it exists
    return _ORIG_NW(x)


def _unique_kwargs(xp):
    # keyed by the namespace's unique function itself (the dict keeps it alive, so an identity key
    # is never reused); a fresh dict per call, as before
    key = xp.unique
    if key not in _UNIQUE_KWARGS:
        assert _ORIG_UK is not None  # only installed when it exists
        _UNIQUE_KWARGS[key] = dict(_ORIG_UK(xp))
    return dict(_UNIQUE_KWARGS[key])


@contextlib.contextmanager
def lean_sklearn():
    """Run scikit-learn with the result-neutral shortcuts above; restores everything on exit."""
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        if _ORIG_NW is None or not use_fast_path("lean"):
            yield
            return
        _skv._nw_into_df_or_series = _nw_into_df_or_series
        if _ORIG_UK is not None:
            _aac._unique_kwargs = _unique_kwargs
        try:
            yield
        finally:
            _skv._nw_into_df_or_series = _ORIG_NW
            if _ORIG_UK is not None:
                _aac._unique_kwargs = _ORIG_UK
