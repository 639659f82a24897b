"""Argument types shared by the commands: option values are checked while the command line is
parsed, before anything is read or computed, and a bad value is reported by argparse as one
``error: argument OPTION: VALUE: expected ...`` line with exit code 2 (never a traceback)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

__all__ = [
    "usable_jobs", "n_jobs", "seed", "positive_int", "positive_float", "non_negative_float", "port", "fat_t2",
    "output_file", "output_dir",
]  # fmt: skip


def _int(text: str, expected: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}") from None


def usable_jobs(jobs: int, prog: str) -> int:
    """``--jobs`` clamped to the usable cores (``-1``: all of them); a clamp is said on stderr."""
    import sys

    from ..cores import clamp_jobs

    n, note = clamp_jobs(jobs)
    if note:
        print(f"{prog}: note: {note}", file=sys.stderr)
    return n


def n_jobs(text: str) -> int:
    """Worker processes: 1 or more, or -1 for all cores (0 would mean no worker at all).

    Examples
    --------
    >>> n_jobs("-1"), n_jobs("2")
    (-1, 2)
    """
    expected = "a number of worker processes >= 1, or -1 for all cores"
    value = _int(text, expected)
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
    return value


def seed(text: str) -> int:
    """A random seed: an integer from 0 to 2**32 - 1 (what numpy's generators accept)."""
    expected = "an integer seed from 0 to 4294967295"
    value = _int(text, expected)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (epochs, batch size, threads)."""
    value = _int(text, "an integer >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= 1")
    return value


def _finite(text: str, ok, expected: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rate, time limits)."""
    return _finite(text, lambda v: v > 0, "a finite number > 0")


def non_negative_float(text: str) -> float:
    """A finite number >= 0 (a signal threshold: 0 fits every voxel, a negative one means nothing)."""
    return _finite(text, lambda v: v >= 0, "a finite number >= 0")


def port(text: str) -> int:
    """A TCP port from 0 (a free one) to 65535."""
    value = _int(text, "a port number from 0 to 65535")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a port number from 0 to 65535")
    return value


def fat_t2(text: str) -> float | str:
    """The fat T2: ``'estimate'`` or a positive number in ms.

    Examples
    --------
    >>> fat_t2("151"), fat_t2("estimate")
    (151.0, 'estimate')
    """
    if text.strip().lower() == "estimate":
        return "estimate"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: expected the fat T2 in ms (a number > 0) or 'estimate'")
    return value


def output_file(text: str) -> str:
    """An output file path: not empty, and not an existing folder (checked before computing)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("'': expected an output file path, got an empty string")
    if Path(text).is_dir() or text.endswith(("/", "\\")):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; expected an output file path")
    return text


def output_dir(text: str) -> str:
    """An output folder path: not empty, and not an existing file (checked before computing)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("'': expected an output folder path, got an empty string")
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is an existing file; expected an output folder")
    return text
