"""The Image type: geometry algebra on known cases."""

import numpy as np
import pytest

from myomri.errors import EchoTimeError, InputError
from myomri.io.image import Image


def _oblique_direction(deg: float) -> np.ndarray:
    t = np.deg2rad(deg)
    # rotation about the x (L) axis, as in the MyoQMRI series (about 5 deg)
    return np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])


def test_index_to_world_matches_hand_computation_on_oblique_grid():
    d = _oblique_direction(5.0)
    img = Image(np.zeros((4, 5, 3)), spacing=(1.5, 2.0, 7.0), origin=(10.0, -20.0, 30.0), direction=d)
    world = img.index_to_world([1, 2, 1])
    expected = np.array([10.0, -20.0, 30.0]) + d[:, 0] * 1.5 + d[:, 1] * 4.0 + d[:, 2] * 7.0
    np.testing.assert_allclose(world, expected)


def test_world_to_index_inverts_index_to_world():
    img = Image(np.zeros((4, 5, 3)), spacing=(0.7, 0.9, 5.0), origin=(1, 2, 3), direction=_oblique_direction(12))
    idx = np.random.default_rng(0).uniform(0, 4, size=(50, 3))
    np.testing.assert_allclose(img.world_to_index(img.index_to_world(idx)), idx, atol=1e-12)


def test_affine_ras_flips_first_two_world_axes():
    img = Image(np.zeros((2, 2, 2)), spacing=(1, 2, 3), origin=(5, 6, 7))
    np.testing.assert_allclose(img.affine_ras[:3, 3], [-5, -6, 7])
    np.testing.assert_allclose(np.diag(img.affine_ras)[:3], [-1, -2, 3])


def test_orientation_code_of_identity_is_lps_and_of_flipped_is_ras():
    assert Image(np.zeros((2, 2, 2))).orientation == "LPS"
    assert Image(np.zeros((2, 2, 2)), direction=np.diag([-1.0, -1.0, 1.0])).orientation == "RAS"


def test_two_dimensional_array_becomes_single_slice():
    img = Image(np.ones((6, 7)), spacing=(1.2, 1.2))
    assert img.spatial_shape == (6, 7, 1)
    assert img.spacing == (1.2, 1.2, 1.0)


def test_echo_time_count_must_match_volumes():
    with pytest.raises(EchoTimeError, match="3 echo times given for 4 volume"):
        Image(np.zeros((2, 2, 1, 4)), echo_times=[10, 20, 30])


@pytest.mark.parametrize("spacing", [(0, 1, 1), (1, -1, 1), (1, np.nan, 1), (1, 1)])
def test_bad_spacing_is_rejected_except_2d(spacing):
    if len(spacing) == 2:
        assert Image(np.zeros((2, 2, 1)), spacing=spacing).spacing == (1.0, 1.0, 1.0)
        return
    with pytest.raises(InputError, match="spacing"):
        Image(np.zeros((2, 2, 1)), spacing=spacing)


def test_five_dimensional_array_is_rejected():
    with pytest.raises(InputError, match="5 dimensions"):
        Image(np.zeros((2, 2, 2, 2, 2)))


def test_volume_of_multi_echo_image_carries_its_echo_time():
    img = Image(np.arange(16.0).reshape(2, 2, 1, 4), echo_times=[10, 20, 30, 40])
    vol = img.volume(2)
    assert vol.shape == (2, 2, 1)
    assert vol.meta["EchoTime"] == 30.0
    np.testing.assert_array_equal(vol.array, img.array[..., 2])
