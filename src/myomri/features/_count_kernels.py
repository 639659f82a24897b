"""numba kernels that count the texture matrices on a padded, flattened grey-level array.

Layout shared by every kernel: ``levels`` is the discretised ROI bounding box, padded on every side by
the largest offset component and flattened in C order; voxels outside the ROI hold 0 (grey levels start
at 1), so "the neighbour is outside the ROI or outside the image" is simply ``levels[v + off] == 0``
and no bounds checks are needed. ``roi`` holds the flat indices of the ROI voxels (ascending) and
``offsets`` the flat index steps of the directions. The sums behind the features are in
:mod:`myomri.features._kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["count_glcm", "count_directional", "count_neighbourhood"]


@njit(cache=True, nogil=True)
def count_glcm(levels, roi, offsets, n_levels):
    """Co-occurrence counts ``P[g, h, a]`` of (voxel level g, neighbour level h) along each offset.

    Voxels outer, directions inner, and the direction last in ``P``: a voxel's neighbours lie in a few
    nearby rows and its counts in one row ``P[g]`` (twice as fast as one pass per direction).
    """
    n_a = offsets.shape[0]
    out = np.zeros((n_levels + 1, n_levels + 1, n_a))
    for v in roi:
        g = levels[v]
        for a in range(n_a):
            h = levels[v + offsets[a]]
            if h > 0:
                out[g, h, a] += 1.0
    return out


@njit(cache=True, nogil=True)
def _find_root(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving keeps the trees flat
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def count_directional(levels, roi, offsets, n_levels, n_runs, flags, alpha):
    """GLCM, run-length, zone and neighbourhood counts along the one-directional ``offsets``, one pass.

    GLCM (distance 1), GLRLM and GLSZM walk the same 13 (4 in 2-D) directions, and a voxel's
    neighbours along them and their opposites are GLDM's and NGTDM's 26 (8): one pass reads each
    voxel's level and its neighbours' once for all. Voxels outer, directions inner (a voxel's
    neighbours lie in a few nearby rows; one pass per direction was twice as slow), the direction last
    in the count arrays. ``flags``: (glcm, runs, zones, neighbourhood), what to count.

    Returns
    -------
    glcm : (n_levels + 1, n_levels + 1, n_offsets)
        Co-occurrence counts ``P[g, h, a]`` (empty when not asked for, as the others).
    runs : (n_levels + 1, n_runs + 1, n_offsets)
        Run-length counts ``P[g, r, a]``: runs of r voxels of level g along offset a.
    zone_level, zone_size : (n_zones,)
        Connected zones of equal grey level (:func:`_number_zones`).
    dependence, ngtdm
        As :func:`count_neighbourhood` with the offsets and their opposites, GLDM tolerance ``alpha``.
    """
    do_glcm, do_runs, do_zones, do_neigh = flags
    n_a = offsets.shape[0]
    glcm = np.zeros((n_levels + 1, n_levels + 1, n_a if do_glcm else 0))
    runs = np.zeros((n_levels + 1, n_runs + 1, n_a if do_runs else 0))
    dependence = np.zeros((n_levels + 1 if do_neigh else 0, 2 * n_a + 2))
    ngtdm = np.zeros((n_levels + 1 if do_neigh else 0, 3))
    tol = np.int64(np.floor(alpha))  # integer levels: |h - g| <= alpha <=> |h - g| <= floor(alpha)
    parent = np.empty(levels.shape[0] if do_zones else 0, dtype=np.int64)
    if do_zones:
        for v in roi:
            parent[v] = v
    for v in roi:
        g = np.int64(levels[v])
        count = total = 0
        dep = 1
        for a in range(n_a):
            off = offsets[a]
            h = np.int64(levels[v + off])
            back = np.int64(levels[v - off])
            if do_glcm and h > 0:
                glcm[g, h, a] += 1.0
            if do_zones and h == g:  # union-find: each neighbour pair is seen once
                ra = _find_root(parent, v)
                rb = _find_root(parent, v + off)
                if ra < rb:
                    parent[rb] = ra
                elif rb < ra:
                    parent[ra] = rb
            if do_runs and back != g:  # v starts a run: its predecessor differs
                length = 1
                w = v + off
                while levels[w] == g:
                    length += 1
                    w += off
                runs[g, length, a] += 1.0
            if do_neigh:
                if h > 0:
                    count += 1
                    total += h
                    dep += abs(h - g) <= tol
                if back > 0:
                    count += 1
                    total += back
                    dep += abs(back - g) <= tol
        if do_neigh:
            dependence[g, dep] += 1.0
            ngtdm[g, 0] += 1.0
            if count > 0:
                ngtdm[g, 1] += abs(g - total / count)
                ngtdm[g, 2] += 1.0
    zone_level, zone_size = _number_zones(parent, roi if do_zones else roi[:0], levels)
    return glcm, runs, zone_level, zone_size, dependence, ngtdm


@njit(cache=True, nogil=True)
def _number_zones(parent, roi, levels):
    """(level, size) of each zone of the union-find forest ``parent`` over the flat padded index.

    Links always go to the smaller index and path halving only lowers a parent, so parent[x] <= x:
    in ascending ``roi`` order a voxel's parent is itself (a new zone) or a voxel already numbered.
    """
    zone_level = np.empty(roi.shape[0], dtype=np.int64)
    zone_size = np.zeros(roi.shape[0], dtype=np.int64)
    k = 0
    for v in roi:
        up = parent[v]
        if up == v:
            zone_level[k] = levels[v]
            z = k
            k += 1
        else:
            z = -1 - parent[up]
        zone_size[z] += 1
        parent[v] = -1 - z  # from here on: the zone number, encoded negative
    return zone_level[:k], zone_size[:k]


@njit(cache=True, nogil=True)
def count_neighbourhood(levels, roi, offsets, n_levels, alpha):
    """GLDM and NGTDM counts in one pass over the neighbourhoods.

    Returns
    -------
    dependence : (n_levels + 1, n_offsets + 2) counts of (level g, dependence size d)
        where d = 1 + number of neighbours in the ROI with ``|level - g| <= alpha``.
    ngtdm : (n_levels + 1, 3) per level: number of ROI voxels (PyRadiomics 3.0.1 counts a voxel without
        any neighbour in the ROI too, with a difference of 0), the sum of |g - mean neighbour level|,
        and the number of voxels with at least one neighbour in the ROI.
    """
    n_off = offsets.shape[0]
    dependence = np.zeros((n_levels + 1, n_off + 2))
    ngtdm = np.zeros((n_levels + 1, 3))
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
        ngtdm[g, 0] += 1.0
        if count > 0:
            ngtdm[g, 1] += abs(g - total / count)
            ngtdm[g, 2] += 1.0
    return dependence, ngtdm
