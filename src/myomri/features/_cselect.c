/*
 * The third source of the _ckernels extension: order statistics (the values np.sort(x)[ranks]
 * holds) for the first-order percentiles, without sorting, and the grey-level bin of every ROI
 * value (np.digitize for equal-width bins). Conventions and build flags: see _ckernels.c.
 *
 * Why two stages: an ROI's percentiles need about ten order statistics of ~10^5 voxels. A pass
 * that counts the values into equal-width buckets between the minimum and the maximum finds the
 * bucket of every wanted rank; only those buckets (~50 values each) are gathered and searched.
 * The bucket of x, floor((x - min) * scale), never decreases as x grows (IEEE subtraction,
 * multiplication by a positive number and floor all keep the order), so every value of a bucket
 * is <= every value of the next one and the statistics are exactly those of the sorted array.
 * Where the wanted buckets hold many values (a few far outliers squeeze the rest into one bucket)
 * or the values are not finite, the whole array is searched instead (introselect).
 */
#include "_ckernels.h"

#define N_BUCKETS_MAX 4096
#define MIN_FOR_BUCKETS 4096

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

static int select_depth(Py_ssize_t n)
{
    int depth = 2;
    for (Py_ssize_t len = n; len > 1; len >>= 1)
        depth += 2;
    return depth;
}

/* out[r] = sorted(x)[k[r]] by introselect on a copy of x; -1 when out of memory. */
static int select_whole(const double *x, Py_ssize_t n, const int64_t *k, Py_ssize_t nk, double *out)
{
    double *a = malloc((size_t)n * sizeof(double));
    if (a == NULL)
        return -1;
    memcpy(a, x, (size_t)n * sizeof(double));
    select_ranks(a, 0, n, k, nk, select_depth(n));
    for (Py_ssize_t r = 0; r < nk; r++)
        out[r] = a[k[r]];
    free(a);
    return 0;
}

static inline Py_ssize_t bucket_of(double v, double lo, double scale, Py_ssize_t nb)
{
    Py_ssize_t b = (Py_ssize_t)((v - lo) * scale);
    return b < 0 ? 0 : (b >= nb ? nb - 1 : b);
}

/* The two-stage search described at the top: 0 done, 1 where the caller must search the whole array,
 * 2 where every value is the same, -1 when out of memory. */
static int select_bucketed(const double *x, Py_ssize_t n, const int64_t *k, Py_ssize_t nk, double *out)
{
    double lo = x[0], hi = x[0];
    int nan = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
        nan |= x[i] != x[i];
    }
    if (nan || !isfinite(lo) || !isfinite(hi))
        return 1;
    if (lo == hi)
        return 2;
    Py_ssize_t nb = n / 16 < N_BUCKETS_MAX ? n / 16 : N_BUCKETS_MAX;
    double range = hi - lo, scale = (double)nb / range;
    if (!isfinite(range) || !isfinite(scale) || !(scale > 0.0))
        return 1; /* a range that overflows (+-1e308) or is too narrow to divide: no buckets */
    int64_t *start = calloc((size_t)nb + 1, sizeof(int64_t)), *base = malloc((size_t)nb * sizeof(int64_t));
    if (start == NULL || base == NULL) {
        free(start);
        free(base);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        start[bucket_of(x[i], lo, scale, nb) + 1]++;
    for (Py_ssize_t c = 0; c < nb; c++)
        start[c + 1] += start[c];
    /* base[c]: where bucket c's values start in the gathered buffer g, or -1 when c holds no wanted rank */
    Py_ssize_t gathered = 0, b = 0;
    for (Py_ssize_t c = 0; c < nb; c++)
        base[c] = -1;
    for (Py_ssize_t r = 0; r < nk; r++) {
        while (start[b + 1] <= k[r])
            b++;
        if (base[b] < 0) {
            base[b] = gathered;
            gathered += start[b + 1] - start[b];
        }
    }
    int status = 1;
    if (gathered <= n / 4) {
        double *g = malloc((size_t)gathered * sizeof(double));
        int64_t *fill = malloc((size_t)nb * sizeof(int64_t));
        if (g == NULL || fill == NULL) {
            status = -1;
        } else {
            memcpy(fill, base, (size_t)nb * sizeof(int64_t));
            for (Py_ssize_t i = 0; i < n; i++) {
                Py_ssize_t c = bucket_of(x[i], lo, scale, nb);
                if (fill[c] >= 0)
                    g[fill[c]++] = x[i];
            }
            b = 0;
            for (Py_ssize_t r = 0; r < nk; r++) { /* rank k[r] is rank k[r] - start[b] inside bucket b */
                while (start[b + 1] <= k[r])
                    b++;
                Py_ssize_t size = start[b + 1] - start[b];
                int64_t local = k[r] - start[b];
                select_ranks(g + base[b], 0, size, &local, 1, select_depth(size));
                out[r] = g[base[b] + local];
            }
            status = 0;
        }
        free(g);
        free(fill);
    }
    free(start);
    free(base);
    return status;
}

/* select(x, ranks, out): out[r] = sorted(x)[ranks[r]] for sorted ranks; x is left as it is. */
PyObject *myomri_order_stats(PyObject *self, PyObject *args)
{
    Py_buffer xb = {0}, kb = {0}, ob = {0};
    if (!PyArg_ParseTuple(args, "y*y*w*", &xb, &kb, &ob))
        return NULL;
    PyObject *result = NULL;
    const double *x = xb.buf;
    double *out = ob.buf;
    const int64_t *k = kb.buf;
    Py_ssize_t n = xb.len / 8, nk = kb.len / 8;
    if (myomri_check_len(&ob, nk, 8, "out"))
        goto done;
    for (Py_ssize_t r = 0; r < nk; r++) {
        if (k[r] < 0 || k[r] >= n || (r > 0 && k[r] < k[r - 1])) {
            PyErr_SetString(PyExc_ValueError, "_ckernels.select: ranks must be sorted and inside the array");
            goto done;
        }
    }
    int status = 1;
    Py_BEGIN_ALLOW_THREADS;
    if (n >= MIN_FOR_BUCKETS && nk > 0)
        status = select_bucketed(x, n, k, nk, out);
    if (status == 2) { /* every value equal */
        for (Py_ssize_t r = 0; r < nk; r++)
            out[r] = x[0];
        status = 0;
    }
    if (status == 1)
        status = select_whole(x, n, k, nk, out);
    Py_END_ALLOW_THREADS;
    if (status < 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&xb);
    PyBuffer_Release(&kb);
    PyBuffer_Release(&ob);
    return result;
}

/*
 * digitize(x, edges, width, out): out[i] = np.digitize(x[i], edges) for increasing, equally spaced
 * edges (width apart). The guess floor((x - e0) / width) + 1 is moved until edges[g - 1] <= x <
 * edges[g], the comparisons digitize's binary search makes, so a rounding slip of the guess never
 * changes the result. x must be finite (the caller checks it).
 */
PyObject *myomri_digitize(PyObject *self, PyObject *args)
{
    Py_buffer xb = {0}, eb = {0}, ob = {0};
    double width;
    if (!PyArg_ParseTuple(args, "y*y*dw*", &xb, &eb, &width, &ob))
        return NULL;
    PyObject *result = NULL;
    const double *x = xb.buf, *e = eb.buf;
    int64_t *out = ob.buf;
    Py_ssize_t n = xb.len / 8, ne = eb.len / 8;
    if (myomri_check_len(&ob, n, 8, "out"))
        goto done;
    if (ne < 1 || !(width > 0.0)) {
        PyErr_SetString(PyExc_ValueError, "_ckernels.digitize: expected at least one edge and a positive width");
        goto done;
    }
    double inv = 1.0 / width; /* any guess is corrected below: a product is as good as numpy's quotient */
    Py_BEGIN_ALLOW_THREADS;
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = x[i], guess = floor((v - e[0]) * inv) + 1.0;
        Py_ssize_t g = !(guess > 0.0) ? 0 : (guess >= (double)ne ? ne : (Py_ssize_t)guess);
        while (g > 0 && v < e[g - 1])
            g--;
        while (g < ne && v >= e[g])
            g++;
        out[i] = g;
    }
    Py_END_ALLOW_THREADS;
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&xb);
    PyBuffer_Release(&eb);
    PyBuffer_Release(&ob);
    return result;
}
