"""Feature extraction over a cohort manifest: parallel, resumable, failure-tolerant.

Manifest (CSV): columns ``subject``, ``reader``, ``image``, ``mask``; optional ``label`` and
``session``. Cells are stripped of surrounding whitespace; relative paths are taken relative to the
manifest's folder. Empty required cells, missing files and duplicate rows are reported all at once
before anything runs.

Output: ``features.csv`` with one row per manifest row, in manifest order: the id columns, a
``status`` column (``ok``/``failed``), ``diagnostics_*`` columns and one column per feature
(blank for a failed case). :func:`is_feature_column` tells the two kinds apart, so the table
feeds ``myomri study`` as it is: ids, status and diagnostics never become features. Failed cases are also listed with their error type and message in
``<out>.errors.csv``; the other cases go on.

Resuming: every finished case is stored in ``<out>.parts/<key>.json``, where the key hashes the
settings hash, the myomri version, the label and the content (SHA-256) of every input file. A rerun
(after an interruption, or with more rows) loads those instead of recomputing; an input edited in
place is recomputed even when its size and modification time did not change.

Parallelism: joblib processes (``executor="joblib"``, ``jobs`` workers) or a Dask cluster
(``executor="dask"``, ``scheduler`` = its address, or a :class:`distributed.Client`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ConfigError, InputError, MissingFileError, MyomriError
from ..io.atomic import atomic_path, atomic_write_text
from ..io.paths import refuse_output_over_input
from .params import Params, read_params

__all__ = ["read_manifest", "run_batch", "BatchResult", "case_key", "is_feature_column"]

REQUIRED = ("subject", "reader", "image", "mask")
OPTIONAL = ("label", "session")
ID_COLUMNS = ("subject", "reader", "session", "label", "image", "mask")
#: Columns of the output that describe a case rather than measure it.
NON_FEATURE_COLUMNS = (*ID_COLUMNS, "status")
#: Prefix of the extractor's bookkeeping columns (version, settings hash, ROI voxel counts, ...).
DIAGNOSTICS_PREFIX = "diagnostics_"


def is_feature_column(name: str) -> bool:
    """Whether a column of a features table is a feature (not an id, status or diagnostics column).

    Examples
    --------
    >>> [is_feature_column(c) for c in ("subject", "status", "diagnostics_roi_voxels",
    ...                                 "original_firstorder_Mean")]
    [False, False, False, True]
    """
    return name not in NON_FEATURE_COLUMNS and not name.startswith(DIAGNOSTICS_PREFIX)


def read_manifest(path: str | os.PathLike):
    """Read and check a manifest; returns a DataFrame with absolute ``image``/``mask`` paths.

    Raises
    ------
    MissingFileError
        The manifest itself does not exist.
    InputError
        Missing columns, empty required cells, bad labels, missing image/mask files, duplicate rows
        (each kind all listed, naming the line and column).
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "manifest")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds on malformed CSV
        raise InputError(f"{path}: not a readable CSV manifest ({exc})") from exc
    df.columns = [c.strip() for c in df.columns]
    missing_cols = [c for c in REQUIRED if c not in df.columns]
    if missing_cols:
        raise InputError(
            f"{path}: manifest lacks column(s) {', '.join(missing_cols)}; expected columns "
            f"{', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}), found {', '.join(df.columns)}"
        )
    if len(df) == 0:
        raise InputError(f"{path}: manifest has no rows")
    for col in OPTIONAL:
        if col not in df.columns:
            df[col] = ""
    # a trailing space after a path is invisible in a spreadsheet: never part of a name or path
    df = df.apply(lambda column: column.str.strip())
    problems: list[str] = []
    for col in REQUIRED:
        for n in [i + 2 for i in range(len(df)) if df[col].iloc[i] == ""]:  # line 1 is the header
            problems.append(
                f"line {n} (row {n - 1}): column {col!r} is empty; expected "
                f"{'a path' if col in ('image', 'mask') else 'a value'}"
            )
    labels: list[int | None] = []
    for n, value in enumerate(df["label"], start=2):
        if value == "":
            labels.append(None)
        elif value.isdigit() and int(value) >= 1:
            labels.append(int(value))
        else:
            problems.append(f"line {n}: label {value!r} is not an integer >= 1")
            labels.append(None)
    df["label"] = pd.array(labels, dtype=object)
    base = path.parent
    missing_files = []
    for n, row in enumerate(df.itertuples(index=False), start=2):
        for col in ("image", "mask"):
            value = getattr(row, col)
            if value and not _full_path(base, value).exists():  # empty cells are reported above
                missing_files.append(f"line {n} {col} {_full_path(base, value)}")
    for col in ("image", "mask"):
        # an empty cell stays empty (Path('') would be '.', the manifest folder, read as DICOM)
        df[col] = [str(_full_path(base, p)) if p else "" for p in df[col]]
    if missing_files:
        problems.append(f"{len(missing_files)} missing file(s): " + "; ".join(missing_files))
    key = ["subject", "reader", "session", "label"]
    dup = df[df.duplicated(subset=key, keep=False)]
    if len(dup):
        lines = [str(i + 2) for i in dup.index]
        problems.append(
            f"duplicate rows (same subject, reader, session, label) at lines {', '.join(lines)}: "
            + "; ".join(sorted({f"{r.subject}/{r.reader}" for r in dup.itertuples()}))
        )
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s): " + " | ".join(problems))
    return df


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_signature(path: Path) -> list:
    """Content hash of a file, or name + content hash of every file under a folder (DICOM series).

    Size and modification time are not enough: an uncompressed NIfTI edited in place keeps its
    size, and a copy tool may keep the mtime. Hashing costs one read of inputs that extraction
    reads anyway.
    """
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return [[str(p.relative_to(path)), _sha256(p)] for p in files]
    return [[path.name, _sha256(path)]]


def _full_path(base: Path, value: str) -> Path:
    """A manifest path: relative ones are taken relative to the manifest's folder."""
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()


def _errors_path(out: Path) -> Path:
    """Where the failed cases of ``out`` are listed (``features.csv`` -> ``features.errors.csv``)."""
    return out.with_name(out.name.removesuffix(".csv") + ".errors.csv")


def case_key(image: str, mask: str, label: int | None, settings_hash: str) -> str:
    """Cache key of one case: settings, version, label and the content hash of every input file."""
    payload = json.dumps([settings_hash, __version__, label, _file_signature(Path(image)), _file_signature(Path(mask))])
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def extract_case(image: str, mask: str, label: int | None, params: dict) -> dict:
    """Extract one case in a worker; never raises for a bad case (returns the error instead)."""
    from .extractor import FeatureExtractor

    try:
        row = FeatureExtractor(params).extract_files(image, mask, label=label)
        return {"status": "ok", "features": dict(row)}
    except Exception as exc:  # noqa: BLE001 - one bad case must not stop the cohort
        kind = (
            type(exc).__name__
            if isinstance(exc, (MyomriError, OSError, ValueError))
            else (f"internal {type(exc).__name__}")
        )
        return {"status": "failed", "error_type": kind, "message": str(exc)}


@dataclass
class BatchResult:
    """Outcome of :func:`run_batch`."""

    table: Any  # pandas.DataFrame, one row per manifest row
    n_computed: int = 0
    n_cached: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        return len(self.errors)


def _run_joblib(tasks: list[tuple], params: dict, jobs: int) -> Iterator[tuple[int, dict]]:
    from joblib import Parallel, delayed

    if jobs == 1:
        for idx, image, mask, label in tasks:
            yield idx, extract_case(image, mask, label, params)
        return
    parallel = Parallel(n_jobs=jobs, return_as="generator")
    results = parallel(delayed(extract_case)(*args, params) for _, *args in tasks)
    for (idx, *_), res in zip(tasks, results):
        yield idx, res


def _run_dask(tasks: list[tuple], params: dict, scheduler: Any) -> Iterator[tuple[int, dict]]:
    from distributed import Client, as_completed

    if scheduler is None:
        raise ConfigError("executor 'dask' needs a scheduler address (e.g. tcp://host:8786)", option="scheduler")
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = {}
        for idx, *args in tasks:
            fut = client.submit(extract_case, *args, params, pure=False)
            futures[fut] = idx
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        if own:
            client.close()


def _cached_results(df, parts: Path, settings_hash: str) -> tuple[dict[int, dict], dict[int, str], list[tuple]]:
    """Results of the manifest rows found in ``parts``, every row's cache key, and the rows to compute."""
    results: dict[int, dict] = {}
    keys: dict[int, str] = {}
    tasks = []
    for idx, row in enumerate(df.itertuples(index=False)):
        keys[idx] = key = case_key(row.image, row.mask, row.label, settings_hash)
        part = parts / f"{key}.json"
        if part.is_file():
            try:
                results[idx] = json.loads(part.read_text())
                continue
            except (OSError, ValueError):
                pass  # unreadable part (should not happen with atomic writes): recompute
        tasks.append((idx, row.image, row.mask, row.label))
    return results, keys, tasks


def _table_and_errors(df, results: dict[int, dict]):
    """The output table (manifest order) and the list of failed cases."""
    import pandas as pd

    rows: list[dict] = []
    errors: list[dict] = []
    feature_cols: list[str] = []
    for idx, row in enumerate(df.itertuples(index=False)):
        ids = {c: getattr(row, c) for c in ID_COLUMNS}
        res = results[idx]
        if res["status"] == "ok":
            feats = res["features"]
            if not feature_cols:
                feature_cols = list(feats)
            rows.append({**ids, "status": "ok", **feats})
        else:
            rows.append({**ids, "status": "failed"})
            errors.append(
                {
                    "subject": ids["subject"],
                    "reader": ids["reader"],
                    "session": ids["session"],
                    "image": ids["image"],
                    "mask": ids["mask"],
                    "error_type": res["error_type"],
                    "message": res["message"],
                }
            )
    return pd.DataFrame(rows, columns=[*ID_COLUMNS, "status", *feature_cols]), errors


def run_batch(
    manifest: str | os.PathLike,
    *,
    out: str | os.PathLike,
    params: Any = None,
    jobs: int = 1,
    executor: str = "joblib",
    scheduler: Any = None,
    progress: bool = True,
) -> BatchResult:
    """Extract features for every manifest row and write ``out`` (+ ``.errors.csv``, ``.parts/``).

    Parameters
    ----------
    manifest : path
        CSV with subject, reader, image, mask (optional label, session).
    out : path
        Output CSV.
    params : None, path, mapping or Params
        PyRadiomics parameter file or mapping.
    jobs : int
        Worker processes for joblib (``-1``: all cores).
    executor : {'joblib', 'dask'}
    scheduler : str or distributed.Client, optional
        Dask scheduler address (or a client) for ``executor='dask'``.
    progress : bool
        Show a tqdm bar on stderr.

    Returns
    -------
    BatchResult
    """
    import pandas as pd
    from tqdm import tqdm

    if executor not in ("joblib", "dask"):
        raise ConfigError(f"executor {executor!r} unknown, expected 'joblib' or 'dask'")
    p: Params = read_params(params)
    plain = p.to_dict()
    df = read_manifest(manifest)
    out = Path(out)
    err_path = _errors_path(out)
    params_file = params if isinstance(params, (str, os.PathLike)) else None
    refuse_output_over_input(
        {
            "manifest": manifest,
            "params": params_file,
            "manifest image": list(df["image"]),
            "manifest mask": list(df["mask"]),
        },
        [out, err_path],
    )
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)

    results, keys, tasks = _cached_results(df, parts, p.hash)
    n_cached = len(results)
    runner: Iterable[tuple[int, dict]] = (
        _run_joblib(tasks, plain, jobs) if executor == "joblib" else _run_dask(tasks, plain, scheduler)
    )
    bar = tqdm(total=len(df), initial=n_cached, desc="extract", unit="case", disable=not progress or None)
    try:
        for idx, res in runner:
            results[idx] = res
            if res["status"] == "ok":  # failures are retried on the next run
                atomic_write_text(parts / f"{keys[idx]}.json", json.dumps(res))
            bar.update(1)
    finally:
        bar.close()

    table, errors = _table_and_errors(df, results)
    with atomic_path(out) as tmp:
        table.to_csv(tmp, index=False)
    if errors:
        with atomic_path(err_path) as tmp:
            pd.DataFrame(errors).to_csv(tmp, index=False)
    elif err_path.exists():
        err_path.unlink()  # stale list from an earlier run whose failures are now fixed
    return BatchResult(table=table, n_computed=len(tasks), n_cached=n_cached, errors=errors)
