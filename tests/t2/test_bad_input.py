"""Bad input to the T2 models and to ``myomri t2fit``: clear typed errors, nothing half-written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import EchoTimeError, GeometryError, InputError, MaskError
from myomri.io.image import Image
from myomri.io.nifti import write_nifti
from myomri.t2 import EPGModel, MonoExpModel

TES = 10.0 * np.arange(1, 11)


def _data(shape=(4, 3, 2), t2=40.0):
    return np.broadcast_to(1000 * np.exp(-TES / t2), shape + (TES.size,)).copy()


@pytest.mark.parametrize("model", [MonoExpModel, EPGModel])
def test_fewer_than_three_echoes_raises_echo_time_error(model):
    with pytest.raises(EchoTimeError, match="at least 3"):
        model([10.0, 20.0])


@pytest.mark.parametrize("tes", [[10, 20, 20, 30], [10, 30, 20, 40]])
@pytest.mark.parametrize("model", [MonoExpModel, EPGModel])
def test_non_increasing_or_duplicate_echo_times_raise(model, tes):
    with pytest.raises(EchoTimeError, match="not strictly increasing"):
        model(tes)


@pytest.mark.parametrize("model", [MonoExpModel, EPGModel])
def test_echo_count_not_matching_data_raises(model):
    with pytest.raises(EchoTimeError, match="11 echoes"):
        model(TES).fit(np.ones((2, 2, 11)))


def test_epg_needs_a_cpmg_train():
    with pytest.raises(EchoTimeError, match="CPMG"):
        EPGModel([10.0, 20.0, 35.0, 40.0])


@pytest.mark.parametrize("model", [MonoExpModel, EPGModel])
def test_all_zero_volume_raises_input_error(model):
    with pytest.raises(InputError, match="all-zero"):
        model(TES).fit(np.zeros((3, 3, TES.size)))


@pytest.mark.parametrize("model", [MonoExpModel, EPGModel])
def test_all_nan_volume_raises_and_some_nan_are_marked(model):
    with pytest.raises(InputError, match="NaN"):
        model(TES).fit(np.full((2, 2, TES.size), np.nan))
    data = _data()
    data[0, 0, 0, 4] = np.nan
    fit = model(TES).fit(data)
    assert fit.counts()["invalid_data"] == 1 and fit.t2[0, 0, 0] == 0
    assert np.all(np.isfinite(fit.t2))


def test_mask_with_wrong_shape_or_empty_raises_mask_error():
    with pytest.raises(MaskError, match="does not match"):
        MonoExpModel(TES).fit(_data(), mask=np.ones((4, 3)))
    with pytest.raises(MaskError, match="empty"):
        MonoExpModel(TES).fit(_data(), mask=np.zeros((4, 3, 2)))


def test_failed_voxels_are_marked_not_raised():
    data = _data()
    data[1, 1, 0] = 1000 * np.exp(+TES / 40.0)  # a growing "decay": log-linear slope > 0
    fit = MonoExpModel(TES, noise_threshold=0).fit(data)
    assert fit.counts()["failed"] == 1 and fit.t2[1, 1, 0] == 0


def _write_series(tmp_path, data, spacing=(1.5, 1.5, 5.0), origin=(0.0, 0.0, 0.0)):
    path = tmp_path / "mese.nii.gz"
    write_nifti(Image(data.astype(np.float32), spacing=spacing, origin=origin), path)
    return path


def test_cli_mask_on_another_grid_without_overlap_raises_geometry_error(tmp_path, capsys):
    series = _write_series(tmp_path, _data())
    mask = tmp_path / "mask.nii.gz"
    write_nifti(Image(np.ones((4, 3, 2), np.uint8), spacing=(1.5, 1.5, 5.0), origin=(500.0, 0, 0)), mask)
    out = tmp_path / "out"
    rc = main(["t2fit", str(series), "-o", str(out), "--model", "mono",
               "--echo-times", ",".join(map(str, TES)), "--mask", str(mask)])
    err = capsys.readouterr().err
    assert rc == 2 and "GeometryError" not in err and "mask" in err.lower()
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(GeometryError):
        main(["--debug", "t2fit", str(series), "-o", str(out), "--model", "mono",
              "--echo-times", ",".join(map(str, TES)), "--mask", str(mask)])


def test_cli_echo_times_count_mismatch_exits_2_with_one_line(tmp_path, capsys):
    series = _write_series(tmp_path, _data())
    rc = main(["t2fit", str(series), "-o", str(tmp_path / "o"), "--echo-times", "10,20,30"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "3 echo times for 10 volumes" in err[0]


def test_cli_writes_maps_and_summary_on_input_grid(tmp_path):
    data = _data((5, 4, 2), t2=37.0)
    data[0, 0, 0] = 0.5  # below the noise threshold
    series = _write_series(tmp_path, data, origin=(10.0, -20.0, 30.0))
    out = tmp_path / "maps"
    rc = main(["t2fit", str(series), "-o", str(out), "--model", "mono", "--method", "nlls",
               "--echo-times", ",".join(map(str, TES)), "--noise-threshold", "10"])
    assert rc == 0
    from myomri.io.nifti import read_nifti

    t2 = read_nifti(out / "t2.nii.gz")
    assert t2.spatial_shape == (5, 4, 2) and np.allclose(t2.origin, (10.0, -20.0, 30.0))
    assert t2.array[0, 0, 0] == 0 and np.allclose(t2.array[1:, :, :], 37.0, atol=1e-3)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["below_noise"] == 1 and summary["counts"]["fitted"] == 39
    assert summary["free_parameters"] == ["t2", "m0"] and summary["model"] == "mono"


def test_cli_epg_fixed_ff_summary_lists_free_parameters(tmp_path):
    series = _write_series(tmp_path, _data((3, 3, 1), t2=33.0))
    out = tmp_path / "epg"
    rc = main(["t2fit", str(series), "-o", str(out), "--fat-fraction", "0",
               "--echo-times", ",".join(map(str, TES))])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["free_parameters"] == ["t2_water", "b1", "m0"]
    assert summary["fixed_parameters"]["fat_fraction"] == 0.0
    assert {"t2.nii.gz", "m0.nii.gz", "residual.nii.gz", "ff.nii.gz", "b1.nii.gz"} <= set(summary["files"])


def test_cli_jobs_2_gives_the_same_maps_as_jobs_1(tmp_path):
    rng = np.random.default_rng(2)
    data = _data((4, 4, 3), t2=35.0) * rng.uniform(0.8, 1.2, (4, 4, 3, 1))
    series = _write_series(tmp_path, data)
    tes = ",".join(map(str, TES))
    for jobs in (1, 2):
        assert main(["t2fit", str(series), "-o", str(tmp_path / f"j{jobs}"), "--echo-times", tes,
                     "--fat-fraction", "0", "--jobs", str(jobs)]) == 0
    from myomri.io.nifti import read_nifti

    a = read_nifti(tmp_path / "j1" / "t2.nii.gz").array
    b = read_nifti(tmp_path / "j2" / "t2.nii.gz").array
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert np.all(a > 0)


def test_cli_reads_echo_times_from_bids_sidecar_in_seconds(tmp_path):
    series = _write_series(tmp_path, _data((3, 3, 1), t2=42.0))
    (tmp_path / "mese.json").write_text(json.dumps({"EchoTime": (TES / 1000).tolist()}))
    out = tmp_path / "side"
    assert main(["t2fit", str(series), "-o", str(out), "--model", "mono"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    np.testing.assert_allclose(summary["settings"]["echo_times_ms"], TES)
    assert summary["statistics_of_fitted_voxels"]["t2"]["median"] == pytest.approx(42.0, abs=1e-3)


def test_cli_jobs_2_with_estimated_fat_t2_reports_it_free(tmp_path):
    from myomri.t2.dictionary import simulate_cpmg

    tes = 10.0 * np.arange(1, 18)
    ff = np.zeros((6, 5, 2))
    ff[:, :4] = 1.0  # 48 pure-fat voxels, 12 muscle voxels
    w = simulate_cpmg(30.0, esp=10.0, n_echoes=17, t1=1400.0, b1=0.95)
    f = simulate_cpmg(175.0, esp=10.0, n_echoes=17, t1=365.0, b1=0.95)
    data = 1000.0 * ((1 - ff[..., None]) * w + ff[..., None] * f)
    series = _write_series(tmp_path, data)
    out = tmp_path / "fat"
    assert main(["t2fit", str(series), "-o", str(out), "--echo-times", ",".join(map(str, tes)),
                 "--fat-t2", "estimate", "--jobs", "2", "--no-slice-profile"]) == 0  # simulated without one
    s = json.loads((out / "summary.json").read_text())
    assert abs(s["settings"]["fat_t2_ms"] - 175.0) < 1.0 and s["settings"]["pure_fat_voxels"] == 48
    assert "fat_t2 (one value for the volume)" in s["free_parameters"]
    assert "fat_t2_ms" not in s["fixed_parameters"]


def test_a_mono_exponential_method_given_to_the_epg_model_says_whose_method_it_is():
    with pytest.raises(InputError) as err:
        EPGModel(np.arange(1, 11) * 10.0, objective="nnls")
    assert "EPG fit method (objective) 'nnls' unknown; expected one of ['lsq', 'myoqmri']" in str(err.value)
    assert "methods of the mono-exponential model" in str(err.value)
