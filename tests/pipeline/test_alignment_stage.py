"""``myomri run``'s T2 stage aligns the Dixon series onto MESE echo 1 before carrying the labels.

Known answer: one demo subject's Dixon water and label map are moved together by 3 mm (a patient
who moved between the series). With alignment the subject's mean T2 comes back to the value of the
unmoved series and the correction is reported; with ``align: false`` it does not.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from myomri.io.image import Image
from myomri.io.read import read_image, write_image
from myomri.pipeline.stages import run_t2_subject

SHIFT_MM = np.array([3.0, 0.0, 0.0])


def _task(cohort, out, *, water, labels, align=True):
    row = next(csv.DictReader(open(cohort / "manifest.csv", newline="")))
    return {"subject": row["subject"], "mese": str(cohort / row["mese"]), "echo_times": None,
            "labels": str(labels), "water": str(water), "fat": None,
            "t2": {"model": "mono", "method": None, "slices": "all", "align": align},
            "segmentation": {"method": "given", "model": None, "align": True}, "outdir": str(out)}


def _moved_copy(path, dst):
    img = read_image(path)
    write_image(Image(img.array, spacing=img.spacing, origin=np.asarray(img.origin) + SHIFT_MM,
                      direction=img.direction, meta=dict(img.meta)), dst)
    return dst


@pytest.fixture(scope="module")
def runs(demo_cohort, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("align")
    row = next(csv.DictReader(open(demo_cohort / "manifest.csv", newline="")))
    water, labels = demo_cohort / row["dixon_water"], demo_cohort / row["dseg"]
    mw, ml = _moved_copy(water, tmp / "water.nii.gz"), _moved_copy(labels, tmp / "dseg.nii.gz")
    return {name: (run_t2_subject(_task(demo_cohort, tmp / name, water=w, labels=lab, align=a)), tmp / name)
            for name, (w, lab, a) in {"plain": (water, labels, False), "moved_on": (mw, ml, True),
                                      "moved_off": (mw, ml, False)}.items()}


def test_moved_dixon_is_aligned_and_mean_t2_restored(runs):
    plain, (on, folder), (off, _) = runs["plain"][0], runs["moved_on"], runs["moved_off"]
    assert on["align"] == "applied" and on["align_translation_mm"] == pytest.approx(3.0, abs=0.5)
    assert abs(on["t2_mean"] - plain["t2_mean"]) < 0.3 * abs(off["t2_mean"] - plain["t2_mean"])
    assert abs(on["t2_mean"] - plain["t2_mean"]) < 0.5  # ms (moved, not aligned: over 1 ms by the line above)
    assert on["mask_dice_unaligned"] < 0.97
    record = json.loads((folder / "alignment.json").read_text())
    assert record["status"] == "applied" and record["fixed"] == "MESE echo 1"
    assert len(record["translation_mm"]) == 3 and record["registration"]["itk_transform"]["Parameters"]


def test_align_false_keeps_scanner_coordinates(runs):
    plain, off = runs["plain"][0], runs["moved_off"][0]
    assert plain["align"] == off["align"] == "off"
    assert plain["align_translation_mm"] == 0.0 and plain["mask_dice_unaligned"] == 1.0
