"""Continuous Levenberg-Marquardt refinement of (water T2, B1, FF) for all voxels at once.

Two criteria: ``lsq`` (least squares on magnitudes with a free M0) and ``myoqmri``, which
compares squared signals normalised to their first echo, ``(y / y_1)^2`` against
``(s / s_1)^2`` (what MyoQMRI 2.0.2 minimises over its dictionary). Both start from the
dictionary match, so the minimum lies within about one grid cell: each voxel's 3 x 3 block of
water atoms around its match (and 3 fat atoms) is turned once into a biquadratic polynomial in
the cell offsets (u, v), which gives signals and exact derivatives for every iteration without
touching the dictionary again. Iterations are batched 3 x 3 / 4 x 4 solves over voxels.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["CellModel", "refine_lm", "atoms_at"]

#: how far (in cells) the refinement may move from the matched grid point
MAX_OFFSET = 1.5
#: how many times a voxel's cell may be re-centred when the minimum lies further away
MAX_RECENTRE = 4


class CellModel:
    """Biquadratic model of the atoms around each voxel's matched grid point."""

    def __init__(self, water, fat, t2_grid, b1_grid, t2, b1):
        nt, nb = t2_grid.size, b1_grid.size
        self.dt, self.db = t2_grid[1] - t2_grid[0], b1_grid[1] - b1_grid[0]
        self.it = np.clip(np.rint((t2 - t2_grid[0]) / self.dt).astype(int), 1, nt - 2)
        self.ib = np.clip(np.rint((b1 - b1_grid[0]) / self.db).astype(int), 1, nb - 2)
        self.t2c, self.b1c = t2_grid[self.it], b1_grid[self.ib]
        off = np.array([-1, 0, 1])
        block = water[self.it[:, None, None] + off[None, :, None], self.ib[:, None, None] + off[None, None, :]]
        # cw[m, p, q, e]: coefficient of u^p v^q; cf[m, q, e]: coefficient of v^q
        self.cw = _to_poly(_to_poly(block, 1), 2)
        self.cf = _to_poly(fat[self.ib[:, None] + off[None, :]], 1)
        # parameter bounds in cell units, also inside the dictionary range
        self.u_lo = np.maximum(-MAX_OFFSET, (t2_grid[0] - self.t2c) / self.dt)
        self.u_hi = np.minimum(MAX_OFFSET, (t2_grid[-1] - self.t2c) / self.dt)
        self.v_lo = np.maximum(-MAX_OFFSET, (b1_grid[0] - self.b1c) / self.db)
        self.v_hi = np.minimum(MAX_OFFSET, (b1_grid[-1] - self.b1c) / self.db)

    def subset(self, idx):
        new = object.__new__(CellModel)
        for k, v in self.__dict__.items():
            new.__dict__[k] = v[idx] if isinstance(v, np.ndarray) else v
        return new

    def signal(self, u, v, ff, *, jac=False):
        """Mixed signal (m, E) and, with ``jac``, its derivatives w.r.t. (u, v, ff): (m, E, 3)."""
        u, v, g = u[:, None, None], v[:, None, None], ff[:, None]
        cw, cf = self.cw, self.cf
        wq = cw[:, 0] + u * (cw[:, 1] + u * cw[:, 2])  # (m, q, E): polynomial in v left
        v2 = v[:, 0]
        w = wq[:, 0] + v2 * (wq[:, 1] + v2 * wq[:, 2])
        f = cf[:, 0] + v2 * (cf[:, 1] + v2 * cf[:, 2])
        s = (1.0 - g) * w + g * f
        if not jac:
            return s
        wq_u = cw[:, 1] + 2.0 * u * cw[:, 2]
        w_u = wq_u[:, 0] + v2 * (wq_u[:, 1] + v2 * wq_u[:, 2])
        w_v = wq[:, 1] + 2.0 * v2 * wq[:, 2]
        f_v = cf[:, 1] + 2.0 * v2 * cf[:, 2]
        ds = np.stack([(1.0 - g) * w_u, (1.0 - g) * w_v + g * f_v, f - w], axis=-1)
        return s, ds


def _to_poly(values, axis):
    """Values at offsets (-1, 0, 1) along ``axis`` -> coefficients of (1, u, u^2)."""
    lo, mid, hi = (np.take(values, k, axis=axis) for k in range(3))
    return np.stack([mid, 0.5 * (hi - lo), 0.5 * (hi + lo) - mid], axis=axis)


def _lsq(cell, y, th, jac):
    """r = y - m0 s; parameters (u, v, ff, m0)."""
    out = cell.signal(th[:, 0], th[:, 1], th[:, 2], jac=jac)
    m0 = th[:, 3:4]
    if not jac:
        return y - m0 * out
    s, ds = out
    j = np.concatenate([-m0[..., None] * ds, -s[..., None]], axis=-1)
    return y - m0 * s, j


def _myoqmri(cell, yn, th, jac):
    """r = (y/y1)^2 - (s/s1)^2; parameters (u, v, ff)."""
    out = cell.signal(th[:, 0], th[:, 1], th[:, 2], jac=jac)
    s, ds = out if jac else (out, None)
    q = s / s[:, :1]
    r = yn - q * q
    if not jac:
        return r
    dq = (ds - q[..., None] * ds[:, :1, :]) / s[:, :1, None]
    return r, -2.0 * q[..., None] * dq


def refine_lm(
    y,
    water,
    fat,
    t2_grid,
    b1_grid,
    t2,
    b1,
    ff,
    *,
    objective="lsq",
    fix_ff=False,
    n_iter=20,
    _depth=0,
):
    """Levenberg-Marquardt on (t2, b1, ff) (and M0 for ``lsq``) of all voxels, from the start.

    Returns refined ``t2, b1, ff, m0_or_None, cost`` (each (m,)); ``m0`` is the fitted amplitude
    for ``lsq`` and None for ``myoqmri`` (that criterion has no amplitude).
    """
    cell = CellModel(water, fat, t2_grid, b1_grid, t2, b1)
    u0 = (t2 - cell.t2c) / cell.dt
    v0 = (b1 - cell.b1c) / cell.db
    cols = [np.clip(u0, cell.u_lo, cell.u_hi), np.clip(v0, cell.v_lo, cell.v_hi), np.clip(ff, 0, 1)]
    if objective == "lsq":
        s = cell.signal(*cols)
        cols.append(np.maximum(np.einsum("me,me->m", s, y) / np.einsum("me,me->m", s, s), 0.0))
        resid, target = _lsq, y
    elif objective == "myoqmri":
        with np.errstate(divide="ignore", invalid="ignore"):
            target = (y / y[:, :1]) ** 2
        resid = _myoqmri
    else:
        raise InputError(f"unknown objective {objective!r}")
    theta = np.stack(cols, axis=1)
    npar = theta.shape[1]
    zeros, ones = np.zeros(len(y)), np.ones(len(y))
    lo = np.stack([cell.u_lo, cell.v_lo, zeros] + ([zeros] if npar == 4 else []), 1)
    hi = np.stack([cell.u_hi, cell.v_hi, ones] + ([np.full(len(y), np.inf)] if npar == 4 else []), 1)
    with np.errstate(all="ignore"):
        r = resid(cell, target, theta, False)
    cost = np.sum(r * r, axis=1)
    lam = np.full(len(y), 1e-3)
    eye = np.eye(npar)
    active = np.isfinite(cost)
    for _ in range(n_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        sub = cell.subset(idx)
        th, tg = theta[idx], target[idx]
        with np.errstate(all="ignore"):
            rr, jac = resid(sub, tg, th, True)
        if fix_ff:
            jac[..., 2] = 0.0
        jtj = np.einsum("mek,mel->mkl", jac, jac)
        jtr = np.einsum("mek,me->mk", jac, rr)
        diag = np.einsum("mkk->mk", jtj)
        a = jtj + lam[idx, None, None] * (eye * np.maximum(diag, 1e-12)[:, None, :])
        with np.errstate(all="ignore"):
            delta = -np.linalg.solve(a, jtr[..., None])[..., 0]
        trial = np.clip(th + np.nan_to_num(delta), lo[idx], hi[idx])
        with np.errstate(all="ignore"):
            r_t = resid(sub, tg, trial, False)
        c_t = np.sum(r_t * r_t, axis=1)
        better = np.isfinite(c_t) & (c_t < cost[idx])
        gain = np.where(better, cost[idx] - c_t, 0.0)
        theta[idx[better]] = trial[better]
        cost[idx[better]] = c_t[better]
        lam[idx] = np.where(better, lam[idx] / 3.0, lam[idx] * 4.0)
        # converged: negligible improvement, or no step accepted even with strong damping
        done = (better & (gain <= 1e-7 * cost[idx])) | (lam[idx] > 1e4)
        active[idx[done]] = False
    t2_out = cell.t2c + theta[:, 0] * cell.dt
    b1_out = cell.b1c + theta[:, 1] * cell.db
    m0 = theta[:, 3] if npar == 4 else None
    # a voxel stopped at the edge of its cell (not of the dictionary) was started far from its
    # minimum, e.g. along the T2-B1 valley: re-centre its cell there and continue
    tol = 0.02  # LM with clipped steps stalls just short of the cell edge

    def at_cell_edge(x, lo, hi):
        # the cell limit, not the end of the dictionary range
        return ((x >= MAX_OFFSET - tol) & (hi >= MAX_OFFSET - 1e-9)) | (
            (x <= -MAX_OFFSET + tol) & (lo <= -MAX_OFFSET + 1e-9)
        )

    edge = at_cell_edge(theta[:, 0], cell.u_lo, cell.u_hi) | at_cell_edge(theta[:, 1], cell.v_lo, cell.v_hi)
    if edge.any() and _depth < MAX_RECENTRE:
        e = np.flatnonzero(edge)
        again = refine_lm(
            y[e],
            water,
            fat,
            t2_grid,
            b1_grid,
            t2_out[e],
            b1_out[e],
            theta[e, 2],
            objective=objective,
            fix_ff=fix_ff,
            n_iter=n_iter,
            _depth=_depth + 1,
        )
        take = again[4] < cost[e]
        t2_out[e[take]], b1_out[e[take]] = again[0][take], again[1][take]
        theta[e[take], 2], cost[e[take]] = again[2][take], again[4][take]
        if m0 is not None:
            m0[e[take]] = again[3][take]
    return t2_out, b1_out, theta[:, 2], m0, cost


def atoms_at(water, fat, t2_grid, b1_grid, t2, b1):
    """Water and fat echo trains (m, E) at continuous (t2, b1), biquadratic between grid points."""
    cell = CellModel(water, fat, t2_grid, b1_grid, t2, b1)
    u, v = (t2 - cell.t2c) / cell.dt, (b1 - cell.b1c) / cell.db
    return cell.signal(u, v, np.zeros_like(u)), cell.signal(u, v, np.ones_like(u))
