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
 * Sources: this file (the counting passes, the buffer checks, the module table), _csums.c (the
 * per-direction sums) and _cselect.c (the order statistics and bin indices), sharing _ckernels.h.
 *
 * Build: compiled without -ffast-math and with -ffp-contract=off (no fused multiply-add), so every
 * sum is rounded as numba (fastmath off) rounds it.
 */
#include "_ckernels.h"

int myomri_check_len(const Py_buffer *b, Py_ssize_t n, Py_ssize_t item, const char *name)
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
    if ((do_glcm && myomri_check_len(&b[3], w * w * n_a, 8, "glcm")) ||
        (do_runs && myomri_check_len(&b[4], w * (n_runs + 1) * n_a, 8, "runs")) ||
        (do_zones && (myomri_check_len(&b[5], n_lev, 8, "parent") ||
                      myomri_check_len(&b[6], n_roi, 8, "zone_level") ||
                      myomri_check_len(&b[7], n_roi, 8, "zone_size"))) ||
        (do_neigh && (myomri_check_len(&b[8], w * nd, 8, "dependence") ||
                      myomri_check_len(&b[9], w * 3, 8, "ngtdm"))) ||
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
    if (myomri_check_len(&out, w * w * n_a, 8, "out") || check_roi(roi, n_roi, offsets, n_a, lb.len / 4))
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
    if (myomri_check_len(&db, w * nd, 8, "dependence") || myomri_check_len(&nb, w * 3, 8, "ngtdm") ||
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

static PyMethodDef methods[] = {
    {"count_directional", count_directional, METH_VARARGS, "GLCM, run, zone and neighbourhood counts, one pass."},
    {"count_glcm", count_glcm, METH_VARARGS, "Co-occurrence counts along each offset."},
    {"count_neighbourhood", count_neighbourhood, METH_VARARGS, "GLDM and NGTDM counts."},
    {"glcm_sums", myomri_glcm_sums, METH_VARARGS, "Per-direction sums behind the GLCM features."},
    {"firstorder_sums", myomri_firstorder_sums, METH_VARARGS, "First-order moments, extremes and robust MAD."},
    {"zone_sums", myomri_zone_sums, METH_VARARGS, "Per-direction sums of size-type matrices."},
    {"select", myomri_order_stats, METH_VARARGS, "Order statistics at sorted ranks (bucket counts, then introselect)."},
    {"digitize", myomri_digitize, METH_VARARGS, "np.digitize for equally spaced edges, in one pass."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ckernels",
                                    "The feature kernels compiled ahead of time (see _engine.py).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ckernels(void) { return PyModule_Create(&module); }
