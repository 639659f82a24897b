"""Discretisation: the arithmetic fast path equals np.digitize on PyRadiomics' edges, edge cases included."""

from __future__ import annotations

import numpy as np
import pytest

from myomri.errors import ConfigError
from myomri.preprocess.discretize import _digitize_uniform, compute_bin_edges, discretize_values


@pytest.mark.parametrize("bin_width", [25.0, 0.1, 1 / 3, 7.77, 3.0, 0.05])
def test_uniform_fast_path_equals_digitize_including_values_on_edges(bin_width):
    rng = np.random.default_rng(int(bin_width * 1000))
    checked = 0
    for trial in range(60):
        x = rng.normal(rng.uniform(-1e3, 1e3), rng.uniform(0.01, 500), 5000)
        if trial % 3 == 0:  # values on (rounded) bin edges: where floor((x - e0) / w) can slip by one
            x = np.round(x / bin_width) * bin_width
        if trial % 5 == 0:
            x = np.round(x, 2)
        try:
            edges = compute_bin_edges(x, bin_width=bin_width)
        except ConfigError:  # too many bins for this range: not a discretisation case
            continue
        if len(edges) < 3:
            continue
        np.testing.assert_array_equal(_digitize_uniform(x, edges, bin_width), np.digitize(x, edges))
        checked += 1
    assert checked > 20


def test_discretize_values_large_float_roi_uses_same_levels_as_digitize():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(400, 250, 50_000), 1)
    levels, edges = discretize_values(x, bin_width=25)
    np.testing.assert_array_equal(levels, np.digitize(x, edges))
    assert levels.min() == 1
