"""Cohort batch extraction: manifest checks, order, parallel (joblib, dask), resume, failures, CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myomri.errors import InputError, MissingFileError
from myomri.io.image import Image
from myomri.io.nifti import write_nifti

pytest.importorskip("myomri.features.compute", exc_type=ImportError)
from myomri.features import batch  # noqa: E402
from myomri.features.extractor import FeatureExtractor  # noqa: E402

PARAMS = {"setting": {"binWidth": 20}, "featureClass": {"firstorder": None, "glcm": ["Contrast", "Idm"]}}


def _case(folder: Path, name: str, seed: int, *, roi: bool = True) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    img = Image(rng.integers(0, 300, (24, 20, 1)).astype(np.int16), spacing=(0.8, 0.8, 5.0))
    m = np.zeros((24, 20, 1), np.uint8)
    if roi:
        m[4 + seed % 3:18, 5:15] = 1
    ip, mp = folder / f"{name}_img.nii.gz", folder / f"{name}_mask.nii.gz"
    write_nifti(img, ip)
    write_nifti(img.with_array(m), mp)
    return ip, mp


def _manifest(folder: Path, rows: list[dict], name="manifest.csv") -> Path:
    path = folder / name
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def cohort(tmp_path):
    rows = []
    for n in range(4):
        ip, mp = _case(tmp_path, f"s{n}", n)
        rows.append({"subject": f"s{n}", "reader": "A", "image": ip.name, "mask": mp.name})  # relative paths
    return tmp_path, rows


def test_batch_rows_follow_manifest_and_equal_single_case_extraction(cohort):
    folder, rows = cohort
    rows = rows[::-1]  # manifest order, not file order
    res = batch.run_batch(_manifest(folder, rows), out=folder / "features.csv", params=PARAMS, progress=False)
    table = pd.read_csv(folder / "features.csv")
    assert list(table["subject"]) == [r["subject"] for r in rows]
    assert (table["status"] == "ok").all() and res.n_failed == 0
    ext = FeatureExtractor(PARAMS)
    single = ext.extract_files(folder / rows[1]["image"], folder / rows[1]["mask"])
    for col in ext.feature_columns():
        assert table.loc[1, col] == pytest.approx(single[col], rel=1e-12)


def test_rerun_after_interruption_recomputes_only_missing_cases(cohort, monkeypatch):
    folder, rows = cohort
    out = folder / "features.csv"
    batch.run_batch(_manifest(folder, rows[:2], "part.csv"), out=out, params=PARAMS, progress=False)
    calls = []
    real = batch.extract_case
    monkeypatch.setattr(batch, "extract_case", lambda *a: calls.append(a[0]) or real(*a))
    res = batch.run_batch(_manifest(folder, rows), out=out, params=PARAMS, progress=False)
    assert res.n_cached == 2 and res.n_computed == 2
    assert sorted(Path(c).name for c in calls) == ["s2_img.nii.gz", "s3_img.nii.gz"]
    # changed settings -> nothing reused
    res = batch.run_batch(_manifest(folder, rows), out=out, params={"setting": {"binWidth": 10}}, progress=False)
    assert res.n_cached == 0
    # an input rewritten with the same content (new mtime) is still served from the cache
    calls.clear()
    _case(folder, "s1", 1)
    res = batch.run_batch(_manifest(folder, rows), out=out, params=PARAMS, progress=False)
    assert res.n_cached == 4 and calls == []
    # changed input -> that case is recomputed
    _case(folder, "s1", 4)
    res = batch.run_batch(_manifest(folder, rows), out=out, params=PARAMS, progress=False)
    assert res.n_cached == 3 and [Path(c).name for c in calls] == ["s1_img.nii.gz"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_first_run_names_its_parts_by_the_keys_a_rerun_looks_up(cohort, jobs):
    """With nothing cached the workers hash their own cases; the parts they leave must be the
    ones the parent's lookup finds (the same key as :func:`batch.case_key`)."""
    folder, rows = cohort
    out = folder / f"first{jobs}.csv"
    manifest = _manifest(folder, rows, f"m{jobs}.csv")
    res = batch.run_batch(manifest, out=out, params=PARAMS, jobs=jobs, progress=False)
    assert res.n_computed == len(rows) and res.n_cached == 0
    settings = batch.read_params(PARAMS).hash
    expected = {batch.case_key(str(folder / r["image"]), str(folder / r["mask"]), None, settings) for r in rows}
    parts = out.with_name(out.name + ".parts")
    assert {p.stem for p in parts.glob("*.json")} == expected
    assert all("key" not in json.loads(p.read_text()) for p in parts.glob("*.json"))
    again = batch.run_batch(manifest, out=out, params=PARAMS, jobs=jobs, progress=False)
    assert again.n_cached == len(rows) and again.n_computed == 0
    pd.testing.assert_frame_equal(again.table, res.table)


def test_an_input_unreadable_on_a_rerun_fails_that_case_only(cohort, monkeypatch):
    """With parts to look up, the parent hashes every input first; one it cannot read is that
    case's failure (as on a first run), not the batch's."""
    from myomri.features import _batch_cache

    folder, rows = cohort
    out = folder / "unreadable.csv"
    manifest = _manifest(folder, rows, "unreadable_manifest.csv")
    batch.run_batch(manifest, out=out, params=PARAMS, progress=False)
    real = _batch_cache._sha256
    victim = (folder / rows[1]["image"]).name

    def refuse(path):
        if Path(path).name == victim:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(_batch_cache, "_sha256", refuse)
    monkeypatch.setattr(batch, "extract_case", lambda *a: {"status": "failed", "error_type": "PermissionError",
                                                            "message": f"Permission denied: {a[0]}"})  # fmt: skip
    res = batch.run_batch(manifest, out=out, params=PARAMS, progress=False)
    assert res.n_failed == 1 and res.n_cached == len(rows) - 1
    assert res.errors[0]["error_type"] == "PermissionError"


def test_failing_case_goes_to_errors_file_and_others_continue(cohort):
    folder, rows = cohort
    ip, mp = _case(folder, "bad", 7, roi=False)  # empty mask
    rows = rows[:2] + [{"subject": "bad", "reader": "A", "image": ip.name, "mask": mp.name}]
    out = folder / "features.csv"
    res = batch.run_batch(_manifest(folder, rows), out=out, params=PARAMS, progress=False)
    assert res.n_failed == 1
    table = pd.read_csv(out)
    assert list(table["status"]) == ["ok", "ok", "failed"]
    assert np.isnan(table.loc[2, "original_glcm_Contrast"])
    errors = pd.read_csv(folder / "features.errors.csv")
    assert list(errors["subject"]) == ["bad"]
    assert errors.loc[0, "error_type"] == "MaskError" and "no labels" in errors.loc[0, "message"]


def test_manifest_with_missing_files_lists_them_all(cohort):
    folder, rows = cohort
    rows[1]["image"] = "gone1.nii.gz"
    rows[2]["mask"] = "gone2.nii.gz"
    with pytest.raises(InputError, match="2 missing file.*gone1.nii.gz.*gone2.nii.gz"):
        batch.read_manifest(_manifest(folder, rows))


def test_manifest_empty_required_cells_are_named_by_row_and_column(cohort):
    # issue 16 #13: an empty mask cell became '.', the manifest folder, then scanned as DICOM
    folder, rows = cohort
    rows[1]["mask"] = ""
    rows[2]["subject"] = "  "
    with pytest.raises(InputError) as info:
        batch.read_manifest(_manifest(folder, rows))
    msg = str(info.value)
    assert "line 3 (row 2): column 'mask' is empty; expected a path" in msg
    assert "line 4 (row 3): column 'subject' is empty" in msg
    assert "DICOM" not in msg and "2 problem(s)" in msg


def test_manifest_cells_are_stripped_of_whitespace(cohort):
    # issue 16 #13: a trailing space after a path aborted the batch with a raw FileNotFoundError
    folder, rows = cohort
    plain = batch.read_manifest(_manifest(folder, rows[:2], "plain.csv"))
    rows[0]["image"] += " "
    rows[1]["mask"] = " " + rows[1]["mask"] + "\t"
    rows[1]["subject"] += " "
    spaced = batch.read_manifest(_manifest(folder, rows[:2], "spaced.csv"))
    pd.testing.assert_frame_equal(spaced, plain)
    res = batch.run_batch(folder / "spaced.csv", out=folder / "f.csv", params=PARAMS, progress=False)
    assert res.n_failed == 0 and list(res.table["subject"]) == ["s0", "s1"]


def test_manifest_with_duplicate_rows_lists_them(cohort):
    folder, rows = cohort
    rows.append(dict(rows[0]))
    with pytest.raises(InputError, match="duplicate rows .* lines 2, 6"):
        batch.read_manifest(_manifest(folder, rows))


def test_manifest_missing_columns_and_missing_manifest(cohort, tmp_path):
    folder, rows = cohort
    for r in rows:
        del r["reader"]
    with pytest.raises(InputError, match="lacks column\\(s\\) reader"):
        batch.read_manifest(_manifest(folder, rows))
    with pytest.raises(MissingFileError, match="manifest not found"):
        batch.read_manifest(tmp_path / "none.csv")


def test_joblib_processes_give_same_table_as_serial(cohort):
    folder, rows = cohort
    m = _manifest(folder, rows)
    a = batch.run_batch(m, out=folder / "a.csv", params=PARAMS, progress=False).table
    b = batch.run_batch(m, out=folder / "b.csv", params=PARAMS, jobs=2, progress=False).table
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_dask_local_cluster_gives_same_table(cohort):
    distributed = pytest.importorskip("distributed")
    folder, rows = cohort
    m = _manifest(folder, rows)
    a = batch.run_batch(m, out=folder / "a.csv", params=PARAMS, progress=False).table
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        b = batch.run_batch(m, out=folder / "d.csv", params=PARAMS, executor="dask",
                            scheduler=cluster.scheduler_address, progress=False).table
    pd.testing.assert_frame_equal(a, b)


def test_cli_single_case_and_manifest_exit_codes(cohort, tmp_path):
    from myomri.cli import main

    folder, rows = cohort
    params = tmp_path / "p.yaml"
    params.write_text("setting:\n  binWidth: 20\nfeatureClass:\n  glcm: [Contrast]\n")
    out = tmp_path / "one.csv"
    assert main(["extract", str(folder / rows[0]["image"]), str(folder / rows[0]["mask"]),
                 "--params", str(params), "-o", str(out)]) == 0
    one = pd.read_csv(out)
    assert len(one) == 1 and "original_glcm_Contrast" in one.columns
    assert main(["extract", "--manifest", str(_manifest(folder, rows)), "--params", str(params),
                 "-o", str(tmp_path / "all.csv"), "--no-progress"]) == 0
    ip, mp = _case(folder, "bad", 7, roi=False)
    bad = _manifest(folder, rows + [{"subject": "bad", "reader": "A", "image": ip.name, "mask": mp.name}], "b.csv")
    assert main(["extract", "--manifest", str(bad), "-o", str(tmp_path / "all2.csv"), "--no-progress"]) == 1
    # a bad parameter file: one clear line, exit 2
    params.write_text("setting:\n  binWidth: 0\n")
    assert main(["extract", "--manifest", str(bad), "--params", str(params), "-o", str(tmp_path / "x.csv")]) == 2


def test_manifest_label_and_session_columns(cohort):
    folder, rows = cohort
    for n, r in enumerate(rows):
        r["session"] = "t0" if n % 2 else "t1"
        r["label"] = "1"
    rows.append({**rows[0], "session": "t2"})  # same subject/reader, other session: not a duplicate
    res = batch.run_batch(_manifest(folder, rows), out=folder / "f.csv", params=PARAMS, progress=False)
    assert list(res.table["session"]) == ["t1", "t0", "t1", "t0", "t2"]
    assert (res.table["label"] == 1).all() and res.n_failed == 0
    rows[1]["label"] = "x"
    with pytest.raises(InputError, match="line 3: label 'x'"):
        batch.read_manifest(_manifest(folder, rows))


def test_mask_edited_in_place_with_same_size_and_mtime_is_recomputed(tmp_path):
    # issue 16 #8: an uncompressed NIfTI always keeps its size; an editor (or a copy with -p) can keep
    # its mtime too, so the cache must key on the content
    rng = np.random.default_rng(5)
    img = Image(rng.integers(0, 300, (24, 20, 1)).astype(np.int16), spacing=(0.8, 0.8, 5.0))
    m = np.zeros((24, 20, 1), np.uint8)
    m[4:18, 5:15] = 1
    write_nifti(img, tmp_path / "img.nii")
    write_nifti(img.with_array(m), tmp_path / "mask.nii")
    manifest = _manifest(tmp_path, [{"subject": "s", "reader": "A", "image": "img.nii", "mask": "mask.nii"}])
    out = tmp_path / "features.csv"
    first = batch.run_batch(manifest, out=out, params=PARAMS, progress=False).table
    mask_path = tmp_path / "mask.nii"
    stat = mask_path.stat()
    m[4:10, 5:15] = 0  # a smaller ROI, same file size
    edited = tmp_path / "edited.nii"
    write_nifti(img.with_array(m), edited)
    mask_path.write_bytes(edited.read_bytes())  # in place, as an editor saves
    import os

    os.utime(mask_path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert mask_path.stat().st_size == stat.st_size and mask_path.stat().st_mtime_ns == stat.st_mtime_ns
    res = batch.run_batch(manifest, out=out, params=PARAMS, progress=False)
    assert res.n_cached == 0 and res.n_computed == 1
    single = FeatureExtractor(PARAMS).extract_files(img_path := tmp_path / "img.nii", mask_path)
    assert res.table.loc[0, "original_firstorder_Mean"] == pytest.approx(single["original_firstorder_Mean"])
    assert res.table.loc[0, "original_firstorder_Mean"] != first.loc[0, "original_firstorder_Mean"]
    assert img_path.is_file()


def test_extract_manifest_output_feeds_a_study_without_diagnostics_becoming_features(cohort, capsys):
    # issue 16 #16: diagnostics_roi_voxels (and the id/status columns) were taken as study features
    import yaml

    from myomri.analysis.study_checks import read_tables
    from myomri.analysis.study_config import load_study
    from myomri.cli import main

    folder, rows = cohort
    out = folder / "features.csv"
    assert main(["extract", "--manifest", str(_manifest(folder, rows)), "--params", str(_params(folder)),
                 "-o", str(out), "--no-progress"]) == 0
    table = pd.read_csv(out)
    assert "diagnostics_roi_voxels" in table.columns  # kept for the user, prefixed
    pd.DataFrame({"subject": [r["subject"] for r in rows], "group": ["a", "b"] * 2}).to_csv(
        folder / "clinical.csv", index=False)
    study = folder / "study.yaml"
    study.write_text(yaml.safe_dump({"features": "features.csv", "clinical": "clinical.csv",
                                     "tasks": [{"name": "t", "target": "group"}]}))
    problems: list[str] = []
    _, _, names = read_tables(load_study(study), problems)
    assert problems == []
    assert names == FeatureExtractor(PARAMS).feature_columns()
    assert not [n for n in names if n.startswith("diagnostics_") or n in ("label", "image", "mask", "status")]
    # 4 subjects are too few for the CV (reported), but no column is called non-numeric or a non-feature
    assert main(["study", "validate", str(study)]) == 2
    err = capsys.readouterr().err
    assert "fewer subjects than the 10 CV folds" in err and "diagnostics" not in err and "non-numeric" not in err


def test_study_refuses_a_features_table_with_failed_cases(cohort):
    import yaml

    from myomri.analysis.study import load_tables
    from myomri.analysis.study_config import load_study

    folder, rows = cohort
    ip, mp = _case(folder, "bad", 7, roi=False)
    rows = rows[:2] + [{"subject": "bad", "reader": "A", "image": ip.name, "mask": mp.name}]
    batch.run_batch(_manifest(folder, rows), out=folder / "features.csv", params=PARAMS, progress=False)
    pd.DataFrame({"subject": ["s0", "s1", "bad"], "group": ["a", "b", "a"]}).to_csv(folder / "clinical.csv",
                                                                                  index=False)
    (folder / "study.yaml").write_text(yaml.safe_dump({"features": "features.csv", "clinical": "clinical.csv",
                                                       "tasks": [{"name": "t", "target": "group"}]}))
    with pytest.raises(InputError, match=r"features.csv: 1 case\(s\) without features .*\['bad/A'\]"):
        load_tables(load_study(folder / "study.yaml"))


def _params(folder: Path) -> Path:
    import yaml

    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(PARAMS))
    return path
