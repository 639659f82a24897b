"""The shipped per-muscle weights (``myomri/data/thigh_unet.pt``): loadable, small, accurate on a
demo subject never used in training (seed 202; training used seed 101)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from myomri.config import segment_dl as cfg  # noqa: E402


@pytest.fixture(scope="module")
def shipped():
    from myomri.segment.infer import default_model_path
    from myomri.segment.model_io import load_model

    try:
        path = default_model_path()
    except FileNotFoundError:
        pytest.skip("no shipped segmentation weights")
    return path, load_model(path)


def test_shipped_weights_are_small_and_match_the_config(shipped):
    path, model = shipped
    assert path.stat().st_size < 20 * 1024 * 1024
    assert model.arch == cfg.NETWORK
    assert model.preprocess["pixel_mm"] == cfg.PIXEL_MM and model.preprocess["tile"] == cfg.TILE
    assert any(h.get("step") == "train" for h in model.history)


@pytest.mark.slow
def test_shipped_weights_segment_a_held_out_demo_subject(shipped):
    from myomri.config.demo import DemoConfig
    from myomri.demo.subject import simulate_subject
    from myomri.segment.infer import segment_dl

    dice = []
    for index, group in ((0, "PM"), (1, "DM")):  # the first two subjects (0 is the hardest of five)
        data = simulate_subject(index, f"sub-{index}", group, DemoConfig(seed=202))
        truth = data.images["dseg"].array
        pred = segment_dl(data.images["water"], model=shipped[1]).array
        dice += [2 * ((pred == v) & (truth == v)).sum() / ((pred == v).sum() + (truth == v).sum())
                 for v in range(1, 25) if (truth == v).any()]  # fmt: skip
    # per label with laterality (a muscle on the wrong side scores 0)
    assert np.mean(dice) > 0.7
    assert np.mean(np.array(dice) > 0.5) > 0.75
