"""Robustness: ICC(1,1) against pingouin, perturbation properties, end-to-end ranking, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myomri.errors import InputError
from myomri.features.robustness import icc_1_1, perturb_mask
from myomri.io.image import Image


def test_icc_1_1_equals_pingouin_icc1_for_every_feature():
    pingouin = pytest.importorskip("pingouin")
    rng = np.random.default_rng(0)
    n, k, f = 12, 5, 4
    true = rng.normal(0, [1, 1, 0.2, 3], (n, 1, f))
    values = true + rng.normal(0, [0.3, 1.0, 0.5, 0.1], (n, k, f))
    ours = icc_1_1(values)
    for j in range(f):
        long = pd.DataFrame({"t": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n),
                             "y": values[:, :, j].ravel()})
        ref = pingouin.intraclass_corr(long, targets="t", raters="r", ratings="y").set_index("Type")
        assert ours[j] == pytest.approx(ref.loc["ICC(1,1)", "ICC"], rel=1e-10)


def test_icc_known_answers_and_constant_feature():
    assert icc_1_1(np.array([[1.0, 1.0], [2.0, 2.0], [5.0, 5.0]])) == pytest.approx(1.0)
    # no between-target variance, all within: (0 - MSW) / (0 + MSW) = -1
    assert icc_1_1(np.array([[1.0, 2.0], [1.0, 2.0]])) == pytest.approx(-1.0)
    assert np.isnan(icc_1_1(np.ones((3, 4))))
    with pytest.raises(InputError, match="at least 2 targets"):
        icc_1_1(np.ones((1, 4)))


def test_perturbations_are_seeded_stay_in_slice_and_near_the_roi():
    roi = np.zeros((30, 30, 3), bool)
    roi[8:22, 10:20, 1] = True
    a = [perturb_mask(roi, rng=np.random.default_rng(3)) for _ in range(1)]
    b = [perturb_mask(roi, rng=np.random.default_rng(3)) for _ in range(1)]
    np.testing.assert_array_equal(a[0], b[0])
    rng = np.random.default_rng(1)
    outs = [perturb_mask(roi, rng=rng) for _ in range(20)]
    assert all(not o[:, :, [0, 2]].any() for o in outs)  # a 2-D ROI stays in its slice
    dice = [2 * (o & roi).sum() / (o.sum() + roi.sum()) for o in outs]
    assert 0.6 < min(dice) and max(dice) < 1.0  # changed, but still the same structure
    assert len({o.tobytes() for o in outs}) > 15


def test_thick_slice_axis_is_not_perturbed():
    roi = np.zeros((30, 30, 5), bool)
    roi[8:22, 10:20, 1:4] = True
    rng = np.random.default_rng(2)
    outs = [perturb_mask(roi, rng=rng, spacing=(0.7, 0.7, 24.0)) for _ in range(10)]
    # every slice keeps its own in-plane ROI: nothing moves or grows across slices
    assert all(not o[:, :, [0, 4]].any() and all(o[:, :, k].any() for k in (1, 2, 3)) for o in outs)


def _two_region_case():
    """A smooth image region and a noisy one: smooth-texture features of several ROIs."""
    rng = np.random.default_rng(7)
    ii, jj = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    arr = 100 + 2 * ii + jj + rng.normal(0, 3, (64, 64))
    mask = np.zeros((64, 64), np.uint8)
    for lab, (i0, j0) in enumerate([(4, 4), (4, 36), (36, 4), (36, 36)], start=1):
        mask[i0:i0 + 22, j0:j0 + 22] = lab
        arr[i0:i0 + 22, j0:j0 + 22] += 40 * lab
    img = Image(arr[:, :, None].astype(np.float64))
    return img, img.with_array(mask[:, :, None])


@pytest.mark.slow
def test_mean_intensity_is_robust_between_roi_with_different_levels():
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    from myomri.features.robustness import assess_robustness

    img, mask = _two_region_case()
    params = {"setting": {"binWidth": 10}, "featureClass": {"firstorder": ["Mean", "Median", "Maximum"]}}
    table = assess_robustness([(img, mask, lab) for lab in (1, 2, 3, 4)], params=params, n=6, seed=0,
                              progress=False).set_index("feature")
    # the ROI means differ by 40 per label, perturbations move them by ~1: ICC close to 1
    assert table.loc["original_firstorder_Mean", "icc"] > 0.95
    assert bool(table.loc["original_firstorder_Mean", "robust_0.9"])
    assert set(table.columns) >= {"icc", "robust_0.75", "robust_0.9", "cv_within", "note"}
    again = assess_robustness([(img, mask, lab) for lab in (1, 2, 3, 4)], params=params, n=6, seed=0,
                              progress=False).set_index("feature")
    pd.testing.assert_frame_equal(table, again)  # deterministic for a seed


def test_single_target_is_an_input_error():
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    from myomri.features.robustness import assess_robustness

    img, mask = _two_region_case()
    with pytest.raises(InputError, match="at least 2 ROIs"):
        assess_robustness([(img, mask, 1)], n=3, progress=False)


def test_cli_robustness_writes_one_row_per_feature(tmp_path):
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    from myomri.cli import main
    from myomri.io.nifti import write_nifti

    img, mask = _two_region_case()
    write_nifti(img, tmp_path / "img.nii.gz")
    write_nifti(mask, tmp_path / "mask.nii.gz")
    params = tmp_path / "p.yaml"
    params.write_text("featureClass:\n  firstorder: [Mean, Variance]\n  glcm: [Contrast]\n")
    out = tmp_path / "rob.csv"
    rc = main(["robustness", str(tmp_path / "img.nii.gz"), str(tmp_path / "mask.nii.gz"), "--labels", "1", "2",
               "3", "--params", str(params), "--n", "3", "-o", str(out), "--no-progress"])
    assert rc == 0
    table = pd.read_csv(out)
    assert list(table["feature"]) == ["original_firstorder_Mean", "original_firstorder_Variance",
                                      "original_glcm_Contrast"]
    assert (table["n_targets"] == 3).all() and (table["n_perturbations"] == 3).all()


def test_normalising_once_per_target_equals_normalising_per_mask():
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    from myomri.features.extractor import FeatureExtractor
    from myomri.features.robustness import assess_robustness
    from myomri.preprocess.normalize import normalize_image

    img, mask = _two_region_case()
    pert = perturb_mask(mask.array == 2, rng=np.random.default_rng(0))
    pmask = mask.with_array(pert.astype(np.uint8))
    a = FeatureExtractor({"setting": {"normalize": True, "normalizeScale": 100, "binWidth": 5}}).extract(img, pmask)
    b = FeatureExtractor({"setting": {"binWidth": 5}}).extract(normalize_image(img, scale=100), pmask)
    feats = [k for k in a if not k.startswith("diagnostics_")]
    assert [a[k] for k in feats] == [b[k] for k in feats]
    table = assess_robustness([(img, mask, 1), (img, mask, 2)], n=2, seed=0, progress=False,
                              params={"setting": {"normalize": True, "normalizeScale": 100, "binWidth": 5},
                                      "featureClass": {"firstorder": ["Mean"]}})
    assert table["feature"].tolist() == ["original_firstorder_Mean"]


def _box_roi(shape, box):
    roi = np.zeros(shape, bool)
    roi[box] = True
    return roi


@pytest.mark.parametrize(
    "shape, box, spacing",
    [
        ((30, 30, 1), np.s_[8:22, 10:20, 0:1], (0.8, 0.8, 5.0)),  # 2-D ROI (one slice)
        ((24, 24, 24), np.s_[6:18, 7:17, 8:16], (1.0, 1.0, 1.0)),  # 3-D isotropic
        ((30, 30, 8), np.s_[8:22, 10:20, 2:6], (2.0, 2.0, 6.0)),  # 3-D thick slices (issue 16 #2)
    ],
    ids=["2d", "3d-isotropic", "3d-thick-slice"],
)
def test_perturbations_differ_from_the_original_roi(shape, box, spacing):
    roi = _box_roi(shape, box)
    rng = np.random.default_rng(0)
    outs = [perturb_mask(roi, rng=rng, spacing=spacing) for _ in range(10)]
    changed = [not np.array_equal(o, roi) for o in outs]
    assert sum(changed) >= 9  # a draw of grow 0, no flip and no shift is possible but rare
    assert len({o.tobytes() for o in outs}) >= 8


def test_thick_slice_perturbations_stay_in_plane_per_slice():
    roi = _box_roi((30, 30, 8), np.s_[8:22, 10:20, 2:6])
    rng = np.random.default_rng(4)
    for _ in range(10):
        out = perturb_mask(roi, rng=rng, spacing=(2.0, 2.0, 6.0))
        assert not out[:, :, [0, 1, 6, 7]].any()  # no growth or shift across the thick slices
        assert all(out[:, :, k].any() for k in range(2, 6))


@pytest.mark.slow
def test_shape_sensitive_minimum_is_not_perfectly_robust_on_thick_slices():
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    from myomri.features.robustness import assess_robustness

    rng = np.random.default_rng(11)
    arr = rng.normal(100, 20, (40, 40, 8))
    mask = np.zeros(arr.shape, np.uint8)
    mask[5:17, 6:18, 2:6] = 1
    mask[22:36, 20:34, 2:6] = 2
    arr[mask == 2] += 15
    img = Image(arr, spacing=(2.0, 2.0, 6.0))
    params = {"setting": {"binWidth": 5}, "featureClass": {"firstorder": ["Minimum", "Mean"]}}
    table = assess_robustness([(img, img.with_array(mask), lab) for lab in (1, 2)], params=params, n=5,
                              seed=0, progress=False).set_index("feature")
    # the minimum of noise moves with every boundary voxel: within-target variance, ICC below 1
    assert table.loc["original_firstorder_Minimum", "sd_within"] > 0
    assert table.loc["original_firstorder_Minimum", "icc"] < 0.99
