"""Fit a whole multi-echo volume with any T2 model, in slabs of slices run in parallel.

``fit_volume(model, data, mask, n_jobs=...)`` gives the same maps for every ``n_jobs``: the
decisions that depend on the whole volume (the automatic noise threshold, an estimated fat T2)
are taken once, before the volume is cut into slabs, and each slab is fitted with them fixed.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from ..errors import InputError
from .fit import FITTED, Fit, select_voxels

__all__ = ["fit_volume", "resolve_n_jobs"]

#: Maps a slab fit may hold, merged back into whole-volume maps.
_MAPS = ("t2", "m0", "residual", "ff", "b1", "offset")


def resolve_n_jobs(n_jobs: int) -> int:
    """Worker count: ``n_jobs`` itself, or all cores for ``-1`` (the glossary's meaning).

    Examples
    --------
    >>> resolve_n_jobs(2)
    2
    >>> resolve_n_jobs(-1) == (os.cpu_count() or 1)
    True
    """
    n_jobs = int(n_jobs)
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise InputError(f"n_jobs {n_jobs}: expected a number of worker processes >= 1, or -1 for all cores")
    return n_jobs


def fit_volume(
    model: Any,
    data: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    n_jobs: int = 1,
    progress: Callable[..., Iterable[Any]] | None = None,
) -> Fit:
    """Fit ``data`` (x, y, z, n_echoes) inside ``mask`` with ``model``, in parallel slabs.

    Parameters
    ----------
    model : EPGModel or MonoExpModel
        Any model with ``fit(data, mask) -> Fit`` and a ``noise_threshold``; it is not modified.
    data : ndarray
        Multi-echo signal, echoes on the last axis; slabs are cut along the third axis.
    mask : ndarray of bool, optional
        Voxels to fit (the data grid).
    n_jobs : int
        Worker processes; ``-1`` uses all cores. ``1`` (or a single slice) fits in this process.
    progress : callable, optional
        Wraps the iterator of finished slabs, e.g. ``functools.partial(tqdm, desc="slabs")``;
        it is called as ``progress(iterable, total=n_slabs)``.

    Returns
    -------
    Fit
        The same maps as ``model.fit(data, mask)``; ``settings["jobs"]`` holds the worker count
        and ``settings["seconds"]`` the summed fitting time of the slabs.
    """
    n_jobs = resolve_n_jobs(n_jobs)
    data = np.asarray(data)
    if n_jobs == 1 or data.ndim != 4 or data.shape[2] < 2:
        return model.fit(data, mask)
    # whole-volume decisions first, so every slab uses the same threshold and fat T2
    _, status, threshold = select_voxels(data, mask, model.noise_threshold)
    status = status.reshape(data.shape[:-1])
    slab_model = copy.copy(model)
    slab_model.noise_threshold = threshold
    if hasattr(slab_model, "threads"):  # processes, not threads, run in parallel here
        slab_model.threads = 1
    n_fat = None
    if getattr(model, "fat_t2", None) == "estimate":
        slab_model.fat_t2, n_fat = model.estimate_fat_t2(data, mask)
    bounds = np.linspace(0, data.shape[2], min(n_jobs, data.shape[2]) + 1).astype(int)
    slabs = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    # a slab with no voxel left to fit keeps the whole-volume status (its fit would refuse an
    # empty mask or an all-zero signal, which is a fact about the slab, not an error)
    work = [(_model_for_slab(slab_model, s), data[:, :, s], None if mask is None else mask[:, :, s]) for s in slabs]
    todo = [bool(np.any(status[:, :, s] == FITTED)) for s in slabs]
    if not any(todo):  # nothing to fit anywhere: the one-process fit says so with its settings
        return model.fit(data, mask)
    with ProcessPoolExecutor(max_workers=n_jobs) as pool:
        done: Iterable[Fit] = pool.map(_fit_slab, [w for w, t in zip(work, todo) if t])
        if progress is not None:
            done = progress(done, total=sum(todo))
        fitted = iter(list(done))
    fits = [next(fitted) if t else None for t in todo]
    return _merge(fits, slabs, status, n_jobs=n_jobs, n_fat=n_fat)


def _model_for_slab(model: Any, slab: slice) -> Any:
    """``model`` itself, or a copy holding its slab of a fixed fat-fraction map."""
    ff = getattr(model, "fat_fraction", None)
    if ff is None or np.ndim(ff) == 0:
        return model
    part = copy.copy(model)
    part.fat_fraction = np.asarray(ff)[:, :, slab]
    return part


def _fit_slab(item: tuple[Any, np.ndarray, np.ndarray | None]) -> Fit:
    """Fit one slab (a module-level function so worker processes can run it)."""
    model, data, mask = item
    return model.fit(data, mask)


def _merge(fits: list[Fit | None], slabs: list[slice], status: np.ndarray, *, n_jobs: int, n_fat: int | None) -> Fit:
    """One whole-volume Fit from the slab fits (None: a slab with nothing to fit)."""
    first = next(f for f in fits if f is not None)
    maps: dict[str, np.ndarray] = {}
    for name in _MAPS:
        if getattr(first, name) is not None:  # ff/b1 (EPG) and offset (mono) may be absent
            maps[name] = np.zeros(status.shape)
            for s, f in zip(slabs, fits):
                if f is not None:
                    maps[name][:, :, s] = getattr(f, name)
    merged_status = status.astype(np.int8, copy=True)
    for s, f in zip(slabs, fits):
        if f is not None:
            merged_status[:, :, s] = f.status
    settings = dict(first.settings)
    settings["seconds"] = round(sum(f.settings.get("seconds", 0) for f in fits if f is not None), 3)
    settings["jobs"] = n_jobs
    free = list(first.free_parameters)
    if n_fat is not None:
        settings.update(fat_t2="estimate", fat_t2_estimated=True, pure_fat_voxels=n_fat)
        free.append("fat_t2 (one value for the volume)")
    return Fit(
        t2=maps.pop("t2"),
        m0=maps.pop("m0"),
        residual=maps.pop("residual"),
        status=merged_status,
        free_parameters=free,
        settings=settings,
        **maps,
    )
