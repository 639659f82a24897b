"""Clinical statistics of the T2 and radiomics studies (public API).

* :func:`analyze_roc`: AUC with DeLong CI, Youden cutoff, sensitivity/specificity with Wilson or
  Clopper-Pearson CIs, ROC curve points.
* :func:`run_mann_whitney`, :func:`run_two_group_test` (Student/Welch t, Mann-Whitney),
  :func:`run_contingency_test` (chi-squared with/without Yates, Fisher exact for small counts).
* :func:`correlate_markers`: Spearman (or Pearson) correlations of one marker with several
  clinical variables, Holm-adjusted (:func:`adjust_holm`).
* :func:`characteristics_table`: patient-characteristics table (seed paper 1, Table S1).

Defaults live in :mod:`myomri.config.stats`. Missing values are dropped per analysis and counted
in every result (``n_missing``), never silently.

Examples
--------
>>> import numpy as np
>>> r = analyze_roc([47.0, 52.1, 39.0, 33.5, 34.2, 35.0], ["IIM"] * 3 + ["HC"] * 3, positive="IIM")
>>> round(r.auc, 3)
1.0
"""

from __future__ import annotations

from .stats_roc import RocResult, analyze_roc, compute_midranks, compute_proportion_ci, delong_components
from .stats_table import characteristics_table
from .stats_tests import (
    TestResult,
    adjust_holm,
    correlate_markers,
    run_contingency_test,
    run_mann_whitney,
    run_two_group_test,
)

__all__ = [
    "RocResult",
    "TestResult",
    "adjust_holm",
    "analyze_roc",
    "characteristics_table",
    "compute_midranks",
    "compute_proportion_ci",
    "correlate_markers",
    "delong_components",
    "run_contingency_test",
    "run_mann_whitney",
    "run_two_group_test",
]
