"""Seeded synthetic radiomics study with planted, known structure (test data only).

* 74 subjects, classes PM/DM/ADM (25/25/24). Features ``sig_a``, ``sig_b``, ``sig_c`` carry the class
  signal (class means 0, +-SEPARATION in SD units); ``sig_a_copy`` = ``sig_a`` + 5% noise (collinear,
  r ~ 0.999); ``noise_1..noise_5`` are pure noise; ``shaky_inter`` and ``shaky_intra`` are pure noise
  with a large reader error in R2 (inter) and in R1b (intra) respectively.
* Readers: R1 (reference), R2 (second reader), R1b (R1 again). Reader error is 5% of the subject
  SD, except the two planted unreliable cases (200%): their ICC(A,1) is ~0.2, all others ~0.998.
* Clinical: ``group`` (PM/DM/ADM), ``anti_jo1`` (positive/negative, driven by ``sig_b``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIGNAL = ["sig_a", "sig_b", "sig_c"]
NOISE = [f"noise_{i}" for i in range(1, 6)]
SHAKY = ["shaky_inter", "shaky_intra"]
FEATURES = SIGNAL + ["sig_a_copy"] + NOISE + SHAKY
CLASSES = ["PM", "DM", "ADM"]
SEPARATION = 1.5


def make_study_tables(seed: int = 0, n_per_class=(25, 25, 24)):
    rng = np.random.default_rng(seed)
    group = np.repeat(CLASSES, n_per_class)
    n = group.size
    y = np.repeat(np.arange(3), n_per_class)
    true = rng.normal(size=(n, len(FEATURES)))
    shifts = np.array([[0.0, SEPARATION, -SEPARATION], [SEPARATION, -SEPARATION, 0.0], [-SEPARATION, 0.0, SEPARATION]])
    for j in range(3):
        true[:, j] += shifts[j][y]
    true[:, 3] = true[:, 0] + 0.05 * rng.normal(size=n)
    subjects = [f"S{i:03d}" for i in range(n)]
    rows = []
    for reader in ("R1", "R2", "R1b"):
        err = np.full(len(FEATURES), 0.05)
        if reader == "R2":
            err[FEATURES.index("shaky_inter")] = 2.0
        if reader == "R1b":
            err[FEATURES.index("shaky_intra")] = 2.0
        vals = true + rng.normal(size=true.shape) * err
        if reader == "R1":
            vals[:, 3] = true[:, 3]
        df = pd.DataFrame(vals, columns=FEATURES)
        df.insert(0, "reader", reader)
        df.insert(0, "subject", subjects)
        rows.append(df)
    features = pd.concat(rows, ignore_index=True)
    jo1 = np.where(true[:, 1] + 0.5 * rng.normal(size=n) > 0.8, "positive", "negative")
    clinical = pd.DataFrame({"subject": subjects, "group": group, "anti_jo1": jo1})
    return features, clinical


def write_study(tmp_path, *, seed: int = 0, **overrides) -> "Path":
    """Write features.csv, clinical.csv and study.yaml into tmp_path; returns the study path."""
    import yaml

    features, clinical = make_study_tables(seed)
    features.to_csv(tmp_path / "features.csv", index=False)
    clinical.to_csv(tmp_path / "clinical.csv", index=False)
    study = {
        "features": "features.csv",
        "clinical": "clinical.csv",
        "reference_reader": "R1",
        "reproducibility": {"inter": ["R1", "R2"], "intra": ["R1", "R1b"], "icc": "A1", "threshold": 0.8},
        "collinearity": 0.7,
        "tasks": [{"name": "groups", "target": "group", "classes": CLASSES}],
        "selection": {"mode": "nested", "univariate_p": 0.05, "k": [2, 3]},
        "classifiers": ["lda", "knn"],
        "validation": {"folds": 5, "repeats": 2, "seed": 0},
        "bootstrap": 200,
    }
    study.update(overrides)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path
