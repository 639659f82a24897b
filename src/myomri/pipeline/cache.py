"""Stage caching: content checksums of inputs, cache keys, and "done" markers.

A stage's output folder holds ``done.json`` with the key it was computed under; the stage is
skipped when the key of the current inputs and settings is the same. The marker is written last
and atomically, after every output file, so an interrupted stage is simply recomputed.
Checksums (SHA-256 of the file content) are memoised by path, size, modification time, inode and
status-change time so a rerun does not read every image again. The status-change time (ctime) is
set by the kernel on every write and cannot be set back, so a file edited in place whose size and
mtime were kept (uncompressed NIfTI, ``touch -r``, ``cp -p``) is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .. import __version__
from ..io.atomic import atomic_write_text

__all__ = ["Checksums", "cache_key", "read_done", "write_done"]

_CHUNK = 1 << 20


class Checksums:
    """SHA-256 of files, memoised in ``store`` (a JSON file) by (size, mtime, inode, ctime)."""

    def __init__(self, store: Path):
        self.store = Path(store)
        try:
            self._memo = json.loads(self.store.read_text())
        except (OSError, ValueError):
            self._memo = {}
        self._dirty = False

    def of(self, path: str | os.PathLike | None) -> str | None:
        """Checksum of ``path`` (a folder: of its sorted files); None for None."""
        if path is None:
            return None
        p = Path(path)
        if p.is_dir():
            h = hashlib.sha256()
            for f in sorted(q for q in p.rglob("*") if q.is_file()):
                h.update(f.relative_to(p).as_posix().encode())
                h.update((self.of(f) or "").encode())  # a file always has a checksum
            return h.hexdigest()
        st = p.stat()
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        memo = self._memo.get(str(p))
        if memo and memo[:-1] == stamp:
            return memo[-1]
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
        self._memo[str(p)] = [*stamp, h.hexdigest()]
        self._dirty = True
        return h.hexdigest()

    def save(self) -> None:
        if self._dirty:
            self.store.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.store, json.dumps(self._memo))
            self._dirty = False


def cache_key(**parts) -> str:
    """Key of a stage's inputs: checksums and settings (JSON, sorted) plus the myomri version."""
    blob = json.dumps({"myomri": __version__, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def read_done(folder: Path, key: str) -> dict | None:
    """The stored result of a stage computed under ``key``, or None (absent, stale or unreadable)."""
    try:
        done = json.loads((Path(folder) / "done.json").read_text())
    except (OSError, ValueError):
        return None
    return done.get("result") if done.get("key") == key else None


def write_done(folder: Path, key: str, result) -> None:
    """Mark a stage finished (written last, atomically)."""
    atomic_write_text(Path(folder) / "done.json", json.dumps({"key": key, "result": result}, default=str))
