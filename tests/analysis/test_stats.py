"""Clinical statistics: known answers, scipy/sklearn parity, brute-force DeLong, missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sklearn.metrics import roc_auc_score, roc_curve

from myomri.analysis.stats import (
    adjust_holm,
    analyze_roc,
    characteristics_table,
    compute_proportion_ci,
    correlate_markers,
    delong_components,
    run_contingency_test,
    run_mann_whitney,
    run_two_group_test,
)
from myomri.errors import InputError


def _cohort(seed: int, m: int = 32, n: int = 20, decimals: int = 0):
    """T2-like marker with ties (rounded), IIM higher than healthy controls."""
    rng = np.random.default_rng(seed)
    pos = np.round(rng.normal(40.0, 6.0, m), decimals)
    neg = np.round(rng.normal(35.0, 3.0, n), decimals)
    marker = np.concatenate([pos, neg])
    group = np.array(["IIM"] * m + ["HC"] * n, dtype=object)
    return marker, group, pos, neg


def _brute_force_delong(pos, neg):
    """DeLong 1988 structural components by explicit double loops, and the variance of the AUC."""
    m, n = len(pos), len(neg)

    def psi(x, y):
        return 1.0 if x > y else (0.5 if x == y else 0.0)

    v10 = [sum(psi(pos[i], neg[j]) for j in range(n)) / n for i in range(m)]
    v01 = [sum(psi(pos[i], neg[j]) for i in range(m)) / m for j in range(n)]
    auc = sum(v10) / m
    s10 = sum((v - auc) ** 2 for v in v10) / (m - 1)
    s01 = sum((v - auc) ** 2 for v in v01) / (n - 1)
    return auc, np.array(v10), np.array(v01), s10 / m + s01 / n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_equals_sklearn_roc_auc_score_with_ties(seed):
    marker, group, _, _ = _cohort(seed)
    r = analyze_roc(marker, group, positive="IIM")
    assert r.auc == pytest.approx(roc_auc_score(group == "IIM", marker), abs=1e-12)
    r_less = analyze_roc(-marker, group, positive="IIM", direction="less")
    assert r_less.auc == pytest.approx(r.auc, abs=1e-12)


@pytest.mark.parametrize("seed,m,n", [(3, 32, 20), (4, 7, 11), (5, 15, 15)])
def test_delong_variance_equals_brute_force_structural_components(seed, m, n):
    _, _, pos, neg = _cohort(seed, m=m, n=n)
    auc_bf, v10_bf, v01_bf, var_bf = _brute_force_delong(pos, neg)
    auc, v10, v01 = delong_components(pos, neg)
    np.testing.assert_allclose(v10, v10_bf, atol=1e-12)
    np.testing.assert_allclose(v01, v01_bf, atol=1e-12)
    marker = np.concatenate([pos, neg])
    group = ["IIM"] * m + ["HC"] * n
    r = analyze_roc(marker, group, positive="IIM", level=0.95)
    assert r.auc == pytest.approx(auc_bf, abs=1e-12)
    assert r.auc_se ** 2 == pytest.approx(var_bf, rel=1e-10)
    z = sps.norm.ppf(0.975)
    assert r.auc_ci[0] == pytest.approx(max(0.0, auc_bf - z * np.sqrt(var_bf)), abs=1e-12)
    assert r.auc_ci[1] == pytest.approx(min(1.0, auc_bf + z * np.sqrt(var_bf)), abs=1e-12)


def test_roc_curve_points_equal_sklearn_without_dropping_points():
    marker, group, _, _ = _cohort(6)
    r = analyze_roc(marker, group, positive="IIM")
    fpr, tpr, thr = roc_curve(group == "IIM", marker, drop_intermediate=False)
    np.testing.assert_allclose(r.fpr, fpr)
    np.testing.assert_allclose(r.tpr, tpr)
    np.testing.assert_allclose(r.thresholds[1:], thr[1:])
    assert np.isinf(r.thresholds[0])


@pytest.mark.parametrize("seed", [7, 8])
def test_youden_cutoff_maximises_j_over_every_observed_threshold(seed):
    marker, group, pos, neg = _cohort(seed)
    r = analyze_roc(marker, group, positive="IIM")
    best_j = max(np.mean(pos >= t) + np.mean(neg < t) - 1.0 for t in np.unique(marker))
    assert r.youden_j == pytest.approx(best_j, abs=1e-12)
    assert r.sensitivity == pytest.approx(np.mean(pos >= r.cutoff))
    assert r.specificity == pytest.approx(np.mean(neg < r.cutoff))
    assert r.sensitivity + r.specificity - 1 == pytest.approx(best_j)
    below = np.unique(marker)[np.unique(marker) < r.cutoff]
    assert r.cutoff_midpoint == pytest.approx((r.cutoff + below.max()) / 2.0)
    assert r.sensitivity_ci[0] <= r.sensitivity <= r.sensitivity_ci[1]
    assert r.specificity_ci[0] <= r.specificity <= r.specificity_ci[1]


def test_roc_perfect_separation_known_answer_and_less_direction():
    marker = [40, 45, 50, 33, 34, 35]
    group = ["IIM"] * 3 + ["HC"] * 3
    r = analyze_roc(marker, group, positive="IIM")
    assert (r.auc, r.cutoff, r.cutoff_midpoint, r.sensitivity, r.specificity) == (1.0, 40.0, 37.5, 1.0, 1.0)
    r_less = analyze_roc(marker, group, positive="HC", direction="less")
    assert (r_less.auc, r_less.cutoff, r_less.sensitivity, r_less.specificity) == (1.0, 35.0, 1.0, 1.0)


def test_roc_hanley_mcneil_1982_rating_data_known_auc_and_youden_point():
    # Hanley & McNeil (1982) Radiology 143:29, Table 1: CT ratings 1-5 of 58 normal and 51 abnormal
    # cases; published trapezoidal AUC 0.8932.
    neg = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    pos = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    r = analyze_roc(np.r_[pos, neg], ["abnormal"] * 51 + ["normal"] * 58, positive="abnormal")
    assert r.auc == pytest.approx(0.8932, abs=5e-5)
    # Youden by hand: rating >= 4 gives sens 44/51, spec 45/58 (J 0.639; >= 3 gives 0.574, >= 5 gives 0.613)
    assert (r.cutoff, r.sensitivity, r.specificity) == (4.0, 44 / 51, 45 / 58)
    assert r.cutoff_midpoint == 3.5


# Newcombe (1998) Stat Med 17:857, Table I: Wilson score (method 3) and Clopper-Pearson (method 5).
NEWCOMBE = [
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize("k,n,wilson,exact", NEWCOMBE)
def test_proportion_ci_matches_newcombe_1998_table_and_scipy(k, n, wilson, exact):
    w = compute_proportion_ci(k, n, level=0.95, method="wilson")
    cp = compute_proportion_ci(k, n, level=0.95, method="clopper-pearson")
    np.testing.assert_allclose(w, wilson, atol=6e-5)
    np.testing.assert_allclose(cp, exact, atol=6e-5)
    ref = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    np.testing.assert_allclose(w, (ref.low, ref.high), atol=1e-12)
    ref = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    np.testing.assert_allclose(cp, (ref.low, ref.high), atol=1e-10)


def test_mann_whitney_equals_scipy_and_u_over_mn_equals_auc():
    marker, group, pos, neg = _cohort(9)
    res = run_mann_whitney(marker, group, positive="IIM")
    ref = sps.mannwhitneyu(pos, neg, alternative="two-sided")
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    auc = analyze_roc(marker, group, positive="IIM").auc
    assert res.statistic / (pos.size * neg.size) == pytest.approx(auc, abs=1e-12)


def test_missing_values_are_dropped_and_counted_not_silently_used():
    marker, group, _, _ = _cohort(10)
    full = analyze_roc(marker, group, positive="IIM")
    marker_m = np.concatenate([marker, [np.nan, 50.0, np.nan]])
    group_m = np.concatenate([group, ["IIM", None, "HC"]])
    r = analyze_roc(marker_m, group_m, positive="IIM")
    assert r.n_missing == 3
    assert (r.n_positive, r.n_negative) == (full.n_positive, full.n_negative)
    assert r.auc == full.auc and r.auc_se == full.auc_se
    assert run_mann_whitney(marker_m, group_m, positive="IIM").n_missing == 3


def test_holm_adjustment_matches_hand_computation():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005=0.02, 3*0.01=0.03, 2*0.03=0.06, max(0.06, 1*0.04)=0.06
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(adjust_holm(p), [0.03, 0.06, 0.06, 0.02])
    # capped at 1, NaN stays out of the family (m = 2 here)
    np.testing.assert_allclose(adjust_holm([0.6, np.nan, 0.2]), [0.6, np.nan, 0.4])
    np.testing.assert_allclose(adjust_holm([0.9, 0.8]), [1.0, 1.0])


def test_spearman_table_equals_scipy_pairwise_and_holm_adjusted():
    rng = np.random.default_rng(11)
    n = 40
    t2 = rng.normal(45, 8, n)
    df = pd.DataFrame({
        "t2": t2,
        "CK": np.exp(0.08 * t2 + rng.normal(0, 0.5, n)),
        "ALT": t2 + rng.normal(0, 10, n),
        "AST": rng.normal(30, 5, n),
        "LDH": np.round(t2 / 5) * 50,  # heavy ties
        "ILD score": rng.integers(0, 9, n).astype(float),
    })
    df.loc[[1, 5, 7], "CK"] = np.nan
    df.loc[3, "t2"] = np.nan
    out = correlate_markers(df, "t2")
    assert list(out["variable"]) == ["CK", "ALT", "AST", "LDH", "ILD score"]
    for _, row in out.iterrows():
        keep = df["t2"].notna() & df[row["variable"]].notna()
        ref = sps.spearmanr(df.loc[keep, "t2"], df.loc[keep, row["variable"]])
        assert row["rho"] == pytest.approx(ref.statistic, abs=1e-12)
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
        assert row["n"] == keep.sum() and row["n_missing"] == n - keep.sum()
    assert out.loc[out["variable"] == "CK", "n_missing"].item() == 4
    np.testing.assert_allclose(out["p_adjusted"], adjust_holm(out["p_value"]))


def test_t_tests_equal_scipy_student_and_welch():
    rng = np.random.default_rng(12)
    a, b = rng.normal(50, 10, 19), rng.normal(42, 4, 14)
    for name, equal_var in (("student", True), ("welch", False)):
        res = run_two_group_test(a, b, test=name)
        ref = sps.ttest_ind(a, b, equal_var=equal_var)
        assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    # Student's t by hand (pooled variance)
    sp2 = ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    t = (a.mean() - b.mean()) / np.sqrt(sp2 * (1 / a.size + 1 / b.size))
    assert run_two_group_test(a, b, test="student").statistic == pytest.approx(t, rel=1e-12)


def test_chi_squared_with_and_without_yates_equals_scipy_and_hand_value():
    table = np.array([[20, 15], [10, 25]])
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    hand = ((table - expected) ** 2 / expected).sum()
    no_yates = run_contingency_test(table, yates=False)
    assert no_yates.statistic == pytest.approx(hand, rel=1e-12) and no_yates.test == "chi-squared"
    yates = run_contingency_test(table, yates=True)
    ref = sps.chi2_contingency(table, correction=True)
    assert yates.statistic == pytest.approx(ref[0]) and yates.p_value == pytest.approx(ref[1])
    assert yates.test == "chi-squared (Yates)"
    big = np.array([[12, 9, 15], [10, 20, 8]])
    assert run_contingency_test(big).p_value == pytest.approx(sps.chi2_contingency(big)[1])


def test_fisher_exact_used_when_expected_count_below_five_lady_tasting_tea():
    # Fisher's tea-tasting table: two-sided p = 34/70 = 0.4857
    res = run_contingency_test([[3, 1], [1, 3]])
    assert res.test == "Fisher exact"
    assert "expected count" in res.note
    assert res.p_value == pytest.approx(34 / 70, abs=1e-12)


def test_fisher_exact_on_a_table_with_more_rows_than_columns_gives_scalars():
    # scipy returns 1-element arrays for this shape. Rows (1, 0), (0, 1), (1, 1): margins (1, 1, 2) x (2, 2),
    # n = 4; P(table) = 1!1!2! 2!2! / (4! 1!0!0!1!1!1!) = 8 / 24 = 1/3, and no margin-preserving table is
    # less likely, so p = 1
    res = run_contingency_test([[1, 0], [0, 1], [1, 1]])
    assert res.test == "Fisher exact" and "Monte Carlo" in res.note
    assert res.statistic == pytest.approx(1 / 3) and res.p_value == pytest.approx(1.0)
    assert isinstance(res.statistic, float) and isinstance(res.p_value, float)


def test_fisher_exact_r_by_c_p_value_is_seeded_and_near_the_exact_value():
    # rows (2, 0), (0, 1), (0, 1); margins (2, 1, 1) x (2, 2): the four possible tables have
    # probabilities 1/6, 1/6, 1/3, 1/3, so the exact p (tables at most as likely as observed) is 1/3
    table = [[2, 0], [0, 1], [0, 1]]
    first, second = run_contingency_test(table), run_contingency_test(table)
    assert first.statistic == pytest.approx(1 / 6)
    assert first.p_value == second.p_value  # unseeded, scipy gave 0.3384, 0.3361, 0.3341 ...
    assert first.p_value == pytest.approx(1 / 3, abs=0.015)


def test_characteristics_table_with_a_three_level_variable_in_two_small_groups():
    # a subject lost to a failed stage leaves tiny groups: the Fisher path with a 3 x 2 crosstab
    df = pd.DataFrame({"group": ["PM", "PM", "DM", "DM"], "ild": ["none", "severe", "mild", "mild"]})
    tab = characteristics_table(df, "group", categorical=["ild"])
    row = tab[tab["variable"] == "ild"].iloc[0]
    assert row["test"].startswith("Fisher exact")
    # crosstab rows mild (2, 0), none (0, 1), severe (0, 1): the table of the test above, exact p = 1/3
    assert row["p_value"] == pytest.approx(1 / 3, abs=0.015)


def test_characteristics_table_two_groups_values_and_tests():
    rng = np.random.default_rng(13)
    df = pd.DataFrame({
        "group": ["DM"] * 22 + ["PM"] * 19,
        "age": np.r_[rng.normal(55, 12, 22), rng.normal(60, 10, 19)],
        "CK": np.r_[rng.lognormal(7, 1, 22), rng.lognormal(8, 1, 19)],
        "sex": rng.choice(["F", "M"], 41, p=[0.6, 0.4]),
        "weakness": np.r_[["yes"] * 20 + ["no"] * 2, ["yes"] * 17 + ["no"] * 2],
    })
    df.loc[0, "age"] = np.nan
    df.loc[4, "sex"] = None
    tab = characteristics_table(df, "group", continuous=["age", "CK"], categorical=["sex", "weakness"],
                                summary={"CK": "median_iqr"})
    assert list(tab.columns) == ["variable", "level", "DM (n=22)", "PM (n=19)", "p_value", "test", "n_missing"]
    age = tab[tab["variable"] == "age"].iloc[0]
    dm_age = df.loc[df.group == "DM", "age"].dropna()
    assert age["DM (n=22)"] == f"{dm_age.mean():.1f} ± {dm_age.std(ddof=1):.1f}"
    ref = sps.ttest_ind(dm_age, df.loc[df.group == "PM", "age"])
    assert age["p_value"] == pytest.approx(ref.pvalue) and age["test"] == "Student t-test"
    assert age["n_missing"] == 1
    ck = tab[tab["variable"] == "CK"].iloc[0]
    assert ck["level"] == "median [IQR]" and ck["DM (n=22)"].startswith(
        f"{df.loc[df.group == 'DM', 'CK'].median():.1f} [")
    sex = tab[tab["variable"] == "sex"]
    assert sex.iloc[0]["n_missing"] == 1
    known = df["sex"].notna()
    ref = sps.chi2_contingency(pd.crosstab(df.loc[known, "sex"], df.loc[known, "group"]).to_numpy())
    assert sex.iloc[0]["p_value"] == pytest.approx(ref[1]) and sex.iloc[0]["test"] == "chi-squared (Yates)"
    n_f_dm = int(((df.sex == "F") & (df.group == "DM")).sum())
    assert sex[sex["level"] == "F"]["DM (n=22)"].item() == f"{n_f_dm} ({100 * n_f_dm / 21:.1f}%)"
    weak = tab[tab["variable"] == "weakness"].iloc[0]
    assert weak["test"].startswith("Fisher exact")
    assert weak["p_value"] == pytest.approx(sps.fisher_exact([[2, 2], [20, 17]]).pvalue)


def test_characteristics_table_four_groups_uses_anova_and_welch_option():
    rng = np.random.default_rng(14)
    groups = ["PM"] * 19 + ["DM"] * 22 + ["ADM"] * 14 + ["non-IIM"] * 19
    df = pd.DataFrame({"g": groups, "age": rng.normal(55, 12, len(groups))})
    tab = characteristics_table(df, "g", continuous=["age"])
    samples = [df.loc[df.g == g, "age"] for g in sorted(set(groups))]
    assert tab.iloc[0]["test"] == "one-way ANOVA"
    assert tab.iloc[0]["p_value"] == pytest.approx(sps.f_oneway(*samples).pvalue)
    two = df[df.g.isin(["PM", "DM"])]
    tab2 = characteristics_table(two, "g", continuous=["age"], test="welch")
    ref = sps.ttest_ind(two.loc[two.g == "DM", "age"], two.loc[two.g == "PM", "age"], equal_var=False)
    assert tab2.iloc[0]["test"] == "Welch t-test" and tab2.iloc[0]["p_value"] == pytest.approx(ref.pvalue)


def test_bad_inputs_raise_clear_input_errors():
    with pytest.raises(InputError, match="exactly 2 groups"):
        analyze_roc([1, 2, 3], ["a", "a", "a"], positive="a")
    with pytest.raises(InputError, match="positive group"):
        analyze_roc([1, 2, 3, 4], ["a", "a", "b", "b"], positive="IIM")
    with pytest.raises(InputError, match="one label per value"):
        analyze_roc([1, 2, 3], ["a", "b"], positive="a")
    with pytest.raises(InputError, match="at least 2 per group"):
        analyze_roc([1.0, 2.0, 3.0, np.nan], ["a", "a", "b", "b"], positive="a")
    with pytest.raises(InputError, match="direction"):
        analyze_roc([1, 2], ["a", "b"], positive="a", direction="up")
    with pytest.raises(InputError, match="not in the table"):
        correlate_markers(pd.DataFrame({"t2": [1.0]}), "t2", ["CK"])
    with pytest.raises(InputError, match="expected at least 2"):
        characteristics_table(pd.DataFrame({"g": ["a", "a"], "x": [1, 2]}), "g", continuous=["x"])
    with pytest.raises(InputError, match="non-numeric"):
        characteristics_table(pd.DataFrame({"g": ["a", "b"], "x": [1, "high"]}), "g", continuous=["x"])
    with pytest.raises(InputError, match=">= 2 values"):
        run_two_group_test([1.0, np.nan], [2.0, 3.0])
    with pytest.raises(InputError, match="table of counts"):
        run_contingency_test([[1.5, 2], [3, 4]])
