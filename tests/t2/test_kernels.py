"""The compiled EPG kernels against the batched numpy formulation (``_numpy_reference``)."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.t2 import refine
from myomri.t2.dictionary import build_dictionary, default_slice_profile
from myomri.t2.matching import match_chunk
from tests.t2 import _numpy_reference as ref


@pytest.fixture(scope="module")
def problem():
    """A slice-profile dictionary and 3000 noisy two-component voxels of known parameters."""
    dic = build_dictionary(esp=10.0, n_echoes=17, slice_profile=default_slice_profile())
    rng = np.random.default_rng(7)
    m = 3000
    t2 = rng.uniform(20, 120, m)
    b1 = rng.uniform(0.55, 1.2, m)
    ff = rng.uniform(0, 1, m)
    from myomri.t2.refine import atoms_at

    w, f = atoms_at(dic.water, dic.fat, dic.t2_grid, dic.b1_grid, t2, b1)
    clean = 1000 * ((1 - ff)[:, None] * w + ff[:, None] * f)
    y = np.abs(clean + rng.normal(0, 10, clean.shape) + 1j * rng.normal(0, 10, clean.shape))
    gram = (
        np.einsum("tbe,tbe->tb", dic.water, dic.water),
        np.einsum("tbe,be->tb", dic.water, dic.fat),
        np.einsum("be,be->b", dic.fat, dic.fat)[None, :],
    )
    return dic, y, gram, ff


@pytest.mark.parametrize("fixed_ff", [False, True])
def test_grid_match_is_bit_identical_to_the_numpy_scores(problem, fixed_ff):
    dic, y, gram, ff = problem
    nt, nb, ne = dic.water.shape
    phi = ff if fixed_ff else None
    r = match_chunk(y, dic.water, dic.fat, gram, phi=phi)
    p = (y @ dic.water.reshape(nt * nb, ne).T).astype(np.float32).reshape(len(y), nt, nb)
    q = (y @ dic.fat.T).astype(np.float32)[:, None, :]
    with np.errstate(all="ignore"):
        e = ref._scores(p, q, *(g.astype(np.float32) for g in gram), None if phi is None else phi.astype(np.float32))
    it, ib = np.divmod(e.reshape(len(y), -1).argmax(axis=1), nb)
    np.testing.assert_array_equal(r["t_index"], it)
    np.testing.assert_array_equal(r["b_index"], ib)


@pytest.mark.parametrize("objective,n_iter,fix_ff", [("lsq", 12, False), ("lsq", 12, True), ("myoqmri", 30, False)])
def test_refinement_agrees_with_the_numpy_levenberg_marquardt(problem, objective, n_iter, fix_ff):
    dic, y, gram, ff = problem
    r = match_chunk(y, dic.water, dic.fat, gram)
    from myomri.t2.epg_model import _interp_grid

    t2 = _interp_grid(dic.t2_grid, r["t_index"], r["ux"])
    b1 = _interp_grid(dic.b1_grid, r["b_index"], r["uy"])
    start_ff = ff if fix_ff else r["b"] / (r["a"] + r["b"])
    args = (y, dic.water, dic.fat, dic.t2_grid, dic.b1_grid, t2, b1, start_ff)
    got = refine.refine_lm(*args, objective=objective, fix_ff=fix_ff, n_iter=n_iter)
    want = ref.refine_lm(*args, objective=objective, fix_ff=fix_ff, n_iter=n_iter)
    for g, w in zip(got, want):
        if w is None:
            assert g is None
            continue
        # the same iterations; only the 3 x 3 / 4 x 4 solves differ (elimination vs LAPACK)
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-8)


def test_epg_recursion_equals_the_numpy_complex_arrays():
    """Dictionary-shaped broadcast (T2 x B1 x slice positions), both angles varying."""
    from myomri.t2.epg import epg_cpmg

    rng = np.random.default_rng(3)
    t2 = rng.uniform(10, 300, (7, 1, 1))
    b1 = rng.uniform(0.5, 1.3, (1, 5, 1))
    exc = rng.uniform(10, 90, (1, 1, 4))
    refoc = rng.uniform(60, 180, (1, 1, 4))
    kw = dict(esp=9.5, n_echoes=21, t1=1200.0, b1=b1, refocusing_angle=refoc, excitation_angle=exc)
    got, want = epg_cpmg(t2, **kw), ref.epg_cpmg(t2, **kw)
    assert got.shape == want.shape == (7, 5, 4, 21)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
