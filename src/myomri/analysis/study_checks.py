"""What a study run needs from its tables, checked before any fit, every problem at once.

``myomri study validate`` reports these problems; :func:`~myomri.analysis.study.run_study` runs the
same checks first, so that a study never fails after partial work on something that could have
been seen up front (a class too small for a cross-validation step, a misspelt column, reader,
class or feature, repeated rows).

Class sizes: stratified k-fold puts at most ``ceil(n / k)`` members of a class of ``n`` into one
test fold, so every training set keeps at least ``n - ceil(n / k)`` of them. That share must fill
each step nested inside: the forward selection's inner folds (``SFS_INNER_FOLDS``; nested mode),
and the SVM's probability calibration folds (``SVM_CALIBRATION_FOLDS``), which inside a nested
selection see only an inner training set.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..config import analysis as cfg
from ..errors import FormatError, StudyInputError
from ..features.batch import is_feature_column
from .study_config import StudyConfig, Task

__all__ = [
    "ID_COLUMNS",
    "class_size_problem",
    "minimum_class_size",
    "read_tables",
    "study_problems",
    "check_study",
    "task_labels",
]

ID_COLUMNS = ("subject", "reader", "session")


def _training_share(n: int, folds: int) -> int:
    """Fewest members of a class of ``n`` left in a training set of stratified ``folds``-fold CV."""
    return n - math.ceil(n / folds)


def class_size_problem(n: int, *, folds: int, mode: str, classifiers) -> str | None:
    """Why a class of ``n`` subjects is too small for this study's CV (a phrase after "class(es) X"),
    or None when it is not."""
    if n < folds:
        return f"have fewer subjects than the {folds} CV folds"
    outer = _training_share(n, folds)
    needs = []  # (members needed, in which step, members it gets)
    if mode == "nested":
        needs.append((cfg.SFS_INNER_FOLDS, "the inner folds of the nested feature selection", outer))
    elif mode == "published":
        needs.append((cfg.SFS_INNER_FOLDS, "the inner folds of the feature selection", n))
    if "svm" in classifiers:
        needs.append((cfg.SVM_CALIBRATION_FOLDS, "the SVM's probability calibration folds", outer))
        if mode in ("nested", "published"):
            sel = outer if mode == "nested" else n
            needs.append(
                (
                    cfg.SVM_CALIBRATION_FOLDS,
                    "the SVM's calibration folds inside the feature selection",
                    _training_share(sel, cfg.SFS_INNER_FOLDS),
                )
            )
    for need, step, got in needs:
        if got < need:
            return f"leave only {got} subjects in some training sets, fewer than the {need} of {step}"
    return None


def minimum_class_size(*, folds: int, mode: str, classifiers) -> int:
    """The smallest class size every step of the cross-validation can use."""
    n = max(folds, 1)
    while class_size_problem(n, folds=folds, mode=mode, classifiers=classifiers):
        n += 1
    return n


def _read_csv(path, what: str, problems: list[str], dtype=None) -> pd.DataFrame | None:
    """A CSV table, or TSV where the name says so (``.tsv``, ``.tab``: BIDS' participants.tsv)."""
    tsv = str(path).lower().endswith((".tsv", ".tab"))
    try:
        return pd.read_csv(path, sep="\t" if tsv else ",", dtype=dtype or {"subject": str, "reader": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problems.append(str(FormatError(f"{what} {path}: not a readable {'TSV' if tsv else 'CSV'} table ({exc})")))
        return None


def _feature_values(feats: pd.DataFrame, names: list[str], source, problems: list[str]) -> None:
    bad_type = [c for c in names if not pd.api.types.is_numeric_dtype(feats[c])]
    if bad_type:
        examples = {
            c: feats[c][pd.to_numeric(feats[c], errors="coerce").isna()].astype(str).iloc[0] for c in bad_type[:5]
        }
        problems.append(
            f"features table {source}: non-numeric values in {bad_type} (e.g. {examples}); "
            "expected numbers in every feature column"
        )
    numeric = [c for c in names if c not in bad_type]
    values = feats[numeric].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        bad = sorted({numeric[j] for j in np.nonzero(~np.isfinite(values))[1]})
        rows = sorted(set(feats.loc[~np.isfinite(values).all(axis=1), "subject"].astype(str)))
        problems.append(
            f"features table {source}: NaN/infinite values in {bad[:10]} for subject(s) {rows[:10]}; "
            "fix or remove them (they are not dropped silently)"
        )


def read_tables(config: StudyConfig, problems: list[str]):
    """(features, clinical, feature names) with their problems appended; a table is None when unusable."""
    feats = _read_csv(config.features, "features table", problems)
    # targets are labels compared as written: read as text, so a 0/1 column with gaps stays '0'/'1'
    # (type inference would make it float and the labels '0.0'/'1.0')
    clin = _read_csv(config.clinical, "clinical table", problems, dtype=str)
    if clin is not None and "subject" not in clin.columns and "participant_id" in clin.columns:
        clin = clin.rename(columns={"participant_id": "subject"})  # a BIDS participants table's id column
    for name, table, need, src in (
        ("features table", feats, ("subject", "reader"), config.features),
        ("clinical table", clin, ("subject",), config.clinical),
    ):
        if table is None:
            continue
        missing = [c for c in need if c not in table.columns]
        if missing:
            problems.append(f"{name} {src}: column(s) {missing} missing; found {list(table.columns)[:8]}")
            feats, clin = (None, clin) if table is feats else (feats, None)
    names: list[str] = []
    if feats is not None:
        # an `extract --manifest` table as it is: its ids, status and diagnostics_* are not features
        names = [c for c in feats.columns if c not in ID_COLUMNS and is_feature_column(c)]
        if "status" in feats.columns and (feats["status"].astype(str) != "ok").any():
            bad = feats.loc[feats["status"].astype(str) != "ok", ["subject", "reader"]].astype(str)
            cases = sorted({f"{s}/{r}" for s, r in bad.itertuples(index=False)})
            problems.append(
                f"features table {config.features}: {len(bad)} case(s) without features (status not "
                f"'ok'): {cases[:10]}; fix them (see the extraction's .errors.csv) or remove the rows"
            )
        if not names:
            problems.append(f"features table {config.features}: no feature columns besides {list(ID_COLUMNS)}")
        _feature_values(feats, names, config.features, problems)
    if clin is not None and clin["subject"].duplicated().any():
        problems.append(
            f"clinical table {config.clinical}: subject(s) repeated: "
            f"{sorted(set(clin.loc[clin['subject'].duplicated(), 'subject']))[:10]}"
        )
    return feats, clin, names


def task_labels(target: pd.Series, task: Task, notes: list[str]) -> tuple[pd.Series, list[str], list[str]]:
    """(kept target values, class names in label order, problems) of one task's target column.

    Subjects without a value, or with a value outside ``task.classes``, are left out and said so in
    ``notes``. The positive class of a binary task comes last (label 1).
    """
    problems = []
    keep = target.notna()
    if (~keep).any():
        notes.append(
            f"task {task.name}: {int((~keep).sum())} subject(s) without a {task.target} value excluded: "
            f"{sorted(target.index[~keep])}"
        )
    target = target[keep].astype(str).str.strip()
    if task.classes is not None:
        inside = target.isin(task.classes)
        if (~inside).any():
            notes.append(
                f"task {task.name}: {int((~inside).sum())} subject(s) with {task.target} outside "
                f"{list(task.classes)} excluded (values {sorted(set(target[~inside]))})"
            )
        target = target[inside]
        classes = list(task.classes)
        absent = [k for k in classes if k not in set(target)]
        if absent:
            problems.append(f"task {task.name}: class(es) {absent} have no subjects in column {task.target!r}")
    else:
        classes = sorted(set(target))
    if task.positive is not None:
        if len(classes) != 2 or task.positive not in classes:
            problems.append(
                f"task {task.name}: binary target {task.target} must have two values including "
                f"{task.positive!r}; found {classes}"
            )
        classes = [k for k in classes if k != task.positive] + [task.positive]
    if len(classes) < 2:
        problems.append(f"task {task.name}: target {task.target} has a single class {classes}; need at least two")
    return target, classes, problems


def _reader_problems(feats: pd.DataFrame, config: StudyConfig, problems: list[str]) -> str | None:
    """Problems of the readers (reference, ICC sets, repeated rows); returns the reference reader."""
    src = config.features
    readers = sorted(set(feats["reader"].astype(str)))
    ref = config.reference_reader or (readers[0] if len(readers) == 1 else None)
    if ref is None:
        problems.append(f"features table {src}: several readers {readers}; name the one to model with reference_reader")
    elif ref not in readers:
        problems.append(f"features table {src}: reference_reader {ref!r} absent; readers present: {readers}")
        ref = None
    used = {ref} if ref else set()
    for key, group in (("inter", config.inter), ("intra", config.intra)):
        if not group:
            continue
        absent = [r for r in group if r not in readers]
        if absent:
            problems.append(
                f"features table {src}: reproducibility.{key} reader(s) {absent} are absent; readers present: {readers}"
            )
            continue
        used |= set(group)
        rated = {r: set(feats.loc[feats["reader"].astype(str) == r, "subject"].astype(str)) for r in group}
        everyone = set().union(*rated.values())
        lacking = [f"{r} lacks {sorted(everyone - s)[:10]}" for r, s in rated.items() if everyone - s]
        if lacking:
            problems.append(
                f"features table {src}: unbalanced readers for the {key}-reader ICC "
                f"({'; '.join(lacking)}); every subject must be rated by every reader of the analysis"
            )
    rows = feats[feats["reader"].astype(str).isin(used)]
    dup = rows.duplicated(["subject", "reader"], keep=False)
    if dup.any():
        pairs = sorted(set(zip(rows.loc[dup, "subject"].astype(str), rows.loc[dup, "reader"].astype(str))))
        problems.append(
            f"features table {src}: (subject, reader) rows repeated: {pairs[:10]}; expected one "
            "row per subject and reader"
        )
    return ref


def _task_problems(ref_subjects: list[str], clin: pd.DataFrame, config: StudyConfig, problems: list[str]) -> None:
    c = clin.drop_duplicates("subject").set_index("subject")
    only_feats = sorted(set(ref_subjects) - set(c.index))
    only_clin = sorted(set(c.index) - set(ref_subjects))
    where = f"{config.features} / {config.clinical}"
    if only_feats:
        problems.append(f"{where}: subjects in the features table missing from the clinical table: {only_feats[:10]}")
    if only_clin:
        problems.append(f"{where}: subjects in the clinical table missing from the features table: {only_clin[:10]}")
    common = [s for s in dict.fromkeys(ref_subjects) if s in c.index]
    need = minimum_class_size(folds=config.folds, mode=config.mode, classifiers=config.classifiers)
    for task in config.tasks:
        if task.target not in c.columns:
            problems.append(
                f"task {task.name}: target column {task.target!r} absent from the clinical table "
                f"{config.clinical}; columns: {list(c.columns)}"
            )
            continue
        target, classes, found = task_labels(c.loc[common, task.target], task, [])
        problems += found
        if found:
            continue
        counts = target.value_counts()
        small = {
            k: int(counts.get(k, 0))
            for k in classes
            if class_size_problem(
                int(counts.get(k, 0)), folds=config.folds, mode=config.mode, classifiers=config.classifiers
            )
        }
        if small:
            why = class_size_problem(
                min(small.values()), folds=config.folds, mode=config.mode, classifiers=config.classifiers
            )
            problems.append(
                f"task {task.name}: class(es) {small} {why}; with validation.folds {config.folds}, "
                f"selection mode {config.mode} and classifiers {config.classifiers} every class "
                f"needs at least {need} subjects"
            )


def study_problems(config: StudyConfig):
    """Every problem a run of ``config`` would meet in its tables; also returns what was read.

    Returns
    -------
    problems : list of str
        Empty when the run can start.
    tables : tuple
        ``(features, clinical, feature names)``; a table is None when it could not be used.
    """
    problems: list[str] = []
    feats, clin, names = read_tables(config, problems)
    if config.mode == "none" and feats is not None:
        unknown = [f for f in config.fixed_features if f not in names]
        if unknown:
            problems.append(f"selection.features {unknown} are not feature columns of {config.features}")
    ref = _reader_problems(feats, config, problems) if feats is not None else None
    if ref is not None and clin is not None:
        subjects = list(feats.loc[feats["reader"].astype(str) == ref, "subject"].astype(str))
        _task_problems(subjects, clin, config, problems)
    return problems, (feats, clin, names)


def check_study(config: StudyConfig):
    """``(features, clinical, feature names)`` of a study whose tables can be run.

    Raises
    ------
    StudyInputError
        Listing every problem of :func:`study_problems`.
    """
    problems, tables = study_problems(config)
    if problems:
        raise StudyInputError(problems, config.source)
    return tables
