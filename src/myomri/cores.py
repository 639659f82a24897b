"""How many worker processes to run: one rule for every ``--jobs`` option.

``-1`` means all usable cores. More processes than usable cores only add start-up and
time-slicing to CPU-bound work, so a larger count is clamped to the cores and the returned note
says so (every command prints it). Only the standard library is imported here: the light parent
of ``extract --manifest`` uses it before numpy loads.
"""

from __future__ import annotations

import os
import sys
import warnings

from .errors import InputError

__all__ = ["available_cores", "clamp_jobs", "single_threaded_blas", "blas_pinned", "keep_freed_memory",
           "quiet_worker_restarts", "BLAS_THREAD_VARIABLES"]  # fmt: skip

# OpenBLAS (pthreads builds), MKL, OpenMP builds of OpenBLAS and BLIS each read their own
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "BLIS_NUM_THREADS")
_BLAS = {"pinned": False}


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


def single_threaded_blas() -> bool:
    """One BLAS thread for this process and the workers it starts, unless the user chose a number.

    Why: the features' dense algebra is small (13 products and eigen-solves of ~100 x 100 per 3-D
    ROI); with OpenBLAS's default of one thread per core its idle threads spin after every call. On
    a 2-core machine that cost a 24-case 3-D batch 0.2 s of its 1.6 s wall time and 0.4 s of CPU
    time. The variables must be set before numpy is imported: afterwards they change nothing.

    Returns
    -------
    bool
        :func:`blas_pinned`: True when every variable is 1 and numpy had not loaded yet.
    """
    if "numpy" not in sys.modules:
        for var in BLAS_THREAD_VARIABLES:
            os.environ.setdefault(var, "1")
        _BLAS["pinned"] = all(os.environ[var] == "1" for var in BLAS_THREAD_VARIABLES)
    return _BLAS["pinned"]


def blas_pinned() -> bool:
    """True when :func:`single_threaded_blas` set one BLAS thread before numpy loaded, in this
    process or in the one that forked it: the features then need no per-call thread limit."""
    return _BLAS["pinned"]


#: glibc ``mallopt`` parameters (malloc.h) and the values :func:`keep_freed_memory` sets.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # glibc's largest (64-bit): arrays below it come from the heap
_TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Let this process reuse the memory of freed arrays instead of returning it to the system.

    Why: with glibc's defaults every array of a few MB (a 3-D ROI's box, its grey levels, the
    matrices) is a fresh ``mmap`` and each of its pages faults on first touch; a 24-case 3-D batch
    took ~42,000 page faults and 0.12 s of system time on one core, twice that on two workers.
    Raised thresholds keep such arrays in the heap: ~11,000 faults, 0.05 s, the same peak memory
    (freed memory is reused, not returned until exit). Numbers are unchanged. For a command's own
    process (the workers it forks inherit it), not for a library user's.

    Returns
    -------
    bool
        True where glibc accepted both settings; False elsewhere (other C libraries keep their own).
    """
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        # mmap first: setting a trim threshold alone freezes the mmap threshold at 128 kB (every
        # large array mmapped: 6x the faults)
        ok = libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES) == 1
        return ok and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES) == 1
    except (OSError, AttributeError):
        return False


#: The start of the warning joblib's process pool (loky) gives when it replaces a worker.
WORKER_RESTART_WARNING = "A worker stopped while some jobs were given to the executor"


def quiet_worker_restarts() -> None:
    """Silence joblib's warning that it replaced a worker, for a command's own process.

    Why: loky takes a worker's memory after its first task as the reference and restarts it once it
    grows 300 MB past that, calling the growth a possible leak. A command's workers are reused
    across its stages and each stage imports more: in ``myomri demo`` a worker measured ~205 MB after
    the cohort, ~250-360 MB in T2 and features and ~456-495 MB once scikit-learn loaded, module
    imports rather than a leak. loky then starts a fresh worker and reruns nothing (results are
    unchanged), but the warning read as a fault. Only that message is filtered; every other
    warning still shows.
    """
    warnings.filterwarnings("ignore", message=WORKER_RESTART_WARNING, category=UserWarning)
