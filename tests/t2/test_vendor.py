"""Scanner T2 maps: the QMRITools Philips demo file (echoes + map frames) and a plain map."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.errors import FormatError, InputError
from myomri.io.image import Image
from myomri.io.nifti import write_nifti
from myomri.t2 import MonoExpModel
from myomri.t2.vendor import read_qmritools_t2data, read_vendor_t2map


@pytest.fixture(scope="module")
def qmri(reference):
    return read_qmritools_t2data(reference / "muscle" / "qmritools_calf" / "T2data.nii.gz")


def test_qmritools_frames_untangle_into_monotonic_decays_and_a_map(qmri):
    echoes, t2map = qmri
    assert echoes.shape == (160, 160, 13, 17) and t2map.shape == (160, 160, 13)
    np.testing.assert_allclose(echoes.echo_times, 7.6 * np.arange(1, 18))
    # in bright tissue the untangled echoes decay from echo 2 on (echo 2 > echo 1 is usual)
    s = echoes.array[:, :, 6].astype(float)
    bright = s[..., 1] > 300
    assert np.median(s[bright][:, 2] / s[bright][:, 16]) > 2.0


def test_qmritools_scanner_map_gives_readme_42_5_ms_in_muscle_voxels_of_slice_6(qmri):
    echoes, t2map = qmri
    e = echoes.array[:, :, 6:7].astype(float)
    mono = MonoExpModel(echoes.echo_times, drop_first_echo=True, noise_threshold=100).fit(e).t2[:, :, 0]
    m = t2map.array[:, :, 6]
    # muscle-like: signal above 100, mono T2 20-80 ms, a map value present
    sel = (e[:, :, 0, 0] > 100) & (mono > 20) & (mono < 80) & (m > 0)
    assert 2200 < sel.sum() < 2400
    assert abs(np.median(m[sel]) - 42.5) < 0.2
    assert abs(np.median(mono[sel]) - 45.0) < 0.3
    np.testing.assert_allclose(np.percentile(m[sel], [25, 75]), [39.5, 46.5], atol=0.2)


def test_vendor_map_layout_qmritools_returns_the_map(reference, qmri):
    m = read_vendor_t2map(reference / "muscle" / "qmritools_calf" / "T2data.nii.gz", layout="qmritools")
    np.testing.assert_array_equal(m.array, qmri[1].array)
    assert m.meta["Quantity"] == "T2" and m.meta["Units"] == "ms"


def test_plain_map_file_reads_and_4d_without_layout_is_refused(tmp_path, reference):
    path = tmp_path / "t2map.nii.gz"
    write_nifti(Image(np.full((4, 4, 2), 35.0, np.float32)), path)
    m = read_vendor_t2map(path)
    assert m.array.shape == (4, 4, 2) and m.meta["Vendor"] is True
    with pytest.raises(InputError, match="qmritools"):
        read_vendor_t2map(reference / "muscle" / "qmritools_calf" / "T2data.nii.gz")


def test_wrong_frame_count_is_a_format_error(tmp_path):
    path = tmp_path / "bad.nii.gz"
    write_nifti(Image(np.ones((4, 4, 3, 5), np.float32)), path)
    with pytest.raises(FormatError, match="frames"):
        read_qmritools_t2data(path)


def test_t2fit_reads_the_qmritools_echo_frames(reference, tmp_path):
    import json

    from myomri.cli import main

    out = tmp_path / "q"
    rc = main(["t2fit", str(reference / "muscle" / "qmritools_calf" / "T2data.nii.gz"), "-o", str(out),
               "--input-layout", "qmritools", "--model", "mono", "--drop-first-echo",
               "--noise-threshold", "100"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text())
    np.testing.assert_allclose(s["settings"]["echo_times_ms"], 7.6 * np.arange(1, 18))
    assert s["counts"]["fitted"] > 10000
