"""Mono-exponential T2 fitting, vectorised over voxels: ``S(TE) = M0 exp(-TE / T2) (+ offset)``.

Methods (chosen by name from ``METHODS``):

* ``loglinear``: linear regression of ``log S`` on TE (closed form; no offset).
* ``nnls``: a log-spaced grid of T2 values, non-negative amplitude (and offset) solved in closed
  form per grid point, best point refined by a parabola in log T2.
* ``nlls``: Levenberg-Marquardt least squares on the magnitudes, started from ``loglinear``.
"""

from __future__ import annotations

import time

import numpy as np

from ..config import t2 as cfg
from ..errors import InputError
from .fit import AT_BOUND, FIT_FAILED, FITTED, Fit, check_echo_times, select_voxels

__all__ = ["MonoExpModel", "METHODS"]


def _fit_loglinear(te, y, fit_offset):
    if fit_offset:
        raise InputError("method 'loglinear' cannot fit a noise offset; use 'nlls' or 'nnls'")
    with np.errstate(divide="ignore", invalid="ignore"):
        logy = np.log(y)
    ok = np.all(np.isfinite(logy), axis=1)
    logy = np.where(ok[:, None], logy, 0.0)
    tc = te - te.mean()
    slope = (logy - logy.mean(axis=1, keepdims=True)) @ tc / (tc @ tc)
    intercept = logy.mean(axis=1) - slope * te.mean()
    with np.errstate(divide="ignore", over="ignore"):
        t2 = -1.0 / slope
        m0 = np.exp(intercept)
    ok &= slope < 0
    return t2, m0, np.zeros(len(y)), ok


def _fit_nnls(te, y, fit_offset):
    lo, hi, n = cfg.MONO_NNLS_GRID_MS
    grid = np.geomspace(lo, hi, int(n))
    basis = np.exp(-te[None, :] / grid[:, None])  # (G, E)
    p = y @ basis.T  # (m, G)
    bb = np.einsum("ge,ge->g", basis, basis)
    if fit_offset:
        ones = np.ones_like(te)
        s1 = y @ ones
        b1 = basis @ ones
        det = bb * te.size - b1 * b1
        amp = (te.size * p - b1 * s1[:, None]) / det
        off = (bb * s1[:, None] - b1 * p) / det
        both = amp * p + off * s1[:, None]
        # off < 0 is not a noise floor: then the amplitude alone
        score = np.where((amp >= 0) & (off >= 0), both, np.where(p > 0, p * p / bb, 0.0))
    else:
        score = np.where(p > 0, p * p / bb, 0.0)
    k = score.argmax(axis=1)
    rows = np.arange(len(y))
    inner = np.clip(k, 1, grid.size - 2)
    s0, s1_, s2 = score[rows, inner - 1], score[rows, inner], score[rows, inner + 1]
    curv = s0 - 2 * s1_ + s2
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(curv < 0, 0.5 * (s0 - s2) / curv, 0.0)
    u = np.where((k == 0) | (k == grid.size - 1), 0.0, np.clip(u, -1, 1))
    logstep = np.log(grid[1] / grid[0])
    t2 = grid[k] * np.exp(u * logstep)
    return _amplitudes(te, y, t2, fit_offset) + ((k > 0) & (k < grid.size - 1),)


def _amplitudes(te, y, t2, fit_offset):
    """Least-squares M0 (and non-negative offset) for given T2 per voxel."""
    e = np.exp(-te[None, :] / t2[:, None])
    if not fit_offset:
        m0 = np.einsum("me,me->m", e, y) / np.einsum("me,me->m", e, e)
        return t2, m0, np.zeros(len(y))
    n = te.size
    se, sy, see, sey = e.sum(1), y.sum(1), (e * e).sum(1), (e * y).sum(1)
    det = see * n - se * se
    m0 = (n * sey - se * sy) / det
    off = (see * sy - se * sey) / det
    neg = off < 0
    m0 = np.where(neg, sey / see, m0)
    off = np.where(neg, 0.0, off)
    return t2, m0, off


def _fit_nlls(te, y, fit_offset):
    # start from log-linear (robust closed form), then Levenberg-Marquardt on magnitudes
    with np.errstate(all="ignore"):
        t2, m0, _, ok = _fit_loglinear(te, np.maximum(y, 1e-12), False)
    lo, hi = cfg.MONO_T2_BOUNDS_MS
    t2 = np.where(ok & np.isfinite(t2), np.clip(t2, lo, hi), 50.0)
    m0 = np.where(np.isfinite(m0), m0, y[:, 0])
    off = np.zeros(len(y))
    theta = np.stack([m0, 1.0 / t2, off], axis=1)  # R2 parametrisation is better conditioned
    npar = 3 if fit_offset else 2
    theta = theta[:, :npar]

    def model(th):
        e = np.exp(-te[None, :] * th[:, 1:2])
        s = th[:, 0:1] * e
        if npar == 3:
            s = s + th[:, 2:3]
        return s, e

    s, e = model(theta)
    r = y - s
    cost = np.sum(r * r, axis=1)
    lam = np.full(len(y), 1e-3)
    for _ in range(cfg.MONO_MAX_ITER):
        jac = [e, -theta[:, 0:1] * te[None, :] * e] + ([np.ones_like(e)] if npar == 3 else [])
        jac = np.stack(jac, axis=-1)
        jtj = np.einsum("mek,mel->mkl", jac, jac)
        jtr = np.einsum("mek,me->mk", jac, r)
        diag = np.einsum("mkk->mk", jtj)
        a = jtj + lam[:, None, None] * (np.eye(npar) * np.maximum(diag, 1e-300)[:, None, :])
        with np.errstate(all="ignore"):
            delta = np.linalg.solve(a, jtr[..., None])[..., 0]
        trial = theta + np.nan_to_num(delta)
        trial[:, 1] = np.clip(trial[:, 1], 1.0 / hi, 1.0 / lo)
        if npar == 3:
            trial[:, 2] = np.maximum(trial[:, 2], 0.0)
        s_t, e_t = model(trial)
        r_t = y - s_t
        c_t = np.sum(r_t * r_t, axis=1)
        better = np.isfinite(c_t) & (c_t < cost)
        theta = np.where(better[:, None], trial, theta)
        e = np.where(better[:, None], e_t, e)
        r = np.where(better[:, None], r_t, r)
        cost = np.where(better, c_t, cost)
        lam = np.where(better, lam / 3.0, lam * 4.0)
        if np.all(lam > 1e12):  # no voxel can improve any more
            break
    t2 = 1.0 / theta[:, 1]
    inside = (t2 > lo * 1.0001) & (t2 < hi * 0.9999)
    return t2, theta[:, 0], (theta[:, 2] if npar == 3 else np.zeros(len(y))), inside


#: Fitting methods by name: f(te, y, fit_offset) -> (t2, m0, offset, ok_or_inside).
METHODS = {"loglinear": _fit_loglinear, "nnls": _fit_nnls, "nlls": _fit_nlls}


class MonoExpModel:
    """Mono-exponential T2 model.

    Parameters
    ----------
    echo_times : sequence of float
        Echo times in ms.
    method : {"loglinear", "nnls", "nlls"}
    drop_first_echo : bool
        Leave the first echo out (it lacks stimulated-echo contributions).
    fit_offset : bool
        Fit a constant noise offset (``nnls``, ``nlls``).
    noise_threshold : float or None
        Voxels whose maximum is below it are not fitted; None = automatic.

    Examples
    --------
    >>> te = np.array([10.0, 20.0, 30.0, 40.0])
    >>> fit = MonoExpModel(te).fit(100 * np.exp(-te / 35.0)[None])
    >>> round(float(fit.t2[0]), 6)
    35.0
    """

    def __init__(
        self,
        echo_times,
        *,
        method: str = cfg.MONO_METHOD,
        drop_first_echo: bool = False,
        fit_offset: bool = False,
        noise_threshold=cfg.NOISE_THRESHOLD,
        source: str | None = None,
    ):
        self.echo_times = check_echo_times(echo_times, source=source)
        if method not in METHODS:
            raise InputError(f"unknown mono-exponential method {method!r}; choose from {sorted(METHODS)}")
        if fit_offset and method == "loglinear":
            raise InputError("method 'loglinear' cannot fit a noise offset; use 'nlls' or 'nnls'")
        self.method = method
        self.drop_first_echo = bool(drop_first_echo)
        self.fit_offset = bool(fit_offset)
        self.noise_threshold = noise_threshold
        self.source = source
        n_used = self.echo_times.size - int(self.drop_first_echo)
        if n_used < cfg.MIN_ECHOES:
            raise InputError(f"{n_used} echoes left to fit after dropping the first; at least {cfg.MIN_ECHOES} needed")

    def settings(self) -> dict:
        """JSON-serialisable description of the model settings."""
        return dict(
            model="mono",
            method=self.method,
            echo_times_ms=self.echo_times.tolist(),
            drop_first_echo=self.drop_first_echo,
            fit_offset=self.fit_offset,
        )

    def fit(self, data, mask=None) -> Fit:
        """Fit every voxel of ``data`` (..., n_echoes) inside ``mask``."""
        t0 = time.perf_counter()
        data = np.asarray(data)
        check_echo_times(self.echo_times, data.shape[-1], source=self.source)
        flat, status, threshold = select_voxels(data, mask, self.noise_threshold)
        shape = data.shape[:-1]
        sel = slice(1, None) if self.drop_first_echo else slice(None)
        te = self.echo_times[sel]
        todo = np.flatnonzero(status == FITTED)
        n = flat.shape[0]
        maps = {k: np.zeros(n) for k in ("t2", "m0", "res", "off")}
        if todo.size:
            y = flat[todo][:, sel]
            t2, m0, off, inside = METHODS[self.method](te, y, self.fit_offset)
            with np.errstate(all="ignore"):
                pred = m0[:, None] * np.exp(-te[None, :] / t2[:, None]) + off[:, None]
                res = np.sqrt(np.mean((y - pred) ** 2, axis=1))
            good = np.isfinite(t2) & (t2 > 0) & np.isfinite(m0) & (m0 > 0) & np.isfinite(res)
            if self.method == "loglinear":
                inside = good.copy()
            ids = todo[good]
            maps["t2"][ids], maps["m0"][ids] = t2[good], m0[good]
            maps["off"][ids], maps["res"][ids] = off[good], res[good]
            status[todo[~good]] = FIT_FAILED
            status[todo[good & ~inside]] = AT_BOUND
        settings = self.settings()
        settings.update(noise_threshold=threshold, seconds=round(time.perf_counter() - t0, 3))
        free = ["t2", "m0"] + (["offset"] if self.fit_offset else [])
        return Fit(
            t2=maps["t2"].reshape(shape),
            m0=maps["m0"].reshape(shape),
            residual=maps["res"].reshape(shape),
            status=status.reshape(shape),
            offset=maps["off"].reshape(shape) if self.fit_offset else None,
            free_parameters=free,
            settings=settings,
        )
