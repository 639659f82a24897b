"""Grey Level Co-occurrence Matrix features (24), as PyRadiomics 3.0.1 defines them.

One matrix per direction (13 in 3-D, 4 with force2D or a single-slice ROI), made symmetric
(``symmetricalGLCM``), restricted to the grey levels present in the ROI, normalised per direction;
features are computed per direction and averaged (IBSI "3D/2.5D averaged"). With ``weightingNorm`` the
directions are merged first (IBSI "merged"). Directions without any pair are ignored.
Flat-region conventions: Correlation = 1, Imc1 = 0 when both marginal entropies are 0, Imc2 = 0 when
HXY2 = HXY, MCC = 1 for a single grey level.
"""

from __future__ import annotations

import contextlib

import numpy as np

from myomri.errors import FeatureError
from myomri.features._kernels import count_glcm
from myomri.features._matrices import TextureRoi, angle_weights, drop_empty_angles
from myomri.features._matrices import mean_over_angles as _mean

__all__ = ["FEATURE_NAMES", "calculate_glcm", "compute_glcm"]

FEATURE_NAMES = (
    "Autocorrelation", "JointAverage", "ClusterProminence", "ClusterShade", "ClusterTendency", "Contrast",
    "Correlation", "DifferenceAverage", "DifferenceEntropy", "DifferenceVariance", "JointEnergy",
    "JointEntropy", "Imc1", "Imc2", "Idm", "MCC", "Idmn", "Id", "Idn", "InverseVariance",
    "MaximumProbability", "SumAverage", "SumEntropy", "SumSquares",
)

_EPS = np.spacing(1)
#: refuse discretisations whose dense co-occurrence matrices would not fit in memory (PyRadiomics crashes)
_MAX_MATRIX_BYTES = 2 * 2**30


def calculate_glcm(roi: TextureRoi, *, distances, symmetrical: bool = True, weighting_norm=None
                   ) -> np.ndarray:
    """Normalised GLCMs, shape (n_present_levels, n_present_levels, n_directions) as PyRadiomics' P_glcm."""
    directions, steps = roi.offsets(distances=distances, bidirectional=False)
    need = len(steps) * (roi.n_levels + 1) ** 2 * 8
    if need > _MAX_MATRIX_BYTES:
        raise FeatureError(f"GLCM of {roi.n_levels} grey levels x {len(steps)} directions would need "
                           f"{need / 2**30:.1f} GiB; expected a coarser discretisation (larger binWidth or "
                           "smaller binCount)")
    counts = count_glcm(roi.levels, roi.roi, steps, roi.n_levels)  # (a, g, h)
    present = roi.grey_levels.astype(np.int64)
    p = counts[:, present][:, :, present].transpose(1, 2, 0)
    if symmetrical:
        p = p + p.transpose(1, 0, 2)
    if weighting_norm is not None:
        w = angle_weights(directions, spacing=roi.spacing, norm=weighting_norm)
        p = np.sum(p * w[None, None, :], axis=2, keepdims=True)
    p = drop_empty_angles(p)
    total = p.sum(axis=(0, 1))
    if not np.any(total > 0):
        raise FeatureError(f"GLCM: no two ROI voxels are neighbours at distances {list(distances)} "
                           f"({len(directions)} directions); texture is undefined for this ROI")
    with np.errstate(invalid="ignore", divide="ignore"):
        return p / np.where(total == 0, np.nan, total)[None, None, :]


def compute_glcm(roi: TextureRoi, *, distances, symmetrical: bool = True, weighting_norm=None
                 ) -> dict[str, float]:
    """The 24 GLCM features (names without class prefix) of a discretised ROI."""
    p = calculate_glcm(roi, distances=distances, symmetrical=symmetrical, weighting_norm=weighting_norm)
    return glcm_features(p, roi.grey_levels, roi.n_levels)


def _entropy(p, axis=0):
    return -np.sum(p * np.log2(p + _EPS), axis=axis)


def glcm_features(p: np.ndarray, grey: np.ndarray, n_levels: int) -> dict[str, float]:
    """Features of normalised GLCMs ``p`` (G, G, A) over the grey levels ``grey`` (G,).

    Sums over (i, j) run over the cells that are non-zero in some direction (a zero cell adds exactly 0
    to every sum, also to p log p), which makes many grey levels cheap.
    """
    g = grey.astype(np.float64)
    n_a = p.shape[2]
    px = p.sum(axis=1)  # (G, A)
    py = p.sum(axis=0)
    ux = g @ px  # (A,)
    uy = g @ py
    ii, jj = np.nonzero(p.any(axis=2))
    pz = p[ii, jj]  # (Z, A)
    gi, gj = g[ii], g[jj]
    # sums and differences of grey levels: k = i + j in 2..2Ng, k = |i - j| in 0..Ng-1
    k_sum = np.arange(2, 2 * n_levels + 1, dtype=np.float64)
    k_diff = np.arange(0, n_levels, dtype=np.float64)
    idx_sum = (grey[ii] + grey[jj]).astype(np.int64) - 2
    idx_diff = np.abs(grey[ii] - grey[jj]).astype(np.int64)
    p_sum = np.stack([np.bincount(idx_sum, weights=pz[:, a], minlength=len(k_sum)) for a in range(n_a)], 1)
    p_diff = np.stack([np.bincount(idx_diff, weights=pz[:, a], minlength=len(k_diff)) for a in range(n_a)], 1)

    hxy = _entropy(pz)
    hx = _entropy(px)
    hy = _entropy(py)
    hxy1 = -np.sum(pz * np.log2(px[ii] * py[jj] + _EPS), axis=0)
    pxy = px[:, None, :] * py[None, :, :]
    hxy2 = _entropy(pxy, (0, 1))

    dx = gi[:, None] - ux[None, :]  # (Z, A)
    dy = gj[:, None] - uy[None, :]
    dx2 = dx * dx
    var_x = np.sum(pz * dx2, axis=0)
    sigx = np.sqrt(var_x)
    sigy = np.sqrt(np.sum(pz * dy * dy, axis=0))
    corm = np.sum(pz * dx * dy, axis=0)
    c = dx + dy
    pc2 = pz * c * c
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(sigx * sigy == 0, 1.0, corm / (sigx * sigy))
        div = np.fmax(hx, hy)
        imc1 = np.where(div != 0, (hxy - hxy1) / np.where(div != 0, div, 1), hxy - hxy1)
        imc2 = (1 - np.e ** (-2 * (hxy2 - hxy))) ** 0.5  # NaN when HXY2 < HXY (rounding): ignored below
        imc2 = np.where(hxy2 == hxy, 0.0, imc2)
    diff_avg = k_diff @ p_diff
    kd = k_diff[:, None]
    return {
        "Autocorrelation": _mean((gi * gj) @ pz),
        "JointAverage": _mean(ux),
        "ClusterProminence": _mean(np.sum(pc2 * c * c, axis=0)),
        "ClusterShade": _mean(np.sum(pc2 * c, axis=0)),
        "ClusterTendency": _mean(np.sum(pc2, axis=0)),
        "Contrast": _mean(((gi - gj) ** 2) @ pz),
        "Correlation": _mean(corr),
        "DifferenceAverage": _mean(diff_avg),
        "DifferenceEntropy": _mean(_entropy(p_diff)),
        "DifferenceVariance": _mean(np.sum((kd - diff_avg[None, :]) ** 2 * p_diff, axis=0)),
        "JointEnergy": _mean(np.sum(pz * pz, axis=0)),
        "JointEntropy": _mean(hxy),
        "Imc1": _mean(imc1),
        "Imc2": _mean(imc2),
        "Idm": _mean(np.sum(p_diff / (1 + kd**2), axis=0)),
        "MCC": _mcc(p, px, py),
        "Idmn": _mean(np.sum(p_diff / (1 + kd**2 / n_levels**2), axis=0)),
        "Id": _mean(np.sum(p_diff / (1 + kd), axis=0)),
        "Idn": _mean(np.sum(p_diff / (1 + kd / n_levels), axis=0)),
        "InverseVariance": _mean(np.sum(p_diff[1:] / kd[1:] ** 2, axis=0)),
        "MaximumProbability": _mean(pz.max(axis=0)),
        "SumAverage": _mean(k_sum @ p_sum),
        "SumEntropy": _mean(_entropy(p_sum)),
        "SumSquares": _mean(var_x),
    }


def _mcc(p, px, py) -> float:
    """Maximal Correlation Coefficient: sqrt of the second largest eigenvalue of Q, averaged over directions.

    PyRadiomics forms Q[i, j] = sum_k p[i, k] p[j, k] / (px[i] py[k] + eps) and calls a general
    eigenvalue solver. Without the eps, Q0 = Dx^-1 P Dy^-1 P^T is similar to the symmetric M M^T with
    M = Dx^-1/2 P Dy^-1/2, so its eigenvalues are the squared singular values of M (real, accurate,
    fast). The eps changes Q by dQ (computed exactly, one matrix product); by Bauer-Fike on the
    symmetric form, lambda_2 moves by at most ||Dx^1/2 dQ Dx^-1/2||_F. Where that could move MCC by more
    than 5e-7 relative (rare grey levels in large ROIs), the direction is computed PyRadiomics' way, eps
    included, so the values stay PyRadiomics-exact.
    """
    if p.shape[0] < 2:
        return 1.0  # a single grey level: flat region convention
    with _one_blas_thread(p.shape[0]):
        return _mcc_directions(p, px, py)


_BLAS = {}


def _one_blas_thread(n_levels: int):
    """Keep BLAS single-threaded for these small dense problems: with several threads (and other
    processes on the cores) OpenBLAS spins and an SVD of 181 x 181 gets ~10x slower."""
    if n_levels < 64:  # smaller problems stay single-threaded in OpenBLAS anyway
        return contextlib.nullcontext()
    if "controller" not in _BLAS:
        try:  # scanning the loaded libraries is slow: do it once
            from threadpoolctl import ThreadpoolController

            _BLAS["controller"] = ThreadpoolController()
        except ImportError:  # optional: only a speed matter
            _BLAS["controller"] = None
    if _BLAS["controller"] is None:
        return contextlib.nullcontext()
    return _BLAS["controller"].limit(limits=1, user_api="blas")


def _mcc_directions(p, px, py) -> float:
    a = p.transpose(2, 0, 1)  # (A, G, G)
    pxa, pya = px.T, py.T  # (A, G)
    with np.errstate(divide="ignore"):
        rx = np.where(pxa > 0, 1 / np.sqrt(pxa), 0.0)  # a level without pairs: zero row, eigenvalue 0
        ry = np.where(pya > 0, 1 / np.sqrt(pya), 0.0)
    s = np.linalg.svd(a * rx[:, :, None] * ry[:, None, :], compute_uv=False)  # descending
    values = s[:, 1].astype(np.float64)
    prod = pxa[:, :, None] * pya[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        # 1/prod - 1/(prod + eps) = eps / (prod (prod + eps)), zero where p is zero
        w = np.where(a > 0, a * (_EPS / (prod * (prod + _EPS))), 0.0)
    d_q = w @ a.transpose(0, 2, 1)
    bound = np.linalg.norm(d_q * np.sqrt(pxa)[:, :, None] * rx[:, None, :], axis=(1, 2))
    for k in np.flatnonzero(0.5 * bound > 5e-7 * np.maximum(s[:, 1] ** 2, 1e-300)):
        values[k] = _mcc_pyradiomics(a[k], pxa[k], pya[k])
    return float(np.nanmean(values))


def _mcc_pyradiomics(a, px, py) -> float:
    """One direction exactly as PyRadiomics 3.0.1: eigenvalues of Q (eps included), complex order."""
    q = (a / (px[:, None] * py[None, :] + _EPS)) @ a.T
    ev = np.linalg.eigvals(q)
    ev.sort()
    with np.errstate(invalid="ignore"):
        # eigvals gives a real array when all eigenvalues are real: a negative one then yields NaN (ignored)
        return complex(np.sqrt(ev[-2])).real if np.iscomplexobj(ev) else float(np.sqrt(ev[-2]))
