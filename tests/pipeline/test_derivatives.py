"""``myomri run`` writes BIDS derivatives and the tidy ``t2_per_muscle.csv`` (issue 15 item 3).

Known answers: each derivative map is the T2 stage's own map; the per-muscle means recomputed from
the derivative files equal the table; the pooled row equals the subject's summary value.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from myomri import __version__
from myomri.config.labels import label_value
from myomri.io.nifti import read_nifti

pytestmark = pytest.mark.slow


def test_dataset_description_names_myomri_and_its_version(finished_run):
    _, result = finished_run
    desc = json.loads((result.outdir / "derivatives" / "myomri" / "dataset_description.json").read_text())
    assert desc["DatasetType"] == "derivative" and desc["BIDSVersion"]
    assert desc["GeneratedBy"][0]["Name"] == "myomri" and desc["GeneratedBy"][0]["Version"] == __version__


def test_every_subject_has_maps_masks_and_sidecars_equal_to_the_stage_outputs(finished_run):
    config, result = finished_run
    root = result.outdir / "derivatives" / "myomri"
    subjects = pd.read_csv(result.outdir / "stages" / "t2" / "t2_subjects.csv", dtype={"subject": str})
    assert len(subjects) == len(config.subjects)
    for sid in subjects["subject"]:
        label = sid.removeprefix("sub-")
        anat = root / f"sub-{label}" / "anat"
        stage = result.outdir / "stages" / "t2" / sid
        for name, src in (("desc-water_T2map", "t2"), ("FFmap", "ff"), ("desc-muscles_dseg", "labels")):
            img = anat / f"sub-{label}_{name}.nii.gz"
            np.testing.assert_array_equal(read_nifti(img).array, read_nifti(stage / f"{src}.nii.gz").array)
            sidecar = img.with_name(img.name.replace(".nii.gz", ".json")).read_text()
            # no paths in sidecars (a path can name a patient)
            assert str(config.source.parent) not in sidecar and str(result.outdir) not in sidecar
        dseg = json.loads((anat / f"sub-{label}_desc-muscles_dseg.json").read_text())
        assert dseg["Alignment"]["status"] in ("applied", "refused", "skipped")


def test_per_muscle_table_matches_the_derivative_maps(finished_run):
    _, result = finished_run
    tidy = pd.read_csv(result.outdir / "t2_per_muscle.csv", dtype={"subject": str, "side": str})
    assert list(tidy.columns) == ["subject", "side", "muscle", "n_voxels", "t2_mean", "t2_sd", "t2_median",
                                  "t2_iqr", "ff_mean"]
    summary = pd.read_csv(result.outdir / "stages" / "t2" / "t2_subjects.csv", dtype={"subject": str})
    # the demo's labels follow myomri's thigh scheme (its study says so): muscle and side split, as the README says
    assert set(tidy["side"]) == {"R", "L", "both"} and "VL" in set(tidy["muscle"])
    pooled = tidy[(tidy["muscle"] == "all") & (tidy["side"] == "both")].set_index("subject")
    np.testing.assert_allclose(pooled.loc[summary["subject"], "t2_mean"], summary["t2_mean"])
    sid = summary["subject"].iloc[0]
    anat = result.outdir / "derivatives" / "myomri" / f"sub-{sid.removeprefix('sub-')}" / "anat"
    t2 = read_nifti(next(anat.glob("*_T2map.nii.gz"))).array
    lab = read_nifti(next(anat.glob("*_dseg.nii.gz"))).array
    mine = tidy[(tidy["subject"] == sid) & (tidy["muscle"] != "all")]
    assert mine["n_voxels"].sum() == int(pooled.loc[sid, "n_voxels"])
    for row in mine.itertuples():  # each row equals the derivative maps inside its label value
        sel = (lab == label_value(row.muscle, row.side)) & (t2 != 0)
        assert row.n_voxels == sel.sum() and row.t2_mean == pytest.approx(t2[sel].mean(), rel=1e-5)
    for side in ("R", "L"):
        one = tidy[(tidy["subject"] == sid) & (tidy["side"] == side)]
        assert one[one["muscle"] != "all"]["n_voxels"].sum() == int(one[one["muscle"] == "all"]["n_voxels"].iloc[0])


def test_roi_stats_on_the_stage_fat_fraction_map_gives_runs_ff_means(finished_run, tmp_path):
    # run writes status.nii.gz beside ff.nii.gz: roi-stats then counts the fitted voxels of FF 0 as run does
    from myomri.cli import main

    _, result = finished_run
    tidy = pd.read_csv(result.outdir / "t2_per_muscle.csv", dtype={"subject": str, "side": str})
    sid = tidy["subject"].iloc[0]
    stage = result.outdir / "stages" / "t2" / sid
    out = tmp_path / "ff.csv"
    assert main(["roi-stats", str(stage / "ff.nii.gz"), str(stage / "labels.nii.gz"), "--label-scheme", "myomri",
                 "-o", str(out)]) == 0  # fmt: skip
    mine = tidy[(tidy["subject"] == sid) & (tidy["muscle"] != "all")]
    by_name = pd.read_csv(out).set_index("name")["mean"]
    for row in mine.itertuples():
        assert by_name[f"{row.muscle}_{row.side}"] == pytest.approx(row.ff_mean, rel=1e-5)
