/*
 * The second source of the _ckernels extension: the per-direction sums behind the GLCM, first-order
 * and size-zone features (the loops of _kernels.py, in the same floating-point order). The order
 * statistics of the percentiles are in _cselect.c. Conventions and build flags: see _ckernels.c.
 */
#include "_ckernels.h"

/* The 26 per-direction GLCM sums of one direction a; see _kernels.glcm_sums for the formulas. */
static void glcm_direction(const double *p, const double *grey, const int64_t *ii, const int64_t *jj,
                           Py_ssize_t nz, Py_ssize_t n_g, Py_ssize_t n_a, Py_ssize_t a, Py_ssize_t n_levels,
                           double eps, double *px, double *py, double *p_sum, double *p_diff, double *row)
{
    for (Py_ssize_t i = 0; i < n_g; i++)
        px[i] = py[i] = 0.0;
    for (Py_ssize_t i = 0; i < n_g; i++)
        for (Py_ssize_t j = 0; j < n_g; j++) {
            px[i] += p[(i * n_g + j) * n_a + a];
            py[j] += p[(i * n_g + j) * n_a + a];
        }
    double ux = 0.0, uy = 0.0, hx = 0.0, hy = 0.0;
    for (Py_ssize_t i = 0; i < n_g; i++) {
        ux += grey[i] * px[i];
        uy += grey[i] * py[i];
        hx -= px[i] * log2(px[i] + eps);
        hy -= py[i] * log2(py[i] + eps);
    }
    memset(p_sum, 0, sizeof(double) * (2 * n_levels - 1));
    memset(p_diff, 0, sizeof(double) * n_levels);
    double autoc = 0, prom = 0, shade = 0, tend = 0, contrast = 0, corm = 0, var_x = 0, var_y = 0;
    double energy = 0, hxy = 0, hxy1 = 0, maxp = 0;
    for (Py_ssize_t z = 0; z < nz; z++) {
        int64_t i = ii[z], j = jj[z];
        double pz = p[(i * n_g + j) * n_a + a];
        if (pz == 0.0) /* non-zero in another direction only: adds exactly 0 to every sum */
            continue;
        double gi = grey[i], gj = grey[j], dx = gi - ux, dy = gj - uy, c = dx + dy, pc2 = pz * c * c;
        autoc += gi * gj * pz;
        prom += pc2 * c * c;
        shade += pc2 * c;
        tend += pc2;
        contrast += (gi - gj) * (gi - gj) * pz;
        corm += pz * dx * dy;
        var_x += pz * dx * dx;
        var_y += pz * dy * dy;
        energy += pz * pz;
        hxy -= pz * log2(pz + eps);
        hxy1 -= pz * log2(px[i] * py[j] + eps);
        if (pz > maxp)
            maxp = pz;
        p_sum[(Py_ssize_t)(gi + gj) - 2] += pz;
        p_diff[(Py_ssize_t)fabs(gi - gj)] += pz;
    }
    double hxy2 = 0.0;
    for (Py_ssize_t i = 0; i < n_g; i++)
        if (px[i] > 0)
            for (Py_ssize_t j = 0; j < n_g; j++) {
                double q = px[i] * py[j];
                hxy2 -= q * log2(q + eps);
            }
    double diff_avg = 0.0;
    for (Py_ssize_t k = 0; k < n_levels; k++)
        diff_avg += k * p_diff[k];
    double diff_var = 0, diff_ent = 0, idm = 0, idmn = 0, idd = 0, idn = 0, inv_var = 0, nn = (double)n_levels;
    for (Py_ssize_t k = 0; k < n_levels; k++) {
        double d = p_diff[k];
        diff_var += (k - diff_avg) * (k - diff_avg) * d;
        diff_ent -= d * log2(d + eps);
        idm += d / (1.0 + k * k);
        idmn += d / (1.0 + k * k / (nn * nn));
        idd += d / (1.0 + k);
        idn += d / (1.0 + k / nn);
        if (k > 0)
            inv_var += d / (double)(k * k);
    }
    double sum_avg = 0, sum_ent = 0;
    for (Py_ssize_t k = 0; k < 2 * n_levels - 1; k++) {
        sum_avg += (k + 2) * p_sum[k];
        sum_ent -= p_sum[k] * log2(p_sum[k] + eps);
    }
    double vals[26] = {autoc, ux,  prom, shade, tend,     contrast, corm, var_x,   var_y,   diff_avg, diff_ent, diff_var, energy,
                       hxy,   hx,  hy,   hxy1,  hxy2,     idm,      idmn, idd,     idn,     inv_var,  maxp,     sum_avg,  sum_ent};
    memcpy(row, vals, sizeof(vals));
}

/* glcm_sums(p, grey, ii, jj, n_g, n_a, n_levels, eps, out): out (n_a, 26), _kernels.GLCM_SUMS order. */
PyObject *myomri_glcm_sums(PyObject *self, PyObject *args)
{
    Py_buffer pb = {0}, gb = {0}, ib = {0}, jb = {0}, ob = {0};
    Py_ssize_t n_g, n_a, n_levels;
    double eps;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*nnndw*", &pb, &gb, &ib, &jb, &n_g, &n_a, &n_levels, &eps, &ob))
        return NULL;
    Py_ssize_t nz = ib.len / 8;
    if (myomri_check_len(&pb, n_g * n_g * n_a, 8, "p") || myomri_check_len(&gb, n_g, 8, "grey") || myomri_check_len(&jb, nz, 8, "jj") ||
        myomri_check_len(&ob, n_a * 26, 8, "out"))
        goto done;
    const int64_t *ii = ib.buf, *jj = jb.buf;
    const double *grey = gb.buf;
    for (Py_ssize_t z = 0; z < nz; z++) { /* the sum and difference histograms are indexed by level */
        if (ii[z] < 0 || ii[z] >= n_g || jj[z] < 0 || jj[z] >= n_g || grey[ii[z]] < 1 || grey[ii[z]] > n_levels ||
            grey[jj[z]] < 1 || grey[jj[z]] > n_levels) {
            PyErr_SetString(PyExc_ValueError, "_ckernels.glcm_sums: a cell index or grey level is out of range");
            goto done;
        }
    }
    double *work = malloc(sizeof(double) * (2 * n_g + 3 * n_levels));
    if (!work) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t a = 0; a < n_a; a++)
        glcm_direction(pb.buf, grey, ii, jj, nz, n_g, n_a, a, n_levels, eps, work, work + n_g, work + 2 * n_g,
                       work + 2 * n_g + 2 * n_levels, (double *)ob.buf + a * 26);
    Py_END_ALLOW_THREADS;
    free(work);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&pb);
    PyBuffer_Release(&gb);
    PyBuffer_Release(&ib);
    PyBuffer_Release(&jb);
    PyBuffer_Release(&ob);
    return result;
}

/* firstorder_sums(x, mean, shift, low, high) -> the 8-tuple of _kernels.firstorder_sums. */
PyObject *myomri_firstorder_sums(PyObject *self, PyObject *args)
{
    Py_buffer xb = {0};
    double mean, shift, low, high;
    if (!PyArg_ParseTuple(args, "y*dddd", &xb, &mean, &shift, &low, &high))
        return NULL;
    const double *x = xb.buf;
    Py_ssize_t n = xb.len / 8;
    if (n < 1) {
        PyBuffer_Release(&xb);
        PyErr_SetString(PyExc_ValueError, "_ckernels.firstorder_sums: no values");
        return NULL;
    }
    double energy = 0, m2 = 0, m3 = 0, m4 = 0, mad = 0, band_sum = 0, lo = x[0], hi = x[0], robust = 0;
    Py_ssize_t band_n = 0;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t k = 0; k < n; k++) {
        double v = x[k], s = v + shift, d = v - mean, d2 = d * d;
        energy += s * s;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
        mad += fabs(d);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        if (low <= v && v <= high) {
            band_sum += v;
            band_n++;
        }
    }
    if (band_n > 0) {
        double band_mean = band_sum / band_n;
        for (Py_ssize_t k = 0; k < n; k++)
            if (low <= x[k] && x[k] <= high)
                robust += fabs(x[k] - band_mean);
        robust /= band_n;
    }
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&xb);
    return Py_BuildValue("dddddddd", energy, m2 / n, m3 / n, m4 / n, mad / n, lo, hi, robust);
}

/* zone_sums(p, i, j, n_g, n_s, n_a, eps, out): out (n_a, 17) in _kernels.ZONE_SUMS order. */
PyObject *myomri_zone_sums(PyObject *self, PyObject *args)
{
    Py_buffer pb = {0}, ib = {0}, jb = {0}, ob = {0};
    Py_ssize_t n_g, n_s, n_a;
    double eps;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*nnndw*", &pb, &ib, &jb, &n_g, &n_s, &n_a, &eps, &ob))
        return NULL;
    if (myomri_check_len(&pb, n_g * n_s * n_a, 8, "p") || myomri_check_len(&ib, n_g, 8, "i") || myomri_check_len(&jb, n_s, 8, "j") ||
        myomri_check_len(&ob, n_a * 17, 8, "out"))
        goto done;
    double *pg = malloc(sizeof(double) * (n_g + n_s + 1));
    if (!pg) {
        PyErr_NoMemory();
        goto done;
    }
    double *ps = pg + n_g;
    const double *p = pb.buf, *gi = ib.buf, *sj = jb.buf;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t a = 0; a < n_a; a++) {
        double *row = (double *)ob.buf + a * 17;
        memset(pg, 0, sizeof(double) * (n_g + n_s));
        double sa_lo = 0, sa_hi = 0, la_lo = 0, la_hi = 0;
        for (Py_ssize_t g = 0; g < n_g; g++) {
            double i2 = gi[g] * gi[g];
            for (Py_ssize_t s = 0; s < n_s; s++) {
                double v = p[(g * n_s + s) * n_a + a];
                if (v != 0.0) {
                    pg[g] += v;
                    ps[s] += v;
                    double j2 = sj[s] * sj[s];
                    sa_lo += v / (i2 * j2);
                    sa_hi += v * i2 / j2;
                    la_lo += v * j2 / i2;
                    la_hi += v * i2 * j2;
                }
            }
        }
        double n = 0.0;
        for (Py_ssize_t g = 0; g < n_g; g++)
            n += pg[g];
        if (n == 0.0) {
            for (int c = 0; c < 15; c++)
                row[c] = NAN;
            row[15] = row[16] = 0.0;
            continue;
        }
        double sae = 0, lae = 0, szn = 0, mu_j = 0;
        for (Py_ssize_t s = 0; s < n_s; s++) {
            double j2 = sj[s] * sj[s];
            sae += ps[s] / j2;
            lae += ps[s] * j2;
            szn += ps[s] * ps[s];
            mu_j += ps[s] * sj[s];
        }
        double weighted = mu_j;
        mu_j /= n;
        double gln = 0, lgl = 0, hgl = 0, mu_i = 0;
        for (Py_ssize_t g = 0; g < n_g; g++) {
            double i2 = gi[g] * gi[g];
            gln += pg[g] * pg[g];
            lgl += pg[g] / i2;
            hgl += pg[g] * i2;
            mu_i += pg[g] * gi[g];
        }
        mu_i /= n;
        double glv = 0, zv = 0, ent = 0;
        for (Py_ssize_t g = 0; g < n_g; g++)
            glv += pg[g] / n * (gi[g] - mu_i) * (gi[g] - mu_i);
        for (Py_ssize_t s = 0; s < n_s; s++)
            zv += ps[s] / n * (sj[s] - mu_j) * (sj[s] - mu_j);
        for (Py_ssize_t g = 0; g < n_g; g++)
            for (Py_ssize_t s = 0; s < n_s; s++) {
                double v = p[(g * n_s + s) * n_a + a];
                if (v != 0.0) {
                    double q = v / n;
                    ent -= q * log2(q + eps);
                }
            }
        double vals[17] = {sae / n, lae / n,  gln / n,     gln / (n * n), szn / n,  szn / (n * n),
                           glv,     zv,       ent,         lgl / n,       hgl / n,  sa_lo / n,
                           sa_hi / n, la_lo / n, la_hi / n, n,           weighted};
        memcpy(row, vals, sizeof(vals));
    }
    Py_END_ALLOW_THREADS;
    free(pg);
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&pb);
    PyBuffer_Release(&ib);
    PyBuffer_Release(&jb);
    PyBuffer_Release(&ob);
    return result;
}
