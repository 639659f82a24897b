"""Labels carried onto the T2 grid after aligning their series (``preprocess.align_labels``).

Known answer: a demo subject's Dixon water and labels are moved together by a known rigid
transform (header only, as a patient who moved between the Dixon and the MESE series); aligned,
the carried mask must match the mask carried from the unmoved series, and the correction must be
the known one.
"""

from __future__ import annotations

import numpy as np
import pytest

from myomri.config.demo import DemoConfig
from myomri.demo.subject import simulate_subject
from myomri.io.image import Image
from myomri.preprocess.align_labels import carry_aligned
from myomri.preprocess.geometry import transfer_mask
from myomri.preprocess.register import RegistrationResult, into_fixed_world, transform_points

SHIFT_MM = np.array([2.0, -2.0, 1.0])  # 3 mm
ANGLE_DEG = 2.0


def _rot_z(deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])


def _moved(img: Image, rot, shift, centre) -> Image:
    origin = rot @ (np.asarray(img.origin) - centre) + centre + shift
    return Image(img.array, spacing=img.spacing, origin=origin, direction=rot @ img.direction, meta=dict(img.meta))


def _dice(a, b) -> float:
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    return float(2 * (a & b).sum() / (a.sum() + b.sum()))


@pytest.fixture(scope="module")
def subject():
    s = simulate_subject(0, "sub-001", "DM", DemoConfig())
    water, dseg, mese = s.images["water"], s.images["dseg"], s.images["mese"]
    centre = water.index_to_world((np.asarray(water.spatial_shape) - 1) / 2.0).ravel()
    rot = _rot_z(ANGLE_DEG)
    moved = (_moved(water, rot, SHIFT_MM, centre), _moved(dseg, rot, SHIFT_MM, centre))
    reference, _ = transfer_mask(dseg, mese)  # where the labels belong on the T2 grid
    return {"water": water, "dseg": dseg, "mese": mese, "moved": moved, "reference": reference.array}


@pytest.fixture(scope="module")
def aligned_moved(subject):
    water, dseg = subject["moved"]
    return carry_aligned(dseg, subject["mese"], moving=water)


def test_moved_series_is_aligned_back_and_its_mask_lands_where_it_belongs(subject, aligned_moved):
    water, dseg = subject["moved"]
    labels, overlap, record = aligned_moved
    unaligned, _ = transfer_mask(dseg, subject["mese"])
    assert record["status"] == "applied" and record["reason"] == ""
    assert record["translation_norm_mm"] == pytest.approx(3.0, abs=0.5)
    assert record["rotation_angle_deg"] == pytest.approx(ANGLE_DEG, abs=0.5)
    assert _dice(labels.array, subject["reference"]) > 0.95
    # the motion the alignment corrects: ~0.92 whole-muscle Dice without it
    assert _dice(unaligned.array, subject["reference"]) < _dice(labels.array, subject["reference"]) - 0.03
    assert record["dice_vs_unaligned"] == pytest.approx(_dice(labels.array, unaligned.array))
    assert 0 < record["overlap_aligned"] <= 1 and overlap == record["overlap_aligned"]
    assert labels.spatial_shape == subject["mese"].spatial_shape
    assert set(np.unique(labels.array)) <= set(np.unique(dseg.array))  # labels never blended


def test_aligned_series_needs_only_a_tiny_correction(subject):
    labels, _, record = carry_aligned(subject["dseg"], subject["mese"], moving=subject["water"])
    assert record["status"] == "applied"
    assert record["translation_norm_mm"] < 0.5 and record["rotation_angle_deg"] < 0.5
    assert _dice(labels.array, subject["reference"]) > 0.97


def test_correction_beyond_the_bound_is_refused_and_scanner_coordinates_kept(subject):
    water, dseg = subject["moved"]
    labels, _, record = carry_aligned(dseg, subject["mese"], moving=water, max_translation_mm=1.0)
    assert record["status"] == "refused" and "sanity bound" in record["reason"]
    assert record["translation_norm_mm"] == pytest.approx(3.0, abs=0.5)  # still reported
    np.testing.assert_array_equal(labels.array, transfer_mask(dseg, subject["mese"])[0].array)


def test_off_or_nothing_to_register_keeps_scanner_coordinates(subject):
    plain = transfer_mask(subject["dseg"], subject["mese"])[0].array
    for kw, status in (({"moving": subject["water"], "align": False}, "off"), ({"moving": None}, "skipped"),
                       ({"moving": subject["mese"]}, "skipped")):  # MESE is not on the labels' grid
        labels, _, record = carry_aligned(subject["dseg"], subject["mese"], **kw)
        assert record["status"] == status and record["reason"] and record["registration"] is None
        np.testing.assert_array_equal(labels.array, plain)


def test_into_fixed_world_inverts_the_transform():
    img = Image(np.zeros((4, 5, 3)), spacing=(1.5, 2.0, 6.0), origin=(-10.0, 4.0, 2.0))
    res = RegistrationResult((2.0, -1.0, 0.5), (1.0, -2.0, 3.0), (5.0, 5.0, 5.0), 0.0, 0.0)
    idx = np.argwhere(np.ones(img.spatial_shape))
    moved = into_fixed_world(img, res)
    np.testing.assert_allclose(transform_points(res, moved.index_to_world(idx)), img.index_to_world(idx), atol=1e-9)
    refused = RegistrationResult((20.0, 0, 0), (0, 0, 0), (0, 0, 0), 0.0, 0.0, accepted=False)
    assert into_fixed_world(img, refused) is img
