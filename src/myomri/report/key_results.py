"""The report's "Key results" block: the findings first, from the stage tables alone.

Each function takes DataFrames (or None when a stage did not run) and returns plain values or HTML,
so it does not need to know where the pipeline keeps its files.
"""

from __future__ import annotations

import html

import numpy as np

__all__ = ["t2_roc_finding", "best_classifiers", "strongest_correlation", "key_results_html"]


def t2_roc_finding(roc) -> dict | None:
    """The T2 marker's ROC summary (AUC, CI, cut-off, sensitivity, specificity) or None."""
    if roc is None or not len(roc):
        return None
    r = roc.iloc[0]
    return {
        k: float(r[k])
        for k in (
            "auc",
            "auc_ci_low",
            "auc_ci_high",
            "cutoff",
            "sensitivity",
            "specificity",
            "n_positive",
            "n_negative",
        )
    }


def best_classifiers(performance) -> list[dict]:
    """Per task (in table order), the classifier with the highest mean AUC over the CV repeats.

    A multi-class task's AUC is the macro one-vs-rest AUC (``average`` 'macro'); a binary task's is
    the positive class's. Ties go to the classifier listed first (the table's order).
    """
    if performance is None or not len(performance):
        return []
    auc = performance[performance["metric"] == "auc"]
    out = []
    for task in dict.fromkeys(auc["task"]):
        rows = auc[auc["task"] == task]
        macro = rows[rows["average"].astype(str) == "macro"]
        rows = macro if len(macro) else rows
        best = rows.iloc[int(np.argmax(rows["mean"].to_numpy(float)))]
        sel = str(best.get("selection", ""))
        label = (
            "optimistic: selection on all subjects"
            if "optimistic" in sel or sel == "published"
            else "nested: selection inside each CV fold"
            if sel == "nested"
            else "fixed features"
        )
        out.append(
            {
                "task": str(task),
                "classifier": str(best["classifier"]),
                "auc": float(best["mean"]),
                "sd": float(best["sd"]),
                "macro": bool(len(macro)),
                "selection": label,
                "n_repeats": int(best["n_repeats"]),
            }
        )
    return out


def strongest_correlation(correlations) -> dict | None:
    """The laboratory variable with the largest |Spearman rho| against the T2 marker, or None."""
    if correlations is None or not len(correlations):
        return None
    rho = correlations["rho"].to_numpy(float)
    if not np.isfinite(rho).any():
        return None
    r = correlations.iloc[int(np.nanargmax(np.abs(rho)))]
    return {
        "variable": str(r["variable"]),
        "rho": float(r["rho"]),
        "p_adjusted": float(r["p_adjusted"]),
        "n": int(r["n"]),
    }


def key_results_html(*, roc, performance, correlations, marker: str, positive: str, negative: str, within: str) -> str:
    """The block as ``<section id="key-results">`` with one ``<li>`` per finding (missing ones said so)."""
    items = []
    f = t2_roc_finding(roc)
    items.append(
        f"{marker} separates {positive} from {negative}: AUC {f['auc']:.2f} (95% CI {f['auc_ci_low']:.2f}-"
        f"{f['auc_ci_high']:.2f}); cut-off {f['cutoff']:.1f} ms, sensitivity {f['sensitivity']:.0%}, specificity "
        f"{f['specificity']:.0%} ({f['n_positive']:.0f} vs {f['n_negative']:.0f} subjects)."
        if f
        else f"No ROC of {marker} ({positive} vs {negative}): the T2 statistics did not run."
    )
    best = best_classifiers(performance)
    for b in best:
        kind = "macro AUC" if b["macro"] else "AUC"
        items.append(
            f"Task {b['task']}: best classifier {b['classifier']}, {kind} {b['auc']:.2f} ± {b['sd']:.2f} "
            f"over {b['n_repeats']} CV repeat(s) ({b['selection']})."
        )
    if not best:
        items.append("No radiomics classification results (stage disabled or failed).")
    c = strongest_correlation(correlations)
    if c:
        items.append(
            f"Strongest T2-laboratory correlation: {c['variable']}, Spearman rho {c['rho']:.2f} "
            f"(Holm p {c['p_adjusted']:.3g}, n {c['n']}, {within})."
        )
    lis = "".join(f"<li>{html.escape(i)}</li>" for i in items)
    return f'<section id="key-results" class="key"><h2>Key results</h2><ul>{lis}</ul></section>'
