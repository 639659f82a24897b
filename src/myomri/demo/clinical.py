"""Clinical table of the demo cohort: demographics, muscle enzymes, ILD score, autoantibodies.

Muscle enzymes are log-normal and rise with the subject's mean muscle water T2 (the T2 paper
found positive Spearman correlations with CK, ALT, AST and LDH): ``log(E) = a + b (T2 - 34)/10 +
group offset + noise`` with a shared noise component (enzymes correlate with each other). The ILD
score (severity 0-4 + extent 0-4, as in the T2 paper) is independent of T2 (rs = 0.23, ns, in the
paper) but more likely and higher with anti-ARS antibodies. Antibody status is known only for a
subset (others are missing, not negative).
"""

from __future__ import annotations

import numpy as np

from ..config.demo import DemoConfig

__all__ = ["ENZYMES", "draw_demographics", "draw_clinical"]

ENZYMES = ("CK", "ALT", "AST", "LDH")


def draw_demographics(rng: np.random.Generator, config: DemoConfig, group: str) -> dict:
    """Sex, age and the latent anti-ARS / anti-Jo-1 status of one subject."""
    gp = config.groups[group]
    female = bool(rng.random() < gp.female)
    age = int(np.clip(round(rng.normal(*gp.age)), 18, 85))
    ars = bool(rng.random() < gp.ars_prob)
    jo1 = bool(ars and rng.random() < config.jo1_fraction_of_ars)
    tested = bool(rng.random() < gp.antibody_tested)
    return {"female": female, "age": age, "ars": ars, "jo1": jo1, "tested": tested}


def draw_clinical(rng: np.random.Generator, config: DemoConfig, group: str, demo: dict, t2_mean: float) -> dict:
    """Clinical record of one subject given its demographics and realised mean muscle T2 (ms)."""
    gp = config.groups[group]
    shared = rng.normal(0.0, 1.0)
    rec: dict[str, object] = {"age": demo["age"], "sex": "F" if demo["female"] else "M", "group": group}
    for name in ENZYMES:
        sd = config.enzyme_noise_sd[name]
        noise = sd * (0.6 * shared + 0.8 * rng.normal())
        offset = gp.log_ck_offset if name == "CK" else 0.5 * gp.log_ck_offset
        log_e = config.enzyme_intercepts[name] + config.enzyme_slopes[name] * (t2_mean - 34.0) / 10.0
        rec[name] = int(max(5, round(float(np.exp(log_e + offset + noise)))))
    ild_prob = min(0.95, gp.ild_prob + (config.ild_ars_extra_prob if demo["ars"] else 0.0))
    if rng.random() < ild_prob:
        boost = config.ild_ars_score_boost if demo["ars"] else 0.0
        severity = int(np.clip(round(rng.normal(2.2 + boost, 0.8)), 1, 4))
        extent = int(np.clip(round(rng.normal(2.2 + boost, 0.8)), 1, 4))
        rec["ILD_score"] = severity + extent
    else:
        rec["ILD_score"] = 0
    rec["anti_Jo1"] = (1 if demo["jo1"] else 0) if demo["tested"] else None
    rec["anti_ARS"] = (1 if demo["ars"] else 0) if demo["tested"] else None
    return rec
