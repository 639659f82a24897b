"""numba kernels of the EPG fit: the grid match (``best_atoms``) and Levenberg-Marquardt
refinement (``lm_refine``), one voxel at a time with no temporaries over the whole chunk.

They compute what the numpy formulation in ``matching`` and ``refine`` describes, in the same
arithmetic order per voxel: the grid scores in single precision (bit-identical to the numpy
expression, so the matched grid point is the same), the refinement in double precision (the
batched LAPACK solve is replaced by Gaussian elimination with partial pivoting on the 3 x 3 or
4 x 4 normal equations, which agrees to rounding). Every voxel is independent, so a voxel's
result does not depend on the chunk or slab it is fitted in.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["best_atoms", "lm_refine", "LSQ", "MYOQMRI"]

#: objective codes of ``lm_refine``
LSQ, MYOQMRI = 0, 1


@njit(cache=True, nogil=True)
def _score(p, q, ww, wf, ff_, phi, has_phi):
    """Explained energy of one voxel at one grid point (float32, as ``matching._scores``)."""
    zero = np.float32(0.0)
    if has_phi:
        one = np.float32(1.0)
        two = np.float32(2.0)
        sy = (one - phi) * p + phi * q
        ss = (one - phi) ** 2 * ww + two * phi * (one - phi) * wf + phi * phi * ff_
        return sy * sy / ss if sy > zero else zero
    det = ww * ff_ - wf * wf
    a = (ff_ * p - wf * q) / det
    b = (ww * q - wf * p) / det
    if a >= zero and b >= zero:
        return a * p + b * q
    e_w = p * p / ww if p > zero else zero
    e_f = q * q / ff_ if q > zero else zero
    return max(e_w, e_f)


@njit(cache=True, nogil=True)
def best_atoms(p, q, ww, wf, ff_, phi, has_phi):
    """Best grid point of every voxel and the scores of its 3 x 3 neighbourhood.

    Parameters
    ----------
    p : (m, T, B) water projections; q : (m, B) fat projections (double precision, rounded to
    single on reading: see ``matching.match_chunk``)
    ww, wf : float32 (T, B); ff_ : float32 (B,) atom inner products
    phi : float32 (m,) fixed fat fractions (read only when ``has_phi``)

    Returns
    -------
    it, ib : int64 (m,) grid indices of the first maximum (NaN scores never win, as in argmax
    they would: such a voxel is rejected downstream); e3 : float64 (m, 3, 3) the scores at the
    neighbours, indices clipped to the grid.
    """
    m, nt, nb = p.shape
    it = np.zeros(m, np.int64)
    ib = np.zeros(m, np.int64)
    e3 = np.zeros((m, 3, 3))
    for k in range(m):
        best = -np.inf
        bt, bb = 0, 0
        nan = False
        for t in range(nt):
            for b in range(nb):
                e = _score(np.float32(p[k, t, b]), np.float32(q[k, b]), ww[t, b], wf[t, b], ff_[b], phi[k], has_phi)
                if np.isnan(e):
                    if not nan:  # numpy's argmax returns the first NaN
                        nan, bt, bb = True, t, b
                elif not nan and e > best:
                    best, bt, bb = e, t, b
        it[k], ib[k] = bt, bb
        for i in range(3):
            t = min(max(bt + i - 1, 0), nt - 1)
            for j in range(3):
                b = min(max(bb + j - 1, 0), nb - 1)
                e3[k, i, j] = _score(np.float32(p[k, t, b]), np.float32(q[k, b]), ww[t, b], wf[t, b], ff_[b], phi[k],
                                     has_phi)  # fmt: skip
    return it, ib, e3


@njit(cache=True, nogil=True)
def _cell(water, fat, it, ib, cw, cf):
    """Biquadratic coefficients of the atoms around grid point (it, ib) into cw (3, 3, E), cf (3, E)."""
    ne = water.shape[2]
    tmp = np.empty((3, 3, ne))
    for j in range(3):  # first along T2 (offsets -1, 0, 1 -> 1, u, u^2), as refine._to_poly
        for e in range(ne):
            lo, mid, hi = water[it - 1, ib + j - 1, e], water[it, ib + j - 1, e], water[it + 1, ib + j - 1, e]
            tmp[0, j, e] = mid
            tmp[1, j, e] = 0.5 * (hi - lo)
            tmp[2, j, e] = 0.5 * (hi + lo) - mid
    for p in range(3):  # then along B1
        for e in range(ne):
            lo, mid, hi = tmp[p, 0, e], tmp[p, 1, e], tmp[p, 2, e]
            cw[p, 0, e] = mid
            cw[p, 1, e] = 0.5 * (hi - lo)
            cw[p, 2, e] = 0.5 * (hi + lo) - mid
    for e in range(ne):
        lo, mid, hi = fat[ib - 1, e], fat[ib, e], fat[ib + 1, e]
        cf[0, e] = mid
        cf[1, e] = 0.5 * (hi - lo)
        cf[2, e] = 0.5 * (hi + lo) - mid


@njit(cache=True, nogil=True)
def _signal(cw, cf, u, v, g, s, ds, jac):
    """Mixed signal into s (E,) and, with ``jac``, d/d(u, v, ff) into ds (E, 3) (as CellModel.signal)."""
    for e in range(s.size):
        wq0 = cw[0, 0, e] + u * (cw[1, 0, e] + u * cw[2, 0, e])
        wq1 = cw[0, 1, e] + u * (cw[1, 1, e] + u * cw[2, 1, e])
        wq2 = cw[0, 2, e] + u * (cw[1, 2, e] + u * cw[2, 2, e])
        w = wq0 + v * (wq1 + v * wq2)
        f = cf[0, e] + v * (cf[1, e] + v * cf[2, e])
        s[e] = (1.0 - g) * w + g * f
        if jac:
            u0 = cw[1, 0, e] + 2.0 * u * cw[2, 0, e]
            u1 = cw[1, 1, e] + 2.0 * u * cw[2, 1, e]
            u2 = cw[1, 2, e] + 2.0 * u * cw[2, 2, e]
            ds[e, 0] = (1.0 - g) * (u0 + v * (u1 + v * u2))
            ds[e, 1] = (1.0 - g) * (wq1 + 2.0 * v * wq2) + g * (cf[1, e] + 2.0 * v * cf[2, e])
            ds[e, 2] = f - w


@njit(cache=True, nogil=True)
def _residual(cw, cf, th, target, objective, r, jm, jac, s, ds):
    """Residuals into r (E,) and, with ``jac``, their Jacobian into jm (E, npar); returns the cost."""
    _signal(cw, cf, th[0], th[1], th[2], s, ds, jac)
    cost = 0.0
    ne = s.size
    if objective == LSQ:
        m0 = th[3]
        for e in range(ne):
            r[e] = target[e] - m0 * s[e]
            cost += r[e] * r[e]
            if jac:
                for k in range(3):
                    jm[e, k] = -m0 * ds[e, k]
                jm[e, 3] = -s[e]
        return cost
    s1 = s[0]
    for e in range(ne):
        q = s[e] / s1
        r[e] = target[e] - q * q
        cost += r[e] * r[e]
        if jac:
            for k in range(3):
                jm[e, k] = -2.0 * q * ((ds[e, k] - q * ds[0, k]) / s1)
    return cost


@njit(cache=True, nogil=True)
def _solve(a, rhs, n, out):
    """out = a^-1 rhs for an n x n system (Gaussian elimination, partial pivoting; a, rhs overwritten);
    a zero pivot gives NaN (the caller treats NaN steps as no step)."""
    for c in range(n):
        piv = c
        for i in range(c + 1, n):
            if abs(a[i, c]) > abs(a[piv, c]):
                piv = i
        if piv != c:
            for j in range(n):
                a[c, j], a[piv, j] = a[piv, j], a[c, j]
            rhs[c], rhs[piv] = rhs[piv], rhs[c]
        for i in range(c + 1, n):
            f = a[i, c] / a[c, c]
            for j in range(c, n):
                a[i, j] -= f * a[c, j]
            rhs[i] -= f * rhs[c]
    for i in range(n - 1, -1, -1):
        acc = rhs[i]
        for j in range(i + 1, n):
            acc -= a[i, j] * out[j]
        out[i] = acc / a[i, i]


@njit(cache=True, nogil=True)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(cache=True, nogil=True)
def _finite(x):
    """np.nan_to_num of one value: NaN -> 0, +-inf -> the largest finite double."""
    if np.isnan(x):
        return 0.0
    if np.isinf(x):
        return 1.7976931348623157e308 if x > 0 else -1.7976931348623157e308
    return x


@njit(cache=True, nogil=True)
def _lm_one(y, target, water, fat, t2g, b1g, start, objective, fix_ff, n_iter, max_offset, work):
    """One Levenberg-Marquardt run of one voxel from ``start`` (t2, b1, ff) in the cell around it.

    Returns (t2, b1, ff, m0, cost, at_cell_edge) as ``refine.refine_lm`` computes them at one depth.
    """
    cw, cf, s, ds, r, jm, jtj, jtr, delta, th, trial, lo, hi = work
    nt, nb, ne = water.shape
    npar = 4 if objective == LSQ else 3
    dt, db = t2g[1] - t2g[0], b1g[1] - b1g[0]
    it = int(min(max(np.rint((start[0] - t2g[0]) / dt), 1), nt - 2))
    ib = int(min(max(np.rint((start[1] - b1g[0]) / db), 1), nb - 2))
    t2c, b1c = t2g[it], b1g[ib]
    _cell(water, fat, it, ib, cw, cf)
    lo[0], hi[0] = max(-max_offset, (t2g[0] - t2c) / dt), min(max_offset, (t2g[nt - 1] - t2c) / dt)
    lo[1], hi[1] = max(-max_offset, (b1g[0] - b1c) / db), min(max_offset, (b1g[nb - 1] - b1c) / db)
    lo[2], hi[2], lo[3], hi[3] = 0.0, 1.0, 0.0, np.inf
    th[0] = _clip((start[0] - t2c) / dt, lo[0], hi[0])
    th[1] = _clip((start[1] - b1c) / db, lo[1], hi[1])
    th[2] = _clip(start[2], 0.0, 1.0)
    if objective == LSQ:
        _signal(cw, cf, th[0], th[1], th[2], s, ds, False)
        sy, ss = 0.0, 0.0
        for e in range(ne):
            sy += s[e] * y[e]
            ss += s[e] * s[e]
        th[3] = max(sy / ss, 0.0)
    cost = _residual(cw, cf, th, target, objective, r, jm, False, s, ds)
    lam = 1e-3
    active = np.isfinite(cost)
    for _ in range(n_iter):
        if not active:
            break
        _residual(cw, cf, th, target, objective, r, jm, True, s, ds)
        if fix_ff:
            for e in range(ne):
                jm[e, 2] = 0.0
        for k in range(npar):
            acc = 0.0
            for e in range(ne):
                acc += jm[e, k] * r[e]
            jtr[k] = -acc
            for m in range(npar):
                acc = 0.0
                for e in range(ne):
                    acc += jm[e, k] * jm[e, m]
                jtj[k, m] = acc
        for k in range(npar):
            jtj[k, k] += lam * max(jtj[k, k], 1e-12)
        _solve(jtj, jtr, npar, delta)
        for k in range(npar):
            trial[k] = _clip(th[k] + _finite(delta[k]), lo[k], hi[k])
        c_t = _residual(cw, cf, trial, target, objective, r, jm, False, s, ds)
        better = np.isfinite(c_t) and c_t < cost
        gain = 0.0
        if better:
            gain = cost - c_t
            cost = c_t
            for k in range(npar):
                th[k] = trial[k]
            lam /= 3.0
        else:
            lam *= 4.0
        if (better and gain <= 1e-7 * cost) or lam > 1e4:
            active = False
    tol = 0.02  # LM with clipped steps stalls just short of the cell edge
    edge = False
    for k in range(2):
        if (th[k] >= max_offset - tol and hi[k] >= max_offset - 1e-9) or (
            th[k] <= -max_offset + tol and lo[k] <= -max_offset + 1e-9
        ):
            edge = True
    m0 = th[3] if objective == LSQ else np.nan
    return t2c + th[0] * dt, b1c + th[1] * db, th[2], m0, cost, edge


@njit(cache=True, nogil=True)
def lm_refine(y, water, fat, t2g, b1g, t2, b1, ff, objective, fix_ff, n_iter, max_offset, max_recentre):
    """Levenberg-Marquardt refinement of every voxel, re-centring its cell up to ``max_recentre``
    times while the minimum lies at the cell edge; the lowest-cost run is kept (the first on ties).

    Returns t2, b1, ff, m0 (NaN for the myoqmri objective, which has no amplitude), cost.
    """
    m, ne = y.shape
    out = np.empty((5, m))
    work = (np.empty((3, 3, ne)), np.empty((3, ne)), np.empty(ne), np.empty((ne, 3)), np.empty(ne),
            np.empty((ne, 4)), np.empty((4, 4)), np.empty(4), np.empty(4), np.empty(4), np.empty(4),
            np.empty(4), np.empty(4))  # fmt: skip
    target = np.empty(ne)
    start = np.empty(3)
    for k in range(m):
        for e in range(ne):
            target[e] = y[k, e] if objective == LSQ else (y[k, e] / y[k, 0]) ** 2
        start[0], start[1], start[2] = t2[k], b1[k], ff[k]
        for depth in range(max_recentre + 1):
            t2o, b1o, ffo, m0o, cost, edge = _lm_one(
                y[k], target, water, fat, t2g, b1g, start, objective, fix_ff, n_iter, max_offset, work
            )
            if depth == 0 or cost < out[4, k]:
                out[0, k], out[1, k], out[2, k], out[3, k], out[4, k] = t2o, b1o, ffo, m0o, cost
            if not edge:
                break
            start[0], start[1], start[2] = t2o, b1o, ffo
    return out[0], out[1], out[2], out[3], out[4]
