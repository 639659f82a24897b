"""``myomri t2fit``: echo times in seconds refused (issue 16 item 4), an earlier fit never left
beside a new one (item 6), the exit-code rule (item 7) and option values checked before fitting
(item 15). Known answers on small synthetic series."""

from __future__ import annotations

import json

import numpy as np
import pytest

from myomri.cli import main
from myomri.config.outcome import MAX_FAILED_VOXEL_FRACTION
from myomri.io.image import Image
from myomri.io.nifti import write_nifti

TES = 10.0 * np.arange(1, 11)
TE_ARG = ",".join(f"{t:g}" for t in TES)


def _series(tmp_path, n_voxels=400, n_bad=0, t2=40.0):
    """A mono-exponential series of ``n_voxels``; ``n_bad`` of them grow with TE, which the
    log-linear fit cannot fit (status 'failed')."""
    decay = 1000 * np.exp(-TES / t2)
    data = np.broadcast_to(decay, (n_voxels, 1, 1, TES.size)).copy()
    data[:n_bad] = 100 * np.exp(+TES / t2)
    path = tmp_path / "mese.nii.gz"
    write_nifti(Image(data.astype(np.float32), spacing=(1.5, 1.5, 5.0)), path)
    return path


def _rc(argv):
    """The exit code of ``myomri ARGV``, also when argparse exits on a bad option value."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _t2fit(series, out, *extra):
    return _rc(["t2fit", str(series), "-o", str(out), "--echo-times", TE_ARG, *extra])


# --- item 4: echo times given in seconds ----------------------------------------------------
def test_echo_times_in_seconds_are_refused_naming_the_unit(tmp_path, capsys):
    series = _series(tmp_path)
    out = tmp_path / "out"
    seconds = ",".join(f"{t / 1000:g}" for t in TES)
    rc = main(["t2fit", str(series), "-o", str(out), "--model", "mono", "--echo-times", seconds])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert "--echo-times" in err[0] and "seconds" in err[0] and "milliseconds" in err[0]
    assert "10,20,30" in err[0]  # the same values in ms, ready to paste
    assert not out.exists()


def test_echo_times_in_ms_with_a_short_first_echo_are_accepted(tmp_path):
    # only a maximum below 1 means seconds: 0.9 ms first echoes exist in UTE-like trains
    series = _series(tmp_path)
    tes = ",".join(f"{t:g}" for t in np.r_[0.9, TES[1:]])
    assert main(["t2fit", str(series), "-o", str(tmp_path / "o"), "--model", "mono",
                 "--echo-times", tes]) == 0


# --- item 6: no stale maps --------------------------------------------------------------------
def test_second_fit_into_a_folder_holding_a_fit_is_refused_before_fitting(tmp_path, capsys):
    series = _series(tmp_path)
    out = tmp_path / "maps"
    assert _t2fit(series, out, "--model", "epg", "--noise-threshold", "0") == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert {"ff.nii.gz", "b1.nii.gz"} <= set(before)
    capsys.readouterr()
    rc = _t2fit(series, out, "--model", "mono")
    err = capsys.readouterr().err
    assert rc == 2 and "--overwrite" in err and str(out) in err
    assert "voxels fitted" not in err  # refused before fitting
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_overwrite_replaces_the_whole_set_no_stale_epg_maps(tmp_path):
    series = _series(tmp_path)
    out = tmp_path / "maps"
    assert _t2fit(series, out, "--model", "epg", "--noise-threshold", "0") == 0
    assert _t2fit(series, out, "--model", "mono", "--overwrite") == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["m0.nii.gz", "residual.nii.gz", "status.nii.gz", "summary.json", "t2.nii.gz"]
    assert json.loads((out / "summary.json").read_text())["model"] == "mono"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".maps.")]  # no temp left


def test_overwrite_never_deletes_a_folder_that_holds_other_files(tmp_path, capsys):
    series = _series(tmp_path)
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    rc = _t2fit(series, out, "--model", "mono", "--overwrite")
    assert rc == 2 and "notes.txt" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


def test_a_fit_that_fails_while_writing_leaves_the_earlier_set_untouched(tmp_path, monkeypatch):
    series = _series(tmp_path)
    out = tmp_path / "maps"
    assert _t2fit(series, out, "--model", "epg", "--noise-threshold", "0") == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("myomri.t2.maps.write_fit", broken)
    assert _t2fit(series, out, "--model", "mono", "--overwrite") == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps", "mese.nii.gz"]


# --- item 7: exit codes -----------------------------------------------------------------------
def test_no_voxel_fitted_exits_1_and_says_so(tmp_path, capsys):
    series = _series(tmp_path)
    out = tmp_path / "o"
    rc = _t2fit(series, out, "--model", "mono", "--noise-threshold", "1e12")
    err = capsys.readouterr().err
    assert rc == 1 and "no voxel was fitted" in err
    assert json.loads((out / "summary.json").read_text())["outcome"] == "failed: no voxel was fitted"


def test_a_handful_of_failed_voxels_exits_0(tmp_path, capsys):
    series = _series(tmp_path, n_voxels=1000, n_bad=3)
    out = tmp_path / "o"
    rc = _t2fit(series, out, "--model", "mono", "--noise-threshold", "0")
    assert rc == 0 and "3 failed" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["failed"] == 3 and summary["outcome"] == "ok"


def test_more_failed_voxels_than_the_configured_fraction_exits_1(tmp_path, capsys):
    n = 1000
    n_bad = int(MAX_FAILED_VOXEL_FRACTION * n) + 1
    series = _series(tmp_path, n_voxels=n, n_bad=n_bad)
    rc = _t2fit(series, tmp_path / "o", "--model", "mono", "--noise-threshold", "0")
    err = capsys.readouterr().err
    assert rc == 1 and f"{n_bad} of the {n} voxels tried" in err


# --- item 5: a damaged DICOM file ------------------------------------------------------------
def test_damaged_dicom_series_is_refused_and_fitted_with_allow_missing_echoes(reference, tmp_path, capsys):
    # issue 16 item 5: a damaged file header used to drop echo 55 ms silently (16 of 17 echoes fitted)
    import shutil

    damaged_series = tmp_path / "mese"
    shutil.copytree(reference / "muscle" / "myoqmri_mese_calf" / "dicom", damaged_series)
    raw = (damaged_series / "image0005.dcm").read_bytes()
    (damaged_series / "image0005.dcm").write_bytes(raw[:132] + b"\0" * 40 + raw[172:])
    rc = main(["t2fit", str(damaged_series), "-o", str(tmp_path / "no"), "--model", "mono"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "image0005.dcm" in err[0] and "55" in err[0]
    assert not (tmp_path / "no").exists()
    out = tmp_path / "yes"
    rc = main(["t2fit", str(damaged_series), "-o", str(out), "--model", "mono", "--allow-missing-echoes"])
    assert rc == 0
    assert "image0005.dcm" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["UnreadableFiles"] == ["image0005.dcm"]
    assert len(summary["settings"]["echo_times_ms"]) == 16


# --- item 15: option values checked before anything is read ---------------------------------
@pytest.mark.parametrize("args, option", [
    (["--jobs", "0"], "--jobs"),
    (["--jobs", "-3"], "--jobs"),
    (["--fat-t2", "abc"], "--fat-t2"),
    (["--fat-t2", "-5"], "--fat-t2"),
])
def test_bad_option_values_exit_2_with_one_line_naming_the_option(tmp_path, capsys, args, option):
    series = _series(tmp_path)
    rc = _t2fit(series, tmp_path / "o", *args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and option in err[0] and "expected" in err[0]
    assert "Traceback" not in err[0] and not (tmp_path / "o").exists()


@pytest.mark.parametrize("make_out", [lambda p: "", lambda p: str(p / "mese.nii.gz")])
def test_output_empty_or_an_existing_file_exits_2_before_fitting(tmp_path, capsys, make_out):
    series = _series(tmp_path)
    before = series.read_bytes()
    rc = _rc(["t2fit", str(series), "-o", make_out(tmp_path), "--echo-times", TE_ARG])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "-o/--output" in err[0] and "expected an output folder" in err[0]
    assert series.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mese.nii.gz"]


def test_fat_t2_estimate_and_numbers_still_parse(tmp_path):
    series = _series(tmp_path)
    assert _t2fit(series, tmp_path / "a", "--fat-t2", "140", "--noise-threshold", "0") == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["fixed_parameters"]["fat_t2_ms"] == 140.0
