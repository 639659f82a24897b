"""Model files of the deep-learning segmenter: save, load and validate.

A model file is one ``torch.save`` dict (read back with ``weights_only=True``, so loading a file
never runs code) holding:

``format``/``version``
    ``"myomri-segment-model"`` and :data:`myomri.config.segment_dl.MODEL_FORMAT_VERSION`.
``arch``
    The network spec (see :func:`myomri.segment.network.build_network`).
``labels``
    The muscle abbreviations of output channels 1..n (channel 0 is background).
``preprocess``
    Pixel size, tile size, normalisation percentile/clip and the contrast it was trained on.
``lineage``
    Content id of the weights (SHA-256 of the tensors, 16 hex digits): two files with the same
    weights have the same id, and a refined or federated model records its ``parent`` id, so the
    federated server knows which version a site started from.
``state_dict``, ``history``
    The weights and a list of JSON-able records of how the model came about.

Loading checks every tensor against the architecture (names, shapes, finite values) and raises
``FormatError`` naming the file for another architecture, a truncated or corrupted file or NaN.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import segment_dl as cfg
from ..config.labels import MUSCLES
from ..errors import FormatError, MissingFileError
from ..io.atomic import atomic_path

__all__ = [
    "SegmentationModel", "default_preprocess", "weights_id", "check_state_dict", "save_model", "load_model",
    "state_to_bytes", "state_from_bytes", "new_model",
]  # fmt: skip

FORMAT = "myomri-segment-model"


def default_preprocess(contrast: str = "water") -> dict:
    """The preprocessing settings stored with a model (from the config)."""
    return {"pixel_mm": cfg.PIXEL_MM, "tile": cfg.TILE, "percentile": cfg.PERCENTILE, "clip_max": cfg.CLIP_MAX,
            "contrast": contrast}  # fmt: skip


@dataclass
class SegmentationModel:
    """A network with everything needed to use, refine or merge it."""

    network: Any  # torch.nn.Module (torch is imported lazily)
    arch: dict
    labels: tuple[str, ...] = MUSCLES
    preprocess: dict = field(default_factory=default_preprocess)
    parent: str | None = None
    history: list = field(default_factory=list)

    @property
    def lineage(self) -> str:
        """Content id of the current weights."""
        return weights_id(self.network.state_dict())


def new_model(arch: dict | None = None, *, seed: int = 0, contrast: str = "water") -> SegmentationModel:
    """A freshly initialised model (seeded) with the default or given architecture."""
    import torch

    from .network import build_network

    arch = dict(arch or cfg.NETWORK)
    torch.manual_seed(seed)
    net = build_network(arch)
    return SegmentationModel(net, arch, MUSCLES[: arch["n_classes"] - 1], default_preprocess(contrast))


def weights_id(state_dict) -> str:
    """SHA-256 (first 16 hex digits) of the tensors' names, shapes and float32 bytes."""
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().to("cpu").float().contiguous()
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def check_state_dict(state_dict, arch: dict, *, source: str = "model") -> None:
    """Raise ``FormatError`` unless ``state_dict`` fits ``arch`` exactly and is finite."""
    import torch

    from .network import build_network

    try:
        ref = build_network(arch).state_dict()
    except Exception as exc:  # an unknown spec is a format problem of the file that carries it
        raise FormatError(f"{source}: unusable architecture spec {arch!r}: {exc}") from exc
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise FormatError(f"{source}: expected a dict of tensors as weights, found {type(state_dict).__name__}")
    missing = sorted(set(ref) - set(state_dict))
    extra = sorted(set(state_dict) - set(ref))
    if missing or extra:
        raise FormatError(f"{source}: weights do not match architecture {arch.get('arch')}: "
                          f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                          f"unexpected {extra[:3]}{'...' if len(extra) > 3 else ''}")  # fmt: skip
    for name, t in ref.items():
        got = state_dict[name]
        if tuple(got.shape) != tuple(t.shape):
            raise FormatError(f"{source}: tensor {name} has shape {tuple(got.shape)}; the architecture "
                              f"{arch.get('arch')} expects {tuple(t.shape)}")  # fmt: skip
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            raise FormatError(f"{source}: tensor {name} contains NaN or infinite weights")


def _payload(model: SegmentationModel) -> dict:
    from .. import __version__

    return {
        "format": FORMAT,
        "version": cfg.MODEL_FORMAT_VERSION,
        "myomri_version": __version__,
        "arch": dict(model.arch),
        "labels": list(model.labels),
        "preprocess": dict(model.preprocess),
        "lineage": model.lineage,
        "parent": model.parent,
        "history": list(model.history),
        "state_dict": {k: v.detach().to("cpu").clone() for k, v in model.network.state_dict().items()},
    }


def save_model(model: SegmentationModel, path: str | os.PathLike) -> Path:
    """Write ``model`` atomically (a reader never sees a half-written file); returns the path."""
    import torch

    check_state_dict(model.network.state_dict(), model.arch, source="model to save")
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(_payload(model), tmp)
    return path


def _parse(obj, source: str) -> SegmentationModel:
    from .network import build_network

    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise FormatError(f"{source}: not a myomri segmentation model (expected format {FORMAT!r})")
    if obj.get("version") != cfg.MODEL_FORMAT_VERSION:
        raise FormatError(f"{source}: model format version {obj.get('version')!r}; this myomri reads "
                          f"version {cfg.MODEL_FORMAT_VERSION}")  # fmt: skip
    arch = obj.get("arch")
    if not isinstance(arch, dict):
        raise FormatError(f"{source}: model file has no architecture spec")
    check_state_dict(obj.get("state_dict"), arch, source=source)
    try:
        net = build_network(arch)
    except Exception as exc:
        raise FormatError(f"{source}: unusable architecture spec {arch!r}: {exc}") from exc
    net.load_state_dict(obj["state_dict"])
    net.eval()
    labels = tuple(obj.get("labels") or ())
    if len(labels) != arch["n_classes"] - 1:
        raise FormatError(f"{source}: {len(labels)} label names for {arch['n_classes'] - 1} muscle outputs")
    model = SegmentationModel(net, arch, labels, dict(obj.get("preprocess") or default_preprocess()),
                              obj.get("parent"), list(obj.get("history") or []))  # fmt: skip
    return model


def load_model(path: str | os.PathLike) -> SegmentationModel:
    """Read and validate a model file.

    Raises
    ------
    MissingFileError
        No such file.
    FormatError
        Not a model file, truncated/corrupted, another architecture, mismatched shapes or NaN.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "segmentation model")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for truncated/garbled files
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise FormatError(f"{path}: cannot read the segmentation model (corrupted or not a torch file): "
                          f"{type(exc).__name__}: {first}") from exc  # fmt: skip
    return _parse(obj, str(path))


def state_to_bytes(model: SegmentationModel) -> bytes:
    """The whole model file as bytes (for uploads)."""
    import torch

    buf = io.BytesIO()
    torch.save(_payload(model), buf)
    return buf.getvalue()


def state_from_bytes(data: bytes, *, source: str = "upload") -> SegmentationModel:
    """Parse and validate model bytes (see :func:`load_model`)."""
    import torch

    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise FormatError(f"{source}: cannot read the uploaded model (corrupted or not a torch file): "
                          f"{type(exc).__name__}") from exc  # fmt: skip
    return _parse(obj, source)
