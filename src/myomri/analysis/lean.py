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

Everything is restored on exit (to the originals captured at import, so overlapping use from
several threads cannot leave the replacement behind; a thread that sees the replacement gets the
same answers anyway, and ``config_context`` is thread-local). Used per outer fold in ``validation._fit_fold`` (one fold at a
time per process).
"""

from __future__ import annotations

import contextlib

import numpy as np
import sklearn
from sklearn.utils import validation as _skv

from .fastpaths import use_fast_path

__all__ = ["lean_sklearn"]

#: scikit-learn >= 1.9 only; older versions run the stock check (see ``fastpaths``).
_ORIG_NW = getattr(_skv, "_nw_into_df_or_series", None)


def _nw_into_df_or_series(x):
    if type(x) is np.ndarray:
        return False
    assert _ORIG_NW is not None  # only installed when it exists
    return _ORIG_NW(x)


@contextlib.contextmanager
def lean_sklearn():
    """Run scikit-learn with the result-neutral shortcuts above; restores everything on exit."""
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        if _ORIG_NW is None or not use_fast_path("lean"):
            yield
            return
        _skv._nw_into_df_or_series = _nw_into_df_or_series
        try:
            yield
        finally:
            _skv._nw_into_df_or_series = _ORIG_NW
