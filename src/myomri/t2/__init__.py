"""T2 mapping: EPG signal model (pure functions), mono-exponential and EPG fitting, maps.

``MonoExpModel`` and ``EPGModel`` follow DIPY: ``Model(echo_times, **settings).fit(data, mask)``
returns a ``Fit`` with the maps as attributes.
"""

from .epg_model import EPGModel
from .fit import STATUS_NAMES, Fit
from .mono import MonoExpModel

__all__ = ["EPGModel", "MonoExpModel", "Fit", "STATUS_NAMES"]
