"""Synthetic multi-echo voxels with known water T2, FF and B1 plus Rician noise."""

from __future__ import annotations

import numpy as np

from myomri.t2.dictionary import simulate_cpmg


def synth_voxels(t2, ff, b1, *, esp, n_echoes, snr, n, seed, slice_profile=None, fat_t2=151.0):
    """``n`` noisy voxels of one (t2, ff, b1); SNR = M0 / sigma; M0 = 1000."""
    rng = np.random.default_rng(seed)
    w = simulate_cpmg(t2, esp=esp, n_echoes=n_echoes, t1=1400.0, b1=b1, slice_profile=slice_profile)
    f = simulate_cpmg(fat_t2, esp=esp, n_echoes=n_echoes, t1=365.0, b1=b1, slice_profile=slice_profile)
    s = 1000.0 * ((1 - ff) * w + ff * f)
    sigma = 1000.0 / snr
    re = s[None, :] + rng.normal(0, sigma, (n, n_echoes))
    im = rng.normal(0, sigma, (n, n_echoes))
    return np.hypot(re, im)
