"""Study analysis: scikit-learn estimators for reproducibility (ICC), reduction and selection,
the classifiers, repeated cross-validation and metrics, and the clinical statistics (ROC with
Youden cut-off and DeLong CI, Spearman, Mann-Whitney, group tests).

:func:`load_study` + :func:`run_study` run a radiomics study file.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "StudyConfig": ".study_config",
        "Task": ".study_config",
        "load_study": ".study_config",
        "parse_study": ".study_config",
        "StudyResult": ".study",
        "run_study": ".study",
        "compute_icc": ".reproducibility",
        "icc_table": ".reproducibility",
        "ZScore": ".reduction",
        "CollinearityFilter": ".reduction",
        "ReproducibilityFilter": ".reduction",
        "UnivariateFilter": ".selection",
        "ForwardSFS": ".selection",
        "make_classifier": ".classifiers",
        "CLASSIFIER_NAMES": ".classifiers",
        "build_pipeline": ".validation",
        "run_repeated_cv": ".validation",
        "compute_metrics": ".metrics",
        "RocResult": ".stats",
        "TestResult": ".stats",
        "analyze_roc": ".stats",
        "characteristics_table": ".stats",
        "correlate_markers": ".stats",
        "run_mann_whitney": ".stats",
        "run_two_group_test": ".stats",
        "run_contingency_test": ".stats",
        "adjust_holm": ".stats",
    },
)
