"""The self-contained study report ``OUTDIR/report.html`` (every figure embedded as base64 PNG).

Built from the files the pipeline stages wrote (so a report can be regenerated from a finished
run) plus the run's outcome: methods paragraph generated from the settings, cohort table, T2
results (ROC, box plots, correlations, map overlays), radiomics results (ICC, selected features,
performance tables in the papers' layouts, ROC curves, confusion matrices), failures.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write_text
from .alignment import alignment_section
from .figures import plot_correlation, plot_marker_roc, plot_t2_boxes, plot_t2_overlay
from .key_results import key_results_html
from .layout import PRINT_CSS, collapsed, with_toc
from .summary_figures import per_muscle_matrix, plot_icc, plot_muscle_heatmap
from .tables import frame_to_html, markdown_to_html

__all__ = ["ReportInputs", "write_report", "img_tag"]


@dataclass(frozen=True)
class ReportInputs:
    """Where the report finds the stage outputs; the caller (the pipeline) owns the layout.

    Attributes
    ----------
    stats : Path
        Folder of the clinical statistics (``characteristics.csv``, ``t2_subjects.csv``,
        ``roc.csv``, ``roc_curve.csv``, ``correlations.csv``).
    study : Path
        Folder of the radiomics study (``performance.md``, ``icc.csv``, ``selection.csv``,
        ``roc_*.png``, ``confusion_*.png``).
    t2_maps : mapping
        Subject -> (T2 map, label map on its grid) for the overlay figures.
    per_muscle : Path, optional
        The tidy per-muscle T2 table (``t2_per_muscle.csv``) for the heat map.
    report_dir : Path, optional
        Folder the report is written to: links to the full CSV tables are made relative to it.
    """

    stats: Path
    study: Path
    t2_maps: Mapping[str, tuple[Path, Path]] = field(default_factory=dict)
    per_muscle: Path | None = None
    report_dir: Path | None = None


CSS = (
    """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table.tab{border-collapse:collapse;margin:0.6em 0;font-size:0.85em}
table.tab td,table.tab th{border:1px solid #bbb;padding:2px 6px;text-align:left}
table.tab th{background:#eee}.figs{display:flex;flex-wrap:wrap;gap:10px}
.figs figure{margin:0}.fail{color:#a00}code{background:#f3f3f3}"""
    + "\n"
    + PRINT_CSS
)


def img_tag(png: bytes, alt: str) -> str:
    """An ``<img>`` holding the PNG inline (data URI)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _figure(png: bytes, caption: str) -> str:
    return f"<figure>{img_tag(png, caption)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _csv(path: Path):
    import pandas as pd

    return pd.read_csv(path) if path.is_file() else None


def _methods(config, run) -> str:
    t2, seg, an = config.t2, config.segmentation, config.analysis
    val = an.get("validation", {})
    sel = an.get("selection", {})
    rep = an.get("reproducibility", {})
    mode = sel.get("mode", "nested")
    align = t2.get("align", True) and seg.get("align", True)
    ff = "fitted per voxel" if t2["fat_fraction"] == "fit" else f"fixed at {t2['fat_fraction']}"
    model = (
        f"a bi-component (water/fat) extended-phase-graph model (fat T2 {t2['fat_t2']} ms, fat fraction {ff}, "
        "B1 fitted)"
        if t2["model"] == "epg"
        else "a mono-exponential model"
    )
    segtxt = {
        "given": "label maps given with the data",
        "classical": "the classical (threshold and morphology) segmentation of the Dixon series",
        "dl": "the deep-learning segmenter",
    }[seg["method"]]
    nested = {
        "nested": "The z-scoring, univariate filter and sequential forward selection were nested inside "
        "every outer training fold (leak-free); the reproducibility (ICC) and collinearity filters "
        "do not use the labels and were applied once to all subjects, as in the paper.",
        "published": "Feature selection was run once on all subjects before cross-validation, as "
        "published; performance estimates are therefore optimistic"
        + (
            f" (the first {sel['nested_check']} repeats were also run with the selection nested inside every "
            "outer training fold, to show by how much; see the nested check below)."
            if sel.get("nested_check")
            else "."
        ),
        "none": "A fixed feature list was used; z-scoring was fitted inside each training fold.",
    }[mode]
    p = [
        f"Water T2 maps were fitted to the multi-echo spin-echo series with {model}, "
        f"{'on all slices' if t2['slices'] == 'all' else 'on the centre slice only'}, inside the thigh muscles "
        f"from {segtxt}, carried onto the T2 grid through the scanner (world) coordinates"
        f"{' after a rigid alignment of the Dixon water series onto the first MESE echo' if align else ''}. The mean muscle "
        "T2 of each subject pools all labelled, fitted voxels of both thighs.",
        "Radiomics features (PyRadiomics-compatible, original and LBP-2D images) were extracted from the "
        "STIR ROIs of every reader with the parameters in the run manifest (intensity normalisation, "
        "resampling before extraction). Features with ICC("
        f"{rep.get('icc', 'A1')}) >= {rep.get('threshold', 0.8)} in the inter-reader ({', '.join(rep.get('inter') or [])}) "
        f"and intra-reader ({', '.join(rep.get('intra') or [])}) analyses were kept, then those collinear at "
        f"|r| >= {an.get('collinearity')}. Classifiers ({', '.join(an.get('classifiers', []))}) were validated "
        f"by stratified {val.get('folds', 10)}-fold cross-validation repeated {val.get('repeats', 100)} times "
        f"(seed {val.get('seed', 0)}). " + nested,
        f"T2 between {'/'.join(config.statistics['positive'])} and {'/'.join(config.statistics['negative'])} "
        "was compared by ROC analysis (DeLong 95% CI, Youden cut-off with Wilson intervals) and the "
        "Mann-Whitney U test; Spearman correlations with "
        f"{', '.join(config.statistics['correlations'])} (within the "
        f"{'patients' if config.statistics['within'] == 'positive' else 'whole cohort'}) carry Holm-corrected p-values.",
    ]
    if config.reductions:
        p.append("Reductions from the papers' settings in this run: " + "; ".join(config.reductions) + ".")
    nfail = len(run.failures)
    p.append(
        f"{nfail} failure(s) were recorded (listed below); the run went on without them."
        if nfail
        else "No stage failed."
    )
    return "".join(f"<p>{html.escape(x)}</p>" for x in p)


#: Columns of ``roc.csv`` the report's ROC table shows, in this order.
_ROC_COLUMNS = (
    "auc",
    "auc_ci_low",
    "auc_ci_high",
    "p_value",
    "cutoff",
    "sensitivity",
    "sensitivity_ci_low",
    "sensitivity_ci_high",
    "specificity",
    "specificity_ci_low",
    "specificity_ci_high",
    "mann_whitney_u",
    "mann_whitney_p",
    "n_positive",
    "n_negative",
)


def _t2_section(inputs: ReportInputs, config) -> list[str]:
    import pandas as pd

    st = inputs.stats
    parts = ["<h2>Muscle water T2</h2>"]
    subj = _csv(st / "t2_subjects.csv")
    if subj is None:
        return parts + ["<p><em>No T2 results (stage disabled or failed).</em></p>"]
    gcol = config.group_column
    groups = [g for g in pd.unique(subj[gcol].astype(str))]
    order = [g for g in (*config.statistics["negative"], *config.statistics["positive"]) if g in groups]
    order += [g for g in groups if g not in order]
    marker = config.statistics["marker"]
    figs = [
        _figure(
            plot_t2_boxes({g: subj.loc[subj[gcol].astype(str) == g, marker].to_numpy(float) for g in order}),
            f"{marker} per group",
        )
    ]
    roc, curve = _csv(st / "roc.csv"), _csv(st / "roc_curve.csv")
    pos, neg = "/".join(config.statistics["positive"]), "/".join(config.statistics["negative"])
    if roc is not None and curve is not None:
        figs.append(_roc_figure(roc, curve, marker, pos, neg))
    figs += _heatmap_figures(inputs, subj, gcol, order)
    parts.append('<div class="figs">' + "".join(figs) + "</div>")
    if roc is not None:
        parts += [f"<h3>ROC: {html.escape(pos)} vs {html.escape(neg)}</h3>", frame_to_html(roc, columns=_ROC_COLUMNS)]
    corr = _csv(st / "correlations.csv")
    if corr is not None:
        parts += ["<h3>Correlations</h3>", frame_to_html(corr)]
        parts.append('<div class="figs">' + "".join(_correlation_figures(subj, corr, config)) + "</div>")
    parts.append(_overlays(inputs, subj, gcol, order, int(config.report["overlays"])))
    parts.append(alignment_section(subj))
    return parts


def _roc_figure(roc, curve, marker: str, pos: str, neg: str) -> str:
    """The marker's ROC curve (positive vs negative groups) with its AUC, CI and cut-off."""
    r = roc.iloc[0]
    return _figure(
        plot_marker_roc(
            curve["fpr"],
            curve["tpr"],
            auc=r["auc"],
            ci=(r["auc_ci_low"], r["auc_ci_high"]),
            cutoff=r["cutoff"],
            label=f"{pos} vs {neg}",
        ),
        f"ROC of {marker}: {pos} vs {neg}",
    )


def _heatmap_figures(inputs: ReportInputs, subj, gcol: str, order: list[str]) -> list[str]:
    """The per-muscle T2 heat map by group, or nothing without a (non-empty) per-muscle table."""
    per_muscle = _csv(inputs.per_muscle) if inputs.per_muscle is not None else None
    if per_muscle is not None and len(per_muscle):
        matrix = per_muscle_matrix(per_muscle, dict(zip(subj["subject"].astype(str), subj[gcol].astype(str))), order)
        if matrix.size:
            return [_figure(plot_muscle_heatmap(matrix), "per-muscle mean water T2 by group")]
    return []


def _correlation_figures(subj, corr, config) -> list[str]:
    """The marker against every correlated variable the subject table holds (patients only if so set)."""
    import pandas as pd

    gcol, marker = config.group_column, config.statistics["marker"]
    data, cfigs = subj, []
    positive = data[gcol].astype(str).isin(config.statistics["positive"])
    use = data[positive] if config.statistics["within"] == "positive" else data
    for row in corr.itertuples(index=False):
        if row.variable in use.columns:
            x = pd.to_numeric(use[row.variable], errors="coerce").to_numpy(float)
            cfigs.append(
                _figure(
                    plot_correlation(
                        x,
                        use[marker].to_numpy(float),
                        xlabel=row.variable,
                        ylabel=marker,
                        rho=row.rho,
                        p=row.p_adjusted,
                        log_x=row.variable in ("CK", "ALT", "AST", "LDH") and np.nanmin(x) > 0,
                    ),
                    f"{marker} vs {row.variable}",
                )
            )
    return cfigs


def _overlays(inputs: ReportInputs, subj, gcol: str, order: list[str], n: int) -> str:
    from ..io.nifti import read_nifti

    picked: list[tuple[str, str]] = []
    seen: set[str] = set()
    for g in order:  # one subject per group first, so the overlays show the contrast between groups
        rows = subj[subj[gcol].astype(str) == g]
        if len(rows) and len(picked) < n:
            picked.append((rows.iloc[0]["subject"], g))
            seen.add(rows.iloc[0]["subject"])
    figs = []
    for sid, g in picked:
        t2_path, labels_path = inputs.t2_maps.get(str(sid), (None, None))
        if t2_path is not None and labels_path is not None and t2_path.is_file() and labels_path.is_file():
            t2, lab = read_nifti(t2_path).array, read_nifti(labels_path).array
            figs.append(_figure(plot_t2_overlay(t2, lab, title=f"{sid} ({g})"), f"T2 map of {sid} ({g})"))
    if not figs:
        return ""
    return '<h3>T2 maps with the segmentation</h3><div class="figs">' + "".join(figs) + "</div>"


def _study_section(inputs: ReportInputs, config) -> list[str]:
    so = inputs.study
    parts = ["<h2>Radiomics classification</h2>"]
    if not (so / "performance.md").is_file():
        return parts + ["<p><em>No classification results (stage disabled or failed).</em></p>"]
    icc = _csv(so / "icc.csv")
    if icc is not None:
        threshold = float(config.analysis.get("reproducibility", {}).get("threshold", 0.8))
        parts += [
            "<h3>Reproducibility (ICC)</h3>",
            _figure(plot_icc(icc, threshold=threshold), "ICC of every feature, sorted, with 95% CI"),
            collapsed("ICC table", frame_to_html(icc), n_rows=len(icc), csv_href=_href(inputs, so / "icc.csv")),
        ]
    sel = _csv(so / "selection.csv")
    if sel is not None:
        parts += [
            "<h3>Selected features</h3>",
            collapsed(
                "Selection table", frame_to_html(sel), n_rows=len(sel), csv_href=_href(inputs, so / "selection.csv")
            ),
        ]
    parts.append(markdown_to_html((so / "performance.md").read_text(encoding="utf-8"), heading_offset=2))
    for prefix, title in (("roc_", "ROC curves"), ("confusion_", "Confusion matrices")):
        pngs = sorted(so.glob(f"{prefix}*.png"))
        if pngs:
            parts.append(
                f'<h3>{title}</h3><div class="figs">'
                + "".join(_figure(p.read_bytes(), p.stem) for p in pngs)
                + "</div>"
            )
    return parts


def _href(inputs: ReportInputs, path: Path) -> str:
    """Link to ``path`` relative to the report's folder."""
    return Path(os.path.relpath(path, inputs.report_dir)).as_posix() if inputs.report_dir else path.as_posix()


def _key_results(inputs: ReportInputs, config) -> str:
    st, so = inputs.stats, inputs.study
    stats = config.statistics
    return key_results_html(
        roc=_csv(st / "roc.csv"),
        performance=_csv(so / "performance.csv"),
        correlations=_csv(st / "correlations.csv"),
        marker=stats["marker"],
        positive="/".join(stats["positive"]),
        negative="/".join(stats["negative"]),
        within="within the patients" if stats["within"] == "positive" else "whole cohort",
    )


def write_report(outdir, *, config, run, inputs: ReportInputs) -> Path:
    """Write ``OUTDIR/report.html`` from the stage outputs named by ``inputs``; returns its path."""
    import pandas as pd

    out = Path(outdir)
    title = html.escape(config.report["title"])
    groups = pd.Series([s.group for s in config.subjects]).value_counts()
    parts = [
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title><style>{CSS}</style>'
        f"</head><body><h1>{title}</h1>",
        f"<p>{len(config.subjects)} subjects ("
        + ", ".join(f"{html.escape(str(g))} {n}" for g, n in groups.items())
        + f"); run time {run.seconds:.0f} s.</p>",
        _key_results(inputs, config),
        "<h2>Methods</h2>",
        _methods(config, run),
        "<h2>Cohort</h2>",
    ]
    chars = _csv(inputs.stats / "characteristics.csv")
    parts.append(frame_to_html(chars) if chars is not None else "<p><em>No characteristics table.</em></p>")
    parts += _t2_section(inputs, config)
    parts += _study_section(inputs, config)
    parts.append("<h2>Failures and exclusions</h2>")
    skipped = run.stages.get("t2_skipped") or []
    if skipped:
        parts.append(f"<p>Without a T2 series (left out of the T2 analysis): {html.escape(', '.join(skipped))}.</p>")
    if run.failures:
        parts.append('<div class="fail">' + frame_to_html(pd.DataFrame(run.failures)) + "</div>")
    elif not skipped:
        parts.append("<p>None.</p>")
    head, body = parts[:3], "\n".join(parts[3:])
    body, toc = with_toc(body)  # the contents follow the key results
    path = out / "report.html"
    atomic_write_text(path, "\n".join([*head, toc, body, "</body></html>"]))
    return path
