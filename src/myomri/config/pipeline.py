"""Defaults of the end-to-end study pipeline (``myomri run`` / ``myomri demo``).

Every default of the pipeline's study file lives here, including the reduced settings that
``myomri demo`` uses to finish in a few minutes on a laptop (each reduction is stated in the
report). Stage defaults that belong to a stage (EPG T1s, ICC threshold, ...) stay in that stage's
config module and are only referred to here.
"""

from __future__ import annotations

from . import analysis as _analysis
from . import t2 as _t2

#: Top-level keys of a pipeline study file.
STUDY_KEYS: tuple[str, ...] = (
    "subjects", "clinical", "clinical_id", "group_column", "columns", "seed", "t2",
    "segmentation", "features", "analysis", "statistics", "report", "reductions",
)  # fmt: skip

#: Manifest columns the pipeline reads, by role -> default column name (the demo's manifest).
COLUMNS: dict[str, str] = {
    "subject": "subject", "reader": "reader", "session": "session", "stir": "image", "roi": "mask",
    "roi_label": "label", "mese": "mese", "echo_times": "echo_times", "labels": "dseg",
    "water": "dixon_water", "fat": "dixon_fat",
}  # fmt: skip
#: Roles whose column must exist in the manifest (the others are optional).
REQUIRED_COLUMNS: tuple[str, ...] = ("subject",)

#: Column of the clinical table that holds the subject id ("participant_id" in BIDS tables).
CLINICAL_ID: str = "participant_id"
GROUP_COLUMN: str = "group"
SEED: int = 0

# --- T2 stage ---
T2_KEYS: tuple[str, ...] = ("enabled", "model", "fat_fraction", "fat_t2", "slices", "method", "align", "slice_profile")
T2_MODELS: tuple[str, ...] = ("epg", "mono")
T2_MODEL: str = "epg"
#: "fit": FF is a free parameter per voxel (the demo simulates fat in muscle, so fixing it to 0
#: as the fat-saturated protocol of seed paper 2 would bias water T2 upwards); or a number 0..1.
T2_FAT_FRACTION: str | float = "fit"
T2_FAT_T2: float = _t2.FAT_T2_MS
#: "all" slices of the MESE series, or only the "centre" slice (a demo reduction).
T2_SLICES: tuple[str, ...] = ("all", "centre")
T2_SLICE: str = "all"
#: EPG slice-profile correction: "auto" follows the MESE series' MRAcquisitionType (on for 2-D
#: multi-slice or when not recorded, off for 3D; ``t2.acquisition.choose_slice_profile``), or
#: true / false.
T2_SLICE_PROFILE: str | bool = "auto"

# --- segmentation ---
SEGMENTATION_KEYS: tuple[str, ...] = ("method", "model", "align", "label_scheme")
SEGMENTATION_METHODS: tuple[str, ...] = ("given", "classical", "dl")
SEGMENTATION_METHOD: str = "given"
#: Label scheme of the muscle labels, which names the muscles and sides in ``roi_stats.csv`` and
#: ``t2_per_muscle.csv``: "auto" is myomri's thigh scheme for ``dl`` (the network writes it) and unknown
#: (``label_<value>``) otherwise; "myomri" declares given labels to follow it (checked); null: unknown.
SEGMENTATION_LABEL_SCHEME: str | None = "auto"
#: Rigidly register the segmentation's series (Dixon water, the image the labels were drawn on) onto
#: the first MESE echo before carrying the muscle labels across (``preprocess.register``; sanity bound
#: in ``config.register``). ``align: false`` in the t2 or the segmentation section turns it off.
ALIGN: bool = True

# --- features (seed paper 1: intensities scaled to 0-100, 3 x 3 x 3 mm resampling, 2-D LBP) ---
FEATURE_KEYS: tuple[str, ...] = ("enabled", "params")
FEATURE_PARAMS: dict = {
    "setting": {
        "normalize": True, "normalizeScale": 100, "resampledPixelSpacing": [3, 3, 3],
        "interpolator": "sitkBSpline", "force2D": True, "force2Ddimension": 0,
        "label": 1,
    },
    "imageType": {"Original": {}, "LBP2D": {}},
    "featureClass": {c: [] for c in ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")},
}  # fmt: skip

# --- analysis: the ``myomri study`` schema without the table paths ---
ANALYSIS: dict = {
    "reference_reader": "R1",
    "reproducibility": {"inter": ["R1", "R2"], "intra": ["R1", "R1b"], "icc": _analysis.ICC_FORM,
                        "threshold": _analysis.ICC_THRESHOLD},
    "collinearity": _analysis.COLLINEARITY_THRESHOLD,
    "tasks": [
        {"name": "IIM_groups", "target": "group", "classes": ["PM", "DM", "ADM"]},
        {"name": "all_groups", "target": "group", "classes": ["nonIIM", "PM", "DM", "ADM"]},
        {"name": "anti_Jo1", "target": "anti_Jo1", "positive": "1"},
        {"name": "anti_ARS", "target": "anti_ARS", "positive": "1"},
    ],
    "selection": {"mode": _analysis.SELECTION_MODE, "k": list(_analysis.SFS_K)},
    "classifiers": list(_analysis.CLASSIFIERS),
    "validation": {"folds": _analysis.VALIDATION_FOLDS, "repeats": _analysis.VALIDATION_REPEATS,
                   "seed": _analysis.VALIDATION_SEED},
    "bootstrap": _analysis.BOOTSTRAP,
}  # fmt: skip

# --- clinical statistics (seed paper 2) ---
STATISTICS_KEYS: tuple[str, ...] = (
    "positive",
    "negative",
    "marker",
    "correlations",
    "within",
    "continuous",
    "categorical",
)
STAT_POSITIVE: tuple[str, ...] = ("PM", "DM", "ADM")
STAT_NEGATIVE: tuple[str, ...] = ("HC",)
#: Subject-level marker: the mean water T2 over all muscle voxels of both thighs.
STAT_MARKER: str = "t2_mean"
STAT_CORRELATIONS: tuple[str, ...] = ("CK", "ALT", "AST", "LDH", "ILD_score")
#: Correlations are computed within the positive (patient) group, as seed paper 2 did.
STAT_WITHIN: str = "positive"
STAT_CONTINUOUS: tuple[str, ...] = ("age", "CK", "ALT", "AST", "LDH")
STAT_CATEGORICAL: tuple[str, ...] = ("sex",)

# --- report ---
REPORT_KEYS: tuple[str, ...] = ("overlays", "title")
REPORT_OVERLAYS: int = 3
REPORT_TITLE: str = "myomri study report"
#: T2 colour scale of the overlays (ms).
OVERLAY_T2_RANGE: tuple[float, float] = (25.0, 70.0)

# --- executors ---
EXECUTORS: tuple[str, ...] = ("joblib", "dask")
EXECUTOR: str = "joblib"
JOBS: int = 1
#: BLAS/OpenMP threads of the run's own process: the pipeline parallelises over subjects and CV
#: folds instead; on a busy 2-core machine threaded BLAS made the SVM stage 16x slower (56 s vs 3.4 s).
BLAS_THREADS: int = 1

# --- myomri demo: the papers' protocol, with these reductions (about four minutes on 2 cores) ---
DEMO_SEED: int = 0
#: CV repeats: the papers' 100. Measured on the quiet 2-core VM: the whole demo with the papers' protocol
#: (selection once on all subjects), 100 repeats and the nested check takes 203-212 s; the 100 published
#: repeats are ~86 s of its study, the nested check ~64 s.
DEMO_REPEATS: int = 100
#: Repeats with ``myomri demo --selection nested`` (selection refitted in every outer fold, ~26 s per
#: repeat on 2 cores): the most that keeps that demo near ten minutes.
DEMO_NESTED_REPEATS: int = 20
DEMO_BOOTSTRAP: int = 200  # bootstrap resamples of the macro-AUC CI (default 1000)
DEMO_T2_SLICES: str = "all"  # every MESE slice, as the papers ("centre": the centre slice only)
#: Feature selection once on all subjects before the cross-validation, as seed paper 1 did ("published"):
#: the papers' protocol, optimistic, and stated so in the report. "nested" refits it in every outer fold.
DEMO_SELECTION_MODE: str = "published"
#: Repeats of the nested re-estimate run beside the published selection (``selection.nested_check``):
#: the report shows by how much the papers' protocol is optimistic on the demo. ~26 s per repeat.
DEMO_NESTED_CHECK: int = 3
#: Worker processes of ``myomri demo`` (the 5-minute budget is for 2 cores).
DEMO_JOBS: int = 2
DEMO_CLASSIFIERS: tuple[str, ...] = _analysis.CLASSIFIERS
DEMO_REDUCTIONS: tuple[str, ...] = (
    f"{DEMO_BOOTSTRAP} bootstrap resamples for the macro-AUC interval instead of {_analysis.BOOTSTRAP}",
    "no rigid alignment of the Dixon series to the MESE series (align: false): the synthetic series share "
    "one world frame with no motion between them, and registering 84 subjects would take minutes",
)
#: Stated when the demo's cross-validation differs from the papers' 10 folds x 100 repeats.
DEMO_CV_NOTE: str = "{repeats} repeat(s) of the {folds}-fold cross-validation instead of the papers' 100 x 10-fold"
#: Stated when a demo study fits T2 on the centre MESE slice only.
DEMO_CENTRE_SLICE_NOTE: str = "T2 fitted on the centre MESE slice only instead of all slices"
#: Stated when a demo study is run with ``selection_mode="nested"`` (the papers selected once on all subjects).
DEMO_NESTED_NOTE: str = (
    "feature selection (univariate filter + SFS) refitted inside every outer cross-validation fold (leak-free), "
    "not once on all subjects as the paper did"
)
