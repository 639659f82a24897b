"""The numpy formulation of the EPG grid scores and the Levenberg-Marquardt refinement, batched over
voxels: the reference the compiled kernels (``myomri.t2._kernels``) are checked against.

It is myomri's own earlier implementation (before the kernels), kept here as a test oracle.
"""

from __future__ import annotations

import numpy as np

MAX_OFFSET = 1.5
MAX_RECENTRE = 4


def _scores(p, q, ww, wf, ff_, phi):
    """Explained energy for projections ``p = w.y`` (m, T, B), ``q = f.y`` (m, 1, B)."""
    if phi is None:
        det = ww * ff_ - wf * wf
        a = (ff_ * p - wf * q) / det
        b = (ww * q - wf * p) / det
        both = a * p + b * q
        e_w = np.where(p > 0, p * p / ww, 0.0)
        e_f = np.where(q > 0, q * q / ff_, 0.0)
        return np.where((a >= 0) & (b >= 0), both, np.maximum(e_w, e_f))
    phi = phi[:, None, None]
    sy = (1 - phi) * p + phi * q
    ss = (1 - phi) ** 2 * ww + 2 * phi * (1 - phi) * wf + phi**2 * ff_
    return np.where(sy > 0, sy * sy / ss, 0.0)



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
        raise ValueError(f"unknown objective {objective!r}")
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


# --- the EPG recursion, vectorised over atoms with numpy complex arrays ---


def _rf(fp, fm, z, alpha, phi):
    """Apply an RF rotation of flip ``alpha`` and phase ``phi`` (radians) to all states."""
    c2 = np.cos(alpha / 2.0) ** 2
    s2 = np.sin(alpha / 2.0) ** 2
    sa = np.sin(alpha)
    ca = np.cos(alpha)
    e1 = np.exp(1j * phi)
    e2 = np.exp(2j * phi)
    fp_new = c2 * fp + e2 * s2 * fm - 1j * e1 * sa * z
    fm_new = np.conj(e2) * s2 * fp + c2 * fm + 1j * np.conj(e1) * sa * z
    z_new = -0.5j * np.conj(e1) * sa * fp + 0.5j * e1 * sa * fm + ca * z
    return fp_new, fm_new, z_new


def _shift(fp, fm):
    """One unit of gradient dephasing: F+ moves up one order, F- moves down one order."""
    fp = np.roll(fp, 1, axis=-1)
    fm = np.roll(fm, -1, axis=-1)
    fm[..., -1] = 0.0
    fp[..., 0] = np.conj(fm[..., 0])
    return fp, fm


def epg_cpmg(
    t2,
    *,
    esp: float,
    n_echoes: int,
    t1=1400.0,
    b1=1.0,
    refocusing_angle=180.0,
    excitation_angle=90.0,
) -> np.ndarray:
    """The EPG echo train (see ``myomri.t2.epg.epg_cpmg``), with numpy complex arrays over all atoms."""
    if n_echoes < 1:
        raise ValueError(f"n_echoes must be >= 1, got {n_echoes}")
    if esp <= 0:
        raise ValueError(f"esp must be > 0 ms, got {esp}")
    t2, t1, b1, ref, exc = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (t2, t1, b1, refocusing_angle, excitation_angle))
    )
    shape = t2.shape
    e2 = np.exp(-0.5 * esp / t2)[..., np.newaxis]
    e1 = np.exp(-0.5 * esp / t1)[..., np.newaxis]
    alpha_ref = (np.deg2rad(ref) * b1)[..., np.newaxis]
    alpha_exc = (np.deg2rad(exc) * b1)[..., np.newaxis]
    n_states = 2 * n_echoes + 2
    fp = np.zeros(shape + (n_states,), dtype=complex)
    fm = np.zeros_like(fp)
    z = np.zeros_like(fp)
    z[..., 0] = 1.0
    fp, fm, z = _rf(fp, fm, z, alpha_exc, np.pi / 2.0)
    out = np.empty(shape + (n_echoes,), dtype=float)
    e1_recovery = 1.0 - e1[..., 0]

    def relax(fp, fm, z):
        fp = fp * e2
        fm = fm * e2
        z = z * e1
        z[..., 0] += e1_recovery
        return fp, fm, z

    for n in range(n_echoes):
        fp, fm, z = relax(fp, fm, z)
        fp, fm = _shift(fp, fm)
        fp, fm, z = _rf(fp, fm, z, alpha_ref, 0.0)
        fp, fm, z = relax(fp, fm, z)
        fp, fm = _shift(fp, fm)
        out[..., n] = np.abs(fp[..., 0])
    return out
