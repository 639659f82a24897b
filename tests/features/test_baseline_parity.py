"""Every PyRadiomics baseline value of the six feature classes, and its raw matrices, reproduced.

Known answers: ``reference/pyradiomics/data/baseline/baseline_<class>.csv`` (one test per column x class,
all features of the class compared within 1e-6 relative, 1e-12 absolute near zero, worst reported) and
``<case>_<class>.npy`` (the texture matrices of the plain configuration, compared exactly; NGTDM's
s_i column, a float sum, to 1e-12 relative). Images are read with SimpleITK and transposed to our
[i, j, k] order, as the engine expects.
"""

from __future__ import annotations

import ast
import csv
import functools
import importlib.util

import numpy as np
import pytest

from tests.reference_data import REFERENCE

sitk = pytest.importorskip("SimpleITK")

CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")
DATA = REFERENCE / "pyradiomics" / "data"
BASELINE = DATA / "baseline"
CASES = ("brain1", "brain2", "breast1", "lung1", "lung2")
PREPROCESSED = ("_normalization", "_resampling")


def _columns() -> list[tuple[str, str]]:
    out = []
    for cls in CLASSES:
        path = BASELINE / f"baseline_{cls}.csv"
        if path.is_file():
            with open(path, newline="") as fh:
                out += [(cls, c) for c in next(csv.reader(fh))[1:]]
    # column-major so that each case is loaded / preprocessed once for all classes (small caches)
    return sorted(out, key=lambda pair: (pair[1], CLASSES.index(pair[0])))


@functools.lru_cache(maxsize=None)
def _baseline(cls: str) -> dict[str, dict[str, str]]:
    with open(BASELINE / f"baseline_{cls}.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    return {c: {r[0]: r[i] for r in rows[1:]} for i, c in enumerate(rows[0]) if i > 0}


@functools.lru_cache(maxsize=2)
def _case(case: str):
    """(image sitk, mask sitk) as PyRadiomics reads them (mask as UInt32)."""
    image = sitk.ReadImage(str(DATA / f"{case}_image.nrrd"))
    mask = sitk.ReadImage(str(DATA / f"{case}_label.nrrd"), sitk.sitkUInt32)
    return image, mask


def _engine_settings(settings: dict) -> dict:
    """The settings compute_features takes (preprocessing keys are the extractor's)."""
    from myomri.config.features import SETTING_DEFAULTS

    keep = {k: v for k, v in settings.items() if k in SETTING_DEFAULTS}
    for k in ("normalize", "normalizeScale", "removeOutliers", "resampledPixelSpacing", "interpolator",
              "padDistance", "preCrop", "label"):
        keep.pop(k, None)
    return keep


@functools.lru_cache(maxsize=1)
def _preprocess(case: str, settings_text: str):
    """Normalise / resample with the feature pipeline's preprocessing (PyRadiomics recipe)."""
    from myomri.io.read import read_image
    from myomri.preprocess.normalize import normalize_image
    from myomri.preprocess.resample import resample_image_and_mask

    settings = ast.literal_eval(settings_text)
    img, msk = read_image(DATA / f"{case}_image.nrrd"), read_image(DATA / f"{case}_label.nrrd")
    if settings.get("normalize"):
        img = normalize_image(img, scale=settings.get("normalizeScale", 1),
                              remove_outliers=settings.get("removeOutliers"))
    if settings.get("resampledPixelSpacing"):
        img, msk = resample_image_and_mask(img, msk, spacing=settings["resampledPixelSpacing"],
                                           interpolator=settings.get("interpolator") or "sitkBSpline",
                                           label=1, pad_distance=settings.get("padDistance", 5))
    return np.asarray(img.array), np.asarray(msk.array) == 1, tuple(img.spacing)


@functools.lru_cache(maxsize=None)
def _features(cls: str, column: str) -> dict[str, float]:
    from myomri.features.compute import compute_features

    col = _baseline(cls)[column]
    settings = ast.literal_eval(col["diagnostics_Configuration_Settings"])
    case = col["diagnostics_Configuration_TestCase"]
    if column.endswith(PREPROCESSED):
        values, roi, spacing = _preprocess(case, col["diagnostics_Configuration_Settings"])
    else:
        image, mask = _case(case)
        # SimpleITK's numpy view is [z, y, x]; ours is [i, j, k] = its transpose
        values = sitk.GetArrayViewFromImage(image).T
        roi = sitk.GetArrayViewFromImage(mask).T == 1
        spacing = image.GetSpacing()
    return compute_features(values, roi, spacing=spacing, settings=_engine_settings(settings), classes=[cls])


def _preprocessing_available() -> bool:
    return all(importlib.util.find_spec(f"myomri.preprocess.{m}") is not None
               for m in ("normalize", "resample"))


@pytest.mark.parametrize("cls,column", _columns() or [pytest.param("none", "none", id="reference-data-missing")])
def test_baseline_column_matches_pyradiomics(reference, cls, column):
    if column.endswith(PREPROCESSED) and not _preprocessing_available():
        pytest.skip("needs preprocessing (feature pipeline)")
    col = _baseline(cls)[column]
    got = _features(cls, column)
    keys = [k for k in col if k.startswith(f"original_{cls}_")]
    assert sorted(f"original_{k}" for k in got) == sorted(keys)
    worst, report = 0.0, []
    for key in keys:
        want, have = float(col[key]), got[key.removeprefix("original_")]
        assert np.isfinite(have), f"{column} {key} is {have}"
        err = abs(have - want) if abs(want) < 1e-12 else abs(have - want) / abs(want)
        worst = max(worst, err)
        if err > (1e-12 if abs(want) < 1e-12 else 1e-6):
            report.append(f"{key}: {have!r} != {want!r} (rel {err:.2e})")
    assert not report, f"{column}: {len(report)}/{len(keys)} differ (worst {worst:.2e}): " + "; ".join(report)


@functools.lru_cache(maxsize=None)
def _texture_roi(case: str):
    from myomri.features._matrices import build_texture_roi
    from myomri.features.compute import prepare_roi
    from myomri.preprocess.discretize import discretize_values

    image, mask = _case(case)
    values, roi, _ = prepare_roi(sitk.GetArrayViewFromImage(image).T, sitk.GetArrayViewFromImage(mask).T == 1,
                                 settings={"binWidth": 25})
    levels = np.zeros(values.shape, dtype=np.int32)
    levels[roi] = discretize_values(values[roi], bin_width=25)[0]
    return build_texture_roi(levels, roi, spacing=image.GetSpacing(), pad=1, drop_axis=None)


@pytest.mark.parametrize("cls", ["glcm", "glrlm", "glszm", "gldm", "ngtdm"])
@pytest.mark.parametrize("case", CASES)
def test_texture_matrix_equals_pyradiomics_npy(reference, case, cls):
    from myomri.features import glcm, gldm, glrlm, glszm, ngtdm

    roi = _texture_roi(case)
    want = np.load(BASELINE / f"{case}_{cls}.npy")
    got = {
        "glcm": lambda: glcm.calculate_glcm(roi, distances=[1]),
        "glrlm": lambda: glrlm.calculate_glrlm(roi)[0],
        "glszm": lambda: glszm.calculate_glszm(roi)[0],
        "gldm": lambda: gldm.calculate_gldm(roi, distances=[1])[0],
        "ngtdm": lambda: ngtdm.calculate_ngtdm(roi, distances=[1]),
    }[cls]()
    assert got.shape == want.shape
    if cls == "ngtdm":
        np.testing.assert_array_equal(got[:, [0, 2]], want[:, [0, 2]])
        np.testing.assert_allclose(got[:, 1], want[:, 1], rtol=1e-12, atol=0)
    else:
        # exact, including the order of the 13 directions along the last axis of GLCM/GLRLM
        np.testing.assert_array_equal(got, want)
