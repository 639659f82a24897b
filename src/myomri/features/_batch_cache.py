"""The cache of a feature batch: every case's key and its result part in ``<out>.parts/``.

A case's key hashes the settings, the myomri version, the label and the content of every input
file, so an edited input or changed settings are recomputed and nothing else is. Results are
saved one part file per case as they arrive (written atomically), so an interrupted run keeps
what finished and a rerun computes only the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..io.atomic import atomic_write_text

__all__ = ["case_key", "Keyed", "cached_results", "parts_folder", "collect"]


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


def case_key(image: str, mask: str, label: int | None, settings_hash: str) -> str:
    """Cache key of one case: settings, version, label and the content hash of every input file."""
    payload = json.dumps([settings_hash, __version__, label, _file_signature(Path(image)), _file_signature(Path(mask))])
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Keyed:
    """A case function that first hashes its case for the cache (``"key"`` in a success).

    Used where a run has nothing cached to look up: the workers then hash their own cases, in
    parallel, instead of the parent hashing every input before the first case starts.
    """

    fn: Callable[..., dict]
    settings_hash: str

    def __call__(self, image: str, mask: str, label: int | None, params: dict) -> dict:
        try:  # before the files are read for extraction, as the parent's lookup hashes them
            key = case_key(image, mask, label, self.settings_hash)
        except OSError as exc:
            return {"status": "failed", "error_type": type(exc).__name__, "message": str(exc)}
        res = self.fn(image, mask, label, params)
        return {**res, "key": key} if res["status"] == "ok" else res


def cached_results(rows: list[dict], parts: Path, settings_hash: str):
    """Results of the manifest rows found in ``parts``, every row's cache key, and the rows to compute.

    A row whose inputs cannot be read to hash them gets no key and is computed: its case then fails
    with that error on its own, as on a first run, and nothing is saved for it.
    """
    results: dict[int, dict] = {}
    keys: dict[int, str] = {}
    tasks = []
    for idx, row in enumerate(rows):
        task = (idx, row["image"], row["mask"], row["label"])
        try:
            keys[idx] = key = case_key(row["image"], row["mask"], row["label"], settings_hash)
        except OSError:
            tasks.append(task)
            continue
        part = parts / f"{key}.json"
        if part.is_file():
            try:
                results[idx] = json.loads(part.read_text())
                continue
            except (OSError, ValueError):
                pass  # unreadable part (should not happen with atomic writes): recompute
        tasks.append(task)
    return results, keys, tasks


def parts_folder(out: Path) -> Path:
    """``<out>.parts/``, made if missing, without the part a killed run was writing."""
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    for stray in parts.glob(".*.json"):  # a part being written when an earlier run was killed
        stray.unlink(missing_ok=True)
    return parts


def collect(runner: Iterable[tuple[int, dict]], results: dict, keys: dict, parts: Path, bar) -> None:
    """Store each result as it arrives (a part file for every success) and advance the bar."""
    try:
        for idx, res in runner:
            key = res.pop("key", None) or keys.get(idx)  # hashed by the worker on a first run
            results[idx] = res
            if res["status"] == "ok" and key is not None:  # failures are retried on the next run
                atomic_write_text(parts / f"{key}.json", json.dumps(res))
            bar.update(1)
    finally:
        bar.close()
