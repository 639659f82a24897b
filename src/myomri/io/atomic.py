"""Atomic output: write to a temporary file (or folder) beside the target, then rename.

An interrupted run therefore never leaves a half-written file under the final name, and a folder
of outputs written with :func:`atomic_dir` is replaced as a whole, never mixed with an older set.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_text", "atomic_dir"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``path`` on success.

    The temporary name keeps the target's suffixes (``.nii.gz``) so writers that choose the
    format from the extension still work. On error the temporary file is removed.
    """
    path = Path(path)
    suffix = suffix if suffix is not None else "".join(path.suffixes)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name.split('.')[0]}.", suffix=suffix, dir=path.parent)
    except OSError as exc:  # named by the output asked for, not by the hidden temporary file
        raise _output_error(path, exc) from None
    tmp_path = Path(tmp)
    try:  # from the first statement after mkstemp: an interrupt there leaves no stray file either
        os.close(fd)
        yield tmp_path
        # mkstemp creates mode 0600; give the result the permissions a plain open() would have
        if tmp_path.exists():
            os.chmod(tmp_path, 0o666 & ~_current_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _output_error(path: Path, exc: OSError):
    """The :class:`~myomri.errors.OutputError` of an output whose folder cannot be made or written."""
    from ..errors import OutputError

    if isinstance(exc, (FileExistsError, NotADirectoryError)):  # a file where a folder of the path should be
        return OutputError(f"{path}: cannot be written (a file stands where its folder {path.parent} should be); "
                           "expected a folder path")  # fmt: skip
    return OutputError(f"{path}: cannot be written ({exc.strerror or type(exc).__name__} in {path.parent}); "
                       "expected a folder this user can write to")  # fmt: skip


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``path``; on success it becomes ``path`` as a whole.

    A folder already at ``path`` is moved aside first and deleted once the new one is in place,
    so ``path`` never holds files of two runs (e.g. an earlier EPG fit's ``ff`` beside a new
    mono ``t2``). The caller decides beforehand whether replacing ``path`` is allowed. On error
    (or Ctrl-C) the temporary folder is removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    except OSError as exc:
        raise _output_error(path, exc) from None
    old = None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_current_umask())  # mkdtemp creates mode 0700
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / path.name)
        try:
            os.replace(tmp, path)
        except BaseException:
            if old is not None:  # put the earlier set back rather than leave nothing
                os.replace(old / path.name, path)
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
