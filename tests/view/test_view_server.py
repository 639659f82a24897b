"""The viewer's server without a browser: access token, served folders, bad input, saving, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest


def _get(server, path, *, token=True, headers=None, data=None):
    sep = "&" if "?" in path else "?"
    url = f"http://127.0.0.1:{server.port}{path}" + (f"{sep}token={server.token}" if token is True else "")
    if isinstance(token, str):
        url += f"{sep}token={token}"
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _error(body: bytes) -> str:
    return json.loads(body)["error"]


@pytest.fixture
def cohort_server(serve, cohort):
    from myomri.view.catalog import catalog_manifest

    return serve(catalog_manifest(cohort / "manifest.csv"))


def test_requests_without_or_with_a_wrong_token_get_403(cohort_server):
    for path in ("/", "/static/app.js", "/api/subjects", "/api/subject/sub-001/volume/image"):
        assert _get(cohort_server, path, token=False)[0] == 403, path
        assert _get(cohort_server, path, token="not-the-token")[0] == 403, path
    status, body = _get(cohort_server, "/api/subjects", token=False)
    assert "token" in _error(body)
    assert _get(cohort_server, "/api/subjects", token=False, headers={"X-Myomri-Token": cohort_server.token})[0] == 200
    assert _get(cohort_server, "/")[0] == 200
    # a page elsewhere reaching the port through another host name (DNS rebinding) is refused too
    assert _get(cohort_server, "/api/subjects", headers={"Host": "evil.example:80"})[0] == 403


def test_the_server_listens_on_loopback_only_with_a_fresh_token(serve, cohort):
    from myomri.view.catalog import catalog_manifest

    a = serve(catalog_manifest(cohort / "manifest.csv"))
    b = serve(catalog_manifest(cohort / "manifest.csv"))
    assert a.server_address[0] == "127.0.0.1" and a.port != b.port and a.token != b.token
    assert len(a.token) >= 32 and a.url.startswith("http://127.0.0.1:")


def test_paths_outside_the_served_folders_are_refused(cohort_server, cohort, tmp_path):
    outside = tmp_path / "secret.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((4, 4, 1), np.float32), np.eye(4)), outside)
    (cohort / "sub-001" / "link_out.nii.gz").symlink_to(outside)
    (cohort / "sub-001" / "dir_out").symlink_to(tmp_path, target_is_directory=True)
    base = "/api/subject/sub-001/second?path="
    for bad in ("../secret.nii.gz", "sub-001/../../secret.nii.gz", str(outside), "/etc/passwd",
                "sub-001/link_out.nii.gz", "sub-001/dir_out/secret.nii.gz", "%2Fetc%2Fpasswd", "..%2Fsecret.nii.gz"):
        status, body = _get(cohort_server, base + bad)
        assert status == 403, (bad, status, body[:200])
    for bad in ("/static/../server.py", "/static/%2E%2E/server.py", "/static//etc/passwd"):
        assert _get(cohort_server, bad)[0] in (403, 404), bad
    status, body = _get(cohort_server, base + "sub-001/mese/sub-001_mese.nii.gz")
    assert status == 200 and len(body) == 224 * 136 * 7 * 4  # carried onto the subject's grid
    assert _get(cohort_server, base + "sub-001/nothing.nii.gz")[0] == 404


def _pair(tmp_path, label_affine, image_affine=None, shape=(30, 20, 4)):
    img = np.random.default_rng(1).uniform(10, 20, shape).astype(np.float32)
    lab = np.zeros(shape, np.uint8)
    lab[10:20, 5:15, :] = 4
    image_affine = np.diag([2.0, 2.0, 5.0, 1.0]) if image_affine is None else image_affine
    nib.save(nib.Nifti1Image(img, image_affine), tmp_path / "img.nii.gz")
    nib.save(nib.Nifti1Image(lab, label_affine), tmp_path / "lab.nii.gz")
    return tmp_path / "img.nii.gz", tmp_path / "lab.nii.gz"


def test_a_label_map_on_another_grid_is_carried_through_world_coordinates(serve, tmp_path):
    from myomri.view.catalog import catalog_single

    shifted = np.diag([2.0, 2.0, 5.0, 1.0])
    shifted[0, 3] = 6.0  # three image voxels along x
    image, labels = _pair(tmp_path, shifted)
    server = serve(catalog_single(image, labels))
    status, body = _get(server, "/api/subject/img/meta")
    meta = json.loads(body)
    assert status == 200 and "another grid" in " ".join(meta["notes"]) and "world coordinates" in " ".join(meta["notes"])
    status, body = _get(server, "/api/subject/img/volume/image")
    shown = np.frombuffer(body, "<f4").reshape((30, 20, 4), order="F")
    src = np.asarray(nib.load(image).dataobj)
    np.testing.assert_array_equal(shown[:-3], src[3:])  # label voxel i sits on image voxel i + 3
    assert np.isnan(shown[-3:]).all()  # beyond the image: no value, shown as such
    edit = np.asarray(nib.load(labels).dataobj).astype(np.uint16)
    edit[0, 0, 0] = 9
    status, body = _get(server, f"/api/subject/img/save?base={meta['base']}", data=edit.tobytes(order="F"))
    assert status == 200, body
    saved = nib.load(tmp_path / "lab_corrected.nii.gz")
    assert np.array_equal(saved.affine, nib.load(labels).affine) and saved.shape == (30, 20, 4)
    np.testing.assert_array_equal(np.asarray(saved.dataobj), edit)


def test_a_label_map_that_does_not_overlap_the_image_is_refused_with_a_clear_message(serve, tmp_path, capsys):
    from myomri.cli import main
    from myomri.view.catalog import catalog_single

    far = np.diag([2.0, 2.0, 5.0, 1.0])
    far[:3, 3] = 5000.0
    image, labels = _pair(tmp_path, far)
    server = serve(catalog_single(image, labels))
    status, body = _get(server, "/api/subject/img/meta")
    assert status == 400 and "does not overlap" in _error(body)
    assert main(["view", str(image), "--labels", str(labels), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "does not overlap" in err and "lab.nii.gz" in err


def test_save_checks_the_size_and_versions_on_a_stale_base(cohort_server, cohort):
    meta = json.loads(_get(cohort_server, "/api/subject/sub-001/meta")[1])
    status, body = _get(cohort_server, "/api/subject/sub-001/save?base=absent", data=b"\0" * 10)
    assert status == 400 and "expected" in _error(body)
    labels = np.frombuffer(_get(cohort_server, "/api/subject/sub-001/volume/labels")[1], "<u2").copy()
    first = json.loads(_get(cohort_server, f"/api/subject/sub-001/save?base={meta['base']}", data=labels.tobytes())[1])
    again = json.loads(_get(cohort_server, f"/api/subject/sub-001/save?base={first['signature']}",
                            data=labels.tobytes())[1])  # fmt: skip
    stale = json.loads(_get(cohort_server, f"/api/subject/sub-001/save?base={meta['base']}", data=labels.tobytes())[1])
    assert (first["status"], first["file"]) == ("saved", "sub-001_dseg_corrected.nii.gz")
    assert (again["status"], again["file"]) == ("saved", "sub-001_dseg_corrected.nii.gz")
    assert (stale["status"], stale["file"]) == ("versioned", "sub-001_dseg_corrected-2.nii.gz")


def test_reader_save_refuses_an_existing_reader_and_an_empty_roi(cohort_server):
    shape = json.loads(_get(cohort_server, "/api/subject/sub-001/meta?mode=reader")[1])["shape"]
    roi = np.zeros(shape, np.uint16)
    status, body = _get(cohort_server, "/api/subject/sub-001/save?mode=reader&reader=R4", data=roi.tobytes())
    assert status == 400 and "empty" in _error(body)
    roi[100:110, 100:110, 0] = 1
    status, body = _get(cohort_server, "/api/subject/sub-001/save?mode=reader&reader=R1", data=roi.tobytes())
    assert status == 409 and "R1b" in _error(body)
    status, body = _get(cohort_server, "/api/subject/sub-001/save?mode=reader&reader=../x", data=roi.tobytes())
    assert status == 400


def _fake_run(cohort, tmp_path) -> Path:
    """A run folder: the cohort as data/, a T2 map for sub-001 on its MESE grid, a failure for sub-002."""
    out = tmp_path / "run"
    out.mkdir()
    cohort.rename(out / "data")
    mese = nib.load(out / "data" / "sub-001" / "mese" / "sub-001_mese.nii.gz")
    t2dir = out / "stages" / "t2" / "sub-001"
    t2dir.mkdir(parents=True)
    nib.save(nib.Nifti1Image(np.full(mese.shape[:3], 40.0, np.float32), mese.affine), t2dir / "t2.nii.gz")
    (out / "failures.csv").write_text("subject,stage,error\nsub-002,t2,fit diverged\n")
    return out


def test_a_run_folder_shows_its_t2_maps_and_failure_flags(serve, cohort, tmp_path):
    from myomri.view.catalog import catalog_run

    run = _fake_run(cohort, tmp_path)
    server = serve(catalog_run(run))
    subjects = {s["subject"]: s for s in json.loads(_get(server, "/api/subjects")[1])["subjects"]}
    assert subjects["sub-001"]["has_map"] and subjects["sub-002"]["flags"] == ["t2 failed: fit diverged"]
    meta = json.loads(_get(server, "/api/subject/sub-001/meta")[1])
    with_map = [r for r in meta["stats"] if r.get("map_n")]
    assert with_map and all(abs(r["map_mean"] - 40.0) < 1e-6 and r["map_sd"] == 0 for r in with_map)
    assert "stages/t2/sub-001/t2.nii.gz" in meta["others"]
    assert _get(server, "/api/subject/sub-001/second?path=stages/t2/sub-001/t2.nii.gz")[0] == 200


def test_cli_serves_until_ctrl_c_and_prints_the_tokened_url(cohort):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "myomri", "view", str(cohort / "sub-001" / "dixon" / "sub-001_water.nii.gz"),
                             "--labels", str(cohort / "sub-001" / "seg" / "sub-001_dseg.nii.gz"), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            # a suite run in the background (nohup ... &) inherits SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    try:
        line = proc.stdout.readline()
        url = line.split("open ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and "?token=" in url
        with urllib.request.urlopen(url.replace("/?", "/api/subjects?"), timeout=30) as res:
            assert json.loads(res.read())["subjects"][0]["subject"] == "sub-001_water"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_cli_refuses_a_busy_port_and_bad_arguments(cohort, capsys):
    import socket

    from myomri.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["view", str(cohort), "--port", str(port), "--no-browser"]) == 2
    assert "pick another --port" in capsys.readouterr().err
    assert main(["view", "--no-browser"]) == 2
    assert "nothing to show" in capsys.readouterr().err


def test_learning_without_saved_corrections_fails_with_a_reason(cohort_server):
    import time

    pytest.importorskip("torch")
    status, body = _get(cohort_server, "/api/learn/start", data=b"{}")
    assert status == 200
    for _ in range(100):
        st = json.loads(_get(cohort_server, "/api/learn")[1])
        if st["state"] != "running":
            break
        time.sleep(0.2)
    assert st["state"] == "failed" and "no corrected slices" in st["log"][-1]
    assert _get(cohort_server, "/api/learn/keep", data=b"{}")[0] == 400


def test_the_segmenters_confidence_record_shows_as_flags(tmp_path):
    import json

    import nibabel as nib
    import numpy as np

    from myomri.view.catalog import catalog_single

    img = tmp_path / "water.nii.gz"
    lab = tmp_path / "labels.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((8, 8, 3), np.float32), np.eye(4)), img)
    nib.save(nib.Nifti1Image(np.ones((8, 8, 3), np.uint8), np.eye(4)), lab)
    # what `myomri segment --method dl` writes beside its label map (segment.confidence)
    (tmp_path / "labels.json").write_text(json.dumps({"low_confidence": True, "flagged_slices": [0, 2]}))
    flags = catalog_single(img, lab).entries[0].flags
    assert flags[0] == "low segmentation confidence" and "review slices 0, 2" in flags
