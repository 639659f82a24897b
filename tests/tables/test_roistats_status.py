"""``roi-stats`` with t2fit's status map: voxels the fit left out are excluded, a value of 0 counts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from myomri.cli import main
from myomri.io.image import Image
from myomri.io.nifti import write_nifti
from myomri.t2.fit import AT_BOUND, BELOW_NOISE, FIT_FAILED, FITTED

# six voxels of one label: four fitted (two of them pure water, FF exactly 0), two left out by the fit
FF = [0.0, 0.0, 0.2, 0.4, 0.0, 0.0]
STATUS = [FITTED, AT_BOUND, FITTED, FITTED, BELOW_NOISE, FIT_FAILED]


def _fit_folder(folder, *, summary=True):
    """A folder laid out as t2fit writes one: ff.nii.gz, status.nii.gz, summary.json."""
    folder.mkdir()
    write_nifti(Image(np.array(FF, np.float32).reshape(6, 1, 1)), folder / "ff.nii.gz")
    write_nifti(Image(np.array(STATUS, np.uint8).reshape(6, 1, 1)), folder / "status.nii.gz")
    if summary:
        (folder / "summary.json").write_text(json.dumps({"model": "epg"}))
    write_nifti(Image(np.ones((6, 1, 1), np.uint8)), folder.parent / "mask.nii.gz")
    return folder / "ff.nii.gz", folder.parent / "mask.nii.gz"


def _row(path) -> dict:
    return pd.read_csv(path).iloc[0].to_dict()


def test_a_t2fit_folders_status_map_is_used_and_zero_fat_fractions_count(tmp_path, capsys):
    ff, mask = _fit_folder(tmp_path / "maps")
    assert main(["roi-stats", str(ff), str(mask), "-o", str(tmp_path / "a.csv")]) == 0
    row = _row(tmp_path / "a.csv")
    assert (row["n"], row["n_excluded"]) == (4, 2)
    assert row["mean"] == pytest.approx(0.15)  # (0 + 0 + 0.2 + 0.4) / 4: the pure-water voxels count
    assert row["median"] == pytest.approx(0.1)
    assert "status.nii.gz" in capsys.readouterr().err


def test_status_none_falls_back_to_zeros_as_unfitted(tmp_path):
    ff, mask = _fit_folder(tmp_path / "maps")
    assert main(["roi-stats", str(ff), str(mask), "--status", "none", "-o", str(tmp_path / "b.csv")]) == 0
    row = _row(tmp_path / "b.csv")
    assert (row["n"], row["n_excluded"], row["mean"]) == (2, 4, pytest.approx(0.3))


def test_a_status_file_found_beside_the_map_on_another_grid_is_not_used_and_said(tmp_path, capsys):
    ff, mask = _fit_folder(tmp_path / "maps", summary=False)  # run's stage folders hold no summary.json
    assert main(["roi-stats", str(ff), str(mask), "-o", str(tmp_path / "c.csv")]) == 0
    assert _row(tmp_path / "c.csv")["n"] == 4  # found beside the map: used
    write_nifti(Image(np.zeros((5, 1, 1), np.uint8)), tmp_path / "maps" / "status.nii.gz")  # another grid
    capsys.readouterr()
    assert main(["roi-stats", str(ff), str(mask), "-o", str(tmp_path / "d.csv")]) == 0
    assert _row(tmp_path / "d.csv")["n"] == 2  # not used: zeros are the unfitted voxels, and it says so
    assert "is not on the map's grid and is not used" in capsys.readouterr().err


def test_a_status_map_on_another_grid_is_refused_by_name(tmp_path, capsys):
    ff, mask = _fit_folder(tmp_path / "maps")
    write_nifti(Image(np.zeros((5, 1, 1), np.uint8)), tmp_path / "other_status.nii.gz")
    rc = main(["roi-stats", str(ff), str(mask), "--status", str(tmp_path / "other_status.nii.gz"),
               "-o", str(tmp_path / "e.csv")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "other_status.nii.gz" in err and "not on the grid" in err
    assert not (tmp_path / "e.csv").exists()


def test_a_missing_status_file_is_named(tmp_path, capsys):
    ff, mask = _fit_folder(tmp_path / "maps")
    rc = main(["roi-stats", str(ff), str(mask), "--status", str(tmp_path / "nope.nii.gz"), "-o", str(tmp_path / "f.csv")])
    assert rc == 2 and "nope.nii.gz" in capsys.readouterr().err
