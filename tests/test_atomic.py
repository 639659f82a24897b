"""Atomic writes: all or nothing, ordinary permissions."""

import os
import stat

import pytest

from myomri.io.atomic import atomic_dir, atomic_path, atomic_write_text


def test_failed_write_leaves_no_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_successful_write_replaces_target_and_keeps_suffix(tmp_path):
    target = tmp_path / "map.nii.gz"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert tmp.name.endswith(".nii.gz")
        tmp.write_text("new")
    assert target.read_text() == "new"


def test_written_file_gets_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_an_unwritable_folder_is_an_output_error_naming_the_target(tmp_path, monkeypatch):
    import tempfile

    from myomri.errors import OutputError

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    target = tmp_path / "ro" / "y.csv"
    for write in (lambda: atomic_write_text(target, "x"), lambda: atomic_dir(tmp_path / "maps").__enter__()):
        with pytest.raises(OutputError) as err:
            write()
        assert "Permission denied" in str(err.value) and "expected a folder this user can write to" in str(err.value)
    assert str(err.value).startswith(f"{tmp_path / 'maps'}: cannot be written")
    assert isinstance(err.value, OSError)  # callers catching OSError still do


def test_an_output_below_a_file_is_an_output_error_and_the_cli_says_it_in_one_line(tmp_path, capsys):
    import numpy as np

    from myomri.cli import main
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti

    write_nifti(Image(np.full((2, 1, 1), 40.0, np.float32)), tmp_path / "t2.nii.gz")
    write_nifti(Image(np.ones((2, 1, 1), np.uint8)), tmp_path / "mask.nii.gz")
    (tmp_path / "afile").write_text("not a folder")
    out = tmp_path / "afile" / "stats.csv"
    assert main(["roi-stats", str(tmp_path / "t2.nii.gz"), str(tmp_path / "mask.nii.gz"), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{out}: cannot be written (a file stands where its folder" in err[0]
