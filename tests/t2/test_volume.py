"""``fit_volume``: the same maps for every ``n_jobs``; ``make_model`` reads the config defaults;
``write_fit`` writes the maps asked for."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.config import t2 as cfg
from myomri.errors import InputError
from myomri.io.image import Image
from myomri.t2 import EPGModel, MonoExpModel, fit_volume, make_model
from myomri.t2.dictionary import simulate_cpmg
from myomri.t2.maps import write_fit

TES = 10.0 * np.arange(1, 11)


def _volume(shape=(5, 4, 4), seed=0):
    """Water + fat voxels with noise; the last slice is all zero (nothing to fit there)."""
    rng = np.random.default_rng(seed)
    ff = rng.uniform(0, 1, shape)
    ff[:, :2] = 1.0  # pure fat, so that the fat T2 can be estimated
    w = simulate_cpmg(35.0, esp=10.0, n_echoes=10, t1=1400.0, b1=0.95)
    f = simulate_cpmg(170.0, esp=10.0, n_echoes=10, t1=365.0, b1=0.95)
    data = 1000.0 * ((1 - ff[..., None]) * w + ff[..., None] * f) + rng.normal(0, 5, shape + (10,))
    data = np.abs(data)
    data[:, :, -1] = 0.0
    return data


def _same(a, b):
    for name in ("t2", "m0", "residual", "ff", "b1", "offset", "status"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("make", [
    lambda: EPGModel(TES),
    lambda: EPGModel(TES, fat_t2="estimate"),
    lambda: MonoExpModel(TES, method="nnls", fit_offset=True),
])
def test_fit_volume_gives_the_same_maps_for_every_n_jobs(make):
    data = _volume()
    mask = np.ones(data.shape[:-1], bool)
    mask[0] = False
    model = make()
    one = fit_volume(model, data, mask, n_jobs=1)
    two = fit_volume(model, data, mask, n_jobs=2)
    _same(one, two)
    assert two.settings["jobs"] == 2
    assert model.noise_threshold is None  # the caller's model is not modified
    if model.settings().get("fat_t2") == "estimate":
        assert two.settings["pure_fat_voxels"] == one.settings["pure_fat_voxels"]
        assert "fat_t2 (one value for the volume)" in two.free_parameters


def test_fit_volume_cuts_a_fat_fraction_map_with_the_slabs():
    data = _volume()
    ff = np.full(data.shape[:-1], 0.2)
    _same(fit_volume(EPGModel(TES, fat_fraction=ff), data, n_jobs=1),
          fit_volume(EPGModel(TES, fat_fraction=ff), data, n_jobs=3))


def test_fit_volume_refuses_zero_workers():
    with pytest.raises(InputError, match="n_jobs 0"):
        fit_volume(MonoExpModel(TES), _volume(), n_jobs=0)


def test_make_model_takes_its_defaults_from_the_config():
    assert make_model(TES, "mono").method == cfg.MONO_METHOD
    assert make_model(TES, "epg").objective == cfg.EPG_OBJECTIVE
    assert make_model(TES, "epg", fit_method="myoqmri").objective == "myoqmri"
    with pytest.raises(InputError, match="EPG model only"):
        make_model(TES, "mono", fat_fraction=0.0)
    with pytest.raises(InputError, match="unknown T2 model"):
        make_model(TES, "biexp")


def test_write_fit_writes_only_the_maps_asked_for(tmp_path):
    fit = EPGModel(TES).fit(_volume()[:, :, :1])
    grid = Image(np.zeros(fit.t2.shape), spacing=(1.0, 1.0, 5.0))
    summary = write_fit(fit, grid, tmp_path / "some", maps=("t2", "ff"), summary=False)
    assert sorted(p.name for p in (tmp_path / "some").iterdir()) == ["ff.nii.gz", "t2.nii.gz"]
    assert summary["files"] == ["t2.nii.gz", "ff.nii.gz"]
    write_fit(fit, grid, tmp_path / "all")
    assert {p.name for p in (tmp_path / "all").iterdir()} == {
        "t2.nii.gz", "m0.nii.gz", "residual.nii.gz", "ff.nii.gz", "b1.nii.gz", "status.nii.gz", "summary.json"}
    with pytest.raises(InputError, match="unknown map"):
        write_fit(fit, grid, tmp_path / "x", maps=("t1",))
