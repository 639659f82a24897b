"""Common parts of the T2 models: the ``Fit`` result, voxel status codes, input checks.

Models follow DIPY: ``Model(echo_times, **settings).fit(data, mask=None) -> Fit``. ``data`` is an
array ``(..., n_echoes)``; the Fit holds maps of shape ``data.shape[:-1]`` as attributes. Voxels
that are not fitted hold 0 in every map and carry a status code saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import t2 as cfg
from ..errors import EchoTimeError, InputError, MaskError
from ..io.read import validate_echo_times

__all__ = [
    "STATUS_NAMES",
    "FITTED",
    "OUTSIDE_MASK",
    "BELOW_NOISE",
    "INVALID_DATA",
    "FIT_FAILED",
    "AT_BOUND",
    "Fit",
    "check_echo_times",
    "check_uniform_spacing",
    "select_voxels",
]

#: Per-voxel status codes (``Fit.status``).
FITTED, OUTSIDE_MASK, BELOW_NOISE, INVALID_DATA, FIT_FAILED, AT_BOUND = 0, 1, 2, 3, 4, 5
STATUS_NAMES = {
    FITTED: "fitted",
    OUTSIDE_MASK: "outside_mask",
    BELOW_NOISE: "below_noise",
    INVALID_DATA: "invalid_data",  # NaN/inf or negative samples
    FIT_FAILED: "failed",
    AT_BOUND: "fitted_at_bound",  # fitted, but a parameter sits on the edge of its search range
}


@dataclass
class Fit:
    """Maps of one model fit (shape ``data.shape[:-1]``); unfitted voxels are 0.

    Attributes
    ----------
    t2 : ndarray
        T2 in ms (water T2 for the EPG model).
    m0 : ndarray
        Signal amplitude extrapolated to TE = 0 (water + fat for EPG).
    residual : ndarray
        Root-mean-square residual over the fitted echoes (signal units).
    status : ndarray of int8
        One of the codes in ``STATUS_NAMES`` per voxel.
    ff, b1 : ndarray or None
        Fat fraction (0-1) and relative B1 (EPG model only).
    offset : ndarray or None
        Fitted noise offset (mono-exponential with ``fit_offset=True``).
    free_parameters : list of str
        Parameters estimated per voxel (the others were fixed; see ``settings``).
    settings : dict
        Model settings (JSON-serialisable), including derived values such as the noise threshold.
    """

    t2: np.ndarray
    m0: np.ndarray
    residual: np.ndarray
    status: np.ndarray
    ff: np.ndarray | None = None
    b1: np.ndarray | None = None
    offset: np.ndarray | None = None
    free_parameters: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Number of voxels per status name."""
        return {name: int(np.count_nonzero(self.status == code)) for code, name in STATUS_NAMES.items()}

    @property
    def fitted(self) -> np.ndarray:
        """Boolean map of voxels that hold fitted values (including those at a bound)."""
        return (self.status == FITTED) | (self.status == AT_BOUND)


def check_echo_times(echo_times, n_echoes: int | None = None, *, source: str | None = None) -> np.ndarray:
    """Validate echo times (ms): at least 3, finite, positive, strictly increasing, right count."""
    where = f"{source}: " if source else ""
    tes = np.asarray(echo_times, dtype=float).ravel()
    if n_echoes is not None and tes.size != n_echoes:
        raise EchoTimeError(
            f"{where}{tes.size} echo times given but the data has {n_echoes} echoes "
            "(last axis); expected one echo time per echo"
        )
    if tes.size < cfg.MIN_ECHOES:
        raise EchoTimeError(f"{where}{tes.size} echo(es) found, at least {cfg.MIN_ECHOES} are needed to fit T2")
    tes = validate_echo_times(tes, source=source)
    return tes


def check_uniform_spacing(tes: np.ndarray, *, source: str | None = None) -> float:
    """Echo spacing of a CPMG train (TE_n = n * ESP), or EchoTimeError."""
    esp = float(tes[0])
    expected = esp * np.arange(1, tes.size + 1)
    if not np.allclose(tes, expected, rtol=cfg.ECHO_SPACING_RTOL, atol=0):
        where = f"{source}: " if source else ""
        raise EchoTimeError(
            f"{where}echo times {tes.tolist()} ms are not a CPMG train TE_n = n x {esp:g} ms, "
            "which the EPG model needs; the mono-exponential model fits other echo trains"
        )
    return esp


def select_voxels(data: np.ndarray, mask, noise_threshold, *, auto_fraction=cfg.NOISE_AUTO_FRACTION):
    """Flatten ``data`` to (n_voxels, n_echoes) and decide which voxels to fit.

    Returns
    -------
    flat : ndarray (n_voxels, n_echoes) float64
    status : ndarray (n_voxels,) int8, FITTED for the voxels to fit
    threshold : float, the noise threshold used
    """
    data = np.asarray(data)
    if data.ndim < 2:
        raise InputError(f"data must be (..., n_echoes), got shape {data.shape}")
    flat = data.reshape(-1, data.shape[-1]).astype(float, copy=False)
    status = np.zeros(flat.shape[0], dtype=np.int8)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != data.shape[:-1]:
            raise MaskError(f"mask shape {mask.shape} does not match the data grid {data.shape[:-1]}")
        inside = mask.reshape(-1) != 0
        if not inside.any():
            raise MaskError("mask is empty (no non-zero voxel): nothing to fit")
        status[~inside] = OUTSIDE_MASK
    finite = np.all(np.isfinite(flat), axis=1)
    if not finite.any():
        raise InputError("every voxel holds NaN or infinite values: nothing can be fitted")
    invalid = ~finite | np.any(flat < 0, axis=1)
    status[invalid & (status == FITTED)] = INVALID_DATA
    vmax = np.where(finite, np.max(np.where(np.isfinite(flat), flat, 0.0), axis=1), 0.0)
    if not np.any(vmax[status == FITTED] > 0):
        raise InputError("all voxels to be fitted are zero (an empty or all-zero volume): expected a multi-echo signal")
    if noise_threshold is None:
        ref = vmax[(status == FITTED) & (vmax > 0)]
        threshold = auto_fraction * float(np.percentile(ref, cfg.NOISE_AUTO_PERCENTILE))
    else:
        threshold = float(noise_threshold)
    # voxels whose maximum is 0 carry no signal at all, whatever the threshold
    status[(status == FITTED) & ((vmax < threshold) | (vmax <= 0))] = BELOW_NOISE
    return flat, status, threshold
