"""Network, preprocessing (orientation, normalisation, L/R split) and inference input checks."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.segment.dl_phantom import PIXEL_MM, TILE, TINY_ARCH, make_phantom  # noqa: E402

from myomri.config import segment_dl as cfg  # noqa: E402
from myomri.errors import InputError  # noqa: E402
from myomri.io.image import Image  # noqa: E402
from myomri.segment.model_io import new_model  # noqa: E402
from myomri.segment.network import build_network, count_parameters  # noqa: E402
from myomri.segment.tiling import (  # noqa: E402
    canonical_view, muscle_indices, normalise_intensity, prepare_volume, tiles_to_labels,
)  # fmt: skip


def _dice(a, b):
    return 2 * np.logical_and(a, b).sum() / (a.sum() + b.sum())


def test_network_maps_tiles_to_class_logits_of_same_size():
    net = build_network(TINY_ARCH)
    out = net(torch.zeros(2, 1, 32, 32))
    assert tuple(out.shape) == (2, 13, 32, 32)


def test_shipped_architecture_is_compact_and_under_20_mb():
    n = count_parameters(build_network(cfg.NETWORK))
    assert 50_000 < n < 3_000_000
    assert n * 4 < 20 * 1024 * 1024


def test_unknown_architecture_is_rejected():
    with pytest.raises(InputError, match="architecture"):
        build_network({**TINY_ARCH, "arch": "VNet3d"})
    with pytest.raises(InputError, match="positive integers"):
        build_network({**TINY_ARCH, "depth": 0})


def test_canonical_view_undoes_storage_order_and_flips():
    image, _ = make_phantom()
    a = image.array
    # the same anatomy stored transposed (j, i, k) and with i reversed: direction columns say so
    d = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    stored = np.ascontiguousarray(np.transpose(a, (1, 0, 2))[:, ::-1])
    other = Image(stored, spacing=(4.0, 4.0, 6.0), origin=(0.0, 0.0, 0.0), direction=d)
    can, perm, flips = canonical_view(other)
    assert perm == (1, 0, 2) and flips == (True, False, False)
    np.testing.assert_array_equal(can, a)


def test_fat_contrast_is_inverted_so_muscle_is_bright():
    image, lab = make_phantom(noise=0.0)
    fat_like = image.array.max() - image.array
    fat_like[image.array == 0] = 0  # air stays dark
    norm = normalise_intensity(fat_like, contrast="fat")
    muscle, fat = norm[lab > 0].mean(), norm[(image.array > 100) & (image.array < 200)].mean()
    assert muscle > fat


def test_tiles_round_trip_to_the_input_labels_with_sides():
    image, lab = make_phantom()
    tiles, lt, layout = prepare_volume(image, labels=muscle_indices(lab), tile=TILE, pixel_mm=PIXEL_MM)
    assert tiles.shape == (6, TILE, TILE)
    # the mirrored left leg looks like the right one
    np.testing.assert_array_equal(lt[:3], lt[3:])
    probs = np.eye(13, dtype=np.float32)[lt].transpose(0, 3, 1, 2)
    back = tiles_to_labels(probs, layout)
    for v in (1, 6, 12, 13, 18, 24):
        assert _dice(back == v, lab == v) > 0.9


def test_huashan_labels_round_trip_and_right_leg_is_at_patient_right(reference):
    from myomri.io.read import read_image

    root = reference / "muscle" / "huashan_thigh_ideal"
    image = read_image(root / "Thigh_003_0001.nii.gz")
    seg = read_image(root / "Thigh_003_seg.nii.gz").array
    mi = muscle_indices(seg, scheme="huashan")
    tiles, lt, layout = prepare_volume(image, labels=mi)
    back = tiles_to_labels(np.eye(13, dtype=np.float32)[lt].transpose(0, 3, 1, 2), layout)
    assert _dice(muscle_indices(back) == 1, mi == 1) > 0.9  # VL
    assert _dice(back > 0, mi > 0) > 0.95
    # right leg (1..12) at lower LPS x (patient right) than the left leg (13..24)
    ijk_r = np.argwhere((back >= 1) & (back <= 12)).mean(0)
    ijk_l = np.argwhere(back >= 13).mean(0)
    x_r, x_l = (image.direction @ (ijk * np.array(image.spacing)) for ijk in (ijk_r, ijk_l))
    assert x_r[0] < x_l[0] - 100


def test_four_dimensional_image_is_rejected():
    from myomri.segment.infer import segment_dl

    arr = np.random.default_rng(0).random((40, 30, 3, 2)).astype(np.float32)
    img = Image(arr, spacing=(1.0, 1.0, 1.0), echo_times=(10.0, 20.0), source="mese.nii.gz")
    with pytest.raises(InputError, match=r"mese.nii.gz: expected a 3-D axial volume .* 4-D"):
        segment_dl(img, model=new_model(TINY_ARCH))


def test_single_slice_image_is_segmented_on_its_grid():
    from myomri.segment.infer import segment_dl

    image, _ = make_phantom(n_slices=1)
    model = new_model(TINY_ARCH)
    model.preprocess.update(tile=TILE, pixel_mm=PIXEL_MM)
    out = segment_dl(image, model=model)
    assert out.array.shape == image.array.shape and out.array.dtype == np.uint8
    assert out.array.max() <= 24


def test_empty_and_non_finite_images_are_rejected():
    from myomri.segment.infer import segment_dl

    model = new_model(TINY_ARCH)
    with pytest.raises(InputError, match="empty"):
        segment_dl(Image(np.zeros((40, 30, 2), np.float32), spacing=(1.0, 1.0, 1.0), source="blank.nii"), model=model)
    bad = np.ones((40, 30, 2), np.float32)
    bad[3, 3, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        segment_dl(Image(bad, spacing=(1.0, 1.0, 1.0)), model=model)
    with pytest.raises(InputError, match="contrast"):
        image, _ = make_phantom()
        segment_dl(image, model=model, contrast="dwi")


def test_largest_component_cleanup_removes_islands_only():
    from myomri.segment.infer import keep_largest_components

    lab = np.zeros((20, 20, 3), np.uint8)
    lab[2:8, 2:8, :] = 5  # the muscle
    lab[15:17, 15:17, 1] = 5  # a stray island of the same label
    lab[12:14, 2:4, :] = 17  # another label, one component: kept
    out = keep_largest_components(lab)
    assert (out == 5).sum() == 6 * 6 * 3 and out[15, 15, 1] == 0
    assert (out == 17).sum() == (lab == 17).sum()


class _PixelThreshold(torch.nn.Module):
    """A per-pixel 'network': class 1 where the tile is bright, background elsewhere (shift-equivariant)."""

    def forward(self, x):
        logits = torch.zeros(x.shape[0], 13, *x.shape[2:])
        logits[:, 1] = 60 * (x[:, 0] - 0.5)
        logits[:, 0] = 60 * (0.5 - x[:, 0])
        return logits


def test_shifted_predictions_of_a_shift_equivariant_network_equal_one_pass_and_edges_are_background():
    from myomri.segment.infer import predict_shifted
    from myomri.segment.train import predict_tiles

    rng = np.random.default_rng(0)
    tiles = np.zeros((3, 32, 32), np.float32)
    tiles[:, 8:24, 6:26] = rng.uniform(0, 1, (3, 16, 20))  # a body inside a background border
    net = _PixelThreshold()
    one = predict_tiles(net, tiles)
    np.testing.assert_array_equal(predict_shifted(net, tiles, shifts=((0, 0),)), one)
    many = predict_shifted(net, tiles, shifts=((0, 0), (4, 0), (-4, 0), (0, 4), (0, -4)))
    np.testing.assert_allclose(many, one, atol=1e-6)  # the border is background in every pass
    np.testing.assert_allclose(many.sum(axis=1), 1, atol=1e-6)
    # a body up to the tile edge: moved 4 columns right, its last 4 columns left the tile, so that
    # pass counts them as background; the other pass sees them bright
    edge = np.ones((1, 32, 32), np.float32)
    moved = predict_shifted(net, edge, shifts=((0, 0), (0, 4)))
    bright = predict_tiles(net, edge)[0, 1]
    assert bright.min() > 0.99
    np.testing.assert_allclose(moved[0, 1, :, :28], bright[:, :28], atol=1e-6)
    np.testing.assert_allclose(moved[0, 1, :, 28:], 0.5 * bright[:, 28:], atol=1e-6)
    np.testing.assert_allclose(moved[0, 0, :, 28:], 0.5, atol=1e-5)
