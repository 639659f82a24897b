"""ROC analysis of one continuous marker between two groups.

AUC with its DeLong variance (the fast midrank algorithm of Sun & Xu, 2014, which gives exactly
DeLong, DeLong & Clarke-Pearson's 1988 structural-component variance), the ROC curve points, the
Youden-optimal cutoff with its sensitivity and specificity and their confidence intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from ..config import stats as cfg
from ..errors import InputError

__all__ = [
    "RocResult",
    "analyze_roc",
    "compute_midranks",
    "compute_proportion_ci",
    "delong_components",
    "split_groups",
]


@dataclass(frozen=True)
class RocResult:
    """Result of :func:`analyze_roc`.

    Attributes
    ----------
    auc, auc_se, auc_ci : float, float, (float, float)
        Area under the ROC curve, its DeLong standard error and Wald interval (clipped to [0, 1]).
    p_value : float
        Two-sided p of ``AUC = 0.5`` with the DeLong standard error.
    cutoff : float
        Youden-optimal observed marker value; cases with ``marker >= cutoff`` (``<=`` for
        ``direction="less"``) are called positive.
    cutoff_midpoint : float
        Midway between ``cutoff`` and the next observed value on the negative side (the value
        SPSS prints in its ROC coordinates table).
    youden_j, sensitivity, specificity : float
    sensitivity_ci, specificity_ci : (float, float)
        Intervals by ``ci_method`` (Wilson score or Clopper-Pearson exact).
    fpr, tpr, thresholds : ndarray
        ROC points from ``(0, 0)`` at threshold ``+inf`` (``-inf`` for ``"less"``) to ``(1, 1)``.
    n_positive, n_negative, n_missing : int
        Cases used per group and cases dropped because the marker or group was missing.
    """

    auc: float
    auc_se: float
    auc_ci: tuple[float, float]
    p_value: float
    cutoff: float
    cutoff_midpoint: float
    youden_j: float
    sensitivity: float
    specificity: float
    sensitivity_ci: tuple[float, float]
    specificity_ci: tuple[float, float]
    n_positive: int
    n_negative: int
    n_missing: int
    ci_level: float
    ci_method: str
    direction: str
    fpr: np.ndarray = field(repr=False)
    tpr: np.ndarray = field(repr=False)
    thresholds: np.ndarray = field(repr=False)

    def summary(self) -> dict[str, object]:
        """Scalar results as a flat dict (one row of a results table)."""
        lo, hi = self.auc_ci
        return {
            "auc": self.auc,
            "auc_se": self.auc_se,
            "auc_ci_low": lo,
            "auc_ci_high": hi,
            "p_value": self.p_value,
            "cutoff": self.cutoff,
            "cutoff_midpoint": self.cutoff_midpoint,
            "youden_j": self.youden_j,
            "sensitivity": self.sensitivity,
            "sensitivity_ci_low": self.sensitivity_ci[0],
            "sensitivity_ci_high": self.sensitivity_ci[1],
            "specificity": self.specificity,
            "specificity_ci_low": self.specificity_ci[0],
            "specificity_ci_high": self.specificity_ci[1],
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "n_missing": self.n_missing,
            "ci_level": self.ci_level,
            "ci_method": self.ci_method,
            "direction": self.direction,
        }


def _is_missing(values: np.ndarray) -> np.ndarray:
    """Missing = None/NaN (pandas' notion), works for object and numeric arrays."""
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def split_groups(marker, group, *, positive, what: str = "marker") -> tuple[np.ndarray, np.ndarray, int]:
    """Split a marker into its positive- and negative-group values, dropping missing pairs.

    Parameters
    ----------
    marker : array_like of float
        One value per case.
    group : array_like
        Group label per case; exactly two distinct non-missing labels are expected.
    positive : object
        The label of the positive (diseased) group.

    Returns
    -------
    pos, neg : ndarray of float
        Marker values of the positive and the negative group.
    n_missing : int
        Cases dropped because the marker or the group label was missing.
    """
    import pandas as pd

    marker = np.asarray(pd.to_numeric(pd.Series(marker), errors="coerce"), dtype=float)
    group = np.asarray(pd.Series(group, dtype=object))
    if marker.shape != group.shape or marker.ndim != 1:
        raise InputError(
            f"{what}: {marker.size} marker values and {group.size} group labels, expected one label per value (1-D)"
        )
    missing = ~np.isfinite(marker) | _is_missing(group)
    marker, group = marker[~missing], group[~missing]
    labels = sorted({str(g) for g in group})
    if len(labels) != 2:
        raise InputError(f"{what}: found groups {labels}, expected exactly 2 groups with values")
    is_pos = np.array([g == positive for g in group], dtype=bool)
    if not is_pos.any():
        raise InputError(f"{what}: positive group {positive!r} not among the groups {labels}")
    pos, neg = marker[is_pos], marker[~is_pos]
    return pos, neg, int(missing.sum())


def compute_midranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x`` with ties given the mean of the ranks they span (midranks)."""
    return sps.rankdata(np.asarray(x, dtype=float), method="average")


def delong_components(pos: np.ndarray, neg: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's structural components by midranks (Sun & Xu 2014), O(N log N).

    ``V10[i]`` is the fraction of negatives that positive ``i`` beats (ties count 1/2) and
    ``V01[j]`` the fraction of positives that beat negative ``j``; both average to the AUC.
    """
    pos = np.asarray(pos, dtype=float)
    neg = np.asarray(neg, dtype=float)
    m, n = pos.size, neg.size
    tx = compute_midranks(pos)
    ty = compute_midranks(neg)
    tz = compute_midranks(np.concatenate([pos, neg]))
    # The rank of a positive among all cases minus its rank among positives counts the negatives
    # below it (ties as 1/2): that is the Mann-Whitney kernel summed over the negatives.
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    auc = float((tz[:m].sum() - m * (m + 1) / 2.0) / (m * n))
    return auc, v10, v01


def compute_proportion_ci(
    k: int, n: int, *, level: float | None = None, method: str | None = None
) -> tuple[float, float]:
    """Confidence interval of a binomial proportion ``k / n``.

    ``method`` is ``"wilson"`` (score interval, no continuity correction) or
    ``"clopper-pearson"`` (exact); defaults from :mod:`myomri.config.stats`.
    """
    level = cfg.CI_LEVEL if level is None else float(level)
    method = cfg.PROPORTION_CI if method is None else method
    if method not in cfg.PROPORTION_CI_METHODS:
        raise InputError(f"proportion CI method {method!r}, expected one of {cfg.PROPORTION_CI_METHODS}")
    if not 0.0 < level < 1.0:
        raise InputError(f"confidence level {level!r}, expected a number in (0, 1)")
    if n <= 0 or not 0 <= k <= n:
        raise InputError(f"proportion {k}/{n}: expected 0 <= k <= n and n > 0")
    alpha = 1.0 - level
    if method == "wilson":
        z = sps.norm.ppf(1.0 - alpha / 2.0)
        p = k / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
        return float(max(0.0, centre - half)), float(min(1.0, centre + half))
    lo = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2.0, k, n - k + 1))
    hi = 1.0 if k == n else float(sps.beta.ppf(1.0 - alpha / 2.0, k + 1, n - k))
    return lo, hi


def _roc_points(pos: np.ndarray, neg: np.ndarray):
    """ROC points for the rule ``score >= t`` at every distinct score, from high to low."""
    scores = np.concatenate([pos, neg])
    thresholds = np.unique(scores)[::-1]
    # Counts of positives/negatives at or above each threshold via sorted searches.
    pos_sorted, neg_sorted = np.sort(pos), np.sort(neg)
    tp = pos.size - np.searchsorted(pos_sorted, thresholds, side="left")
    fp = neg.size - np.searchsorted(neg_sorted, thresholds, side="left")
    tp = np.concatenate([[0], tp])
    fp = np.concatenate([[0], fp])
    thresholds = np.concatenate([[np.inf], thresholds])
    return tp, fp, thresholds


def _delong_test(pos: np.ndarray, neg: np.ndarray, level: float) -> tuple[float, float, tuple[float, float], float]:
    """(AUC, DeLong standard error, Wald interval clipped to [0, 1], two-sided p of AUC = 0.5)."""
    m, n = pos.size, neg.size
    auc, v10, v01 = delong_components(pos, neg)
    se = float(np.sqrt(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n))
    z = sps.norm.ppf(0.5 + level / 2.0)
    if se > 0:
        ci = (max(0.0, auc - z * se), min(1.0, auc + z * se))
        p_value = float(2.0 * sps.norm.sf(abs(auc - 0.5) / se))
    else:
        # Complete separation (or all values tied): the DeLong variance is 0 and the Wald
        # interval degenerates to the point; report it as such rather than inventing a width.
        ci = (auc, auc)
        p_value = 0.0 if auc != 0.5 else 1.0
    return auc, se, ci, p_value


def analyze_roc(
    marker, group, *, positive, direction: str | None = None, level: float | None = None, ci_method: str | None = None
) -> RocResult:
    """ROC analysis of a continuous marker between two groups.

    Parameters
    ----------
    marker : array_like of float
        One value per case (e.g. mean muscle T2 in ms). Missing values (NaN/None) are dropped
        together with their group label and counted in ``n_missing``.
    group : array_like
        Group label per case (two distinct labels).
    positive : object
        Label of the positive group (e.g. ``"IIM"``).
    direction : {"greater", "less"}, optional
        ``"greater"`` when the positive group has higher values.
    level : float, optional
        Confidence level (default :data:`myomri.config.stats.CI_LEVEL`).
    ci_method : {"wilson", "clopper-pearson"}, optional
        Interval of sensitivity and specificity.

    Returns
    -------
    RocResult

    Examples
    --------
    >>> r = analyze_roc([40, 45, 50, 33, 34, 35], ["IIM"] * 3 + ["HC"] * 3, positive="IIM")
    >>> r.auc, r.cutoff, r.sensitivity, r.specificity
    (1.0, 40.0, 1.0, 1.0)
    """
    direction = cfg.ROC_DIRECTION if direction is None else direction
    if direction not in cfg.ROC_DIRECTIONS:
        raise InputError(f"ROC direction {direction!r}, expected one of {cfg.ROC_DIRECTIONS}")
    level = cfg.CI_LEVEL if level is None else float(level)
    ci_method = cfg.PROPORTION_CI if ci_method is None else ci_method
    pos, neg, n_missing = split_groups(marker, group, positive=positive)
    sign = 1.0 if direction == "greater" else -1.0
    pos_s, neg_s = sign * pos, sign * neg
    m, n = pos.size, neg.size

    if m < 2 or n < 2:
        # DeLong's variance is a sum of sample variances over each group.
        raise InputError(
            f"marker: {m} positive and {n} negative cases with values (after dropping {n_missing} "
            "missing); ROC analysis needs at least 2 per group"
        )
    auc, se, ci, p_value = _delong_test(pos_s, neg_s, level)

    tp, fp, thr = _roc_points(pos_s, neg_s)
    tpr, fpr = tp / m, fp / n
    j = tpr - fpr
    best = int(np.argmax(j[1:])) + 1  # first maximum from the strict side: highest specificity
    cut_s = thr[best]
    nxt = thr[best + 1] if best + 1 < thr.size else cut_s
    sens_k, spec_k = int(tp[best]), int(n - fp[best])
    return RocResult(
        auc=auc,
        auc_se=se,
        auc_ci=(float(ci[0]), float(ci[1])),
        p_value=p_value,
        cutoff=float(sign * cut_s),
        cutoff_midpoint=float(sign * (cut_s + nxt) / 2.0),
        youden_j=float(j[best]),
        sensitivity=sens_k / m,
        specificity=spec_k / n,
        sensitivity_ci=compute_proportion_ci(sens_k, m, level=level, method=ci_method),
        specificity_ci=compute_proportion_ci(spec_k, n, level=level, method=ci_method),
        n_positive=m,
        n_negative=n,
        n_missing=n_missing,
        ci_level=level,
        ci_method=ci_method,
        direction=direction,
        fpr=fpr,
        tpr=tpr,
        thresholds=sign * thr,
    )
