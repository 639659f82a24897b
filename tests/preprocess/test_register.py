"""Rigid registration (``myomri.preprocess.register``, ``myomri register``) on known misalignments.

A demo subject's header is moved by a known rigid transform (origin and direction edited, voxels
untouched), so the true correction is known exactly: the image content at world point p now lies
at R(p), and registering the moved image onto the original must find T = R.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from myomri.config import register as cfg
from myomri.config.demo import DemoConfig
from myomri.demo.subject import simulate_subject
from myomri.errors import GeometryError
from myomri.io.image import Image
from myomri.io.read import read_image, write_image
from myomri.preprocess.register import register_rigid, resample_to_fixed, transform_points, _euler_matrix

#: 3 mm translation (2, -2, 1) and a 2 degree rotation about an oblique axis
SHIFT_MM = np.array([2.0, -2.0, 1.0])
AXIS = np.array([1.0, 1.0, 1.0]) / np.sqrt(3.0)
ANGLE_DEG = 2.0


def _axis_angle(axis, deg) -> np.ndarray:
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    a = np.deg2rad(deg)
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


def _centre(img: Image) -> np.ndarray:
    return img.index_to_world((np.asarray(img.spatial_shape) - 1) / 2.0).ravel()


def _misaligned(img: Image, rot: np.ndarray, shift: np.ndarray, centre: np.ndarray) -> Image:
    """``img`` with its header moved by p -> rot (p - centre) + centre + shift; voxels untouched."""
    origin = rot @ (np.asarray(img.origin) - centre) + centre + shift
    return Image(img.array, spacing=img.spacing, origin=origin, direction=rot @ img.direction,
                 echo_times=img.echo_times, meta=dict(img.meta))


@pytest.fixture(scope="module")
def subject():
    return simulate_subject(0, "sub-001", "DM", DemoConfig())


def _errors(result, rot, shift, centre):
    """(mm error at the fixed centre, degrees between found and true rotation)."""
    c = np.asarray(result.center_mm)
    truth = rot @ (c - centre) + centre + shift
    got = transform_points(result, c[None])[0]
    rel = _euler_matrix(result.rotation_deg).T @ rot
    angle = np.degrees(np.arccos(np.clip((np.trace(rel) - 1) / 2, -1, 1)))
    return float(np.linalg.norm(got - truth)), float(angle)


def test_known_misalignment_recovered_within_one_contrast(subject):
    water = subject.images["water"]
    rot = _axis_angle(AXIS, ANGLE_DEG)
    moved = _misaligned(water, rot, SHIFT_MM, _centre(water))
    result = register_rigid(moved, water)
    mm, deg = _errors(result, rot, SHIFT_MM, _centre(water))
    assert result.accepted
    assert mm < 0.5 and deg < 0.5, (mm, deg)
    assert result.metric_after < result.metric_before  # Mattes MI is negative: lower is better


def test_known_misalignment_recovered_across_contrasts_dixon_onto_mese(subject):
    water, mese = subject.images["water"], subject.images["mese"]
    rot = _axis_angle(AXIS, ANGLE_DEG)
    moved = _misaligned(water, rot, SHIFT_MM, _centre(water))
    result = register_rigid(moved, mese)  # 4-D MESE: its first echo is the reference
    mm, deg = _errors(result, rot, SHIFT_MM, _centre(water))
    assert result.accepted
    assert mm < 0.5 and deg < 0.5, (mm, deg)


def test_correction_beyond_bound_is_refused_and_identity_kept(subject):
    water = subject.images["water"]
    moved = _misaligned(water, np.eye(3), SHIFT_MM, _centre(water))
    result = register_rigid(moved, water, max_translation_mm=1.0)
    assert not result.accepted and "sanity bound" in result.reason and "identity kept" in result.reason
    assert np.linalg.norm(result.translation_mm) == pytest.approx(3.0, abs=0.5)  # still reported
    assert result.applied_parameters == (0.0,) * 6
    assert result.to_dict()["itk_transform"]["Parameters"] == [0.0] * 6
    assert (cfg.MAX_TRANSLATION_MM, cfg.MAX_ROTATION_DEG) == (10.0, 5.0)


def test_images_that_do_not_overlap_are_refused(subject):
    water = subject.images["water"]
    far = _misaligned(water, np.eye(3), np.array([0.0, 0.0, 500.0]), _centre(water))
    with pytest.raises(GeometryError, match="do not overlap"):
        register_rigid(far, water)


def test_resampled_image_lies_on_fixed_grid(subject):
    water, mese = subject.images["water"], subject.images["mese"]
    out = resample_to_fixed(water, mese)
    assert out.spatial_shape == mese.spatial_shape and out.array.ndim == 3
    np.testing.assert_allclose(out.origin, mese.origin)
    np.testing.assert_allclose(out.direction, mese.direction)


def test_register_command_writes_transform_and_resampled(subject, tmp_path):
    from myomri.cli import main

    water = subject.images["water"]
    rot = _axis_angle(np.array([0.0, 0.0, 1.0]), ANGLE_DEG)
    write_image(water, tmp_path / "fixed.nii.gz")
    write_image(_misaligned(water, rot, SHIFT_MM, _centre(water)), tmp_path / "moving.nii.gz")
    rc = main(["register", str(tmp_path / "moving.nii.gz"), str(tmp_path / "fixed.nii.gz"),
               "-o", str(tmp_path / "t.json"), "--resampled", str(tmp_path / "r.nii.gz")])
    assert rc == 0
    doc = json.loads((tmp_path / "t.json").read_text())
    for key in ("translation_mm", "rotation_deg", "metric_before", "metric_after", "itk_transform"):
        assert key in doc
    assert len(doc["translation_mm"]) == 3 and len(doc["rotation_deg"]) == 3
    assert doc["rotation_angle_deg"] == pytest.approx(ANGLE_DEG, abs=0.5)
    assert doc["itk_transform"]["Transform"].startswith("Euler3DTransform")
    assert read_image(tmp_path / "r.nii.gz").spatial_shape == water.spatial_shape
    # refused correction: exit 1, identity written
    rc = main(["register", str(tmp_path / "moving.nii.gz"), str(tmp_path / "fixed.nii.gz"),
               "-o", str(tmp_path / "t2.json"), "--max-rotation", "0.5"])
    assert rc == 1
    assert json.loads((tmp_path / "t2.json").read_text())["accepted"] is False
