"""Where the cases of :func:`myomri.features.batch.run_batch` run: in this process, in forked or
spawned worker processes, or on a Dask cluster. Each runner yields ``(index, result)`` as cases finish.

Why a fork pool for local workers where the platform has one: a worker made by forking this process
before it has imported numpy or numba starts in milliseconds and then imports and loads the
compiled kernels in parallel with the other workers; joblib's default (loky) spawns interpreters that
also pickle the task function, import joblib and psutil, and on a 24-case batch of 3-D ROIs made
``--jobs 2`` slower than ``--jobs 1``. Elsewhere (no ``fork``: Windows, or a process that already
runs threads of numpy's BLAS) joblib's processes are used.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ConfigError

__all__ = ["start_pool", "run_local", "run_dask"]

Task = tuple[int, str, str, "int | None"]


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and keeps what finished;
    # workers must not die one by one with a traceback each
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_worker() -> None:
    _ignore_sigint()
    # load numpy and the feature code now, while the parent still prepares the tasks (and, with an
    # earlier run's parts to look up, hashes the inputs for the cache)
    try:
        import myomri.features.extractor  # noqa: F401
    except Exception:  # noqa: BLE001 - a failing initializer makes the pool respawn workers forever;
        pass  # the same import in the first case then reports the error as that case's failure


def start_pool(jobs: int, n_tasks: int):
    """A fork pool of ``min(jobs, n_tasks)`` workers that start loading the feature code at once,
    or None where :func:`run_local` runs the cases here or in joblib's processes.

    Started before the parent prepares the tasks (and hashes the inputs where an earlier run left
    parts to look up), so the workers' imports (~0.07 s) overlap that work. :func:`run_local` uses
    and closes it.
    """
    if jobs == 1 or n_tasks <= 1:
        return None
    import multiprocessing  # here: a one-job batch does without it (~7 ms of start-up)

    if "fork" not in multiprocessing.get_all_start_methods() or "numpy" in sys.modules:
        return None  # no fork, or BLAS threads may already run here (forking those is unsafe)
    return multiprocessing.get_context("fork").Pool(min(jobs, n_tasks), initializer=_start_worker)


def _call(args: tuple) -> tuple[int, dict]:
    fn, idx, rest = args
    return idx, fn(*rest)


def run_local(
    tasks: list[Task], params: dict, jobs: int, fn: Callable[..., dict], pool=None
) -> Iterator[tuple[int, dict]]:
    """Run ``fn(image, mask, label, params)`` per task: here (``jobs == 1``) or in ``jobs`` processes.

    ``pool``: the one :func:`start_pool` made (used, then closed); None where it made none: the tasks
    then run here (one job or one task) or in joblib's processes. Results come back as they finish
    (not in task order). On an interrupt the workers are stopped at once; results already yielded
    stay with the caller.
    """
    if pool is None or not tasks:
        if pool is not None:
            pool.terminate()
        if jobs == 1 or len(tasks) <= 1:
            for idx, image, mask, label in tasks:
                yield idx, fn(image, mask, label, params)
        else:  # no fork, or BLAS threads may already run here (forking those is unsafe): spawn
            yield from _run_joblib(tasks, params, min(jobs, len(tasks)), fn)
        return
    try:
        # chunks of one: the cases are large and unequal, and each result is saved as it arrives
        yield from pool.imap_unordered(_call, [(fn, idx, (i, m, lab, params)) for idx, i, m, lab in tasks], 1)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _run_joblib(tasks: list[Task], params: dict, jobs: int, fn: Callable[..., dict]) -> Iterator[tuple[int, dict]]:
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    yield from parallel(delayed(_call)((fn, idx, (i, m, lab, params))) for idx, i, m, lab in tasks)


def run_dask(tasks: list[Task], params: dict, scheduler: Any, fn: Callable[..., dict]) -> Iterator[tuple[int, dict]]:
    """Run the tasks on a Dask cluster (``scheduler``: its address or a :class:`distributed.Client`)."""
    from distributed import Client, as_completed

    if scheduler is None:
        raise ConfigError("executor 'dask' needs a scheduler address (e.g. tcp://host:8786)", option="scheduler")
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = {}
        for idx, *args in tasks:
            fut = client.submit(fn, *args, params, pure=False)
            futures[fut] = idx
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        if own:
            client.close()
