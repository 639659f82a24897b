"""``is_same_cohort``: ``myomri demo`` reuses a cohort only with the same seed and composition."""

from __future__ import annotations

import json

from myomri.config.demo import DemoConfig
from myomri.demo.cohort import is_same_cohort


def _fake_cohort(folder, *, seed, composition):
    """The files ``is_same_cohort`` reads, as ``generate_cohort`` writes them."""
    (folder / "truth").mkdir(parents=True)
    (folder / "dataset_description.json").write_text(
        json.dumps({"GeneratedBy": [{"Name": "myomri demo-data", "Seed": seed}]}))
    (folder / "truth" / "planted.json").write_text(json.dumps({"seed": seed, "composition": composition}))
    (folder / "manifest.csv").write_text("subject\n")
    for i in range(sum(composition.values())):
        (folder / f"sub-{i + 1:03d}").mkdir()
    return folder


def test_same_total_but_other_composition_is_not_reused(tmp_path):
    folder = _fake_cohort(tmp_path / "data", seed=0, composition={"PM": 2, "DM": 3})
    assert is_same_cohort(folder, DemoConfig(seed=0, composition={"PM": 2, "DM": 3}))
    assert not is_same_cohort(folder, DemoConfig(seed=0, composition={"PM": 3, "DM": 2}))
    assert not is_same_cohort(folder, DemoConfig(seed=1, composition={"PM": 2, "DM": 3}))


def test_zero_sized_groups_do_not_count_and_a_broken_cohort_is_not_reused(tmp_path):
    folder = _fake_cohort(tmp_path / "data", seed=0, composition={"PM": 2, "DM": 3, "HC": 0})
    assert is_same_cohort(folder, DemoConfig(seed=0, composition={"PM": 2, "DM": 3}))
    (folder / "truth" / "planted.json").write_text("{")
    assert not is_same_cohort(folder, DemoConfig(seed=0, composition={"PM": 2, "DM": 3}))
