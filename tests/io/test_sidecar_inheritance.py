"""JSON sidecars inherited inside a BIDS / ORMIR-MIDS dataset (the BIDS inheritance principle).

Known answers are the rules of the specification: a JSON file in the image's folder or a folder
above it, up to the dataset root, applies when its suffix is the image's and its entities are a
subset of the image's (same values); the nearer file overrides; two applicable files at one level
are an error; outside a dataset only the file beside the image counts.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import EchoTimeError, FormatError
from myomri.io.image import Image
from myomri.io.nifti import write_nifti
from myomri.io.nifti_dataset import scan_nifti_dataset
from myomri.io.read import read_image
from myomri.io.sidecar import applicable_sidecars, parse_name, read_sidecar
from myomri.t2.dictionary import default_slice_profile, simulate_cpmg

TES = tuple(10.0 * (i + 1) for i in range(17))


def _dataset(tmp_path, *, description: bool = True):
    """``root/sub-01/anat/sub-01_acq-mese_MESE.nii.gz`` (4-D, 17 echoes of T2 35 ms with a slice
    profile), its own sidecar holding only the echo times, and the root folder."""
    root = tmp_path / "ds"
    anat = root / "sub-01" / "anat"
    anat.mkdir(parents=True)
    if description:
        (root / "dataset_description.json").write_text(json.dumps({"Name": "t", "BIDSVersion": "1.9.0"}))
    sig = 1000.0 * simulate_cpmg(35.0, esp=10.0, n_echoes=17, t1=1400.0, b1=0.9, slice_profile=default_slice_profile())
    image = anat / "sub-01_acq-mese_MESE.nii.gz"
    data = np.ascontiguousarray(np.broadcast_to(sig, (6, 5, 2, 17)).astype(np.float32))
    write_nifti(Image(data, spacing=(1.5, 1.5, 5.0)), image)
    (anat / "sub-01_acq-mese_MESE.json").write_text(json.dumps({"EchoTime": [t / 1000 for t in TES]}))
    return root, image


def _write(path, fields):
    path.write_text(json.dumps(fields))


def test_parse_name_splits_entities_and_suffix():
    assert parse_name("sub-01_acq-mese_echo-2_MESE.nii.gz") == ({"sub": "01", "acq": "mese", "echo": "2"}, ("mese",))
    assert parse_name("acq-mese_MESE.json") == ({"acq": "mese"}, ("mese",))
    assert parse_name("sub-01_megre_ph.nii") == ({"sub": "01"}, ("megre", "ph"))


def test_top_level_fields_reach_the_image_and_the_nearer_file_wins(tmp_path):
    root, image = _dataset(tmp_path)
    _write(root / "acq-mese_MESE.json", {"MRAcquisitionType": "2D", "RepetitionTime": 2.5, "FlipAngle": 90})
    _write(root / "sub-01" / "sub-01_acq-mese_MESE.json", {"FlipAngle": 180, "PatientName": "Doe^Jane"})
    sides = applicable_sidecars(image)
    assert [p.relative_to(root).as_posix() for p in sides] == [
        "acq-mese_MESE.json",
        "sub-01/sub-01_acq-mese_MESE.json",
        "sub-01/anat/sub-01_acq-mese_MESE.json",
    ]
    img = read_image(image)
    assert img.meta["MRAcquisitionType"] == "2D"
    assert img.meta["RepetitionTime"] == pytest.approx(2500.0)  # seconds -> ms
    assert img.meta["FlipAngle"] == 180  # the subject-level file overrides the dataset-level one
    assert tuple(img.echo_times) == pytest.approx(TES)
    assert "PatientName" not in img.meta  # inherited files pass the same allow-list
    assert not any(str(tmp_path) in str(v) for v in img.meta.values())  # no file paths in the metadata
    _, meta = read_sidecar(image.parent / "sub-01_acq-mese_MESE.json")  # what `myomri info` shows of it
    assert not any(str(tmp_path) in str(v) for v in meta.values())


def test_files_of_other_entities_or_suffix_do_not_apply(tmp_path):
    root, image = _dataset(tmp_path)
    _write(root / "acq-other_MESE.json", {"MRAcquisitionType": "3D"})  # another acquisition
    _write(root / "acq-mese_T1w.json", {"MRAcquisitionType": "3D"})  # another suffix
    _write(root / "sub-02_MESE.json", {"MRAcquisitionType": "3D"})  # another subject
    _write(root / "sub-01" / "sub-01_acq-mese_patient.json", {"MRAcquisitionType": "3D"})  # patient file
    assert [p.name for p in applicable_sidecars(image)] == ["sub-01_acq-mese_MESE.json"]
    assert "MRAcquisitionType" not in read_image(image).meta


def test_outside_a_dataset_only_the_file_beside_counts(tmp_path):
    root, image = _dataset(tmp_path, description=False)
    plain = tmp_path / "plain" / "scans"  # no dataset_description.json, no sub- folder
    plain.mkdir(parents=True)
    moved = plain / image.name
    image.rename(moved)
    (image.parent / "sub-01_acq-mese_MESE.json").rename(plain / "sub-01_acq-mese_MESE.json")
    _write(tmp_path / "plain" / "acq-mese_MESE.json", {"MRAcquisitionType": "3D"})
    assert [p.name for p in applicable_sidecars(moved)] == ["sub-01_acq-mese_MESE.json"]
    assert "MRAcquisitionType" not in read_image(moved).meta


def test_sub_folders_make_a_dataset_as_for_init(tmp_path):
    """Without dataset_description.json the folder holding sub-<label>/ is the dataset, as
    ``myomri init`` takes it: read_image and the init scan see the same fields."""
    root, image = _dataset(tmp_path, description=False)
    _write(root / "acq-mese_MESE.json", {"MRAcquisitionType": "3D"})
    assert read_image(image).meta["MRAcquisitionType"] == "3D"
    (series,) = scan_nifti_dataset(root)
    assert series.sidecar["MRAcquisitionType"] == "3D"


def test_the_file_named_as_the_image_wins_over_another_of_its_folder(tmp_path):
    root, image = _dataset(tmp_path)
    _write(image.parent / "MESE.json", {"MRAcquisitionType": "2D", "FlipAngle": 180})
    _write(image.parent / "sub-01_acq-mese_MESE.json", {"EchoTime": [t / 1000 for t in TES], "FlipAngle": 150})
    assert [p.name for p in applicable_sidecars(image)] == ["MESE.json", "sub-01_acq-mese_MESE.json"]
    meta = read_image(image).meta
    assert meta["MRAcquisitionType"] == "2D" and meta["FlipAngle"] == 150  # merged, the own file last


def test_an_echo_time_error_names_the_file_the_echo_times_are_in(tmp_path):
    root, image = _dataset(tmp_path)
    _write(root / "acq-mese_MESE.json", {"EchoTime": [0.01, 0.02]})  # 2 echo times for 17 volumes
    _write(image.parent / "sub-01_acq-mese_MESE.json", {"FlipAngle": 90})
    with pytest.raises(EchoTimeError, match=r"acq-mese_MESE\.json: 2 echo times for the 17 volumes") as err:
        read_image(image)
    assert str(root / "acq-mese_MESE.json") in str(err.value)


def test_two_applicable_files_at_one_level_are_refused_by_name(tmp_path):
    root, image = _dataset(tmp_path)
    _write(root / "MESE.json", {"MRAcquisitionType": "2D"})
    _write(root / "acq-mese_MESE.json", {"MRAcquisitionType": "3D"})
    with pytest.raises(FormatError, match=r"2 JSON sidecars at one level.*MESE\.json, acq-mese_MESE\.json"):
        read_image(image)
    (series,) = scan_nifti_dataset(root)  # myomri init reports it on that series instead
    assert "at most one per folder" in series.error


def test_a_broken_inherited_sidecar_is_named_within_the_dataset(tmp_path):
    root, image = _dataset(tmp_path)
    (root / "acq-mese_MESE.json").write_text("[1, 2]")
    with pytest.raises(FormatError, match=r"acq-mese_MESE\.json: sidecar holds a list, expected a JSON object"):
        read_image(image)
    (series,) = scan_nifti_dataset(root)  # init's report: named from the dataset root, no absolute path
    assert series.error == "acq-mese_MESE.json: sidecar holds a list, expected a JSON object"
    (root / "acq-mese_MESE.json").unlink()
    (image.parent / "sub-01_acq-mese_MESE.json").write_text("{not json")
    (series,) = scan_nifti_dataset(root)
    assert series.error.startswith("sub-01/anat/sub-01_acq-mese_MESE.json: cannot read JSON sidecar")
    assert str(tmp_path) not in series.error


def test_init_scan_sees_inherited_fields(tmp_path):
    root, _ = _dataset(tmp_path)
    _write(root / "acq-mese_MESE.json", {"MRAcquisitionType": "2D", "SeriesDescription": "T2 MESE"})
    (series,) = scan_nifti_dataset(root)
    assert not series.error
    assert series.sidecar["MRAcquisitionType"] == "2D" and series.sidecar["SeriesDescription"] == "T2 MESE"
    assert series.echo_ms == pytest.approx(TES)


@pytest.mark.parametrize("acquisition,enabled", [("2D", True), ("3D", False)])
def test_t2fit_slice_profile_default_follows_an_inherited_sidecar(tmp_path, acquisition, enabled):
    root, image = _dataset(tmp_path)
    _write(root / "acq-mese_MESE.json", {"MRAcquisitionType": acquisition})
    out = tmp_path / "o"
    assert main(["t2fit", str(image), "-o", str(out), "--fat-fraction", "0", "--noise-threshold", "0"]) == 0
    choice = json.loads((out / "summary.json").read_text())["slice_profile_choice"]
    assert choice["enabled"] is enabled and choice["source"] == "MRAcquisitionType"


def test_a_link_to_a_dataset_image_reads_its_own_sidecar(tmp_path):
    """``myomri run`` links a dataset's image into its series folder beside a sidecar of its own
    (BIDS units, allow-listed fields): that one applies, not the dataset's files at the target."""
    root, image = _dataset(tmp_path)
    _write(root / "acq-mese_MESE.json", {"MRAcquisitionType": "3D"})
    series = tmp_path / "out" / "series"
    series.mkdir(parents=True)
    link = series / "mese.nii.gz"
    link.symlink_to(image)
    _write(series / "mese.json", {"EchoTime": [t / 1000 for t in TES], "MRAcquisitionType": "2D"})
    assert applicable_sidecars(link) == [series / "mese.json"]
    img = read_image(link)
    assert img.meta["MRAcquisitionType"] == "2D" and tuple(img.echo_times) == pytest.approx(TES)
