"""Grey Level Co-occurrence Matrix features (24), as PyRadiomics 3.0.1 defines them.

One matrix per direction (13 in 3-D, 4 with force2D or a single-slice ROI), made symmetric
(``symmetricalGLCM``), restricted to the grey levels present in the ROI, normalised per direction;
features are computed per direction and averaged (IBSI "3D/2.5D averaged"). With ``weightingNorm`` the
directions are merged first (IBSI "merged"). Directions without any pair are ignored.
Flat-region conventions: Correlation = 1, Imc1 = 0 when both marginal entropies are 0, Imc2 = 0 when
HXY2 = HXY, MCC = 1 for a single grey level.
"""

from __future__ import annotations

import numpy as np

from myomri.features._kernels import count_glcm
from myomri.features._matrices import TextureRoi, angle_weights, drop_empty_angles

__all__ = ["FEATURE_NAMES", "calculate_glcm", "compute_glcm"]

FEATURE_NAMES = (
    "Autocorrelation", "JointAverage", "ClusterProminence", "ClusterShade", "ClusterTendency", "Contrast",
    "Correlation", "DifferenceAverage", "DifferenceEntropy", "DifferenceVariance", "JointEnergy",
    "JointEntropy", "Imc1", "Imc2", "Idm", "MCC", "Idmn", "Id", "Idn", "InverseVariance",
    "MaximumProbability", "SumAverage", "SumEntropy", "SumSquares",
)

_EPS = np.spacing(1)


def calculate_glcm(roi: TextureRoi, *, distances, symmetrical: bool = True, weighting_norm=None
                   ) -> np.ndarray:
    """Normalised GLCMs, shape (n_present_levels, n_present_levels, n_directions) as PyRadiomics' P_glcm."""
    directions, steps = roi.offsets(distances=distances, bidirectional=False)
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
    with np.errstate(invalid="ignore", divide="ignore"):
        return p / np.where(total == 0, np.nan, total)[None, None, :]


def compute_glcm(roi: TextureRoi, *, distances, symmetrical: bool = True, weighting_norm=None
                 ) -> dict[str, float]:
    """The 24 GLCM features (names without class prefix) of a discretised ROI."""
    p = calculate_glcm(roi, distances=distances, symmetrical=symmetrical, weighting_norm=weighting_norm)
    return glcm_features(p, roi.grey_levels, roi.n_levels)


def _entropy(p, axes):
    return -np.sum(p * np.log2(p + _EPS), axis=axes)


def glcm_features(p: np.ndarray, grey: np.ndarray, n_levels: int) -> dict[str, float]:
    """Features of normalised GLCMs ``p`` (G, G, A) over the grey levels ``grey`` (G,)."""
    g = grey.astype(np.float64)
    n_g = len(g)
    n_a = p.shape[2]
    i = g[:, None, None]
    j = g[None, :, None]
    px = p.sum(axis=1)  # (G, A)
    py = p.sum(axis=0)
    ux = np.sum(g[:, None] * px, axis=0)  # (A,)
    uy = np.sum(g[:, None] * py, axis=0)
    # sums and differences of grey levels: k = i + j in 2..2Ng, k = |i - j| in 0..Ng-1
    gi, gj = np.meshgrid(g.astype(np.int64), g.astype(np.int64), indexing="ij")
    k_sum = np.arange(2, 2 * n_levels + 1, dtype=np.float64)
    k_diff = np.arange(0, n_levels, dtype=np.float64)
    flat = p.reshape(n_g * n_g, n_a)
    idx_sum = (gi + gj).ravel() - 2
    idx_diff = np.abs(gi - gj).ravel()
    p_sum = np.stack([np.bincount(idx_sum, weights=flat[:, a], minlength=len(k_sum)) for a in range(n_a)], 1)
    p_diff = np.stack([np.bincount(idx_diff, weights=flat[:, a], minlength=len(k_diff)) for a in range(n_a)], 1)

    hxy = _entropy(p, (0, 1))
    hx = _entropy(px, 0)
    hy = _entropy(py, 0)
    pxy = px[:, None, :] * py[None, :, :]
    hxy1 = -np.sum(p * np.log2(pxy + _EPS), axis=(0, 1))
    hxy2 = -np.sum(pxy * np.log2(pxy + _EPS), axis=(0, 1))

    dx = i - ux[None, None, :]
    dy = j - uy[None, None, :]
    sigx = np.sqrt(np.sum(p * dx**2, axis=(0, 1)))
    sigy = np.sqrt(np.sum(p * dy**2, axis=(0, 1)))
    corm = np.sum(p * dx * dy, axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(sigx * sigy == 0, 1.0, corm / (sigx * sigy))
        div = np.fmax(hx, hy)
        imc1 = np.where(div != 0, (hxy - hxy1) / np.where(div != 0, div, 1), hxy - hxy1)
        imc2 = (1 - np.e ** (-2 * (hxy2 - hxy))) ** 0.5  # NaN when HXY2 < HXY (rounding): ignored below
        imc2 = np.where(hxy2 == hxy, 0.0, imc2)
    diff_avg = np.sum(k_diff[:, None] * p_diff, axis=0)
    cluster = i + j - ux[None, None, :] - uy[None, None, :]
    inv_var = np.sum(p_diff[1:] / k_diff[1:, None] ** 2, axis=0)

    def mean(x):
        return float(np.nanmean(x))

    return {
        "Autocorrelation": mean(np.sum(p * i * j, axis=(0, 1))),
        "JointAverage": mean(ux),
        "ClusterProminence": mean(np.sum(p * cluster**4, axis=(0, 1))),
        "ClusterShade": mean(np.sum(p * cluster**3, axis=(0, 1))),
        "ClusterTendency": mean(np.sum(p * cluster**2, axis=(0, 1))),
        "Contrast": mean(np.sum(p * (i - j) ** 2, axis=(0, 1))),
        "Correlation": mean(corr),
        "DifferenceAverage": mean(diff_avg),
        "DifferenceEntropy": mean(_entropy(p_diff, 0)),
        "DifferenceVariance": mean(np.sum((k_diff[:, None] - diff_avg[None, :]) ** 2 * p_diff, axis=0)),
        "JointEnergy": mean(np.sum(p**2, axis=(0, 1))),
        "JointEntropy": mean(hxy),
        "Imc1": mean(imc1),
        "Imc2": mean(imc2),
        "Idm": mean(np.sum(p_diff / (1 + k_diff[:, None] ** 2), axis=0)),
        "MCC": _mcc(p, px, py),
        "Idmn": mean(np.sum(p_diff / (1 + k_diff[:, None] ** 2 / n_levels**2), axis=0)),
        "Id": mean(np.sum(p_diff / (1 + k_diff[:, None]), axis=0)),
        "Idn": mean(np.sum(p_diff / (1 + k_diff[:, None] / n_levels), axis=0)),
        "InverseVariance": mean(inv_var),
        "MaximumProbability": mean(p.max(axis=(0, 1))),
        "SumAverage": mean(np.sum(k_sum[:, None] * p_sum, axis=0)),
        "SumEntropy": mean(_entropy(p_sum, 0)),
        "SumSquares": mean(np.sum(p * dx**2, axis=(0, 1))),
    }


def _mcc(p, px, py) -> float:
    """Maximal Correlation Coefficient: sqrt of the second largest eigenvalue of Q, averaged over directions.

    Q[i, j] = sum_k p[i, k] p[j, k] / (px[i] py[k] + eps). Q is not symmetric, so eigenvalues may come out
    complex from round-off; as PyRadiomics, sort them (complex order), take the square root and keep the
    real part of the mean.
    """
    if p.shape[0] < 2:
        return 1.0  # a single grey level: flat region convention
    a = p.transpose(2, 0, 1)  # (A, G, G)
    pxa = px.T[:, :, None]
    pya = py.T[:, None, :]
    q = (a / (pxa * pya + _EPS)) @ a.transpose(0, 2, 1)
    ev = np.linalg.eigvals(q)
    ev.sort(axis=-1)
    with np.errstate(invalid="ignore"):
        # eigvals gives a real array when all eigenvalues are real: a negative one then yields NaN (ignored)
        return float(np.real(np.nanmean(np.sqrt(ev[:, -2]))))
