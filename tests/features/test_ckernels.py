"""The C extension of the feature kernels against the numba versions of the same loops.

Both must give the same numbers bit for bit (the same operations in the same order, no fused
multiply-add), on ROIs of random shapes, level counts and directions; the PyRadiomics baseline tests
then hold for either. Under CI the extension must have been built (an install that silently fell
back to numba would hide a broken build).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from myomri.features import _count_kernels, _engine, _kernels
from myomri.features._matrices import build_texture_roi
from myomri.features.firstorder import _percentiles

needs_c = pytest.mark.skipif(_engine._C is None and not os.environ.get("CI"), reason="C extension not built")


def test_extension_built_under_ci():
    if os.environ.get("CI"):
        assert _engine.BACKEND == "c", "the C extension myomri.features._ckernels was not built by the install"


def _roi(seed: int, shape=(23, 19, 7), n_levels=17, two_d=False):
    rng = np.random.default_rng(seed)
    levels = rng.integers(1, n_levels + 1, size=shape)
    # smooth a little so zones and runs are longer than one voxel
    levels = np.where(rng.random(shape) < 0.6, np.roll(levels, 1, axis=0), levels)
    mask = rng.random(shape) < 0.8
    return build_texture_roi(levels, mask, spacing=(1.0, 1.2, 3.0), pad=2, drop_axis=2 if two_d else None)


def _equal(a, b):
    for x, y in zip(a, b) if isinstance(a, tuple) else [(a, b)]:
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y), strict=False)
        assert np.asarray(x).dtype == np.asarray(y).dtype


@needs_c
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("two_d", [False, True])
def test_counts_equal_numba(seed, two_d):
    roi = _roi(seed, two_d=two_d)
    _, steps = roi.offsets(distances=[1], bidirectional=False)
    for flags in [(True, True, True, True), (True, False, False, False), (False, True, True, False), (False,) * 4]:
        for alpha in (0.0, 1.0, 2.5):
            args = (roi.levels, roi.roi, steps, roi.n_levels, max(roi.shape), flags, alpha)
            _equal(_engine.count_directional(*args), _count_kernels.count_directional(*args))
    _, both = roi.offsets(distances=[1, 2], bidirectional=True)
    _, far = roi.offsets(distances=[2], bidirectional=False)
    _equal(_engine.count_glcm(roi.levels, roi.roi, far, roi.n_levels), _count_kernels.count_glcm(roi.levels, roi.roi, far, roi.n_levels))
    for alpha in (0.0, 1.9):
        _equal(
            _engine.count_neighbourhood(roi.levels, roi.roi, both, roi.n_levels, alpha),
            _count_kernels.count_neighbourhood(roi.levels, roi.roi, both, roi.n_levels, alpha),
        )


@needs_c
@pytest.mark.parametrize("seed", range(5))
def test_sums_equal_numba(seed):
    rng = np.random.default_rng(100 + seed)
    n_levels = int(rng.integers(2, 40))
    grey = np.sort(rng.choice(np.arange(1, n_levels + 1), size=min(n_levels, int(rng.integers(2, 30))), replace=False))
    grey[-1] = n_levels
    grey = grey.astype(np.float64)
    g, a = grey.size, int(rng.integers(1, 14))
    p = rng.random((g, g, a)) * (rng.random((g, g, a)) < 0.4)
    p[:, :, 0] = 0.0 if seed == 0 else p[:, :, 0]  # an empty direction
    p /= np.maximum(p.sum(axis=(0, 1), keepdims=True), 1e-300)
    ii, jj = np.nonzero(p.any(axis=2))
    eps = float(np.spacing(1))
    _equal(_engine.glcm_sums(p, grey, ii, jj, n_levels, eps), _kernels.glcm_sums(p, grey, ii, jj, n_levels, eps))
    sizes = np.sort(rng.choice(np.arange(1, 200), size=int(rng.integers(1, 30)), replace=False)).astype(np.float64)
    z = np.floor(rng.random((g, sizes.size, a)) * 4) * (rng.random((g, sizes.size, a)) < 0.5)
    z[:, :, -1] = 0.0  # a direction without counts: NaN features
    _equal(_engine.zone_sums(z, grey, sizes, eps), _kernels.zone_sums(z, grey, sizes, eps))
    x = rng.normal(300, 40, size=int(rng.integers(1, 5000)))
    mean = float(x.mean())
    lo, hi = np.percentile(x, [10, 90])
    _equal(_engine.firstorder_sums(x, mean, 7.5, lo, hi), _kernels.firstorder_sums(x, mean, 7.5, lo, hi))


@needs_c
def test_bad_buffers_are_refused_not_overrun():
    roi = _roi(1)
    _, steps = roi.offsets(distances=[1], bidirectional=False)
    c = _engine._C
    with pytest.raises(ValueError, match="buffer 'out'"):
        c.count_glcm(roi.levels, roi.roi, steps, roi.n_levels, np.zeros(3))
    with pytest.raises(ValueError, match="outside the padded box"):
        c.count_glcm(roi.levels, roi.roi + roi.levels.size, steps, roi.n_levels, np.zeros((roi.n_levels + 1) ** 2 * 13))
    with pytest.raises(ValueError, match="out of range"):
        grey = np.array([1.0, 5.0])
        c.glcm_sums(np.ones((2, 2, 1)) / 4, grey, np.array([0]), np.array([1]), 2, 1, 3, 1e-16, np.empty(26))


def test_numba_is_selected_by_the_environment():
    code = "from myomri.features import _engine; print(_engine.BACKEND)"
    env = dict(os.environ, MYOMRI_KERNELS="numba")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "numba"


@needs_c
def _write_case(folder, *, seed: int) -> None:
    """A small random ROI case: ``i.nii.gz`` (intensities) and ``m.nii.gz`` (mask) in ``folder``."""
    from myomri.io.image import Image
    from myomri.io.nifti import write_nifti

    rng = np.random.default_rng(seed)
    write_nifti(Image(rng.normal(100, 10, (20, 20, 6)).astype(np.float32), spacing=(1, 1, 2)), folder / "i.nii.gz")
    write_nifti(Image((rng.random((20, 20, 6)) < 0.7).astype(np.uint8), spacing=(1, 1, 2)), folder / "m.nii.gz")


def test_a_fresh_extract_does_not_load_numba_scipy_linalg_or_nibabel(tmp_path):
    """The start-up the extension and the plain NIfTI reader exist for."""
    _write_case(tmp_path, seed=0)
    code = (
        "import sys; from myomri.features.extractor import FeatureExtractor; "
        f"FeatureExtractor().extract_files({str(tmp_path / 'i.nii.gz')!r}, {str(tmp_path / 'm.nii.gz')!r}); "
        "print(sorted(m for m in ('numba', 'scipy.linalg', 'nibabel') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("user_choice", [None, "2"])
def test_extract_runs_blas_on_one_thread_unless_the_user_chose(tmp_path, user_choice):
    """``myomri extract`` sets one BLAS thread before numpy loads (idle OpenBLAS threads spin);
    a number the user set is kept."""
    _write_case(tmp_path, seed=1)
    code = (
        "from myomri.cli import main; "
        f"main(['extract', {str(tmp_path / 'i.nii.gz')!r}, {str(tmp_path / 'm.nii.gz')!r}, '-o', "
        f"{str(tmp_path / 'f.csv')!r}]); "
        "import threadpoolctl; "
        "threads = sorted({i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'}); "
        "from myomri.features.glcm import _one_blas_thread; "
        "import os; print(os.environ['OPENBLAS_NUM_THREADS'], threads, type(_one_blas_thread(100)).__name__)"
    )
    from myomri.cores import BLAS_THREAD_VARIABLES

    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    if user_choice:
        env["OPENBLAS_NUM_THREADS"] = user_choice
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    threads = 1 if user_choice is None else min(2, os.cpu_count() or 1)  # OpenBLAS caps it at the cores
    # one thread set before numpy loaded: the MCC needs no threadpoolctl limit; the user's 2 keep it
    limiter = "nullcontext" if user_choice is None else "_ThreadpoolLimiter"
    assert out.stdout.strip() == f"{user_choice or 1} [{threads}] {limiter}"


@needs_c
@pytest.mark.parametrize("width", [2.5, 0.1, 25.0, 1.0 / 3.0])
@pytest.mark.parametrize("offset", [0.0, -1234.567, 1e6 + 0.3])
def test_compiled_digitize_is_numpys(width, offset):
    """Values on the edges themselves (where a rounded guess slips by one), between them, and
    beyond both ends all get np.digitize's bin."""
    from myomri.preprocess.discretize import compute_bin_edges

    rng = np.random.default_rng(int(width * 10))
    x = offset + np.concatenate([rng.normal(0, 40 * width, 20_000), np.arange(-50, 50) * width])
    edges = compute_bin_edges(x, bin_width=width)
    np.testing.assert_array_equal(_engine.digitize_uniform(x, edges, width), np.digitize(x, edges))
    on_edges = edges.copy()  # exactly on every edge, and a hair either side
    probe = np.concatenate([on_edges, np.nextafter(on_edges, -np.inf), np.nextafter(on_edges, np.inf)])
    np.testing.assert_array_equal(_engine.digitize_uniform(probe, edges, width), np.digitize(probe, edges))
    outside = np.array([edges[0] - 10 * width, edges[-1] + 10 * width, edges[-1]])
    np.testing.assert_array_equal(_engine.digitize_uniform(outside, edges, width), np.digitize(outside, edges))


@needs_c
@pytest.mark.parametrize("n", [4096, 50_000, 200_000])
@pytest.mark.parametrize(
    "kind",
    ["normal", "outlier", "two_values", "tiny_range", "with_inf", "overflowing_range", "negative", "integers", "skewed"],
)
def test_bucketed_order_statistics_are_the_sorted_ones(n, kind):
    """From 4096 values the extension counts them into buckets first; the cases that push it back
    to searching the whole array (a far outlier, infinities, a range too narrow to divide) and
    those that stress the bucket edges (ties, few values, heavy tails) give the sorted values too."""
    rng = np.random.default_rng(n + len(kind))
    x = {
        "normal": rng.normal(300, 40, n),
        "outlier": np.concatenate([rng.normal(300, 40, n - 1), [1e300]]),
        "two_values": rng.choice([1.5, 2.5], n),
        "tiny_range": 1.0 + rng.integers(0, 3, n) * np.finfo(float).eps,
        "with_inf": np.concatenate([rng.normal(size=n - 2), [np.inf, -np.inf]]),
        "overflowing_range": np.concatenate([rng.normal(size=n - 2), [1e308, -1e308]]),  # max - min is inf
        "negative": -rng.exponential(5.0, n),
        "integers": rng.integers(0, 4000, n).astype(np.float64),
        "skewed": rng.lognormal(0.0, 3.0, n),
    }[kind]
    before = x.copy()
    ranks = np.unique(np.concatenate([[0, n - 1, n // 2, n // 2 + 1], rng.integers(0, n, 20)]))
    np.testing.assert_array_equal(_engine.order_statistics(x, ranks), np.sort(x)[ranks], strict=True)
    np.testing.assert_array_equal(x, before)
    q = (10, 25, 50, 75, 90)
    np.testing.assert_array_equal(_percentiles(x, q), np.percentile(x, q), strict=True)


@needs_c
@pytest.mark.parametrize("n", [1, 2, 3, 31, 33, 1000, 60000])
@pytest.mark.parametrize("kind", ["normal", "ties", "constant", "sorted", "reversed", "organ_pipe"])
def test_selected_order_statistics_are_the_sorted_ones(n, kind):
    rng = np.random.default_rng(n)
    x = {
        "normal": rng.normal(300, 40, n),
        "ties": rng.integers(0, 7, n).astype(np.float64),  # many equal values: partition ties
        "constant": np.full(n, 2.5),
        "sorted": np.sort(rng.normal(size=n)),
        "reversed": np.sort(rng.normal(size=n))[::-1],
        "organ_pipe": np.concatenate([np.arange(n // 2), np.arange(n - n // 2)[::-1]]).astype(np.float64),
    }[kind]
    before = x.copy()
    ranks = np.unique(np.concatenate([[0, n - 1], rng.integers(0, n, 9)]))
    np.testing.assert_array_equal(_engine.order_statistics(x, ranks), np.sort(x)[ranks], strict=True)
    np.testing.assert_array_equal(x, before)  # the caller's array is not reordered
    q = (10, 25, 50, 75, 90)
    np.testing.assert_array_equal(_percentiles(x, q), np.percentile(x, q), strict=True)


@needs_c
def test_select_refuses_bad_ranks():
    work, out = np.arange(5.0), np.empty(2)
    for ranks in ([3, 1], [0, 5], [-1, 2]):
        with pytest.raises(ValueError, match="ranks must be sorted and inside"):
            _engine._C.select(work, np.array(ranks, dtype=np.int64), out)
    with pytest.raises(ValueError, match="buffer 'out'"):
        _engine._C.select(work, np.array([0, 1, 2], dtype=np.int64), out)
