"""Slice profiles of Hann-windowed sinc pulses, for slice-profile-corrected EPG (MyoQMRI-like).

A multi-echo spin-echo slice is not excited with one flip angle: across the slice the
excitation and the (wider) refocusing pulses produce a range of flips, and the measured echo is
the sum over the slice. Following MyoQMRI (Santini et al. 2021) the profile of a Hann-windowed
sinc of time-bandwidth 2 is obtained by the Shinnar-Le Roux (hard-pulse) forward transform,
kept up to where it falls below 1 % of the nominal flip, averaged into 20 positions for the
excitation, and stretched by the refocusing width factor (1.2: the refocusing slice is wider)
for the refocusing pulse. The refocusing profile is the 90 degree profile doubled, as MyoQMRI does
(the ratio |beta/alpha| of a 180 degree pulse is singular at the slice centre).
"""

from __future__ import annotations

import numpy as np

from ..config import t2 as cfg
from ..errors import InputError

__all__ = ["sinc_pulse", "pulse_profile", "bin_profile", "slice_profile_angles"]


def sinc_pulse(*, flip_angle: float, tbw: float = cfg.PULSE_TBW, n_samples: int = cfg.PULSE_SAMPLES):
    """Hann-windowed sinc pulse as hard-pulse rotations (radians) summing to ``flip_angle`` deg."""
    t = np.linspace(-tbw / 2.0, tbw / 2.0, n_samples)
    shape = np.hanning(n_samples) * np.sinc(t)
    return np.deg2rad(flip_angle) * shape / shape.sum()


def pulse_profile(
    pulse,
    *,
    n_freq: int = cfg.PROFILE_FREQ_SAMPLES,
    n_keep: int = cfg.PROFILE_KEEP_SAMPLES,
) -> np.ndarray:
    """|beta/alpha| of the Cayley-Klein parameters of a hard-pulse train, across frequency.

    The spinor recursion runs for all ``n_freq`` frequencies in [0, pi) at once: each hard pulse
    rotates (alpha, beta), then free precession between samples multiplies the beta branch by
    ``exp(-i w)``. Only the first ``n_keep`` frequencies (the slice and its edge) are returned.
    """
    w = np.pi * np.arange(n_freq) / n_freq
    zinv = np.exp(-1j * w)
    a = np.ones(n_freq, dtype=complex)
    b = np.zeros(n_freq, dtype=complex)
    for theta in np.asarray(pulse, dtype=complex):
        c = np.cos(abs(theta) / 2.0)
        s = 1j * np.exp(1j * np.angle(theta)) * np.sin(abs(theta) / 2.0)
        a, b = c * a - np.conj(s) * zinv * b, s * a + c * zinv * b
    return np.abs(b[:n_keep] / a[:n_keep])


def bin_profile(profile, n_bins: int, stop: int) -> np.ndarray:
    """Mean of ``profile[:stop]`` in ``n_bins`` consecutive bins of ``ceil(stop / n_bins)``.

    Bins that fall past ``stop`` are 0 (no signal there).
    """
    profile = np.asarray(profile, dtype=float)[:stop]
    size = int(np.ceil(len(profile) / n_bins))
    out = np.zeros(n_bins)
    for i in range(n_bins):
        part = profile[i * size : (i + 1) * size]
        if part.size:
            out[i] = part.mean()
    return out


def slice_profile_angles(
    *,
    excitation_angle: float = cfg.EXCITATION_ANGLE,
    refocusing_angle: float = cfg.REFOCUSING_ANGLE,
    tbw: float = cfg.PULSE_TBW,
    refocusing_width_factor: float = cfg.REFOCUSING_WIDTH_FACTOR,
    n_positions: int = cfg.PROFILE_POSITIONS,
    sampling: str = cfg.PROFILE_SAMPLING,
) -> tuple[np.ndarray, np.ndarray]:
    """Excitation and refocusing flip angles (degrees) at positions across half the slice.

    ``sampling="interpolate"`` evaluates both profiles at ``n_ref`` equally spaced positions,
    the refocusing one stretched by ``refocusing_width_factor``. ``sampling="myoqmri"``
    reproduces MyoQMRI 2.0.2's binning (bins of ``ceil(width / n)`` frequency samples); with its
    default pulse the profile is only ~17 samples wide, so every bin holds one sample and the
    refocusing profile ends up *not* stretched. Use it to compare with MyoQMRI maps.

    Returns
    -------
    excitation, refocusing : ndarray
        Both of length ``round(n_positions * refocusing_width_factor)``; the excitation is 0 in
        the positions past its own slice, which only the wider refocusing pulse reaches.
    """
    if refocusing_width_factor < 1.0:
        raise InputError(f"refocusing_width_factor must be >= 1, got {refocusing_width_factor}")
    n_ref = int(round(n_positions * refocusing_width_factor))
    exc = pulse_profile(sinc_pulse(flip_angle=excitation_angle, tbw=tbw))
    exc = exc / exc.max() * excitation_angle
    stop = int(np.flatnonzero(exc > cfg.PROFILE_CUTOFF_FRACTION * excitation_angle).max())
    half = pulse_profile(sinc_pulse(flip_angle=refocusing_angle / 2.0, tbw=tbw))
    ref = half / half.max() * refocusing_angle
    if sampling == "myoqmri":
        exc_bins = np.zeros(n_ref)
        exc_bins[:n_positions] = bin_profile(exc, n_positions, stop)
        # the same range cut into more bins is meant to stretch the refocusing profile
        return exc_bins, bin_profile(ref, n_ref, stop)
    if sampling != "interpolate":
        raise InputError(f"sampling must be 'interpolate' or 'myoqmri', got {sampling!r}")
    # bin centres across the excitation half-slice [0, stop) and on past it into the part only
    # the wider refocusing pulse reaches
    x = (np.arange(n_ref) + 0.5) * stop / n_positions
    grid = np.arange(exc.size, dtype=float)
    exc_pos = np.interp(x, grid, exc, right=0.0)
    exc_pos[x >= stop] = 0.0
    ref_pos = np.interp(x / refocusing_width_factor, grid, ref, right=0.0)
    return exc_pos, ref_pos
