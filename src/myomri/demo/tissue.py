"""Planted disease state of one subject and the tissue property maps it implies at any points.

The oedema field ``f`` is a world-space mixture of three patterns whose weights differ between
groups (``config.demo.GroupParams.pattern``): *diffuse* (smooth, whole-muscle), *fascial*
(decaying from the muscle fascia and septa inwards, as in dermatomyositis) and *patchy*
(3-D Gaussian foci in random muscles). Water T2 is ``t2_base + elevation * f / f_norm`` where
``f_norm`` makes ``f`` average 1 over the muscle of the MESE grid, so a subject's planted mean
muscle T2 is ``t2_base + elevation`` (up to the zero-mean texture). Every series (STIR, MESE,
Dixon) renders from the same maps, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.demo import DemoConfig
from ..config.labels import MUSCLES, N_MUSCLES
from .phantom import CORTEX, MARROW, SEPTUM, SKIN, SUBCUT_FAT, Phantom, PhantomSample, SmoothField

__all__ = ["DiseaseState", "TissueMaps", "draw_disease", "oedema_field", "normalise_oedema", "tissue_maps"]


@dataclass
class DiseaseState:
    """Planted effects of one subject (the scalar ones are recorded in ``truth/planted.json``)."""

    group: str
    t2_base: float  # healthy muscle water T2 of this subject (ms)
    elevation: float  # mean oedema T2 elevation over muscle (ms)
    weights: tuple[float, float, float]  # diffuse, fascial, patchy
    fascial_width: float  # mm
    muscle_involvement: np.ndarray  # (24,) multiplier per label
    muscle_offset: np.ndarray  # (24,) healthy T2 offset per label (ms)
    patches: np.ndarray  # (m, 5): x, y, z, sigma_mm, amplitude
    ff_mean: float
    diffuse_field: SmoothField
    ff_field: SmoothField
    texture_field: SmoothField
    texture_sd: float
    fascial_gain: float
    patch_gain: float
    f_norm: float = 1.0

    @property
    def t2_planted(self) -> float:
        """Planted subject mean muscle water T2 (ms)."""
        return self.t2_base + self.elevation


def draw_disease(rng, config: DemoConfig, group: str, phantom: Phantom, *, ars_positive: bool) -> DiseaseState:
    """Draw the planted disease state of a subject of ``group``."""
    gp = config.groups[group]
    # truncated normal by rejection (clipping would pile subjects up at the bound)
    target = rng.normal(gp.t2_mean, gp.t2_sd)
    for _ in range(100):
        if target >= gp.t2_min:
            break
        target = rng.normal(gp.t2_mean, gp.t2_sd)
    target = max(target, gp.t2_min)
    base = min(rng.normal(33.6, 0.5), target - 0.3)
    elevation = target - base
    conc = np.asarray(gp.pattern, dtype=float)
    if ars_positive:  # anti-synthetase: more patchy, heterogeneous involvement (Nagawa et al.)
        conc = conc * np.array([1.0, 1.0, 1.0 + 2 * config.ars_oedema_boost])
    weights = rng.dirichlet(conc)
    # involvement: quadriceps and adductors most often affected, symmetric between legs
    base_inv = rng.lognormal(0.0, 0.45, size=N_MUSCLES)
    for m in ("VL", "VM", "VI", "AM", "AL"):
        base_inv[MUSCLES.index(m)] *= 1.3
    involvement = np.concatenate([base_inv, base_inv * rng.lognormal(0, 0.1, N_MUSCLES)])
    offset = rng.normal(0, 0.6, size=N_MUSCLES)
    offsets = np.concatenate([offset, offset])
    n_patch = rng.poisson(config.patches_mean * (1 + (config.ars_oedema_boost if ars_positive else 0.0)))
    patches = []
    for _ in range(n_patch):
        leg = phantom.legs[rng.integers(2)]
        k = rng.integers(N_MUSCLES)
        rf = 0.5 * (leg.radius_ml + leg.radius_ap) - leg.skin_thickness - leg.fat_thickness
        uv = (leg.seeds[k] + rng.normal(0, 0.5 * leg.weights[k], 2)) * rf
        x = leg.centre[0] + leg.lateral_sign * uv[0]
        y = leg.centre[1] - uv[1]
        patches.append((x, y, rng.uniform(-25, 25), rng.uniform(*config.patch_sigma_mm), rng.lognormal(0, 0.4)))
    ff_mean = float(np.clip(rng.normal(*gp.ff), 0.01, 0.4))
    return DiseaseState(
        group=group,
        t2_base=float(base),
        elevation=float(elevation),
        weights=(float(weights[0]), float(weights[1]), float(weights[2])),
        fascial_width=float(rng.uniform(*config.fascial_width_mm)),
        muscle_involvement=involvement,
        muscle_offset=offsets,
        patches=np.asarray(patches, dtype=float).reshape(-1, 5),
        ff_mean=ff_mean,
        diffuse_field=SmoothField.random(rng, n_modes=5, wavelength=(30, 100), sd=0.35),
        ff_field=SmoothField.random(rng, n_modes=5, wavelength=(20, 80), sd=0.4),
        texture_field=SmoothField.random(rng, n_modes=16, wavelength=(2.5, 9.0), sd=1.0),
        fascial_gain=config.fascial_gain,
        patch_gain=config.patch_gain,
        texture_sd=config.texture_sd * (1 + 0.04 * elevation) * (1.3 if ars_positive else 1.0),
    )


def oedema_field(state: DiseaseState, points: np.ndarray, sample: PhantomSample) -> np.ndarray:
    """Unnormalised oedema field (>= 0) at muscle points; 0 elsewhere."""
    f = np.zeros(len(points))
    m = np.flatnonzero(sample.label > 0)
    if m.size == 0:
        return f
    p = points[m]
    wd, wf, wp = state.weights
    diffuse = np.clip(1.0 + state.diffuse_field(p), 0.0, None)
    fascial = state.fascial_gain * np.exp(-np.clip(sample.boundary_mm[m], 0, None) / state.fascial_width)
    patchy = np.zeros(m.size)
    for x, y, z, s, a in state.patches:
        d2 = (p[:, 0] - x) ** 2 + (p[:, 1] - y) ** 2 + (p[:, 2] - z) ** 2
        near = d2 < (4 * s) ** 2
        patchy[near] += state.patch_gain * a * np.exp(-d2[near] / (2 * s * s))
    inv = state.muscle_involvement[sample.label[m] - 1]
    f[m] = inv * (wd * diffuse + wf * fascial + wp * patchy)
    return f


@dataclass
class TissueMaps:
    """Per-point water T2 (ms), fat fraction, proton density (relative) and tissue codes."""

    t2: np.ndarray
    ff: np.ndarray
    pd: np.ndarray
    sample: PhantomSample


def tissue_maps(state: DiseaseState, config: DemoConfig, points: np.ndarray, sample: PhantomSample) -> TissueMaps:
    """Water T2, fat fraction and proton density at ``points`` given the phantom ``sample``."""
    c = config
    n = len(points)
    t2 = np.zeros(n)
    ff = np.zeros(n)
    pd = np.zeros(n)
    tissue = sample.tissue
    m = np.flatnonzero(sample.label > 0)
    if m.size:
        f = oedema_field(state, points, sample)[m]
        lab = sample.label[m] - 1
        tex = state.texture_sd * state.texture_field(points[m])
        t2[m] = state.t2_base + state.muscle_offset[lab] + tex + state.elevation * f / state.f_norm
        t2[m] = np.clip(t2[m], 20.0, c.oedema_t2_cap)
        ff[m] = np.clip(state.ff_mean * (1.0 + state.ff_field(points[m])), 0.0, 0.7)
        pd[m] = 1.0
    for code, t2v, ffv in (
        (SKIN, c.t2_skin, 0.1),
        (SUBCUT_FAT, 35.0, c.ff_subcutaneous),
        (SEPTUM, 35.0, c.ff_septum),
        (MARROW, c.t2_marrow_water, c.ff_marrow),
    ):
        sel = tissue == code
        t2[sel], ff[sel], pd[sel] = t2v, ffv, 1.0
    pd[tissue == CORTEX] = 0.0
    return TissueMaps(t2, ff, pd, sample)


def normalise_oedema(state: DiseaseState, config: DemoConfig, points: np.ndarray, sample: PhantomSample) -> None:
    """Set ``state.f_norm`` so the muscle water T2 over the given points averages exactly
    ``t2_base + elevation``.

    Starts from ``f_norm = mean(f)`` (exact without clipping) and, because the hottest foci are
    capped at ``oedema_t2_cap``, solves for the gain by bisection so the planted mean holds.
    """
    m = sample.label > 0
    f = oedema_field(state, points, sample)[m]
    if f.size == 0 or f.mean() <= 0:
        state.f_norm = 1.0
        return
    lab = sample.label[m] - 1
    rest = state.t2_base + state.muscle_offset[lab] + state.texture_sd * state.texture_field(points[m])
    target = state.t2_base + state.elevation
    unit = state.elevation * f / f.mean()

    def mean_t2(gain: float) -> float:
        return float(np.clip(rest + gain * unit, 20.0, config.oedema_t2_cap).mean())

    lo, hi = 0.0, 1.0
    while mean_t2(hi) < target and hi < 64:
        lo, hi = hi, 2 * hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean_t2(mid) < target else (lo, mid)
    state.f_norm = float(f.mean()) / (0.5 * (lo + hi))
