"""One place that turns T2 settings into a model: used by ``myomri t2fit`` and by the pipeline.

Fit methods are chosen by name (DIPY's ``fit_method``): for the mono-exponential model one of
:data:`~myomri.t2.mono.METHODS`, for the EPG model one of its matching criteria
(:data:`~myomri.t2.epg_model.OBJECTIVES`). ``None`` takes the default of ``myomri.config.t2``.
"""

from __future__ import annotations

from typing import Any

from ..config import t2 as cfg
from ..errors import InputError
from .epg_model import EPGModel
from .mono import MonoExpModel

__all__ = ["MODELS", "make_model"]

#: Signal models by name.
MODELS = ("epg", "mono")


def make_model(
    echo_times,
    model: str = "epg",
    *,
    fit_method: str | None = None,
    fat_t2: float | str = cfg.FAT_T2_MS,
    fat_fraction: Any = cfg.FAT_FRACTION,
    slice_profile: bool = cfg.SLICE_PROFILE,
    profile_sampling: str = cfg.PROFILE_SAMPLING,
    noise_threshold: float | None = cfg.NOISE_THRESHOLD,
    drop_first_echo: bool = False,
    fit_offset: bool = False,
    source: str | None = None,
) -> EPGModel | MonoExpModel:
    """The T2 model ``model`` with its settings.

    Parameters
    ----------
    echo_times : sequence of float
        Echo times in ms.
    model : {"epg", "mono"}
        Bi-component EPG (water T2, FF, B1) or mono-exponential.
    fit_method : str, optional
        mono: "loglinear", "nnls" or "nlls"; epg: "lsq" or "myoqmri". Default from the config.
    fat_t2, fat_fraction, slice_profile, profile_sampling
        EPG only (see :class:`~myomri.t2.EPGModel`); a fixed fat fraction or a slice profile
        with the mono-exponential model is refused.
    noise_threshold, drop_first_echo, source
        Both models.
    fit_offset : bool
        mono only: fit a noise offset (the EPG model has none; the setting is not used).

    Examples
    --------
    >>> make_model([10.0, 20.0, 30.0, 40.0], "mono").method
    'loglinear'
    """
    if model == "mono":
        if fat_fraction is not None or slice_profile:
            raise InputError("a fixed fat fraction and the slice profile apply to the EPG model only")
        return MonoExpModel(
            echo_times,
            method=fit_method or cfg.MONO_METHOD,
            drop_first_echo=drop_first_echo,
            fit_offset=fit_offset,
            noise_threshold=noise_threshold,
            source=source,
        )
    if model != "epg":
        raise InputError(f"unknown T2 model {model!r}; expected one of {list(MODELS)}")
    return EPGModel(
        echo_times,
        fat_t2=fat_t2,
        fat_fraction=fat_fraction,
        slice_profile=slice_profile,
        profile_sampling=profile_sampling,
        noise_threshold=noise_threshold,
        drop_first_echo=drop_first_echo,
        objective=fit_method or cfg.EPG_OBJECTIVE,
        source=source,
    )
