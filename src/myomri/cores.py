"""How many worker processes to run: one rule for every ``--jobs`` option.

``-1`` means all usable cores. More processes than usable cores only add start-up and
time-slicing to CPU-bound work, so a larger count is clamped to the cores and the returned note
says so (every command prints it). Only the standard library is imported here: the light parent
of ``extract --manifest`` uses it before numpy loads.
"""

from __future__ import annotations

import os

from .errors import InputError

__all__ = ["available_cores", "clamp_jobs"]


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def clamp_jobs(jobs: int) -> tuple[int, str | None]:
    """Worker processes to use for ``jobs`` (``-1``: all cores), and a note when it was clamped.

    Raises
    ------
    InputError
        ``jobs`` is 0 or below -1.

    Examples
    --------
    >>> clamp_jobs(1)
    (1, None)
    >>> n, note = clamp_jobs(10_000)
    >>> n == available_cores(), note.startswith("--jobs 10000 is more than")
    (True, True)
    """
    jobs = int(jobs)
    if jobs == 0 or jobs < -1:
        raise InputError(f"--jobs {jobs}: expected a number of worker processes >= 1, or -1 for all cores")
    cores = available_cores()
    if jobs == -1:
        return cores, None
    if jobs > cores:
        return cores, f"--jobs {jobs} is more than the {cores} usable core(s) here: clamped to {cores}"
    return jobs, None
