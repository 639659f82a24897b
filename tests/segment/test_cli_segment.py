"""``myomri segment``: end-to-end on synthetic Dixon thighs, output kinds, bad input gives exit 2 and no file."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.cli import main
from myomri.io.image import Image
from myomri.io.nifti import read_nifti, write_nifti
from myomri.segment.classical import compute_dice
from tests.segment.synthetic_thighs import make_two_thighs


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


def test_cli_dl_with_a_fat_image_is_refused_before_reading(dixon, capsys):
    folder, _ = dixon
    out = folder / "x.nii.gz"
    rc = main(["segment", str(folder / "water.nii.gz"), "--fat", str(folder / "fat.nii.gz"), "--method", "dl",
               "-o", str(out)])
    assert rc == 2
    assert "--method classical" in capsys.readouterr().err and not out.exists()


def test_cli_rejects_an_unknown_method(dixon, capsys):
    folder, _ = dixon
    with pytest.raises(SystemExit) as exc:
        main(["segment", str(folder / "water.nii.gz"), "--method", "unet", "-o", str(folder / "x.nii.gz")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'unet'" in err and "'dl'" in err
    assert not (folder / "x.nii.gz").exists()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["tissue", "muscle"])
def test_cli_dl_method_segments_each_muscle_of_a_held_out_subject(tmp_path, kind, capsys):
    """``--method dl`` with the shipped weights on a demo subject never used in training (seed 202)."""
    pytest.importorskip("torch")
    from myomri.config.demo import DemoConfig
    from myomri.demo.subject import simulate_subject

    data = simulate_subject(1, "sub-1", "DM", DemoConfig(seed=202))
    water, truth = data.images["water"], data.images["dseg"].array
    write_nifti(water, tmp_path / "water.nii.gz")
    out = tmp_path / "labels.nii.gz"
    # one image without --method: the per-muscle network is the default (the muscle mask: one pass)
    extra = ["--no-tta"] if kind == "muscle" else []
    rc = main(["segment", str(tmp_path / "water.nii.gz"), "--mask", kind, "-o", str(out), *extra])
    assert rc == 0
    pred = read_nifti(out)
    np.testing.assert_allclose(pred.affine_lps, read_nifti(tmp_path / "water.nii.gz").affine_lps, atol=1e-4)
    if kind == "muscle":
        assert set(np.unique(pred.array)) == {0, 1}
        assert compute_dice(pred.array == 1, truth > 0) > 0.9
        return
    dice = [compute_dice(pred.array == v, truth == v) for v in range(1, 25) if (truth == v).any()]
    assert np.mean(dice) > 0.8  # per muscle and side (0.93 measured): a muscle on the wrong side scores 0
    printed = capsys.readouterr().out
    assert "dl segmentation" in printed and "mL" in printed


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


@pytest.mark.parametrize("method", ["classical", "dl"])
def test_cli_empty_and_four_dimensional_images_exit_2(tmp_path, capsys, method):
    if method == "dl":
        pytest.importorskip("torch")
    write_nifti(Image(np.zeros((50, 50, 2)), spacing=(1.5, 1.5, 8.0)), tmp_path / "zero.nii.gz")
    write_nifti(Image(np.ones((50, 50, 2, 3)), echo_times=(10.0, 20.0, 30.0)), tmp_path / "mese.nii.gz")
    for name, words in (("zero.nii.gz", "constant"), ("mese.nii.gz", "4-D")):
        out = tmp_path / f"out_{name}"
        assert main(["segment", str(tmp_path / name), "--method", method, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert name in err and words in err
        assert not out.exists()


def test_cli_dl_without_torch_names_the_extra_to_install(dixon, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ModuleNotFoundError
    folder, _ = dixon
    out = folder / "labels.nii.gz"
    assert main(["segment", str(folder / "water.nii.gz"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'myomri[torch]'" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_a_fat_image_with_the_water_images_pixels_is_refused(dixon, capsys):
    folder, _ = dixon
    out = folder / "same.nii.gz"
    water = str(folder / "water.nii.gz")
    (folder / "copy.nii.gz").write_bytes((folder / "water.nii.gz").read_bytes())  # another file, same pixels
    for fat in (water, str(folder / "copy.nii.gz")):
        assert main(["segment", water, "--fat", fat, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"--fat {fat}" in err and "same pixels as IMAGE" in err
    assert not out.exists()


def test_cli_a_swapped_dixon_pair_is_warned_of(dixon, capsys):
    folder, _ = dixon
    rc = main(["segment", str(folder / "fat.nii.gz"), "--fat", str(folder / "water.nii.gz"),
               "-o", str(folder / "t.nii.gz")])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0 and "femur found in 0/2 slices" in captured.out
    assert "warning: no femur found in" in captured.err and "not swapped" in captured.err
    assert main(["segment", str(folder / "water.nii.gz"), "--fat", str(folder / "fat.nii.gz"),
                 "-o", str(folder / "u.nii.gz")]) == 0  # fmt: skip
    assert "warning" not in capsys.readouterr().err  # the right pair: no warning


def test_cli_dl_with_a_compartment_mask_is_refused_before_reading(dixon, capsys):
    folder, _ = dixon
    out = folder / "c.nii.gz"
    assert main(["segment", str(folder / "water.nii.gz"), "--method", "dl", "--mask", "compartment", "-o", str(out)]) == 2
    assert "--mask compartment: the dl method labels each muscle" in capsys.readouterr().err and not out.exists()
