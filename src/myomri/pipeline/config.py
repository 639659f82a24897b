"""Pipeline study file (YAML): schema, loading and validation that reports every problem at once.

Layout (relative paths are resolved against the study file's folder; defaults in
``myomri.config.pipeline``)::

    subjects: manifest.csv         # one row per subject x reader: STIR + ROI, MESE, Dixon, labels
    clinical: participants.tsv     # CSV or TSV; one row per subject
    clinical_id: participant_id    # its subject-id column
    group_column: group
    columns: {stir: image, roi: mask, mese: mese, labels: dseg, water: dixon_water, fat: dixon_fat}
    seed: 0
    t2: {enabled: true, model: epg, fat_fraction: fit, fat_t2: 151, slices: all, align: true, slice_profile: auto}
    segmentation: {method: given}  # given (labels column) | classical | dl; align: false also here;
                                   # label_scheme: myomri where given labels follow myomri's thigh scheme
    features: {enabled: true, params: {setting: ..., imageType: ..., featureClass: ...}}
    analysis: {...}                # the ``myomri study`` schema without features/clinical
    statistics: {positive: [PM, DM, ADM], negative: [HC], correlations: [CK, ALT, AST, LDH, ILD_score]}
    report: {overlays: 3}
    reductions: ["2 CV repeats instead of 100"]   # stated in the report's methods

A subject whose MESE cell is empty has no T2 series: it is skipped by the T2 stage (and listed
in the report), never an error. A series named in the manifest but absent on disk is a problem.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ..config import pipeline as cfg
from ..config.labels import LABEL_SCHEMES
from ..config.schema import (
    is_int,
    is_number,
    section,
    want_bool,
    want_choice,
    want_int,
    want_names,
    want_number,
    want_str,
)
from ..errors import ConfigError

__all__ = ["PipelineConfig", "SubjectSpec", "load_pipeline", "parse_pipeline", "read_table"]


@dataclass
class SubjectSpec:
    """One subject's series (absolute paths; ``None`` when absent) and its STIR ROI rows."""

    subject: str
    group: str | None = None
    mese: Path | None = None
    echo_times: tuple[float, ...] | None = None
    labels: Path | None = None
    water: Path | None = None
    fat: Path | None = None
    rois: list[dict] = field(default_factory=list)  # {reader, session, image, mask, label}


@dataclass
class PipelineConfig:
    """A validated pipeline study file."""

    source: Path
    subjects_table: Path
    clinical: Path
    subjects: list[SubjectSpec]
    clinical_id: str
    group_column: str
    seed: int
    t2: dict
    segmentation: dict
    features: dict
    analysis: dict
    statistics: dict
    report: dict
    reductions: list[str]
    raw: dict

    def settings(self) -> dict:
        """Every setting (no paths, no data), for the run manifest and the cache keys."""
        return {
            "seed": self.seed,
            "t2": self.t2,
            "segmentation": self.segmentation,
            "features": self.features,
            "analysis": self.analysis,
            "statistics": self.statistics,
            "report": self.report,
            "reductions": self.reductions,
        }


def read_table(path: Path):
    """Read a CSV or TSV table as strings ("n/a" and blanks are missing)."""
    import pandas as pd

    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    return pd.read_csv(path, sep=sep, dtype=str, na_values=["n/a", "NA", ""], keep_default_na=False)


def _path(raw: dict, key: str, base: Path, problems: list[str], what: str) -> Path | None:
    val = raw.get(key)
    if not isinstance(val, str) or not val:
        problems.append(f"{key}: required path to the {what}, got {val!r}")
        return None
    p = Path(val) if os.path.isabs(val) else base / val
    if not p.is_file():
        problems.append(f"{key}: {what} not found: {p}")
        return None
    return p


def _t2_section(raw: dict, problems: list[str]) -> dict:
    t2 = section(
        raw,
        "t2",
        cfg.T2_KEYS,
        problems,
        {
            "enabled": True,
            "model": cfg.T2_MODEL,
            "fat_fraction": cfg.T2_FAT_FRACTION,
            "fat_t2": cfg.T2_FAT_T2,
            "slices": cfg.T2_SLICE,
            "method": None,
            "align": cfg.ALIGN,
            "slice_profile": cfg.T2_SLICE_PROFILE,
        },
    )
    want_bool(t2["enabled"], "t2.enabled", problems)
    if t2["slice_profile"] != "auto":
        want_bool(t2["slice_profile"], "t2.slice_profile ('auto', true or false)", problems)
    want_bool(t2["align"], "t2.align", problems)
    model_ok = want_choice(t2["model"], "t2.model", cfg.T2_MODELS, problems)
    ff = t2["fat_fraction"]
    if ff != "fit" and not (is_number(ff) and 0 <= ff <= 1):
        problems.append(f"t2.fat_fraction: expected 'fit' or a number in [0, 1], got {ff!r}")
    want_number(t2["fat_t2"], "t2.fat_t2", problems, low=0, low_open=True, what="a positive number of ms")
    want_choice(t2["slices"], "t2.slices", cfg.T2_SLICES, problems)
    if t2["method"] is not None and model_ok:
        # the fit method's names belong to each model; checked here so a typo fails before any fit
        from ..t2.epg_model import OBJECTIVES
        from ..t2.mono import METHODS

        names = sorted(METHODS) if t2["model"] == "mono" else sorted(OBJECTIVES)
        want_choice(t2["method"], f"t2.method (model {t2['model']})", names, problems)
    return t2


def _segmentation_section(raw: dict, base: Path, problems: list[str]) -> dict:
    seg = section(
        raw,
        "segmentation",
        cfg.SEGMENTATION_KEYS,
        problems,
        {"method": cfg.SEGMENTATION_METHOD, "model": None, "align": cfg.ALIGN,
         "label_scheme": cfg.SEGMENTATION_LABEL_SCHEME},
    )  # fmt: skip
    want_choice(seg["method"], "segmentation.method", cfg.SEGMENTATION_METHODS, problems)
    if seg["label_scheme"] is not None:
        ok = want_choice(seg["label_scheme"], "segmentation.label_scheme", ("auto", *LABEL_SCHEMES), problems)
        if ok and seg["label_scheme"] != "auto" and seg["method"] == "classical":
            problems.append(f"segmentation.label_scheme: {seg['label_scheme']!r} names muscles; the classical "
                            "method writes one muscle label, expected auto or null with it")  # fmt: skip
    want_bool(seg["align"], "segmentation.align", problems)
    model = seg["model"]
    if model is not None and want_str(model, "segmentation.model", problems, what="a model file path or null"):
        path = Path(model) if os.path.isabs(model) else base / model
        if not path.is_file():
            problems.append(f"segmentation.model: model file not found: {path}")
        seg["model"] = str(path)
    return seg


def _features_section(raw: dict, problems: list[str]) -> dict:
    feats = section(
        raw, "features", cfg.FEATURE_KEYS, problems, {"enabled": True, "params": copy.deepcopy(cfg.FEATURE_PARAMS)}
    )
    if want_bool(feats["enabled"], "features.enabled", problems) and feats["enabled"]:
        from ..features.params import read_params

        try:
            read_params(feats["params"])
        except (ConfigError, ValueError) as exc:
            problems.append(f"features.params: {exc}")
    return feats


def _statistics_section(raw: dict, problems: list[str]) -> dict:
    stats = section(
        raw,
        "statistics",
        cfg.STATISTICS_KEYS,
        problems,
        {
            "positive": list(cfg.STAT_POSITIVE),
            "negative": list(cfg.STAT_NEGATIVE),
            "marker": cfg.STAT_MARKER,
            "correlations": list(cfg.STAT_CORRELATIONS),
            "within": cfg.STAT_WITHIN,
            "continuous": list(cfg.STAT_CONTINUOUS),
            "categorical": list(cfg.STAT_CATEGORICAL),
        },
    )
    for key in ("positive", "negative", "correlations", "continuous", "categorical"):
        want_names(stats[key], f"statistics.{key}", problems)
    want_str(stats["marker"], "statistics.marker", problems, what="a column name of the T2 table")
    if stats["within"] not in ("positive", "all"):
        problems.append(f"statistics.within: expected 'positive' or 'all', got {stats['within']!r}")
    return stats


def _report_section(raw: dict, problems: list[str]) -> dict:
    rep = section(
        raw, "report", cfg.REPORT_KEYS, problems, {"overlays": cfg.REPORT_OVERLAYS, "title": cfg.REPORT_TITLE}
    )
    want_int(rep["overlays"], "report.overlays", problems, minimum=0)
    want_str(rep["title"], "report.title", problems)
    return rep


def _analysis_section(raw: dict, problems: list[str]) -> dict:
    analysis = raw.get("analysis", copy.deepcopy(cfg.ANALYSIS))
    if not isinstance(analysis, dict):
        problems.append(f"analysis: expected a mapping (the 'myomri study' schema), got {analysis!r}")
        return {}
    for bad in ("features", "clinical"):
        if bad in analysis:
            problems.append(f"analysis.{bad}: set by the pipeline; remove it")
    from ..analysis.study_config import check_analysis

    # the whole study schema up front: validation.folds: 1 must not wait until T2 and features ran
    problems += [
        f"analysis.{p}"
        for p in check_analysis({k: v for k, v in analysis.items() if k not in ("features", "clinical")})
    ]
    return analysis


def _check_sections(raw: dict, base: Path, problems: list[str]):
    return (
        _t2_section(raw, problems),
        _segmentation_section(raw, base, problems),
        _features_section(raw, problems),
        _statistics_section(raw, problems),
        _report_section(raw, problems),
        _analysis_section(raw, problems),
    )


def _top_level(raw: dict, problems: list[str]) -> tuple[dict, object, str, str, list]:
    """Manifest columns, seed, clinical id and group columns, reductions."""
    columns = dict(cfg.COLUMNS)
    given = raw.get("columns") or {}
    if not isinstance(given, dict):
        problems.append(f"columns: expected a mapping of role -> column name, got {given!r}")
        given = {}
    for role, col in given.items():
        if role not in cfg.COLUMNS:
            problems.append(f"columns.{role}: unknown role (allowed: {', '.join(cfg.COLUMNS)})")
        elif want_str(col, f"columns.{role}", problems, what="a column name"):
            columns[role] = col
    seed = raw.get("seed", cfg.SEED)
    if not is_int(seed) or seed < 0:
        problems.append(f"seed: expected a non-negative integer, got {seed!r}")
    clinical_id = raw.get("clinical_id", cfg.CLINICAL_ID)
    group_column = raw.get("group_column", cfg.GROUP_COLUMN)
    want_str(clinical_id, "clinical_id", problems, what="a column name of the clinical table")
    want_str(group_column, "group_column", problems, what="a column name of the clinical table")
    reductions = raw.get("reductions") or []
    if not isinstance(reductions, list) or not all(isinstance(r, str) for r in reductions):
        problems.append(f"reductions: expected a list of sentences, got {reductions!r}")
        reductions = []
    return columns, seed, str(clinical_id), str(group_column), reductions


def _subjects(table: Path, columns: dict, base_problems: list[str]) -> list[SubjectSpec]:
    df = read_table(table)
    missing = [columns[r] for r in cfg.REQUIRED_COLUMNS if columns[r] not in df.columns]
    if missing:
        base_problems.append(f"subjects {table}: column(s) {missing} missing; found {list(df.columns)}")
        return []
    base = table.parent
    specs: dict[str, SubjectSpec] = {}

    def path_of(row, role, sid):
        col = columns[role]
        if col not in df.columns or not isinstance(row.get(col), str) or not row[col].strip():
            return None
        p = Path(row[col].strip())
        p = p if p.is_absolute() else base / p
        if not p.exists():
            base_problems.append(f"subjects {table}: subject {sid}: {role} series ({col}) not found: {p}")
        return p

    for row in df.to_dict("records"):
        sid = str(row[columns["subject"]]).strip()
        spec = specs.setdefault(sid, SubjectSpec(sid))
        for role in ("mese", "labels", "water", "fat"):
            if getattr(spec, role) is None:
                setattr(spec, role, path_of(row, role, sid))
        et = row.get(columns["echo_times"])
        if spec.echo_times is None and isinstance(et, str) and et.strip():
            try:
                spec.echo_times = tuple(float(v) for v in et.replace(";", ",").split(",") if v.strip())
            except ValueError:
                base_problems.append(
                    f"subjects {table}: subject {sid}: echo_times {et!r}: expected comma-separated numbers in ms"
                )
        stir, roi = path_of(row, "stir", sid), path_of(row, "roi", sid)
        if stir is not None and roi is not None:
            label = row.get(columns["roi_label"])
            spec.rois.append(
                {
                    "reader": str(row.get(columns["reader"]) or "R1"),
                    "session": str(row.get(columns["session"]) or "1"),
                    "image": str(stir),
                    "mask": str(roi),
                    "label": int(label) if isinstance(label, str) and label.strip().isdigit() else 1,
                }
            )
    return list(specs.values())


def parse_pipeline(raw: dict, *, base: Path, source: Path) -> PipelineConfig:
    """Validate a study mapping; raise ``ConfigError`` listing every problem."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a mapping at the top level, got {type(raw).__name__}"], str(source))
    for extra in sorted(set(raw) - set(cfg.STUDY_KEYS)):
        problems.append(f"{extra}: unknown key (allowed: {', '.join(cfg.STUDY_KEYS)})")
    subjects_path = _path(raw, "subjects", base, problems, "subjects manifest")
    clinical = _path(raw, "clinical", base, problems, "clinical table")
    columns, seed, clinical_id, group_column, reductions = _top_level(raw, problems)
    t2, seg, feats, stats, rep, analysis = _check_sections(raw, base, problems)
    subjects = _subjects(subjects_path, columns, problems) if subjects_path else []
    if subjects_path and not subjects:
        problems.append(f"subjects {subjects_path}: no subjects listed")
    if clinical is not None:
        clin = read_table(clinical)
        for col in (clinical_id, group_column):
            if col not in clin.columns:
                problems.append(f"clinical {clinical}: column {col!r} missing; found {list(clin.columns)}")
        if clinical_id in clin.columns and subjects:
            absent = sorted({s.subject for s in subjects} - set(clin[clinical_id].astype(str)))
            if absent:
                problems.append(f"clinical {clinical}: subject(s) {absent[:10]} of the manifest have no row")
            if group_column in clin.columns:
                groups = dict(zip(clin[clinical_id].astype(str), clin[group_column]))
                for s in subjects:
                    s.group = None if groups.get(s.subject) is None else str(groups[s.subject])
    if seg["method"] == "given" and t2["enabled"]:
        for s in subjects:
            if s.mese is not None and s.labels is None:
                problems.append(
                    f"subjects {subjects_path}: subject {s.subject} has a MESE series but no "
                    f"label map ({columns['labels']}); segmentation.method 'given' needs one"
                )
    if seg["method"] == "classical" and t2["enabled"]:
        for s in subjects:
            if s.mese is not None and s.water is None:
                problems.append(
                    f"subjects {subjects_path}: subject {s.subject}: classical segmentation "
                    f"needs the Dixon water series ({columns['water']})"
                )
    if problems:
        raise ConfigError(problems, str(source))
    assert subjects_path is not None and clinical is not None  # a missing one is a problem above
    return PipelineConfig(
        source=source,
        subjects_table=subjects_path,
        clinical=clinical,
        subjects=subjects,
        clinical_id=clinical_id,
        group_column=group_column,
        seed=int(cast(int, seed)),
        t2=t2,
        segmentation=seg,
        features=feats,
        analysis=analysis,
        statistics=stats,
        report=rep,
        reductions=list(reductions),
        raw=raw,
    )


def load_pipeline(path: str | os.PathLike) -> PipelineConfig:
    """Read and validate a pipeline study YAML file."""
    from ..io.yamlfile import read_yaml_file

    path = Path(path).resolve()
    raw = read_yaml_file(path, "study file")
    return parse_pipeline(raw, base=path.parent, source=path)
