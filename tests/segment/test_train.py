"""Training recipe: determinism, augmentation alignment, the AL-unlabelled loss, learning a phantom,
incremental refinement and the ``segment train|refine`` / ``--method dl`` command line."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.segment.dl_phantom import PIXEL_MM, TILE, TINY_ARCH, make_phantom, phantom_tiles, tiny_model  # noqa: E402

from myomri.errors import ConfigError  # noqa: E402
from myomri.io.nifti import write_nifti  # noqa: E402
from myomri.segment.train import (  # noqa: E402
    augment_batch, read_case_list, segmentation_loss, train_model,
)  # fmt: skip


@pytest.fixture(scope="module")
def trained():
    """A tiny model trained on phantoms (module-wide, ~15 s). Without augmentation: the phantom
    muscles differ by intensity, which gamma/bias augmentation would hide from a network this small."""
    data = phantom_tiles(range(4))
    return train_model(data, model=tiny_model(), epochs=30, batch_size=4, learning_rate=1e-2, seed=0, n_threads=1,
                       augment=False)  # fmt: skip


def test_training_is_deterministic_with_a_seed():
    data = phantom_tiles([0])
    runs = [train_model(data, model=tiny_model(), epochs=2, batch_size=4, seed=7, n_threads=1) for _ in range(2)]
    assert runs[0].lineage == runs[1].lineage
    other = train_model(data, model=tiny_model(), epochs=2, batch_size=4, seed=8, n_threads=1)
    assert other.lineage != runs[0].lineage
    assert runs[0].history[-1]["parent"] == tiny_model().lineage


def test_geometric_augmentation_moves_image_and_labels_together():
    data = phantom_tiles([0], noise=0.0)
    y = torch.from_numpy(data.labels)
    x = y[:, None].float() / 12.0 + 0.2 * (y[:, None] > 0)  # intensity encodes the label
    still = {"gamma": (1.0, 1.0), "bias_amplitude": 0.0, "noise_sd": (0.0, 0.0), "invert_prob": 0.0}
    xa, ya = augment_batch(x, y, torch.Generator().manual_seed(0), still)
    assert not torch.equal(ya, y)  # it did move
    inside = ya > 0
    back = torch.round((xa[:, 0] - 0.2) * 12)
    agree = (back[inside] == ya[inside]).float().mean()
    assert agree > 0.8  # only interpolated boundary pixels disagree


def test_unlabelled_adductor_longus_is_not_taught_as_background():
    y = torch.zeros(1, 4, 4, dtype=torch.long)
    logits = torch.full((1, 13, 4, 4), -10.0)
    logits[:, 12] = 10.0  # the network says "AL" where the map says background
    flagged = segmentation_loss(logits, y, torch.tensor([True]), dice_weight=0.0)
    unflagged = segmentation_loss(logits, y, torch.tensor([False]), dice_weight=0.0)
    assert float(flagged) < 1e-6 < 10 < float(unflagged)


def test_tiny_network_learns_phantom_muscles_on_unseen_subject(trained):
    from myomri.segment.infer import segment_dl

    image, lab = make_phantom(seed=11, shift_mm=6.0)
    out = segment_dl(image, model=trained, n_threads=1).array
    dices = [2 * ((out == v) & (lab == v)).sum() / ((out == v).sum() + (lab == v).sum()) for v in range(1, 25)]
    assert np.mean(dices) > 0.6


def test_refine_improves_dice_on_corrected_cases_and_reports_validation():
    from myomri.segment.refine import format_report, refine_model

    start = train_model(phantom_tiles([0]), model=tiny_model(), epochs=2, batch_size=4, learning_rate=1e-2, n_threads=1,
                        augment=False)  # fmt: skip
    cases, val = phantom_tiles([1, 2]), phantom_tiles([3])
    refined, report = refine_model(start, cases, validation=val, epochs=15, batch_size=4, learning_rate=1e-2,
                                   augment=False, n_threads=1)  # fmt: skip
    assert report["cases"]["after"]["mean"] > report["cases"]["before"]["mean"] + 0.05
    assert set(report["validation"]) == {"before", "after"}
    assert refined.parent == start.lineage and refined.lineage != start.lineage
    assert "refinement cases: mean Dice" in format_report(report)


def test_case_list_reports_every_problem(tmp_path):
    (tmp_path / "a.nii.gz").write_bytes(b"x")
    (tmp_path / "cases.tsv").write_text("image\tmask\tscheme\na.nii.gz\tmissing.nii.gz\tfoo\n")
    with pytest.raises(ConfigError) as exc:
        read_case_list(tmp_path / "cases.tsv")
    assert "missing.nii.gz" in str(exc.value) and "scheme 'foo'" in str(exc.value)


def test_cli_train_refine_and_segment_with_dl(tmp_path, monkeypatch, capsys):
    from myomri.cli import main
    from myomri.config import segment_dl as cfg

    monkeypatch.setattr(cfg, "NETWORK", TINY_ARCH)
    monkeypatch.setattr(cfg, "TILE", TILE)
    monkeypatch.setattr(cfg, "PIXEL_MM", PIXEL_MM)
    for s in range(3):
        image, lab = make_phantom(seed=s)
        write_nifti(image, tmp_path / f"img{s}.nii.gz")
        write_nifti(image.with_array(lab), tmp_path / f"lab{s}.nii.gz")
    (tmp_path / "val.tsv").write_text("image\tmask\nimg2.nii.gz\tlab2.nii.gz\n")
    m1, m2, out = tmp_path / "m1.pt", tmp_path / "m2.pt", tmp_path / "seg.nii.gz"
    assert main(["segment", "train", "--images", str(tmp_path / "img0.nii.gz"), "--masks", str(tmp_path / "lab0.nii.gz"),
                 "--steps", "6", "--batch-size", "4", "--threads", "1", "-o", str(m1)]) == 0  # fmt: skip
    assert main(["segment", "refine", "--model", str(m1), "--images", str(tmp_path / "img1.nii.gz"),
                 "--masks", str(tmp_path / "lab1.nii.gz"), "--validation", str(tmp_path / "val.tsv"),
                 "--epochs", "1", "--threads", "1", "-o", str(m2)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "refinement cases: mean Dice" in text and "validation set: mean Dice" in text
    from myomri.cli.segment_dl import run_dl
    from myomri.io.read import read_image
    import argparse

    args = argparse.Namespace(model=str(m2), contrast="water", mask="tissue", output=str(out), tta=True)
    assert run_dl(args, read_image(tmp_path / "img0.nii.gz")) == 0
    seg = read_image(out)
    assert seg.array.shape == (84, 48, 3) and seg.array.max() <= 24
    assert main(["segment", "refine", "--model", str(tmp_path / "img0.nii.gz"), "--images",
                 str(tmp_path / "img1.nii.gz"), "--masks", str(tmp_path / "lab1.nii.gz"), "-o", str(m2)]) == 2
    assert "cannot read the segmentation model" in capsys.readouterr().err


def test_a_training_mask_on_another_grid_is_named_as_the_mask(tmp_path):
    import numpy as np

    from myomri.errors import GeometryError
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti
    from myomri.segment.train import load_cases

    write_nifti(Image(np.ones((8, 8, 2), np.float32)), tmp_path / "img.nii.gz")
    write_nifti(Image(np.ones((8, 8, 2), np.uint8), spacing=(2.0, 2.0, 5.0)), tmp_path / "seg.nii.gz")
    with pytest.raises(GeometryError) as err:
        load_cases([(str(tmp_path / "img.nii.gz"), str(tmp_path / "seg.nii.gz"), "myomri", "water")], progress=False)
    msg = str(err.value)
    assert msg.startswith("mask grid") and "seg.nii.gz) does not match image grid" in msg and "img.nii.gz" in msg
