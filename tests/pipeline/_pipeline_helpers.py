"""Study files of the pipeline tests (imported by conftest and the tests)."""

from __future__ import annotations

from pathlib import Path

#: Radiomics settings of the tests: the paper's preprocessing but only the original image (fast).
FAST_FEATURES = {
    "setting": {"normalize": True, "normalizeScale": 100, "resampledPixelSpacing": [3, 3, 3],
                "force2D": True, "label": 1},
    "imageType": {"Original": {}},
    "featureClass": {"firstorder": [], "glcm": []},
}
#: A task the 3-per-group cohort can be cross-validated on (2 training subjects per class).
TASKS = [{"name": "HC_PM_DM", "target": "group", "classes": ["HC", "PM", "DM"]}]


def small_study(cohort: Path, **changes) -> dict:
    """The demo study mapping reduced for tests; ``changes`` override top-level keys."""
    from myomri.pipeline.demo import demo_study

    study = demo_study(repeats=2, bootstrap=20, folds=3, classifiers=["lda", "knn"], tasks=TASKS,
                       reductions=["test cohort: 3 subjects per group, 2 CV repeats, 3 folds"])
    study["features"]["params"] = FAST_FEATURES
    # the fixed features keep the study within the 3-per-group cohort (nested SFS needs 5 per class)
    study["analysis"]["selection"] = {"mode": "none", "features": ["original_firstorder_Median",
                                                                   "original_firstorder_90Percentile"]}
    study["analysis"]["reproducibility"]["threshold"] = 0.0
    study["statistics"]["within"] = "all"
    study["t2"].pop("align")  # the demo turns alignment off; the tests run myomri run's default (on)
    study.update(changes)
    return study


def write_study(folder: Path, study: dict, name: str = "study.yaml") -> Path:
    import yaml

    path = folder / name
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


def t2_only_study(cohort: Path, **changes) -> dict:
    """Features off and a mono-exponential T2 fit (fast): for tests of the stage machinery."""
    study = small_study(cohort, features={"enabled": False}, **changes)
    study["t2"] = {**study["t2"], "model": "mono"}
    return study
