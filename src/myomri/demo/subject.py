"""Simulate every series, ROI and truth map of one demo subject (in memory; no files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..config.demo import DemoConfig
from ..io.image import Image
from .clinical import draw_clinical, draw_demographics
from .dixon import render_dixon
from .grids import make_grid, rotation_matrix, voxel_centres
from .mese import add_rician_noise, mese_signal
from .phantom import Phantom, draw_phantom
from .readers import draw_reader_roi, truth_roi
from .stir import render_stir
from .tissue import DiseaseState, draw_disease, normalise_oedema, tissue_maps

__all__ = ["SubjectData", "simulate_subject", "b1_field"]

# Independent random streams per component, so changing one part never reshuffles another.
_STREAMS = {"demo": 0, "anatomy": 1, "disease": 2, "mese": 3, "stir": 4, "dixon": 5, "clinical": 6, "readers": 7}


def _rng(config: DemoConfig, index: int, part: str, *extra: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, index, _STREAMS[part], *extra])


@dataclass
class SubjectData:
    """All outputs of one subject: images by key, clinical record and planted truth."""

    subject: str
    group: str
    images: dict[str, Image] = field(default_factory=dict)
    clinical: dict = field(default_factory=dict)
    planted: dict = field(default_factory=dict)


def b1_field(rng: np.random.Generator, b1_range: tuple[float, float], centre_x: float = 0.0):
    """A smooth B1 map over the two thighs: a broad dome plus a left-right gradient, spanning
    roughly ``b1_range`` across the field of view. Returns a function of points (n, 3)."""
    lo, hi = b1_range
    peak = rng.uniform(hi - 0.04, hi)
    drop = peak - lo
    gradient = rng.uniform(-0.05, 0.05)
    width = rng.uniform(170.0, 230.0)
    yc = rng.uniform(-20, 20)

    def field_at(points: np.ndarray) -> np.ndarray:
        x = (points[:, 0] - centre_x) / width
        y = (points[:, 1] - yc) / (1.6 * width)
        return np.clip(peak - drop * (x * x + y * y) + gradient * x, lo - 0.05, hi + 0.02)

    return field_at, {"peak": float(peak), "drop": float(drop), "gradient": float(gradient)}


def _quantise(x: np.ndarray, step: float) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float) / step) * step


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 32767).astype(np.int16)


class _MeseTruth(NamedTuple):
    """What the planted record needs from the MESE rendering."""

    direction: np.ndarray
    b1_tissue: np.ndarray
    b1_peak: float
    t2_realised: float
    ff_realised: float


def _render_mese(
    out: SubjectData, c: DemoConfig, rng: np.random.Generator, phantom: Phantom, state: DiseaseState
) -> _MeseTruth:
    """MESE series and its truth maps, on its own slightly rotated/tilted/shifted grid."""
    direction = rotation_matrix(
        yaw_deg=rng.uniform(-1, 1) * c.mese_max_rotation_deg, tilt_deg=rng.uniform(-1, 1) * c.mese_max_tilt_deg
    )
    shift = rng.uniform(-1, 1, size=3) * c.mese_max_shift_mm
    mese = make_grid(c.mese_grid, direction=direction, shift=shift)
    pts = voxel_centres(mese)
    smp = phantom.sample(pts)
    normalise_oedema(state, c, pts, smp)
    maps = tissue_maps(state, c, pts, smp)
    b1_at, b1_params = b1_field(rng, c.b1_range)
    # truth maps are quantised to binary fractions *before* simulating, so the stored float32
    # truth is exactly what generated the signal and compresses well (few mantissa bits)
    maps.t2 = _quantise(maps.t2, 2.0**-8)
    maps.ff = _quantise(maps.ff, 2.0**-12)
    b1 = _quantise(b1_at(pts), 2.0**-12)
    sig = mese_signal(
        maps.t2, maps.ff, b1, maps.pd, esp=c.echo_spacing, n_echoes=c.n_echoes,
        t1_water=c.t1_water, t1_fat=c.t1_fat, t2_fat=c.t2_fat, m0=c.mese_m0, slice_profile=c.mese_slice_profile,
    )  # fmt: skip
    if c.mese_snr is not None:
        sig = add_rician_noise(sig, c.mese_m0 / c.mese_snr, rng)
        sig = _to_int16(sig)  # scanner-like integer magnitudes (noise >> rounding)
    shape = mese.spatial_shape
    tes = tuple(c.echo_spacing * (n + 1) for n in range(c.n_echoes))
    meta = {"RepetitionTime": c.repetition_time, "MagneticFieldStrength": c.field_strength_mese,
            "SeriesDescription": "demo MESE T2 mapping", "EchoTime": list(tes),
            "SliceThickness": c.mese_slice_thickness,
            "MRAcquisitionType": "2D" if c.mese_slice_profile else "3D"}  # fmt: skip
    out.images["mese"] = mese.with_array(
        sig.reshape(shape + (c.n_echoes,)).astype(sig.dtype if sig.dtype == np.int16 else np.float32), echo_times=tes
    )
    out.images["mese"].meta.update(meta)
    muscle = smp.label > 0
    out.images["truth_t2"] = mese.with_array(np.where(maps.pd > 0, maps.t2, 0).reshape(shape).astype(np.float32))
    out.images["truth_ff"] = mese.with_array(maps.ff.reshape(shape).astype(np.float32))
    out.images["truth_b1"] = mese.with_array(b1.reshape(shape).astype(np.float32))
    out.images["truth_labels"] = mese.with_array(smp.label.reshape(shape).astype(np.uint8))
    return _MeseTruth(
        direction=direction,
        b1_tissue=b1[maps.pd > 0],
        b1_peak=b1_params["peak"],
        t2_realised=float(maps.t2[muscle].mean()),
        ff_realised=float(maps.ff[muscle].mean()),
    )


def _render_stir(
    out: SubjectData, c: DemoConfig, index: int, rng: np.random.Generator, phantom: Phantom, state: DiseaseState
) -> float:
    """STIR slice, its truth ROI and every reader's ROI; returns the truth ROI's area in cm^2."""
    stir = make_grid(c.stir_grid)
    spts = voxel_centres(stir)
    ssmp = phantom.sample(spts)
    smaps = tissue_maps(state, c, spts, ssmp)
    stir_arr = render_stir(smaps, spts, c, rng)
    stir_arr = _to_int16(stir_arr) if c.stir_snr is not None else stir_arr
    out.images["stir"] = stir.with_array(stir_arr.reshape(stir.spatial_shape))
    out.images["stir"].meta.update({"RepetitionTime": c.stir_tr, "EchoTime": c.stir_te, "InversionTime": c.stir_ti,
                                    "MagneticFieldStrength": c.field_strength_stir, "SliceThickness": c.stir_grid.spacing[2],
                                    "SeriesDescription": "demo STIR axial"})  # fmt: skip
    tissue2d = ssmp.tissue.reshape(stir.spatial_shape)[:, :, 0]
    roi = truth_roi(tissue2d)
    out.images["truth_roi"] = stir.with_array(roi[:, :, None].astype(np.uint8))
    for r, reader in enumerate(c.reader_bias):
        rr = draw_reader_roi(
            roi, spts, spacing=stir.spacing[:2], bias=c.reader_bias[reader], jitter=c.reader_jitter[reader],
            max_shift=c.reader_max_shift, rng=_rng(c, index, "readers", r),
        )  # fmt: skip
        out.images[f"roi_{reader}"] = stir.with_array(rr[:, :, None].astype(np.uint8))
    return float(roi.sum() * stir.spacing[0] * stir.spacing[1] / 100.0)


def _render_dixon(
    out: SubjectData, c: DemoConfig, rng: np.random.Generator, phantom: Phantom, state: DiseaseState
) -> None:
    """Dixon water/fat and the label map, on the segmentation reference grid."""
    dixon = make_grid(c.dixon_grid, shift=(rng.uniform(-2, 2), rng.uniform(-2, 2), 0.0))
    dpts = voxel_centres(dixon)
    dsmp = phantom.sample(dpts)
    dmaps = tissue_maps(state, c, dpts, dsmp)
    water, fat = render_dixon(dmaps, dpts, c, rng)
    if c.dixon_snr is not None:
        water, fat = _to_int16(water), _to_int16(fat)
    out.images["water"] = dixon.with_array(water.reshape(dixon.spatial_shape))
    out.images["fat"] = dixon.with_array(fat.reshape(dixon.spatial_shape))
    out.images["dseg"] = dixon.with_array(dsmp.label.reshape(dixon.spatial_shape).astype(np.uint8))


def simulate_subject(index: int, subject: str, group: str, config: DemoConfig) -> SubjectData:
    """Render subject ``index`` of ``group``: STIR, MESE, Dixon, label map, ROIs, truth maps."""
    c = config
    out = SubjectData(subject, group)
    demo = draw_demographics(_rng(c, index, "demo"), c, group)
    rng = _rng(c, index, "anatomy")
    atrophy = float(rng.beta(1.2, 6.0)) if group in ("PM", "DM", "nonIIM") else float(rng.beta(1.0, 12.0))
    phantom = draw_phantom(rng, c, female=demo["female"], atrophy=atrophy)
    state = draw_disease(_rng(c, index, "disease"), c, group, phantom, ars_positive=demo["ars"])
    mese = _render_mese(out, c, _rng(c, index, "mese"), phantom, state)
    roi_area_cm2 = _render_stir(out, c, index, _rng(c, index, "stir"), phantom, state)
    _render_dixon(out, c, _rng(c, index, "dixon"), phantom, state)

    out.clinical = draw_clinical(_rng(c, index, "clinical"), c, group, demo, mese.t2_realised)
    out.planted = {
        "subject": subject,
        "group": group,
        "t2_mean_ms": round(mese.t2_realised, 4),
        "t2_base_ms": round(state.t2_base, 4),
        "t2_elevation_ms": round(state.elevation, 4),
        "ff_mean": round(mese.ff_realised, 5),
        "pattern_diffuse": round(state.weights[0], 4),
        "pattern_fascial": round(state.weights[1], 4),
        "pattern_patchy": round(state.weights[2], 4),
        "fascial_width_mm": round(state.fascial_width, 3),
        "n_patches": int(len(state.patches)),
        "texture_sd_ms": round(state.texture_sd, 4),
        "atrophy": round(atrophy, 4),
        "anti_ARS_true": int(demo["ars"]),
        "anti_Jo1_true": int(demo["jo1"]),
        "b1_min": round(float(mese.b1_tissue.min()), 4),
        "b1_max": round(float(mese.b1_tissue.max()), 4),
        "b1_peak": round(mese.b1_peak, 4),
        "roi_area_cm2": round(roi_area_cm2, 2),
        "mese_yaw_deg": round(float(np.degrees(np.arctan2(mese.direction[1, 0], mese.direction[0, 0]))), 4),
    }
    return out
