"""A Dixon fat-fraction map carried onto the T2 grid fixes FF in the EPG fit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import GeometryError, InputError
from myomri.io.image import Image
from myomri.io.nifti import write_nifti
from myomri.t2.dictionary import simulate_cpmg
from myomri.t2.fatmap import ff_on_grid


def _linear_ff_map(percent=False):
    # FF = 0.01 * x_mm on a 1 mm grid covering x 0..39 mm, y 0..39, z -10..10
    i, j, k = np.indices((40, 40, 21))
    ff = 0.01 * i.astype(float)
    return Image(ff * (100 if percent else 1), spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, -10.0))


@pytest.mark.parametrize("percent", [False, True])
def test_linear_ff_field_is_interpolated_exactly_on_a_coarser_shifted_grid(percent):
    target = Image(np.zeros((8, 8, 2)), spacing=(2.5, 2.5, 5.0), origin=(3.3, 1.0, -2.0))
    ff = ff_on_grid(_linear_ff_map(percent), target)
    x = 3.3 + 2.5 * np.arange(8)
    np.testing.assert_allclose(ff, np.broadcast_to(0.01 * x[:, None, None], (8, 8, 2)), atol=1e-12)


def test_outside_voxels_are_nan_and_no_overlap_raises():
    target = Image(np.zeros((4, 1, 1)), spacing=(20.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0))
    ff = ff_on_grid(_linear_ff_map(), target)
    assert np.isfinite(ff[:2]).all() and np.isnan(ff[2:]).all()
    far = Image(np.zeros((2, 2, 1)), origin=(500.0, 0.0, 0.0))
    with pytest.raises(GeometryError, match="does not overlap"):
        ff_on_grid(_linear_ff_map(), far)
    with pytest.raises(InputError, match="0-100"):
        ff_on_grid(Image(np.full((2, 2, 2), 250.0)), far)


def test_cli_fat_fraction_map_on_another_grid_fixes_ff(tmp_path):
    tes = 10.0 * np.arange(1, 18)
    grid = dict(spacing=(2.5, 2.5, 5.0), origin=(3.3, 1.0, -2.0))
    x = 3.3 + 2.5 * np.arange(8)
    ff_true = np.broadcast_to(0.01 * x[:, None, None], (8, 4, 2))
    w = simulate_cpmg(33.0, esp=10.0, n_echoes=17, t1=1400.0, b1=0.9)
    f = simulate_cpmg(151.0, esp=10.0, n_echoes=17, t1=365.0, b1=0.9)
    data = 1000.0 * ((1 - ff_true[..., None]) * w + ff_true[..., None] * f)
    write_nifti(Image(data.astype(np.float32), **grid), tmp_path / "mese.nii.gz")
    write_nifti(_linear_ff_map(percent=True), tmp_path / "dixon_ff.nii.gz")
    out = tmp_path / "o"
    rc = main(["t2fit", str(tmp_path / "mese.nii.gz"), "-o", str(out), "--echo-times",
               ",".join(map(str, tes)), "--fat-fraction", str(tmp_path / "dixon_ff.nii.gz"),
               "--no-slice-profile"])  # simulated without a slice profile
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert "ff" not in summary["free_parameters"] and summary["outside_fat_fraction_map"] == 0
    from myomri.io.nifti import read_nifti

    np.testing.assert_allclose(read_nifti(out / "ff.nii.gz").array, ff_true, atol=1e-6)
    np.testing.assert_allclose(read_nifti(out / "t2.nii.gz").array, 33.0, atol=0.2)
