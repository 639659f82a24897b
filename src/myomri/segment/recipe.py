"""The training recipe of the contrast-agnostic per-muscle network: three sources, one loop.

Sources (mixed in every batch, shares in :data:`myomri.config.segment_synth.MIX`):

* ``synthetic``: tissue tiles from real label maps (:func:`myomri.segment.tissues.label_map_tiles`),
  warped (affine + elastic) and given new random intensities at every draw
  (:func:`myomri.segment.synth.synthesize`). The maps have no adductor longus, so their tiles are
  flagged: the partial-label loss merges the AL and background outputs for them.
* ``real``: tiles of real images with their label maps (e.g. the Huashan IDEAL water and fat images,
  each given alone), with the intensity and spatial augmentation of ``segment.train``.
* ``demo``: tiles of the demo phantoms (12 labels with the AL), same augmentation.

The loop runs a fixed number of steps (or a time budget), writes a checkpoint (model, optimiser,
random state, step) atomically every ``checkpoint_every`` steps and can resume from it; it logs the
loss and, when a validation set is given, its mean per-muscle Dice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import segment_dl as cfg
from ..config import segment_synth as scfg
from ..errors import FormatError, InputError

__all__ = ["SyntheticSet", "Sources", "synthetic_from_maps", "demo_tiles", "train_mixed", "validation_dice",
           "CHECKPOINT_FORMAT"]  # fmt: skip

CHECKPOINT_FORMAT = "myomri-segment-checkpoint"


@dataclass
class SyntheticSet:
    """Tissue tiles (n, T, T) uint8 and their muscle-index targets (n, T, T) int64."""

    tissues: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.tissues)


@dataclass
class Sources:
    """The training sources; any may be empty (``None``)."""

    synthetic: SyntheticSet | None = None
    real: Any = None  # train.TileSet or None
    demo: Any = None  # train.TileSet or None
    names: list = field(default_factory=list)

    def shares(self) -> dict[str, float]:
        present = {k: v for k, v in scfg.MIX.items() if getattr(self, k) is not None and len(getattr(self, k))}
        if not present:
            raise InputError("no training data: give label maps, image/mask cases or demo subjects")
        total = sum(present.values())
        return {k: v / total for k, v in present.items()}


def synthetic_from_maps(paths, *, tile: int, pixel_mm: float, seed: int, scheme: str = "huashan",
                        variants: int = scfg.VARIANTS, progress: bool = False) -> SyntheticSet:  # fmt: skip
    """Tissue tiles of every label map in ``paths`` (seeded, deterministic)."""
    from tqdm import tqdm

    from ..io.read import read_mask
    from .tissues import label_map_tiles

    rng = np.random.default_rng(seed)
    tis, tgt = [], []
    for p in tqdm(list(paths), desc="label maps", disable=not progress):
        t, y = label_map_tiles(read_mask(p), scheme=scheme, tile=tile, pixel_mm=pixel_mm, rng=rng, variants=variants)
        tis.append(t)
        tgt.append(y)
    if not tis:
        raise InputError("no label maps given; expected at least one")
    return SyntheticSet(np.concatenate(tis), np.concatenate(tgt))


def demo_tiles(n_subjects: int, *, seed: int, tile: int, pixel_mm: float, workdir: Path):
    """Water and fat tiles of ``n_subjects`` demo phantoms (generated into ``workdir``)."""
    from ..config.demo import DemoConfig
    from ..demo.cohort import generate_cohort
    from .train import load_cases

    groups = ("HC", "PM", "DM", "ADM", "nonIIM")
    comp = {g: n_subjects // len(groups) + (i < n_subjects % len(groups)) for i, g in enumerate(groups)}
    out = Path(workdir) / f"demo_seed{seed}"
    if not (out / "manifest.csv").is_file():
        generate_cohort(out, config=DemoConfig(seed=seed, composition=comp).validate(), progress=False,
                        overwrite=True)  # fmt: skip
    cases = []
    for sub in sorted(p for p in out.glob("sub-*") if p.is_dir()):
        for kind in ("water", "fat"):
            cases.append((str(sub / "dixon" / f"{sub.name}_{kind}.nii.gz"),
                          str(sub / "seg" / f"{sub.name}_dseg.nii.gz"), "myomri", "water"))  # fmt: skip
    return load_cases(cases, tile=tile, pixel_mm=pixel_mm, progress=False)


def _counts(shares: dict[str, float], batch: int) -> dict[str, int]:
    """Tiles per source in a batch: largest remainders, so the counts sum to ``batch``."""
    counts = {k: int(np.floor(v * batch)) for k, v in shares.items()}
    for k in sorted(shares, key=lambda k: -(shares[k] * batch - counts[k]))[: batch - sum(counts.values())]:
        counts[k] += 1
    return counts


def _draw(sources: Sources, counts: dict[str, int], gen):
    """One training batch (x, y, al_unlabelled) from every source's share."""
    import torch

    from .synth import synthesize
    from .train import augment_batch, warp_labels

    xs, ys, fs = [], [], []
    for name, k in counts.items():
        if k == 0:
            continue
        src = getattr(sources, name)
        idx = torch.randint(0, len(src), (k,), generator=gen).numpy()
        if name == "synthetic":
            stack = torch.from_numpy(np.stack([src.tissues[idx], src.targets[idx]], axis=1).astype(np.int64))
            stack = warp_labels(stack, gen)
            xs.append(synthesize(stack[:, 0], gen))
            ys.append(stack[:, 1])
            fs.append(torch.ones(k, dtype=torch.bool))
        else:
            x, y = augment_batch(torch.from_numpy(src.tiles[idx])[:, None], torch.from_numpy(src.labels[idx]), gen)
            xs.append(x)
            ys.append(y)
            fs.append(torch.from_numpy(src.al_unlabelled[idx]))
    return torch.cat(xs), torch.cat(ys), torch.cat(fs)


def validation_dice(model, data) -> float:
    """Mean per-muscle Dice of ``model`` on a TileSet (AL left out where the set does not label it)."""
    from .train import dice_per_muscle, predict_tiles

    pred = np.argmax(predict_tiles(model.network, data.tiles), axis=1)
    muscles = [m for m in model.labels if m != "AL" or not data.al_unlabelled.any()]
    per = dice_per_muscle(pred, data.labels, muscles=muscles)
    vals = [v for v in per.values() if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def _save_checkpoint(path: Path, model, opt, gen, step: int, meta: dict) -> None:
    import torch

    from ..io.atomic import atomic_path
    from .model_io import _payload

    with atomic_path(path) as tmp:
        torch.save({"format": CHECKPOINT_FORMAT, "model": _payload(model), "optimizer": opt.state_dict(),
                    "generator": gen.get_state(), "step": step, "meta": meta}, tmp)  # fmt: skip


def _load_checkpoint(path: Path):
    import torch

    from .model_io import _parse

    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a damaged file
        raise FormatError(path, f"a myomri training checkpoint (unreadable: {type(exc).__name__})") from None
    if not isinstance(obj, dict) or obj.get("format") != CHECKPOINT_FORMAT:
        raise FormatError(path, "a myomri training checkpoint (written by segment.recipe.train_mixed)")
    return obj, _parse(obj["model"], str(path))


def train_mixed(model, sources: Sources, *, steps: int, batch_size: int = cfg.TRAIN["batch_size"],
                learning_rate: float = cfg.TRAIN["learning_rate"], seed: int = 0, max_seconds: float | None = None,
                checkpoint: Path | None = None, checkpoint_every: int = 200, resume: bool = False,
                validation=None, eval_every: int = 500, n_threads: int = cfg.N_THREADS, log=None,
                device: str = cfg.DEVICE):  # fmt: skip
    """Train ``model`` on the mixed ``sources`` for ``steps`` steps; returns the model (on the CPU).

    With ``resume`` and an existing ``checkpoint`` the model, optimiser, random state and step
    are restored from it first (the sources must be rebuilt identically: same inputs and seed).
    ``device`` (``cpu``, ``cuda``, ``auto``) is where the network runs; batches are drawn on the
    CPU either way, so every device sees the same data (GPU arithmetic may still differ in the
    last bits, so weights are reproducible per device).
    """
    import torch

    from .train import _schedule, resolve_device, segmentation_loss

    if steps < 1 or batch_size < 1:
        raise InputError(f"training needs steps >= 1 and batch size >= 1; got {steps}, {batch_size}")
    dev = resolve_device(device)
    torch.set_num_threads(n_threads)
    counts = _counts(sources.shares(), batch_size)
    gen = torch.Generator().manual_seed(seed)
    model.network.to(dev)
    opt = torch.optim.AdamW(model.network.parameters(), lr=learning_rate, weight_decay=cfg.TRAIN["weight_decay"])
    step = 0
    if resume and checkpoint is not None and Path(checkpoint).is_file():
        obj, model = _load_checkpoint(Path(checkpoint))
        model.network.to(dev)  # before the optimiser, whose state then follows the parameters there
        opt = torch.optim.AdamW(model.network.parameters(), lr=learning_rate,
                                weight_decay=cfg.TRAIN["weight_decay"])  # fmt: skip
        opt.load_state_dict(obj["optimizer"])
        gen.set_state(obj["generator"])
        step = int(obj["step"])
        if log:
            log(f"resumed from {checkpoint} at step {step}")
    parent, net, start, run = model.lineage, model.network, time.perf_counter(), 0.0
    net.train()
    while step < steps:
        x, y, flag = (t.to(dev) for t in _draw(sources, counts, gen))
        loss = segmentation_loss(net(x), y, flag, dice_weight=cfg.TRAIN["dice_weight"])
        opt.zero_grad()
        loss.backward()
        elapsed = time.perf_counter() - start
        for group in opt.param_groups:
            group["lr"] = _schedule(learning_rate, step / steps, elapsed / max_seconds if max_seconds else 0.0)
        opt.step()
        step += 1
        run = 0.98 * run + 0.02 * float(loss.detach()) if step > 1 else float(loss.detach())
        last = step == steps or (max_seconds is not None and elapsed > max_seconds)
        if log and (step % 50 == 0 or last):
            log(f"step {step}/{steps} loss {run:.4f} ({elapsed:.0f} s)")
        if validation is not None and (step % eval_every == 0 or last):
            net.eval()
            dice = validation_dice(model, validation)
            net.train()
            if log:
                log(f"step {step}: validation mean per-muscle Dice {dice:.3f}")
        if checkpoint is not None and (step % checkpoint_every == 0 or last):
            _save_checkpoint(Path(checkpoint), model, opt, gen, step, {"seed": seed, "sources": sources.names})
        if last:
            break
    net.eval()
    net.to("cpu")  # saved, scored and run for inference on the CPU
    model.parent = parent
    model.history.append({"step": "train_mixed", "steps": step, "batch_size": batch_size, "learning_rate": learning_rate,
                          "seed": seed, "batch_shares": counts, "sources": list(sources.names),
                          "device": dev.type})  # fmt: skip
    return model
