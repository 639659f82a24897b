"""Metrics, collinearity, univariate filter, SFS, QDA fallback, corrected t-test, permutation, bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import f_oneway, t as t_dist, ttest_ind
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import roc_auc_score

from tests.analysis._study_synth import CLASSES, make_study_tables
from myomri.analysis.classifiers import RankSafeQDA, make_classifier
from myomri.analysis.compare import corrected_resampled_ttest, fold_accuracy
from myomri.analysis.metrics import auc_ovr, bootstrap_macro_auc
from myomri.analysis.permutation import permutation_test
from myomri.analysis.reduction import CollinearityFilter, select_collinear
from myomri.analysis.selection import ForwardSFS, UnivariateFilter
from myomri.analysis.validation import build_pipeline, run_repeated_cv
from myomri.errors import InputError


def _r1():
    features, clinical = make_study_tables(0)
    r1 = features[features.reader == "R1"].reset_index(drop=True)
    y = np.array([CLASSES.index(g) for g in clinical.group])
    return r1, y


def test_auc_ovr_with_ties_equals_roc_auc_score():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 60)
    proba = np.round(rng.dirichlet(np.ones(3), 60), 1)  # many ties
    got = auc_ovr(y, proba)
    for c in range(3):
        assert abs(got[c] - roc_auc_score(y == c, proba[:, c])) < 1e-12


def test_collinearity_keeps_the_feature_with_lowest_mean_abs_r_of_a_pair():
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    b = a + 0.1 * rng.normal(size=200)  # r(a, b) ~ 0.995
    c = 0.5 * a + rng.normal(size=200)  # correlated with a a bit more than with b? compute below
    d = rng.normal(size=200)
    X = np.column_stack([a, b, c, d])
    keep = select_collinear(X, threshold=0.7)
    r = np.abs(np.corrcoef(X, rowvar=False))
    mean_r = (r.sum(0) - 1) / 3
    loser = 0 if mean_r[0] > mean_r[1] else 1
    assert keep.tolist() == [loser != 0, loser != 1, True, True]
    filt = CollinearityFilter(threshold=0.7).fit(X)
    assert filt.transform(X).shape[1] == 3


def test_collinearity_drops_exactly_one_of_the_planted_duplicate_pair():
    r1, _ = _r1()
    names = [c for c in r1.columns if c not in ("subject", "reader")]
    keep = select_collinear(r1[names].to_numpy(float), threshold=0.7)
    kept = {n for n, k in zip(names, keep) if k}
    assert len(kept & {"sig_a", "sig_a_copy"}) == 1
    assert len(kept) == len(names) - 1


def test_univariate_filter_pvalues_match_scipy_and_fallback_keeps_min_features():
    r1, y = _r1()
    X = r1[["sig_a", "sig_b", "noise_1", "noise_2"]].to_numpy(float)
    uni = UnivariateFilter(p_threshold=0.05).fit(X, y)
    assert np.allclose(uni.pvalues_, [f_oneway(*(X[y == c, j] for c in range(3))).pvalue for j in range(4)])
    assert uni.support_.tolist()[:2] == [True, True]
    yb = (y == 0).astype(int)
    ub = UnivariateFilter().fit(X, yb)
    assert np.allclose(ub.pvalues_, ttest_ind(X[yb == 0], X[yb == 1]).pvalue)
    noise = X[:, 2:]
    fb = UnivariateFilter(p_threshold=1e-12, min_features=2).fit(noise, y)
    assert fb.fallback_ and fb.support_.sum() == 2


def test_forward_sfs_finds_the_planted_signal_features_first():
    r1, y = _r1()
    names = ["noise_1", "sig_b", "noise_2", "sig_c", "noise_3", "sig_a"]
    X = r1[names].to_numpy(float)
    sfs = ForwardSFS(LinearDiscriminantAnalysis(), k=3).fit(X, y)
    assert {names[i] for i in sfs.order_} == {"sig_a", "sig_b", "sig_c"}
    rng_sizes = ForwardSFS(LinearDiscriminantAnalysis(), k=[1, 2, 3]).fit(X, y)
    scores = {len(c): s for c, s in rng_sizes.path_}
    assert rng_sizes.k_score_ == max(scores.values())
    assert len(rng_sizes.order_) == min(k for k, s in scores.items() if s == rng_sizes.k_score_)


def test_qda_rank_deficiency_triggers_reported_regularised_fallback():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5))
    y = np.array([0] * 3 + [1] * 9)  # class 0: 3 samples < 5 features + 1
    q = RankSafeQDA().fit(X, y)
    assert q.fallback_used_ and "not full rank" in q.fallback_reason_
    assert np.allclose(q.predict_proba(X).sum(axis=1), 1)
    ok = RankSafeQDA().fit(rng.normal(size=(40, 2)), np.repeat([0, 1], 20))
    assert not ok.fallback_used_
    with pytest.raises(InputError, match="unknown classifier"):
        make_classifier("xgboost")


def test_corrected_resampled_ttest_matches_hand_formula():
    a = np.array([0.8, 0.7, 0.9, 0.85, 0.75, 0.8])
    b = np.array([0.7, 0.7, 0.8, 0.80, 0.70, 0.6])
    mean, t, df, p = corrected_resampled_ttest(a, b, n_train=60, n_test=15)
    d = a - b
    t_ref = d.mean() / np.sqrt((1 / 6 + 15 / 60) * d.var(ddof=1))
    assert mean == pytest.approx(d.mean()) and t == pytest.approx(t_ref) and df == 5
    assert p == pytest.approx(2 * t_dist.sf(abs(t_ref), 5))
    # the correction makes the test more conservative than the naive paired t-test
    assert abs(t) < abs(d.mean() / np.sqrt(d.var(ddof=1) / 6))


def test_fold_accuracy_and_cv_result_shapes():
    r1, y = _r1()
    X = r1[["sig_a", "sig_b"]].to_numpy(float)
    res = run_repeated_cv(build_pipeline("lda", mode="none"), X, y, folds=4, repeats=3, seed=2)
    acc = fold_accuracy(res.pred, res.fold, y)
    assert acc.shape == (3, 4)
    pooled = (res.pred == y).mean(axis=1)
    sizes = np.array([[np.sum(res.fold[r] == f) for f in range(4)] for r in range(3)])
    assert np.allclose((acc * sizes).sum(axis=1) / sizes.sum(axis=1), pooled)


def test_parallel_outer_folds_give_identical_results():
    r1, y = _r1()
    X = r1[["sig_a", "sig_b", "noise_1", "noise_2"]].to_numpy(float)
    tpl = build_pipeline("knn", mode="nested", k=[1, 2])
    one = run_repeated_cv(tpl, X, y, folds=3, repeats=2, seed=0, n_jobs=1)
    two = run_repeated_cv(tpl, X, y, folds=3, repeats=2, seed=0, n_jobs=2)
    assert np.array_equal(one.proba, two.proba) and one.selected == two.selected


def test_permutation_test_separates_signal_from_noise():
    r1, y = _r1()
    tpl = build_pipeline("lda", mode="none")
    sig = r1[["sig_a", "sig_b"]].to_numpy(float)
    res = run_repeated_cv(tpl, sig, y, folds=5, repeats=1, seed=0)
    obs = auc_ovr(y, res.proba).mean()
    p, null = permutation_test(tpl, sig, y, observed=obs, n_permutations=19, folds=5, repeats=1, seed=0)
    assert p == pytest.approx(1 / 20) and null.max() < obs
    assert 0.3 < null.mean() < 0.7  # chance level of a macro AUC


def test_bootstrap_ci_brackets_the_auc_and_narrows_with_more_subjects():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 100)
    score = y + rng.normal(size=200)
    proba = np.column_stack([1 - score, score])
    lo, hi = bootstrap_macro_auc(y, proba, n_boot=500, seed=0, positive=1)
    auc = roc_auc_score(y, score)
    assert lo < auc < hi and hi - lo < 0.15


@pytest.mark.parametrize("clf", ["lda", "knn"])
@pytest.mark.parametrize("noise", [0.5, 1.5, 3.0])
def test_sfs_branch_and_bound_selects_exactly_what_full_scoring_selects(clf, noise):
    r1, y = _r1()
    names = [c for c in r1.columns if c not in ("subject", "reader")]
    X = r1[names].to_numpy(float) + np.random.default_rng(1).normal(scale=noise, size=(len(y), len(names)))
    fast = ForwardSFS(make_classifier(clf), k=[3, 4]).fit(X, y)

    class FullScoring(ForwardSFS):
        def _score(self, X, y, cols, splits, bound=-np.inf):
            return super()._score(X, y, cols, splits, bound=-np.inf)

    full = FullScoring(make_classifier(clf), k=[3, 4]).fit(X, y)
    assert fast.order_ == full.order_ and fast.k_score_ == full.k_score_ and full.n_pruned_ == 0
    assert fast.n_pruned_ > 0


def test_qda_ridge_fallback_when_a_feature_is_constant_within_a_class():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 1))
    y = np.repeat([0, 1], 15)
    # one selected feature, exactly constant within class 1 (seen on the demo cohort): Ledoit-Wolf
    # shrinks towards the mean variance, which is 0 here, so the shrunk covariance is singular too
    X[y == 1, 0] = 4.0
    q = RankSafeQDA().fit(X, y)
    assert q.fallback_used_ and "ridge" in q.fallback_reason_
    proba = q.predict_proba(X)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1)
    assert (q.predict(X) == y).mean() > 0.9  # class 1 sits on one point away from class 0
