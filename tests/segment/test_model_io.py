"""Model files: round trip, lineage ids, and clear errors for another architecture, corruption, NaN."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tests.segment.dl_phantom import TINY_ARCH  # noqa: E402

from myomri.errors import FormatError, MissingFileError  # noqa: E402
from myomri.segment.model_io import (  # noqa: E402
    load_model, new_model, save_model, state_from_bytes, state_to_bytes, weights_id,
)  # fmt: skip


def test_round_trip_keeps_weights_metadata_and_lineage(tmp_path):
    m = new_model(TINY_ARCH, seed=3)
    m.parent = "0123456789abcdef"
    m.history.append({"step": "test"})
    path = save_model(m, tmp_path / "m.pt")
    back = load_model(path)
    for k, v in m.network.state_dict().items():
        assert torch.equal(v, back.network.state_dict()[k])
    assert back.lineage == m.lineage and back.parent == m.parent and back.arch == TINY_ARCH
    assert back.labels[0] == "VL" and len(back.labels) == 12 and back.history == [{"step": "test"}]
    assert not list(tmp_path.glob("*.tmp*"))  # atomic write left no temporary file


def test_lineage_id_identifies_weights():
    a, b = new_model(TINY_ARCH, seed=1), new_model(TINY_ARCH, seed=1)
    assert a.lineage == b.lineage and len(a.lineage) == 16
    with torch.no_grad():
        next(b.network.parameters())[0].add_(1e-3)
    assert weights_id(b.network.state_dict()) != a.lineage
    assert new_model(TINY_ARCH, seed=2).lineage != a.lineage


def test_file_of_another_architecture_is_rejected(tmp_path):
    other = new_model({**TINY_ARCH, "base_channels": 8}, seed=0)
    payload = torch.load(_saved(other, tmp_path / "o.pt"), weights_only=True)
    payload["arch"] = dict(TINY_ARCH)  # claims the tiny architecture but carries wider tensors
    torch.save(payload, tmp_path / "claims.pt")
    with pytest.raises(FormatError, match=r"claims.pt: tensor .* has shape .* expects"):
        load_model(tmp_path / "claims.pt")
    payload["arch"] = {**TINY_ARCH, "arch": "UNet3d"}
    torch.save(payload, tmp_path / "unknown.pt")
    with pytest.raises(FormatError, match="unknown.pt: unusable architecture"):
        load_model(tmp_path / "unknown.pt")
    del payload["state_dict"]["head.weight"]
    payload["arch"] = {**TINY_ARCH, "base_channels": 8}
    torch.save(payload, tmp_path / "missing.pt")
    with pytest.raises(FormatError, match="missing.pt: weights do not match .*head.weight"):
        load_model(tmp_path / "missing.pt")


def _saved(model, path):
    save_model(model, path)
    return path


def test_corrupted_or_foreign_files_are_rejected(tmp_path):
    good = _saved(new_model(TINY_ARCH), tmp_path / "good.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(good[: len(good) // 2])
    with pytest.raises(FormatError, match="trunc.pt: cannot read the segmentation model"):
        load_model(tmp_path / "trunc.pt")
    (tmp_path / "noise.pt").write_bytes(bytes(range(256)) * 8)
    with pytest.raises(FormatError, match="noise.pt"):
        load_model(tmp_path / "noise.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(FormatError, match="foreign.pt: not a myomri segmentation model"):
        load_model(tmp_path / "foreign.pt")
    with pytest.raises(MissingFileError):
        load_model(tmp_path / "absent.pt")
    with pytest.raises(FormatError, match="upload"):
        state_from_bytes(b"garbage")


def test_nan_weights_are_rejected_on_save_and_load(tmp_path):
    m = new_model(TINY_ARCH)
    payload = torch.load(_saved(m, tmp_path / "m.pt"), weights_only=True)
    payload["state_dict"]["head.bias"][0] = float("nan")
    torch.save(payload, tmp_path / "nan.pt")
    with pytest.raises(FormatError, match="nan.pt: tensor head.bias contains NaN"):
        load_model(tmp_path / "nan.pt")
    with torch.no_grad():
        m.network.head.bias[0] = float("inf")
    with pytest.raises(FormatError, match="NaN or infinite"):
        save_model(m, tmp_path / "inf.pt")
    assert not (tmp_path / "inf.pt").exists()


def test_bytes_round_trip_equals_file_round_trip():
    m = new_model(TINY_ARCH, seed=5)
    assert state_from_bytes(state_to_bytes(m)).lineage == m.lineage
