"""Training from label maps: added tissues, synthetic intensities, the mixed-source loop, resume."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from myomri.config import segment_synth as scfg  # noqa: E402
from myomri.config.labels import MUSCLES  # noqa: E402
from myomri.segment.tissues import add_tissues  # noqa: E402

from tests.reference_data import REFERENCE  # noqa: E402

T = scfg.TISSUES
VI = MUSCLES.index("VI") + 1
MAPS = REFERENCE / "muscle" / "mmthigh_labels"


def _ring_thigh(px: float = 2.0):
    """A round 'thigh' at 2 mm: muscles in 11 sectors around a 6-px (12 mm) femur hole, one 5-px gap."""
    n = 128
    ii, jj = np.mgrid[:n, :n] - n / 2
    r, ang = np.hypot(ii, jj), np.mod(np.arctan2(jj, ii), 2 * np.pi)
    m = np.zeros((n, n), np.int64)
    ring = (r <= 32) & (r > 6)
    sector = np.minimum((ang / (2 * np.pi) * 11).astype(int), 10)
    codes = np.array([VI] + [i for i in range(1, 12) if i != VI])
    m[ring] = codes[sector[ring]]
    gap = np.hypot(ii - 20, jj) <= 5  # 81 px = 324 mm^2: an unlabelled muscle or fat
    m[gap] = 0
    return m, gap, r


def test_added_tissues_leave_muscles_and_surround_them_anatomically():
    m, gap, r = _ring_thigh()
    out = add_tissues(m, pixel_mm=2.0, rng=np.random.default_rng(0))
    assert np.array_equal(out[m > 0], m[m > 0])  # labelled muscles untouched
    femur = np.isin(out, [T["cortex"], T["marrow"]])
    assert femur.any() and np.all(r[femur] <= 6.5)  # the femur fills the central hole only
    marrow = out == T["marrow"]
    assert marrow.any() and r[marrow].max() < r[out == T["cortex"]].max()  # cortex around marrow
    assert set(np.unique(out[gap])) <= {T["unlabelled_muscle"], T["intermuscular_fat"], T["vessel"]}
    body = out > 0
    subcut = np.isin(out, [T["subcutaneous_fat"], T["skin"]])
    assert np.all(r[subcut] > 31)  # outside the fascia envelope
    assert r[body].max() <= 32 + 1.5 * 30 / 2.0 + 1  # at most the thickest fat (30 mm, +50 %)
    # skin (1-2.5 mm) shows where it reaches a whole pixel, and only on the body's outer surface
    from scipy import ndimage

    with_skin = [add_tissues(m, pixel_mm=2.0, rng=np.random.default_rng(s)) for s in range(8)]
    assert any((o == T["skin"]).any() for o in with_skin)
    for o in with_skin:
        depth = ndimage.distance_transform_edt(o > 0)
        assert np.all(depth[o == T["skin"]] <= 1.0)


def test_added_tissues_are_seeded_and_vary_between_draws():
    m, gap, _ = _ring_thigh()
    a = add_tissues(m, pixel_mm=2.0, rng=np.random.default_rng(5))
    assert np.array_equal(a, add_tissues(m, pixel_mm=2.0, rng=np.random.default_rng(5)))
    gaps = {int(np.bincount(add_tissues(m, pixel_mm=2.0, rng=np.random.default_rng(s))[gap]).argmax())
            for s in range(12)}  # fmt: skip
    assert {T["unlabelled_muscle"], T["intermuscular_fat"]} <= gaps  # both assignments occur
    widths = {int((add_tissues(m, pixel_mm=2.0, rng=np.random.default_rng(s)) > 0).sum()) for s in range(6)}
    assert len(widths) > 3  # the subcutaneous fat thickness is drawn


@pytest.mark.skipif(not MAPS.is_dir(), reason="reference label maps not present")
def test_label_map_tiles_keep_the_maps_muscles_as_targets():
    from myomri.io.read import read_mask
    from myomri.segment.tissues import label_map_tiles

    lm = read_mask(MAPS / "Training_T1_THIGH_049_0002.nii.gz")
    tis, tgt = label_map_tiles(lm, tile=128, pixel_mm=2.0, rng=np.random.default_rng(0), variants=1)
    assert tis.shape == tgt.shape and tis.shape[1:] == (128, 128) and len(tis) > 16
    muscle = (tis > 0) & (tis < scfg.FIRST_EXTRA)
    assert np.array_equal(tgt[muscle], tis[muscle]) and not tgt[~muscle].any()
    assert not (tgt == MUSCLES.index("AL") + 1).any()  # the maps have no AL
    assert set(np.unique(tis)) >= {T["subcutaneous_fat"], T["skin"], T["cortex"], T["marrow"]}


def test_synthetic_images_are_seeded_normalised_and_of_both_fat_polarities():
    from myomri.segment.synth import synthesize, tissue_means

    m, _, _ = _ring_thigh()
    tiles = torch.from_numpy(np.stack([add_tissues(m, pixel_mm=2.0, rng=np.random.default_rng(s))
                                       for s in range(8)]).astype(np.int64))  # fmt: skip
    a = synthesize(tiles, torch.Generator().manual_seed(1))
    b = synthesize(tiles, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == (8, 1, 128, 128)
    assert float(a.min()) >= 0 and float(a.max()) <= 2.0
    body = tiles[:, None] > 0
    p99 = [float(torch.quantile(x[k], 0.99)) for x, k in zip(a, body, strict=True)]
    assert 0.6 < np.median(p99) < 1.4  # the body's 99th percentile near 1, as at inference
    means = tissue_means(400, torch.Generator().manual_seed(0), {"random_prob": 0.0})
    fat_minus_muscle = means[:, T["subcutaneous_fat"]] - means[:, 1:12].mean(1)
    assert (fat_minus_muscle > 0.1).float().mean() > 0.3 and (fat_minus_muscle < -0.1).float().mean() > 0.3
    assert float(means[:, 0].max()) <= 0.03  # air stays dark


def _tiny_sources():
    from tests.segment.dl_phantom import PIXEL_MM, TILE, make_phantom

    from myomri.segment.tiling import muscle_indices, prepare_volume
    from myomri.segment.recipe import Sources, SyntheticSet
    from myomri.segment.train import TileSet

    image, lab = make_phantom(seed=0)
    tiles, labels, _ = prepare_volume(image, labels=muscle_indices(lab), tile=TILE, pixel_mm=PIXEL_MM)
    syn = np.where(labels > 0, labels, np.where(tiles > 0.05, T["subcutaneous_fat"], 0))
    return Sources(synthetic=SyntheticSet(syn.astype(np.uint8), labels), real=TileSet(tiles, labels), names=["p"])


def _weights(model):
    return {k: v.clone() for k, v in model.network.state_dict().items()}


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, monkeypatch):
    from tests.segment.dl_phantom import TINY_ARCH

    from myomri.segment import recipe
    from myomri.segment.model_io import new_model

    src = _tiny_sources()
    kw = dict(steps=4, batch_size=4, seed=3, n_threads=1, checkpoint_every=2)
    straight = recipe.train_mixed(new_model(TINY_ARCH, seed=0), src, checkpoint=tmp_path / "a.ckpt", **kw)
    original = recipe._save_checkpoint

    def save_then_stop(*args, **kwargs):
        original(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(recipe, "_save_checkpoint", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        recipe.train_mixed(new_model(TINY_ARCH, seed=0), src, checkpoint=tmp_path / "b.ckpt", **kw)
    monkeypatch.setattr(recipe, "_save_checkpoint", original)
    resumed = recipe.train_mixed(new_model(TINY_ARCH, seed=9), src, checkpoint=tmp_path / "b.ckpt", resume=True, **kw)
    a, b = _weights(straight), _weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.history[-1]["steps"] == 4


def test_batches_mix_the_sources_and_flag_the_maps_without_al():
    from myomri.segment.recipe import _counts, _draw

    src = _tiny_sources()
    counts = _counts(src.shares(), 10)
    assert counts == {"synthetic": 7, "real": 3}  # 0.6 : 0.25 renormalised without demo
    x, y, flag = _draw(src, counts, torch.Generator().manual_seed(0))
    assert x.shape[0] == y.shape[0] == 10 and flag[:7].all() and not flag[7:].any()


def _cli_train_args(tmp_path, monkeypatch, steps: int) -> list[str]:
    """``segment train`` arguments for one tiny phantom image/mask pair, the tiny network as default."""
    from tests.segment.dl_phantom import PIXEL_MM, TILE, TINY_ARCH, make_phantom

    from myomri.config import segment_dl as cfg
    from myomri.io.nifti import write_nifti

    monkeypatch.setattr(cfg, "NETWORK", TINY_ARCH)
    monkeypatch.setattr(cfg, "TILE", TILE)
    monkeypatch.setattr(cfg, "PIXEL_MM", PIXEL_MM)
    image, lab = make_phantom(seed=1)
    write_nifti(image, tmp_path / "img.nii.gz")
    write_nifti(image.with_array(lab), tmp_path / "lab.nii.gz")
    return ["segment", "train", "--images", str(tmp_path / "img.nii.gz"), "--masks", str(tmp_path / "lab.nii.gz"),
            "--steps", str(steps), "--batch-size", "2", "--threads", "1"]  # fmt: skip


def test_corrupted_checkpoint_is_a_clear_error_and_the_old_model_stays(tmp_path, capsys, monkeypatch):
    from myomri.cli import main

    args = _cli_train_args(tmp_path, monkeypatch, steps=2) + ["-o", str(tmp_path / "m.pt")]
    assert main(args) == 0
    before = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "bad.ckpt").write_bytes(b"not a checkpoint at all")
    assert main(args + ["--checkpoint", str(tmp_path / "bad.ckpt"), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "bad.ckpt" in err and "checkpoint" in err and "Traceback" not in err
    assert (tmp_path / "m.pt").read_bytes() == before


def test_training_on_the_cpu_device_named_equals_the_default_and_ends_on_the_cpu():
    from tests.segment.dl_phantom import TINY_ARCH

    from myomri.segment import recipe
    from myomri.segment.model_io import new_model

    src = _tiny_sources()
    kw = dict(steps=3, batch_size=4, seed=5, n_threads=1)
    default = recipe.train_mixed(new_model(TINY_ARCH, seed=0), src, **kw)
    named = recipe.train_mixed(new_model(TINY_ARCH, seed=0), src, device="cpu", **kw)
    auto = recipe.train_mixed(new_model(TINY_ARCH, seed=0), src, device="auto", **kw)
    a, b = _weights(default), _weights(named)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert all(v.device.type == "cpu" for v in _weights(auto).values())
    assert named.history[-1]["device"] == "cpu"


def test_unknown_or_missing_device_is_a_clear_error():
    from myomri.errors import InputError
    from myomri.segment.train import resolve_device

    with pytest.raises(InputError, match="'tpu' is unknown; expected one of"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="sees no CUDA device"):
            resolve_device("cuda")


def test_cli_train_base_channels_sets_the_new_networks_width_and_checks_it(tmp_path, capsys, monkeypatch):
    from tests.segment.dl_phantom import TINY_ARCH

    from myomri.cli import main
    from myomri.segment.model_io import load_model
    from myomri.segment.network import count_parameters

    base = _cli_train_args(tmp_path, monkeypatch, steps=1)
    width = 2 * TINY_ARCH["base_channels"]
    assert main(base + ["--base-channels", str(width), "-o", str(tmp_path / "w.pt")]) == 0
    assert main(base + ["-o", str(tmp_path / "d.pt")]) == 0
    wide, default = load_model(tmp_path / "w.pt"), load_model(tmp_path / "d.pt")
    assert wide.arch["base_channels"] == width and default.arch["base_channels"] == TINY_ARCH["base_channels"]
    # every convolution is twice as wide each way: ~4x the parameters
    assert 3.5 < count_parameters(wide.network) / count_parameters(default.network) < 4.1
    capsys.readouterr()
    assert main(base + ["--base-channels", "12", "-o", str(tmp_path / "x.pt")]) == 2
    assert "--base-channels 12: expected a multiple of 8" in capsys.readouterr().err
    assert main(base + ["--base-channels", str(width), "--init", str(tmp_path / "d.pt"), "-o", str(tmp_path / "y.pt")]) == 2
    err = capsys.readouterr().err
    assert f"--base-channels {width} with --init" in err and "keeps its width" in err
    assert not (tmp_path / "x.pt").exists() and not (tmp_path / "y.pt").exists()
