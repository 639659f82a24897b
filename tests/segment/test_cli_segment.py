"""``myomri segment``: end-to-end on synthetic Dixon thighs, output kinds, bad input gives exit 2 and no file."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.cli import main
from myomri.io.image import Image
from myomri.io.nifti import read_nifti, write_nifti
from myomri.segment.classical import compute_dice
from synthetic_thighs import make_two_thighs  # tests/segment is on sys.path


@pytest.fixture()
def dixon(tmp_path):
    water, fat, truth = make_two_thighs(n_slices=2)
    write_nifti(water, tmp_path / "water.nii.gz")
    write_nifti(fat, tmp_path / "fat.nii.gz")
    return tmp_path, truth


def test_cli_writes_tissue_map_on_input_grid(dixon, capsys):
    folder, truth = dixon
    out = folder / "tissue.nii.gz"
    rc = main(["segment", str(folder / "water.nii.gz"), "--fat", str(folder / "fat.nii.gz"), "-o", str(out)])
    assert rc == 0
    tissue = read_nifti(out)
    water = read_nifti(folder / "water.nii.gz")
    np.testing.assert_allclose(tissue.affine_lps, water.affine_lps, atol=1e-4)
    assert compute_dice(tissue.array == 1, truth == 1) > 0.97
    assert compute_dice(tissue.array == 3, truth == 3) > 0.9
    printed = capsys.readouterr().out
    assert "muscle" in printed and "femur found in 2/2 slices" in printed


@pytest.mark.parametrize("kind,labels", [("muscle", (1,)), ("compartment", (1, 4))])
def test_cli_binary_masks(dixon, kind, labels):
    folder, truth = dixon
    out = folder / f"{kind}.nii.gz"
    rc = main(["segment", str(folder / "water.nii.gz"), "--fat", str(folder / "fat.nii.gz"),
               "--mask", kind, "-o", str(out)])
    assert rc == 0
    mask = read_nifti(out).array
    assert set(np.unique(mask)) == {0, 1}
    assert compute_dice(mask == 1, np.isin(truth, labels)) > 0.97


def test_cli_only_offers_the_classical_method(dixon, capsys):
    folder, _ = dixon
    with pytest.raises(SystemExit) as exc:
        main(["segment", str(folder / "water.nii.gz"), "--method", "dl", "-o", str(folder / "x.nii.gz")])
    assert exc.value.code == 2
    assert "invalid choice: 'dl'" in capsys.readouterr().err


def test_cli_mismatched_dixon_grids_exit_2_without_output(dixon, capsys):
    folder, _ = dixon
    fat = read_nifti(folder / "fat.nii.gz")
    write_nifti(Image(fat.array[:-4], spacing=fat.spacing, origin=fat.origin), folder / "fat_cropped.nii.gz")
    out = folder / "tissue.nii.gz"
    rc = main(["segment", str(folder / "water.nii.gz"), "--fat", str(folder / "fat_cropped.nii.gz"), "-o", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "fat_cropped.nii.gz" in err and "different grids" in err
    assert not out.exists() and list(folder.glob("tissue*")) == []


def test_cli_empty_and_four_dimensional_images_exit_2(tmp_path, capsys):
    write_nifti(Image(np.zeros((50, 50, 2)), spacing=(1.5, 1.5, 8.0)), tmp_path / "zero.nii.gz")
    write_nifti(Image(np.ones((50, 50, 2, 3)), echo_times=(10.0, 20.0, 30.0)), tmp_path / "mese.nii.gz")
    for name, words in (("zero.nii.gz", "constant"), ("mese.nii.gz", "4-D")):
        out = tmp_path / f"out_{name}"
        assert main(["segment", str(tmp_path / name), "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert name in err and words in err
        assert not out.exists()
