"""numba kernels for the sums behind the features, one compiled pass each (the counting kernels are
in :mod:`myomri.features._count_kernels`). The feature classes call them through
:mod:`myomri.features._engine`, which runs the C extension of the same loops where it was built."""

from __future__ import annotations

import numpy as np
from numba import njit

from myomri.features._engine import GLCM_SUMS, ZONE_SUMS

__all__ = [
    "glcm_sums",
    "GLCM_SUMS",
    "firstorder_sums",
    "zone_sums",
    "ZONE_SUMS",
]


@njit(cache=True, nogil=True)
def _glcm_distribution_sums(p_sum, p_diff, n_levels, eps, row):
    """The sums of one direction's sum and difference distributions, into ``row`` (:data:`GLCM_SUMS` order:
    columns 9-11, 18-22, 24 and 25)."""
    diff_avg = 0.0
    for k in range(n_levels):
        diff_avg += k * p_diff[k]
    diff_var = diff_ent = idm = idmn = idd = idn = inv_var = 0.0
    nn = float(n_levels)
    for k in range(n_levels):
        d = p_diff[k]
        diff_var += (k - diff_avg) * (k - diff_avg) * d
        diff_ent -= d * np.log2(d + eps)
        idm += d / (1.0 + k * k)
        idmn += d / (1.0 + k * k / (nn * nn))
        idd += d / (1.0 + k)
        idn += d / (1.0 + k / nn)
        if k > 0:
            inv_var += d / (k * k)
    sum_avg = sum_ent = 0.0
    for k in range(2 * n_levels - 1):
        sum_avg += (k + 2) * p_sum[k]
        sum_ent -= p_sum[k] * np.log2(p_sum[k] + eps)
    row[9], row[10], row[11] = diff_avg, diff_ent, diff_var
    row[18], row[19], row[20], row[21], row[22] = idm, idmn, idd, idn, inv_var
    row[24], row[25] = sum_avg, sum_ent


@njit(cache=True, nogil=True)
def glcm_sums(p, grey, ii, jj, n_levels, eps):
    """Per-direction sums behind the GLCM features, in one pass over the non-zero cells.

    ``p`` (G, G, A) normalised matrices over the present grey levels ``grey`` (G,) (values 1..n_levels);
    ``ii, jj`` the cells non-zero in some direction (a zero cell adds exactly 0 to every sum). Returns
    (A, len(GLCM_SUMS)) in :data:`GLCM_SUMS` order; the formulas are PyRadiomics 3.0.1's.
    """
    n_g, n_a = p.shape[0], p.shape[2]
    out = np.zeros((n_a, 26))
    px = np.empty(n_g)
    py = np.empty(n_g)
    p_sum = np.empty(2 * n_levels - 1)
    p_diff = np.empty(n_levels)
    for a in range(n_a):
        px[:] = 0.0
        py[:] = 0.0
        for i in range(n_g):
            for j in range(n_g):
                px[i] += p[i, j, a]
                py[j] += p[i, j, a]
        ux = 0.0
        uy = 0.0
        hx = 0.0
        hy = 0.0
        for i in range(n_g):
            ux += grey[i] * px[i]
            uy += grey[i] * py[i]
            hx -= px[i] * np.log2(px[i] + eps)
            hy -= py[i] * np.log2(py[i] + eps)
        p_sum[:] = 0.0
        p_diff[:] = 0.0
        autoc = prom = shade = tend = contrast = corm = var_x = var_y = energy = hxy = hxy1 = maxp = 0.0
        for z in range(ii.shape[0]):
            i = ii[z]
            j = jj[z]
            pz = p[i, j, a]
            if pz == 0.0:  # non-zero in another direction only: adds exactly 0 to every sum
                continue
            gi = grey[i]
            gj = grey[j]
            dx = gi - ux
            dy = gj - uy
            c = dx + dy
            pc2 = pz * c * c
            autoc += gi * gj * pz
            prom += pc2 * c * c
            shade += pc2 * c
            tend += pc2
            contrast += (gi - gj) * (gi - gj) * pz
            corm += pz * dx * dy
            var_x += pz * dx * dx
            var_y += pz * dy * dy
            energy += pz * pz
            hxy -= pz * np.log2(pz + eps)
            hxy1 -= pz * np.log2(px[i] * py[j] + eps)
            if pz > maxp:
                maxp = pz
            p_sum[int(gi + gj) - 2] += pz
            p_diff[int(abs(gi - gj))] += pz
        hxy2 = 0.0
        for i in range(n_g):
            if px[i] > 0:
                for j in range(n_g):
                    q = px[i] * py[j]
                    hxy2 -= q * np.log2(q + eps)
        row = out[a]
        row[0], row[1], row[2], row[3], row[4], row[5], row[6] = autoc, ux, prom, shade, tend, contrast, corm
        row[7], row[8], row[12] = var_x, var_y, energy
        row[13], row[14], row[15], row[16], row[17] = hxy, hx, hy, hxy1, hxy2
        row[23] = maxp
        _glcm_distribution_sums(p_sum, p_diff, n_levels, eps, row)
    return out


@njit(cache=True, nogil=True)
def firstorder_sums(x, mean, shift, low, high):
    """One pass over the ROI intensities for the first-order moments.

    Returns (energy, m2, m3, m4, mean |x - mean|, minimum, maximum, robust MAD): central moments about
    ``mean`` (given: numpy's pairwise mean is the more accurate one), energy of ``x + shift``, and the mean
    absolute deviation of the values in [low, high] (the P10-P90 band) about their own mean (0 if none).
    """
    n = x.shape[0]
    energy = m2 = m3 = m4 = mad = band_sum = 0.0
    band_n = 0
    lo = hi = x[0]
    for k in range(n):
        v = x[k]
        s = v + shift
        energy += s * s
        d = v - mean
        d2 = d * d
        m2 += d2
        m3 += d2 * d
        m4 += d2 * d2
        mad += abs(d)
        lo = min(lo, v)
        hi = max(hi, v)
        if low <= v <= high:
            band_sum += v
            band_n += 1
    robust = 0.0
    if band_n > 0:
        band_mean = band_sum / band_n
        for k in range(n):
            v = x[k]
            if low <= v <= high:
                robust += abs(v - band_mean)
        robust /= band_n
    return energy, m2 / n, m3 / n, m4 / n, mad / n, lo, hi, robust


@njit(cache=True, nogil=True)
def zone_sums(p, i, j, eps):
    """The emphasis / non-uniformity / variance / entropy features of size-type matrices, per direction.

    ``p`` (G, S, A) counts over grey levels ``i`` (G,) and sizes (zone size, run length or dependence)
    ``j`` (S,); PyRadiomics 3.0.1's GLSZM formulas, which GLRLM and GLDM share. Returns (A, 17) in
    :data:`ZONE_SUMS` order; the last two columns are the total count N and sum(count x size). A
    direction without counts gives NaN features (ignored in the mean over directions).
    """
    n_g, n_s, n_a = p.shape
    out = np.empty((n_a, 17))
    pg = np.empty(n_g)
    ps = np.empty(n_s)
    for a in range(n_a):
        pg[:] = 0.0
        ps[:] = 0.0
        sa_lo = sa_hi = la_lo = la_hi = 0.0
        for g in range(n_g):
            i2 = i[g] * i[g]
            for s in range(n_s):
                v = p[g, s, a]
                if v != 0.0:
                    pg[g] += v
                    ps[s] += v
                    j2 = j[s] * j[s]
                    sa_lo += v / (i2 * j2)
                    sa_hi += v * i2 / j2
                    la_lo += v * j2 / i2
                    la_hi += v * i2 * j2
        n = 0.0
        for g in range(n_g):
            n += pg[g]
        row = out[a]
        if n == 0.0:
            row[:] = np.nan
            row[15] = 0.0
            row[16] = 0.0
            continue
        sae = lae = szn = mu_j = 0.0
        for s in range(n_s):
            j2 = j[s] * j[s]
            sae += ps[s] / j2
            lae += ps[s] * j2
            szn += ps[s] * ps[s]
            mu_j += ps[s] * j[s]
        weighted = mu_j
        mu_j /= n
        gln = lgl = hgl = mu_i = 0.0
        for g in range(n_g):
            i2 = i[g] * i[g]
            gln += pg[g] * pg[g]
            lgl += pg[g] / i2
            hgl += pg[g] * i2
            mu_i += pg[g] * i[g]
        mu_i /= n
        glv = zv = ent = 0.0
        for g in range(n_g):
            glv += pg[g] / n * (i[g] - mu_i) * (i[g] - mu_i)
        for s in range(n_s):
            zv += ps[s] / n * (j[s] - mu_j) * (j[s] - mu_j)
        for g in range(n_g):
            for s in range(n_s):
                v = p[g, s, a]
                if v != 0.0:
                    q = v / n
                    ent -= q * np.log2(q + eps)
        row[0], row[1], row[2], row[3] = sae / n, lae / n, gln / n, gln / (n * n)
        row[4], row[5], row[6], row[7], row[8] = szn / n, szn / (n * n), glv, zv, ent
        row[9], row[10], row[11], row[12] = lgl / n, hgl / n, sa_lo / n, sa_hi / n
        row[13], row[14], row[15], row[16] = la_lo / n, la_hi / n, n, weighted
    return out
