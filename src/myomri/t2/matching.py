"""Vectorised dictionary matching of water/fat EPG atoms with continuous refinement.

For every (T2, B1) grid point the amplitudes of water and fat enter linearly, so they are
solved in closed form (variable projection): a voxel's score at a grid point is the signal energy
explained by the best non-negative combination of the two atoms. The projections of a chunk of
voxels on all atoms come from two BLAS matrix products; the scores and the best grid point from one
compiled pass (``_kernels.best_atoms``, no (voxels x atoms) temporaries); the best grid point is
then refined by a quadratic fit of the score over its 3 x 3 neighbourhood, and the atoms are
interpolated at the refined point (quadratic Lagrange) to solve the amplitudes.
"""

from __future__ import annotations

import numpy as np

from ._kernels import best_atoms

__all__ = ["match_chunk"]


def _lagrange(u):
    """Quadratic Lagrange weights at offsets -1, 0, 1 for position ``u`` (m,) -> (m, 3)."""
    return np.stack([0.5 * u * (u - 1.0), 1.0 - u * u, 0.5 * u * (u + 1.0)], axis=-1)


# least-squares fit of z = c0 + c1 x + c2 y + c3 x^2 + c4 x y + c5 y^2 on the 3 x 3 stencil
_X, _Y = np.meshgrid([-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], indexing="ij")
_DESIGN = np.stack([np.ones(9), _X.ravel(), _Y.ravel(), _X.ravel() ** 2, (_X * _Y).ravel(), _Y.ravel() ** 2], 1)
_PINV = np.linalg.pinv(_DESIGN)


def _refine(e3, it, ib, nt, nb):
    """Sub-grid offsets (ux, uy) in [-1, 1] from the 3 x 3 scores ``e3`` (m, 3, 3)."""
    # einsum, not a BLAS product: a row's result must not depend on the other rows of the chunk
    c = np.einsum("mk,jk->mj", e3.reshape(len(e3), 9), _PINV)
    h11, h12, h22 = 2 * c[:, 3], c[:, 4], 2 * c[:, 5]
    det = h11 * h22 - h12 * h12
    with np.errstate(divide="ignore", invalid="ignore"):
        ux = (-h22 * c[:, 1] + h12 * c[:, 2]) / det
        uy = (h12 * c[:, 1] - h11 * c[:, 2]) / det
    ok2d = (h11 < 0) & (det > 0) & (np.abs(ux) <= 1) & (np.abs(uy) <= 1)
    # fall back on one parabola per axis through the centre row/column
    with np.errstate(divide="ignore", invalid="ignore"):
        cx = e3[:, 0, 1] - 2 * e3[:, 1, 1] + e3[:, 2, 1]
        cy = e3[:, 1, 0] - 2 * e3[:, 1, 1] + e3[:, 1, 2]
        px = np.where(cx < 0, 0.5 * (e3[:, 0, 1] - e3[:, 2, 1]) / cx, 0.0)
        py = np.where(cy < 0, 0.5 * (e3[:, 1, 0] - e3[:, 1, 2]) / cy, 0.0)
    ux = np.where(ok2d, ux, np.clip(np.nan_to_num(px), -0.5, 0.5))
    uy = np.where(ok2d, uy, np.clip(np.nan_to_num(py), -0.5, 0.5))
    # at the edge of the grid there is no neighbour outside: stay on the grid point
    ux = np.where((it == 0) | (it == nt - 1), 0.0, ux)
    uy = np.where((ib == 0) | (ib == nb - 1), 0.0, uy)
    return ux, uy


def match_chunk(y, water, fat, gram, *, phi=None):
    """Match voxels ``y`` (m, E) against atoms; returns dict of per-voxel results.

    Parameters
    ----------
    y : ndarray (m, E)
    water : ndarray (T, B, E); fat : ndarray (B, E)
    gram : tuple (ww, wf, ff) of shape (T, B) each
    phi : ndarray (m,) or None
        Fixed fat fraction per voxel, or None to fit it.

    Returns
    -------
    dict with t_index, b_index, ux, uy (sub-grid offsets), a (water amplitude), b (fat
    amplitude), model (m, E) and ok (bool).
    """
    m = y.shape[0]
    nt, nb, ne = water.shape
    # scores in single precision: they only rank grid points; amplitudes are solved in double.
    # The projections come from a double-precision product rounded to single: a float32 BLAS
    # product rounds a row differently depending on the other rows of its chunk (kernel tiling),
    # which made a voxel's fit depend on how the volume was cut into chunks or parallel slabs;
    # the double product's row-dependent error (~1e-16) vanishes in the rounding to float32.
    p = (y @ water.reshape(nt * nb, ne).T).reshape(m, nt, nb)
    q = y @ fat.T
    ww, wf, ff_ = (np.ascontiguousarray(g, dtype=np.float32) for g in gram)
    phi32 = np.zeros(m, np.float32) if phi is None else phi.astype(np.float32)
    it, ib, e3 = best_atoms(p, q, ww, wf, np.broadcast_to(ff_, (nt, nb))[0].copy(), phi32, phi is not None)
    ti = np.clip(it[:, None, None] + np.array([-1, 0, 1])[None, :, None], 0, nt - 1)
    bi = np.clip(ib[:, None, None] + np.array([-1, 0, 1])[None, None, :], 0, nb - 1)
    ux, uy = _refine(e3, it, ib, nt, nb)
    if phi is not None:
        phi = phi.astype(float)
    lx, ly = _lagrange(ux), _lagrange(uy)
    w_ref = np.einsum("mi,mj,mije->me", lx, ly, water[ti, bi])
    f_ref = np.einsum("mj,mje->me", ly, fat[bi[:, 0, :]])
    a, b = _amplitudes(y, w_ref, f_ref, phi)
    model = a[:, None] * w_ref + b[:, None] * f_ref
    ok = np.isfinite(a) & np.isfinite(b) & (a + b > 0)
    return dict(t_index=it, b_index=ib, ux=ux, uy=uy, a=a, b=b, model=model, ok=ok)


def _amplitudes(y, w, f, phi):
    """Non-negative least-squares amplitudes of the two atoms (closed form, 2 x 2)."""
    pw = np.einsum("me,me->m", y, w)
    pf = np.einsum("me,me->m", y, f)
    ww = np.einsum("me,me->m", w, w)
    wf = np.einsum("me,me->m", w, f)
    ff_ = np.einsum("me,me->m", f, f)
    with np.errstate(divide="ignore", invalid="ignore"):
        if phi is not None:
            s_y = (1 - phi) * pw + phi * pf
            s_s = (1 - phi) ** 2 * ww + 2 * phi * (1 - phi) * wf + phi**2 * ff_
            m0 = np.maximum(s_y / s_s, 0.0)
            return (1 - phi) * m0, phi * m0
        det = ww * ff_ - wf * wf
        a = (ff_ * pw - wf * pf) / det
        b = (ww * pf - wf * pw) / det
        a_only = np.maximum(pw / ww, 0.0)
        b_only = np.maximum(pf / ff_, 0.0)
        use_a = a_only * pw >= b_only * pf  # larger explained energy of the two one-atom fits
        inside = (a >= 0) & (b >= 0)
        a = np.where(inside, a, np.where(use_a, a_only, 0.0))
        b = np.where(inside, b, np.where(use_a, 0.0, b_only))
    return a, b
