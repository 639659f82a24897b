"""Anatomical two-thigh phantom defined in world millimetres (LPS), so it renders on any grid.

Each thigh is an outline (ellipse with smooth radial perturbation, tapering distally) holding skin,
subcutaneous fat and a fascia outline; inside the fascia the femur (cortex, marrow) and twelve
muscles. Muscles are the cells of a multiplicatively weighted Voronoi diagram in coordinates
normalised to the fascia (``config.demo.MUSCLE_LAYOUT``), with smooth random 3-D perturbations of
each cell's distance, so shapes vary between subjects and smoothly along z. Points where the two
best cells nearly tie become thin intermuscular fat septa. Every point gets exactly one tissue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.demo import FEMUR_CENTRE, MUSCLE_LAYOUT, DemoConfig
from ..config.labels import MUSCLES, N_MUSCLES

__all__ = [
    "AIR", "SKIN", "SUBCUT_FAT", "SEPTUM", "CORTEX", "MARROW", "MUSCLE", "TISSUE_NAMES",
    "SmoothField", "LegAnatomy", "Phantom", "PhantomSample", "draw_phantom",
]  # fmt: skip

# Tissue codes of PhantomSample.tissue.
AIR, SKIN, SUBCUT_FAT, SEPTUM, CORTEX, MARROW, MUSCLE = range(7)
TISSUE_NAMES = ("air", "skin", "subcutaneous fat", "intermuscular fat", "cortex", "marrow", "muscle")


def _dot3(p: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``p @ k.T`` for (n, 3) points and (m, 3) vectors, without BLAS."""
    out = p[:, 0:1] * k[:, 0]
    out += p[:, 1:2] * k[:, 1]
    out += p[:, 2:3] * k[:, 2]
    return out


@dataclass(frozen=True)
class SmoothField:
    """A smooth random scalar field in world mm: a sum of cosine plane waves.

    ``wavevectors`` (m, 3) in rad/mm, ``phases`` (m,), ``amplitudes`` (m,). Evaluates on points
    ``(n, 3)``; several independent fields can be stacked along a leading axis of the parameters.
    """

    wavevectors: np.ndarray
    phases: np.ndarray
    amplitudes: np.ndarray

    @classmethod
    def random(cls, rng, *, n_modes, wavelength, sd, n_fields=None, z_scale=1.0) -> SmoothField:
        """Random field(s) of wavelengths in ``wavelength`` (min, max mm) with standard deviation ``sd``.

        ``z_scale`` < 1 makes the field vary more slowly along z than in-plane.
        """
        lead = () if n_fields is None else (n_fields,)
        direction = rng.normal(size=lead + (n_modes, 3))
        direction[..., 2] *= z_scale
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        lam = rng.uniform(wavelength[0], wavelength[1], size=lead + (n_modes,))
        k = direction * (2 * np.pi / lam)[..., None]
        phases = rng.uniform(0, 2 * np.pi, size=lead + (n_modes,))
        # a sum of m unit cosines with random phases has variance m/2
        amps = np.full(lead + (n_modes,), sd * np.sqrt(2.0 / n_modes))
        return cls(k, phases, amps)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Values at ``points`` (n, 3): shape (n,) or (n, n_fields).

        Evaluated in float32 (phase error < 1e-4 rad over a thigh): the cosines dominate the
        generator's run time and float32 halves it.
        """
        p = np.asarray(points, dtype=np.float32)
        k = self.wavevectors.astype(np.float32)
        phases = self.phases.astype(np.float32)
        amps = self.amplitudes.astype(np.float32)
        # explicit broadcasting instead of ``p @ k.T``: a (n, 3) x (3, m) BLAS call spawns
        # threads that thrash on a shared machine and is slower than three fused multiplies here
        if k.ndim == 2:
            arg = _dot3(p, k)
            arg += phases
            return (np.cos(arg, out=arg) @ amps).astype(float)
        n_fields, n_modes, _ = k.shape
        arg = _dot3(p, k.reshape(-1, 3))
        arg += phases.ravel()
        vals = np.cos(arg, out=arg)
        vals *= amps.ravel()
        return vals.reshape(len(p), n_fields, n_modes).sum(axis=-1, dtype=float)


@dataclass(frozen=True)
class LegAnatomy:
    """One thigh. ``side`` 'R' or 'L'; lengths in mm; ``seeds`` (12, 2) normalised, ``weights`` (12,)."""

    side: str
    centre: tuple[float, float]
    radius_ml: float
    radius_ap: float
    fat_thickness: float
    skin_thickness: float
    femur_centre: tuple[float, float]
    femur_radius: float
    cortex_thickness: float
    seeds: np.ndarray
    seed_drift: np.ndarray
    weights: np.ndarray
    outline_field: SmoothField
    fat_field: SmoothField
    muscle_fields: SmoothField
    septum_width: float
    taper: float

    @property
    def lateral_sign(self) -> float:
        """+1 if lateral is +x (left leg: LPS x points to the patient's left)."""
        return 1.0 if self.side == "L" else -1.0


@dataclass
class PhantomSample:
    """The phantom sampled at points: muscle label (0, 1..24), tissue code and, for muscle points,
    the approximate distance (mm) to the nearest muscle boundary (fascia or septum)."""

    label: np.ndarray
    tissue: np.ndarray
    boundary_mm: np.ndarray


@dataclass(frozen=True)
class Phantom:
    """Both thighs of one subject. ``sample(points)`` classifies LPS-mm points (n, 3)."""

    legs: tuple[LegAnatomy, LegAnatomy]

    def sample(self, points: np.ndarray) -> PhantomSample:
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        n = len(points)
        label = np.zeros(n, dtype=np.int16)
        tissue = np.zeros(n, dtype=np.uint8)
        boundary = np.full(n, np.inf)
        for side_index, leg in enumerate(self.legs):
            reach = max(leg.radius_ml, leg.radius_ap) * 1.35 + 10
            dx = points[:, 0] - leg.centre[0]
            dy = points[:, 1] - leg.centre[1]
            near = np.flatnonzero((np.abs(dx) < reach) & (np.abs(dy) < reach))
            if near.size:
                _sample_leg(leg, side_index, points[near], label, tissue, boundary, near)
        return PhantomSample(label, tissue, boundary)


def _sample_leg(leg, side_index, pts, label, tissue, boundary, idx) -> None:
    z = pts[:, 2]
    u = leg.lateral_sign * (pts[:, 0] - leg.centre[0])  # lateral
    v = -(pts[:, 1] - leg.centre[1])  # anterior (LPS y points posterior)
    r = np.hypot(u, v)
    theta = np.arctan2(v, u)
    scale = np.clip(1.0 + leg.taper * z, 0.6, 1.3)
    ellipse = (leg.radius_ml * leg.radius_ap) / np.hypot(leg.radius_ap * np.cos(theta), leg.radius_ml * np.sin(theta))
    r_out = ellipse * scale * (1.0 + leg.outline_field(pts))
    fat = leg.fat_thickness * np.clip(1.0 + leg.fat_field(pts), 0.4, 1.8)
    r_fascia = r_out - leg.skin_thickness - fat
    inside_body = r <= r_out
    t = np.zeros(len(pts), dtype=np.uint8)
    t[inside_body] = SUBCUT_FAT
    t[inside_body & (r > r_out - leg.skin_thickness)] = SKIN
    in_fascia = r < r_fascia
    lab = np.zeros(len(pts), dtype=np.int16)
    bnd = np.full(len(pts), np.inf)

    sel = np.flatnonzero(in_fascia)
    if sel.size:
        rf_mean = float(np.mean([leg.radius_ml, leg.radius_ap])) - leg.skin_thickness - leg.fat_thickness
        q = np.stack([u[sel], v[sel]], axis=1) / r_fascia[sel, None]  # normalised coordinates
        zz = z[sel, None, None] / 50.0
        seeds = leg.seeds[None, :, :] + leg.seed_drift[None, :, :] * zz
        d = np.linalg.norm(q[:, None, :] - seeds, axis=2) / leg.weights[None, :]
        d = d + leg.muscle_fields(pts[sel])
        order = np.argsort(d, axis=1)[:, :2]
        best = np.take_along_axis(d, order, axis=1)
        w_best = leg.weights[order[:, 0]]
        # gap between the two best cells, converted to an approximate distance in mm
        gap_mm = (best[:, 1] - best[:, 0]) * w_best * rf_mean / 2.0
        depth_mm = r_fascia[sel] - r[sel]
        fc = np.asarray(leg.femur_centre)
        femur_d = np.hypot(u[sel] - fc[0], v[sel] - fc[1])
        tt = np.full(sel.size, MUSCLE, dtype=np.uint8)
        septum = gap_mm < leg.septum_width / 2.0
        tt[septum] = SEPTUM
        tt[femur_d < leg.femur_radius] = CORTEX
        tt[femur_d < leg.femur_radius - leg.cortex_thickness] = MARROW
        is_muscle = tt == MUSCLE
        ll = np.zeros(sel.size, dtype=np.int16)
        ll[is_muscle] = order[is_muscle, 0] + 1 + side_index * N_MUSCLES
        t[sel] = tt
        lab[sel] = ll
        bone_mm = femur_d - leg.femur_radius
        bnd[sel] = np.where(is_muscle, np.minimum(np.minimum(gap_mm, depth_mm), bone_mm), np.inf)
    # only claim points inside this thigh: the other thigh's points stay untouched
    mine = t != AIR
    tissue[idx[mine]] = t[mine]
    label[idx[mine]] = lab[mine]
    boundary[idx[mine]] = bnd[mine]


def draw_phantom(rng: np.random.Generator, config: DemoConfig, *, female: bool, atrophy: float = 0.0):
    """Draw a random two-thigh anatomy.

    Parameters
    ----------
    rng : numpy Generator
        Source of all randomness (the subject's stream).
    config : DemoConfig
        Anatomical ranges.
    female : bool
        Thicker subcutaneous fat, smaller thighs.
    atrophy : float
        0..1; shrinks the muscles (the fascia outline) in favour of fat.
    """
    c = config
    radius = rng.normal(*c.thigh_radius) * (0.94 if female else 1.0)
    fat = max(3.0, rng.normal(*c.fat_thickness) * (1.4 if female else 1.0)) * (1 + 1.2 * atrophy)
    radius = float(np.clip(radius, 52.0, c.max_thigh_radius - 6))
    aspect = rng.normal(*c.thigh_aspect)
    gap = max(2.0, rng.normal(*c.leg_gap))
    femur_r = rng.normal(*c.femur_radius)
    base_seeds = np.array([MUSCLE_LAYOUT[m][:2] for m in MUSCLES])
    base_w = np.array([MUSCLE_LAYOUT[m][2] for m in MUSCLES])
    bulk = rng.normal(0, 0.08, size=N_MUSCLES)  # subject-level relative muscle bulk
    legs = []
    for side in ("R", "L"):
        r_ml = radius * (1 + rng.normal(0, 0.02))
        r_ap = r_ml * aspect
        rf_mean = 0.5 * (r_ml + r_ap) - c.skin_thickness - fat
        femur_r = float(np.clip(femur_r, 10.0, 0.3 * rf_mean))
        x_off = r_ml + gap / 2.0
        centre = (x_off if side == "L" else -x_off, rng.normal(0, 3.0))
        seeds = base_seeds + rng.normal(0, 0.025, size=base_seeds.shape)
        weights = base_w * np.exp(bulk + rng.normal(0, 0.04, size=N_MUSCLES))
        fc = np.asarray(FEMUR_CENTRE) * rf_mean + rng.normal(0, 1.5, size=2)
        legs.append(
            LegAnatomy(
                side=side,
                centre=centre,
                radius_ml=float(r_ml),
                radius_ap=float(r_ap),
                fat_thickness=float(fat),
                skin_thickness=c.skin_thickness,
                femur_centre=(float(fc[0]), float(fc[1])),
                femur_radius=femur_r,
                cortex_thickness=min(c.cortex_thickness, 0.45 * femur_r),
                seeds=seeds,
                seed_drift=rng.normal(0, 0.02, size=base_seeds.shape),
                weights=weights,
                outline_field=SmoothField.random(rng, n_modes=4, wavelength=(60, 160), sd=0.025, z_scale=0.3),
                fat_field=SmoothField.random(rng, n_modes=4, wavelength=(40, 120), sd=0.25, z_scale=0.3),
                muscle_fields=SmoothField.random(
                    rng, n_modes=2, wavelength=(25, 70), sd=0.05, n_fields=N_MUSCLES, z_scale=0.3
                ),
                septum_width=c.septum_width,
                taper=c.taper_per_mm,
            )
        )
    right, left = legs
    return Phantom((right, left))
