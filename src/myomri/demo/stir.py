"""STIR-like image of the demo cohort (1.5 T inversion recovery, fat nulled, oedema bright).

The magnitude of each component is ``pd * |1 - 2 exp(-TI/T1) + exp(-TR/T1)| * exp(-TE/T2)``
(water and fat summed by fat fraction). With TI = 190 ms the fat term is nearly nulled, and the
long TE (65 ms) makes oedematous muscle (long T2) bright: the STIR texture is therefore driven by
exactly the planted water T2 map the MESE series measures.
"""

from __future__ import annotations

import numpy as np

from ..config.demo import DemoConfig
from .mese import add_rician_noise
from .phantom import SmoothField
from .tissue import TissueMaps

__all__ = ["inversion_recovery_factor", "stir_signal", "bias_field", "render_stir"]


def inversion_recovery_factor(t1, *, ti: float, tr: float):
    """Longitudinal magnetisation at the excitation of an IR sequence (magnitude)."""
    t1 = np.asarray(t1, dtype=float)
    return np.abs(1.0 - 2.0 * np.exp(-ti / t1) + np.exp(-tr / t1))


def stir_signal(maps: TissueMaps, config: DemoConfig) -> np.ndarray:
    """Noiseless STIR magnitude (arbitrary units, healthy muscle about ``stir_m0 * 0.15``)."""
    c = config
    on = maps.pd > 0
    out = np.zeros_like(maps.t2)
    water = inversion_recovery_factor(c.stir_t1_water, ti=c.stir_ti, tr=c.stir_tr) * np.exp(
        -c.stir_te / np.where(on, maps.t2, 1.0)
    )
    fat = inversion_recovery_factor(c.stir_t1_fat, ti=c.stir_ti, tr=c.stir_tr) * np.exp(-c.stir_te / c.stir_t2_fat)
    out[on] = c.stir_m0 * maps.pd[on] * ((1 - maps.ff[on]) * water[on] + maps.ff[on] * fat)
    return out


def bias_field(rng: np.random.Generator, amplitude: float) -> SmoothField:
    """A smooth multiplicative receive-coil bias (``1 + field``) varying over 20-60 cm."""
    return SmoothField.random(rng, n_modes=3, wavelength=(200.0, 600.0), sd=amplitude / 2.0, z_scale=0.3)


def render_stir(maps: TissueMaps, points: np.ndarray, config: DemoConfig, rng: np.random.Generator) -> np.ndarray:
    """STIR intensities at ``points`` with bias field and Rician noise (flat array, float32)."""
    c = config
    signal = stir_signal(maps, c)
    signal *= np.clip(1.0 + bias_field(rng, c.bias_amplitude)(points), 0.5, 1.5)
    if c.stir_snr is not None:
        healthy = (
            c.stir_m0
            * inversion_recovery_factor(c.stir_t1_water, ti=c.stir_ti, tr=c.stir_tr)
            * np.exp(-c.stir_te / 34.0)
        )
        signal = add_rician_noise(signal, healthy / c.stir_snr, rng)
    return signal.astype(np.float32)
