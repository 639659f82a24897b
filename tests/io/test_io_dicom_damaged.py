"""Damaged DICOM series (issue 16 item 5) and echo times that are not numbers (item 15).

A file that carries the DICOM signature but whose header cannot be read is named (by ``info``,
``read_image``'s meta and ``t2fit``), never counted as an ignored non-image; a multi-echo series
that lost an echo is refused unless ``--allow-missing-echoes``.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import EchoTimeError, FormatError
from myomri.io.read import missing_echo_times, read_image, require_echo_times

REFERENCE_TES = [11.0 * n for n in range(1, 18)]


def _damage_meta(path):
    """Zero 40 bytes of the file meta header right after 'DICM' (what the campaign did)."""
    raw = path.read_bytes()
    path.write_bytes(raw[:132] + b"\0" * 40 + raw[172:])


@pytest.fixture
def damaged_series(tmp_path, myoqmri_dicom):
    """A copy of the 17-echo MyoQMRI series whose 5th file (echo 55 ms) has a damaged header."""
    folder = tmp_path / "mese"
    shutil.copytree(myoqmri_dicom, folder)
    _damage_meta(folder / "image0005.dcm")
    return folder


@pytest.mark.parametrize("tes, missing", [
    (REFERENCE_TES, []),
    ([t for t in REFERENCE_TES if t != 55.0], [55.0]),
    (REFERENCE_TES[1:], [11.0]),
    ([10, 20, 40, 80], []),  # not an evenly spaced train: nothing is assumed missing
    ([10, 20, 30, 60, 70], [40.0, 50.0]),
    ([12, 25, 31], []),
])
def test_missing_echo_times_known_answers(tes, missing):
    assert missing_echo_times(tes) == missing


def test_damaged_file_is_named_not_ignored(damaged_series):
    image = read_image(damaged_series)
    assert image.meta["UnreadableFiles"] == ["image0005.dcm"]
    assert "IgnoredFiles" not in image.meta
    assert 55.0 not in image.echo_times and len(image.echo_times) == 16


def test_series_missing_an_echo_is_refused_naming_the_gap_and_the_file(damaged_series):
    with pytest.raises(EchoTimeError, match=r"lack the echo\(es\) at \[55.0\] ms.*image0005.dcm") as err:
        require_echo_times(read_image(damaged_series))
    assert err.value.option == "allow_missing_echoes" and "--" not in str(err.value)  # facts, not flags
    assert require_echo_times(read_image(damaged_series), allow_missing_echoes=True).n_volumes == 16


def test_info_names_the_damaged_file_and_the_missing_echo(damaged_series, capsys):
    assert main(["info", str(damaged_series)]) == 0
    warnings = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("warning:")]
    assert any("image0005.dcm" in w and "cannot be read" in w for w in warnings)
    assert any("55" in w and "--allow-missing-echoes" in w for w in warnings)


def _file_of(folder, echo_time, slice_index=1):
    """The classic file holding echo ``echo_time`` of the ``slice_index``-th slice (files are shuffled)."""
    import pydicom

    hits = []
    for f in sorted(folder.iterdir()):
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        if float(ds.EchoTime) == echo_time:
            hits.append((float(ds.ImagePositionPatient[2]), f))
    return sorted(hits)[slice_index][1]


def test_echo_with_fewer_slices_is_refused_or_left_out_when_allowed(tmp_path, classic_series):
    folder = tmp_path / "cls"
    classic_series(folder, shape=(6, 5, 3), echo_times=(10.0, 20.0, 30.0))
    _damage_meta(_file_of(folder, 20.0))
    with pytest.raises(EchoTimeError, match=r"20 ms: 2; the others: 3.*unreadable") as err:
        read_image(folder)
    assert err.value.option == "allow_missing_echoes"
    image = read_image(folder, allow_missing_echoes=True)
    assert image.echo_times == (10.0, 30.0) and image.meta["DroppedEchoTimes"] == [20.0]
    assert len(image.meta["UnreadableFiles"]) == 1


def test_non_image_dicom_object_is_still_ignored_not_unreadable(tmp_path, classic_series):
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    folder = tmp_path / "cls"
    classic_series(folder, shape=(4, 4, 2), echo_times=(10.0,))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.11.1"  # grayscale presentation state
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.save_as(folder / "pstate", enforce_file_format=True)
    image = read_image(folder)
    assert image.meta["IgnoredFiles"] == 1 and "UnreadableFiles" not in image.meta


# --- echo times that are not numbers (item 15) -------------------------------------------------
def test_dicom_echo_time_that_is_not_a_number_names_the_file(tmp_path, classic_series):
    import pydicom
    from pydicom.dataelem import DataElement

    folder = tmp_path / "cls"
    classic_series(folder, shape=(4, 4, 2), echo_times=(10.0, 20.0, 30.0))
    victim = sorted(folder.iterdir())[0]
    ds = pydicom.dcmread(victim)
    ds[0x00180081] = DataElement(0x00180081, "LO", "abc")  # a writer that stored text
    ds.save_as(victim)
    with pytest.raises(FormatError, match=rf"{victim.name}: EchoTime 'abc' is not a number; expected"):
        read_image(folder)


@pytest.mark.parametrize("value", ["0.011", "abc", [0.01, "0.02"], True])
def test_sidecar_echo_time_that_is_not_a_number_names_the_sidecar(tmp_path, capsys, value):
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti

    path = tmp_path / "mese.nii.gz"
    write_nifti(Image(np.ones((2, 2, 1, 2), np.float32)), path)
    (tmp_path / "mese.json").write_text(json.dumps({"EchoTime": value}))
    with pytest.raises(EchoTimeError, match=r"mese.json: EchoTime .* not a number.*expected seconds"):
        read_image(path)
    assert main(["t2fit", str(path), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mese.json" in err[0] and "Traceback" not in err[0]


def test_nrrd_echo_times_that_are_not_numbers_name_the_file(tmp_path):
    from myomri.io.image import Image
    from myomri.io.read import write_image

    path = tmp_path / "mese.nrrd"
    write_image(Image(np.ones((2, 2, 1, 3), np.float32), echo_times=(10.0, 20.0, 30.0)), path)
    raw = path.read_bytes()
    assert b"myomri_echo_times_ms:=10 20 30" in raw
    path.write_bytes(raw.replace(b"myomri_echo_times_ms:=10 20 30", b"myomri_echo_times_ms:=10 ab 30"))
    with pytest.raises(FormatError, match=r"mese.nrrd: header field myomri_echo_times_ms = '10 ab 30'"):
        read_image(path)


def test_cli_adds_the_flag_that_allows_a_missing_echo(damaged_series, tmp_path, capsys):
    assert main(["t2fit", str(damaged_series), "-o", str(tmp_path / "maps"), "--model", "mono"]) == 2
    err = capsys.readouterr().err
    assert "lack the echo(es) at [55.0] ms" in err and "(pass --allow-missing-echoes to allow it)" in err
