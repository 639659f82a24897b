"""NPZ archives (Dafne calf slices): image with pixel size, masks stacked into one label map."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.errors import FormatError, MaskError
from myomri.io.npz import read_npz
from myomri.io.read import read_image, read_mask

PD_COUNTS = {"Soleus_R": 2599, "Soleus_L": 2479, "Gastrocnemius Medialis_R": 1179,
             "Gastrocnemius Medialis_L": 1316, "Gastrocnemius Lateralis_R": 387,
             "Gastrocnemius Lateralis_L": 324, "Tibialis Anterior_R": 708, "Tibialis Anterior_L": 641,
             "Extensor Longus Digitorum_R": 384, "Extensor Longus Digitorum_L": 461,
             "Peroneus_R": 454, "Peroneus_L": 535}


@pytest.fixture(scope="module")
def dafne(reference):
    return reference / "muscle" / "dafne_eval_calf_slices"


def test_dafne_pd_slice_reads_with_pixel_size_and_no_geometry(dafne):
    img = read_image(dafne / "pd_example.npz")
    assert img.shape == (160, 320, 1)
    assert img.spacing[:2] == (1.125, 1.125)
    assert img.meta["NoGeometry"] is True
    assert float(img.array.max()) == pytest.approx(1557, abs=0.5)


def test_dafne_pd_masks_become_one_label_map_with_readme_counts(dafne):
    img = read_image(dafne / "pd_example.npz")
    mask = read_mask(dafne / "pd_manual_rois.npz")
    names = mask.meta["LabelNames"]
    assert len(names) == 12
    counts = {names[lab]: int((mask.array == lab).sum()) for lab in names}
    # hand-drawn masks touch: pixels a later mask lost to an earlier one are recorded
    for pair, n in mask.meta.get("MaskOverlaps", {}).items():
        counts[pair.split("|")[0]] += n
    assert counts == PD_COUNTS
    assert sum(mask.meta["MaskOverlaps"].values()) < 20
    assert mask.spatial_shape == img.spatial_shape


def test_npz_mask_spacing_can_be_given(dafne):
    mask = read_npz(dafne / "pd_manual_rois.npz", spacing=(1.125, 1.125))
    assert mask.spacing == (1.125, 1.125, 1.0)
    assert "SpacingUnknown" not in mask.meta


def test_npz_bad_content_raises(tmp_path):
    np.savez(tmp_path / "odd.npz", a=np.zeros((3, 3)), b=np.zeros((4, 4)))
    with pytest.raises(FormatError, match="different shapes"):
        read_image(tmp_path / "odd.npz")
    np.savez(tmp_path / "soft.npz", a=np.full((3, 3), 0.5))
    with pytest.raises(MaskError, match="expected 0/1"):
        read_image(tmp_path / "soft.npz")
    np.savez(tmp_path / "obj.npz", image=np.array([{"a": 1}], dtype=object))
    with pytest.raises(FormatError, match="without pickles"):
        read_image(tmp_path / "obj.npz")
    with pytest.raises(FormatError, match="no array 'x'"):
        read_npz(tmp_path / "soft.npz", key="x")
