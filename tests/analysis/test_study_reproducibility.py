"""ICC (all six forms) against pingouin 0.7, and the reproducibility filter on planted readers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analysis._study_synth import FEATURES, SHAKY, make_study_tables
from myomri.analysis.reduction import ReproducibilityFilter
from myomri.analysis.reproducibility import compute_icc, icc_table
from myomri.config.analysis import ICC_FORMS
from myomri.errors import InputError

pingouin = pytest.importorskip("pingouin")


@pytest.fixture
def pingouin_unrounded(monkeypatch):
    """pingouin rounds CI95 to 2 decimals by default; compare against its unrounded values."""
    monkeypatch.setitem(pingouin.options, "round.column.CI95", None)


@pytest.mark.parametrize("form", list(ICC_FORMS))
def test_icc_value_and_ci_equal_pingouin_within_1e9_for_every_form(form, pingouin_unrounded):
    rng = np.random.default_rng(3)
    n, k, m = 15, 3, 4
    truth = rng.normal(size=(n, 1, m)) * [1.0, 2.0, 0.5, 3.0]
    ratings = truth + rng.normal(scale=0.6, size=(n, k, m)) + rng.normal(scale=0.3, size=(1, k, m))
    icc, lo, hi = compute_icc(ratings, form=form)
    for j in range(m):
        long = pd.DataFrame(
            {"s": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n), "v": ratings[:, :, j].ravel()}
        )
        ref = pingouin.intraclass_corr(long, targets="s", raters="r", ratings="v").set_index("Type")
        row = ref.loc[[t for t in ref.index if _pingouin_type(form) == t][0]]
        assert abs(icc[j] - row["ICC"]) < 1e-9
        assert abs(lo[j] - row["CI95"][0]) < 1e-9 and abs(hi[j] - row["CI95"][1]) < 1e-9


def _pingouin_type(form: str) -> str:
    return {"1": "ICC(1,1)", "A1": "ICC(A,1)", "C1": "ICC(C,1)", "1k": "ICC(1,k)", "Ak": "ICC(A,k)",
            "Ck": "ICC(C,k)"}[form]


def test_icc_is_one_for_identical_raters_and_consistency_ignores_a_rater_offset():
    x = np.linspace(0, 10, 12)
    same = np.stack([x, x], axis=1)
    assert compute_icc(same, form="A1")[0] == pytest.approx(1.0)
    shifted = np.stack([x, x + 5.0], axis=1)
    assert compute_icc(shifted, form="C1")[0] == pytest.approx(1.0)
    assert compute_icc(shifted, form="A1")[0] < 0.9  # absolute agreement penalises the offset


def test_reproducibility_filter_drops_exactly_the_planted_unreliable_features():
    features, _ = make_study_tables(0)
    filt = ReproducibilityFilter({"inter": ["R1", "R2"], "intra": ["R1", "R1b"]}, form="A1", threshold=0.8)
    filt.fit(features)
    assert list(filt.get_feature_names_out()) == [f for f in FEATURES if f not in SHAKY]
    icc = filt.icc_.set_index(["analysis", "feature"])["icc"]
    assert icc[("inter", "shaky_inter")] < 0.5 and icc[("intra", "shaky_intra")] < 0.5
    assert icc[("intra", "shaky_inter")] > 0.95  # only R2 is unreliable on it
    out = filt.transform(features[features.reader == "R1"])
    assert list(out.columns) == list(filt.get_feature_names_out())


def test_icc_with_unbalanced_readers_lists_the_missing_subjects():
    features, _ = make_study_tables(0)
    features = features[~((features.reader == "R2") & features.subject.isin(["S003", "S010"]))]
    with pytest.raises(InputError, match=r"unbalanced readers.*R2 lacks \['S003', 'S010'\]"):
        icc_table(features, analyses={"inter": ["R1", "R2"]}, feature_names=FEATURES)


def test_icc_with_reader_absent_from_table_names_it():
    features, _ = make_study_tables(0)
    with pytest.raises(InputError, match=r"reader\(s\) \['R3'\].*absent"):
        icc_table(features, analyses={"inter": ["R1", "R3"]}, feature_names=FEATURES)


def test_icc_rejects_nan_ratings_and_unknown_form():
    x = np.ones((5, 2))
    x[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        compute_icc(x)
    with pytest.raises(InputError, match="form"):
        compute_icc(np.ones((5, 2)), form="ICC2")
