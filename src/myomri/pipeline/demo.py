"""The study file of the demo cohort: the papers' settings with the demo's stated reductions."""

from __future__ import annotations

import copy
import os
from pathlib import Path

from ..config import pipeline as cfg
from ..io.atomic import atomic_write_text

__all__ = ["demo_study", "write_demo_study"]


def demo_study(*, seed: int = cfg.DEMO_SEED, repeats: int = cfg.DEMO_REPEATS, bootstrap: int = cfg.DEMO_BOOTSTRAP,
               t2_slices: str = cfg.DEMO_T2_SLICES, tasks: list | None = None, classifiers=None,
               folds: int | None = None, reductions: list[str] | None = None) -> dict:
    """The study mapping for a cohort written by ``myomri demo-data`` (paths relative to it).

    The T2 model fits the fat fraction (the demo simulates fatty infiltration and no fat
    suppression), and masks are the cohort's label maps (``segmentation: given``).
    """
    analysis = copy.deepcopy(cfg.ANALYSIS)
    analysis["validation"]["repeats"] = int(repeats)
    analysis["validation"]["seed"] = int(seed)
    analysis["bootstrap"] = int(bootstrap)
    if folds is not None:
        analysis["validation"]["folds"] = int(folds)
    if tasks is not None:
        analysis["tasks"] = tasks
    analysis["classifiers"] = list(classifiers or cfg.DEMO_CLASSIFIERS)
    return {
        "subjects": "manifest.csv", "clinical": "participants.tsv", "clinical_id": "participant_id",
        "group_column": "group", "seed": int(seed),
        "t2": {"enabled": True, "model": "epg", "fat_fraction": "fit", "fat_t2": cfg.T2_FAT_T2, "slices": t2_slices},
        "segmentation": {"method": "given"},
        "features": {"enabled": True, "params": copy.deepcopy(cfg.FEATURE_PARAMS)},
        "analysis": analysis,
        "statistics": {"positive": list(cfg.STAT_POSITIVE), "negative": list(cfg.STAT_NEGATIVE)},
        "report": {"overlays": cfg.REPORT_OVERLAYS, "title": "myomri demo study (synthetic cohort)"},
        "reductions": list(cfg.DEMO_REDUCTIONS if reductions is None else reductions),
    }


def write_demo_study(cohort_dir: str | os.PathLike, **kw) -> Path:
    """Write ``study.yaml`` into the cohort folder; returns its path."""
    import yaml

    path = Path(cohort_dir) / "study.yaml"
    atomic_write_text(path, "# myomri pipeline study file of the synthetic demo cohort\n"
                      + yaml.safe_dump(demo_study(**kw), sort_keys=False))
    return path
