"""Figures of the study report, returned as PNG bytes (matplotlib, Agg backend, no display).

Every function takes plain arrays/tables and returns ``bytes``; :mod:`myomri.report.html` embeds
them as base64 so the report is a single self-contained file.
"""

from __future__ import annotations

import io

import numpy as np

from ..config import pipeline as cfg

__all__ = ["png_bytes", "plot_t2_boxes", "plot_correlation", "plot_marker_roc", "plot_t2_overlay"]


def _figure(size=(4.8, 3.6)):
    import matplotlib

    matplotlib.use("Agg", force=True)  # headless; never opens a window
    import matplotlib.pyplot as plt

    return plt, plt.figure(figsize=size, dpi=100)


def png_bytes(fig) -> bytes:
    """Render and close a figure; PNG bytes."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def plot_t2_boxes(values_by_group: dict[str, np.ndarray], *, ylabel: str = "mean muscle T2 (ms)") -> bytes:
    """Box plot of a subject-level value per group, with the subjects as jittered points."""
    plt, fig = _figure()
    ax = fig.add_subplot(111)
    names = list(values_by_group)
    data = [np.asarray(values_by_group[n], float) for n in names]
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), names)
    rng = np.random.default_rng(0)  # fixed jitter: identical figures on every run
    for i, v in enumerate(data, 1):
        ax.plot(i + rng.uniform(-0.12, 0.12, v.size), v, "o", ms=3, alpha=0.6, color="tab:blue")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    return png_bytes(fig)


def plot_correlation(x, y, *, xlabel: str, ylabel: str, rho: float, p: float, log_x: bool = False) -> bytes:
    """Scatter of a marker against a clinical variable, with Spearman's rho in the title."""
    plt, fig = _figure((3.6, 3.2))
    ax = fig.add_subplot(111)
    ax.plot(x, y, "o", ms=4, alpha=0.7)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"rho = {rho:.2f}, Holm p = {p:.3g}", fontsize=9)
    ax.grid(alpha=0.3)
    return png_bytes(fig)


def plot_marker_roc(fpr, tpr, *, auc: float, ci: tuple[float, float], cutoff: float, label: str) -> bytes:
    """ROC curve of a continuous marker with its AUC, CI and Youden cut-off."""
    plt, fig = _figure((3.8, 3.6))
    ax = fig.add_subplot(111)
    ax.plot(fpr, tpr, "-", lw=2, label=f"AUC {auc:.3f} ({ci[0]:.3f}-{ci[1]:.3f})")
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title(f"{label}; Youden cut-off {cutoff:.1f}", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_aspect("equal")
    return png_bytes(fig)


def plot_t2_overlay(
    t2: np.ndarray, labels: np.ndarray, *, title: str, vrange: tuple[float, float] = cfg.OVERLAY_T2_RANGE
) -> bytes:
    """Colour-coded T2 map of the slice with the most labelled voxels, segmentation outlined.

    ``t2`` and ``labels`` are 3-D arrays of the same grid ``[i, j, k]``; the slice is shown
    with i horizontal and j vertical (radiological axial view of an LPS grid).
    """
    plt, fig = _figure((5.6, 3.4))
    ax = fig.add_subplot(111)
    k = int(np.argmax((labels != 0).sum(axis=(0, 1))))
    sl_t2 = np.asarray(t2[:, :, k], float).T
    sl_lab = np.asarray(labels[:, :, k]).T
    shown = np.ma.masked_where(sl_lab == 0, sl_t2)
    ax.imshow(np.zeros_like(sl_t2), cmap="gray", vmin=0, vmax=1)
    im = ax.imshow(shown, cmap="inferno", vmin=vrange[0], vmax=vrange[1], interpolation="nearest")
    if np.unique(sl_lab).size > 1:
        ax.contour(sl_lab, levels=np.unique(sl_lab)[1:] - 0.5, colors="cyan", linewidths=0.4)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.colorbar(im, ax=ax, fraction=0.04, label="T2 (ms)")
    return png_bytes(fig)
