"""``myomri init`` on enhanced multi-frame MR: echo times per frame, EchoPulseSequence, MRModifierSequence."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from myomri.cli import main
from myomri.io.discover import _add, classify_series


def _enhanced(pulse: str, tes, *, inversion=None) -> Dataset:
    """The header fields of an enhanced MR object that the series rules read (one frame per echo time)."""
    ds = Dataset()
    ds.PatientID, ds.SeriesInstanceUID, ds.SeriesNumber = "p", "1.2.3", 7
    ds.SeriesDescription, ds.ImageType, ds.Rows = "ax", ["ORIGINAL", "PRIMARY", "M", "NONE"], 4
    ds.EchoPulseSequence, ds.MRAcquisitionType = pulse, "2D"
    frames = []
    for te in tes:
        echo = Dataset()
        echo.EffectiveEchoTime = te
        frame = Dataset()
        frame.MREchoSequence = Sequence([echo])
        frames.append(frame)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    modifier = Dataset()
    modifier.InversionRecovery = "NO" if inversion is None else "YES"
    if inversion is not None:
        modifier.InversionTimes = inversion
    shared = Dataset()
    shared.MRModifierSequence = Sequence([modifier])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    return ds


def _classify(ds):
    series: dict = {}
    _add(series, ds, Path("x.dcm"))
    return classify_series(next(iter(series.values())))


def test_enhanced_spin_echo_with_per_frame_echo_times_is_mese():
    role, why = _classify(_enhanced("SPIN", [10.0, 20.0, 30.0, 40.0]))
    assert role == "mese" and why.startswith("4 echo times (10-40 ms)")


def test_enhanced_gradient_echo_is_not_mese():
    assert _classify(_enhanced("GRADIENT", [2.0, 4.0, 6.0, 8.0]))[0] is None


@pytest.mark.parametrize("inversion", [150.0, [150.0, 150.0]])
def test_enhanced_inversion_recovery_with_short_ti_is_stir(inversion):
    role, why = _classify(_enhanced("SPIN", [60.0], inversion=inversion))
    assert role == "stir" and "150 ms" in why


def test_init_and_run_take_a_siemens_enhanced_mese_export_with_no_dixon(reference, tmp_path):
    # the MyoQMRI calf: 17 enhanced MR files (one per echo, 8 slices each), EchoPulseSequence SPIN, no
    # ScanningSequence; no Dixon pair, so init chooses the network, which then segments the first echo
    dicom = reference / "muscle" / "myoqmri_mese_calf" / "dicom"
    study = tmp_path / "st" / "study.yaml"
    assert main(["init", str(dicom), "-o", str(study)]) == 0
    series = pd.read_csv(tmp_path / "st" / "series.csv")
    assert series[["role", "status"]].values.tolist() == [["mese", "used"]]
    assert series["reason"].iloc[0] == "17 echo times (11-187 ms), spin echo"
    # exit 1: a part failed, the statistics, which need groups (no clinical table was given to init)
    assert main(["run", str(study), "-o", str(tmp_path / "out"), "--no-progress"]) == 1
    failures = pd.read_csv(tmp_path / "out" / "failures.csv")
    assert failures["stage"].tolist() == ["stats"] and "group" in failures["message"].iloc[0]
    subject = pd.read_csv(next((tmp_path / "out").rglob("t2_subjects.csv"))).iloc[0]
    assert 20 < subject["t2_median"] < 45 and subject["n_voxels"] > 1000
    assert bool(subject["segmentation_low_confidence"])  # a calf through the thigh network: flagged
    record = json.loads(next((tmp_path / "out").rglob("alignment.json")).read_text())
    assert record["moving"] == "MESE echo 1 (segmented there)"


def test_a_multi_frame_object_keeping_its_echo_time_at_the_top_level_keeps_it():
    ds = _enhanced("SPIN", [])
    ds.EchoTime = 20.0  # e.g. a legacy-converted object: no MREchoSequence per frame
    series: dict = {}
    _add(series, ds, Path("x.dcm"))
    assert next(iter(series.values())).echo_times == {20.0}
