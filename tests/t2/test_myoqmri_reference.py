"""Our T2 fits on the MyoQMRI calf series against MyoQMRI 2.0.2's own maps (reference data)."""

from __future__ import annotations

import numpy as np
import pytest

read = pytest.importorskip("myomri.io.read", reason="myomri.io.read (DICOM reader) is missing")


@pytest.fixture(scope="module")
def calf(reference):
    folder = reference / "muscle" / "myoqmri_mese_calf"
    series = read.read_image(folder / "dicom")
    maps = {
        k: read.read_image(folder / "myoqmri_2.0.2_output" / f"{k}.nii.gz")
        for k in ("water_T2_ms", "fat_fraction", "b1_factor")
    }
    # MyoQMRI's NIfTI stores rows first: its axes 0/1 are our j/i (checked by the io tests)
    np.testing.assert_allclose(series.affine_ras[:, [1, 0, 2, 3]], maps["water_T2_ms"].affine_ras, atol=2e-3)
    ref = {k: v.array.transpose(1, 0, 2).astype(float) for k, v in maps.items()}
    water = (ref["water_T2_ms"] > 0) & (ref["fat_fraction"] < 0.1)
    return series, ref, water


def test_loglinear_mono_of_echoes_2_to_17_gives_readme_48_ms(calf):
    from myomri.t2 import MonoExpModel

    series, ref, water = calf
    fit = MonoExpModel(series.echo_times, drop_first_echo=True, noise_threshold=300).fit(
        series.array, mask=water
    )
    t2 = fit.t2[water]
    assert water.sum() == 17842
    assert abs(np.median(t2) - 48.0) < 0.1
    assert abs(np.percentile(t2, 25) - 44.0) < 0.1 and abs(np.percentile(t2, 75) - 51.7) < 0.1


@pytest.mark.slow
def test_epg_water_t2_matches_myoqmri_within_half_ms_median(calf):
    """Same model options as MyoQMRI 2.0.2: 17 echoes, FF free, its slice profile, fat T2 151 ms,
    T1 1400/365 ms, noise threshold 300, T2 20-80 ms, B1 0.5-1.2, and its matching criterion
    (squared signals normalised to the first echo). Our grid is finer and the result continuous;
    MyoQMRI's values sit on its 1.017 ms grid, which alone gives ~0.25 ms median |dT2|; measured
    0.47 ms, median difference -0.06 ms."""
    from myomri.t2 import EPGModel

    series, ref, water = calf
    model = EPGModel(
        series.echo_times, fat_t2=151.0, slice_profile=True, profile_sampling="myoqmri",
        objective="myoqmri", noise_threshold=300, t2_grid=(20, 80, 121), b1_grid=(0.5, 1.2, 29),
    )
    fit = model.fit(series.array, mask=water)
    assert fit.fitted[water].all()
    d = fit.t2[water] - ref["water_T2_ms"][water]
    assert np.median(np.abs(d)) <= 0.5, np.median(np.abs(d))
    assert abs(np.median(d)) < 0.1
    assert np.median(np.abs(fit.b1[water] - ref["b1_factor"][water])) < 0.02


@pytest.mark.slow
def test_epg_default_least_squares_is_close_to_myoqmri(calf):
    """Our default criterion (least squares on magnitudes) differs from MyoQMRI's; it lands
    about 1 ms higher in these voxels, far from the 48 ms of the mono-exponential fit."""
    from myomri.t2 import EPGModel

    series, ref, water = calf
    fit = EPGModel(series.echo_times, slice_profile=True, profile_sampling="myoqmri",
                   noise_threshold=300).fit(series.array, mask=water)
    d = fit.t2[water] - ref["water_T2_ms"][water]
    # measured: median difference +0.98 ms, median |difference| 1.16 ms
    assert 0.5 < np.median(d) < 1.5 and np.median(np.abs(d)) < 1.5


def test_t2fit_cli_on_the_dicom_folder_writes_maps_on_the_dicom_grid(reference, tmp_path, calf):
    import json

    from myomri.cli import main
    from myomri.io.nifti import write_nifti

    series, ref, water = calf
    mask = np.zeros(series.spatial_shape, np.uint8)
    mask[:, :, 4] = water[:, :, 4]
    write_nifti(series.volume(0).with_array(mask), tmp_path / "mask.nii.gz")
    out = tmp_path / "maps"
    rc = main(["t2fit", str(reference / "muscle" / "myoqmri_mese_calf" / "dicom"), "-o", str(out),
               "--mask", str(tmp_path / "mask.nii.gz"), "--slice-profile", "--noise-threshold", "300"])
    assert rc == 0
    t2 = read.read_image(out / "t2.nii.gz")
    np.testing.assert_allclose(t2.affine_ras, series.affine_ras, atol=1e-4)
    s = json.loads((out / "summary.json").read_text())
    assert s["counts"]["fitted"] == mask.sum() and s["counts"]["outside_mask"] == mask.size - mask.sum()
    assert 26.0 < s["statistics_of_fitted_voxels"]["t2"]["median"] < 32.0
    assert set(s["free_parameters"]) == {"t2_water", "b1", "m0", "ff"}
