"""Synthetic MR-like images drawn on the fly from tissue tiles (SynthSeg's generative model).

For every tile of a batch (Billot et al., MedIA 2023, adapted to thigh MRI):

1. a mean intensity per tissue: with probability ``random_prob`` every tissue independently
   uniform in [0, 1] (SynthSeg: forces the network to use shape, not contrast); otherwise an
   MR-like draw: one muscle mean and one fat mean at least 0.15 apart in either order (water,
   STIR and fat-suppressed images: fat dark; fat, T1 and T2-weighted images: fat bright), each
   muscle near the muscle mean with some fatty-infiltrated or oedematous muscles, marrow near fat,
   cortex dark, skin and vessels anywhere;
2. Gaussian texture per tissue, a Gaussian blur (partial volume), and with probability
   ``lowres_prob`` a lower acquired resolution (down- then up-sampling);
3. boundaries between tissues blended towards fat or towards black (fascia; the dark
   chemical-shift lines of out-of-phase gradient echo);
4. a smooth multiplicative bias field, a gamma, Rician noise;
5. the normalisation of inference (``segment.tiling.normalise_intensity``: the body's 99th
   percentile -> 1, clip to [0, 2]) and a random global scale.

All draws come from one seeded ``torch.Generator``; the function is pure otherwise.
"""

from __future__ import annotations

import math

from ..config import segment_dl as cfg
from ..config import segment_synth as scfg

__all__ = ["synthesize", "tissue_means"]

_T = scfg.TISSUES


def _uni(torch, gen, *bounds_and_shape):
    lo, hi, shape = bounds_and_shape
    return lo + (hi - lo) * torch.rand(shape, generator=gen)


def tissue_means(n: int, gen, params: dict | None = None):
    """(n, N_TISSUES) mean intensity per tissue for ``n`` tiles (see the module docstring)."""
    import torch

    p = dict(scfg.SYNTH, **(params or {}))
    k = scfg.N_TISSUES
    rand = _uni(torch, gen, 0.0, 1.0, (n, k))
    muscle = _uni(torch, gen, 0.1, 0.9, (n,))
    gap = _uni(torch, gen, 0.15, 0.8, (n,))
    fat_bright = torch.rand(n, generator=gen) < 0.5
    fat = torch.where(fat_bright, muscle + gap, muscle - gap).clamp(0.02, 1.2)
    real = torch.zeros(n, k)
    nm = scfg.FIRST_EXTRA - 1  # muscle codes 1..12
    real[:, 1 : scfg.FIRST_EXTRA] = muscle[:, None] + p["muscle_sd"] * torch.randn((n, nm), generator=gen)
    infil = torch.rand((n, nm), generator=gen) < p["infiltrated_prob"]
    share = _uni(torch, gen, 0.2, 0.8, (n, nm))
    real[:, 1 : scfg.FIRST_EXTRA] += infil * share * (fat - muscle)[:, None]
    oedema = torch.rand((n, nm), generator=gen) < p["oedema_prob"]
    real[:, 1 : scfg.FIRST_EXTRA] += oedema * _uni(torch, gen, 0.1, 0.4, (n, nm))
    real[:, _T["unlabelled_muscle"]] = muscle + p["muscle_sd"] * torch.randn(n, generator=gen)
    real[:, _T["intermuscular_fat"]] = fat * _uni(torch, gen, 0.7, 1.05, (n,))
    real[:, _T["subcutaneous_fat"]] = fat * _uni(torch, gen, 0.9, 1.1, (n,))
    real[:, _T["marrow"]] = fat * _uni(torch, gen, 0.6, 1.1, (n,))
    real[:, _T["cortex"]] = _uni(torch, gen, 0.0, 0.1, (n,))
    real[:, _T["skin"]] = _uni(torch, gen, 0.2, 0.9, (n,))
    real[:, _T["vessel"]] = _uni(torch, gen, 0.0, 1.0, (n,))
    use_rand = (torch.rand(n, generator=gen) < p["random_prob"])[:, None]
    means = torch.where(use_rand, rand, real).clamp(min=0.0)
    means[:, 0] = _uni(torch, gen, 0.0, 0.03, (n,))  # air is dark in every MR contrast
    return means


def _blur(torch, x, sigma):
    """Gaussian blur of (N, 1, T, T) with a per-tile sigma (N,) in pixels (separable, 7 taps)."""
    import torch.nn.functional as F

    r = 3
    taps = torch.arange(-r, r + 1, dtype=x.dtype)
    w = torch.exp(-0.5 * (taps[None] / sigma.clamp(min=1e-3)[:, None]) ** 2)
    w = w / w.sum(1, keepdim=True)
    n = x.shape[0]
    y = F.conv2d(x.transpose(0, 1), w.view(n, 1, 1, -1), padding=(0, r), groups=n)
    y = F.conv2d(y, w.view(n, 1, -1, 1), padding=(r, 0), groups=n)
    return y.transpose(0, 1)


def _boundaries(torch, tissues):
    """(N, 1, T, T) bool: pixels with a different tissue among their 4-neighbours."""
    import torch.nn.functional as F

    t = tissues[:, None].float()
    hi = F.max_pool2d(t, 3, stride=1, padding=1)
    lo = -F.max_pool2d(-t, 3, stride=1, padding=1)
    return hi != lo


def _normalise(torch, x):
    """Per-tile version of ``normalise_intensity`` (body's 99th percentile -> 1, clip [0, CLIP_MAX])."""
    n = x.shape[0]
    flat = x.reshape(n, -1)
    p995 = torch.quantile(flat, 0.995, dim=1, keepdim=True)
    body = flat > cfg.FOREGROUND_FRACTION * p995
    masked = torch.where(body, flat, torch.full_like(flat, float("nan")))
    ref = torch.nanquantile(masked, cfg.PERCENTILE / 100.0, dim=1, keepdim=True)
    ref = torch.where(torch.isfinite(ref), ref, flat.max(1, keepdim=True).values).clamp(min=1e-6)
    return (flat / ref).clamp(0, cfg.CLIP_MAX).reshape(x.shape)


def synthesize(tissues, gen, params: dict | None = None):
    """Images (N, 1, T, T) float32 from tissue tiles (N, T, T) long, drawn with ``gen``."""
    import torch
    import torch.nn.functional as F

    p = dict(scfg.SYNTH, **(params or {}))
    n, t = tissues.shape[0], tissues.shape[-1]
    means = tissue_means(n, gen, p)
    sd = _uni(torch, gen, *p["texture_sd"], (n, scfg.N_TISSUES))
    idx = tissues.long().clamp(0, scfg.N_TISSUES - 1)
    mu = torch.gather(means, 1, idx.view(n, -1)).view(n, 1, t, t)
    tex = torch.gather(sd, 1, idx.view(n, -1)).view(n, 1, t, t)
    x = mu + tex * torch.randn((n, 1, t, t), generator=gen)
    edge = _boundaries(torch, idx) & (idx[:, None] > 0)
    target = torch.where(torch.rand(n, generator=gen) < 0.5, means[:, _T["subcutaneous_fat"]], torch.zeros(n))
    w = _uni(torch, gen, *p["fascia_weight"], (n,)).view(n, 1, 1, 1)
    x = torch.where(edge, (1 - w) * x + w * target.view(n, 1, 1, 1), x)
    x = _blur(torch, x, _uni(torch, gen, *p["blur_px"], (n,)))
    low = torch.rand(n, generator=gen) < p["lowres_prob"]
    if bool(low.any()):
        f = float(_uni(torch, gen, *p["lowres_factor"], (1,)))
        size = max(8, int(round(t / f)))
        small = F.interpolate(x[low], size=(size, size), mode="area")
        x[low] = F.interpolate(small, size=(t, t), mode="bilinear", align_corners=False)
    z = torch.rand((n, 1, 3, 3), generator=gen) * 2 - 1
    bias = F.interpolate(z, size=(t, t), mode="bicubic", align_corners=True)
    x = x.clamp(min=0) * torch.exp(p["bias_amplitude"] * bias)
    gamma = torch.exp(_uni(torch, gen, math.log(p["gamma"][0]), math.log(p["gamma"][1]), (n,))).view(n, 1, 1, 1)
    peak = x.amax(dim=(2, 3), keepdim=True).clamp(min=1e-6)
    x = (x / peak) ** gamma * peak
    sigma = _uni(torch, gen, *p["noise_sd"], (n,)).view(n, 1, 1, 1) * peak
    x = torch.sqrt((x + sigma * torch.randn(x.shape, generator=gen)) ** 2
                   + (sigma * torch.randn(x.shape, generator=gen)) ** 2)  # fmt: skip
    x = _normalise(torch, x) * _uni(torch, gen, *p["scale"], (n,)).view(n, 1, 1, 1)
    return x.clamp(0, cfg.CLIP_MAX).float()
