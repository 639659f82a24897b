"""The study file of the demo cohort: the papers' protocol with the demo's stated reductions."""

from __future__ import annotations

import copy
import os
from pathlib import Path

from ..config import pipeline as cfg
from ..io.atomic import atomic_write_text

__all__ = ["demo_study", "write_demo_study", "drop_infeasible_tasks"]


def demo_study(
    *,
    seed: int = cfg.DEMO_SEED,
    repeats: int | None = None,
    bootstrap: int = cfg.DEMO_BOOTSTRAP,
    t2_slices: str = cfg.DEMO_T2_SLICES,
    tasks: list | None = None,
    classifiers=None,
    folds: int | None = None,
    reductions: list[str] | None = None,
    selection_mode: str = cfg.DEMO_SELECTION_MODE,
    nested_check: int = cfg.DEMO_NESTED_CHECK,
) -> dict:
    """The study mapping for a cohort written by ``myomri demo-data`` (paths relative to it).

    The T2 model fits the fat fraction (the demo simulates fatty infiltration and no fat
    suppression), and masks are the cohort's label maps (``segmentation: given``). ``repeats`` None:
    the papers' 100 (``DEMO_NESTED_REPEATS`` with ``selection_mode="nested"``). ``nested_check``
    applies to the published selection only (``analysis.selection_check``).
    """
    if repeats is None:
        repeats = cfg.DEMO_NESTED_REPEATS if selection_mode == "nested" else cfg.DEMO_REPEATS
    analysis = copy.deepcopy(cfg.ANALYSIS)
    analysis["validation"]["repeats"] = int(repeats)
    if selection_mode == "published" and nested_check:
        analysis["selection"]["nested_check"] = min(int(nested_check), int(repeats))
    analysis["validation"]["seed"] = int(seed)
    analysis["bootstrap"] = int(bootstrap)
    analysis["selection"]["mode"] = selection_mode
    if folds is not None:
        analysis["validation"]["folds"] = int(folds)
    if tasks is not None:
        analysis["tasks"] = tasks
    analysis["classifiers"] = list(classifiers or cfg.DEMO_CLASSIFIERS)
    cv = analysis["validation"]
    cv_note = (
        [cfg.DEMO_CV_NOTE.format(repeats=cv["repeats"], folds=cv["folds"])]
        if (cv["repeats"], cv["folds"]) != (100, 10)
        else []
    )
    return {
        "subjects": "manifest.csv",
        "clinical": "participants.tsv",
        "clinical_id": "participant_id",
        "group_column": "group",
        "seed": int(seed),
        "t2": {
            "enabled": True,
            "model": "epg",
            "fat_fraction": "fit",
            "fat_t2": cfg.T2_FAT_T2,
            "slices": t2_slices,
            "align": False,
        },
        "segmentation": {"method": "given", "label_scheme": "myomri"},  # the cohort's dseg follows it
        "features": {"enabled": True, "params": copy.deepcopy(cfg.FEATURE_PARAMS)},
        "analysis": analysis,
        "statistics": {"positive": list(cfg.STAT_POSITIVE), "negative": list(cfg.STAT_NEGATIVE)},
        "report": {"overlays": cfg.REPORT_OVERLAYS, "title": "myomri demo study (synthetic cohort)"},
        "reductions": ((cv_note + list(cfg.DEMO_REDUCTIONS)) if reductions is None else list(reductions))
        + ([cfg.DEMO_NESTED_NOTE] if selection_mode == "nested" else [])
        + ([cfg.DEMO_CENTRE_SLICE_NOTE] if t2_slices == "centre" else []),
    }


def drop_infeasible_tasks(study: dict, clinical: Path) -> dict:
    """Leave out tasks the cohort cannot support and say so in the study's reductions.

    A class must fill every outer CV fold, and what is left of it in an outer training set must fill
    the inner folds of the feature selection (nested mode) and of the SVM's probability calibration,
    also inside the selection: the rule ``study validate`` and ``study run`` apply
    (``analysis.study_checks.class_size_problem``).
    """
    from ..analysis.study_checks import class_size_problem, minimum_class_size
    from .config import read_table

    clin = read_table(Path(clinical))
    analysis = study["analysis"]
    cv = {
        "folds": analysis["validation"]["folds"],
        "mode": analysis["selection"]["mode"],
        "classifiers": analysis["classifiers"],
    }
    kept = []
    for task in analysis["tasks"]:
        counts = clin[task["target"]].dropna().astype(str).value_counts()
        wanted = task.get("classes") or sorted(counts.index)
        small = {c: int(counts.get(c, 0)) for c in wanted if class_size_problem(int(counts.get(c, 0)), **cv)}
        if small:
            study["reductions"].append(
                f"task {task['name']} left out: class(es) {small} are too small for the "
                f"{cv['folds']}-fold cross-validation and its inner steps in this cohort "
                f"(each class needs at least {minimum_class_size(**cv)} subjects)"
            )
        else:
            kept.append(task)
    study["analysis"]["tasks"] = kept
    return study


def write_demo_study(cohort_dir: str | os.PathLike, **kw) -> Path:
    """Write ``study.yaml`` into the cohort folder (tasks the cohort cannot support left out and
    stated); returns its path."""
    import yaml

    path = Path(cohort_dir) / "study.yaml"
    study = drop_infeasible_tasks(demo_study(**kw), Path(cohort_dir) / "participants.tsv")
    atomic_write_text(
        path, "# myomri pipeline study file of the synthetic demo cohort\n" + yaml.safe_dump(study, sort_keys=False)
    )
    return path
