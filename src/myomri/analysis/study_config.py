"""Study file (YAML): load and validate, reporting every problem at once.

See ``myomri study run --help`` and issue 4 for the layout. Relative table paths are resolved
against the study file's folder. Defaults come from ``config.analysis``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..config import analysis as cfg
from ..config.schema import is_int, is_number, section, want_choice, want_int, want_number
from ..errors import ConfigError

__all__ = ["Task", "StudyConfig", "load_study", "parse_study", "check_analysis"]


@dataclass(frozen=True)
class Task:
    """One classification task: a target column and either its classes or its positive value."""

    name: str
    target: str
    classes: tuple[str, ...] | None = None
    positive: str | None = None


@dataclass
class StudyConfig:
    """A validated study file."""

    features: Path
    clinical: Path
    tasks: list[Task]
    reference_reader: str | None = None
    inter: list[str] | None = None
    intra: list[str] | None = None
    icc_form: str = cfg.ICC_FORM
    icc_threshold: float = cfg.ICC_THRESHOLD
    collinearity: float | None = cfg.COLLINEARITY_THRESHOLD
    mode: str = cfg.SELECTION_MODE
    nested_check: int = cfg.NESTED_CHECK
    univariate_p: float = cfg.UNIVARIATE_P
    k: tuple[int, ...] = cfg.SFS_K
    fixed_features: list[str] = field(default_factory=list)
    classifiers: list[str] = field(default_factory=lambda: list(cfg.CLASSIFIERS))
    folds: int = cfg.VALIDATION_FOLDS
    repeats: int = cfg.VALIDATION_REPEATS
    seed: int = cfg.VALIDATION_SEED
    permutations: int = cfg.PERMUTATIONS
    permutation_repeats: int = cfg.PERMUTATION_REPEATS
    bootstrap: int = cfg.BOOTSTRAP
    source: str = "<dict>"


def _readers(sec: dict, key: str, problems: list[str]) -> list[str] | None:
    val = sec.get(key)
    if val is None:
        return None
    if not isinstance(val, list) or len(val) < 2 or not all(isinstance(r, str) for r in val):
        problems.append(f"reproducibility.{key}: expected a list of at least two reader names, got {val!r}")
        return None
    return list(val)


def _reproducibility(raw: dict, problems: list[str]) -> dict:
    ref = raw.get("reference_reader")
    if ref is not None and not isinstance(ref, str):
        problems.append(f"reference_reader: expected a reader name, got {ref!r}")
    rep = section(raw, "reproducibility", cfg.REPRODUCIBILITY_KEYS, problems)
    form = str(rep.get("icc", cfg.ICC_FORM))
    if form not in cfg.ICC_FORMS:
        problems.append(f"reproducibility.icc: {form!r} is not one of {list(cfg.ICC_FORMS)}")
    thr = rep.get("threshold", cfg.ICC_THRESHOLD)
    want_number(thr, "reproducibility.threshold", problems, low=-1, high=1)
    col = raw.get("collinearity", cfg.COLLINEARITY_THRESHOLD)
    if col is not None and (not is_number(col) or not 0 < col <= 1):
        problems.append(f"collinearity: expected a |r| threshold in (0, 1] or null, got {col!r}")
    return {
        "reference_reader": ref,
        "inter": _readers(rep, "inter", problems),
        "intra": _readers(rep, "intra", problems),
        "icc_form": form,
        "icc_threshold": thr,
        "collinearity": col,
    }


def _task(t, where: str, problems: list[str]) -> Task | None:
    if not isinstance(t, dict):
        problems.append(f"{where}: expected a mapping, got {t!r}")
        return None
    for extra in sorted(set(t) - set(cfg.TASK_KEYS)):
        problems.append(f"{where}.{extra}: unknown key (allowed: {', '.join(cfg.TASK_KEYS)})")
    name, target = t.get("name"), t.get("target")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}.name: required string")
    if not isinstance(target, str) or not target:
        problems.append(f"{where}.target: required column name")
    classes, positive = t.get("classes"), t.get("positive")
    if classes is not None and (not isinstance(classes, list) or len(set(map(str, classes))) < 2):
        problems.append(f"{where}.classes: expected a list of at least two distinct classes, got {classes!r}")
        classes = None
    if classes is not None and positive is not None and str(positive) not in map(str, classes):
        problems.append(f"{where}.positive: {positive!r} is not among classes {classes}")
    return Task(
        str(name),
        str(target),
        tuple(map(str, classes)) if classes else None,
        None if positive is None else str(positive),
    )


def _tasks(raw: dict, problems: list[str], *, required: bool = True) -> list[Task]:
    raw_tasks = raw.get("tasks")
    if raw_tasks is None and not required:
        return []
    if not isinstance(raw_tasks, list) or (required and not raw_tasks):
        problems.append(f"tasks: expected a non-empty list of tasks, got {raw_tasks!r}")
        raw_tasks = []
    parsed = [_task(t, f"tasks[{i}]", problems) for i, t in enumerate(raw_tasks)]
    tasks = [t for t in parsed if t is not None]
    names = [t.name for t in tasks]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"tasks: name {dup!r} used more than once")
    return tasks


def _selection(raw: dict, problems: list[str]) -> dict:
    sel = section(raw, "selection", cfg.SELECTION_KEYS, problems)
    mode = sel.get("mode", cfg.SELECTION_MODE)
    want_choice(mode, "selection.mode", cfg.SELECTION_MODES, problems)
    p = sel.get("univariate_p", cfg.UNIVARIATE_P)
    want_number(p, "selection.univariate_p", problems, low=0, high=1, low_open=True)
    k = sel.get("k", list(cfg.SFS_K))
    k_list = [k] if is_int(k) else k
    if not isinstance(k_list, list) or not k_list or not all(is_int(v) and v >= 1 for v in k_list):
        problems.append(f"selection.k: expected a positive integer or a list of them, got {k!r}")
        k_list = list(cfg.SFS_K)
    fixed = sel.get("features") or []
    if not isinstance(fixed, list) or not all(isinstance(f, str) for f in fixed):
        problems.append(f"selection.features: expected a list of feature names, got {fixed!r}")
        fixed = []
    if mode == "none" and not fixed:
        problems.append("selection.features: mode none needs the fixed list of features")
    check = sel.get("nested_check", cfg.NESTED_CHECK)
    if want_int(check, "selection.nested_check", problems, minimum=0) and check and mode != "published":
        problems.append(f"selection.nested_check: re-estimates a published-mode selection nested; mode {mode!r} has "
                        "no selection to check (set it to 0 or use mode published)")  # fmt: skip
    clfs = raw.get("classifiers", list(cfg.CLASSIFIERS))
    if not isinstance(clfs, list) or not clfs:
        problems.append(f"classifiers: expected a non-empty list, got {clfs!r}")
        clfs = []
    for c in clfs:
        if c not in cfg.CLASSIFIERS:
            problems.append(f"classifiers: {c!r} is not one of {list(cfg.CLASSIFIERS)}")
    return {
        "mode": mode,
        "nested_check": check,
        "univariate_p": p,
        "k": tuple(int(v) for v in k_list),
        "fixed_features": list(fixed),
        "classifiers": list(clfs),
    }


def _validation(raw: dict, problems: list[str]) -> dict:
    val = section(raw, "validation", cfg.VALIDATION_KEYS, problems)
    folds = val.get("folds", cfg.VALIDATION_FOLDS)
    repeats = val.get("repeats", cfg.VALIDATION_REPEATS)
    seed = val.get("seed", cfg.VALIDATION_SEED)
    want_int(folds, "validation.folds", problems, minimum=2)
    want_int(repeats, "validation.repeats", problems, minimum=1)
    if not is_int(seed) or seed < 0:
        problems.append(f"validation.seed: expected a non-negative integer, got {seed!r}")
    perm = section(raw, "permutation", cfg.PERMUTATION_KEYS, problems)
    n_perm = perm.get("n", cfg.PERMUTATIONS)
    perm_rep = perm.get("repeats", cfg.PERMUTATION_REPEATS)
    if not is_int(n_perm) or n_perm < 0 or not is_int(perm_rep) or perm_rep < 1:
        problems.append(f"permutation: expected n >= 0 and repeats >= 1 (integers), got {perm!r}")
    boot = raw.get("bootstrap", cfg.BOOTSTRAP)
    if not is_int(boot) or boot < 0:
        problems.append(f"bootstrap: expected a non-negative integer, got {boot!r}")
    return {
        "folds": folds,
        "repeats": repeats,
        "seed": seed,
        "permutations": n_perm,
        "permutation_repeats": perm_rep,
        "bootstrap": boot,
    }


def _settings(raw: dict, problems: list[str], *, tasks_required: bool = True) -> dict:
    """Every setting of a study mapping but the table paths, as ``StudyConfig`` keyword arguments."""
    out = {
        **_reproducibility(raw, problems),
        "tasks": _tasks(raw, problems, required=tasks_required),
        **_selection(raw, problems),
        **_validation(raw, problems),
    }
    if is_int(out["nested_check"]) and is_int(out["repeats"]) and out["nested_check"] > out["repeats"]:
        problems.append(f"selection.nested_check: {out['nested_check']} repeats, more than the study's "
                        f"validation.repeats ({out['repeats']}) it is compared with")  # fmt: skip
    return out


def check_analysis(raw) -> list[str]:
    """Problems of a study mapping without its table paths (the pipeline's ``analysis`` section).

    The pipeline supplies ``features`` and ``clinical`` itself and runs no study without tasks, so
    those keys are not required here; everything else is checked as :func:`parse_study` does.
    """
    if not isinstance(raw, dict):
        return [f"expected a mapping (the 'myomri study' schema), got {raw!r}"]
    problems = [
        f"{extra}: unknown key (allowed: {', '.join(cfg.STUDY_KEYS)})"
        for extra in sorted(set(raw) - set(cfg.STUDY_KEYS))
    ]
    _settings(raw, problems, tasks_required=False)
    return problems


def parse_study(raw: dict, *, base: Path | None = None, source: str = "<dict>") -> StudyConfig:
    """Validate a study mapping; raise ``ConfigError`` listing every problem."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a mapping at the top level, got {type(raw).__name__}"], source)
    base = base or Path(".")
    if "subjects" in raw and "subjects" not in cfg.STUDY_KEYS:  # said first: the other problems follow from it
        problems.append("subjects: this is a pipeline study file (images per subject); run it with 'myomri run "
                        "STUDY -o OUTDIR'. 'myomri study' takes a features table and a clinical table")  # fmt: skip
    for extra in sorted(set(raw) - set(cfg.STUDY_KEYS)):
        problems.append(f"{extra}: unknown key (allowed: {', '.join(cfg.STUDY_KEYS)})")
    paths = {}
    for key in ("features", "clinical"):
        val = raw.get(key)
        if not isinstance(val, str) or not val:
            problems.append(f"{key}: required path to a CSV table, got {val!r}")
            continue
        p = Path(val) if os.path.isabs(val) else base / val
        if not p.is_file():
            problems.append(f"{key}: file not found: {p}")
        paths[key] = p
    settings = _settings(raw, problems)
    if problems:
        raise ConfigError(problems, source)
    s = settings
    return StudyConfig(
        features=paths["features"],
        clinical=paths["clinical"],
        tasks=s["tasks"],
        reference_reader=s["reference_reader"],
        inter=s["inter"],
        intra=s["intra"],
        icc_form=s["icc_form"],
        icc_threshold=float(s["icc_threshold"]),
        collinearity=None if s["collinearity"] is None else float(s["collinearity"]),
        mode=s["mode"],
        nested_check=int(s["nested_check"]),
        univariate_p=float(s["univariate_p"]),
        k=s["k"],
        fixed_features=s["fixed_features"],
        classifiers=s["classifiers"],
        folds=int(s["folds"]),
        repeats=int(s["repeats"]),
        seed=int(s["seed"]),
        permutations=int(s["permutations"]),
        permutation_repeats=int(s["permutation_repeats"]),
        bootstrap=int(s["bootstrap"]),
        source=source,
    )


def load_study(path: str | os.PathLike) -> StudyConfig:
    """Read and validate a study YAML file (relative paths resolved against its folder)."""
    from ..io.yamlfile import read_yaml_file

    path = Path(path)
    raw = read_yaml_file(path, "study file")
    return parse_study(raw, base=path.parent, source=str(path))
