"""Write a study's outputs: CSV tables, confusion matrices, figures and ``performance.md``.

``performance.md`` lays the results out like Tables 3-6 of seed paper 1: for a multi-class task,
one block per classifier (its features in the heading) with a macro-average row and one row per
class (accuracy, recall, precision in %, AUC); for a binary task one row per classifier with
accuracy, sensitivity, specificity (%), F-measure and AUC. Values are mean +- SD over repeats.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import analysis as cfg
from ..io.atomic import atomic_path, atomic_write_text

__all__ = ["write_study_outputs", "render_performance_md"]


def _write_csv(df: pd.DataFrame, path: Path, **kw) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=kw.pop("index", False), **kw)


def _fmt(mean: float, sd: float, pct: bool) -> str:
    if not np.isfinite(mean):
        return "n/a"
    scale = 100.0 if pct else 1.0
    digits = 1 if pct else 3
    sd_txt = f" ± {sd * scale:.{digits}f}" if np.isfinite(sd) else ""
    return f"{mean * scale:.{digits}f}{sd_txt}"


def _cell(perf: pd.DataFrame, metric: str, average: str, pct: bool) -> str:
    row = perf[(perf["metric"] == metric) & (perf["average"] == average)]
    return "" if row.empty else _fmt(float(row["mean"].iloc[0]), float(row["sd"].iloc[0]), pct)


def _nested_check_md(check: pd.DataFrame | None) -> list[str]:
    """The published-vs-nested table (``analysis.selection_check``), or nothing when no check ran."""
    if check is None:
        return []
    lines = ["", "## Nested check of the published selection", ""]
    if check.empty:
        return lines + ["No task had classes large enough for the nested selection's inner folds (see the notes)."]
    n_rep = int(check["repeats"].iloc[0])
    lines += [
        f"The same classifiers on the first {n_rep} repeat(s) of the same splits, once with the features "
        "selected on all subjects (published, as above) and once with the univariate filter and SFS refitted "
        "inside every outer training fold (nested, leak-free). Optimism = published - nested.",
        "",
        "| Task | Classifier | AUC published | AUC nested | AUC optimism | Accuracy published (%) | "
        "Accuracy nested (%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for (task, clf), g in check.groupby(["task", "classifier"], sort=False):
        auc, acc = (g[g["metric"] == m].iloc[0] for m in ("auc", "accuracy"))
        lines.append(
            f"| {task} | {cfg.CLASSIFIER_LABELS[clf]} | {auc.published:.3f} | {auc.nested:.3f} | {auc.optimism:+.3f} | "
            f"{100 * acc.published:.1f} | {100 * acc.nested:.1f} |"
        )
    return lines


def _mode_md(cfgs) -> list[str]:
    """The paragraph that says how the features were selected (and, if published, that it is optimistic)."""
    if cfgs.mode == "published":
        return [
            "",
            "**OPTIMISTIC: selection mode `published`** - the univariate filter and SFS were run once on "
            "all subjects before cross-validation, as in the paper, so these estimates are biased upwards. "
            "Use `mode: nested` for leak-free estimates"
            + (" (the nested check below measures by how much on this data)." if cfgs.nested_check else "."),
        ]
    if cfgs.mode == "nested":
        return [
            "",
            "Selection mode `nested`: z-score, univariate filter and forward SFS were refitted inside every "
            "outer training fold (no label leakage); the feature list shows the most frequent subset.",
        ]
    return ["", "Selection mode `none`: fixed feature list, z-score fitted inside each training fold."]


def render_performance_md(result) -> str:
    """Markdown tables in the layout of the paper's Tables 3-6."""
    cfgs = result.config
    perf = result.performance
    lines = ["# Study performance", ""]
    lines.append(
        f"Repeated stratified {cfgs.folds}-fold cross-validation x {cfgs.repeats} repeats (seed "
        f"{cfgs.seed}); values are mean ± SD over repeats of metrics computed on each repeat's "
        "pooled out-of-fold predictions."
    )
    lines += _mode_md(cfgs)
    for task in cfgs.tasks:
        tp = perf[perf["task"] == task.name]
        lines += ["", f"## Task `{task.name}` (target `{task.target}`)", ""]
        if task.positive is not None:
            lines += [
                f"Positive class: `{task.positive}`.",
                "",
                "| Classifier (features) | Accuracy (%) | Sensitivity (%) | Specificity (%) | F-measure | AUC | AUC 95% CI |",
                "|---|---|---|---|---|---|---|",
            ]
            for clf in cfgs.classifiers:
                cp = tp[tp["classifier"] == clf]
                if cp.empty:
                    continue
                auc = cp[(cp["metric"] == "auc")]
                ci = (
                    f"{auc['ci_low'].iloc[0]:.3f}-{auc['ci_high'].iloc[0]:.3f}"
                    if np.isfinite(auc["ci_low"].iloc[0])
                    else ""
                )
                pos = task.positive
                lines.append(
                    f"| {cfg.CLASSIFIER_LABELS[clf]} ({cp['features'].iloc[0]}) | {_cell(cp, 'accuracy', pos, True)} | "
                    f"{_cell(cp, 'sensitivity', pos, True)} | {_cell(cp, 'specificity', pos, True)} | "
                    f"{_cell(cp, 'f1', pos, False)} | {_cell(cp, 'auc', pos, False)} | {ci} |"
                )
            continue
        lines += ["| | Accuracy (%) | Recall (%) | Precision (%) | AUC |", "|---|---|---|---|---|"]
        for clf in cfgs.classifiers:
            cp = tp[tp["classifier"] == clf]
            if cp.empty:
                continue
            auc = cp[(cp["metric"] == "auc") & (cp["average"] == "macro")]
            ci = (
                f" (95% CI {auc['ci_low'].iloc[0]:.3f}-{auc['ci_high'].iloc[0]:.3f})"
                if np.isfinite(auc["ci_low"].iloc[0])
                else ""
            )
            lines.append(f"| **{cfg.CLASSIFIER_LABELS[clf]} ({cp['features'].iloc[0]})** | | | | |")
            lines.append(
                f"| Macro-average | {_cell(cp, 'accuracy', 'macro', True)} | {_cell(cp, 'recall', 'macro', True)} | "
                f"{_cell(cp, 'precision', 'macro', True)} | {_cell(cp, 'auc', 'macro', False)}{ci} |"
            )
            for c in task.classes or sorted(set(cp["average"]) - {"macro"}):
                lines.append(
                    f"| {c} | | {_cell(cp, 'recall', c, True)} | {_cell(cp, 'precision', c, True)} | "
                    f"{_cell(cp, 'auc', c, False)} |"
                )
    lines += _nested_check_md(result.selection_check)
    if result.icc is not None:
        lines += [
            "",
            "## Reproducibility",
            "",
            f"ICC({cfgs.icc_form}) >= {cfgs.icc_threshold} in every reader analysis: "
            f"{len(result.features_after_icc)} features kept (see icc.csv).",
        ]
    lines += ["", "## Notes (exclusions, fallbacks, warnings)", ""] + [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def write_study_outputs(result, outdir: str | os.PathLike, *, figures: bool = True) -> list[Path]:
    """Write every output file of a study run into ``outdir``; returns the paths written."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {
        "repeats.csv": result.repeats,
        "performance.csv": result.performance,
        "selection.csv": result.selection,
        "comparisons.csv": result.comparisons,
    }
    if result.icc is not None:
        tables["icc.csv"] = result.icc
    if result.fold_selection is not None:
        tables["selection_folds.csv"] = result.fold_selection
    if result.selection_check is not None:
        tables["selection_check.csv"] = result.selection_check
    for name, df in tables.items():
        _write_csv(df, out / name)
        written.append(out / name)
    for (task, clf), cm in result.confusion.items():
        counts = cm.to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = counts / counts.sum(axis=1, keepdims=True)
        rows = [
            (t, p, int(counts[i, j]), float(frac[i, j]))
            for i, t in enumerate(cm.index)
            for j, p in enumerate(cm.columns)
        ]
        path = out / f"confusion_{task}_{clf}.csv"
        _write_csv(pd.DataFrame(rows, columns=["true", "predicted", "count", "fraction_of_true"]), path)
        written.append(path)
    path = out / "performance.md"
    atomic_write_text(path, render_performance_md(result))
    written.append(path)
    if figures:
        from .study_figures import plot_confusion, plot_roc

        for key in result.confusion:
            title = f"{key[0]} / {cfg.CLASSIFIER_LABELS[key[1]]}"
            y, proba, classes = result.roc[key]
            for name, png in (
                (f"confusion_{key[0]}_{key[1]}.png", plot_confusion(result.confusion[key], title=title)),
                (f"roc_{key[0]}_{key[1]}.png", plot_roc(y, proba, classes, title=title)),
            ):
                with atomic_path(out / name) as tmp:
                    Path(tmp).write_bytes(png)
                written.append(out / name)
    return written
