"""Defaults of the deep-learning per-muscle segmenter, its training, refinement and federated server.

Pixel size: 2.0 mm. Thigh muscles are >= 10 mm thick (sartorius and gracilis, the thinnest, span
several pixels at 2 mm), clinical thigh Dixon/T1 scans are acquired at 0.7-2 mm in-plane, and the
demo cohort's Dixon grid is 2 mm, so 2 mm keeps every muscle resolvable while a 128 x 128 one-leg
tile (256 mm, wider than any adult thigh) keeps CPU inference of a 16-slice volume to seconds.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "PIXEL_MM", "TILE", "PERCENTILE", "CLIP_MAX", "CONTRASTS", "INVERTED_CONTRASTS", "FOREGROUND_FRACTION",
    "NETWORK", "TRAIN", "AUGMENT", "REFINE", "FEDERATED", "MODEL_FORMAT_VERSION", "HUASHAN_TO_MUSCLE",
    "N_THREADS", "TWO_LEG_DIP", "CONFIDENCE", "TTA_SHIFTS", "DEVICES", "DEVICE",
]  # fmt: skip

#: In-plane pixel size (mm) every slice is resampled to before the network sees it.
PIXEL_MM = 2.0
#: Side (pixels) of the square one-leg tile: 128 px x 2 mm = 256 mm.
TILE = 128
#: Intensity normalisation: divide by this percentile of the body voxels of the whole volume.
PERCENTILE = 99.0
#: Normalised intensities are clipped to [0, CLIP_MAX] (fat in a water image, vessels).
CLIP_MAX = 2.0
#: Fraction of the normalisation percentile above which a voxel counts as body (midline, crop).
FOREGROUND_FRACTION = 0.1
#: Two thighs: the body's column profile dips between them below this share of the lower peak
#: (one thigh's profile stays above ~0.85 of its peak over its central band).
TWO_LEG_DIP = 0.6
#: Accepted ``--contrast`` values. The network is trained on water-like contrast (muscle bright, fat
#: dark); contrasts in INVERTED_CONTRASTS (fat bright, muscle dark) are inverted inside the body first.
CONTRASTS = ("water", "fat", "t1", "stir")
INVERTED_CONTRASTS = ("fat", "t1")

#: Architecture of the shipped network (a residual 2-D U-Net; 13 outputs = background + 12 muscles).
NETWORK: dict[str, Any] = {"arch": "ResUNet2d", "in_channels": 1, "n_classes": 13, "base_channels": 16, "depth": 5}

#: Torch intra-op threads (the target machine has 2 cores).
N_THREADS = 2

#: Where ``segment train`` runs the network: the CPU (the recipe's machine, and the default), a
#: CUDA GPU, or ``auto`` (the GPU when torch sees one). Batches are always drawn on the CPU from the
#: seeded generator, so the data a run sees do not depend on the device.
DEVICES = ("cpu", "cuda", "auto")
DEVICE = "cpu"

#: Test-time augmentation: the network sees every tile as it is and moved by these (rows, columns)
#: in tile pixels (4 px = 8 mm), and the probabilities are averaged. Measured with the shipped
#: weights: mean per-muscle Dice on Huashan Thigh_003 water 0.828 -> 0.838, fat 0.840 -> 0.848,
#: held-out demo subjects water 0.958 -> 0.961, first MESE echo 0.824 -> 0.830; 5x the network time.
TTA_SHIFTS: tuple[tuple[int, int], ...] = ((0, 0), (4, 0), (-4, 0), (0, 4), (0, -4))

#: Training recipe (``myomri segment train``).
TRAIN: dict[str, Any] = {
    "epochs": 40,
    "steps": 6000,  # mixed-source recipe (segment.recipe): steps of one batch each
    "batch_size": 16,
    "learning_rate": 2e-3,
    "weight_decay": 1e-4,
    "dice_weight": 1.0,  # loss = CE + dice_weight * soft Dice
    "validation_fraction": 0.0,
    "seed": 0,
}

#: On-the-fly augmentation (applied per tile, all drawn from the seeded generator).
AUGMENT: dict[str, Any] = {
    "rotation_deg": 15.0,
    "scale": (0.8, 1.25),
    "shift_px": 8.0,
    "elastic_px": 4.0,  # amplitude of the smooth random displacement
    "elastic_grid": 5,  # control points per side of that displacement
    "gamma": (0.7, 1.5),
    "bias_amplitude": 0.3,  # multiplicative smooth bias field, 1 +/- this
    "noise_sd": (0.0, 0.08),
    "invert_prob": 0.15,  # contrast inversion inside the body
    "flip_ap_prob": 0.0,  # anterior-posterior flips do not occur in real scans
}

#: Per-slice confidence of a segmentation (``segment.confidence``): a slice is flagged when the mean
#: winning probability over its muscle pixels, the number of thigh muscles found or the share of its
#: muscle pixels in their muscle's main 3-D body (thigh > 0.99, calf ~0.85) is below these;
#: the volume is low-confidence when more than ``max_flagged_fraction`` of its slices are flagged.
CONFIDENCE: dict[str, Any] = {
    "min_probability": 0.8,
    "min_muscles": 7,
    "min_area_mm2": 100.0,
    "min_coherence": 0.95,
    "max_flagged_fraction": 0.5,
}

#: Incremental learning (``myomri segment refine``): a few short epochs at a low learning rate.
REFINE: dict[str, Any] = {"epochs": 5, "batch_size": 8, "learning_rate": 3e-4, "seed": 0}

#: Federated server (``myomri federate serve``).
FEDERATED: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 8765,
    "tolerance": 0.01,  # largest accepted drop of validation mean Dice (merged vs served model)
    "candidate_tolerance": 0.1,  # largest accepted drop of the site's own model (rejects random/poisoned)
    "max_upload_mb": 25.0,
    "max_samples": 10_000_000,  # a site's claimed data size above this is rejected
    # largest share of the merged weights one upload may carry: a larger claimed data size is
    # capped (and the weight used recorded), so one site cannot replace the served model, or
    # swamp every later site, by claiming a huge data size that nobody can verify
    "max_share": 0.5,
}

#: Version of the model-file layout written by ``segment.model_io``.
MODEL_FORMAT_VERSION = 1

#: Huashan thigh IDEAL label values (no laterality, no AL) -> our muscle abbreviations.
HUASHAN_TO_MUSCLE = {1: "SAR", 2: "RF", 3: "VL", 4: "VI", 5: "VM", 6: "AM", 7: "GRA", 8: "BFL", 9: "ST",
                     10: "SM", 11: "BFS"}  # fmt: skip
