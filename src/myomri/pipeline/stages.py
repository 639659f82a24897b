"""The pipeline's stages. Each calls the stage packages (t2, segment, features, tables, analysis);
no science lives here, only the wiring between files.

Per-subject stage: :func:`run_t2_subject` (segmentation or given labels -> rigid alignment of the
Dixon water onto MESE echo 1 -> mask transfer onto the MESE grid -> T2 fit inside the muscles -> maps + per-muscle ROI statistics). It is a module-level
function of one picklable task dict, so joblib and Dask workers can run it.
Cohort stages: :func:`run_features`, :func:`run_study_stage`, :func:`run_statistics`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["t2_task", "run_t2_subject", "run_features", "run_study_stage", "run_statistics", "clinical_frame"]


def t2_task(spec, settings: dict, outdir: Path) -> dict:
    """The picklable work item of one subject's T2 stage (paths as strings, no patient data)."""
    return {
        "subject": spec.subject,
        "mese": str(spec.mese),
        "echo_times": spec.echo_times,
        "labels": None if spec.labels is None else str(spec.labels),
        "water": None if spec.water is None else str(spec.water),
        "fat": None if spec.fat is None else str(spec.fat),
        "t2": settings["t2"],
        "segmentation": settings["segmentation"],
        "outdir": str(outdir),
    }


def _muscle_labels(task: dict, water, mese):
    """The label map to average T2 in, on its own grid: given labels, classical or DL masks of ``water``;
    DL masks of the MESE series' first echo where the subject has no Dixon water (the shipped
    network is trained contrast-agnostic; the study file checks that classical segmentation has its water)."""
    from ..io.read import read_image, read_mask

    method = task["segmentation"]["method"]
    if method == "given":
        return read_mask(task["labels"])
    from ..segment.methods import muscle_labels

    fat = read_image(task["fat"]) if method == "classical" and task["fat"] else None
    source = water if water is not None else mese.volume(0)
    return muscle_labels(source, method, fat=fat, model=task["segmentation"].get("model"))


def _model(settings: dict, image):
    """The T2 model of the study file's ``t2`` section (``make_model`` applies the defaults) and
    the slice-profile choice (from the series' acquisition type unless the section fixes it)."""
    from ..t2.acquisition import choose_slice_profile
    from ..t2.build import make_model

    wanted = settings.get("slice_profile", "auto")
    choice = choose_slice_profile(image.meta, None if wanted == "auto" else bool(wanted), model=settings["model"])
    if settings["model"] == "mono":
        return make_model(image.echo_times, "mono", fit_method=settings.get("method"), source=image.source), choice
    ff = None if settings["fat_fraction"] == "fit" else float(settings["fat_fraction"])
    model = make_model(
        image.echo_times,
        "epg",
        fit_method=settings.get("method"),
        fat_fraction=ff,
        fat_t2=float(settings["fat_t2"]),
        slice_profile=choice.enabled,
        source=image.source,
    )
    return model, choice


def run_t2_subject(task: dict) -> dict:
    """Fit one subject's MESE series inside its muscles; write maps and ROI statistics.

    Writes ``t2.nii.gz``, ``labels.nii.gz`` (muscle labels on the MESE grid; 0 where not fitted),
    ``ff.nii.gz`` (EPG), ``status.nii.gz`` (the fit's voxel codes), ``roi_stats.csv`` and ``alignment.json`` (the rigid correction of the Dixon
    series onto MESE echo 1 and the mask overlap with and without it) into ``task['outdir']``;
    returns the subject summary.
    """
    from ..errors import FitError
    from ..io.atomic import atomic_path
    from ..io.nifti import write_nifti
    from ..io.read import read_image, require_echo_times
    from ..outcome import fit_failure
    from ..preprocess.align_labels import carry_aligned
    from ..t2.maps import write_fit
    from .t2_tables import check_label_scheme, t2_roi_table, t2_summary

    out = Path(task["outdir"])
    out.mkdir(parents=True, exist_ok=True)
    image = require_echo_times(read_image(task["mese"]), task["echo_times"])
    if image.array.ndim != 4:
        raise InputError(f"{task['mese']}: expected a multi-echo (4-D) series, got shape {image.shape}")
    water = read_image(task["water"]) if task["water"] else None
    labels = _muscle_labels(task, water, image)
    confidence = labels.meta.get("confidence")  # the dl segmenter's record, before the labels are carried
    # the labels follow the series they were drawn on (Dixon water) once it is aligned to the MESE echo 1
    labels, overlap, alignment = carry_aligned(
        labels, image, moving=water, align=task["t2"]["align"] and task["segmentation"]["align"]
    )
    moving = (
        "MESE echo 1 (segmented there)" if water is None and task["segmentation"]["method"] == "dl" else "Dixon water"
    )
    _write_json(out / "alignment.json", {"subject": task["subject"], "moving": moving, "fixed": "MESE echo 1",
                                         **alignment})  # fmt: skip
    lab = np.asarray(labels.array).astype(np.int16)
    if task["t2"]["slices"] == "centre":
        keep = np.zeros(lab.shape[2], bool)
        keep[lab.shape[2] // 2] = True
        lab[:, :, ~keep] = 0
    if not lab.any():
        if task["labels"] or task["water"]:
            raise InputError(
                f"{task['labels'] or task['water']}: no muscle label lands on the MESE grid of "
                f"{task['mese']} (overlap {overlap:.2f}); check the series' geometry"
            )
        raise InputError(
            f"{task['mese']}: the network found no muscle in the first echo; expected an axial thigh series"
        )
    check_label_scheme(lab, task)  # before the fit: a wrong declaration fails in seconds, naming the file
    model, profile = _model(task["t2"], image)
    fit = model.fit(np.asarray(image.array, dtype=float), lab > 0)
    counts = fit.counts()
    failure = fit_failure(counts["fitted"] + counts["fitted_at_bound"], counts["failed"])
    if failure is not None:  # the exit-code rule (myomri.outcome): the subject fails, not the run
        raise FitError(f"{task['mese']}: the T2 fit inside the muscles failed: {failure}")
    grid = image.volume(0)
    # with the fit's status map: roi-stats on ff.nii.gz then counts a fat fraction of 0 as run does
    write_fit(fit, grid, out, maps=("t2", "ff"), summary=False, status=True)
    write_nifti(grid.with_array(lab.astype(np.uint8)), out / "labels.nii.gz")
    if confidence is not None:  # the dl segmenter's per-slice record (on its own grid's slices)
        _write_json(out / "labels.json", {"segmentation": "myomri dl", "grid": "segmented image", **confidence})
    table = t2_roi_table(fit, lab, task)
    with atomic_path(out / "roi_stats.csv") as tmp:
        table.to_csv(tmp, index=False)
    summary = t2_summary(task, table, counts, overlap, profile, alignment)
    if confidence is not None:
        summary["segmentation_low_confidence"] = bool(confidence["low_confidence"])
    return summary


def _write_json(path: Path, value: dict) -> None:
    from ..io.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(value, indent=1))


def clinical_frame(config, *, numeric: bool = True):
    """The clinical table with a ``subject`` column (pseudonymous id); lab values as numbers
    (``numeric``) or every column as read (class labels such as "1" stay strings)."""
    import pandas as pd

    from .config import read_table

    clin = read_table(config.clinical).rename(columns={config.clinical_id: "subject"})
    clin["subject"] = clin["subject"].astype(str)
    for col in clin.columns if numeric else ():
        if col in ("subject", config.group_column):
            continue
        num = pd.to_numeric(clin[col], errors="coerce")
        if num.notna().sum() == clin[col].notna().sum():
            clin[col] = num
    return clin


def run_features(config, outdir: Path, *, jobs: int, executor: str, scheduler, progress: bool) -> dict:
    """STIR features of every reader ROI (``features.batch``; resumable per case)."""
    import pandas as pd

    from ..features.batch import run_batch
    from ..io.atomic import atomic_path

    rows = [{"subject": s.subject, **r} for s in config.subjects for r in s.rois]
    if not rows:
        raise InputError(f"{config.subjects_table}: no STIR image + ROI rows; features need them")
    manifest = outdir / "manifest.csv"
    with atomic_path(manifest) as tmp:
        pd.DataFrame(rows, columns=["subject", "reader", "session", "image", "mask", "label"]).to_csv(tmp, index=False)
    res = run_batch(
        manifest,
        out=outdir / "features_raw.csv",
        params=config.features["params"],
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
    )
    table = res.table
    ok = table[table["status"] == "ok"]
    names = [c for c in table.columns if c.startswith(("original_", "lbp-"))]
    with atomic_path(outdir / "features.csv") as tmp:
        ok[["subject", "reader", "session", *names]].to_csv(tmp, index=False)
    return {
        "n_cases": len(table),
        "n_ok": len(ok),
        "n_computed": res.n_computed,
        "n_cached": res.n_cached,
        "n_features": len(names),
        "failures": res.errors,
    }


def run_study_stage(config, features_csv: Path, outdir: Path, *, jobs: int, progress: bool) -> dict:
    """Reproducibility, selection and classifiers (``analysis.study``) on the reference reader."""
    from ..analysis.study import run_study
    from ..analysis.study_config import parse_study
    from ..io.atomic import atomic_path
    from ..report.study_tables import write_study_outputs

    clin = clinical_frame(config, numeric=False)
    ok_subjects = set(_read_ids(features_csv))
    clin = clin[clin["subject"].isin(ok_subjects)]
    with atomic_path(outdir / "clinical.csv") as tmp:
        clin.to_csv(tmp, index=False)
    raw = {
        **config.analysis,
        "features": str(features_csv),
        "clinical": str(outdir / "clinical.csv"),
        "tasks": list(config.analysis.get("tasks", [])),
    }
    study = parse_study(raw, base=outdir, source=f"{config.source} (analysis)")
    failed: list[dict] = []
    try:
        result = run_study(study, n_jobs=jobs, progress=progress)
    except Exception:  # noqa: BLE001 - one task's or classifier's failure must not sink the others
        result = _study_in_parts(study, jobs=jobs, progress=progress, failed=failed)
    write_study_outputs(result, outdir)
    with atomic_path(outdir / "notes.json") as tmp:
        Path(tmp).write_text(
            json.dumps(
                {
                    "notes": result.notes,
                    "features_after_icc": result.features_after_icc,
                    "features_after_collinearity": result.features_after_collinearity,
                },
                indent=1,
            )
        )
    return {
        "n_tasks": len(study.tasks),
        "classifiers": result.config.classifiers,
        "repeats": study.repeats,
        "folds": study.folds,
        "mode": study.mode,
        "notes": result.notes,
        "failures": failed,
    }


def _study_in_parts(study, *, jobs: int, progress: bool, failed: list[dict]):
    """Run each task (and, when a task fails numerically, each of its classifiers) on its own and
    merge the results; what failed is listed in ``failed`` (pairwise classifier comparisons are
    then kept only for the tasks that ran whole)."""
    from dataclasses import replace

    import pandas as pd

    from ..analysis.study import run_study

    parts = []
    for task in study.tasks:
        try:
            parts.append(run_study(replace(study, tasks=[task]), n_jobs=jobs, progress=progress))
            continue
        except InputError as exc:  # e.g. too few subjects of a class for the folds
            failed.append({"classifier": f"task {task.name}", "error_type": type(exc).__name__, "message": str(exc)})
            continue
        except Exception:  # noqa: BLE001 - find the classifier(s) that fail
            pass
        for clf in study.classifiers:
            try:
                parts.append(run_study(replace(study, tasks=[task], classifiers=[clf]), n_jobs=jobs, progress=progress))
            except Exception as exc:  # noqa: BLE001 - recorded and reported
                failed.append(
                    {"classifier": f"task {task.name}, {clf}", "error_type": type(exc).__name__, "message": str(exc)}
                )
    if not parts:
        raise InputError("every task failed: " + "; ".join(f"{f['classifier']}: {f['message']}" for f in failed))
    first = parts[0]
    notes = list(dict.fromkeys(n for p in parts for n in p.notes))
    notes += [f"{f['classifier']} failed ({f['error_type']}: {f['message']}); left out" for f in failed]
    tasks = [t for t in study.tasks if any(t.name in {k[0] for k in p.confusion} for p in parts)]
    clfs = [c for c in study.classifiers if any(c in {k[1] for k in p.confusion} for p in parts)]
    merged = {
        k: pd.concat([getattr(p, k) for p in parts], ignore_index=True)
        for k in ("repeats", "performance", "selection", "comparisons")
    }
    checks = [p.selection_check for p in parts if p.selection_check is not None]
    return replace(
        first,
        config=replace(study, tasks=tasks, classifiers=clfs),
        selection_check=pd.concat(checks, ignore_index=True) if checks else None,
        confusion={k: v for p in parts for k, v in p.confusion.items()},
        roc={k: v for p in parts for k, v in p.roc.items()},
        notes=notes,
        **merged,
    )


def _read_ids(path: Path) -> list[str]:
    import pandas as pd

    return pd.read_csv(path, usecols=["subject"], dtype=str)["subject"].tolist()


def run_statistics(config, t2_table, outdir: Path) -> dict:
    """Clinical statistics of seed paper 2 on the subject T2 table (``analysis.stats*``)."""
    import pandas as pd

    from ..analysis.stats import analyze_roc, characteristics_table, correlate_markers, run_mann_whitney
    from ..io.atomic import atomic_path

    st = config.statistics
    clin = clinical_frame(config)
    df = clin.merge(t2_table, on="subject", how="inner")
    g = df[config.group_column].astype(str)
    label = np.where(
        g.isin(st["positive"]), "positive", np.where(g.isin(st["negative"]), "negative", np.array(None, dtype=object))
    )
    two = df[label != None].assign(_two=label[label != None])  # noqa: E711 - elementwise
    out: dict[str, Any] = {}
    marker = st["marker"]
    if (two["_two"] == "positive").sum() >= 2 and (two["_two"] == "negative").sum() >= 2:
        roc = analyze_roc(two[marker].to_numpy(float), two["_two"].to_numpy(), positive="positive")
        mw = run_mann_whitney(two[marker].to_numpy(float), two["_two"].to_numpy(), positive="positive")
        summary = {**roc.summary(), "mann_whitney_u": mw.statistic, "mann_whitney_p": mw.p_value}
        _write(outdir / "roc.csv", pd.DataFrame([summary]), atomic_path)
        _write(outdir / "roc_curve.csv", pd.DataFrame({"fpr": roc.fpr, "tpr": roc.tpr}), atomic_path)
        out["roc"] = summary
    else:
        out["roc"] = None
    within = two[two["_two"] == "positive"] if st["within"] == "positive" else df
    present = [v for v in st["correlations"] if v in within.columns]
    if present and len(within) >= 3:
        corr = correlate_markers(within, marker, present)
        _write(outdir / "correlations.csv", corr, atomic_path)
        out["correlations"] = corr.to_dict("records")
    cont = [c for c in [marker, *st["continuous"]] if c in clin.columns or c == marker]
    cat = [c for c in st["categorical"] if c in df.columns]
    table = characteristics_table(df, config.group_column, continuous=cont, categorical=cat)
    _write(outdir / "characteristics.csv", table, atomic_path)
    extra = [v for v in st["correlations"] if v in df.columns and v not in t2_table.columns]
    _write(outdir / "t2_subjects.csv", df[["subject", config.group_column, *t2_table.columns[1:], *extra]], atomic_path)
    out["n_subjects"] = int(len(df))
    return out


def _write(path: Path, df, atomic_path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
