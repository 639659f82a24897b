"""``myomri view`` in headless Chromium against a server started by the test, on a tiny demo cohort."""

from __future__ import annotations

import csv
import hashlib
import os

import nibabel as nib
import numpy as np
import pytest

from tests.view._view_page import (canvas_rgb, choose, click_voxel, hover_voxel, open_page, set_range, stroke, voxel_xy,
                        wait_state)

pytestmark = pytest.mark.slow


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cohort_server(serve, cohort):
    from myomri.view.catalog import catalog_manifest

    return serve(catalog_manifest(cohort / "manifest.csv"))


def _dseg(cohort):
    path = cohort / "sub-001" / "seg" / "sub-001_dseg.nii.gz"
    return path, np.asarray(nib.load(path).dataobj)


def test_page_loads_and_overlay_has_label_colours_where_the_mask_is(serve, cohort, browser):
    from scipy import ndimage

    server = _cohort_server(serve, cohort)
    open_page(browser, server)
    _, labels = _dseg(cohort)
    k = browser.execute_script("return window.myomri.state.k")
    colours = {int(e["value"]): e["rgb"] for e in browser.execute_script("return window.myomri.state.meta.labels")}
    set_range(browser, "opacity", 100)
    shot = canvas_rgb(browser)
    sl = labels[:, :, k]
    checked = 0
    for value in [v for v in np.unique(sl) if v]:
        inner = np.argwhere(ndimage.binary_erosion(sl == value, iterations=1))
        for i, j in inner[:: max(1, len(inner) // 10)]:
            x, y = voxel_xy(browser, int(i), int(j))
            assert np.abs(shot[y, x].astype(int) - colours[int(value)]).max() <= 2, (value, i, j, shot[y, x])
            checked += 1
    assert checked >= 50
    bg = np.argwhere(ndimage.binary_erosion(sl == 0, iterations=2))
    for i, j in bg[:: max(1, len(bg) // 20)]:
        x, y = voxel_xy(browser, int(i), int(j))
        r, g, b = shot[y, x].astype(int)
        assert r == g == b  # grey image, no overlay outside the mask


def test_paging_slices_changes_the_view(serve, cohort, browser):
    server = _cohort_server(serve, cohort)
    open_page(browser, server)
    k0 = browser.execute_script("return window.myomri.state.k")
    before = canvas_rgb(browser)
    canvas = browser.find_element("id", "view")
    canvas.click()
    canvas.send_keys("\ue013")  # arrow up: next slice
    assert browser.execute_script("return window.myomri.state.k") == k0 + 1
    assert browser.find_element("id", "slice-info").text == f"slice {k0 + 2} / 7"
    after = canvas_rgb(browser)
    assert np.mean(np.any(before != after, axis=-1)) > 0.01
    browser.execute_script("document.getElementById('view').dispatchEvent("
                           "new WheelEvent('wheel', {deltaY: 100, bubbles: true, cancelable: true}))")
    assert browser.execute_script("return window.myomri.state.k") == k0


def test_brush_stroke_then_save_writes_exactly_those_voxels_on_the_original_grid(serve, cohort, browser):
    server = _cohort_server(serve, cohort)
    path, labels = _dseg(cohort)
    original_sha = _sha(path)
    open_page(browser, server)
    k = browser.execute_script("return window.myomri.state.k")
    ni, nj, _ = labels.shape
    value, j0, i0 = 5, nj // 2, ni // 4
    run = [(i, j0) for i in range(i0, i0 + 12)]
    assert all(labels[i, j, k] != value for i, j in run)
    choose(browser, "label-picker", value)
    set_range(browser, "brush-size", 1)
    stroke(browser, [run[0], run[6], run[-1]])
    assert browser.execute_script("return window.myomri.state.editor.dirty")
    browser.find_element("id", "save").click()
    assert wait_state(browser, "saved", "versioned", "save-failed") == "saved"

    out = path.with_name("sub-001_dseg_corrected.nii.gz")
    saved, orig = nib.load(out), nib.load(path)
    expected = labels.copy()
    for i, j in run:
        expected[i, j, k] = value
    np.testing.assert_array_equal(np.asarray(saved.dataobj), expected)
    assert saved.shape == orig.shape
    assert np.array_equal(saved.affine, orig.affine)
    assert _sha(path) == original_sha  # the original is untouched
    with open(cohort / "corrections.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["subject"], r["slices_edited"], r["voxels_changed"]) for r in rows] == [("sub-001", str(k), "12")]
    assert rows[0]["corrected"] == "sub-001/seg/sub-001_dseg_corrected.nii.gz"
    assert not browser.execute_script("return window.myomri.state.editor.dirty")


def test_undo_and_redo_restore_a_stroke(serve, cohort, browser):
    server = _cohort_server(serve, cohort)
    open_page(browser, server)
    _, labels = _dseg(cohort)
    ni, nj, _ = labels.shape
    total = "return window.myomri.state.vol.labels.reduce((a, b) => a + b, 0)"
    before = browser.execute_script(total)
    set_range(browser, "brush-size", 5)
    choose(browser, "label-picker", 3)
    stroke(browser, [(ni // 3, nj // 2), (ni // 3 + 8, nj // 2)])
    painted = browser.execute_script(total)
    assert painted != before
    browser.find_element("id", "undo").click()
    assert browser.execute_script(total) == before
    assert not browser.execute_script("return window.myomri.state.editor.dirty")
    browser.find_element("id", "redo").click()
    assert browser.execute_script(total) == painted


def test_a_failing_save_says_so_on_the_page_and_keeps_the_edits(serve, cohort, browser, monkeypatch):
    from myomri.view import corrections

    server = _cohort_server(serve, cohort)
    path, labels = _dseg(cohort)
    seg = path.parent
    if os.geteuid() == 0:  # root writes into read-only folders: make the write itself fail
        def refuse(reference, grid, array, target):
            raise PermissionError(13, "Permission denied", str(target))
        monkeypatch.setattr(corrections, "_write_like", refuse)
    else:
        seg.chmod(0o555)
    try:
        open_page(browser, server)
        ni, nj, _ = labels.shape
        stroke(browser, [(ni // 4, nj // 2), (ni // 4 + 5, nj // 2)])
        browser.find_element("id", "save").click()
        assert wait_state(browser, "saved", "save-failed") == "save-failed"
        message = browser.find_element("id", "message").text
        assert "Save failed" in message and "Permission denied" in message and "still in this page" in message
        assert browser.execute_script("return window.myomri.state.editor.dirty")
        assert not path.with_name("sub-001_dseg_corrected.nii.gz").exists()
        assert sorted(p.name for p in seg.iterdir()) == [path.name]  # no temporary file left either
    finally:
        seg.chmod(0o755)
        monkeypatch.undo()
    browser.find_element("id", "save").click()  # the folder is writable again: the same edits are saved
    assert wait_state(browser, "saved", "save-failed") == "saved"
    assert path.with_name("sub-001_dseg_corrected.nii.gz").exists()


def test_two_tabs_saving_the_same_mask_keep_both_versions(serve, cohort, browser):
    server = _cohort_server(serve, cohort)
    path, labels = _dseg(cohort)
    ni, nj, _ = labels.shape
    open_page(browser, server)
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    open_page(browser, server)
    second = browser.current_window_handle
    set_range(browser, "brush-size", 1)
    choose(browser, "label-picker", 7)
    stroke(browser, [(ni // 4, nj // 2), (ni // 4 + 3, nj // 2)])
    browser.switch_to.window(first)
    set_range(browser, "brush-size", 1)
    choose(browser, "label-picker", 9)
    stroke(browser, [(ni // 4, nj // 2 + 2), (ni // 4 + 3, nj // 2 + 2)])
    browser.find_element("id", "save").click()
    assert wait_state(browser, "saved", "versioned", "save-failed") == "saved"
    browser.switch_to.window(second)
    browser.find_element("id", "save").click()
    assert wait_state(browser, "saved", "versioned", "save-failed") == "versioned"
    assert "another tab" in browser.find_element("id", "message").text
    one = np.asarray(nib.load(path.with_name("sub-001_dseg_corrected.nii.gz")).dataobj)
    two = np.asarray(nib.load(path.with_name("sub-001_dseg_corrected-2.nii.gz")).dataobj)
    k = labels.shape[2] // 2
    assert (one[ni // 4: ni // 4 + 4, nj // 2 + 2, k] == 9).all() and (one[ni // 4, nj // 2, k] != 7)
    assert (two[ni // 4: ni // 4 + 4, nj // 2, k] == 7).all() and (two[ni // 4, nj // 2 + 2, k] != 9)


def test_nan_image_renders_with_nans_shown_and_read_out(serve, tmp_path, browser):
    from myomri.view.catalog import catalog_single

    rng = np.random.default_rng(0)
    img = rng.uniform(100, 200, (40, 30, 3)).astype(np.float32)
    img[5:10, 5:10, :] = np.nan
    lab = np.zeros(img.shape, np.uint8)
    lab[20:30, 10:20, :] = 2
    aff = np.diag([1.5, 1.5, 4.0, 1.0])
    nib.save(nib.Nifti1Image(img, aff), tmp_path / "nan.nii.gz")
    nib.save(nib.Nifti1Image(lab, aff), tmp_path / "nan_labels.nii.gz")
    server = serve(catalog_single(tmp_path / "nan.nii.gz", tmp_path / "nan_labels.nii.gz"))
    open_page(browser, server)
    assert "NaN" in browser.find_element("id", "notes").text
    nan_rgb = browser.execute_script("return window.NAN_RGB")
    shot = canvas_rgb(browser)
    x, y = voxel_xy(browser, 7, 7)
    assert shot[y, x].tolist() == nan_rgb
    x, y = voxel_xy(browser, 2, 2)
    assert len(set(shot[y, x].tolist())) == 1  # finite voxel: grey
    assert "value NaN" in hover_voxel(browser, 7, 7)
    assert "label 2" in hover_voxel(browser, 25, 15)


def test_reader_mode_draws_a_blinded_polygon_roi_that_extract_reads(serve, cohort, browser):
    from myomri.cli import main

    server = _cohort_server(serve, cohort)
    open_page(browser, server)
    browser.find_element("css selector", 'input[name="mode"][value="reader"]').click()
    wait_state(browser, "ready")
    # blinding: the other readers' ROIs exist for this subject, the page shows none of them
    assert browser.execute_script("return window.myomri.state.vol.labels.some((v) => v > 0)") is False
    browser.find_element("id", "reader-id").send_keys("R3")
    assert browser.execute_script("return window.myomri.state.tool") == "polygon"
    corners = [(150, 100), (200, 100), (200, 140), (150, 140)]
    for i, j in corners:
        click_voxel(browser, i, j)
    browser.find_element("id", "view").send_keys("\ue007")  # Enter closes the polygon
    browser.find_element("id", "save").click()
    assert wait_state(browser, "saved", "save-failed") == "saved"
    roi_path = cohort / "sub-001" / "roi" / "sub-001_reader-R3_roi.nii.gz"
    roi = np.asarray(nib.load(roi_path).dataobj)
    stir = nib.load(cohort / "sub-001" / "anat" / "sub-001_stir.nii.gz")
    assert roi.shape == stir.shape and np.array_equal(nib.load(roi_path).affine, stir.affine)
    assert 40 * 30 <= roi.sum() <= 52 * 42 and roi[175, 120, 0] == 1 and roi[140, 120, 0] == 0
    with open(cohort / "manifest.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["reader"] == "R3"]
    assert [(r["subject"], r["mask"]) for r in rows] == [("sub-001", "sub-001/roi/sub-001_reader-R3_roi.nii.gz")]
    out = cohort / "features.csv"
    assert main(["extract", "--manifest", str(cohort / "manifest.csv"), "-o", str(out), "--jobs", "1"]) == 0
    with open(out) as fh:
        feats = [r for r in csv.DictReader(fh) if r.get("reader") == "R3"]
    assert len(feats) == 1 and float(feats[0]["original_firstorder_Mean"]) > 0


def test_learn_from_corrections_from_the_page_reports_dice_and_keeps_a_new_model_file(serve, cohort, browser,
                                                                                      tmp_path):
    import shutil
    import time

    from myomri.segment.infer import default_model_path
    from myomri.view.catalog import catalog_manifest

    current = tmp_path / "current.pt"
    shutil.copyfile(default_model_path(), current)
    current_sha = _sha(current)
    server = serve(catalog_manifest(cohort / "manifest.csv", model=current))
    open_page(browser, server)
    _, labels = _dseg(cohort)
    ni, nj, _ = labels.shape
    set_range(browser, "brush-size", 9)
    choose(browser, "label-picker", 1)
    stroke(browser, [(ni // 4, nj // 2), (ni // 4 + 20, nj // 2)])
    browser.find_element("id", "save").click()
    assert wait_state(browser, "saved") == "saved"
    browser.find_element("id", "learn-start").click()
    end = time.monotonic() + 300
    while time.monotonic() < end:
        state = browser.execute_script("return document.getElementById('learn-box').dataset.state")
        if state in ("done", "failed"):
            break
        time.sleep(1)
    log = browser.find_element("id", "learn-log").text
    assert state == "done", log
    assert "corrected tile(s)" in log and "epoch 5/5" in log
    assert "mean Dice on the corrected slices" in browser.find_element("id", "message").text
    candidates = list((cohort / "models").glob("refined-*.pt"))
    assert len(candidates) == 1
    browser.find_element("id", "learn-keep").click()
    end = time.monotonic() + 10
    while browser.execute_script("return document.getElementById('learn-box').dataset.state") != "kept":
        assert time.monotonic() < end
        time.sleep(0.2)
    assert _sha(current) == current_sha  # the model in use was never overwritten
    assert server.api.catalog.model == candidates[0]


def test_leaving_a_subject_with_unsaved_edits_asks_first(serve, cohort, browser):
    server = _cohort_server(serve, cohort)
    open_page(browser, server)
    _, labels = _dseg(cohort)
    ni, nj, _ = labels.shape
    stroke(browser, [(ni // 4, nj // 2), (ni // 4 + 4, nj // 2)])
    browser.find_element("css selector", '#subjects li[data-subject="sub-002"]').click()
    alert = browser.switch_to.alert
    assert "unsaved edits" in alert.text
    alert.dismiss()
    assert browser.execute_script("return window.myomri.state.subject") == "sub-001"
    assert browser.execute_script("return window.myomri.state.editor.dirty")
    browser.find_element("css selector", '#subjects li[data-subject="sub-002"]').click()
    browser.switch_to.alert.accept()
    wait_state(browser, "ready")
    assert browser.execute_script("return window.myomri.state.subject") == "sub-002"
