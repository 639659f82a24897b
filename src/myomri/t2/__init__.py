"""T2 mapping: EPG signal model (pure functions), mono-exponential and EPG fitting, maps.

``MonoExpModel`` and ``EPGModel`` follow DIPY: ``Model(echo_times, **settings).fit(data, mask)``
returns a ``Fit`` with the maps as attributes. :func:`make_model` builds either from settings by
name; :func:`fit_volume` fits a whole volume in parallel slabs with the same result for any
``n_jobs``; :func:`write_fit` writes the maps as NIfTI.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "EPGModel": ".epg_model",
        "MonoExpModel": ".mono",
        "Fit": ".fit",
        "STATUS_NAMES": ".fit",
        "make_model": ".build",
        "fit_volume": ".volume",
        "write_fit": ".maps",
        "fit_summary": ".maps",
        "epg_cpmg": ".epg",
        "choose_slice_profile": ".acquisition",
    },
)
