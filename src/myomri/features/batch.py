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

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError, MissingFileError, MyomriError
from ..io.paths import refuse_output_over_input
from ._batch_cache import Keyed, cached_results, case_key, collect, parts_folder
from ._batch_io import progress_bar, read_csv_rows, write_csv
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

    columns, rows = _manifest_rows(path)
    df = pd.DataFrame(rows, columns=columns)
    df["label"] = pd.array([r["label"] for r in rows], dtype=object)
    return df


def _manifest_rows(path: str | os.PathLike) -> tuple[list[str], list[dict]]:
    """:func:`read_manifest` as plain rows (no pandas: the CLI's parent process stays light)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "manifest")
    header, rows = read_csv_rows(path)
    missing_cols = [c for c in REQUIRED if c not in header]
    if missing_cols:
        raise InputError(
            f"{path}: manifest lacks column(s) {', '.join(missing_cols)}; expected columns "
            f"{', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}), found {', '.join(header)}"
        )
    if not rows:
        raise InputError(f"{path}: manifest has no rows")
    columns = header + [c for c in OPTIONAL if c not in header]
    for row in rows:
        for col in OPTIONAL:
            row.setdefault(col, "")
    problems = _manifest_problems(path, rows)
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s): " + " | ".join(problems))
    return columns, rows


def _manifest_problems(path: Path, rows: list[dict]) -> list[str]:
    """Every problem of the rows (empty cells, labels, missing files, duplicates); makes paths absolute
    and labels int or None in place."""
    problems: list[str] = []
    for col in REQUIRED:
        for n in [i + 2 for i, row in enumerate(rows) if row[col] == ""]:  # line 1 is the header
            problems.append(
                f"line {n} (row {n - 1}): column {col!r} is empty; expected "
                f"{'a path' if col in ('image', 'mask') else 'a value'}"
            )
    for n, row in enumerate(rows, start=2):
        value = row["label"]
        if value == "":
            row["label"] = None
        elif value.isdigit() and int(value) >= 1:
            row["label"] = int(value)
        else:
            problems.append(f"line {n}: label {value!r} is not an integer >= 1")
            row["label"] = None
    missing_files = []
    for n, row in enumerate(rows, start=2):
        for col in ("image", "mask"):
            if row[col]:  # empty cells are reported above; they stay empty (Path('') would be '.')
                row[col] = str(_full_path(path.parent, row[col]))
                if not Path(row[col]).exists():
                    missing_files.append(f"line {n} {col} {row[col]}")
    if missing_files:
        problems.append(f"{len(missing_files)} missing file(s): " + "; ".join(missing_files))
    seen: dict[tuple, list[int]] = {}
    for n, row in enumerate(rows, start=2):
        seen.setdefault((row["subject"], row["reader"], row["session"], row["label"]), []).append(n)
    dup = [(key, lines) for key, lines in seen.items() if len(lines) > 1]
    if dup:
        lines = sorted(n for _, ns in dup for n in ns)
        problems.append(
            f"duplicate rows (same subject, reader, session, label) at lines {', '.join(map(str, lines))}: "
            + "; ".join(sorted({f"{key[0]}/{key[1]}" for key, _ in dup}))
        )
    return problems


def _full_path(base: Path, value: str) -> Path:
    """A manifest path: relative ones are taken relative to the manifest's folder."""
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()


def _errors_path(out: Path) -> Path:
    """Where the failed cases of ``out`` are listed (``features.csv`` -> ``features.errors.csv``)."""
    return out.with_name(out.name.removesuffix(".csv") + ".errors.csv")


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
    """Outcome of :func:`run_batch`.

    ``table`` (a :class:`pandas.DataFrame`, one row per manifest row, as written to ``out``) is built
    on first use: the CLI writes the CSV without loading pandas.
    """

    columns: list[str]
    rows: list[dict]
    n_computed: int = 0
    n_cached: int = 0
    errors: list[dict] = field(default_factory=list)
    _table: Any = field(default=None, repr=False, compare=False)

    @property
    def n_failed(self) -> int:
        return len(self.errors)

    @property
    def table(self):
        """The output table as a DataFrame (manifest order)."""
        if self._table is None:
            import pandas as pd

            self._table = pd.DataFrame(self.rows, columns=self.columns)
        return self._table


def _table_and_errors(rows: list[dict], results: dict[int, dict]) -> tuple[list[str], list[dict], list[dict]]:
    """The output columns and rows (manifest order) and the list of failed cases."""
    out: list[dict] = []
    errors: list[dict] = []
    feature_cols: list[str] = []
    for idx, row in enumerate(rows):
        ids = {c: row[c] for c in ID_COLUMNS}
        res = results[idx]
        if res["status"] == "ok":
            feats = res["features"]
            if not feature_cols:
                feature_cols = list(feats)
            out.append({**ids, "status": "ok", **feats})
        else:
            out.append({**ids, "status": "failed"})
            errors.append(
                {
                    **{c: ids[c] for c in ("subject", "reader", "session", "image", "mask")},
                    "error_type": res["error_type"],
                    "message": res["message"],
                }
            )
    return [*ID_COLUMNS, "status", *feature_cols], out, errors


def _refuse_overwriting_inputs(manifest, params, rows: list[dict], outputs: list[Path]) -> None:
    """InputError when an output path is the manifest, the parameter file or one of the cases' files."""
    refuse_output_over_input(
        {
            "manifest": manifest,
            "params": params if isinstance(params, (str, os.PathLike)) else None,
            "manifest image": [r["image"] for r in rows],
            "manifest mask": [r["mask"] for r in rows],
        },
        outputs,
    )


def _pending_cases(
    rows: list[dict], parts: Path, settings_hash: str
) -> tuple[dict[int, dict], dict[int, str], list[tuple[int, str, str, int | None]], Callable[..., dict]]:
    """(cached results, cache keys, the cases still to compute, the function a worker runs on each)."""
    if any(parts.glob("*.json")):  # an earlier run left results: find them by every case's key
        results, keys, tasks = cached_results(rows, parts, settings_hash)
        fn: Callable[..., dict] = extract_case
    else:  # nothing to look up: each worker hashes its own case, in parallel, not this process first
        results, keys = {}, {}
        tasks = [(idx, row["image"], row["mask"], row["label"]) for idx, row in enumerate(rows)]
        fn = Keyed(extract_case, settings_hash)
    return results, keys, tasks, fn


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
        Local worker processes (``-1``: all cores; more than the cores: clamped, see
        :func:`~myomri.cores.clamp_jobs`).
    executor : {'joblib', 'dask'}
        Local processes (a fork pool where the platform has one, else joblib's), or a Dask cluster.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (or a client) for ``executor='dask'``.
    progress : bool
        Show a tqdm bar on stderr.

    Returns
    -------
    BatchResult

    Notes
    -----
    Interrupted (Ctrl-C, a killed worker): the cases finished so far are kept in ``<out>.parts/``
    (each written atomically), ``out`` is not written, and a rerun computes only the rest.
    """
    from ..cores import clamp_jobs
    from ._batch_run import run_dask, run_local, start_pool

    if executor not in ("joblib", "dask"):
        raise ConfigError(f"executor {executor!r} unknown, expected 'joblib' or 'dask'")
    p: Params = read_params(params)
    plain = p.to_dict()
    columns, rows = _manifest_rows(manifest)
    out = Path(out)
    err_path = _errors_path(out)
    _refuse_overwriting_inputs(manifest, params, rows, [out, err_path])
    parts = parts_folder(out)

    jobs = clamp_jobs(jobs)[0]
    pool = start_pool(jobs, len(rows)) if executor == "joblib" else None  # its imports overlap what follows
    try:
        results, keys, tasks, fn = _pending_cases(rows, parts, p.hash)
    except BaseException:
        if pool is not None:
            pool.terminate()
        raise
    n_cached = len(results)
    runner: Iterable[tuple[int, dict]] = (
        run_local(tasks, plain, jobs, fn, pool) if executor == "joblib" else run_dask(tasks, plain, scheduler, fn)
    )
    try:
        collect(runner, results, keys, parts, progress_bar(len(rows), n_cached, progress))
    finally:
        if pool is not None:  # the runner closed it; this covers a runner that never started
            pool.terminate()

    out_columns, out_rows, errors = _table_and_errors(rows, results)
    write_csv(out, out_columns, out_rows)
    if errors:
        write_csv(err_path, list(errors[0]), errors)
    elif err_path.exists():
        err_path.unlink()  # stale list from an earlier run whose failures are now fixed
    return BatchResult(columns=out_columns, rows=out_rows, n_computed=len(tasks), n_cached=n_cached, errors=errors)
