"""``--jobs`` beyond the usable cores is clamped and said, by every command that has the option."""

from __future__ import annotations

import numpy as np
import pytest

from myomri import cores
from myomri.cli import main
from myomri.errors import InputError


def test_clamp_rule(monkeypatch):
    monkeypatch.setattr(cores, "available_cores", lambda: 2)
    assert cores.clamp_jobs(2) == (2, None) and cores.clamp_jobs(-1) == (2, None)
    assert cores.clamp_jobs(7) == (2, "--jobs 7 is more than the 2 usable core(s) here: clamped to 2")
    for bad in (0, -2):
        with pytest.raises(InputError, match="expected a number of worker processes"):
            cores.clamp_jobs(bad)


def test_t2fit_says_the_clamp(tmp_path, monkeypatch, capsys):
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti

    monkeypatch.setattr(cores, "available_cores", lambda: 1)
    tes = 10.0 * np.arange(1, 9)
    data = 1000.0 * np.exp(-tes / 40.0) * np.ones((4, 3, 2, 1))
    write_nifti(Image(data.astype(np.float32), spacing=(1.5, 1.5, 5.0)), tmp_path / "m.nii.gz")
    rc = main(["t2fit", str(tmp_path / "m.nii.gz"), "-o", str(tmp_path / "o"), "--model", "mono",
               "--echo-times", ",".join(map(str, tes)), "--jobs", "64"])  # fmt: skip
    assert rc == 0
    assert "t2fit: note: --jobs 64 is more than the 1 usable core(s) here: clamped to 1" in capsys.readouterr().err
