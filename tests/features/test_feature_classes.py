"""Feature classes: 2-D correctness (pyradiomics#710), analytic cases, invariances and bad input.

Known answers: PyRadiomics 3.0.1 values for a 2-D ROI stored in ``tests/data/pyradiomics/dims_*``
(made by ``benchmarks/make_pyradiomics_reference.py``), hand-computed matrices of tiny images, and
invariances (axis relabelling, slice mosaics) that must hold exactly.
"""

from __future__ import annotations


import numpy as np
import pytest

from myomri.errors import ConfigError, InputError, MaskError
from myomri.features.compute import FEATURE_CLASS_NAMES, compute_features, feature_names
from myomri.preprocess.discretize import compute_bin_edges, discretize_values

from tests.features._pyrad_reference import DATA, load_features, load_input
from tests.reference_data import missing_reference

CLASSES = ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")


def _close(a: dict, b: dict, rtol=1e-10):
    """Same keys (a key missing on either side fails) and values equal within ``rtol``."""
    assert a.keys() == b.keys(), {"only in first": sorted(a.keys() - b.keys()),
                                  "only in second": sorted(b.keys() - a.keys())}
    bad = {k: (a[k], b[k]) for k in a if not np.isclose(a[k], b[k], rtol=rtol, atol=1e-12)}
    assert not bad, bad


def _random_roi(seed=0, shape=(24, 20, 6), levels=40):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, levels * 10, size=shape).astype(np.int16)
    ii, jj, kk = np.indices(shape)
    roi = ((ii - 12) ** 2 / 100 + (jj - 10) ** 2 / 64 + (kk - 3) ** 2 / 9) < 1
    return values, roi


# ---------------------------------------------------------------- names


def test_feature_names_are_the_93_pyradiomics_names_of_the_baselines(reference):
    import csv

    names = feature_names(CLASSES)
    assert len(names) == 93 and len(set(names)) == 93
    counts = {c: sum(n.startswith(c + "_") for n in names) for c in CLASSES}
    assert counts == {"firstorder": 18, "glcm": 24, "gldm": 14, "glrlm": 16, "glszm": 16, "ngtdm": 5}
    base = reference / "pyradiomics" / "data" / "baseline"
    want = set()
    for cls in CLASSES:
        with open(base / f"baseline_{cls}.csv", newline="") as fh:
            want |= {r[0].removeprefix("original_") for r in csv.reader(fh) if r[0].startswith("original_")}
    assert set(names) == want


def test_compute_features_returns_names_in_feature_names_order():
    values, roi = _random_roi()
    got = compute_features(values, roi, spacing=(1, 1, 2), settings={}, classes=CLASSES)
    assert list(got) == feature_names(CLASSES)
    assert all(np.isfinite(v) for v in got.values())
    assert set(FEATURE_CLASS_NAMES) == set(CLASSES)


# ---------------------------------------------------------------- 2-D (pyradiomics#710)


@pytest.fixture(scope="module")
def slice_case():
    if not (DATA / "dims_true2d_input.npz").is_file():
        missing_reference("tests/data/pyradiomics reference cases absent")
    image, mask = load_input("dims_true2d")
    return np.asarray(image.array), np.asarray(mask.array) == 1, tuple(image.spacing)


def _pyrad(case):
    return {k.removeprefix("original_"): v for k, v in load_features(case).items() if k.startswith("original_")}


def test_true_2d_image_matches_pyradiomics_2d_values(slice_case):
    values, roi, spacing = slice_case
    got = compute_features(values[:, :, 0], roi[:, :, 0], spacing=spacing[:2], settings={"binWidth": 25},
                           classes=CLASSES)
    _close(got, _pyrad("dims_true2d"), rtol=1e-6)


@pytest.mark.parametrize("case,settings", [("dims_3d_oneslice", {}), ("dims_3d_force2d", {"force2D": True})])
def test_single_slice_volume_matches_pyradiomics(slice_case, case, settings):
    values, roi, spacing = slice_case
    got = compute_features(values, roi, spacing=spacing, settings={"binWidth": 25, **settings}, classes=CLASSES)
    _close(got, _pyrad(case), rtol=1e-6)


def test_single_slice_routes_agree_and_avoid_the_force2d_pitfall(slice_case):
    values, roi, spacing = slice_case
    s = {"binWidth": 25}
    true2d = compute_features(values[:, :, 0], roi[:, :, 0], spacing=spacing[:2], settings=s, classes=CLASSES)
    true2d_f2d = compute_features(values[:, :, 0], roi[:, :, 0], spacing=spacing[:2],
                                  settings={**s, "force2D": True}, classes=CLASSES)
    one = compute_features(values, roi, spacing=spacing, settings=s, classes=CLASSES)
    f2d = compute_features(values, roi, spacing=spacing, settings={**s, "force2D": True}, classes=CLASSES)
    texture = [k for k in one if not k.startswith("firstorder")]
    for other in (true2d, true2d_f2d, f2d):
        _close({k: one[k] for k in texture}, {k: other[k] for k in texture}, rtol=1e-12)
    # PyRadiomics' pitfall output (2-D image + force2D) is 1-D texture; ours is not
    pitfall = _pyrad("dims_true2d_force2d_pitfall")
    assert not np.isclose(true2d_f2d["glszm_ZoneVariance"], pitfall["glszm_ZoneVariance"], rtol=1e-3)
    # zones are 2-D (8-connected), not runs: GLSZM differs from GLRLM
    for zone, run in [("GrayLevelNonUniformity", "GrayLevelNonUniformity"),
                      ("GrayLevelVariance", "GrayLevelVariance"),
                      ("LargeAreaHighGrayLevelEmphasis", "LongRunHighGrayLevelEmphasis")]:
        assert not np.isclose(one[f"glszm_{zone}"], one[f"glrlm_{run}"], rtol=1e-3)


def test_checkerboard_zones_are_8_connected_in_plane():
    # a 4 x 4 checkerboard: each level forms ONE diagonal-connected zone of 8 pixels; runs are all length 1
    board = (np.indices((4, 4)).sum(axis=0) % 2 + 1).astype(float)
    roi = np.ones_like(board, dtype=bool)
    f = compute_features(board, roi, spacing=(1, 1), settings={"binWidth": 1}, classes=["glszm", "glrlm"])
    assert f["glszm_SmallAreaEmphasis"] == pytest.approx(1 / 64)
    assert f["glszm_ZonePercentage"] == pytest.approx(2 / 16)
    assert f["glszm_GrayLevelNonUniformity"] == pytest.approx(1.0)
    # along rows and columns every run has length 1; along the diagonals every run spans the diagonal
    # 4 directions: 2 with 16 runs of 1, 2 with runs of 1..4 -> mean SRE over directions
    diag = [1, 2, 3, 4, 3, 2, 1]  # run lengths along one diagonal direction
    sre_diag = np.mean([1 / r**2 for r in diag])
    assert f["glrlm_ShortRunEmphasis"] == pytest.approx((1 + 1 + 2 * sre_diag) / 4)


def test_force2d_volume_equals_mosaic_of_its_slices():
    values, roi = _random_roi(seed=3)
    vol = compute_features(values, roi, spacing=(1, 1, 3), settings={"binWidth": 10, "force2D": True},
                           classes=CLASSES)
    # lay the slices side by side along i with a 1-voxel gap outside the ROI: in-plane neighbourhoods only
    ni, nj, nk = values.shape
    mosaic_v = np.zeros(((ni + 1) * nk, nj), dtype=values.dtype)
    mosaic_m = np.zeros(mosaic_v.shape, dtype=bool)
    for k in range(nk):
        mosaic_v[k * (ni + 1): k * (ni + 1) + ni] = values[:, :, k]
        mosaic_m[k * (ni + 1): k * (ni + 1) + ni] = roi[:, :, k]
    mos = compute_features(mosaic_v, mosaic_m, spacing=(1, 1, 3), settings={"binWidth": 10}, classes=CLASSES)
    _close(vol, mos, rtol=1e-12)


def test_force2d_dimension_follows_pyradiomics_axis_order():
    values, roi = _random_roi(seed=4, shape=(16, 14, 12))
    s = {"binWidth": 10, "force2D": True}
    # PyRadiomics axis 0 (slices) is our k; its axis 2 (x) is our i: swapping i and k must swap the two
    a = compute_features(values, roi, spacing=(1, 1, 1), settings={**s, "force2Ddimension": 0}, classes=CLASSES)
    b = compute_features(values.transpose(2, 1, 0), roi.transpose(2, 1, 0), spacing=(1, 1, 1),
                         settings={**s, "force2Ddimension": 2}, classes=CLASSES)
    _close(a, b, rtol=1e-12)


def test_3d_features_invariant_to_in_plane_axis_swap():
    values, roi = _random_roi(seed=5)
    a = compute_features(values, roi, spacing=(1, 1, 1), settings={"binWidth": 10}, classes=CLASSES)
    b = compute_features(values.transpose(1, 0, 2), roi.transpose(1, 0, 2), spacing=(1, 1, 1),
                         settings={"binWidth": 10}, classes=CLASSES)
    _close(a, b, rtol=1e-12)


# ---------------------------------------------------------------- analytic and flat cases


def test_two_voxel_glcm_and_ngtdm_by_hand():
    values = np.array([[[1.0], [3.0]]])  # shape (1, 2, 1): two voxels, levels 1 and 3 (bin width 1)
    roi = np.ones(values.shape, dtype=bool)
    f = compute_features(values, roi, spacing=(1, 1, 1), settings={"binWidth": 1, "minimumROIDimensions": 1},
                         classes=["glcm", "ngtdm", "firstorder"])
    # one direction with a pair; symmetric GLCM: P = [[0, .5], [.5, 0]] over levels (1, 3)
    assert f["glcm_Contrast"] == pytest.approx(4.0)
    assert f["glcm_JointAverage"] == pytest.approx(2.0)
    assert f["glcm_Correlation"] == pytest.approx(-1.0)
    assert f["glcm_JointEntropy"] == pytest.approx(1.0)
    # NGTDM: each voxel's only neighbour differs by 2 -> s = (2, 2), p = (.5, .5)
    assert f["ngtdm_Coarseness"] == pytest.approx(1 / 2)
    assert f["ngtdm_Strength"] == pytest.approx(1 * 4 * 2 / 4)
    assert f["firstorder_Mean"] == 2.0 and f["firstorder_Range"] == 2.0
    # two voxels leave nothing inside [P10, P90]: PyRadiomics gives NaN, we give 0 (documented)
    assert f["firstorder_RobustMeanAbsoluteDeviation"] == 0.0


def test_ngtdm_counts_an_isolated_voxel_in_n_like_pyradiomics():
    # PyRadiomics 3.0.1 counts a voxel without neighbours in n_i (difference 0); IBSI leaves it out
    values = np.zeros((5, 5, 1))
    roi = np.zeros(values.shape, dtype=bool)
    for (i, j), v in {(1, 1): 1.0, (1, 2): 3.0, (3, 4): 1.0}.items():  # a pair and an isolated voxel
        values[i, j, 0], roi[i, j, 0] = v, True
    f = compute_features(values, roi, spacing=(1, 1, 1), settings={"binWidth": 1}, classes=["ngtdm"])
    # n = (2, 1), s = (2, 2), p = (2/3, 1/3): Busyness = (4/3 + 2/3) / (2 |2/3 - 3/3|) = 3 (IBSI: 1)
    assert f["ngtdm_Busyness"] == pytest.approx(3.0)
    assert f["ngtdm_Coarseness"] == pytest.approx(1 / 2)


def test_constant_roi_gives_pyradiomics_flat_region_values():
    values = np.full((6, 6, 3), 7.0)
    roi = np.ones(values.shape, dtype=bool)
    f = compute_features(values, roi, spacing=(1, 1, 1), settings={}, classes=CLASSES)
    assert all(np.isfinite(v) for v in f.values())
    assert f["glcm_Correlation"] == 1.0 and f["glcm_MCC"] == 1.0 and f["glcm_Imc2"] == 0.0
    assert f["ngtdm_Coarseness"] == 1e6 and f["ngtdm_Contrast"] == 0.0 and f["ngtdm_Busyness"] == 0.0
    assert f["firstorder_Skewness"] == 0.0 and f["firstorder_Kurtosis"] == 0.0
    assert f["firstorder_Variance"] == 0.0 and f["glszm_ZonePercentage"] == pytest.approx(1 / 108)


# ---------------------------------------------------------------- discretisation


def test_bin_width_edges_are_multiples_of_the_width():
    levels, edges = discretize_values(np.array([-7, 0, 24, 25, 60]), bin_width=25)
    assert edges[0] == -25 and np.all(np.diff(edges) == 25)
    assert levels.tolist() == [1, 2, 2, 3, 4]


def test_bin_count_puts_the_maximum_in_the_last_bin():
    x = np.linspace(0, 1, 101)
    levels, edges = discretize_values(x, bin_count=8)
    assert levels.min() == 1 and levels.max() == 8 and len(edges) == 9
    assert np.bincount(levels)[1:].sum() == x.size


@pytest.mark.parametrize("settings", [{"binWidth": 0}, {"binWidth": -5}, {"binWidth": float("nan")},
                                      {"binWidth": 10, "binCount": 32}, {"binWidth": None, "binCount": 0}])
def test_bad_binning_raises_config_error(settings):
    values, roi = _random_roi()
    with pytest.raises(ConfigError, match="bin"):
        compute_features(values, roi, spacing=(1, 1, 1), settings=settings, classes=["glcm"])


def test_bin_count_alone_replaces_the_default_bin_width():
    values, roi = _random_roi()
    f = compute_features(values, roi, spacing=(1, 1, 1), settings={"binCount": 16}, classes=["firstorder"])
    p = np.bincount(discretize_values(values[roi], bin_count=16)[0])[1:] / roi.sum()
    assert f["firstorder_Uniformity"] == pytest.approx(np.sum(p**2))
    with pytest.raises(ConfigError):
        compute_bin_edges(values[roi], bin_width=None, bin_count=None)


# ---------------------------------------------------------------- bad input


def test_empty_mask_raises_mask_error():
    values, roi = _random_roi()
    with pytest.raises(MaskError, match="empty"):
        compute_features(values, np.zeros_like(roi), spacing=(1, 1, 1), settings={}, classes=CLASSES)


def test_single_voxel_roi_raises_mask_error():
    values, _ = _random_roi()
    roi = np.zeros(values.shape, dtype=bool)
    roi[3, 4, 2] = True
    with pytest.raises(MaskError, match="single voxel"):
        compute_features(values, roi, spacing=(1, 1, 1), settings={"minimumROIDimensions": 1}, classes=CLASSES)


def test_roi_below_minimum_size_or_dimensions_raises_mask_error():
    values, roi = _random_roi()
    with pytest.raises(MaskError, match="minimumROISize"):
        compute_features(values, roi, spacing=(1, 1, 1), settings={"minimumROISize": int(roi.sum()) + 1},
                         classes=["firstorder"])
    line = np.zeros(values.shape, dtype=bool)
    line[2:9, 5, 3] = True
    with pytest.raises(MaskError, match="minimumROIDimensions"):
        compute_features(values, line, spacing=(1, 1, 1), settings={}, classes=["firstorder"])


def test_nan_inside_roi_raises_input_error_but_nan_outside_is_ignored():
    values, roi = _random_roi()
    values = values.astype(float)
    outside = np.argwhere(~roi)[0]
    values[tuple(outside)] = np.nan
    ok = compute_features(values, roi, spacing=(1, 1, 1), settings={}, classes=CLASSES)
    assert all(np.isfinite(v) for v in ok.values())
    values[tuple(np.argwhere(roi)[0])] = np.nan
    with pytest.raises(InputError, match="NaN"):
        compute_features(values, roi, spacing=(1, 1, 1), settings={}, classes=CLASSES)


def test_resegmentation_that_empties_the_roi_raises_mask_error():
    values, roi = _random_roi()
    with pytest.raises(MaskError, match="re-segmentation"):
        compute_features(values, roi, spacing=(1, 1, 1), settings={"resegmentRange": [10_000]},
                         classes=["firstorder"])


def test_shape_mismatch_unknown_setting_and_class_are_clear_errors():
    values, roi = _random_roi()
    with pytest.raises(InputError, match="does not match"):
        compute_features(values, roi[:-1], spacing=(1, 1, 1), settings={}, classes=["glcm"])
    with pytest.raises(ConfigError, match="binwidth"):
        compute_features(values, roi, spacing=(1, 1, 1), settings={"binwidth": 5}, classes=["glcm"])
    with pytest.raises(ConfigError, match="glcmm"):
        compute_features(values, roi, spacing=(1, 1, 1), settings={}, classes=["glcmm"])
    with pytest.raises(MaskError, match="0/1"):
        compute_features(values, roi.astype(np.uint8) * 2, spacing=(1, 1, 1), settings={}, classes=["glcm"])


def test_roi_without_neighbouring_voxels_raises_feature_error_for_neighbourhood_classes():
    from myomri.errors import FeatureError

    values = np.arange(64, dtype=float).reshape(8, 8, 1)
    roi = np.zeros(values.shape, dtype=bool)
    roi[1, 1, 0] = roi[5, 6, 0] = True  # two isolated voxels: no pair, no neighbourhood
    ok = compute_features(values, roi, spacing=(1, 1, 1), settings={"binWidth": 10},
                          classes=["firstorder", "glrlm", "glszm", "gldm"])
    assert ok["glszm_ZonePercentage"] == 1.0 and ok["gldm_SmallDependenceEmphasis"] == 1.0
    for cls in ("glcm", "ngtdm"):
        with pytest.raises(FeatureError, match="neighbour"):
            compute_features(values, roi, spacing=(1, 1, 1), settings={"binWidth": 10}, classes=[cls])


def test_asymmetric_glcm_joint_average_is_the_row_mean():
    values = np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1)  # a ramp along i: pairs (1,2) and (2,3)
    roi = np.ones(values.shape, dtype=bool)
    s = {"binWidth": 1, "minimumROIDimensions": 1}
    asym = compute_features(values, roi, spacing=(1, 1, 1), settings={**s, "symmetricalGLCM": False},
                            classes=["glcm"])
    sym = compute_features(values, roi, spacing=(1, 1, 1), settings=s, classes=["glcm"])
    # one direction; P = {(1,2): 1/2, (2,3): 1/2}: row mean 1.5; symmetric: 2
    assert asym["glcm_JointAverage"] == pytest.approx(1.5)
    assert sym["glcm_JointAverage"] == pytest.approx(2.0)
    assert asym["glcm_Contrast"] == pytest.approx(1.0) and sym["glcm_Contrast"] == pytest.approx(1.0)


def test_infinity_weighting_with_isotropic_voxels_equals_plain_merging_for_glcm():
    values, roi = _random_roi(seed=6)
    s = {"binWidth": 10}
    merged = compute_features(values, roi, spacing=(1, 1, 1), settings={**s, "weightingNorm": "no_weighting"},
                              classes=["glcm"])
    inf = compute_features(values, roi, spacing=(1, 1, 1), settings={**s, "weightingNorm": "infinity"},
                           classes=["glcm"])
    _close(merged, inf, rtol=1e-12)  # every direction weighs exp(-1): normalisation removes it
    manhattan = compute_features(values, roi, spacing=(1, 1, 1), settings={**s, "weightingNorm": "manhattan"},
                                 classes=["glcm"])
    assert not np.isclose(manhattan["glcm_Contrast"], merged["glcm_Contrast"], rtol=1e-6)


@pytest.mark.parametrize("mode,bounds", [("absolute", [150, 300]), ("relative", [0.4, 0.9]), ("sigma", [-1, 1])])
def test_resegmentation_equals_computing_on_the_pre_thresholded_roi(mode, bounds):
    values, roi = _random_roi(seed=7)
    roi_vals = values[roi].astype(float)
    lo, hi = {"absolute": bounds,
              "relative": [roi_vals.max() * b for b in bounds],
              "sigma": [roi_vals.mean() + roi_vals.std() * b for b in bounds]}[mode]
    cut = roi & (values >= lo) & (values <= hi)
    s = {"binWidth": 10}
    got = compute_features(values, roi, spacing=(1, 1, 1), classes=CLASSES,
                           settings={**s, "resegmentRange": bounds, "resegmentMode": mode})
    want = compute_features(values, cut, spacing=(1, 1, 1), settings=s, classes=CLASSES)
    _close(got, want, rtol=1e-12)
    assert got["firstorder_Minimum"] >= lo and got["firstorder_Maximum"] <= hi


def test_inputs_are_not_modified():
    values, roi = _random_roi(seed=8)
    v0, r0 = values.copy(), roi.copy()
    compute_features(values, roi, spacing=(1, 1, 1), settings={"resegmentRange": [100]}, classes=CLASSES)
    np.testing.assert_array_equal(values, v0)
    np.testing.assert_array_equal(roi, r0)


def test_absurdly_fine_binning_raises_feature_error_not_memory_error():
    from myomri.errors import FeatureError

    values, roi = _random_roi(seed=9)
    with pytest.raises(FeatureError, match="GiB"):  # ~40,000 levels: dense GLCMs of ~160 GiB
        compute_features(values * 1000.0, roi, spacing=(1, 1, 1), settings={"binWidth": 10}, classes=["glcm"])
    with pytest.raises(ConfigError, match="bins"):  # ~40 million bins: refused before any allocation
        compute_features(values * 1000.0, roi, spacing=(1, 1, 1), settings={"binWidth": 0.01},
                         classes=["firstorder"])


@pytest.mark.parametrize("settings", [{"voxelArrayShift": "2000"}, {"force2D": "yes"}, {"distances": [0]},
                                      {"weightingNorm": "cosine"}, {"resegmentMode": "percent"},
                                      {"minimumROISize": 0}, {"gldm_a": -1}, {"force2Ddimension": 3}])
def test_invalid_setting_values_raise_config_error_naming_the_setting(settings):
    values, roi = _random_roi()
    key = next(iter(settings))
    with pytest.raises(ConfigError, match=key):
        compute_features(values, roi, spacing=(1, 1, 1), settings=settings, classes=["firstorder", "glcm"])


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.int32])
@pytest.mark.parametrize("width", [1, 3, 25, 25.0])
def test_integer_binning_shortcut_equals_digitize_on_the_edges(dtype, width):
    rng = np.random.default_rng(10)
    low = 0 if np.dtype(dtype).kind == "u" else -700
    x = rng.integers(low, 3000, size=5000).astype(dtype)
    levels, edges = discretize_values(x, bin_width=width)
    np.testing.assert_array_equal(levels, np.digitize(x, edges))


def test_sorted_copy_percentiles_equal_numpy_percentile_bit_for_bit():
    from myomri.features.firstorder import _percentiles

    rng = np.random.default_rng(1)
    for trial in range(400):
        n = int(rng.integers(2, 4000))
        x = rng.normal(rng.uniform(-1e4, 1e4), rng.uniform(1e-3, 1e3), n)
        if trial % 2:
            x = np.round(x)  # ties, as in integer MR intensities
        q = (10, 25, 50, 75, 90)
        np.testing.assert_array_equal(_percentiles(x, q), np.percentile(x, q))


def test_first_order_moments_match_numpy_definitions():
    from myomri.features.firstorder import compute_firstorder

    rng = np.random.default_rng(2)
    x = np.round(rng.gamma(3.0, 80.0, 20_000))
    f = compute_firstorder(x, np.ones(x.size, int), spacing=(1.0, 1.0, 2.0), voxel_array_shift=10)
    dev = x - x.mean()
    band = x[(x >= np.percentile(x, 10)) & (x <= np.percentile(x, 90))]
    expected = {"Energy": np.sum((x + 10) ** 2), "TotalEnergy": 2 * np.sum((x + 10) ** 2), "Variance": np.var(x),
                "Skewness": np.mean(dev**3) / np.var(x) ** 1.5, "Kurtosis": np.mean(dev**4) / np.var(x) ** 2,
                "MeanAbsoluteDeviation": np.mean(np.abs(dev)), "Minimum": x.min(), "Maximum": x.max(),
                "RobustMeanAbsoluteDeviation": np.mean(np.abs(band - band.mean())), "Range": np.ptp(x)}
    for name, want in expected.items():
        assert f[name] == pytest.approx(want, rel=1e-12), name

