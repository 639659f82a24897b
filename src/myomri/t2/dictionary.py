"""EPG signal dictionaries of water and fat on a (T2, B1) grid, optionally slice-profile weighted.

A voxel signal is modelled as ``y = a * water(T2, B1) + b * fat(B1)`` with ``a, b >= 0``; the fat
fraction is ``b / (a + b)`` and M0 ``a + b``. Each component is the EPG echo train for M0 = 1
(averaged over the excited positions when the slice profile is used), so FF is a proton-density
fat fraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import t2 as cfg
from ..errors import InputError
from .epg import epg_cpmg
from .slice_profile import slice_profile_angles

__all__ = ["EPGDictionary", "simulate_cpmg", "build_dictionary", "grid_from_spec"]


def grid_from_spec(spec) -> np.ndarray:
    """``(start, stop, n)`` -> ``linspace``; an explicit sequence is returned as an array."""
    spec = tuple(spec)
    if len(spec) == 3 and float(spec[2]).is_integer() and spec[2] >= 3 and spec[1] > spec[0]:
        return np.linspace(float(spec[0]), float(spec[1]), int(spec[2]))
    grid = np.asarray(spec, dtype=float)
    if grid.ndim != 1 or grid.size < 3 or np.any(np.diff(grid) <= 0):
        raise InputError(f"grid must be (start, stop, n>=3) or >= 3 increasing values, got {spec}")
    return grid


def simulate_cpmg(
    t2,
    *,
    esp: float,
    n_echoes: int,
    t1,
    b1,
    slice_profile: tuple[np.ndarray, np.ndarray] | None = None,
    excitation_angle: float = cfg.EXCITATION_ANGLE,
    refocusing_angle: float = cfg.REFOCUSING_ANGLE,
) -> np.ndarray:
    """CPMG echo train for M0 = 1, with or without a slice profile.

    ``slice_profile`` is ``(excitation_deg, refocusing_deg)`` at positions across the slice; the
    echo is the mean over the positions the excitation reaches (the wider refocusing pulse alone
    makes no signal). Without it, the nominal flips are used.
    """
    t2, t1, b1 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t2, t1, b1)))
    if slice_profile is None:
        return epg_cpmg(
            t2,
            esp=esp,
            n_echoes=n_echoes,
            t1=t1,
            b1=b1,
            refocusing_angle=refocusing_angle,
            excitation_angle=excitation_angle,
        )
    exc, ref = (np.asarray(p, dtype=float) for p in slice_profile)
    keep = exc > 0
    exc, ref = exc[keep], ref[keep]
    s = epg_cpmg(
        t2[..., None],
        esp=esp,
        n_echoes=n_echoes,
        t1=t1[..., None],
        b1=b1[..., None],
        refocusing_angle=ref,
        excitation_angle=exc,
    )
    return s.mean(axis=-2)


@dataclass
class EPGDictionary:
    """Water atoms ``(n_t2, n_b1, n_echoes)`` and fat atoms ``(n_b1, n_echoes)`` on a grid."""

    t2_grid: np.ndarray
    b1_grid: np.ndarray
    water: np.ndarray
    fat: np.ndarray
    fat_t2: float


def build_dictionary(
    *,
    esp: float,
    n_echoes: int,
    t2_grid=cfg.T2_GRID_MS,
    b1_grid=cfg.B1_GRID,
    fat_t2: float = cfg.FAT_T2_MS,
    t1_water: float = cfg.T1_WATER_MS,
    t1_fat: float = cfg.T1_FAT_MS,
    slice_profile: tuple[np.ndarray, np.ndarray] | None = None,
    excitation_angle: float = cfg.EXCITATION_ANGLE,
    refocusing_angle: float = cfg.REFOCUSING_ANGLE,
) -> EPGDictionary:
    """Simulate every water (T2, B1) atom and every fat (B1) atom in one vectorised EPG call."""
    t2s = grid_from_spec(t2_grid)
    b1s = grid_from_spec(b1_grid)
    common: dict[str, Any] = dict(
        esp=esp,
        n_echoes=n_echoes,
        slice_profile=slice_profile,
        excitation_angle=excitation_angle,
        refocusing_angle=refocusing_angle,
    )
    water = simulate_cpmg(t2s[:, None], t1=t1_water, b1=b1s[None, :], **common)
    fat = simulate_cpmg(float(fat_t2), t1=t1_fat, b1=b1s, **common)
    return EPGDictionary(t2s, b1s, water, fat, float(fat_t2))


def default_slice_profile(*, sampling: str = cfg.PROFILE_SAMPLING, **kwargs):
    """The MyoQMRI-like Hann-sinc TBW 2 profile pair (see ``slice_profile_angles``)."""
    return slice_profile_angles(sampling=sampling, **kwargs)
