"""Study figures (matplotlib Agg) as PNG bytes: confusion matrix and one-vs-rest ROC curves.

Like every ``plot_*`` of ``myomri.report`` they return the PNG; the caller writes or embeds it."""

from __future__ import annotations

import io

import numpy as np

__all__ = ["plot_confusion", "plot_roc"]


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(plt, fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, dpi=100, format="png")
    plt.close(fig)
    return buf.getvalue()


def plot_confusion(cm, *, title: str = "") -> bytes:
    """Row-normalised confusion matrix (summed over repeats) with the fraction in each cell."""
    plt = _figure()
    counts = cm.to_numpy(dtype=float)
    frac = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(3.2 + 0.4 * len(cm), 3.0 + 0.4 * len(cm)))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(cm.columns)), cm.columns)
    ax.set_yticks(range(len(cm.index)), cm.index)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(frac.shape[0]):
        for j in range(frac.shape[1]):
            ax.text(j, i, f"{frac[i, j]:.2f}", ha="center", va="center", color="white" if frac[i, j] > 0.5 else "black")
    ax.set_title(title)
    fig.tight_layout()
    return _png(plt, fig)


def plot_roc(y_idx, proba, classes, *, title: str = "") -> bytes:
    """One-vs-rest ROC curve per class from out-of-fold probabilities averaged over repeats."""
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _figure()
    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    shown = range(len(classes)) if len(classes) > 2 else [len(classes) - 1]
    for c in shown:
        truth = (y_idx == c).astype(int)
        fpr, tpr, _ = roc_curve(truth, proba[:, c])
        ax.plot(fpr, tpr, label=f"{classes[c]} (AUC {roc_auc_score(truth, proba[:, c]):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _png(plt, fig)
