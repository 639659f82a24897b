"""Summary figures of the study report: ICC of every feature, per-muscle T2 by group (PNG bytes)."""

from __future__ import annotations

import numpy as np

from .figures import _figure, png_bytes

__all__ = ["plot_icc", "per_muscle_matrix", "plot_muscle_heatmap"]


def plot_icc(icc, *, threshold: float) -> bytes:
    """Every feature's ICC with its 95% CI, sorted by ICC, one curve per analysis, threshold line.

    Parameters
    ----------
    icc : pandas.DataFrame
        ``icc.csv``: columns analysis (inter/intra), feature, icc, ci_low, ci_high.
    threshold : float
        The ICC a feature needs to be kept.
    """
    plt, fig = _figure((7.2, 3.4))
    ax = fig.add_subplot(111)
    for name, part in icc.groupby("analysis", sort=True):
        part = part.sort_values("icc", kind="mergesort")  # stable: ties keep the table's order
        x = np.arange(len(part))
        ax.fill_between(x, part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float), alpha=0.25, step="mid")
        kept = int((part["icc"] >= threshold).sum())
        ax.plot(x, part["icc"].to_numpy(float), "-", lw=1.5, label=f"{name}-reader ({kept}/{len(part)} kept)")
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_xlabel("features, sorted by ICC")
    ax.set_ylabel("ICC (95% CI)")
    ax.set_ylim(min(-0.1, float(np.nanmin(icc["ci_low"]))) if len(icc) else -0.1, 1.02)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return png_bytes(fig)


def per_muscle_matrix(per_muscle, groups: dict[str, str], order: list[str]):
    """Mean over subjects of each muscle's mean water T2, muscles x groups (pandas.DataFrame).

    ``per_muscle`` is ``t2_per_muscle.csv``; ``groups`` maps subject -> group; ``order`` the group
    columns. The pooled rows (muscle 'all') come last; a muscle with a side is 'VL R'.
    """
    df = per_muscle.copy()
    df["group"] = df["subject"].astype(str).map(groups)
    df = df[df["group"].notna()]
    side = df["side"].fillna("").astype(str)
    df["row"] = np.where(side.isin(["", "both"]), df["muscle"].astype(str), df["muscle"].astype(str) + " " + side)
    table = df.pivot_table(index="row", columns="group", values="t2_mean", aggfunc="mean", sort=False)
    cols = [g for g in order if g in table.columns]
    rows = [r for r in dict.fromkeys(df["row"]) if not r.startswith("all")]
    rows += [r for r in dict.fromkeys(df["row"]) if r.startswith("all")]
    return table.loc[rows, cols]


def plot_muscle_heatmap(matrix, *, label: str = "mean water T2 (ms)") -> bytes:
    """Heat map of a muscles x groups matrix with each cell's value written in it."""
    n_rows, n_cols = matrix.shape
    plt, fig = _figure((1.6 + 0.9 * n_cols, 1.2 + 0.22 * n_rows))
    ax = fig.add_subplot(111)
    values = matrix.to_numpy(float)
    im = ax.imshow(values, cmap="inferno", aspect="auto", interpolation="nearest")
    ax.set_xticks(range(n_cols), [str(c) for c in matrix.columns])
    ax.set_yticks(range(n_rows), [str(r) for r in matrix.index], fontsize=7)
    mid = np.nanmean(values) if np.isfinite(values).any() else 0.0
    for i in range(n_rows):
        for j in range(n_cols):
            if np.isfinite(values[i, j]):
                ax.text(
                    j,
                    i,
                    f"{values[i, j]:.0f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="black" if values[i, j] > mid else "white",
                )
    fig.colorbar(im, ax=ax, fraction=0.05, label=label)
    return png_bytes(fig)
