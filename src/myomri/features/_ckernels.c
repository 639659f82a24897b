/*
 * The feature kernels compiled ahead of time: the same loops as the numba versions in
 * _count_kernels.py and _kernels.py, statement for statement and in the same floating-point order,
 * so both give the same numbers (tests/features/test_ckernels.py holds them equal).
 *
 * Why C as well as numba: a fresh process pays ~0.6 s to import numba and load even its cached
 * kernels, which is most of a 24-case batch; this module loads in well under a millisecond. It is
 * built at install when a C compiler is there (setup.py, optional); myomri.features._engine falls
 * back to numba when it is not.
 *
 * Calling convention: every array comes in as a C-contiguous buffer, outputs already allocated (and
 * zeroed where the loops accumulate) by the Python wrappers in _engine.py; each function checks the
 * buffer sizes against the dimensions it is given and releases the GIL while it counts.
 *
 * Build: compiled without -ffast-math and with -ffp-contract=off (no fused multiply-add), so every
 * sum is rounded as numba (fastmath off) rounds it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A buffer of at least n items of the given size, or a ValueError naming the argument. */
static int check_len(const Py_buffer *b, Py_ssize_t n, Py_ssize_t item, const char *name)
{
    if (b->len < n * item) {
        PyErr_Format(PyExc_ValueError, "_ckernels: buffer '%s' holds %zd bytes, expected at least %zd",
                     name, b->len, n * item);
        return -1;
    }
    return 0;
}

/* Every index into levels: roi[v] +- offsets[a] must stay inside it (the wrappers pad the box). */
static int check_roi(const int64_t *roi, Py_ssize_t n_roi, const int64_t *off, Py_ssize_t n_off, Py_ssize_t n_lev)
{
    int64_t reach = 0;
    for (Py_ssize_t a = 0; a < n_off; a++) {
        int64_t o = off[a] < 0 ? -off[a] : off[a];
        if (o > reach)
            reach = o;
    }
    for (Py_ssize_t z = 0; z < n_roi; z++) {
        if (roi[z] - reach < 0 || roi[z] + reach >= n_lev) {
            PyErr_SetString(PyExc_ValueError, "_ckernels: an ROI voxel's neighbour lies outside the padded box");
            return -1;
        }
    }
    return 0;
}

static inline int64_t find_root(int64_t *parent, int64_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving keeps the trees flat */
        x = parent[x];
    }
    return x;
}

/* (level, size) of each zone; see _count_kernels._number_zones. Returns the number of zones. */
static Py_ssize_t number_zones(int64_t *parent, const int64_t *roi, Py_ssize_t n_roi, const int32_t *levels,
                               int64_t *zone_level, int64_t *zone_size)
{
    Py_ssize_t k = 0;
    for (Py_ssize_t q = 0; q < n_roi; q++) {
        int64_t v = roi[q], up = parent[v], z;
        if (up == v) {
            zone_level[k] = levels[v];
            z = k;
            k++;
        } else {
            z = -1 - parent[up];
        }
        zone_size[z] += 1;
        parent[v] = -1 - z; /* from here on: the zone number, encoded negative */
    }
    return k;
}

/*
 * count_directional(levels, roi, offsets, n_levels, n_runs, do_glcm, do_runs, do_zones, do_neigh, tol,
 *                   glcm, runs, parent, zone_level, zone_size, dependence, ngtdm) -> number of zones
 */
static PyObject *count_directional(PyObject *self, PyObject *args)
{
    Py_buffer b[10];
    Py_ssize_t n_levels, n_runs;
    int do_glcm, do_runs, do_zones, do_neigh;
    long long tol;
    memset(b, 0, sizeof(b));
    if (!PyArg_ParseTuple(args, "y*y*y*nnppppLw*w*w*w*w*w*w*", &b[0], &b[1], &b[2], &n_levels, &n_runs, &do_glcm,
                          &do_runs, &do_zones, &do_neigh, &tol, &b[3], &b[4], &b[5], &b[6], &b[7], &b[8], &b[9]))
        return NULL;
    PyObject *result = NULL;
    const int32_t *levels = b[0].buf;
    const int64_t *roi = b[1].buf, *offsets = b[2].buf;
    Py_ssize_t n_lev = b[0].len / 4, n_roi = b[1].len / 8, n_a = b[2].len / 8;
    Py_ssize_t w = n_levels + 1, nd = 2 * n_a + 2;
    double *glcm = b[3].buf, *runs = b[4].buf, *dependence = b[8].buf, *ngtdm = b[9].buf;
    int64_t *parent = b[5].buf, *zone_level = b[6].buf, *zone_size = b[7].buf;
    if ((do_glcm && check_len(&b[3], w * w * n_a, 8, "glcm")) ||
        (do_runs && check_len(&b[4], w * (n_runs + 1) * n_a, 8, "runs")) ||
        (do_zones && (check_len(&b[5], n_lev, 8, "parent") || check_len(&b[6], n_roi, 8, "zone_level") ||
                      check_len(&b[7], n_roi, 8, "zone_size"))) ||
        (do_neigh && (check_len(&b[8], w * nd, 8, "dependence") || check_len(&b[9], w * 3, 8, "ngtdm"))) ||
        check_roi(roi, n_roi, offsets, n_a, n_lev))
        goto done;
    Py_ssize_t k = 0;
    Py_BEGIN_ALLOW_THREADS;
    if (do_zones)
        for (Py_ssize_t q = 0; q < n_roi; q++)
            parent[roi[q]] = roi[q];
    for (Py_ssize_t q = 0; q < n_roi; q++) {
        int64_t v = roi[q], g = levels[v];
        int64_t count = 0, total = 0, dep = 1;
        for (Py_ssize_t a = 0; a < n_a; a++) {
            int64_t off = offsets[a], h = levels[v + off], back = levels[v - off];
            if (do_glcm && h > 0)
                glcm[(g * w + h) * n_a + a] += 1.0;
            if (do_zones && h == g) { /* union-find: each neighbour pair is seen once */
                int64_t ra = find_root(parent, v), rb = find_root(parent, v + off);
                if (ra < rb)
                    parent[rb] = ra;
                else if (rb < ra)
                    parent[ra] = rb;
            }
            if (do_runs && back != g) { /* v starts a run: its predecessor differs */
                int64_t length = 1, u = v + off;
                while (levels[u] == g) {
                    length++;
                    u += off;
                }
                runs[(g * (n_runs + 1) + length) * n_a + a] += 1.0;
            }
            if (do_neigh) {
                if (h > 0) {
                    count++;
                    total += h;
                    dep += llabs(h - g) <= tol;
                }
                if (back > 0) {
                    count++;
                    total += back;
                    dep += llabs(back - g) <= tol;
                }
            }
        }
        if (do_neigh) {
            dependence[g * nd + dep] += 1.0;
            ngtdm[g * 3] += 1.0;
            if (count > 0) {
                ngtdm[g * 3 + 1] += fabs((double)g - (double)total / (double)count);
                ngtdm[g * 3 + 2] += 1.0;
            }
        }
    }
    if (do_zones)
        k = number_zones(parent, roi, n_roi, levels, zone_level, zone_size);
    Py_END_ALLOW_THREADS;
    result = PyLong_FromSsize_t(k);
done:
    for (int i = 0; i < 10; i++)
        if (b[i].obj)
            PyBuffer_Release(&b[i]);
    return result;
}

/* count_glcm(levels, roi, offsets, n_levels, out): co-occurrence counts along each offset. */
static PyObject *count_glcm(PyObject *self, PyObject *args)
{
    Py_buffer lb = {0}, rb = {0}, ob = {0}, out = {0};
    Py_ssize_t n_levels;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*nw*", &lb, &rb, &ob, &n_levels, &out))
        return NULL;
    const int32_t *levels = lb.buf;
    const int64_t *roi = rb.buf, *offsets = ob.buf;
    Py_ssize_t n_roi = rb.len / 8, n_a = ob.len / 8, w = n_levels + 1;
    double *p = out.buf;
    if (check_len(&out, w * w * n_a, 8, "out") || check_roi(roi, n_roi, offsets, n_a, lb.len / 4))
        goto done;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t q = 0; q < n_roi; q++) {
        int64_t v = roi[q], g = levels[v];
        for (Py_ssize_t a = 0; a < n_a; a++) {
            int64_t h = levels[v + offsets[a]];
            if (h > 0)
                p[(g * w + h) * n_a + a] += 1.0;
        }
    }
    Py_END_ALLOW_THREADS;
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&lb);
    PyBuffer_Release(&rb);
    PyBuffer_Release(&ob);
    PyBuffer_Release(&out);
    return result;
}

/* count_neighbourhood(levels, roi, offsets, n_levels, tol, dependence, ngtdm): GLDM and NGTDM counts. */
static PyObject *count_neighbourhood(PyObject *self, PyObject *args)
{
    Py_buffer lb = {0}, rb = {0}, ob = {0}, db = {0}, nb = {0};
    Py_ssize_t n_levels;
    long long tol;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*nLw*w*", &lb, &rb, &ob, &n_levels, &tol, &db, &nb))
        return NULL;
    const int32_t *levels = lb.buf;
    const int64_t *roi = rb.buf, *offsets = ob.buf;
    Py_ssize_t n_roi = rb.len / 8, n_off = ob.len / 8, w = n_levels + 1, nd = n_off + 2;
    double *dependence = db.buf, *ngtdm = nb.buf;
    if (check_len(&db, w * nd, 8, "dependence") || check_len(&nb, w * 3, 8, "ngtdm") ||
        check_roi(roi, n_roi, offsets, n_off, lb.len / 4))
        goto done;
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t q = 0; q < n_roi; q++) {
        int64_t v = roi[q], g = levels[v], count = 0, total = 0, dep = 1;
        for (Py_ssize_t a = 0; a < n_off; a++) {
            int64_t h = levels[v + offsets[a]];
            if (h > 0) {
                count++;
                total += h;
                if (llabs(h - g) <= tol)
                    dep++;
            }
        }
        dependence[g * nd + dep] += 1.0;
        ngtdm[g * 3] += 1.0;
        if (count > 0) {
            ngtdm[g * 3 + 1] += fabs((double)g - (double)total / (double)count);
            ngtdm[g * 3 + 2] += 1.0;
        }
    }
    Py_END_ALLOW_THREADS;
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&lb);
    PyBuffer_Release(&rb);
    PyBuffer_Release(&ob);
    PyBuffer_Release(&db);
    PyBuffer_Release(&nb);
    return result;
}

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
static PyObject *glcm_sums(PyObject *self, PyObject *args)
{
    Py_buffer pb = {0}, gb = {0}, ib = {0}, jb = {0}, ob = {0};
    Py_ssize_t n_g, n_a, n_levels;
    double eps;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*nnndw*", &pb, &gb, &ib, &jb, &n_g, &n_a, &n_levels, &eps, &ob))
        return NULL;
    Py_ssize_t nz = ib.len / 8;
    if (check_len(&pb, n_g * n_g * n_a, 8, "p") || check_len(&gb, n_g, 8, "grey") || check_len(&jb, nz, 8, "jj") ||
        check_len(&ob, n_a * 26, 8, "out"))
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
static PyObject *firstorder_sums(PyObject *self, PyObject *args)
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
static PyObject *zone_sums(PyObject *self, PyObject *args)
{
    Py_buffer pb = {0}, ib = {0}, jb = {0}, ob = {0};
    Py_ssize_t n_g, n_s, n_a;
    double eps;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*nnndw*", &pb, &ib, &jb, &n_g, &n_s, &n_a, &eps, &ob))
        return NULL;
    if (check_len(&pb, n_g * n_s * n_a, 8, "p") || check_len(&ib, n_g, 8, "i") || check_len(&jb, n_s, 8, "j") ||
        check_len(&ob, n_a * 17, 8, "out"))
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Put into a[k[0..nk)] the values a sorted copy of a[lo..hi) holds there (k sorted, inside [lo, hi)):
 * quickselect on every side that holds a wanted rank (median-of-three pivot, Hoare partition);
 * after `depth` rounds, or on a short range, the range is sorted (introselect: never quadratic).
 */
static void select_ranks(double *a, Py_ssize_t lo, Py_ssize_t hi, const int64_t *k, Py_ssize_t nk, int depth)
{
    while (nk > 0) {
        if (hi - lo <= 32 || depth-- == 0) {
            qsort(a + lo, (size_t)(hi - lo), sizeof(double), cmp_double);
            return;
        }
        Py_ssize_t m = lo + (hi - lo) / 2;
        double t;
        if (a[m] < a[lo]) { t = a[m]; a[m] = a[lo]; a[lo] = t; }
        if (a[hi - 1] < a[lo]) { t = a[hi - 1]; a[hi - 1] = a[lo]; a[lo] = t; }
        if (a[hi - 1] < a[m]) { t = a[hi - 1]; a[hi - 1] = a[m]; a[m] = t; }
        double pivot = a[m];
        Py_ssize_t i = lo - 1, j = hi;
        for (;;) { /* after it: a[lo..j] <= pivot <= a[j+1..hi), both sides non-empty */
            do i++; while (a[i] < pivot);
            do j--; while (a[j] > pivot);
            if (i >= j)
                break;
            t = a[i]; a[i] = a[j]; a[j] = t;
        }
        Py_ssize_t nl = 0;
        while (nl < nk && k[nl] <= j)
            nl++;
        if (nl > 0)
            select_ranks(a, lo, j + 1, k, nl, depth);
        k += nl;
        nk -= nl;
        lo = j + 1;
    }
}

/* select(work, ranks, out): out[r] = sorted(work)[ranks[r]] for sorted ranks; work is reordered. */
static PyObject *order_stats(PyObject *self, PyObject *args)
{
    Py_buffer wb = {0}, kb = {0}, ob = {0};
    if (!PyArg_ParseTuple(args, "w*y*w*", &wb, &kb, &ob))
        return NULL;
    PyObject *result = NULL;
    double *a = wb.buf, *out = ob.buf;
    const int64_t *k = kb.buf;
    Py_ssize_t n = wb.len / 8, nk = kb.len / 8;
    if (check_len(&ob, nk, 8, "out"))
        goto done;
    for (Py_ssize_t r = 0; r < nk; r++) {
        if (k[r] < 0 || k[r] >= n || (r > 0 && k[r] < k[r - 1])) {
            PyErr_SetString(PyExc_ValueError, "_ckernels.select: ranks must be sorted and inside the array");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS;
    int depth = 2;
    for (Py_ssize_t len = n; len > 1; len >>= 1)
        depth += 2;
    select_ranks(a, 0, n, k, nk, depth);
    for (Py_ssize_t r = 0; r < nk; r++)
        out[r] = a[k[r]];
    Py_END_ALLOW_THREADS;
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&wb);
    PyBuffer_Release(&kb);
    PyBuffer_Release(&ob);
    return result;
}

static PyMethodDef methods[] = {
    {"count_directional", count_directional, METH_VARARGS, "GLCM, run, zone and neighbourhood counts, one pass."},
    {"count_glcm", count_glcm, METH_VARARGS, "Co-occurrence counts along each offset."},
    {"count_neighbourhood", count_neighbourhood, METH_VARARGS, "GLDM and NGTDM counts."},
    {"glcm_sums", glcm_sums, METH_VARARGS, "Per-direction sums behind the GLCM features."},
    {"firstorder_sums", firstorder_sums, METH_VARARGS, "First-order moments, extremes and robust MAD."},
    {"zone_sums", zone_sums, METH_VARARGS, "Per-direction sums of size-type matrices."},
    {"select", order_stats, METH_VARARGS, "Order statistics at sorted ranks (introselect)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ckernels",
                                    "The feature kernels compiled ahead of time (see _engine.py).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ckernels(void) { return PyModule_Create(&module); }
