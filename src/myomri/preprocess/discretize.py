"""Grey-level discretisation exactly as PyRadiomics 3.0.1 does it (fixed bin width or fixed bin count).

Fixed bin width ``W``: bin edges are the multiples of ``W`` from the largest multiple not above the ROI
minimum, so a value ``x`` lands in bin ``floor(x / W) - floor(min / W) + 1``. This is *not* IBSI's
convention (IBSI anchors the first bin at the ROI minimum or the re-segmentation bound); see
``docs/ibsi_deviations.md``.

Fixed bin count ``N``: the edges of ``numpy.histogram(values, N)`` with the top edge raised by 1 so that
the maximum falls into bin ``N`` (all bins half-open, as ``numpy.digitize`` treats them).

Both routes use the very same numpy operations as PyRadiomics on the values in their own dtype, so the
bin assignment is identical even for values that sit on a bin edge.
"""

from __future__ import annotations

import math

import numpy as np

from myomri.errors import ConfigError, InputError

__all__ = ["compute_bin_edges", "discretize_values", "validate_binning", "MAX_BINS"]

#: more bins than this is a mistake (a bin width meant for other units), not a discretisation
MAX_BINS = 100_000


def validate_binning(*, bin_width, bin_count) -> None:
    """Raise ConfigError unless exactly one usable binning rule is given.

    Parameters
    ----------
    bin_width : float or None
        PyRadiomics ``binWidth``; must be finite and > 0.
    bin_count : int or None
        PyRadiomics ``binCount``; must be an integer >= 1. Takes precedence in PyRadiomics, but giving
        both is ambiguous, so we refuse it.
    """
    if bin_width is not None and bin_count is not None:
        raise ConfigError(
            f"both binWidth ({bin_width}) and binCount ({bin_count}) are set; expected exactly one "
            "(set the other to null)"
        )
    if bin_count is not None:
        if isinstance(bin_count, bool) or not float(bin_count).is_integer() or bin_count < 1:
            raise ConfigError(f"binCount must be an integer >= 1, got {bin_count!r}")
        return
    if bin_width is None:
        raise ConfigError("neither binWidth nor binCount is set; expected one of them")
    if isinstance(bin_width, bool) or not math.isfinite(float(bin_width)) or float(bin_width) <= 0:
        raise ConfigError(f"binWidth must be a finite number > 0, got {bin_width!r}")


def compute_bin_edges(values: np.ndarray, *, bin_width=None, bin_count=None) -> np.ndarray:
    """Bin edges of PyRadiomics for the ROI ``values`` (1-D, non-empty, finite).

    Parameters
    ----------
    values : ndarray
        Intensities inside the ROI, in their own dtype (integers stay integers, as in PyRadiomics).
    bin_width, bin_count
        Exactly one must be given (see :func:`validate_binning`).

    Returns
    -------
    ndarray
        Monotonic bin edges for ``numpy.digitize``.
    """
    validate_binning(bin_width=bin_width, bin_count=bin_count)
    values = np.asarray(values).ravel()
    if values.size == 0:
        raise InputError("cannot discretise an empty ROI: expected at least one voxel")
    if bin_count is not None:
        edges = np.histogram(values, int(bin_count))[1]
        edges[-1] += 1  # so that the maximum falls in the last (half-open) bin
        return edges
    minimum = values.min()
    maximum = values.max()
    n_bins = (float(maximum) - float(minimum)) / float(bin_width) + 2
    if n_bins > MAX_BINS:
        raise ConfigError(
            f"binWidth {bin_width} cuts the ROI range [{minimum}, {maximum}] into ~{n_bins:.3g} "
            f"bins; expected at most {MAX_BINS} (use a larger binWidth or binCount)"
        )
    low = minimum - (minimum % bin_width)
    # + 2 widths: arange excludes its stop and digitize treats the last edge as open
    high = maximum + 2 * bin_width
    edges = np.arange(low, high, bin_width)
    if len(edges) == 1:  # degenerate flat region: one bin around the single edge
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    return edges


def discretize_values(
    values: np.ndarray, *, bin_width=None, bin_count=None, digitize=None
) -> tuple[np.ndarray, np.ndarray]:
    """Discretise ROI intensities into grey levels 1..Ng as PyRadiomics does.

    Parameters
    ----------
    values : ndarray
        Intensities inside the ROI (any shape; finite).
    bin_width, bin_count
        Exactly one must be given.
    digitize : callable, optional
        ``digitize(values, edges, width)``, equal to ``np.digitize(values, edges)`` for equally
        spaced edges, used for a bin width on large ROIs (the feature code passes its compiled
        one); default: the numpy version of this module.

    Returns
    -------
    levels : ndarray of int
        Grey level of each value, same shape as ``values``; 1 is the bin holding the minimum.
    edges : ndarray
        The bin edges used.

    Examples
    --------
    >>> levels, edges = discretize_values(np.array([0, 24, 25, 60]), bin_width=25)
    >>> levels.tolist()
    [1, 1, 2, 3]
    """
    values = np.asarray(values)
    if values.size and not np.all(np.isfinite(values)):
        raise InputError("ROI intensities contain NaN or infinite values; expected finite numbers")
    edges = compute_bin_edges(values, bin_width=bin_width, bin_count=bin_count)
    if bin_count is None and values.dtype.kind in "iu" and float(bin_width).is_integer() and len(edges) > 2:
        # integers and an integer width: the bin index is exact integer arithmetic, identical to
        # digitize on the edges low + n * W (and several times faster on large ROIs)
        return (values.astype(np.int64) - int(edges[0])) // int(bin_width) + 1, edges
    if bin_count is None and len(edges) > 2 and values.size > _DIRECT_MIN_SIZE:
        return (digitize or _digitize_uniform)(values, edges, float(bin_width)), edges
    return np.digitize(values, edges).astype(np.int64), edges


#: Below this many values np.digitize's binary search is as fast as the arithmetic path.
_DIRECT_MIN_SIZE = 2048


def _digitize_uniform(values: np.ndarray, edges: np.ndarray, width: float) -> np.ndarray:
    """``np.digitize(values, edges)`` for equally spaced ``edges``, in O(n) instead of O(n log G).

    The arithmetic guess floor((x - e0) / w) + 1 can be off by one where rounding puts x on the
    wrong side of an edge; each guess is then checked against the actual edges (the same
    comparisons digitize makes: edges[i - 1] <= x < edges[i]) and moved, so the result is identical.
    """
    x = np.asarray(values, dtype=np.float64)
    idx = np.floor((x - edges[0]) / width).astype(np.int64) + 1
    np.clip(idx, 0, len(edges), out=idx)
    for _ in range(2):  # one step fixes a rounding slip; a second pass costs nothing when clean
        below = (idx > 0) & (x < edges[np.maximum(idx - 1, 0)])
        above = (idx < len(edges)) & (x >= edges[np.minimum(idx, len(edges) - 1)])
        if not (below.any() or above.any()):
            break
        idx -= below
        idx += above
    return idx
