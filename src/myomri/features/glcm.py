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

from myomri.cores import blas_pinned
from myomri.errors import FeatureError
from myomri.features import _names
from myomri.features._engine import GLCM_SUMS, count_glcm, glcm_sums
from myomri.features._matrices import TextureRoi, angle_weights, drop_empty_angles
from myomri.features._matrices import mean_over_angles as _mean

__all__ = ["FEATURE_NAMES", "calculate_glcm", "compute_glcm"]

FEATURE_NAMES = _names.FEATURE_NAMES["glcm"]

_EPS = np.spacing(1)
#: refuse discretisations whose dense co-occurrence matrices would not fit in memory (PyRadiomics crashes)
_MAX_MATRIX_BYTES = 2 * 2**30


def calculate_glcm(roi: TextureRoi, *, distances, symmetrical: bool = True, weighting_norm=None) -> np.ndarray:
    """Normalised GLCMs, shape (n_present_levels, n_present_levels, n_directions) as PyRadiomics' P_glcm."""
    directions, steps = roi.offsets(distances=distances, bidirectional=False)
    need = len(steps) * (roi.n_levels + 1) ** 2 * 8
    if need > _MAX_MATRIX_BYTES:
        raise FeatureError(
            f"GLCM of {roi.n_levels} grey levels x {len(steps)} directions would need "
            f"{need / 2**30:.1f} GiB; expected a coarser discretisation (larger binWidth or "
            "smaller binCount)"
        )
    if {int(d) for d in distances} == {1}:
        counts = roi.directional("glcm")  # (g, h, a), counted with the runs and zones
    else:
        counts = count_glcm(roi.levels, roi.roi, steps, roi.n_levels)
    present = roi.grey_levels.astype(np.int64)
    p = counts[np.ix_(present, present)]
    if symmetrical:
        p = p + p.transpose(1, 0, 2)
    if weighting_norm is not None:
        w = angle_weights(directions, spacing=roi.spacing, norm=weighting_norm)
        p = np.sum(p * w[None, None, :], axis=2, keepdims=True)
    p = drop_empty_angles(p)
    total = p.sum(axis=(0, 1))
    if not np.any(total > 0):
        raise FeatureError(
            f"GLCM: no two ROI voxels are neighbours at distances {list(distances)} "
            f"({len(directions)} directions); texture is undefined for this ROI"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        return p / np.where(total == 0, np.nan, total)[None, None, :]


def compute_glcm(roi: TextureRoi, *, distances, symmetrical: bool = True, weighting_norm=None) -> dict[str, float]:
    """The 24 GLCM features (names without class prefix) of a discretised ROI."""
    p = calculate_glcm(roi, distances=distances, symmetrical=symmetrical, weighting_norm=weighting_norm)
    return glcm_features(p, roi.grey_levels, roi.n_levels)


def glcm_features(p: np.ndarray, grey: np.ndarray, n_levels: int) -> dict[str, float]:
    """Features of normalised GLCMs ``p`` (G, G, A) over the grey levels ``grey`` (G,).

    The per-direction sums come from one compiled pass over the cells that are non-zero in some
    direction (:func:`myomri.features._engine.glcm_sums`; a zero cell adds exactly 0 to every sum,
    also to p log p, which makes many grey levels cheap); the few per-direction ratios are formed here.
    """
    ii, jj = np.nonzero(p.any(axis=2))
    sums = glcm_sums(
        np.ascontiguousarray(p, dtype=np.float64), grey.astype(np.float64), ii, jj, int(n_levels), float(_EPS)
    )
    col = {name: sums[:, k] for k, name in enumerate(GLCM_SUMS)}
    sigx, sigy = np.sqrt(col["var_x"]), np.sqrt(col["var_y"])
    hxy, hxy1, hxy2 = col["hxy"], col["hxy1"], col["hxy2"]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(sigx * sigy == 0, 1.0, col["corm"] / (sigx * sigy))
        div = np.fmax(col["hx"], col["hy"])
        imc1 = np.where(div != 0, (hxy - hxy1) / np.where(div != 0, div, 1), hxy - hxy1)
        imc2 = (1 - np.e ** (-2 * (hxy2 - hxy))) ** 0.5  # NaN when HXY2 < HXY (rounding): ignored below
        imc2 = np.where(hxy2 == hxy, 0.0, imc2)
    same = (
        "Autocorrelation",
        "ClusterProminence",
        "ClusterShade",
        "ClusterTendency",
        "Contrast",
        "DifferenceAverage",
        "DifferenceEntropy",
        "DifferenceVariance",
        "JointEnergy",
        "Idm",
        "Idmn",
        "Id",
        "Idn",
        "InverseVariance",
        "MaximumProbability",
        "SumAverage",
        "SumEntropy",
    )
    out = {name: _mean(col[name]) for name in same}
    out.update(
        {
            "JointAverage": _mean(col["ux"]),
            "Correlation": _mean(corr),
            "JointEntropy": _mean(hxy),
            "Imc1": _mean(imc1),
            "Imc2": _mean(imc2),
            "SumSquares": _mean(col["var_x"]),
            "MCC": _mcc(p, p.sum(axis=1), p.sum(axis=0)),
        }
    )
    return {name: out[name] for name in FEATURE_NAMES}


def _mcc(p, px, py) -> float:
    """Maximal Correlation Coefficient: sqrt of the second largest eigenvalue of Q, averaged over directions.

    PyRadiomics forms Q[i, j] = sum_k p[i, k] p[j, k] / (px[i] py[k] + eps) and calls a general
    eigenvalue solver. Without the eps, Q0 = Dx^-1 P Dy^-1 P^T is similar to the symmetric S = M M^T
    with M = Dx^-1/2 P Dy^-1/2, whose eigenvalues are real and found accurately and fast; its largest
    is 1 (M sqrt(py) = sqrt(px)), so ||M|| = 1. The eps turns Q0 into Q0 - dQ, dQ = W P^T with
    W = P eps / (px py (px py + eps)), i.e. S into S - E, E = Dx^1/2 dQ Dx^-1/2, a perturbation that
    matters for rare grey levels in large ROIs. With v the unit eigenvector of lambda_2, lambda_2 moves
    by -v^T E v (one product with W and one with P) plus a remainder of at most
    ||E v|| ||E^T v|| / gap + ||E||^3 / gap^2 (gap: distance to lambda_1 and lambda_3;
    ||E|| <= ||Dx^1/2 W Dy^1/2||_F as ||M|| = 1). Where that remainder could move MCC by more than
    1e-9 relative, the direction is computed PyRadiomics' way, eps included, so the values stay
    PyRadiomics-exact.
    """
    if p.shape[0] < 2:
        return 1.0  # a single grey level: flat region convention
    with _one_blas_thread(p.shape[0]):
        return _mcc_directions(p, px, py)


_BLAS: dict = {}


def _one_blas_thread(n_levels: int):
    """Keep BLAS single-threaded for these small dense problems: with several threads (and other
    processes on the cores) OpenBLAS spins, and the products and eigenvalue calls of a 3-D ROI's 13
    directions of ~120 levels took 1.5 s instead of 20 ms in a fresh process on a busy 2-core box.
    The controller is made once (~15 ms); a limit costs ~10 us. Neither is needed where the command
    set one BLAS thread before numpy loaded (:func:`myomri.cores.single_threaded_blas`)."""
    if n_levels < 8 or blas_pinned():  # a few levels: nothing for threads to do; or one thread already
        return contextlib.nullcontext()
    if "controller" not in _BLAS:
        try:  # scanning the loaded libraries is slow: do it once
            from threadpoolctl import ThreadpoolController

            from myomri.features._lapack import dsyevr

            dsyevr()  # loads SciPy's own OpenBLAS first: the controller limits the libraries loaded when it is made
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
    m = a * rx[:, :, None] * ry[:, None, :]
    prod = pxa[:, :, None] * pya[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        # 1/prod - 1/(prod + eps) = eps / (prod (prod + eps)), zero where p is zero
        w = np.where(a > 0, a * (_EPS / (prod * (prod + _EPS))), 0.0)
    e_bound = np.sqrt(np.einsum("aij,aij->a", w * w, prod))  # ||Dx^1/2 W Dy^1/2||_F >= ||E||_2
    values = np.empty(a.shape[0])
    for k, s in enumerate(m @ m.transpose(0, 2, 1)):
        values[k] = _mcc_corrected(s, a[k], w[k], np.sqrt(pxa[k]), rx[k], e_bound[k])
        if not values[k] >= 0:  # NaN: the bound says the shortcut cannot be trusted
            values[k] = _mcc_pyradiomics(a[k], pxa[k], pya[k])
    return float(np.nanmean(values))


def _mcc_corrected(s, a, w, sx, rx, e_bound) -> float:
    """sqrt(lambda_2) of S - E by first-order perturbation of S's (see :func:`_mcc`); NaN when the
    remainder bound is not small enough or LAPACK has trouble (the caller then computes it exactly)."""
    from myomri.features._lapack import dsyevr

    g = s.shape[0]
    # the two eigenvalues below the largest (it is 1) and their vectors: LAPACK's dsyevr, range "I"
    il = max(g - 2, 1)
    lam, vec, found, _, info = dsyevr()(s, compute_v=1, range="I", il=il, iu=g - 1, overwrite_a=1)
    if info != 0 or found != g - il:
        return float("nan")
    lam2, v = lam[found - 1], vec[:, found - 1]
    gap = min(1.0 - lam2, lam2 - lam[0]) if g > 2 else 1.0 - lam2
    if not (lam2 > 1e-12 and gap > 0 and e_bound < 0.5 * gap):
        # lambda_2 at rounding level (absolute error ~eps), or too close to another eigenvalue
        return float("nan")
    xl, xr = sx * v, rx * v
    ev = sx * (w @ (a.T @ xr))  # E v
    etv = rx * (a @ (w.T @ xl))  # E^T v
    remainder = np.linalg.norm(ev) * np.linalg.norm(etv) / gap + e_bound**3 / gap**2
    if remainder > 2e-9 * lam2:
        return float("nan")
    return float(np.sqrt(lam2 - v @ ev))


def _mcc_pyradiomics(a, px, py) -> float:
    """One direction exactly as PyRadiomics 3.0.1: eigenvalues of Q (eps included), complex order."""
    q = (a / (px[:, None] * py[None, :] + _EPS)) @ a.T
    ev = np.linalg.eigvals(q)
    ev.sort()
    with np.errstate(invalid="ignore"):
        # eigvals gives a real array when all eigenvalues are real: a negative one then yields NaN (ignored)
        return complex(np.sqrt(ev[-2])).real if np.iscomplexobj(ev) else float(np.sqrt(ev[-2]))
