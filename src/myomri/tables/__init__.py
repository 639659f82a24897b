"""Tables: per-ROI statistics of quantitative maps, and other tidy tables built from the stages."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "roi_statistics": ".roistats",
        "map_roi_statistics": ".roistats",
    },
)
