"""Label-free dimensional reduction: z-score, collinearity filter, reproducibility (ICC) filter.

All three are scikit-learn transformers (``fit`` returns self, learned attributes end in ``_``)
so they compose in a ``Pipeline``. None of them looks at the labels, which is why the study may
run the collinearity and ICC filters on all subjects before cross-validation (and says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_selection import SelectorMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from ..config import analysis as cfg
from ..errors import InputError
from .reproducibility import icc_table

__all__ = ["ZScore", "CollinearityFilter", "ReproducibilityFilter", "select_collinear"]

#: The z-score is scikit-learn's StandardScaler (mean 0, population SD 1), fitted on training data.
ZScore = StandardScaler


def select_collinear(x: np.ndarray, *, threshold: float) -> np.ndarray:
    """Boolean support of the features kept by the collinearity rule.

    Features are visited from the lowest to the highest mean |Pearson r| to all other features
    (ties: column order); a feature is kept unless its |r| with an already kept feature is
    >= ``threshold``. So of every collinear pair the one with the lowest mean |r| stays.
    """
    x = np.asarray(x, dtype=float)
    n_features = x.shape[1]
    if n_features == 1:
        return np.ones(1, dtype=bool)
    sd = x.std(axis=0)
    if np.any(sd == 0):
        raise InputError(
            f"collinearity filter: constant feature column(s) {np.flatnonzero(sd == 0).tolist()} "
            "have no correlation; remove them first"
        )
    r = np.abs(np.corrcoef(x, rowvar=False))
    mean_r = (r.sum(axis=0) - 1.0) / (n_features - 1)
    keep = np.zeros(n_features, dtype=bool)
    for j in np.argsort(mean_r, kind="stable"):
        if not np.any(r[j, keep] >= threshold):
            keep[j] = True
    return keep


class CollinearityFilter(SelectorMixin, BaseEstimator):
    """Drop collinear features: of every pair with |r| >= threshold keep the least correlated one.

    Parameters
    ----------
    threshold : float
        |Pearson r| at or above which two features count as collinear.

    Attributes
    ----------
    support_ : ndarray of bool
    mean_abs_r_ : ndarray, mean |r| of each feature to the others (the ranking criterion)
    """

    def __init__(self, threshold: float = 0.7):
        self.threshold = threshold

    def fit(self, X, y=None):
        X = validate_data(self, X, ensure_min_features=1)
        self.support_ = select_collinear(X, threshold=self.threshold)
        r = np.abs(np.corrcoef(X, rowvar=False)) if X.shape[1] > 1 else np.ones((1, 1))
        self.mean_abs_r_ = (np.atleast_2d(r).sum(axis=0) - 1.0) / max(X.shape[1] - 1, 1)
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_


class ReproducibilityFilter(BaseEstimator, TransformerMixin):
    """Keep the features whose ICC reaches ``threshold`` in every reader analysis.

    ``fit`` takes the tidy multi-reader table (``subject``, ``reader``, one column per feature),
    not the modelling matrix; ``transform`` selects the kept columns of a DataFrame.

    Parameters
    ----------
    analyses : dict
        Analysis name -> readers, e.g. ``{"inter": ["R1", "R2"], "intra": ["R1", "R1b"]}``.
    form : str
        ICC form (``config.analysis.ICC_FORMS``).
    threshold : float
        Minimum ICC in every analysis.

    Attributes
    ----------
    icc_ : DataFrame, tidy ICC table (analysis, feature, icc, ci_low, ci_high, ...)
    support_ : ndarray of bool over ``feature_names_in_``
    """

    def __init__(
        self,
        analyses: Mapping[str, Sequence[str]] | None = None,
        *,
        form: str = cfg.ICC_FORM,
        threshold: float = cfg.ICC_THRESHOLD,
    ):
        self.analyses = analyses
        self.form = form
        self.threshold = threshold

    def fit(self, X: pd.DataFrame, y=None):
        if not isinstance(X, pd.DataFrame) or not {"subject", "reader"} <= set(X.columns):
            raise InputError("ReproducibilityFilter.fit expects a tidy DataFrame with subject and reader columns")
        if not self.analyses:
            raise InputError("ReproducibilityFilter needs at least one reader analysis")
        names = [c for c in X.columns if c not in ("subject", "reader", "session")]
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.icc_ = icc_table(X, analyses=dict(self.analyses), feature_names=names, form=self.form)
        wide = self.icc_.pivot(index="feature", columns="analysis", values="icc").loc[names]
        # NaN ICC (a constant feature) fails the test explicitly rather than passing silently.
        self.support_ = (wide.fillna(-np.inf) >= self.threshold).all(axis=1).to_numpy()
        return self

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "support_")
        return self.feature_names_in_[self.support_]

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "support_")
        kept = list(self.get_feature_names_out())
        missing = [c for c in kept if c not in X.columns]
        if missing:
            raise InputError(f"ReproducibilityFilter.transform: columns {missing} absent from the table")
        return X[kept]
