"""``myomri init`` on BIDS and ORMIR-MIDS folders (tiny synthetic NIfTI files with JSON sidecars)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import InputError
from myomri.io.image import Image
from myomri.io.init_study import init_study
from myomri.io.read import read_image, write_image
from myomri.pipeline.config import load_pipeline


def _nii(path, n_echo=0, sidecar=None, value=1):
    shape = (6, 5, 3) + ((n_echo,) if n_echo else ())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(Image(np.full(shape, value, dtype=np.int16), spacing=(2, 2, 5)), path)
    if sidecar is not None:
        path.with_name(path.name.replace(".nii.gz", ".json")).write_text(json.dumps(sidecar))
    return path


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _by_file(study):
    return {r["series_uid"]: r for r in _rows(study.parent / "series.csv") if r["series_uid"]}


@pytest.fixture
def mids(tmp_path):
    """ORMIR-MIDS as dcm2omids writes it: mr-anat/, EchoTime in ms, patient fields in *_patient.json."""
    root = tmp_path / "mids"
    for sub in ("sub-01", "sub-02"):
        anat = root / sub / "mr-anat"
        _nii(anat / f"{sub}_mese.nii.gz", 4, {"EchoTime": [10, 20, 30, 40], "MRAcquisitionType": "2D",
                                              "RefocusingFlipAngle": 180, "RepetitionTime": 3000})
        (anat / f"{sub}_mese_patient.json").write_text(json.dumps({"PatientName": "Secret^Person"}))
        _nii(anat / f"{sub}_stir.nii.gz", 0, {"InversionTime": 160, "ScanningSequence": "IR"})
        _nii(anat / f"{sub}_dixon_water.nii.gz")
        _nii(anat / f"{sub}_dixon_fat.nii.gz")
        _nii(anat / f"{sub}_megre.nii.gz", 6, {"EchoTime": [1.2, 2.4, 3.6, 4.8, 6.0, 7.2]})
        _nii(root / sub / "mr-quant" / f"{sub}_t2.nii.gz")
    return root


def test_ormir_mids_roles_reasons_and_a_study_run_accepts(mids, tmp_path):
    out = tmp_path / "study" / "study.yaml"
    result = init_study(mids, out)
    assert result.subjects == ["sub-01", "sub-02"] and result.key_file is None
    assert not (out.parent / "subject_key.csv").exists()  # sub- labels are already pseudonymous
    rows = _by_file(out)
    roles = {k: (r["role"], r["status"]) for k, r in rows.items() if k.startswith("sub-01/")}
    assert roles == {
        "sub-01/mr-anat/sub-01_mese.nii.gz": ("mese", "used"),
        "sub-01/mr-anat/sub-01_stir.nii.gz": ("stir", "used"),
        "sub-01/mr-anat/sub-01_dixon_water.nii.gz": ("water", "used"),
        "sub-01/mr-anat/sub-01_dixon_fat.nii.gz": ("fat", "used"),
        "sub-01/mr-anat/sub-01_megre.nii.gz": ("", "skipped"),
        "sub-01/mr-quant/sub-01_t2.nii.gz": ("t2map", "used"),
    }
    mese = rows["sub-01/mr-anat/sub-01_mese.nii.gz"]
    assert mese["reason"] == "suffix _mese, 4 echo times (10-40 ms)" and mese["acquisition"] == "2D"
    assert "gradient echo" in rows["sub-01/mr-anat/sub-01_megre.nii.gz"]["reason"]
    spec = {s.subject: s for s in load_pipeline(out).subjects}["sub-01"]  # what 'myomri run' validates first
    image = read_image(spec.mese)  # ms in the dataset, seconds in the sidecar init wrote beside the link
    assert image.echo_times == (10.0, 20.0, 30.0, 40.0) and image.meta["MRAcquisitionType"] == "2D"
    assert image.meta["RepetitionTime"] == pytest.approx(3000.0)
    for f in out.parent.rglob("*"):
        if f.is_file() and not f.is_symlink():
            assert b"Secret" not in f.read_bytes(), f


@pytest.fixture
def bids(tmp_path):
    """BIDS: echo-<N> MESE files (EchoTime in s), STIR named by acq- or by its sidecar, participants.tsv."""
    root = tmp_path / "bids"
    root.mkdir()
    (root / "dataset_description.json").write_text(json.dumps({"Name": "t", "BIDSVersion": "1.9.0"}))
    (root / "participants.tsv").write_text("participant_id\tgroup\nsub-01\tPM\nsub-02\tHC\n")
    anat = root / "sub-01" / "anat"
    for n, te in enumerate((0.01, 0.02, 0.03, 0.04), start=1):
        _nii(anat / f"sub-01_echo-{n}_MESE.nii.gz", 0, {"EchoTime": te, "MRAcquisitionType": "2D"}, value=n)
    _nii(anat / "sub-01_acq-stir_T2w.nii.gz")
    _nii(anat / "sub-01_part-water_dixon.nii.gz")
    _nii(anat / "sub-01_part-fat_dixon.nii.gz")
    _nii(anat / "sub-01_T1w.nii.gz")
    anat2 = root / "sub-02" / "anat"
    _nii(anat2 / "sub-02_T2w.nii.gz", 0, {"ScanningSequence": "IR", "InversionTime": 0.17})
    anat2.joinpath("sub-02_T2map.nii.gz").write_bytes(b"not a nifti file at all" * 20)
    return root


def test_bids_echo_files_stacked_stir_from_sidecar_missing_mese_and_unreadable_listed(bids, tmp_path):
    out = tmp_path / "s" / "study.yaml"
    init_study(bids, out)
    rows = _by_file(out)
    mese = rows["sub-01/anat/sub-01_MESE.nii.gz"]  # the four echo files as one series
    assert (mese["role"], mese["status"], mese["n_files"]) == ("mese", "used", "4")
    stacked = read_image(out.parent / mese["path"])
    assert stacked.shape == (6, 5, 3, 4) and stacked.echo_times == (10.0, 20.0, 30.0, 40.0)
    assert list(stacked.array[0, 0, 0]) == [1, 2, 3, 4]  # echoes in echo-time order
    assert rows["sub-01/anat/sub-01_acq-stir_T2w.nii.gz"]["reason"] == "acq-stir names STIR (suffix _t2w)"
    assert rows["sub-01/anat/sub-01_part-water_dixon.nii.gz"]["role"] == "water"
    assert rows["sub-01/anat/sub-01_T1w.nii.gz"]["role"] == "t1"
    stir2 = rows["sub-02/anat/sub-02_T2w.nii.gz"]
    assert (stir2["role"], stir2["reason"]) == ("stir", "inversion recovery with short TI 170 ms (sidecar)")
    bad = rows["sub-02/anat/sub-02_T2map.nii.gz"]
    assert bad["status"] == "skipped" and bad["reason"].startswith("unreadable NIfTI (cannot read as NIfTI")
    missing = [r for r in _rows(out.parent / "series.csv") if r["status"] == "missing"]
    assert [(r["subject"], r["role"]) for r in missing] == [("sub-02", "mese")]
    assert "T2 is skipped" in missing[0]["reason"]
    specs = {s.subject: s for s in load_pipeline(out).subjects}
    assert specs["sub-02"].mese is None and specs["sub-02"].water is None
    # the dataset's participants.tsv is the clinical table: groups are known
    assert "sub-01\tPM" in (out.parent / "participants.tsv").read_text()
    assert "reductions: []" in out.read_text()


def test_two_stir_files_are_ambiguous_and_role_by_path_resolves(mids, tmp_path):
    second = "sub-01/mr-anat/sub-01_acq-cor_stir.nii.gz"
    _nii(mids / second)
    out = tmp_path / "s" / "study.yaml"
    assert main(["init", str(mids), "-o", str(out)]) == 1
    amb = [r for r in _rows(out.parent / "series.csv") if r["status"] == "ambiguous"]
    assert {r["series_uid"] for r in amb} == {second, "sub-01/mr-anat/sub-01_stir.nii.gz"}
    assert f"--role {second}=stir" in amb[0]["reason"]
    assert {r["subject"]: r for r in _rows(out.parent / "manifest.csv")}["sub-01"]["image"] == ""
    assert main(["init", str(mids), "-o", str(out), "--role", f"{second}=stir"]) == 0
    used = [r for r in _rows(out.parent / "series.csv") if r["role"] == "stir" and r["status"] == "used"]
    assert [r["series_uid"] for r in used if r["subject"] == "sub-01"] == [second]
    with pytest.raises(InputError, match=r"--role: file\(s\) \(paths relative to the dataset\) sub-09/x.nii.gz"):
        init_study(mids, out, roles={"sub-09/x.nii.gz": "stir"})


def test_ormir_sidecar_in_seconds_is_listed_not_fitted_in_the_wrong_unit(mids, tmp_path):
    side = mids / "sub-02" / "mr-anat" / "sub-02_mese.json"
    side.write_text(json.dumps({"EchoTime": [0.01, 0.02, 0.03, 0.04]}))
    out = tmp_path / "s" / "study.yaml"
    init_study(mids, out)
    row = _by_file(out)["sub-02/mr-anat/sub-02_mese.nii.gz"]
    assert row["status"] == "skipped" and "looks like seconds; ORMIR-MIDS sidecars give EchoTime in ms" in row["reason"]


def test_dataset_description_without_images_is_an_error_naming_the_layout(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "dataset_description.json").write_text("{}")
    with pytest.raises(InputError, match="without NIfTI images in sub-<label>/ folders"):
        init_study(tmp_path / "d", tmp_path / "s" / "study.yaml")


def test_reader_rois_of_a_nifti_dataset_are_matched_by_sub_label(mids, tmp_path):
    rois = tmp_path / "rois"
    for sub in ("sub-01", "sub-02"):
        for reader in ("R1", "R2", "R1b"):
            _nii(rois / sub / f"{sub}_reader-{reader}_roi.nii.gz")
    out = tmp_path / "s" / "study.yaml"
    init_study(mids, out, rois=rois)
    manifest = _rows(out.parent / "manifest.csv")
    assert len(manifest) == 6 and {r["reader"] for r in manifest} == {"R1", "R2", "R1b"}
    assert all(r["image"].endswith("_stir.nii.gz") and r["mask"] for r in manifest)
    assert "enabled: true" in out.read_text()  # radiomics on with reader ROIs
