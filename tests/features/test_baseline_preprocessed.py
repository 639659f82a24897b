"""PyRadiomics baseline columns ``<case>_normalization`` and ``<case>_resampling``: our normalisation /
resampling + ``compute_features`` reproduce every stored value within 1e-6 relative.

The recipe is that of ``reference/pyradiomics/README.md``; the settings come from each column's
``diagnostics_Configuration_Settings`` row and go through :class:`FeatureExtractor` as a parameter
mapping (so the params reader, preprocessing and column naming are all exercised).
"""

from __future__ import annotations

import ast
import csv
import functools
from pathlib import Path

import numpy as np
import pytest

from tests.reference_data import REFERENCE

CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")
BASELINE = REFERENCE / "pyradiomics" / "data" / "baseline"


def _columns() -> list[tuple[str, str]]:
    """(class, column) pairs of the preprocessed configurations (collected without failing)."""
    out = []
    for cls in CLASSES:
        f = BASELINE / f"baseline_{cls}.csv"
        if not f.is_file():
            continue
        with open(f, newline="") as fh:
            header = next(csv.reader(fh))
        out += [(cls, c) for c in header[1:] if c.endswith(("_normalization", "_resampling"))]
    return out


@functools.lru_cache(maxsize=None)
def _baseline(cls: str) -> dict[str, dict[str, str]]:
    with open(BASELINE / f"baseline_{cls}.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    return {c: {r[0]: r[i] for r in rows[1:]} for i, c in enumerate(header) if i > 0}


@functools.lru_cache(maxsize=4)
def _case(case: str):
    from myomri.io.read import read_image

    data = BASELINE.parent
    return read_image(data / f"{case}_image.nrrd"), read_image(data / f"{case}_label.nrrd")


@functools.lru_cache(maxsize=None)
def _extract(column: str, settings_text: str, case: str) -> dict[str, float]:
    from myomri.features.extractor import FeatureExtractor

    settings = ast.literal_eval(settings_text)
    # 'additionalInfo' etc. are valid PyRadiomics keys and pass through; all six classes at once
    params = {"setting": settings, "imageType": {"Original": {}}, "featureClass": {c: None for c in CLASSES}}
    image, mask = _case(case)
    return dict(FeatureExtractor(params).extract(image, mask))


@pytest.mark.slow
@pytest.mark.parametrize("cls,column", _columns() or [pytest.param("none", "none", id="reference-data-missing")])
def test_preprocessed_baseline_column_matches_pyradiomics(reference, cls, column):
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    col = _baseline(cls)[column]
    got = _extract(column, col["diagnostics_Configuration_Settings"], col["diagnostics_Configuration_TestCase"])
    keys = [k for k in col if k.startswith(f"original_{cls}_")]
    assert len(keys) > 0
    bad = []
    for k in keys:
        want = float(col[k])
        have = got[k]
        if not np.isclose(have, want, rtol=1e-6, atol=1e-12 if want == 0 else 0):
            bad.append(f"{k}: {have!r} != {want!r}")
    assert not bad, f"{column}: {len(bad)}/{len(keys)} differ: " + "; ".join(bad[:5])
