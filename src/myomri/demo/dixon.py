"""Dixon water and fat images (T2-weighted Dixon at 3 T, as the T2-mapping paper segmented on).

Water ``= pd (1 - ff) exp(-TE/T2w)``, fat ``= pd ff exp(-TE/T2fat)``, with the same smooth bias
field on both (one receive coil) and independent Rician noise.
"""

from __future__ import annotations

import numpy as np

from ..config.demo import DemoConfig
from .mese import add_rician_noise
from .stir import bias_field
from .tissue import TissueMaps

__all__ = ["render_dixon"]


def render_dixon(
    maps: TissueMaps, points: np.ndarray, config: DemoConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Water and fat images at ``points`` (flat float32 arrays)."""
    c = config
    on = maps.pd > 0
    water = np.zeros_like(maps.t2)
    fat = np.zeros_like(maps.t2)
    water[on] = c.dixon_m0 * maps.pd[on] * (1 - maps.ff[on]) * np.exp(-c.dixon_te / maps.t2[on])
    fat[on] = c.dixon_m0 * maps.pd[on] * maps.ff[on] * np.exp(-c.dixon_te / c.t2_fat)
    bias = np.clip(1.0 + bias_field(rng, c.bias_amplitude)(points), 0.5, 1.5)
    water *= bias
    fat *= bias
    if c.dixon_snr is not None:
        sigma = c.dixon_m0 * np.exp(-c.dixon_te / 34.0) / c.dixon_snr
        water = add_rician_noise(water, sigma, rng)
        fat = add_rician_noise(fat, sigma, rng)
    return water.astype(np.float32), fat.astype(np.float32)
