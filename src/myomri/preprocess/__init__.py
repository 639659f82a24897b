"""Preprocessing on image grids: intensity normalisation, resampling, LBP filtering,
discretisation, and the geometry of grids (checks, mask transfer through world coordinates)."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "check_same_grid": ".geometry",
        "grid_mismatches": ".geometry",
        "transfer_mask": ".geometry",
        "normalize_image": ".normalize",
        "resample_grid": ".resample",
        "resample_image_and_mask": ".resample",
        "filter_lbp2d": ".lbp",
        "discretize_values": ".discretize",
        "compute_bin_edges": ".discretize",
        "crop_to_mask": ".crop",
    },
)
