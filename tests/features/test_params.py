"""PyRadiomics parameter files: read as-is, every problem reported at once, stable hash."""

from __future__ import annotations

import pytest

from myomri.config.features import SETTING_DEFAULTS
from myomri.errors import ConfigError, MissingFileError
from myomri.features.params import read_params


def test_no_params_gives_pyradiomics_defaults_original_image_and_six_classes():
    p = read_params(None)
    assert p.settings["binWidth"] == 25 and p.settings["lbp2DSamples"] == 8
    assert list(p.image_types) == ["Original"]
    assert set(p.feature_classes) == {"firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm"}


def test_reads_pyradiomics_example_file_as_is(reference):
    # exampleMR_5mm.yaml uses LoG and Wavelet, which we do not implement: they must be named.
    with pytest.raises(ConfigError) as err:
        read_params(reference / "pyradiomics" / "params" / "exampleMR_5mm.yaml")
    text = str(err.value)
    assert "'LoG'" in text and "'Wavelet'" in text and "exampleMR_5mm.yaml" in text


def test_yaml_file_with_lbp_override_resolves_per_image_type(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(
        "setting:\n  normalize: true\n  normalizeScale: 100\n  resampledPixelSpacing: [3, 3, 3]\n"
        "  binWidth: 5\n  force2D: true\nimageType:\n  Original: {}\n  LBP2D:\n    binWidth: 1\n"
        "featureClass:\n  firstorder:\n  glcm: [Contrast, Idm]\n"
    )
    p = read_params(f)
    assert p.settings_for("Original")["binWidth"] == 5
    assert p.settings_for("LBP2D")["binWidth"] == 1
    assert p.settings_for("LBP2D")["normalizeScale"] == 100
    assert p.feature_classes == {"firstorder": None, "glcm": ["Contrast", "Idm"]}
    assert p.source == str(f)


def test_every_problem_is_reported_at_once_with_valid_keys_listed():
    with pytest.raises(ConfigError) as err:
        read_params({
            "setting": {"binwidth": 5, "normalize": "yes", "padDistance": -1},
            "imageType": {"Original": {}, "Gabor": {}},
            "featureClass": {"glcm": None, "texture": None},
            "voxelSetting": {},
        })
    problems = err.value.problems
    assert len(problems) == 6
    joined = " | ".join(problems)
    assert "unknown setting 'binwidth'" in joined and "binWidth" in joined  # lists the valid ones
    assert "'normalize' is 'yes'" in joined
    assert "'padDistance' is -1" in joined
    assert "'Gabor'" in joined and "'texture'" in joined and "'voxelSetting'" in joined


@pytest.mark.parametrize("value", [0, -5, "5", True, None])
def test_bin_width_must_be_positive_number(value):
    with pytest.raises(ConfigError, match="binWidth"):
        read_params({"setting": {"binWidth": value}})


def test_bin_width_and_bin_count_together_are_rejected():
    with pytest.raises(ConfigError, match="both binWidth .* and binCount"):
        read_params({"setting": {"binWidth": 5, "binCount": 32}})
    with pytest.raises(ConfigError, match="imageType LBP2D.*both binWidth"):
        read_params({"imageType": {"LBP2D": {"binWidth": 1, "binCount": 8}}})


def test_bin_count_alone_disables_default_bin_width():
    p = read_params({"setting": {"binCount": 64}})
    assert p.settings["binCount"] == 64 and p.settings["binWidth"] is None
    # a per-type bin width replaces the global bin count for that image type only
    p = read_params({"setting": {"binCount": 64}, "imageType": {"Original": {}, "LBP2D": {"binWidth": 1}}})
    assert p.settings_for("LBP2D")["binCount"] is None
    assert p.settings_for("Original")["binCount"] == 64


@pytest.mark.parametrize(
    "key,value",
    [("interpolator", "bspline"), ("resampledPixelSpacing", [3, 3, 3, 3]), ("force2Ddimension", 3),
     ("weightingNorm", "l2"), ("resegmentRange", [5, 1]), ("lbp2DMethod", "fancy"), ("distances", []),
     ("label", 0), ("minimumROISize", 0), ("removeOutliers", -1)],
)
def test_invalid_setting_values_are_named(key, value):
    with pytest.raises(ConfigError, match=key):
        read_params({"setting": {key: value}})


def test_unknown_feature_name_in_class_list_is_named():
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    with pytest.raises(ConfigError, match="unknown glcm feature.*'Contrastt'"):
        read_params({"featureClass": {"glcm": ["Contrastt"]}})


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(MissingFileError, match="parameter file not found"):
        read_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("setting: [binWidth: 5\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_params(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        read_params(lst)


def test_settings_hash_is_stable_and_sensitive():
    a = read_params({"setting": {"binWidth": 5, "normalize": True}})
    b = read_params({"setting": {"normalize": True, "binWidth": 5}})
    c = read_params({"setting": {"normalize": True, "binWidth": 6}})
    assert a.hash == b.hash != c.hash
    assert len(a.hash) == 16
    # explicit defaults hash like omitted ones
    assert read_params({"setting": {"binWidth": SETTING_DEFAULTS["binWidth"]}}).hash == read_params(None).hash
    assert read_params({"setting": {"binWidth": 25}}).hash == read_params({"setting": {"binWidth": 25.0}}).hash


def test_shape_classes_are_reported_as_not_implemented():
    pytest.importorskip("myomri.features.compute", exc_type=ImportError)
    with pytest.raises(ConfigError, match="'shape' is not implemented"):
        read_params({"featureClass": {"shape": None, "glcm": None}})
