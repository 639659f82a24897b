"""Defaults of the clinical statistics (``myomri.analysis.stats``).

The choices follow the two seed papers: ROC with a Youden cutoff, Spearman correlations and
Mann-Whitney U (T2 paper, SPSS); two-sample t-tests and chi-squared tests for the
patient-characteristics table (radiomics paper, Table S1, scipy defaults).
"""

from __future__ import annotations

#: Confidence level of every interval (AUC, sensitivity, specificity).
CI_LEVEL: float = 0.95

#: Interval for a proportion (sensitivity, specificity): ``"wilson"`` (score interval without
#: continuity correction; good coverage at small n) or ``"clopper-pearson"`` (exact, conservative).
PROPORTION_CI: str = "wilson"
PROPORTION_CI_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson")

#: Which side of the cutoff is called positive: ``"greater"`` (marker >= cutoff, e.g. T2 in IIM)
#: or ``"less"`` (marker <= cutoff).
ROC_DIRECTION: str = "greater"
ROC_DIRECTIONS: tuple[str, ...] = ("greater", "less")

#: Multiple-testing correction of the correlation p-values: ``"holm"`` or ``"none"``.
P_ADJUST: str = "holm"
P_ADJUST_METHODS: tuple[str, ...] = ("holm", "none")

#: Correlation coefficient for marker-vs-clinical-variable tables.
CORRELATION: str = "spearman"
CORRELATIONS: tuple[str, ...] = ("spearman", "pearson")

#: Clinical variables the T2 paper correlates with muscle T2.
CLINICAL_VARIABLES: tuple[str, ...] = ("CK", "ALT", "AST", "LDH", "ILD score")

#: Two-group test of continuous variables in the characteristics table: ``"student"`` (scipy's
#: default ``equal_var=True``, the radiomics paper), ``"welch"`` or ``"mannwhitney"``.
CONTINUOUS_TEST: str = "student"
CONTINUOUS_TESTS: tuple[str, ...] = ("student", "welch", "mannwhitney")

#: Summary of continuous variables: ``"mean_sd"`` (mean +/- SD) or ``"median_iqr"`` (median [Q1, Q3]).
CONTINUOUS_SUMMARY: str = "mean_sd"
CONTINUOUS_SUMMARIES: tuple[str, ...] = ("mean_sd", "median_iqr")

#: Yates' continuity correction for 2x2 chi-squared tests (scipy's default).
CHI2_YATES: bool = True

#: Fisher's exact test replaces chi-squared when any expected cell count is below this.
FISHER_MIN_EXPECTED: float = 5.0
#: Fisher's test on tables larger than 2x2 (scipy >= 1.15) has a Monte Carlo p-value: this many
#: random tables with the observed margins, drawn from this seed, so a table always gets the same p.
FISHER_RESAMPLES: int = 9999
FISHER_SEED: int = 0

#: Decimals of the formatted summaries in the characteristics table.
TABLE_DECIMALS: int = 1
