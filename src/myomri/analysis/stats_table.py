"""Patient-characteristics table (the layout of the radiomics paper's Supplementary Table S1).

Continuous variables: mean +/- SD (or median [Q1, Q3]) per group, compared by a two-sample t-test
(Student or Welch) or Mann-Whitney U for two groups, one-way ANOVA or Kruskal-Wallis for more.
Categorical variables: n (%) per level and group, chi-squared test (Yates for 2x2) or Fisher's
exact test when an expected count is below 5 (the table says which test was used and why).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..config import stats as cfg
from ..errors import InputError
from .stats_tests import run_contingency_test, run_two_group_test

__all__ = ["characteristics_table"]


def _summarise(values: np.ndarray, summary: str, decimals: int) -> str:
    if values.size == 0:
        return "n/a"
    if summary == "mean_sd":
        sd = np.std(values, ddof=1) if values.size > 1 else float("nan")
        return f"{np.mean(values):.{decimals}f} ± {sd:.{decimals}f}"
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return f"{med:.{decimals}f} [{q1:.{decimals}f}, {q3:.{decimals}f}]"


def _continuous_p(samples: list[np.ndarray], test: str, summary: str) -> tuple[float, str]:
    usable = [s for s in samples if s.size >= 2]
    if len(usable) < 2:
        return float("nan"), "none (fewer than 2 groups with >= 2 values)"
    if len(samples) == 2 and len(usable) == 2:
        res = run_two_group_test(usable[0], usable[1], test=test)
        return res.p_value, res.test
    # More than two groups: the omnibus analogue of the chosen two-group test.
    if test == "mannwhitney" or summary == "median_iqr":
        return float(sps.kruskal(*usable).pvalue), "Kruskal-Wallis"
    return float(sps.f_oneway(*usable).pvalue), "one-way ANOVA"


def characteristics_table(
    df: pd.DataFrame,
    group_col: str,
    continuous=(),
    categorical=(),
    *,
    summary: str | dict | None = None,
    test: str | None = None,
    decimals: int | None = None,
    yates: bool | None = None,
) -> pd.DataFrame:
    """Build a patient-characteristics table with per-group summaries and p-values.

    Parameters
    ----------
    df : DataFrame
        One row per subject.
    group_col : str
        Column holding the group (e.g. ``"diagnosis"``); rows with a missing group are dropped
        and counted in the ``n_missing`` of every variable.
    continuous, categorical : sequence of str
        Columns summarised as numbers or as counts.
    summary : {"mean_sd", "median_iqr"} or dict, optional
        One choice for all continuous variables or a ``{column: choice}`` dict.
    test : {"student", "welch", "mannwhitney"}, optional
        Two-group test of continuous variables.
    decimals : int, optional
    yates : bool, optional
        Yates' continuity correction for 2x2 chi-squared tests.

    Returns
    -------
    DataFrame
        Columns ``variable, level, <group> (n=..)... , p_value, test, n_missing``. A continuous
        variable has one row; a categorical one has a header row (with the p-value) and one row per
        level with ``n (%)`` (percent of the group's non-missing values). ``n_missing`` counts the
        subjects without a value for that variable (they are left out of its summary and test).
    """
    test = cfg.CONTINUOUS_TEST if test is None else test
    decimals = cfg.TABLE_DECIMALS if decimals is None else int(decimals)
    if test not in cfg.CONTINUOUS_TESTS:
        raise InputError(f"continuous test {test!r}, expected one of {cfg.CONTINUOUS_TESTS}")
    continuous, categorical = list(continuous), list(categorical)
    absent = [c for c in [group_col, *continuous, *categorical] if c not in df.columns]
    if absent:
        raise InputError(f"columns {absent} not in the table, which has {list(df.columns)}")
    summaries = {}
    for col in continuous:
        s = summary.get(col) if isinstance(summary, dict) else summary
        s = cfg.CONTINUOUS_SUMMARY if s is None else s
        if s not in cfg.CONTINUOUS_SUMMARIES:
            raise InputError(f"summary {s!r} for {col!r}, expected one of {cfg.CONTINUOUS_SUMMARIES}")
        summaries[col] = s

    no_group = df[group_col].isna()
    data = df.loc[~no_group]
    groups = list(pd.unique(data[group_col]))
    if len(groups) < 2:
        raise InputError(f"group column {group_col!r} has groups {groups}, expected at least 2")
    try:
        groups = sorted(groups)
    except TypeError:  # mixed label types: keep order of appearance
        pass
    headers = {g: f"{g} (n={int((data[group_col] == g).sum())})" for g in groups}
    base_missing = int(no_group.sum())
    rows = []
    for col in continuous:
        rows.append(
            _continuous_row(data, col, group_col, groups, headers, summaries[col], test, decimals, base_missing)
        )
    for col in categorical:
        rows += _categorical_rows(data, col, group_col, groups, headers, yates, decimals, base_missing)
    columns = ["variable", "level", *headers.values(), "p_value", "test", "n_missing"]
    return pd.DataFrame(rows, columns=columns)


def _continuous_row(
    data: pd.DataFrame,
    col: str,
    group_col: str,
    groups: list,
    headers: dict,
    summary: str,
    test: str,
    decimals: int,
    base_missing: int,
) -> dict:
    """The one row of continuous variable ``col``: a summary per group, its p-value and test."""
    values = pd.to_numeric(data[col], errors="coerce")
    if data[col].notna().sum() != values.notna().sum():
        bad = data.loc[data[col].notna() & values.isna(), col].iloc[0]
        raise InputError(f"continuous column {col!r} holds a non-numeric value {bad!r}")
    samples = [values[data[group_col] == g].dropna().to_numpy(dtype=float) for g in groups]
    label = "mean ± SD" if summary == "mean_sd" else "median [IQR]"
    row: dict = {"variable": col, "level": label}
    row.update({headers[g]: _summarise(s, summary, decimals) for g, s in zip(groups, samples)})
    row["p_value"], row["test"] = _continuous_p(samples, test, summary)
    row["n_missing"] = base_missing + int(values.isna().sum())
    return row


def _categorical_rows(
    data: pd.DataFrame,
    col: str,
    group_col: str,
    groups: list,
    headers: dict,
    yates: bool | None,
    decimals: int,
    base_missing: int,
) -> list[dict]:
    """The rows of categorical variable ``col``: a header with the test, then ``n (%)`` per level and group."""
    known = data[col].notna()
    levels = list(pd.unique(data.loc[known, col]))
    try:
        levels = sorted(levels)
    except TypeError:
        pass
    counts = pd.crosstab(data.loc[known, col], data.loc[known, group_col])
    counts = counts.reindex(index=levels, columns=groups, fill_value=0)
    res = run_contingency_test(counts.to_numpy(), yates=yates)
    name = res.test + (f" ({res.note})" if res.test.startswith("Fisher") else "")
    header = {
        "variable": col,
        "level": "n (%)",
        "p_value": res.p_value,
        "test": name,
        "n_missing": base_missing + int((~known).sum()),
    }
    header.update({headers[g]: "" for g in groups})
    rows = [header]
    totals = counts.sum(axis=0)
    for level in levels:
        row = {"variable": col, "level": str(level), "p_value": np.nan, "test": "", "n_missing": np.nan}
        for g in groups:
            k, tot = int(counts.loc[level, g]), int(totals[g])
            pct = 100.0 * k / tot if tot else float("nan")
            row[headers[g]] = f"{k} ({pct:.{decimals}f}%)"
        rows.append(row)
    return rows
