"""Federated learning against a real aiohttp server on 127.0.0.1 (ephemeral port) with two sites."""

from __future__ import annotations

import asyncio
import io
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("aiohttp")

from tests.segment.dl_phantom import TINY_ARCH, phantom_tiles, tiny_model  # noqa: E402

from myomri.errors import ConfigError, FormatError  # noqa: E402
from myomri.segment.federated.client import FederatedError, pull_model, push_model, server_status  # noqa: E402
from myomri.segment.federated.server import make_app, read_tokens  # noqa: E402
from myomri.segment.federated.store import ModelStore, average_states  # noqa: E402
from myomri.segment.model_io import load_model, save_model, state_to_bytes  # noqa: E402
from myomri.segment.refine import refine_model  # noqa: E402
from myomri.segment.train import train_model  # noqa: E402

TOKENS = {"site_a": "a" * 8 + "1234567890abcdef", "site_b": "b" * 8 + "fedcba0987654321"}
INITIAL_SAMPLES = 100


class _Server:
    """The aiohttp app in a background thread with its own event loop."""

    def __init__(self, app):
        from aiohttp import web

        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.runner = web.AppRunner(app)
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            self.loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(20), "server did not start"
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(20)


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    """A trained tiny model served from a fresh store; yields a dict of everything the tests need."""
    root = tmp_path_factory.mktemp("fed")
    good = train_model(phantom_tiles(range(4)), model=tiny_model(), epochs=30, batch_size=4, learning_rate=1e-2,
                       n_threads=1, augment=False)  # fmt: skip
    store = ModelStore(root / "store", initial_model=good, initial_samples=INITIAL_SAMPLES)
    validation = phantom_tiles([20, 21])
    app = make_app(store, validation, TOKENS, tolerance=0.05, max_upload_mb=0.5, log=lambda s: None)
    server = _Server(app)
    yield {"root": root, "store": store, "good": good, "url": server.url, "validation": validation}
    server.stop()


def _site_model(fed, name, seeds, path):
    """A site pulls the served model, refines it on its own phantoms and saves it."""
    pulled, info = pull_model(fed["url"], TOKENS[name], fed["root"] / f"{name}_pulled.pt")
    refined, _ = refine_model(load_model(pulled), phantom_tiles(seeds), epochs=2, batch_size=4,
                              learning_rate=1e-3, augment=False, n_threads=1)  # fmt: skip
    save_model(refined, path)
    return refined, info


def _served(fed):
    return server_status(fed["url"], TOKENS["site_a"])


def test_two_sites_merge_by_data_size_weighted_average(fed):
    before = _served(fed)
    served_state = fed["store"].load().network.state_dict()
    model_a, info = _site_model(fed, "site_a", [5, 6], fed["root"] / "a.pt")
    assert info["lineage"] == before["lineage"] and model_a.parent == before["lineage"]
    ans = push_model(fed["url"], TOKENS["site_a"], fed["root"] / "a.pt", n_samples=50)
    assert ans["accepted"] and ans["version"] == before["version"] + 1
    # hand-computed weighted average: (S * served + n * site) / (S + n)
    merged, _ = pull_model(fed["url"], TOKENS["site_b"], fed["root"] / "merged.pt")
    merged = load_model(merged).network.state_dict()
    s, n = before["n_samples"], 50
    for name, w in model_a.network.state_dict().items():
        expect = (s * served_state[name].double() + n * w.double()) / (s + n)
        np.testing.assert_allclose(merged[name].double().numpy(), expect.numpy(), rtol=1e-6, atol=1e-7)
    assert _served(fed)["n_samples"] == s + n
    # the second site starts from the merged model and is merged in turn
    _site_model(fed, "site_b", [7, 8], fed["root"] / "b.pt")
    ans_b = push_model(fed["url"], TOKENS["site_b"], fed["root"] / "b.pt", n_samples=30)
    assert ans_b["accepted"] and _served(fed)["version"] == ans["version"] + 1
    log = fed["store"].log()
    assert [r["site"] for r in log if r["event"] == "accepted"][-2:] == ["site_a", "site_b"]


def test_average_states_matches_hand_computation():
    a = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor([0.0])}
    b = {"w": torch.tensor([3.0, 6.0]), "b": torch.tensor([4.0])}
    avg = average_states([a, b], [3, 1])
    assert torch.allclose(avg["w"], torch.tensor([1.5, 3.0])) and torch.allclose(avg["b"], torch.tensor([1.0]))


def _expect_rejected(fed, status, fn):
    before = _served(fed)
    with pytest.raises(FederatedError) as exc:
        fn()
    assert exc.value.status == status
    after = _served(fed)
    assert (after["version"], after["lineage"]) == (before["version"], before["lineage"])
    return exc.value


def test_random_and_poisoned_models_are_rejected_by_the_gate(fed):
    served = _served(fed)
    rnd = tiny_model(seed=99)
    rnd.parent = served["lineage"]
    save_model(rnd, fed["root"] / "random.pt")
    err = _expect_rejected(fed, 409, lambda: push_model(fed["url"], TOKENS["site_a"], fed["root"] / "random.pt",
                                                        n_samples=10_000))  # fmt: skip
    assert err.payload["dice_merged"] < err.payload["dice_served"] - 0.05
    poisoned = fed["store"].load()
    with torch.no_grad():
        for p in poisoned.network.parameters():
            p.mul_(-1.0)
    poisoned.parent = served["lineage"]
    save_model(poisoned, fed["root"] / "poisoned.pt")
    # even with a tiny claimed data size (merge barely changes) the site's own model must be sane
    err = _expect_rejected(fed, 409, lambda: push_model(fed["url"], TOKENS["site_b"], fed["root"] / "poisoned.pt",
                                                        n_samples=1))  # fmt: skip
    assert "site model validation Dice" in err.payload["reason"]
    assert [r["event"] for r in fed["store"].log()][-2:] == ["rejected", "rejected"]


def test_unknown_lineage_and_other_architecture_are_rejected(fed):
    m = fed["store"].load()
    m.parent = "ffffffffffffffff"
    save_model(m, fed["root"] / "stranger.pt")
    err = _expect_rejected(fed, 409, lambda: push_model(fed["url"], TOKENS["site_a"], fed["root"] / "stranger.pt",
                                                        n_samples=5))  # fmt: skip
    assert "lineage" in err.payload["reason"]
    wide = tiny_model(base_channels=8)
    wide.parent = _served(fed)["lineage"]
    save_model(wide, fed["root"] / "wide.pt")
    err = _expect_rejected(fed, 409, lambda: push_model(fed["url"], TOKENS["site_a"], fed["root"] / "wide.pt",
                                                        n_samples=5))  # fmt: skip
    assert "architecture" in err.payload["reason"]


def _raw_post(url, data, headers):
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_uploads_without_or_with_wrong_token_are_refused(fed):
    m = fed["root"] / "a.pt"
    if not m.exists():
        save_model(fed["store"].load(), m)
    _expect_rejected(fed, 401, lambda: push_model(fed["url"], "x" * 24, m, n_samples=5, base="0" * 16))
    before = _served(fed)
    url = fed["url"] + f"/push?n_samples=5&base={before['lineage']}"
    assert _raw_post(url, state_to_bytes(load_model(m)), {}) == 401
    assert _raw_post(url, b"x", {"Authorization": "Bearer " + TOKENS["site_a"][:-1]}) == 401
    with pytest.raises(FederatedError) as exc:
        pull_model(fed["url"], "wrong-token-wrong-token", fed["root"] / "never.pt")
    assert exc.value.status == 401 and not (fed["root"] / "never.pt").exists()
    assert _served(fed)["version"] == before["version"]


def test_oversized_nan_and_garbage_uploads_are_refused(fed):
    before = _served(fed)
    url = fed["url"] + f"/push?n_samples=5&base={before['lineage']}"
    auth = {"Authorization": "Bearer " + TOKENS["site_a"]}
    assert _raw_post(url, b"\0" * (600 * 1024), auth) == 413  # limit 0.5 MB
    nan_model = fed["store"].load()
    buf = io.BytesIO(state_to_bytes(nan_model))
    payload = torch.load(buf, weights_only=True)
    payload["state_dict"]["head.bias"][0] = float("nan")
    out = io.BytesIO()
    torch.save(payload, out)
    assert _raw_post(url, out.getvalue(), auth) == 400
    assert _raw_post(url, b"not a model", auth) == 400
    assert _raw_post(fed["url"] + "/push?n_samples=-3&base=x", b"x", auth) == 400
    after = _served(fed)
    assert (after["version"], after["lineage"]) == (before["version"], before["lineage"])
    # the client refuses to send NaN weights in the first place
    (fed["root"] / "nan.pt").write_bytes(out.getvalue())
    with pytest.raises(FormatError, match="NaN"):
        push_model(fed["url"], TOKENS["site_a"], fed["root"] / "nan.pt", n_samples=5)


def test_rollback_serves_an_earlier_version_and_keeps_history(fed, capsys):
    from myomri.cli import main

    store_dir = str(fed["store"].root)
    n_versions = len(fed["store"].versions())
    assert main(["federate", "rollback", "--store", store_dir, "--to", "1"]) == 0
    status = _served(fed)
    assert status["version"] == 1 and status["lineage"] == fed["good"].lineage
    assert status["n_samples"] == INITIAL_SAMPLES
    assert len(fed["store"].versions()) == n_versions and fed["store"].log()[-1]["event"] == "rollback"
    assert main(["federate", "rollback", "--store", store_dir, "--to", "99"]) == 2
    assert "no version 99" in capsys.readouterr().err
    assert main(["federate", "pull", "--server", fed["url"], "--token", TOKENS["site_b"], "-o",
                 str(fed["root"] / "v1.pt")]) == 0  # fmt: skip
    assert load_model(fed["root"] / "v1.pt").lineage == fed["good"].lineage


def test_token_file_problems_are_reported_together(tmp_path):
    f = tmp_path / "tokens.txt"
    f.write_text("# sites\nsite_a short\nsite_b\nsite_c " + "c" * 20 + "\nsite_c " + "d" * 20 + "\n")
    with pytest.raises(ConfigError) as exc:
        read_tokens(f)
    msg = str(exc.value)
    assert "shorter than 16" in msg and "expected 'SITE TOKEN'" in msg and "listed twice" in msg
    f.write_text("site_a " + "a" * 20 + "\n")
    assert read_tokens(f) == {"site_a": "a" * 20}


def test_empty_store_without_initial_model_is_an_error(tmp_path):
    from myomri.errors import InputError

    (tmp_path / "s").mkdir()
    with pytest.raises(InputError, match="empty model store"):
        ModelStore(tmp_path / "s")
    with pytest.raises(InputError, match="no model store"):
        ModelStore(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()
    assert TINY_ARCH["arch"] == "ResUNet2d"


def test_unchanged_model_is_refused_not_stored_as_a_new_version(fed):
    before = _served(fed)
    pulled, _ = pull_model(fed["url"], TOKENS["site_a"], fed["root"] / "unchanged.pt")
    n_versions = len(fed["store"].versions())
    err = _expect_rejected(fed, 409, lambda: push_model(fed["url"], TOKENS["site_a"], pulled, n_samples=40,
                                                        base=before["lineage"]))  # fmt: skip
    assert "identical to the served version" in str(err)
    assert len(fed["store"].versions()) == n_versions and _served(fed)["n_samples"] == before["n_samples"]
    assert fed["store"].log()[-1]["event"] == "rejected"


def test_claimed_data_size_is_bounded_capped_in_the_merge_and_recorded(fed):
    from myomri.errors import InputError

    before = _served(fed)
    served_state = fed["store"].load().network.state_dict()
    model_c, _ = _site_model(fed, "site_a", [9, 10], fed["root"] / "c.pt")
    n_log = len(fed["store"].log())
    for bad in (0, True, 10_000_001, 2.5):  # outside 1..max_samples or not an integer: refused, nothing logged
        with pytest.raises(InputError, match="n_samples"):
            fed["store"].submit(model_c, site="site_a", n_samples=bad, base_lineage=before["lineage"],
                                evaluate=lambda m: 1.0, tolerance=0.05, candidate_tolerance=0.1)  # fmt: skip
    assert len(fed["store"].log()) == n_log
    ans = push_model(fed["url"], TOKENS["site_a"], fed["root"] / "c.pt", n_samples=1_000_000)
    s = before["n_samples"]
    # max_share 0.5: the claimed 10^6 weighs as much as the served model's s, not 10^4 times more
    assert ans["accepted"] and ans["n_samples"] == 1_000_000 and ans["n_samples_used"] == s
    assert ans["merge_share"] == pytest.approx(0.5) and _served(fed)["n_samples"] == 2 * s
    merged_path, _ = pull_model(fed["url"], TOKENS["site_b"], fed["root"] / "merged_c.pt")
    merged = load_model(merged_path)
    for name, w in model_c.network.state_dict().items():
        expect = (served_state[name].double() + w.double()) / 2
        np.testing.assert_allclose(merged.network.state_dict()[name].double().numpy(), expect.numpy(),
                                   rtol=1e-6, atol=1e-7)  # fmt: skip
    step = merged.history[-1]
    assert (step["n_samples"], step["n_samples_used"], step["served_samples"]) == (1_000_000, s, s)
    rec = fed["store"].log()[-1]
    assert rec["event"] == "accepted" and (rec["n_samples"], rec["n_samples_used"]) == (1_000_000, s)


def test_serve_checks_its_validation_list_before_creating_the_store(fed, tmp_path, capsys):
    from myomri.cli import main

    model = save_model(fed["good"], tmp_path / "initial.pt")
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("".join(f"{site} {tok}\n" for site, tok in TOKENS.items()))
    (tmp_path / "cases.tsv").write_text("image\tmask\nabsent_image.nii.gz\tabsent_mask.nii.gz\n")
    for validation in (tmp_path / "missing.tsv", tmp_path / "cases.tsv"):
        assert main(["federate", "serve", "--store", str(tmp_path / "store"), "--validation", str(validation),
                     "--token-file", str(tokens), "--model", str(model)]) == 2  # fmt: skip
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and validation.name in err
        assert not (tmp_path / "store").exists()


def test_rollback_on_a_missing_store_is_an_error_and_creates_no_folder(tmp_path, capsys):
    from myomri.cli import main

    assert main(["federate", "rollback", "--store", str(tmp_path / "no_store"), "--to", "1"]) == 2
    assert "no model store (folder not found)" in capsys.readouterr().err
    assert not (tmp_path / "no_store").exists()


def test_pull_into_a_folder_or_from_a_bad_url_is_a_one_line_error(fed, tmp_path, capsys):
    from myomri.cli import main

    pull = ["federate", "pull", "--token", TOKENS["site_a"]]
    assert main([*pull, "--server", fed["url"], "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: is a folder; expected the path of the model file" in err and len(err.splitlines()) == 1
    for url in ("notaurl", "ftp://host", "http://", "http://[::1", "http://host:99999"):
        assert main([*pull, "--server", url, "-o", str(tmp_path / "m.pt")]) == 2
        err = capsys.readouterr().err
        assert f"server URL {url!r}" in err and "expected http://HOST[:PORT]" in err, err
        assert len(err.splitlines()) == 1
    assert not (tmp_path / "m.pt").exists()
