"""Grid checks and mask transfer on synthetic grids with known world positions."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.errors import GeometryError, MaskError
from myomri.io.image import Image
from myomri.preprocess.geometry import check_same_grid, grid_mismatches, transfer_mask


def _rot(ax, ay, az):
    ax, ay, az = np.deg2rad([ax, ay, az])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


OBLIQUE = _rot(10.0, -6.0, 25.0)


def _labels(shape, seed=0):
    rng = np.random.default_rng(seed)
    arr = np.zeros(shape, dtype=np.uint8)
    arr[2:-2, 2:-2, :] = rng.integers(1, 4, size=(shape[0] - 4, shape[1] - 4, shape[2]))
    return arr


def test_identity_transfer_returns_same_mask_and_full_overlap():
    mask = Image(_labels((12, 10, 4)), spacing=(0.8, 0.9, 3.0), origin=(5, -7, 30), direction=OBLIQUE)
    out, overlap = transfer_mask(mask, mask)
    np.testing.assert_array_equal(out.array, mask.array)
    assert overlap == 1.0
    assert out.meta["TransferOverlap"] == 1.0
    check_same_grid(out, mask)


def test_shifted_oblique_grid_moves_labels_by_known_voxels():
    spacing = (0.8, 0.9, 3.0)
    src = Image(_labels((14, 12, 5), seed=1), spacing=spacing, origin=(5, -7, 30), direction=OBLIQUE)
    # target origin 3 voxels along i and 1 slice along k further: target (i, j, k) = source (i+3, j, k+1)
    shift = OBLIQUE @ (np.array([3, 0, 1]) * spacing)
    tgt = Image(np.zeros((14, 12, 5)), spacing=spacing, origin=np.asarray(src.origin) + shift,
                direction=OBLIQUE)
    out, overlap = transfer_mask(src, tgt)
    np.testing.assert_array_equal(out.array[:11, :, :4], src.array[3:, :, 1:])
    assert not out.array[11:].any() and not out.array[:, :, 4].any()
    kept = src.array[3:, :, 1:].astype(bool).sum()
    assert overlap == pytest.approx(kept / src.array.astype(bool).sum())


def test_half_resolution_target_samples_every_other_source_voxel():
    src = Image(_labels((16, 12, 6), seed=2), spacing=(0.5, 0.5, 2.0), origin=(0, 0, 0), direction=OBLIQUE)
    # target voxel centres coincide with source voxels 0, 2, 4, ... along every axis
    # (one extra target slice so that the last source slice, half a target step out, is inside)
    tgt = Image(np.zeros((8, 6, 4)), spacing=(1.0, 1.0, 4.0), origin=(0, 0, 0), direction=OBLIQUE)
    out, overlap = transfer_mask(src, tgt)
    np.testing.assert_array_equal(out.array[:, :, :3], src.array[::2, ::2, ::2])
    assert not out.array[:, :, 3].any()  # beyond the source's last slice
    assert overlap == 1.0  # every labelled source centre falls inside the coarser grid's extent


def test_axis_aligned_sphere_lands_at_its_world_position_on_oblique_grid():
    # source: axis-aligned 1 mm grid with a ball of radius 6 mm at world (10, -4, 20)
    n = 40
    origin = np.array([-10.0, -24.0, 0.0])
    idx = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), axis=-1)
    world = origin + idx
    centre = np.array([10.0, -4.0, 20.0])
    ball = (np.linalg.norm(world - centre, axis=-1) <= 6.0).astype(np.uint8) * 5
    src = Image(ball, spacing=(1, 1, 1), origin=origin)
    tgt = Image(np.zeros((30, 30, 12)), spacing=(0.7, 0.8, 2.5), origin=(-1.0, -14.0, 5.0), direction=OBLIQUE)
    out, _ = transfer_mask(src, tgt)
    t_idx = np.stack(np.meshgrid(*[np.arange(s) for s in tgt.spatial_shape], indexing="ij"), axis=-1)
    dist = np.linalg.norm(tgt.index_to_world(t_idx) - centre, axis=-1)
    # nearest neighbour on a 1 mm grid moves a boundary by at most sqrt(3)/2 mm
    assert np.all(out.array[dist <= 6.0 - 0.87] == 5)
    assert np.all(out.array[dist > 6.0 + 0.87] == 0)
    assert (out.array == 5).sum() > 50


def test_single_slice_roi_fills_target_slices_within_its_thickness():
    roi = np.zeros((10, 10, 1), dtype=np.uint8)
    roi[3:7, 3:7, 0] = 2
    src = Image(roi, spacing=(1.0, 1.0, 8.0), origin=(0, 0, 0), meta={"SliceThickness": 8.0})
    # target slices at z = -10, -8, ..., 10 (2 mm): those with |z| <= 4 lie within the 8 mm slab
    tgt = Image(np.zeros((10, 10, 11)), spacing=(1, 1, 2), origin=(0, 0, -10))
    out, overlap = transfer_mask(src, tgt)
    z = -10 + 2 * np.arange(11)
    filled = [bool(out.array[:, :, k].any()) for k in range(11)]
    assert filled == list(np.abs(z) <= 4)
    np.testing.assert_array_equal(out.array[:, :, 5], roi[:, :, 0])
    assert overlap == 1.0


def test_slab_thickness_argument_overrides_metadata():
    roi = np.zeros((6, 6, 1), dtype=np.uint8)
    roi[2:4, 2:4] = 1
    src = Image(roi, spacing=(1.0, 1.0, 8.0), meta={"SliceThickness": 8.0})
    tgt = Image(np.zeros((6, 6, 11)), spacing=(1, 1, 2), origin=(0, 0, -10))
    out, _ = transfer_mask(src, tgt, slab_thickness=2.0)
    assert [k for k in range(11) if out.array[:, :, k].any()] == [5]


def test_no_overlap_raises_geometry_error():
    src = Image(_labels((8, 8, 3)), spacing=(1, 1, 1), origin=(0, 0, 0), source="dixon_mask.nii.gz")
    tgt = Image(np.zeros((8, 8, 3)), spacing=(1, 1, 1), origin=(500, 0, 0), source="t2map.nii.gz")
    with pytest.raises(GeometryError, match="dixon_mask.nii.gz.*does not overlap.*t2map.nii.gz"):
        transfer_mask(src, tgt)


def test_empty_mask_transfer_raises_mask_error():
    src = Image(np.zeros((4, 4, 2), dtype=np.uint8), source="empty.nii.gz")
    with pytest.raises(MaskError, match="empty.nii.gz: mask holds no labels"):
        transfer_mask(src, src)


def test_check_same_grid_names_both_grids_and_files():
    a = Image(np.zeros((256, 256, 1)), spacing=(0.8, 0.8, 8.0), source="roi.nii.gz")
    b = Image(np.zeros((384, 307, 1)), spacing=(1.2, 1.2, 8.0), source="stir.nii.gz")
    with pytest.raises(GeometryError) as err:
        check_same_grid(a, b)
    msg = str(err.value)
    assert msg.startswith("mask grid (256, 256, 1) at 0.8x0.8x8 mm")
    assert "roi.nii.gz" in msg and "stir.nii.gz" in msg and "image grid (384, 307, 1) at 1.2x1.2x8 mm" in msg
    assert "transfer_mask" in msg and "--" not in msg  # facts, not command-line flags


def test_grid_tolerance_accepts_float_noise_and_rejects_real_offsets():
    a = Image(np.zeros((4, 4, 2)), spacing=(1, 1, 3), origin=(0, 0, 0), direction=OBLIQUE)
    b = Image(np.zeros((4, 4, 2)), spacing=(1 + 1e-5, 1, 3), origin=(2e-4, 0, 0), direction=OBLIQUE)
    check_same_grid(a, b)
    c = Image(np.zeros((4, 4, 2)), spacing=(1, 1, 3), origin=(0.5, 0, 0), direction=OBLIQUE)
    assert grid_mismatches(a, c) == ["origin [0.0, 0.0, 0.0] vs [0.5, 0.0, 0.0] mm"]
    d = Image(np.zeros((4, 4, 2)), spacing=(1, 1, 3), direction=_rot(10.0, -6.0, 26.0))
    assert any("direction" in m for m in grid_mismatches(a, d))


def test_mask_on_myoqmri_dicom_grid_lands_transposed_on_myoqmri_nifti_grid(reference):
    # Same acquisition, two files: our DICOM grid is [col, row, slice]; MyoQMRI's NIfTI output is
    # [row, col, slice]. Carrying a mask through world coordinates must transpose it exactly.
    from myomri.io.read import read_image

    folder = reference / "muscle" / "myoqmri_mese_calf"
    dicom = read_image(folder / "dicom")
    t2map = read_image(folder / "myoqmri_2.0.2_output" / "water_T2_ms.nii.gz")
    first_echo = dicom.volume(0).array.astype(float)
    labels = np.where(first_echo > 400, 1, 0) + np.where(first_echo > 1200, 1, 0)
    mask = dicom.volume(0).with_array(labels.astype(np.uint8))
    out, overlap = transfer_mask(mask, t2map)
    assert overlap == 1.0
    np.testing.assert_array_equal(out.array, labels.transpose(1, 0, 2))


def test_transfer_onto_large_grid_carries_every_label(reference):
    """(Its wall time is measured by benchmarks/geometry.py, not asserted here.)"""
    from myomri.io.read import read_mask

    seg = read_mask(reference / "muscle" / "huashan_thigh_ideal" / "Thigh_001_seg.nii.gz")
    # a 0.5 mm finer, slightly rotated target over the same field of view: 2.5x the voxels
    tgt = Image(np.zeros((600, 600, 16), dtype=np.uint8), spacing=(0.63, 0.63, 24.0),
                origin=seg.origin, direction=_rot(0.0, 0.0, 2.0) @ seg.direction)
    out, overlap = transfer_mask(seg, tgt)
    assert 0.9 < overlap <= 1.0
    assert set(np.unique(out.array)) == set(range(12))
