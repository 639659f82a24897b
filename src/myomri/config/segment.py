"""Defaults of the segmentation stage (``myomri.segment``).

Two methods: ``classical`` (thresholds + morphology on a Dixon pair or a fat-bright image: muscle / fat /
bone tissue map) and ``dl`` (the per-muscle network, settings in :mod:`myomri.config.segment_dl`).
"""

from __future__ import annotations

#: Segmentation methods the CLI offers (``myomri segment --method``); the first is the default.
METHODS: tuple[str, ...] = ("classical", "dl")

#: Values of the tissue label map written by the classical segmenter.
TISSUE_LABELS: dict[int, str] = {
    0: "background",
    1: "muscle",
    2: "subcutaneous fat",
    3: "bone and marrow",
    4: "intermuscular and intramuscular fat",
    5: "other tissue (skin, vessels outside the muscle fascia)",
}
MUSCLE_LABEL = 1

#: Settings of :func:`myomri.segment.classical.segment_classical` (lengths in mm, areas in mm2).
CLASSICAL: dict[str, object] = {
    # Body = signal above this fraction of the median tissue signal (voxels above the Otsu
    # background/tissue threshold): Otsu itself cuts into darker tissue, a low fraction keeps the
    # whole leg while cortical bone (no signal) stays below it.
    "body_fraction": 0.15,
    "body_opening_mm": 2.0,  # removes noise specks and thin artefact streaks outside the body
    "min_leg_area_mm2": 2000.0,  # a body component smaller than 20 cm2 is not a thigh
    "max_legs": 2,
    # The body is split into two legs where its left-right profile narrows below this fraction
    # of the smaller side's width, or anyway when it is wider than one thigh can be.
    "leg_waist_ratio": 0.6,
    "single_leg_max_width_mm": 220.0,
    # Fat vs lean tissue: Otsu threshold of fat fraction (Dixon) or of normalised intensity
    # (single T1/T2-weighted image) inside the body, clipped to this range so that an all-lean or
    # all-fat slice cannot drag it to an absurd value; ``fat_threshold`` fixes it instead.
    "fat_threshold": None,
    "fat_threshold_range": (0.3, 0.7),
    # Lean tissue opened with this radius before the muscle compartment is built: removes skin
    # and vessels, which are lean but lie outside the fascia.
    "lean_opening_mm": 1.5,
    # A lean component belongs to the muscle compartment if its deepest point lies this far
    # below the skin and it has this fraction of the leg's largest lean component's area.
    "min_muscle_depth_mm": 8.0,
    "min_component_fraction": 0.02,
    # Femur: convex hull of one or two pieces of dark cortex (the ring is often broken into two
    # arcs) of femur size (a 14-56 mm wide disc), enclosing something (hull >= 1.5x the cortex),
    # round (minor/major axis) and filled with fat (marrow). At most ``bone_max_pieces`` largest
    # dark pieces of at least ``bone_min_piece_mm2`` per leg are tried, singly and in pairs.
    "bone_area_mm2": (150.0, 2500.0),
    "bone_min_fill_ratio": 1.5,
    "bone_min_axis_ratio": 0.5,
    "bone_min_marrow_fat": 0.5,
    "bone_min_rim_cortex": 0.6,  # fraction of the hull outline within the tolerance of cortex
    "bone_rim_tolerance_mm": 2.0,
    "bone_core_opening_mm": 1.0,
    # When no femur is found, cortex is sought again below this multiple of the body threshold.
    "bone_retry_factor": 2.0,
    "bone_min_piece_mm2": 5.0,
    "bone_max_pieces": 8,
}
