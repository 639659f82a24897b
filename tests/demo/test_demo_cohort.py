"""The written demo cohort: determinism, composition, layout, truth consistency, bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myomri.config.demo import GROUPS, DemoConfig
from myomri.config.labels import LABEL_VALUES
from myomri.demo import cohort as cohort_mod
from myomri.demo.cohort import generate_cohort
from myomri.errors import ConfigError, InputError
from myomri.io.nifti import read_nifti


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small_cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "cohort"
    summary = generate_cohort(out, config=DemoConfig.small(1, seed=5), progress=False)
    return out, summary


def test_same_seed_gives_byte_identical_files(small_cohort, tmp_path):
    out, _ = small_cohort
    again = generate_cohort(tmp_path / "again", config=DemoConfig.small(1, seed=5), progress=False)
    first, second = _hashes(out), _hashes(again.outdir)
    assert len(first) > 50
    assert first == second


def test_different_seed_gives_different_images(tmp_path):
    a = generate_cohort(tmp_path / "a", config=DemoConfig(composition={"DM": 1}, seed=1), progress=False)
    b = generate_cohort(tmp_path / "b", config=DemoConfig(composition={"DM": 1}, seed=2), progress=False)
    ha, hb = _hashes(a.outdir), _hashes(b.outdir)
    assert set(ha) == set(hb)
    images = [k for k in ha if k.endswith(".nii.gz")]
    assert all(ha[k] != hb[k] for k in images)


def test_default_composition_is_the_papers_19_22_14_19_plus_10_controls():
    c = DemoConfig()
    assert c.composition == {"PM": 19, "DM": 22, "ADM": 14, "nonIIM": 19, "HC": 10}
    assert c.n_subjects == 84
    groups = [g for _, g in cohort_mod.assign_subjects(c)]
    assert {g: groups.count(g) for g in GROUPS} == c.composition


def test_cohort_tables_list_every_subject_reader_and_existing_file(small_cohort):
    out, summary = small_cohort
    clin = pd.read_csv(out / "participants.tsv", sep="\t")
    assert sorted(clin["group"]) == sorted(GROUPS)
    assert summary.n_per_group == {g: 1 for g in GROUPS}
    man = pd.read_csv(out / "manifest.csv")
    assert {"subject", "reader", "image", "mask", "label", "session"} <= set(man.columns)
    assert len(man) == 3 * len(clin)
    assert sorted(man["reader"].unique()) == ["R1", "R1b", "R2"]
    assert set(man.loc[man["reader"] == "R1b", "session"]) == {2}
    path_cols = [c for c in man.columns if c not in ("subject", "session", "reader", "label", "group")]
    for col in path_cols:
        assert all((out / p).is_file() for p in man[col]), col
    for name in ("dseg_labels.txt", "truth/planted.json", "truth/planted.csv", "dataset_description.json"):
        assert (out / name).is_file()
    assert not list(out.parent.glob(".cohort.tmp-*"))


def test_mese_is_4d_with_bids_sidecar_echo_times_in_seconds(small_cohort):
    out, _ = small_cohort
    man = pd.read_csv(out / "manifest.csv")
    row = man.iloc[0]
    img = read_nifti(out / row["mese"])
    side = json.loads((out / row["mese_json"]).read_text())
    assert img.array.ndim == 4 and img.array.shape[3] == 10
    np.testing.assert_allclose(side["EchoTime"], np.arange(1, 11) * 0.010)
    assert side["RepetitionTime"] == pytest.approx(6.69)
    assert side["SliceThickness"] == 5.0
    assert not [k for k in side if k.startswith("Patient")]  # no patient fields in sidecars
    stir = read_nifti(out / row["image"])
    assert stir.spatial_shape[2] == 1
    np.testing.assert_allclose(stir.spacing, (1.2, 1.2, 8.0))


def test_label_map_values_are_exactly_the_24_muscle_labels(small_cohort):
    out, _ = small_cohort
    for p in sorted(out.glob("sub-*/seg/*_dseg.nii.gz")):
        values = set(np.unique(read_nifti(p).array).tolist())
        assert values == {0, *LABEL_VALUES}, p


def test_mese_and_dixon_grids_differ_but_agree_through_world_coordinates(small_cohort):
    out, _ = small_cohort
    man = pd.read_csv(out / "manifest.csv").drop_duplicates("subject")
    for _, row in man.iterrows():
        truth = read_nifti(out / row["truth_labels"])  # labels on the MESE grid
        dseg = read_nifti(out / row["dseg"])
        assert truth.spatial_shape != dseg.spatial_shape
        assert not np.allclose(truth.spacing, dseg.spacing)
        ijk = np.argwhere(truth.array > 0)
        world = truth.index_to_world(ijk)
        idx = np.rint(dseg.world_to_index(world)).astype(int)
        inside = np.all((idx >= 0) & (idx < np.array(dseg.spatial_shape)), axis=1)
        assert inside.mean() > 0.95
        carried = dseg.array[tuple(idx[inside].T)]
        agree = np.mean(carried == truth.array[tuple(ijk[inside].T)])
        assert agree > 0.8, f"{row['subject']}: only {agree:.2f} of muscle voxels agree across grids"


def test_reader_rois_lie_inside_muscle_and_repeat_agrees_better_than_other_reader(small_cohort):
    out, _ = small_cohort
    man = pd.read_csv(out / "manifest.csv")
    intra, inter = [], []
    for subject, rows in man.groupby("subject"):
        truth = read_nifti(out / rows["truth_roi"].iloc[0]).array > 0
        rois = {r["reader"]: read_nifti(out / r["mask"]).array > 0 for _, r in rows.iterrows()}
        for reader, roi in rois.items():
            assert roi.shape == truth.shape
            assert (roi & truth).sum() / roi.sum() > 0.9, (subject, reader)
            assert (roi & truth).sum() / truth.sum() > 0.85, (subject, reader)

        def dice(a, b):
            return 2 * (a & b).sum() / (a.sum() + b.sum())

        intra.append(dice(rois["R1"], rois["R1b"]))
        inter.append(dice(rois["R1"], rois["R2"]))
        assert 0.9 < inter[-1] < 1.0
    assert np.mean(intra) > np.mean(inter)


def test_truth_maps_reproduce_the_planted_mean_muscle_t2(small_cohort):
    out, _ = small_cohort
    planted = json.loads((out / "truth" / "planted.json").read_text())
    for rec in planted["subjects"]:
        s = rec["subject"]
        t2 = read_nifti(out / f"truth/{s}/{s}_T2water.nii.gz").array
        labels = read_nifti(out / f"truth/{s}/{s}_labels.nii.gz").array
        assert t2[labels > 0].mean() == pytest.approx(rec["t2_mean_ms"], abs=1e-3)
        # realised mean = healthy baseline + planted oedema elevation (quantisation ~1e-3 ms)
        target = rec["t2_base_ms"] + rec["t2_elevation_ms"]
        assert rec["t2_mean_ms"] == pytest.approx(target, abs=0.01)
        if rec["group"] == "HC":
            assert 31.0 < rec["t2_mean_ms"] < 36.4  # below the paper's 36.4 ms cut-off
    links = planted["links"]
    assert links["enzyme_slopes"]["CK"] > 0 and links["ild_t2_link"] == 0.0


def test_missing_antibody_status_is_na_not_negative(small_cohort):
    out, _ = small_cohort
    text = (out / "participants.tsv").read_text()
    clin = pd.read_csv(out / "participants.tsv", sep="\t")
    hc = clin[clin["group"] == "HC"].iloc[0]
    assert pd.isna(hc["anti_Jo1"]) and pd.isna(hc["anti_ARS"])  # controls were never tested
    assert "n/a" in text
    assert set(clin["anti_ARS"].dropna().unique()) <= {0, 1}
    assert clin["ILD_score"].between(0, 8).all()


def test_non_empty_outdir_is_refused_without_overwrite_and_left_untouched(tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty.*overwrite=True"):
        generate_cohort(out, config=DemoConfig(composition={"HC": 1}), progress=False)
    # --overwrite never deletes a folder that is not a previous demo cohort
    with pytest.raises(InputError, match="not one"):
        generate_cohort(out, config=DemoConfig(composition={"HC": 1}), overwrite=True, progress=False)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_overwrite_replaces_a_previous_demo_cohort(tmp_path):
    out = tmp_path / "demo"
    generate_cohort(out, config=DemoConfig(composition={"HC": 1}, seed=1), progress=False)
    (out / "stale.txt").write_text("old")
    generate_cohort(out, config=DemoConfig(composition={"HC": 1}, seed=2), overwrite=True, progress=False)
    assert not (out / "stale.txt").exists() and (out / "manifest.csv").is_file()
    assert json.loads((out / "truth" / "planted.json").read_text())["seed"] == 2


def test_outdir_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        generate_cohort(f, config=DemoConfig(composition={"HC": 1}), progress=False)


def test_interrupted_generation_leaves_no_output_and_no_temp_folder(tmp_path, monkeypatch):
    calls = []
    real = cohort_mod.simulate_subject

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(cohort_mod, "simulate_subject", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        generate_cohort(tmp_path / "out", config=DemoConfig(composition={"HC": 2}), progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "composition, message",
    [({"XX": 2}, "unknown group"), ({"PM": -1}, "non-negative"), ({"PM": 0}, "no subjects")],
)
def test_invalid_composition_raises_config_error(composition, message):
    with pytest.raises(ConfigError, match=message):
        DemoConfig(composition=composition).validate()
