"""numba kernels that count the texture matrices on a padded, flattened grey-level array.

Layout shared by every kernel: ``levels`` is the discretised ROI bounding box, padded on every side by
the largest offset component and flattened in C order; voxels outside the ROI hold 0 (grey levels start
at 1), so "the neighbour is outside the ROI or outside the image" is simply ``levels[v + off] == 0``
and no bounds checks are needed. ``roi`` holds the flat indices of the ROI voxels and ``offsets`` the
flat index steps of the directions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["count_glcm", "count_glrlm", "find_zones", "count_neighbourhood"]


@njit(cache=True, nogil=True)
def count_glcm(levels, roi, offsets, n_levels):
    """Co-occurrence counts ``P[a, g, h]`` of (voxel level g, neighbour level h) along each offset."""
    n_a = offsets.shape[0]
    out = np.zeros((n_a, n_levels + 1, n_levels + 1))
    for a in range(n_a):
        off = offsets[a]
        for v in roi:
            h = levels[v + off]
            if h > 0:
                out[a, levels[v], h] += 1.0
    return out


@njit(cache=True, nogil=True)
def count_glrlm(levels, roi, offsets, n_levels, n_runs):
    """Run-length counts ``P[a, g, r]`` (run of r voxels of level g along offset a)."""
    n_a = offsets.shape[0]
    out = np.zeros((n_a, n_levels + 1, n_runs + 1))
    for a in range(n_a):
        off = offsets[a]
        for v in roi:
            g = levels[v]
            if levels[v - off] != g:  # v starts a run: its predecessor differs (or is outside the ROI)
                length = 1
                w = v + off
                while levels[w] == g:
                    length += 1
                    w += off
                out[a, g, length] += 1.0
    return out


@njit(cache=True, nogil=True)
def _find_root(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving keeps the trees flat
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def find_zones(levels, roi, offsets):
    """Connected zones of equal grey level: (level, size) of each zone.

    Union-find over the one-directional ``offsets`` (each neighbour pair is seen once; streaming over
    the ROI per direction is about twice as fast as a flood fill). A (levels x ROI voxels) matrix would
    be far too large for a 3-D ROI, so the zones come back as two arrays and the caller tallies them.
    """
    n = roi.shape[0]
    index = np.full(levels.shape[0], -1, dtype=np.int64)
    for r in range(n):
        index[roi[r]] = r
    parent = np.arange(n)
    for a in range(offsets.shape[0]):
        off = offsets[a]
        for r in range(n):
            v = roi[r]
            if levels[v + off] == levels[v]:
                ra = _find_root(parent, r)
                rb = _find_root(parent, index[v + off])
                if ra != rb:
                    if ra < rb:
                        parent[rb] = ra
                    else:
                        parent[ra] = rb
    size = np.zeros(n, dtype=np.int64)
    n_zones = 0
    for r in range(n):
        root = _find_root(parent, r)
        size[root] += 1
        if root == r:
            n_zones += 1
    zone_level = np.empty(n_zones, dtype=np.int64)
    zone_size = np.empty(n_zones, dtype=np.int64)
    k = 0
    for r in range(n):
        if parent[r] == r:
            zone_level[k] = levels[roi[r]]
            zone_size[k] = size[r]
            k += 1
    return zone_level, zone_size


@njit(cache=True, nogil=True)
def count_neighbourhood(levels, roi, offsets, n_levels, alpha):
    """GLDM and NGTDM counts in one pass over the neighbourhoods.

    Returns
    -------
    dependence : (n_levels + 1, n_offsets + 2) counts of (level g, dependence size d)
        where d = 1 + number of neighbours in the ROI with ``|level - g| <= alpha``.
    ngtdm : (n_levels + 1, 2) per level: number of voxels with at least one neighbour in the ROI, and the
        sum of |g - mean neighbour level| over them.
    """
    n_off = offsets.shape[0]
    dependence = np.zeros((n_levels + 1, n_off + 2))
    ngtdm = np.zeros((n_levels + 1, 2))
    # grey levels are integers: |h - g| <= alpha  <=>  |h - g| <= floor(alpha), all in integer arithmetic
    tol = np.int64(np.floor(alpha))
    for v in roi:
        g = np.int64(levels[v])
        count = 0
        total = np.int64(0)
        dep = 1
        for a in range(n_off):
            h = np.int64(levels[v + offsets[a]])
            if h > 0:
                count += 1
                total += h
                if abs(h - g) <= tol:
                    dep += 1
        dependence[g, dep] += 1.0
        if count > 0:
            ngtdm[g, 0] += 1.0
            ngtdm[g, 1] += abs(g - total / count)
    return dependence, ngtdm
