"""T2 mapping: EPG signal model (pure functions), mono-exponential and EPG fitting, maps.

``MonoExpModel`` and ``EPGModel`` follow DIPY: ``Model(echo_times, **settings).fit(data, mask)``
returns a ``Fit`` with the maps as attributes. :func:`make_model` builds either from settings by
name; :func:`fit_volume` fits a whole volume in parallel slabs with the same result for any
``n_jobs``; :func:`write_fit` writes the maps as NIfTI.
"""

from .build import make_model
from .epg_model import EPGModel
from .fit import STATUS_NAMES, Fit
from .maps import fit_summary, write_fit
from .mono import MonoExpModel
from .volume import fit_volume

__all__ = ["EPGModel", "Fit", "MonoExpModel", "STATUS_NAMES", "fit_summary", "fit_volume", "make_model", "write_fit"]
