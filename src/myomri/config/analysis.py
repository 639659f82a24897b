"""Defaults of the radiomics study pipeline (``myomri.analysis`` and ``myomri study run``).

Every default of the study file and of the estimators in ``myomri.analysis`` lives here. The
values follow seed paper 1 (Nagawa et al. 2021): ICC >= 0.8 in both the inter- and intra-reader
analysis, |Pearson r| >= 0.7 collinearity, univariate p < 0.05 then forward sequential selection
of 3-4 features, six classifiers with scikit-learn defaults, 10-fold CV repeated 100 times.
"""

from __future__ import annotations

#: ICC forms; pingouin 0.7 names in brackets. ``A1`` = ICC(A,1) absolute agreement, two-way random
#: (pingouin ICC2); ``C1`` = ICC(C,1) consistency, two-way mixed (ICC3); ``1`` = ICC(1,1) one-way
#: random (ICC1); the ``k`` forms are the reliability of the mean of k raters.
ICC_FORMS: dict[str, str] = {
    "1": "ICC1",
    "A1": "ICC2",
    "C1": "ICC3",
    "1k": "ICC1k",
    "Ak": "ICC2k",
    "Ck": "ICC3k",
}
ICC_FORM: str = "A1"
ICC_THRESHOLD: float = 0.8
#: Confidence level of the ICC interval (F-distribution limits, as pingouin/McGraw & Wong).
ICC_CI_LEVEL: float = 0.95

#: |Pearson r| at or above which two features are collinear; ``None`` skips the filter.
COLLINEARITY_THRESHOLD: float | None = 0.7

#: Feature selection: ``nested`` (inside each outer training fold, leak-free), ``published``
#: (once on all data, as the paper did; optimistic), ``none`` (fixed list).
SELECTION_MODES: tuple[str, ...] = ("nested", "published", "none")
SELECTION_MODE: str = "nested"
#: Repeats of the nested re-estimate that a ``published``-mode study also runs (``selection.nested_check``):
#: the same classifiers on the first N repeats' splits with the selection inside every outer training
#: fold, reported beside the published figures (their difference is the protocol's optimism); 0: off.
NESTED_CHECK: int = 0
UNIVARIATE_P: float = 0.05
#: Target subset size of the forward SFS; a list is a range whose best-scoring size is kept.
SFS_K: tuple[int, ...] = (3, 4)
#: Inner CV of the SFS: stratified, unshuffled, scored by accuracy (mlxtend/sklearn ``cv=5``).
SFS_INNER_FOLDS: int = 5
SFS_SCORING: str = "accuracy"

CLASSIFIERS: tuple[str, ...] = ("lda", "qda", "svm", "knn", "rf", "mlp")
#: Folds of the CalibratedClassifierCV around SVC (scikit-learn default ``cv=None`` -> 5).
SVM_CALIBRATION_FOLDS: int = 5
SVM_CALIBRATION_METHOD: str = "sigmoid"
#: When QDA's class covariance is rank deficient (scikit-learn >= 1.8 raises), refit with this
#: regularised solver instead; every such fold is counted and reported.
QDA_FALLBACK: dict[str, object] = {"solver": "eigen", "shrinkage": "auto"}
#: When even the shrunk covariance is singular (a feature exactly constant within a class, where
#: Ledoit-Wolf has nothing to shrink towards), the class covariance gets this ridge, relative to the
#: mean per-feature variance of the whole training set, added to its diagonal.
QDA_RIDGE: float = 1e-3

VALIDATION_FOLDS: int = 10
VALIDATION_REPEATS: int = 100
VALIDATION_SEED: int = 0

#: Beyond the paper. Permutation test of the whole pipeline: number of label permutations (0 = off)
#: and the repeats of the CV inside each permutation.
PERMUTATIONS: int = 0
PERMUTATION_REPEATS: int = 1
#: Bootstrap CI of the macro AUC from the pooled out-of-fold predictions.
BOOTSTRAP: int = 1000
CI_LEVEL: float = 0.95

#: Keys accepted in a study file (anything else is reported as a problem).
STUDY_KEYS: tuple[str, ...] = (
    "features",
    "clinical",
    "reference_reader",
    "reproducibility",
    "collinearity",
    "tasks",
    "selection",
    "classifiers",
    "validation",
    "permutation",
    "bootstrap",
)
REPRODUCIBILITY_KEYS: tuple[str, ...] = ("inter", "intra", "icc", "threshold")
SELECTION_KEYS: tuple[str, ...] = ("mode", "univariate_p", "k", "features", "nested_check")
VALIDATION_KEYS: tuple[str, ...] = ("folds", "repeats", "seed")
TASK_KEYS: tuple[str, ...] = ("name", "target", "classes", "positive")
PERMUTATION_KEYS: tuple[str, ...] = ("n", "repeats")

#: Display names in performance.md (paper's Tables 3-6).
CLASSIFIER_LABELS: dict[str, str] = {
    "lda": "LDA",
    "qda": "QDA",
    "svm": "SVM",
    "knn": "k-NN",
    "rf": "RF",
    "mlp": "MLP",
}
