"""An output path that resolves to an input is refused before anything is computed (issue 16 #3)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from myomri.cli import main
from myomri.errors import InputError
from myomri.io.image import Image
from myomri.io.nifti import write_nifti
from myomri.io.paths import refuse_output_over_input


@pytest.fixture()
def case(tmp_path):
    """A small image and a two-label mask on its grid, as NIfTI files."""
    rng = np.random.default_rng(0)
    img = Image(rng.normal(100, 10, (16, 16, 3)), spacing=(1.0, 1.0, 3.0))
    lab = np.zeros((16, 16, 3), np.uint8)
    lab[3:8, 3:9, :] = 1
    lab[9:14, 8:14, :] = 2
    write_nifti(img, tmp_path / "img.nii.gz")
    write_nifti(img.with_array(lab), tmp_path / "mask.nii.gz")
    return tmp_path / "img.nii.gz", tmp_path / "mask.nii.gz"


def test_helper_refuses_the_same_path_written_differently(tmp_path):
    f = tmp_path / "m.nii.gz"
    f.write_bytes(b"x")
    with pytest.raises(InputError, match=r"output .* is the input mask .*m\.nii\.gz"):
        refuse_output_over_input({"mask": f}, [tmp_path / "sub" / ".." / "m.nii.gz"])
    refuse_output_over_input({"mask": f, "params": None}, [tmp_path / "out.csv"])  # another file passes


def test_helper_refuses_symlinks_and_hard_links_to_an_input(tmp_path):
    f = tmp_path / "m.nii.gz"
    f.write_bytes(b"x")
    (tmp_path / "link.nii.gz").symlink_to(f)
    os.link(f, tmp_path / "hard.nii.gz")
    for out in ("link.nii.gz", "hard.nii.gz"):
        with pytest.raises(InputError, match="overwrite the input"):
            refuse_output_over_input({"mask": f}, [tmp_path / out])
    # the input given through the link, the output as the real file
    with pytest.raises(InputError, match="overwrite the input"):
        refuse_output_over_input({"mask": tmp_path / "link.nii.gz"}, [f])


def test_helper_refuses_an_output_folder_holding_an_input(tmp_path):
    (tmp_path / "in").mkdir()
    f = tmp_path / "in" / "mese.nii.gz"
    f.write_bytes(b"x")
    with pytest.raises(InputError, match="output folder .* holds the input"):
        refuse_output_over_input({"input": f}, output_folders=[tmp_path])
    with pytest.raises(InputError, match="output folder .* holds the input"):
        refuse_output_over_input({"input": tmp_path / "in"}, output_folders=[tmp_path / "in"])
    refuse_output_over_input({"input": f}, output_folders=[tmp_path / "maps"])


def _refused(capsys, argv, victim):
    before = victim.read_bytes()
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "overwrite the input" in err and str(victim.name) in err
    assert victim.read_bytes() == before  # the input is intact


def test_extract_refuses_its_mask_as_output(case, capsys):
    img, mask = case
    _refused(capsys, ["extract", str(img), str(mask), "-o", str(mask)], mask)


def test_extract_refuses_a_symlink_to_its_image_as_output(case, capsys):
    img, mask = case
    link = img.with_name("link.csv")
    link.symlink_to(img)
    _refused(capsys, ["extract", str(img), str(mask), "-o", str(link)], img)


def test_extract_manifest_refuses_the_manifest_as_output(case, capsys):
    img, mask = case
    manifest = img.with_name("cohort.csv")
    manifest.write_text(f"subject,reader,image,mask\ns1,A,{img.name},{mask.name}\n")
    _refused(capsys, ["extract", "--manifest", str(manifest), "-o", str(manifest), "--no-progress"], manifest)
    assert not manifest.with_name("cohort.csv.parts").exists()  # refused before anything was written


def test_extract_manifest_refuses_a_listed_mask_as_output(case, capsys):
    img, mask = case
    manifest = img.with_name("cohort.csv")
    manifest.write_text(f"subject,reader,image,mask\ns1,A,{img.name},{mask.name}\n")
    _refused(capsys, ["extract", "--manifest", str(manifest), "-o", str(mask), "--no-progress"], mask)


def test_roi_stats_refuses_its_map_as_output(case, capsys):
    img, mask = case
    _refused(capsys, ["roi-stats", str(img), str(mask), "-o", str(img)], img)


def test_segment_refuses_its_image_as_output(case, capsys):
    img, _ = case
    _refused(capsys, ["segment", str(img), "--method", "classical", "-o", str(img)], img)


def test_robustness_refuses_its_mask_as_output(case, capsys):
    img, mask = case
    _refused(capsys, ["robustness", str(img), str(mask), "--n", "2", "-o", str(mask), "--no-progress"], mask)


def test_t2fit_refuses_an_output_folder_holding_its_input(case, capsys):
    img, _ = case
    _refused(capsys, ["t2fit", str(img), "-o", str(img.parent), "--echo-times", "10,20,30"], img)
