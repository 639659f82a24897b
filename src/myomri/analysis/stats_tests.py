"""Hypothesis tests of the clinical analysis: Mann-Whitney U, t-tests, chi-squared / Fisher,
Spearman correlations with Holm-adjusted p-values.

Every function drops missing values explicitly and reports how many it dropped, so a result is
never computed on silently fewer cases than the caller thinks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..config import stats as cfg
from ..errors import InputError
from .stats_roc import split_groups

__all__ = [
    "TestResult",
    "adjust_holm",
    "correlate_markers",
    "run_contingency_test",
    "run_mann_whitney",
    "run_two_group_test",
]


@dataclass(frozen=True)
class TestResult:
    """Outcome of one test: statistic, p-value, the test's name, cases used and dropped."""

    __test__ = False  # not a pytest class despite the name

    test: str
    statistic: float
    p_value: float
    n: int
    n_missing: int
    note: str = ""


def _finite(values, *, what: str) -> tuple[np.ndarray, int]:
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    keep = np.isfinite(arr)
    return arr[keep], int((~keep).sum())


def run_mann_whitney(marker, group, *, positive) -> TestResult:
    """Two-sided Mann-Whitney U test of ``marker`` between the two groups of ``group``.

    ``statistic`` is U of the positive group (scipy's convention for its first sample), so
    ``U / (n_pos * n_neg)`` is the AUC of :func:`~myomri.analysis.stats_roc.analyze_roc`.
    The p-value is scipy's (exact for small tie-free samples, else normal with tie correction).
    """
    pos, neg, n_missing = split_groups(marker, group, positive=positive)
    res = sps.mannwhitneyu(pos, neg, alternative="two-sided")
    return TestResult("Mann-Whitney U", float(res.statistic), float(res.pvalue), pos.size + neg.size, n_missing)


def run_two_group_test(a, b, *, test: str | None = None) -> TestResult:
    """Compare a continuous variable between two samples (missing values dropped and counted).

    ``test`` is ``"student"`` (pooled-variance t), ``"welch"`` (unequal variances) or
    ``"mannwhitney"``; default :data:`myomri.config.stats.CONTINUOUS_TEST`.
    """
    test = cfg.CONTINUOUS_TEST if test is None else test
    if test not in cfg.CONTINUOUS_TESTS:
        raise InputError(f"continuous test {test!r}, expected one of {cfg.CONTINUOUS_TESTS}")
    a, ma = _finite(a, what="first group")
    b, mb = _finite(b, what="second group")
    if a.size < 2 or b.size < 2:
        raise InputError(
            f"{test} test needs >= 2 values per group, found {a.size} and {b.size} (after dropping {ma + mb} missing)"
        )
    if test == "mannwhitney":
        res = sps.mannwhitneyu(a, b, alternative="two-sided")
        name = "Mann-Whitney U"
    else:
        res = sps.ttest_ind(a, b, equal_var=(test == "student"))
        name = "Student t-test" if test == "student" else "Welch t-test"
    return TestResult(name, float(res.statistic), float(res.pvalue), a.size + b.size, ma + mb)


def _fisher_exact(obs: np.ndarray) -> tuple[float, float, str]:
    """Fisher's test: (statistic, p, how the p-value was obtained) as plain floats."""
    if obs.shape == (2, 2):
        res = sps.fisher_exact(obs)
        how = ""
    else:
        # scipy's r x c p-value is Monte Carlo; unseeded, the same table gave a different p each run
        rng = np.random.default_rng(cfg.FISHER_SEED)
        res = sps.fisher_exact(obs, method=sps.MonteCarloMethod(n_resamples=cfg.FISHER_RESAMPLES, rng=rng))
        how = f" (Monte Carlo p, {cfg.FISHER_RESAMPLES} tables)"
    # scipy returns 1-element arrays instead of scalars for some r x c tables (more rows than
    # columns), and float() of those raises: take the single value explicitly
    stat, p = (float(np.asarray(v).reshape(-1)[0]) for v in (res.statistic, res.pvalue))
    return stat, p, how


def run_contingency_test(table, *, yates: bool | None = None, min_expected: float | None = None) -> TestResult:
    """Test of independence in an r x c table of counts.

    Pearson's chi-squared (with Yates' correction for 2x2 when ``yates``), replaced by Fisher's
    exact test when any expected count is below ``min_expected``; ``note`` says which and why.
    Rows or columns that are all zero are removed first (they carry no information and make the
    expected counts zero).
    """
    yates = cfg.CHI2_YATES if yates is None else bool(yates)
    min_expected = cfg.FISHER_MIN_EXPECTED if min_expected is None else float(min_expected)
    obs = np.asarray(table, dtype=float)
    if obs.ndim != 2 or np.any(obs < 0) or np.any(obs != np.round(obs)):
        raise InputError(f"contingency table {obs.tolist()}: expected a 2-D table of counts")
    obs = obs[obs.sum(axis=1) > 0][:, obs.sum(axis=0) > 0]
    n = int(obs.sum())
    if obs.shape[0] < 2 or obs.shape[1] < 2:
        return TestResult(
            "none", float("nan"), float("nan"), n, 0, note="fewer than 2 non-empty rows or columns: no test possible"
        )
    expected = sps.contingency.expected_freq(obs)
    if expected.min() < min_expected:
        stat, p, how = _fisher_exact(obs.astype(np.int64))
        note = f"Fisher exact test{how}: smallest expected count {expected.min():.2f} < {min_expected:g}"
        return TestResult("Fisher exact", stat, p, n, 0, note=note)
    chi2, p, dof, _ = sps.chi2_contingency(obs, correction=yates)
    is_2x2 = obs.shape == (2, 2)
    name = "chi-squared (Yates)" if (yates and is_2x2) else "chi-squared"
    return TestResult(name, float(chi2), float(p), n, 0, note=f"dof={dof}")


def adjust_holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), NaNs left out of the family.

    Sorted ascending, ``p_(i)`` becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))``.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise InputError(f"p-values {p.tolist()}: expected values in [0, 1]")
    vals = p[ok]
    m = vals.size
    if m == 0:
        return out
    order = np.argsort(vals, kind="stable")
    scaled = (m - np.arange(m)) * vals[order]
    adj_sorted = np.minimum(1.0, np.maximum.accumulate(scaled))
    adj = np.empty(m)
    adj[order] = adj_sorted
    out[ok] = adj
    return out


def correlate_markers(
    df: pd.DataFrame, marker: str, variables=None, *, method: str | None = None, p_adjust: str | None = None
) -> pd.DataFrame:
    """Correlate one marker with several variables, with multiplicity-adjusted p-values.

    Parameters
    ----------
    df : DataFrame
        One row per subject.
    marker : str
        Column of the marker (e.g. ``"t2_mean"``).
    variables : list of str, optional
        Columns to correlate with; default :data:`myomri.config.stats.CLINICAL_VARIABLES`.
    method : {"spearman", "pearson"}, optional
    p_adjust : {"holm", "none"}, optional
        Correction across the variables.

    Returns
    -------
    DataFrame
        One row per variable: ``variable, n, n_missing, rho, p_value, p_adjusted, method,
        p_adjust``. Missing values are dropped pairwise; ``n_missing`` counts the rows dropped
        for that pair.
    """
    method = cfg.CORRELATION if method is None else method
    p_adjust = cfg.P_ADJUST if p_adjust is None else p_adjust
    if method not in cfg.CORRELATIONS:
        raise InputError(f"correlation {method!r}, expected one of {cfg.CORRELATIONS}")
    if p_adjust not in cfg.P_ADJUST_METHODS:
        raise InputError(f"p-value adjustment {p_adjust!r}, expected one of {cfg.P_ADJUST_METHODS}")
    variables = list(cfg.CLINICAL_VARIABLES if variables is None else variables)
    absent = [c for c in [marker, *variables] if c not in df.columns]
    if absent:
        raise InputError(f"columns {absent} not in the table, which has {list(df.columns)}")
    x_all = pd.to_numeric(df[marker], errors="coerce").to_numpy(dtype=float)
    rows = []
    for var in variables:
        y_all = pd.to_numeric(df[var], errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(x_all) & np.isfinite(y_all)
        x, y = x_all[keep], y_all[keep]
        if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            rho = p = float("nan")
            note = f"not computed: {x.size} complete pairs" + ("" if x.size < 3 else ", a constant column")
        else:
            res = sps.spearmanr(x, y) if method == "spearman" else sps.pearsonr(x, y)
            rho, p, note = float(res.statistic), float(res.pvalue), ""
        rows.append(
            {"variable": var, "n": int(x.size), "n_missing": int((~keep).sum()), "rho": rho, "p_value": p, "note": note}
        )
    out = pd.DataFrame(rows)
    out["p_adjusted"] = adjust_holm(out["p_value"]) if p_adjust == "holm" else out["p_value"]
    out["method"] = method
    out["p_adjust"] = p_adjust
    return out[["variable", "n", "n_missing", "rho", "p_value", "p_adjusted", "method", "p_adjust", "note"]]
