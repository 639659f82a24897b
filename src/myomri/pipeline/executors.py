"""Run one function over many work items: in process, in joblib workers, or on a Dask cluster.

Results come back as they finish, as ``(index, outcome)`` pairs, so the caller can store each
finished item at once (an interrupted run keeps what was done). A worker exception is caught in
the worker and returned as a failure outcome, so one bad subject never stops the others.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..config import pipeline as cfg
from ..errors import ConfigError

__all__ = ["guarded_call", "map_items"]


def guarded_call(func: Callable, item: Any) -> dict:
    """``{"ok": True, "value": func(item)}``, or the error's type and message (no traceback dump)."""
    try:
        return {"ok": True, "value": func(item)}
    except Exception as exc:  # noqa: BLE001 - a per-item failure is data, recorded by the caller
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({frame.name} line {frame.lineno})" if frame else ""
        return {"ok": False, "error_type": type(exc).__name__, "message": f"{exc}{where}"}


def map_items(
    func: Callable, items: Sequence, *, executor: str = cfg.EXECUTOR, jobs: int = cfg.JOBS, scheduler: Any = None
) -> Iterator[tuple[int, dict]]:
    """Yield ``(index, outcome)`` for every item as it finishes (see :func:`guarded_call`).

    Parameters
    ----------
    func : callable
        A module-level function (picklable) taking one item.
    items : sequence
        Work items (picklable).
    executor : {"joblib", "dask"}
        ``joblib`` with ``jobs == 1`` runs in this process (no pickling, easiest to debug).
    jobs : int
        joblib worker processes (``-1``: all cores).
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``tcp://host:8786``) or a client; required for ``dask``.
    """
    if executor not in cfg.EXECUTORS:
        raise ConfigError(f"executor {executor!r} unknown; expected one of {list(cfg.EXECUTORS)}")
    if executor == "dask":
        yield from _map_dask(func, items, scheduler)
        return
    if jobs == 1 or len(items) <= 1:
        for i, item in enumerate(items):
            yield i, guarded_call(func, item)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    # each task returns its own index so unordered results can be matched to their items
    yield from parallel(delayed(_indexed)(func, i, item) for i, item in enumerate(items))


def _indexed(func: Callable, i: int, item: Any) -> tuple[int, dict]:
    return i, guarded_call(func, item)


def _map_dask(func: Callable, items: Sequence, scheduler: Any) -> Iterator[tuple[int, dict]]:
    from distributed import Client, as_completed

    if scheduler is None:
        raise ConfigError("executor 'dask' needs a scheduler address (e.g. tcp://host:8786)", option="scheduler")
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = {client.submit(_indexed, func, i, item, pure=False): i for i, item in enumerate(items)}
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        if own:
            client.close()
