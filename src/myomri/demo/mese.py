"""Multi-echo spin-echo (CPMG) signal of the demo cohort by extended phase graphs.

Evaluating the EPG for every voxel of every subject would dominate the run time, so the water
signal comes from a dictionary over (1/T2, B1) computed once with :func:`myomri.t2.epg.epg_cpmg`
and interpolated bilinearly in *log signal*: at B1 = 1 the CPMG train is exactly
``exp(-TE/T2)``, whose logarithm is linear in 1/T2, so the interpolation is exact there and
very accurate elsewhere (the EPG is smooth in both variables). The fat signal (fixed T2, T1) is
a 1-D dictionary over B1.

With ``slice_profile=True`` the echo trains carry the slice profile of 2-D slice-selective pulses
(the Hann-sinc TBW 2 profile of ``myomri.t2.dictionary.default_slice_profile``), as a 2-D
multi-slice scan's do; the demo's default is without (``DemoConfig.mese_slice_profile``).
"""

from __future__ import annotations

import functools

import numpy as np

from ..t2.dictionary import default_slice_profile, simulate_cpmg

__all__ = ["EpgDictionary", "epg_dictionary", "mese_signal", "add_rician_noise"]

_R2_RANGE = (1.0 / 400.0, 1.0 / 8.0)  # 1/ms: T2 from 8 to 400 ms
_N_R2 = 400
_B1_RANGE = (0.5, 1.3)
_N_B1 = 161  # B1 step 0.005; B1 = 1 is a node


class EpgDictionary:
    """Log EPG echo amplitudes on a regular (1/T2, B1) grid, for one T1 and echo train."""

    def __init__(self, *, esp: float, n_echoes: int, t1: float, slice_profile: bool = False,
                 t2: float | None = None):  # fmt: skip
        # a fixed T2 (fat) needs no T2 axis: two nodes around it keep the interpolation exact
        r2_range = _R2_RANGE if t2 is None else (1.0 / t2 * (1 - 1e-9), 1.0 / t2 * (1 + 1e-9))
        self.r2 = np.linspace(*r2_range, _N_R2 if t2 is None else 2)
        self.b1 = np.linspace(*_B1_RANGE, _N_B1)
        r2, b1 = np.meshgrid(self.r2, self.b1, indexing="ij")
        profile = default_slice_profile() if slice_profile else None
        sig = simulate_cpmg(1.0 / r2, esp=esp, n_echoes=n_echoes, t1=t1, b1=b1, slice_profile=profile)
        self.log_signal = np.log(np.maximum(sig, 1e-300))  # (n_r2, n_b1, n_echoes)

    def __call__(self, t2, b1) -> np.ndarray:
        """Echo amplitudes for M0 = 1 at the given T2 (ms) and B1 (same shape); returns (..., n_echoes)."""
        t2 = np.asarray(t2, dtype=float)
        b1 = np.asarray(b1, dtype=float)
        r2 = 1.0 / t2
        if np.any(r2 < self.r2[0]) or np.any(r2 > self.r2[-1]):
            raise ValueError(f"T2 outside the dictionary range {1 / self.r2[-1]:g}..{1 / self.r2[0]:g} ms")
        if np.any(b1 < _B1_RANGE[0]) or np.any(b1 > _B1_RANGE[1]):
            raise ValueError(f"B1 outside the dictionary range {_B1_RANGE[0]}..{_B1_RANGE[1]}")
        fr = (r2 - self.r2[0]) / (self.r2[1] - self.r2[0])
        fb = (b1 - self.b1[0]) / (self.b1[1] - self.b1[0])
        ir = np.clip(np.floor(fr).astype(int), 0, len(self.r2) - 2)
        ib = np.clip(np.floor(fb).astype(int), 0, len(self.b1) - 2)
        wr = (fr - ir)[..., None]
        wb = (fb - ib)[..., None]
        L = self.log_signal
        out = (
            (1 - wr) * (1 - wb) * L[ir, ib]
            + wr * (1 - wb) * L[ir + 1, ib]
            + (1 - wr) * wb * L[ir, ib + 1]
            + wr * wb * L[ir + 1, ib + 1]
        )
        return np.exp(out)


@functools.lru_cache(maxsize=8)
def epg_dictionary(*, esp: float, n_echoes: int, t1: float, slice_profile: bool = False,
                   t2: float | None = None) -> EpgDictionary:  # fmt: skip
    """Cached dictionary (built once per process for each echo train, T1, profile and fixed T2)."""
    return EpgDictionary(esp=esp, n_echoes=n_echoes, t1=t1, slice_profile=slice_profile, t2=t2)


def mese_signal(t2_water, ff, b1, pd, *, esp, n_echoes, t1_water, t1_fat, t2_fat, m0=1.0,
                slice_profile: bool = False) -> np.ndarray:  # fmt: skip
    """Noiseless two-component CPMG signal ``m0 * pd * ((1 - ff) S_w + ff S_f)``, shape (..., n_echoes).

    Points with ``pd == 0`` get 0 (their T2 is not looked up). ``slice_profile`` sums each train
    over the slice profile of 2-D multi-slice pulses.
    """
    t2_water = np.asarray(t2_water, dtype=float)
    ff = np.asarray(ff, dtype=float)
    pd = np.asarray(pd, dtype=float)
    b1 = np.broadcast_to(np.asarray(b1, dtype=float), t2_water.shape)
    out = np.zeros(t2_water.shape + (n_echoes,))
    on = pd > 0
    if not np.any(on):
        return out
    kw = dict(esp=float(esp), n_echoes=int(n_echoes), slice_profile=bool(slice_profile))
    water = epg_dictionary(t1=float(t1_water), **kw)
    fat = epg_dictionary(t1=float(t1_fat), t2=float(t2_fat), **kw)
    sw = water(t2_water[on], b1[on])
    sf = fat(np.full(int(on.sum()), float(t2_fat)), b1[on])
    out[on] = (m0 * pd[on])[:, None] * ((1 - ff[on])[:, None] * sw + ff[on][:, None] * sf)
    return out


def add_rician_noise(signal: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Magnitude of the signal plus complex Gaussian noise of standard deviation ``sigma``."""
    # float32 draws: twice as fast, and far finer than the noise itself
    n1 = rng.standard_normal(size=signal.shape, dtype=np.float32)
    n2 = rng.standard_normal(size=signal.shape, dtype=np.float32)
    n1 *= sigma
    n2 *= sigma
    n1 += signal
    return np.hypot(n1, n2)
