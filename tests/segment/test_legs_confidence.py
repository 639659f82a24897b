"""One or two thighs, laterality from world coordinates, per-slice confidence, label-scheme errors."""

from __future__ import annotations

import numpy as np
import pytest

from tests.segment.dl_phantom import PIXEL_MM, TILE, make_phantom
from myomri.errors import InputError
from myomri.io.image import Image
from myomri.segment.confidence import slice_confidence, summarise_confidence
from myomri.segment.tiling import count_legs, muscle_indices, prepare_volume, tiles_to_labels


def _crop(image: Image, lab: np.ndarray, sl: slice, x0: float):
    """Columns ``sl`` of a phantom as an image whose first column sits at world x = ``x0`` (LPS)."""
    a = np.ascontiguousarray(image.array[sl])
    return Image(a, spacing=image.spacing, origin=(x0, 0.0, 0.0)), np.ascontiguousarray(lab[sl])


def _perfect_labels(image, lab):
    """Labels a perfect network would give: one-hot tiles of the truth, put back on the grid."""
    tiles, lt, layout = prepare_volume(image, labels=muscle_indices(lab), tile=TILE, pixel_mm=PIXEL_MM)
    probs = np.moveaxis(np.eye(13, dtype=np.float32)[lt], -1, 1)
    return tiles_to_labels(probs, layout), layout


def test_two_thighs_and_one_thigh_are_told_apart():
    image, lab = make_phantom(seed=0)
    centred = Image(image.array, spacing=image.spacing, origin=(-168.0, 0.0, 0.0))
    assert count_legs((centred.array / centred.array.max())) == 2
    right, _ = _crop(centred, lab, slice(0, 42), -168.0)
    assert count_legs(right.array / right.array.max()) == 1


@pytest.mark.parametrize("side", ["R", "L"])
def test_a_single_thigh_gets_its_side_from_world_x(side):
    image, lab = make_phantom(seed=0)
    # right leg (low i) at patient right (LPS x < 0); left leg at x > 0
    img, truth = _crop(image, lab, slice(0, 42), -168.0) if side == "R" else _crop(image, lab, slice(42, 84), 0.0)
    labels, layout = _perfect_labels(img, truth)
    assert layout.midline == (layout.resampled_shape[0] if side == "R" else 0)
    found = set(np.unique(labels)) - {0}
    assert found and (max(found) <= 12 if side == "R" else min(found) >= 13)
    inside = truth > 0
    assert np.mean(labels[inside] == truth[inside]) > 0.9


def test_two_centred_thighs_keep_their_sides():
    image, lab = make_phantom(seed=0)
    labels, layout = _perfect_labels(Image(image.array, spacing=image.spacing, origin=(-168.0, 0.0, 0.0)), lab)
    assert 0 < layout.midline < layout.resampled_shape[0]
    inside = lab > 0
    assert np.mean(labels[inside] == lab[inside]) > 0.9


def _probs(n_slices: int, confident: bool, muscles: int = 11, size: int = 64):
    """Tile probabilities (2n, 13, size, size): ``muscles`` square muscles, sharp or uniform."""
    p = np.zeros((2 * n_slices, 13, size, size), np.float32)
    p[:, 0] = 1.0
    for m in range(1, muscles + 1):
        r, c = divmod(m - 1, 4)
        p[:, 0, r * 16:r * 16 + 12, c * 16:c * 16 + 12] = 0.0
        p[:, m, r * 16:r * 16 + 12, c * 16:c * 16 + 12] = 1.0
    if not confident:
        p = 0.55 * p + 0.45 / 13
    return p


def test_confident_complete_slices_pass_and_unsure_or_incomplete_ones_are_flagged():
    ok = slice_confidence(_probs(3, True), 3, pixel_mm=2.0)
    assert all(not s["flagged"] and s["muscles"] == 11 and s["probability"] == 1.0 for s in ok)
    unsure = slice_confidence(_probs(3, False), 3, pixel_mm=2.0)
    assert all(s["flagged"] and s["probability"] < 0.8 for s in unsure)
    few = slice_confidence(_probs(3, True, muscles=3), 3, pixel_mm=2.0)
    assert all(s["flagged"] and s["muscles"] == 3 for s in few)
    assert summarise_confidence(ok)["low_confidence"] is False
    verdict = summarise_confidence(ok[:1] + unsure[1:])
    assert verdict["low_confidence"] is True and verdict["flagged_slices"] == [1, 2]
    assert summarise_confidence(slice_confidence(np.eye(13, dtype=np.float32)[np.zeros((2, 8, 8), int)]
                                                 .transpose(0, 3, 1, 2), 1, pixel_mm=2.0))["low_confidence"]


def test_a_label_map_of_another_scheme_names_the_labels_found_and_expected():
    with pytest.raises(InputError, match=r"values .*30.*40.*expected.*0\.\.24"):
        muscle_indices(np.array([[0, 1, 30], [40, 2, 0]]))
    with pytest.raises(InputError, match=r"values .*12.*expected .*0\.\.11"):
        muscle_indices(np.array([[0, 1, 12]]), scheme="huashan")


def test_refine_with_a_label_map_of_another_scheme_exits_2_naming_the_labels(tmp_path, capsys):
    from tests.segment.dl_phantom import tiny_model

    from myomri.cli import main
    from myomri.io.nifti import write_nifti
    from myomri.segment.model_io import save_model

    image, lab = make_phantom(seed=2)
    write_nifti(image, tmp_path / "img.nii.gz")
    write_nifti(image.with_array((lab.astype(np.int32) * 3).astype(np.uint8)), tmp_path / "lab.nii.gz")
    save_model(tiny_model(), tmp_path / "m.pt")
    rc = main(["segment", "refine", "--model", str(tmp_path / "m.pt"), "--images", str(tmp_path / "img.nii.gz"),
               "--masks", str(tmp_path / "lab.nii.gz"), "--threads", "1", "-o", str(tmp_path / "m2.pt")])
    err = capsys.readouterr().err
    assert rc == 2 and "lab.nii.gz" in err and "72" in err and "0..24" in err and "Traceback" not in err
    assert not (tmp_path / "m2.pt").exists()


def test_fragmented_slices_are_flagged_by_their_coherence():
    from myomri.segment.confidence import with_coherence

    records = with_coherence(slice_confidence(_probs(3, True), 3, pixel_mm=2.0), [1.0, 0.8, 0.99])
    assert [r["flagged"] for r in records] == [False, True, False]
    assert records[1]["coherence"] == 0.8


def test_the_cli_offers_exactly_the_methods_of_the_one_segmenter_table():
    from myomri.config.segment import METHODS as OFFERED
    from myomri.segment.methods import METHODS

    assert set(OFFERED) == set(METHODS)
