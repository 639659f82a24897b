"""Defaults of training from label maps (SynthSeg-style synthetic images, Billot et al., MedIA 2023).

The real thigh label maps label the 11 Huashan muscles only. A real image also shows the tissues
around them; without them the network would learn that anything outside a labelled muscle is
empty. ``segment.tissues`` adds them to every slice, with the codes below, before intensities are
drawn per tissue by ``segment.synth``.

Anatomical sizes (adult thigh, axial MRI): subcutaneous fat 3-30 mm thick (lean male to obese
female), skin 1-2 mm, femoral shaft cortex 3-6 mm around a marrow cavity of 10-20 mm diameter,
femoral vessels 5-10 mm in the adductor canal.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TISSUES", "N_TISSUES", "FIRST_EXTRA", "TISSUE_MM", "UNLABELLED_MUSCLE_PROB",
           "UNLABELLED_MIN_MM2", "MIN_MUSCLE_PX", "VARIANTS", "SYNTH", "MIX"]  # fmt: skip

#: Tissue codes of a synthetic tile: 0 air, 1..12 the muscles (segment_dl order), then these.
TISSUES: dict[str, int] = {
    "unlabelled_muscle": 13,  # adductor longus/brevis and any other muscle the map leaves out
    "intermuscular_fat": 14,
    "subcutaneous_fat": 15,
    "skin": 16,
    "cortex": 17,
    "marrow": 18,
    "vessel": 19,
}
FIRST_EXTRA: int = 13
N_TISSUES: int = 20

#: Ranges (mm) drawn per slice and leg.
TISSUE_MM: dict[str, tuple[float, float]] = {
    "subcutaneous_fat": (3.0, 30.0),
    "skin": (1.0, 2.5),
    "cortex": (2.5, 6.0),
    "fascia_closing": (6.0, 15.0),  # closing radius that turns the muscle union into its fascia envelope
    "femur_radius": (10.0, 15.0),  # used only where the map leaves no hole for the femur
    "vessel_radius": (2.0, 5.0),
}
#: A gap inside the fascia envelope at least this large (mm^2) is an unlabelled muscle with this probability
#: (else fat): the adductor longus and brevis occupy such gaps in the Huashan maps.
UNLABELLED_MIN_MM2: float = 150.0
UNLABELLED_MUSCLE_PROB: float = 0.6
#: Slices whose leg has fewer labelled muscle pixels (at the network's 2 mm) are skipped.
MIN_MUSCLE_PX: int = 150
#: Tissue variants drawn per label map (different fat thickness, femur, gap assignment).
VARIANTS: int = 2

#: On-the-fly intensity synthesis (``segment.synth.synthesize``).
SYNTH: dict[str, Any] = {
    "random_prob": 0.25,  # every tissue an independent random intensity (SynthSeg); else MR-like priors
    "muscle_sd": 0.04,  # spread of the means of individual muscles around the muscle mean
    "infiltrated_prob": 0.15,  # a muscle's mean moved towards fat (fatty replacement, dystrophies)
    "oedema_prob": 0.05,  # a muscle brighter than the others (oedema on STIR/T2)
    "texture_sd": (0.0, 0.06),
    "blur_px": (0.0, 1.0),
    "lowres_prob": 0.5,
    "lowres_factor": (1.0, 2.5),
    "fascia_weight": (0.0, 0.7),  # boundary pixels blended towards fat or towards black (out-of-phase)
    "bias_amplitude": 0.4,
    "gamma": (0.6, 1.6),
    "noise_sd": (0.0, 0.05),
    "scale": (0.75, 1.25),  # global intensity scale after normalisation (volume vs tile percentile)
}

#: Share of each source in a training batch (synthetic from label maps, real images, demo phantoms).
MIX: dict[str, Any] = {"synthetic": 0.6, "real": 0.25, "demo": 0.15}
