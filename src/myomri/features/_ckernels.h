/*
 * Shared by the three sources of the _ckernels extension: _ckernels.c (the counting passes, the
 * buffer checks and the module), _csums.c (the per-direction sums) and _cselect.c (the order
 * statistics and bin indices).
 * Build flags and conventions: see the comment at the top of _ckernels.c.
 */
#ifndef MYOMRI_CKERNELS_H
#define MYOMRI_CKERNELS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A buffer of at least n items of the given size, or a ValueError naming the argument. */
int myomri_check_len(const Py_buffer *b, Py_ssize_t n, Py_ssize_t item, const char *name);

/* The functions of _csums.c and _cselect.c (their argument lists are above each definition there). */
PyObject *myomri_glcm_sums(PyObject *self, PyObject *args);
PyObject *myomri_firstorder_sums(PyObject *self, PyObject *args);
PyObject *myomri_zone_sums(PyObject *self, PyObject *args);
PyObject *myomri_order_stats(PyObject *self, PyObject *args);
PyObject *myomri_digitize(PyObject *self, PyObject *args);

#endif
