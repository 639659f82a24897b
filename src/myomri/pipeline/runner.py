"""Run a pipeline study: T2 per subject -> features -> study -> statistics -> report.

Layout of ``OUTDIR``::

    report.html            self-contained report (figures embedded)
    run_manifest.json      versions, settings, seeds, input checksums, stage outcomes (no patient data)
    failures.csv           per-subject / per-stage failures (the run went on)
    run.log                what each stage did (subject ids only)
    t2_per_muscle.csv      subject, side, muscle, n_voxels, water T2 mean/SD/median/IQR, mean FF
    derivatives/myomri/    BIDS derivatives: dataset_description.json, sub-*/anat/ T2map, FFmap, dseg + JSON
    stages/t2/<subject>/   t2.nii.gz, ff.nii.gz, labels.nii.gz, roi_stats.csv, alignment.json, done.json
    stages/features/       features.csv (+ raw table, resumable per-case cache)
    stages/study/          icc.csv, performance.csv/.md, selection.csv, confusion/ROC files
    stages/stats/          roc.csv, correlations.csv, characteristics.csv, t2_subjects.csv

Each stage is skipped when its cache key (input checksums + settings + myomri version) equals
the one in its ``done.json``; a per-subject result is stored as soon as it finishes, so an
interrupted run resumes where it stopped without recomputing finished work.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..config import pipeline as cfg
from ..io.atomic import atomic_path, atomic_write_text
from .cache import Checksums, cache_key, read_done, write_done
from .executors import map_items
from .layout import STAGES_DIR, report_inputs, stage_dir, t2_subject_dir
from .stages import run_features, run_statistics, run_study_stage, run_t2_subject, t2_task

__all__ = ["RunResult", "run_pipeline"]


@dataclass
class RunResult:
    """Outcome of :func:`run_pipeline`."""

    outdir: Path
    report: Path | None
    stages: dict = field(default_factory=dict)  # stage -> {"status": computed|cached|failed|skipped, ...}
    failures: list[dict] = field(default_factory=list)  # {stage, subject, error_type, message}
    computed: dict = field(default_factory=dict)  # stage -> subjects / items computed this run
    seconds: float = 0.0


class _Log:
    def __init__(self, path: Path):
        self.path = path
        self.lines: list[str] = []

    def __call__(self, msg: str) -> None:
        self.lines.append(f"{time.strftime('%H:%M:%S')} {msg}")
        atomic_write_text(self.path, "\n".join(self.lines) + "\n")


def _versions() -> dict:
    import importlib.metadata as md

    out: dict[str, str | None] = {"myomri": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "scipy", "pandas", "scikit-learn", "nibabel", "SimpleITK", "joblib", "matplotlib"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def _t2_stage(config, out, sums, *, jobs, executor, scheduler, progress, result, log):
    import pandas as pd
    from tqdm import tqdm

    settings = config.settings()
    base = stage_dir(out, "t2")
    rows, todo = {}, []
    for spec in config.subjects:
        if spec.mese is None:
            result.stages.setdefault("t2_skipped", []).append(spec.subject)
            log(f"t2: {spec.subject} has no T2 (MESE) series; left out of the T2 statistics")
            continue
        folder = t2_subject_dir(out, spec.subject)
        key = cache_key(
            stage="t2",
            t2=settings["t2"],
            segmentation=settings["segmentation"],
            echo_times=spec.echo_times,
            inputs=[sums.of(p) for p in (spec.mese, spec.labels, spec.water, spec.fat)],
        )
        done = read_done(folder, key)
        if done is not None:
            rows[spec.subject] = done
        else:
            todo.append((spec, folder, key))
    sums.save()
    log(f"t2: {len(rows)} subject(s) cached, {len(todo)} to fit")
    tasks = [t2_task(spec, settings, folder) for spec, folder, _ in todo]
    computed = []
    bar = tqdm(total=len(tasks), desc="t2", unit="subject", file=sys.stderr, disable=not progress or None)
    try:
        for i, outcome in map_items(run_t2_subject, tasks, executor=executor, jobs=jobs, scheduler=scheduler):
            spec, folder, key = todo[i]
            if outcome["ok"]:
                write_done(folder, key, outcome["value"])  # stored at once: survives an interruption
                rows[spec.subject] = outcome["value"]
                computed.append(spec.subject)
                if outcome["value"].get("align") == "refused":
                    log(
                        f"t2: warning: {spec.subject}: the Dixon -> MESE alignment was refused (beyond the "
                        "sanity bound); masks carried through the scanner coordinates, see its alignment.json"
                    )
            else:
                result.failures.append(
                    {
                        "stage": "t2",
                        "subject": spec.subject,
                        "error_type": outcome["error_type"],
                        "message": outcome["message"],
                    }
                )
                log(f"t2: {spec.subject} failed: {outcome['error_type']}: {outcome['message']}")
            bar.update(1)
    finally:
        bar.close()
    result.computed["t2"] = computed
    order = [s.subject for s in config.subjects if s.subject in rows]
    table = pd.DataFrame([rows[s] for s in order])
    with atomic_path(base / "t2_subjects.csv") as tmp:
        table.to_csv(tmp, index=False)
    n_failed = len(todo) - len(computed)
    result.stages["t2"] = {
        # "failed" when no subject has a T2 result: a fresh run whose every fit failed is not "cached"
        "status": "computed" if computed else ("failed" if n_failed and not rows else "cached"),
        "n_subjects": len(rows),
        "n_computed": len(computed),
        "n_failed": n_failed,
        "align_refused": [s for s in order if rows[s].get("align") == "refused"],
    }
    return table


def _cohort_stage(name, folder, key, func, result, log):
    """Run a cohort stage unless cached; a failure is recorded and the run goes on."""
    folder.mkdir(parents=True, exist_ok=True)
    done = read_done(folder, key)
    if done is not None and done.get("failures"):
        # a rerun is how a user retries: parts that failed last time (e.g. one task) are not served from cache
        log(f"{name}: the cached result recorded {len(done['failures'])} failure(s); recomputing")
        done = None
    if done is not None:
        result.stages[name] = {"status": "cached", **done}
        log(f"{name}: unchanged inputs and settings; cached result used")
        return done
    try:
        value = func()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - recorded; the report lists it
        result.failures.append({"stage": name, "subject": "", "error_type": type(exc).__name__, "message": str(exc)})
        result.stages[name] = {"status": "failed"}
        log(f"{name}: failed: {type(exc).__name__}: {exc}")
        return None
    value = json.loads(json.dumps(value, default=str))
    write_done(folder, key, value)
    result.stages[name] = {"status": "computed", **value}
    result.computed[name] = True
    log(f"{name}: computed")
    return value


def run_pipeline(
    config,
    outdir,
    *,
    jobs: int = cfg.JOBS,
    executor: str = cfg.EXECUTOR,
    scheduler=None,
    progress: bool = True,
    report: bool = True,
) -> RunResult:
    """Run every stage of a validated :class:`~myomri.pipeline.config.PipelineConfig` into ``outdir``."""
    from threadpoolctl import threadpool_limits

    from ..errors import ConfigError

    if executor not in cfg.EXECUTORS:
        raise ConfigError(f"executor {executor!r} unknown; expected one of {list(cfg.EXECUTORS)}")
    if executor == "dask" and scheduler is None:
        raise ConfigError("executor 'dask' needs a scheduler address (e.g. tcp://host:8786)", option="scheduler")
    with threadpool_limits(limits=cfg.BLAS_THREADS):
        return _run(config, outdir, jobs=jobs, executor=executor, scheduler=scheduler, progress=progress, report=report)


def _run(config, outdir, *, jobs, executor, scheduler, progress, report) -> RunResult:
    t0 = time.perf_counter()
    # absolute from here on: stages hand paths to parsers that join relative paths to their own base
    out = Path(outdir).resolve()
    (out / STAGES_DIR).mkdir(parents=True, exist_ok=True)
    result = RunResult(outdir=out, report=None)
    log = _Log(out / "run.log")
    sums = Checksums(out / STAGES_DIR / "checksums.json")
    settings = config.settings()
    log(f"myomri {__version__}: {len(config.subjects)} subject(s), executor {executor}, jobs {jobs}")

    # what the per-subject stages (T2, features) are run with
    stage_args = dict(jobs=jobs, executor=executor, scheduler=scheduler, progress=progress, result=result, log=log)
    t2_table = None
    if config.t2["enabled"]:
        t2_table = _t2_stage(config, out, sums, **stage_args)
    if t2_table is not None and len(t2_table):
        _t2_outputs(out, config, t2_table, log)
    features_csv = stage_dir(out, "features") / "features.csv"
    if config.features["enabled"]:
        feats = _features_stage(config, out, sums, **stage_args)
        if feats is not None and config.analysis.get("tasks"):
            _study_stage(config, out, sums, features_csv, jobs=jobs, progress=progress, result=result, log=log)
        elif feats is not None:  # said, not silent: the report would only show an empty section
            reason = "no classification task (analysis.tasks is empty; the study's reductions list any left out)"
            result.stages["study"] = {"status": "skipped", "reason": reason}
            log(f"study: skipped: {reason}")
    if t2_table is not None and len(t2_table):
        st = stage_dir(out, "stats")
        key = cache_key(
            stage="stats",
            statistics=config.statistics,
            group=config.group_column,
            t2=t2_table.to_dict("list"),
            clinical=sums.of(config.clinical),
        )
        _cohort_stage("stats", st, key, lambda: run_statistics(config, t2_table, st), result, log)
    sums.save()
    _write_failures(out, result)
    result.seconds = time.perf_counter() - t0
    _write_manifest(out, config, settings, sums, result, executor=executor, jobs=jobs)
    if report:
        from ..report.html import write_report

        inputs = report_inputs(out, [s.subject for s in config.subjects])
        result.report = write_report(out, config=config, run=result, inputs=inputs)
        log(f"report: {result.report}")
    return result


def _features_stage(config, out, sums, *, jobs, executor, scheduler, progress, result, log):
    """The radiomics feature stage (cached on the ROIs' checksums); its per-ROI failures join the run's."""
    inputs = sorted({p for s in config.subjects for r in s.rois for p in (r["image"], r["mask"])})
    key = cache_key(
        stage="features",
        params=config.features["params"],
        rois=[
            [s.subject, r["reader"], r["session"], r["label"], sums.of(r["image"]), sums.of(r["mask"])]
            for s in config.subjects
            for r in s.rois
        ],
        n_inputs=len(inputs),
    )
    sums.save()
    fo = stage_dir(out, "features")
    feats = _cohort_stage(
        "features",
        fo,
        key,
        lambda: run_features(config, fo, jobs=jobs, executor=executor, scheduler=scheduler, progress=progress),
        result,
        log,
    )
    for f in (feats or {}).get("failures", []):
        result.failures.append(
            {
                "stage": "features",
                "subject": f["subject"],
                "error_type": f["error_type"],
                "message": f"reader {f['reader']}: {f['message']}",
            }
        )
    return feats


def _study_stage(config, out, sums, features_csv, *, jobs, progress, result, log) -> None:
    """The radiomics study on the feature table; its per-classifier failures join the run's."""
    so = stage_dir(out, "study")
    key = cache_key(
        stage="study",
        analysis=config.analysis,
        features=sums.of(features_csv),
        clinical=sums.of(config.clinical),
    )
    study = _cohort_stage(
        "study",
        so,
        key,
        lambda: run_study_stage(config, features_csv, so, jobs=jobs, progress=progress),
        result,
        log,
    )
    for f in (study or {}).get("failures", []):
        result.failures.append(
            {
                "stage": "study",
                "subject": "",
                "error_type": f["error_type"],
                "message": f"{f['classifier']}: {f['message']}",
            }
        )


def _t2_outputs(out: Path, config, t2_table, log) -> None:
    """The T2 stage's results for users: BIDS derivatives and the tidy ``t2_per_muscle.csv``."""
    import pandas as pd

    from ..config.io import DERIVATIVES_DIR
    from ..io.derivatives import write_dataset_description, write_subject_derivatives
    from ..tables.per_muscle import tidy_per_muscle

    root = out.joinpath(*DERIVATIVES_DIR)
    write_dataset_description(root, version=__version__)
    tables = []
    for sid in t2_table["subject"].astype(str):
        folder = t2_subject_dir(out, sid)
        align = folder / "alignment.json"
        write_subject_derivatives(
            root,
            sid,
            folder,
            t2_settings=config.t2,
            segmentation=config.segmentation,
            alignment=json.loads(align.read_text()) if align.is_file() else None,
        )
        tables.append(pd.read_csv(folder / "roi_stats.csv", dtype={"label": str, "subject": str}))
    with atomic_path(out / "t2_per_muscle.csv") as tmp:
        tidy_per_muscle(tables).to_csv(tmp, index=False)
    log(f"t2: derivatives of {len(tables)} subject(s) in {root}; per-muscle table t2_per_muscle.csv")


def _write_failures(out: Path, result: RunResult) -> None:
    import pandas as pd

    path = out / "failures.csv"
    with atomic_path(path) as tmp:
        pd.DataFrame(result.failures, columns=["stage", "subject", "error_type", "message"]).to_csv(tmp, index=False)


def _fast_paths(config) -> dict | None:
    """Which scikit-learn fast paths the study used (None without a study)."""
    if not (config.features["enabled"] and config.analysis.get("tasks")):
        return None
    from ..analysis.fastpaths import fast_path_status

    return fast_path_status()


def _write_manifest(out, config, settings, sums, result, *, executor, jobs) -> None:
    inputs = {}
    for s in config.subjects:
        files = {"mese": s.mese, "labels": s.labels, "water": s.water, "fat": s.fat}
        entry = {k: sums.of(v) for k, v in files.items() if v is not None}
        for r in s.rois:
            entry[f"stir_roi_{r['reader']}"] = [sums.of(r["image"]), sums.of(r["mask"])]
        inputs[s.subject] = entry
    manifest = {
        "myomri_run": 1,
        "versions": _versions(),
        "sklearn_fast_paths": _fast_paths(config),
        "study_file": str(config.source),
        "study_file_sha256": sums.of(config.source),
        "clinical_sha256": sums.of(config.clinical),
        "subjects_sha256": sums.of(config.subjects_table),
        "settings": settings,
        "seeds": {"study": config.seed, "validation": (config.analysis.get("validation") or {}).get("seed")},
        "executor": executor,
        "jobs": jobs,
        "input_checksums": inputs,
        "stages": result.stages,
        "n_failures": len(result.failures),
        "seconds": round(result.seconds, 2),
    }
    sums.save()
    atomic_write_text(out / "run_manifest.json", json.dumps(manifest, indent=1, default=str))
