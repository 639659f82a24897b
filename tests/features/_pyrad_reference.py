"""Load the PyRadiomics 3.0.1 reference cases of ``tests/data/pyradiomics`` (made by
``benchmarks/make_pyradiomics_reference.py``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from myomri.io.image import Image

DATA = Path(__file__).resolve().parents[1] / "data" / "pyradiomics"


def load_input(case: str) -> tuple[Image, Image]:
    """Image and mask of a reference case."""
    z = np.load(DATA / f"{case}_input.npz")
    geo = dict(spacing=z["spacing"], origin=z["origin"], direction=z["direction"])
    return Image(z["image"], **geo), Image(z["mask"], **geo)


def load_params(case: str) -> dict:
    return json.loads((DATA / f"{case}_params.json").read_text())


def load_features(case: str) -> dict[str, float]:
    with open(DATA / f"{case}_features.csv", newline="") as fh:
        return {row["feature"]: float(row["value"]) for row in csv.DictReader(fh)}


def load_preprocessed(case: str) -> dict[str, np.ndarray]:
    return dict(np.load(DATA / f"{case}_preprocessed.npz"))
