"""Atomic writes: all or nothing, ordinary permissions."""

import os
import stat

import pytest

from myomri.io.atomic import atomic_path, atomic_write_text


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
