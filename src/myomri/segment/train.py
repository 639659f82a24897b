"""Training recipe of the per-muscle network: data from image/mask pairs, augmentation, loss, loop.

* Data: every volume is cut into one-leg tiles by :func:`myomri.segment.tiling.prepare_volume`;
  label maps are reduced to side-free muscle indices (0..12). Cases whose label set lacks the
  adductor longus (the Huashan IDEAL maps) are flagged: for them the loss merges the AL and
  background outputs (the marginal likelihood of "background or AL"), so unlabelled AL is neither
  taught as background nor as AL.
* Augmentation (seeded, on the fly, in torch on whole batches): rotation, scaling, shift, a smooth
  elastic displacement, gamma, a smooth multiplicative bias field, Gaussian noise and contrast
  inversion inside the body.
* Loss: cross-entropy + soft Dice over the muscles; AdamW with a cosine learning-rate schedule.
* Deterministic: one seed drives initialisation, shuffling and augmentation; CPU threads are fixed.
"""

from __future__ import annotations

import time

import numpy as np

from ..config import segment_dl as cfg
from ..errors import InputError

__all__ = ["TileSet", "load_cases", "augment_batch", "segmentation_loss", "train_model", "predict_tiles",
           "read_case_list", "dice_per_muscle", "warp_labels"]  # fmt: skip


class TileSet:
    """Tiles (n, T, T) float32, muscle-index tiles (n, T, T) int64, per-tile 'AL unlabelled' flags."""

    def __init__(self, tiles, labels, al_unlabelled=None):
        self.tiles = np.asarray(tiles, dtype=np.float32)
        self.labels = np.asarray(labels, dtype=np.int64)
        if self.tiles.shape != self.labels.shape or self.tiles.ndim != 3:
            raise InputError(f"tiles {self.tiles.shape} and labels {self.labels.shape}: expected equal (n, T, T)")
        n = len(self.tiles)
        self.al_unlabelled = np.zeros(n, bool) if al_unlabelled is None else np.asarray(al_unlabelled, bool)

    def __len__(self) -> int:
        return len(self.tiles)

    @classmethod
    def concat(cls, sets) -> TileSet:
        sets = list(sets)
        return cls(np.concatenate([s.tiles for s in sets]), np.concatenate([s.labels for s in sets]),
                   np.concatenate([s.al_unlabelled for s in sets]))  # fmt: skip


def load_cases(cases, *, tile: int | None = None, pixel_mm: float | None = None, progress: bool = True) -> TileSet:
    """Read ``cases`` = iterable of (image_path, mask_path, scheme, contrast) into a :class:`TileSet`.

    ``scheme`` is ``'myomri'`` (labels 1..24) or ``'huashan'`` (11 labels, no AL: flagged).
    Images and masks must share a grid; tiles without any muscle are kept (they teach background).
    ``tile``/``pixel_mm`` default to the config (pass a model's ``preprocess`` values to match it).
    """
    from tqdm import tqdm

    from ..io.read import read_image, read_mask
    from ..preprocess.geometry import check_same_grid
    from .tiling import muscle_indices, prepare_volume

    out = []
    for img_path, mask_path, scheme, contrast in tqdm(list(cases), desc="cases", disable=not progress):
        image = read_image(img_path)
        mask = read_mask(mask_path)
        check_same_grid(mask, image)  # names: ("mask", "image")
        try:
            indices = muscle_indices(mask.array, scheme=scheme)
        except InputError as exc:
            raise InputError(f"{mask_path}: {exc}") from None
        tiles, lab, _ = prepare_volume(image, contrast=contrast, labels=indices,
                                       tile=tile, pixel_mm=pixel_mm)  # fmt: skip
        out.append(TileSet(tiles, lab, np.full(len(tiles), scheme == "huashan")))
    if not out:
        raise InputError("no training cases given; expected at least one image/mask pair")
    return TileSet.concat(out)


def _smooth_noise(torch, gen, n, ch, grid, size):
    import torch.nn.functional as F

    z = torch.rand((n, ch, grid, grid), generator=gen) * 2 - 1
    return F.interpolate(z, size=(size, size), mode="bicubic", align_corners=True)


def _random_grid(n: int, t: int, gen, p: dict):
    """Sampling grids (n, t, t, 2) of a random rotation, scale, shift and smooth elastic displacement."""
    import math

    import torch
    import torch.nn.functional as F

    def uni(lo, hi, shape=(n,)):
        return lo + (hi - lo) * torch.rand(shape, generator=gen)

    ang = uni(-1, 1) * math.radians(p["rotation_deg"])
    sc = uni(*p["scale"])
    shift = uni(-1, 1, (n, 2)) * p["shift_px"] * 2 / t
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = torch.cos(ang) / sc
    theta[:, 0, 1] = -torch.sin(ang) / sc
    theta[:, 1, 0] = torch.sin(ang) / sc
    theta[:, 1, 1] = torch.cos(ang) / sc
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, [n, 1, t, t], align_corners=False)
    disp = _smooth_noise(torch, gen, n, 2, p["elastic_grid"], t) * (p["elastic_px"] * 2 / t)
    return grid + disp.permute(0, 2, 3, 1)


def warp_labels(stack, gen, params: dict | None = None):
    """Warp integer maps (N, C, T, T) (e.g. tissues and targets) by one random grid per tile (nearest)."""
    import torch.nn.functional as F

    p = dict(cfg.AUGMENT, **(params or {}))
    n, _, t, _ = stack.shape
    grid = _random_grid(n, t, gen, p)
    out = F.grid_sample(stack.float(), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    return out.round().long()


def augment_batch(x, y, gen, params: dict | None = None):
    """Augment images ``x`` (N, 1, T, T) and labels ``y`` (N, T, T) with the seeded ``gen``."""
    import math

    import torch
    import torch.nn.functional as F

    p = dict(cfg.AUGMENT, **(params or {}))
    n, _, t, _ = x.shape

    def uni(lo, hi, shape=(n,)):
        return lo + (hi - lo) * torch.rand(shape, generator=gen)

    grid = _random_grid(n, t, gen, p)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    y = F.grid_sample(y[:, None].float(), grid, mode="nearest", padding_mode="zeros", align_corners=False)
    y = y[:, 0].round().long()
    body = x > cfg.FOREGROUND_FRACTION
    inv = (torch.rand(n, generator=gen) < p["invert_prob"]).view(n, 1, 1, 1)
    x = torch.where(inv & body, (1.0 - x).clamp(min=0) + 0.1, torch.where(inv, torch.zeros_like(x), x))
    gamma = torch.exp(uni(math.log(p["gamma"][0]), math.log(p["gamma"][1]))).view(n, 1, 1, 1)
    x = (x.clamp(min=0) / 2.0) ** gamma * 2.0
    x = x * (1 + p["bias_amplitude"] * _smooth_noise(torch, gen, n, 1, 3, t))
    sd = uni(*p["noise_sd"]).view(n, 1, 1, 1)
    x = x + sd * torch.randn(x.shape, generator=gen)
    return x.clamp(0, cfg.CLIP_MAX), y


def segmentation_loss(logits, y, al_unlabelled, *, dice_weight: float = 1.0):
    """Cross-entropy + soft Dice; for tiles flagged ``al_unlabelled`` the last (AL) output is merged
    into background and left out of the Dice."""
    import torch
    import torch.nn.functional as F

    n, c = logits.shape[:2]
    logp = F.log_softmax(logits, dim=1)
    m = al_unlabelled.view(n, 1, 1).bool()
    bg = torch.where(m, torch.logsumexp(logp[:, [0, c - 1]], dim=1), logp[:, 0])
    logp_m = torch.cat([bg[:, None], logp[:, 1:]], dim=1)
    ce = F.nll_loss(logp_m, y)
    prob = logp.exp()
    onehot = F.one_hot(y, c).permute(0, 3, 1, 2).float()
    w = torch.ones(n, c)
    w[al_unlabelled.bool(), c - 1] = 0.0
    inter = (prob * onehot).sum(dim=(2, 3))
    denom = (prob + onehot).sum(dim=(2, 3))
    dice = (2 * (w * inter).sum(0) + 1.0) / ((w * denom).sum(0) + 1.0)
    return ce + dice_weight * (1 - dice[1:].mean())


def _schedule(lr: float, step_fraction: float, time_fraction: float) -> float:
    """Linear warm-up over the first 5 %, then cosine decay; progress is the larger of the step and
    the time-budget fractions, so a run cut short by its time budget still ends annealed."""
    import math

    f = min(1.0, max(step_fraction, time_fraction))
    if f < 0.05:
        return lr * (0.1 + 0.9 * f / 0.05)
    return lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * (f - 0.05) / 0.95)))


def train_model(data: TileSet, *, model=None, epochs: int | None = None, batch_size: int | None = None,
                learning_rate: float | None = None, seed: int | None = None, augment: bool = True,
                max_seconds: float | None = None, n_threads: int = cfg.N_THREADS, log=None):  # fmt: skip
    """Train (or continue training) a :class:`~myomri.segment.model_io.SegmentationModel` on ``data``.

    Returns the model (the same object when ``model`` is given) with a record appended to its
    ``history``. ``max_seconds`` stops early after the epoch that crosses it (logged).
    """
    import torch

    from .model_io import new_model

    t = cfg.TRAIN
    epochs = t["epochs"] if epochs is None else epochs
    batch_size = t["batch_size"] if batch_size is None else batch_size
    lr = t["learning_rate"] if learning_rate is None else learning_rate
    seed = t["seed"] if seed is None else seed
    if len(data) == 0 or epochs < 1 or batch_size < 1:
        raise InputError(f"training needs tiles, epochs >= 1 and batch size >= 1; got {len(data)} tiles, "
                         f"{epochs} epochs, batch {batch_size}")  # fmt: skip
    torch.set_num_threads(n_threads)
    torch.manual_seed(seed)
    model = model or new_model(seed=seed)
    parent = model.lineage
    net = model.network
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=t["weight_decay"])
    steps = epochs * int(np.ceil(len(data) / batch_size))
    step = 0
    x_all = torch.from_numpy(data.tiles)[:, None]
    y_all = torch.from_numpy(data.labels)
    flag = torch.from_numpy(data.al_unlabelled)
    start, done = time.perf_counter(), 0
    net.train()
    for ep in range(epochs):
        order = torch.randperm(len(data), generator=gen)
        total = 0.0
        for b in range(0, len(data), batch_size):
            idx = order[b : b + batch_size]
            x, y = x_all[idx], y_all[idx]
            if augment:
                x, y = augment_batch(x, y, gen)
            loss = segmentation_loss(net(x), y, flag[idx], dice_weight=t["dice_weight"])
            opt.zero_grad()
            loss.backward()
            for group in opt.param_groups:
                group["lr"] = _schedule(lr, step / steps, (time.perf_counter() - start) / max_seconds
                                        if max_seconds else 0.0)  # fmt: skip
            opt.step()
            step += 1
            total += float(loss.detach()) * len(idx)
        done = ep + 1
        if log:
            log(f"epoch {done}/{epochs} loss {total / len(data):.4f} ({time.perf_counter() - start:.0f} s)")
        if max_seconds is not None and time.perf_counter() - start > 0.97 * max_seconds:
            if log and done < epochs:
                log(f"stopping after epoch {done}: time budget {max_seconds:.0f} s reached")
            break
    net.eval()
    model.parent = parent
    model.history.append({"step": "train", "tiles": len(data), "epochs": done, "batch_size": batch_size,
                          "learning_rate": lr, "seed": seed, "augment": augment, "parent": parent})  # fmt: skip
    return model


def resolve_device(name: str):
    """The ``torch.device`` for ``name`` (one of :data:`myomri.config.segment_dl.DEVICES`).

    Raises
    ------
    InputError
        An unknown name, or ``cuda`` where torch sees no CUDA device (a CPU build or no GPU).
    """
    import torch

    from ..config.segment_dl import DEVICES

    if name not in DEVICES:
        raise InputError(f"device {name!r} is unknown; expected one of {DEVICES}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device 'cuda': torch {torch.__version__} sees no CUDA device here "
                         "(a CPU build, or no GPU); use --device cpu or auto")  # fmt: skip
    return torch.device(name)


def predict_tiles(network, tiles, *, batch_size: int = 16):
    """Softmax probabilities (n, C, T, T) float32 of ``tiles`` (n, T, T)."""
    import torch

    network.eval()
    # a network training on a GPU is validated there; one without parameters runs on the CPU
    dev = next((p.device for p in network.parameters()), torch.device("cpu"))
    out = []
    with torch.inference_mode():
        for b in range(0, len(tiles), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(tiles[b : b + batch_size], dtype=np.float32))[:, None]
            out.append(torch.softmax(network(x.to(dev)), dim=1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0,), np.float32)


def dice_per_muscle(pred, truth, *, muscles=None) -> dict[str, float]:
    """Dice per muscle of two side-free muscle-index maps (0..12); NaN where both are empty."""
    from ..config.labels import MUSCLES

    pred, truth = np.asarray(pred), np.asarray(truth)
    out = {}
    for i, m in enumerate(MUSCLES, start=1):
        if muscles is not None and m not in muscles:
            continue
        a, b = pred == i, truth == i
        s = int(a.sum()) + int(b.sum())
        out[m] = float(2 * np.logical_and(a, b).sum() / s) if s else float("nan")
    return out


def read_case_list(path) -> list[tuple[str, str, str, str]]:
    """Cases from a tab-separated file with a header: ``image``, ``mask`` and optional ``scheme``
    (``myomri``/``huashan``) and ``contrast`` columns; relative paths are relative to the file.

    Raises
    ------
    ConfigError
        Missing columns, unknown scheme/contrast or missing files (all problems at once).
    """
    from pathlib import Path

    from ..errors import ConfigError, MissingFileError

    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "case list")
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise ConfigError(["empty case list; expected a header 'image<TAB>mask[<TAB>scheme<TAB>contrast]'"], path)
    head = [h.strip().lower() for h in lines[0].split("\t")]
    problems = [f"header lacks column {c!r}" for c in ("image", "mask") if c not in head]
    if problems:
        raise ConfigError(problems, path)
    cases = []
    for n, ln in enumerate(lines[1:], 2):
        row = dict(zip(head, (v.strip() for v in ln.split("\t")), strict=False))
        img, msk = (path.parent / row.get(k, "") for k in ("image", "mask"))
        scheme, contrast = row.get("scheme") or "myomri", row.get("contrast") or "water"
        for p in (img, msk):
            if not p.exists():
                problems.append(f"line {n}: file not found: {p}")
        if scheme not in ("myomri", "huashan"):
            problems.append(f"line {n}: scheme {scheme!r}; expected 'myomri' or 'huashan'")
        if contrast not in cfg.CONTRASTS:
            problems.append(f"line {n}: contrast {contrast!r}; expected one of {cfg.CONTRASTS}")
        cases.append((str(img), str(msk), scheme, contrast))
    if not cases:
        problems.append("no cases listed below the header")
    if problems:
        raise ConfigError(problems, path)
    return cases
