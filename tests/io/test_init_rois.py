"""``myomri init --rois DIR``: reader ROIs matched to subjects by PatientID or pseudonymous id."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from myomri.errors import InputError
from myomri.io.image import Image
from myomri.io.init_study import init_study
from myomri.io.read import write_image
from myomri.pipeline.config import load_pipeline

from tests.io.test_init_study import KINDS, _write  # the tiny synthetic DICOM series of the init tests


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "export"
    for pid in ("P-ALPHA", "P-BETA"):
        for kind in KINDS:
            _write(root / pid / kind, pid, kind)
    return root


def _roi(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.zeros((6, 5, 3), np.uint8)
    arr[2:4, 2:4, 1] = 1
    write_image(Image(arr, spacing=(2, 2, 5)), path)


def _rois(root, folders=("P-ALPHA", "sub-002"), readers=("R1", "R2", "R1b")):
    for folder in folders:
        for reader in readers:
            ses = "_ses-2" if reader.endswith("b") else ""
            _roi(root / folder / f"{folder}{ses}_reader-{reader}_roi.nii.gz")
    return root


def test_rois_by_patient_id_or_pseudonym_become_manifest_rows_without_patient_fields(tree, tmp_path):
    rois = _rois(tmp_path / "rois")
    (rois / "P-ALPHA" / "notes.txt").write_text("not a mask: ignored")
    out = tmp_path / "study" / "study.yaml"
    init_study(tree, out, rois=rois)
    config = load_pipeline(out)
    assert config.features["enabled"] is True
    by_subject = {s.subject: s.rois for s in config.subjects}
    for sid in ("sub-001", "sub-002"):
        assert [(r["reader"], r["session"]) for r in by_subject[sid]] == [("R1", "1"), ("R2", "1"), ("R1b", "2")]
        assert all(r["image"] and r["label"] == 1 for r in by_subject[sid])
    rows = list(csv.DictReader(open(out.parent / "manifest.csv", newline="")))
    assert len(rows) == 6 and rows[0]["mask"] == "series/sub-001/roi/sub-001_reader-R1_roi.nii.gz"
    assert "P-ALPHA" not in (out.parent / "manifest.csv").read_text()


def test_roi_folder_matching_no_subject_lists_both_sets(tree, tmp_path):
    rois = _rois(tmp_path / "rois", folders=("P-ALPHA", "P-GAMMA"))
    with pytest.raises(InputError, match=r"\['P-GAMMA'\] match no subject.*sub-001"):
        init_study(tree, tmp_path / "s" / "study.yaml", rois=rois)


def test_badly_named_roi_file_is_refused_with_the_pattern(tree, tmp_path):
    rois = _rois(tmp_path / "rois")
    _roi(rois / "P-ALPHA" / "alpha_roi.nii.gz")
    with pytest.raises(InputError, match="alpha_roi.nii.gz: file name not understood; expected"):
        init_study(tree, tmp_path / "s" / "study.yaml", rois=rois)


def test_readers_the_analysis_does_not_compare_are_refused(tree, tmp_path):
    rois = _rois(tmp_path / "rois", readers=("A", "B"))
    with pytest.raises(InputError, match=r"readers \['A', 'B'\] found.*'R1'"):
        init_study(tree, tmp_path / "s" / "study.yaml", rois=rois)


def test_an_roi_folder_holding_no_roi_is_refused(tree, tmp_path):
    (tmp_path / "rois").mkdir()
    with pytest.raises(InputError, match="no reader ROI found; expected"):
        init_study(tree, tmp_path / "s" / "study.yaml", rois=tmp_path / "rois")
    assert not (tmp_path / "s" / "study.yaml").exists()
