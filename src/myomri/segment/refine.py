"""Incremental learning: fine-tune a model on a user's corrected masks and show whether it helped.

DAFNE-style: the user corrects the automatic segmentation of a few of their own cases, the model is
trained for a few short epochs on them at a low learning rate, and the Dice before and after is
reported on those cases and on a separate validation set (improving on the corrected cases while
dropping on the validation set means the model is over-fitting the user's data).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..config import segment_dl as cfg
from ..config.labels import MUSCLES

__all__ = ["evaluate_tiles", "refine_model", "format_report"]


def evaluate_tiles(model, data) -> dict:
    """Dice per muscle (pooled over tiles) and their mean over muscles present in the truth.

    Tiles flagged as having no adductor-longus label count a predicted AL as background.
    """
    from .train import dice_per_muscle, predict_tiles

    if len(data) == 0:
        return {"mean": float("nan"), "per_muscle": {}}
    pred = np.argmax(predict_tiles(model.network, data.tiles), axis=1)
    al = len(MUSCLES)
    pred[data.al_unlabelled] = np.where(pred[data.al_unlabelled] == al, 0, pred[data.al_unlabelled])
    per = dice_per_muscle(pred, data.labels)
    present = {m: d for m, d in per.items() if (data.labels == MUSCLES.index(m) + 1).any()}
    vals = [d for d in present.values() if not math.isnan(d)]
    return {"mean": float(np.mean(vals)) if vals else float("nan"), "per_muscle": present}


def refine_model(model, cases, *, validation=None, epochs: int | None = None, batch_size: int | None = None,
                 learning_rate: float | None = None, seed: int | None = None, augment: bool = True,
                 n_threads: int = cfg.N_THREADS, log=None):  # fmt: skip
    """Fine-tune a copy of ``model`` on ``cases`` (a :class:`~myomri.segment.train.TileSet`).

    Returns
    -------
    refined : SegmentationModel
        The new model; its ``parent`` is the lineage id of ``model`` (which is left unchanged).
    report : dict
        ``{"cases": {"before", "after"}, "validation": {"before", "after"}}`` of
        :func:`evaluate_tiles` results (validation only when given).
    """
    from .train import train_model

    r = cfg.REFINE
    before_cases = evaluate_tiles(model, cases)
    before_val = evaluate_tiles(model, validation) if validation is not None else None
    refined = copy.deepcopy(model)
    refined = train_model(
        cases, model=refined, epochs=r["epochs"] if epochs is None else epochs,
        batch_size=r["batch_size"] if batch_size is None else batch_size,
        learning_rate=r["learning_rate"] if learning_rate is None else learning_rate,
        seed=r["seed"] if seed is None else seed, augment=augment, n_threads=n_threads, log=log,
    )  # fmt: skip
    refined.history[-1]["step"] = "refine"
    report: dict[str, dict] = {"cases": {"before": before_cases, "after": evaluate_tiles(refined, cases)}}
    if validation is not None:
        report["validation"] = {"before": before_val, "after": evaluate_tiles(refined, validation)}
    return refined, report


def format_report(report: dict) -> str:
    """Human-readable lines: mean Dice before -> after, then per muscle."""
    lines = []
    for part, name in (("cases", "refinement cases"), ("validation", "validation set")):
        if part not in report:
            continue
        b, a = report[part]["before"], report[part]["after"]
        lines.append(f"{name}: mean Dice {b['mean']:.3f} -> {a['mean']:.3f} ({a['mean'] - b['mean']:+.3f})")
        lines.append("  " + ", ".join(f"{m} {b['per_muscle'][m]:.2f}->{a['per_muscle'].get(m, float('nan')):.2f}"
                                      for m in b["per_muscle"]))  # fmt: skip
    return "\n".join(lines)
