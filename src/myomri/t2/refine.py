"""Continuous Levenberg-Marquardt refinement of (water T2, B1, FF) for all voxels at once.

Two criteria: ``lsq`` (least squares on magnitudes with a free M0) and ``myoqmri``, which
compares squared signals normalised to their first echo, ``(y / y_1)^2`` against
``(s / s_1)^2`` (what MyoQMRI 2.0.2 minimises over its dictionary). Both start from the
dictionary match, so the minimum lies within about one grid cell: each voxel's 3 x 3 block of
water atoms around its match (and 3 fat atoms) is turned once into a biquadratic polynomial in
the cell offsets (u, v), which gives signals and exact derivatives for every iteration without
touching the dictionary again. The iterations run per voxel in compiled code (``_kernels``).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ._kernels import LSQ, MYOQMRI, lm_refine

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

    def signal(self, u, v, ff):
        """Mixed signal (m, E) at cell offsets (u, v) and fat fraction ``ff``."""
        u, v, g = u[:, None, None], v[:, None, None], ff[:, None]
        cw, cf = self.cw, self.cf
        wq = cw[:, 0] + u * (cw[:, 1] + u * cw[:, 2])  # (m, q, E): polynomial in v left
        v2 = v[:, 0]
        w = wq[:, 0] + v2 * (wq[:, 1] + v2 * wq[:, 2])
        f = cf[:, 0] + v2 * (cf[:, 1] + v2 * cf[:, 2])
        s = (1.0 - g) * w + g * f
        return s


def _to_poly(values, axis):
    """Values at offsets (-1, 0, 1) along ``axis`` -> coefficients of (1, u, u^2)."""
    lo, mid, hi = (np.take(values, k, axis=axis) for k in range(3))
    return np.stack([mid, 0.5 * (hi - lo), 0.5 * (hi + lo) - mid], axis=axis)


def refine_lm(y, water, fat, t2_grid, b1_grid, t2, b1, ff, *, objective="lsq", fix_ff=False, n_iter=20):
    """Levenberg-Marquardt on (t2, b1, ff) (and M0 for ``lsq``) of all voxels, from the start.

    Each voxel's cell (the 3 x 3 atoms around its start, as :class:`CellModel`) is refined with
    steps bounded to ``MAX_OFFSET`` cells; a voxel that stops at the cell edge (not the edge of
    the dictionary), e.g. started far along the T2-B1 valley, is re-centred there up to
    ``MAX_RECENTRE`` times and its lowest-cost run kept. The work is one compiled pass over the
    voxels (``_kernels.lm_refine``).

    Returns
    -------
    t2, b1, ff, m0_or_None, cost : ndarray (m,) each
        ``m0`` is the fitted amplitude for ``lsq`` and None for ``myoqmri`` (that criterion has
        no amplitude).
    """
    codes = {"lsq": LSQ, "myoqmri": MYOQMRI}
    if objective not in codes:
        raise InputError(f"unknown objective {objective!r}")
    as_f8 = [np.ascontiguousarray(a, dtype=float) for a in (y, water, fat, t2_grid, b1_grid, t2, b1, ff)]
    with np.errstate(all="ignore"):
        t2o, b1o, ffo, m0, cost = lm_refine(*as_f8, codes[objective], bool(fix_ff), int(n_iter), MAX_OFFSET,
                                            MAX_RECENTRE)  # fmt: skip
    return t2o, b1o, ffo, (m0 if objective == "lsq" else None), cost


def atoms_at(water, fat, t2_grid, b1_grid, t2, b1):
    """Water and fat echo trains (m, E) at continuous (t2, b1), biquadratic between grid points."""
    cell = CellModel(water, fat, t2_grid, b1_grid, t2, b1)
    u, v = (t2 - cell.t2c) / cell.dt, (b1 - cell.b1c) / cell.db
    return cell.signal(u, v, np.zeros_like(u)), cell.signal(u, v, np.ones_like(u))
