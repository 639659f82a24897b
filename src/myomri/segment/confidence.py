"""How far to trust a per-muscle segmentation, slice by slice.

Per slice (both legs' tiles together):

* ``probability``: the mean, over the pixels labelled as a muscle, of the network's winning
  softmax probability. A network sure of its anatomy gives values near 1; blurred boundaries and
  unfamiliar anatomy pull it down.
* ``muscles``: how many of the 11 thigh muscles present in every labelled map (AL excluded) cover
  at least ``min_area_mm2`` in the slice; a mid-thigh slice shows all of them, a calf or a pelvis
  only a few.

* ``coherence``: the share of the slice's muscle pixels that belong to their muscle's largest 3-D
  connected body (what the clean-up keeps). Every thigh muscle is one body, so a thigh scores
  > 0.99; anatomy the network has not learnt (a calf, a pelvis) comes out in fragments (~0.85).

A slice is flagged for review when any falls below its threshold
(:data:`myomri.config.segment_dl.CONFIDENCE`); the volume is ``low_confidence`` when most slices
with any muscle are flagged, or none has a muscle at all. End slices (near the hip or knee, where
muscles end) are often flagged: that is what a reviewer should look at first.
"""

from __future__ import annotations

import numpy as np

from ..config import segment_dl as cfg
from ..config.labels import MUSCLES

__all__ = ["slice_confidence", "with_coherence", "summarise_confidence"]

_SCORED = [i for i, m in enumerate(MUSCLES, start=1) if m != "AL"]


def slice_confidence(probs: np.ndarray, n_slices: int, *, pixel_mm: float, params: dict | None = None) -> list[dict]:
    """One record per slice from tile probabilities ``(2 * n_slices, C, T, T)`` (right tiles, then left)."""
    p = dict(cfg.CONFIDENCE, **(params or {}))
    min_px = p["min_area_mm2"] / pixel_mm**2
    out = []
    for k in range(n_slices):
        pk = probs[[k, n_slices + k]]
        win = pk.argmax(axis=1)
        top = pk.max(axis=1)
        muscle = win > 0
        prob = float(top[muscle].mean()) if muscle.any() else 0.0
        counts = [max(int((win[s] == i).sum()) for s in range(2)) for i in _SCORED]
        found = int(sum(c >= min_px for c in counts))
        flagged = bool(prob < p["min_probability"] or found < p["min_muscles"])
        out.append({"slice": k, "probability": round(prob, 4), "muscles": found, "flagged": flagged,
                    "has_muscle": bool(muscle.any())})  # fmt: skip
    return out


def with_coherence(slices: list[dict], coherence, params: dict | None = None) -> list[dict]:
    """Add each slice's ``coherence`` (share of its muscle pixels in their muscle's largest 3-D
    component) and flag the slices below ``min_coherence``."""
    p = dict(cfg.CONFIDENCE, **(params or {}))
    out = []
    for rec, c in zip(slices, np.asarray(coherence, dtype=float), strict=True):
        low = bool(rec["has_muscle"] and c < p["min_coherence"])
        out.append({**rec, "coherence": round(float(c), 4), "flagged": bool(rec["flagged"] or low)})
    return out


def summarise_confidence(slices: list[dict], params: dict | None = None) -> dict:
    """The volume's verdict and the list of slices to review."""
    p = dict(cfg.CONFIDENCE, **(params or {}))
    with_muscle = [s for s in slices if s["has_muscle"]]
    flagged = [s["slice"] for s in slices if s["flagged"] and s["has_muscle"]]
    share = len(flagged) / len(with_muscle) if with_muscle else 1.0
    probs = [s["probability"] for s in with_muscle]
    return {
        "low_confidence": bool(not with_muscle or share > p["max_flagged_fraction"]),
        "median_probability": round(float(np.median(probs)), 4) if probs else 0.0,
        "flagged_slices": flagged,
        "flagged_fraction": round(share, 3),
        "thresholds": {
            k: p[k] for k in ("min_probability", "min_muscles", "min_area_mm2", "min_coherence", "max_flagged_fraction")
        },
        "slices": slices,
    }
