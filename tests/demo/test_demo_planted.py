"""Planted effects of the demo generator: group T2 distributions, patterns, clinical links."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from myomri.config.demo import DemoConfig
from myomri.demo.clinical import ENZYMES, draw_clinical, draw_demographics
from myomri.demo.phantom import draw_phantom
from myomri.demo.tissue import draw_disease

CONFIG = DemoConfig()


@pytest.fixture(scope="module")
def planted():
    phantom = draw_phantom(np.random.default_rng(0), CONFIG, female=True)
    out = {}
    for g in CONFIG.composition:
        rng = np.random.default_rng([42, len(g)])
        out[g] = [draw_disease(rng, CONFIG, g, phantom, ars_positive=False) for _ in range(400)]
    return out


def test_healthy_control_t2_matches_paper_33_9_plus_minus_0_9(planted):
    t2 = np.array([s.t2_planted for s in planted["HC"]])
    assert t2.mean() == pytest.approx(33.9, abs=0.3)
    assert 0.5 < t2.std() < 1.3


def test_pooled_iim_t2_matches_paper_47_4_plus_minus_9(planted):
    comp = CONFIG.composition
    pooled = np.concatenate(
        [np.array([s.t2_planted for s in planted[g]])[: comp[g] * 18] for g in ("PM", "DM", "ADM")]
    )
    assert pooled.mean() == pytest.approx(47.4, abs=1.5)
    assert pooled.std() == pytest.approx(9.0, abs=2.0)
    # the paper's 36.4 ms cut-off separates almost all patients from controls
    assert np.mean(pooled > 36.4) > 0.93


def test_oedema_patterns_differ_by_group_but_overlap(planted):
    def weights(g):
        return np.array([s.weights for s in planted[g]])

    pm, dm, adm = weights("PM"), weights("DM"), weights("ADM")
    assert pm[:, 2].mean() > dm[:, 2].mean() + 0.3  # PM patchy
    assert dm[:, 0].mean() > pm[:, 0].mean() + 0.1  # DM diffuse
    assert adm[:, 1].mean() > pm[:, 1].mean() + 0.2  # ADM fascial
    # not separable: some DM subjects are more patchy than the median PM subject
    assert np.mean(dm[:, 2] > np.median(pm[:, 2])) > 0.02
    adm_t2 = np.array([s.t2_planted for s in planted["ADM"]])
    dm_t2 = np.array([s.t2_planted for s in planted["DM"]])
    assert adm_t2.mean() < dm_t2.mean()  # milder in ADM


def _clinical_sample(n=3000):
    rng = np.random.default_rng(11)
    t2 = rng.uniform(33, 70, n)
    recs = []
    for i in range(n):
        demo = draw_demographics(rng, CONFIG, "DM")
        recs.append(draw_clinical(rng, CONFIG, "DM", demo, float(t2[i])) | {"ars": demo["ars"]})
    return t2, recs


def test_muscle_enzymes_rise_with_muscle_t2_as_planted():
    t2, recs = _clinical_sample()
    for name in ENZYMES:
        values = np.array([r[name] for r in recs], dtype=float)
        rho = stats.spearmanr(t2, values).statistic
        assert rho > 0.25, (name, rho)
        assert np.all(values > 0)
    ck = np.log([r["CK"] for r in recs])
    slope = np.polyfit((t2 - 34) / 10, ck, 1)[0]
    assert slope == pytest.approx(CONFIG.enzyme_slopes["CK"], abs=0.1)


def test_ild_score_is_0_to_8_independent_of_t2_and_higher_with_anti_ars():
    t2, recs = _clinical_sample()
    ild = np.array([r["ILD_score"] for r in recs])
    assert ild.min() == 0 and ild.max() <= 8
    assert abs(stats.spearmanr(t2, ild).statistic) < 0.06
    ars = np.array([r["ars"] for r in recs])
    assert ild[ars].mean() > ild[~ars].mean() + 1.0
    positive = ild[ild > 0]
    assert positive.mean() == pytest.approx(4.8, abs=0.8)  # paper: 4.8 +/- 1.6 among ILD


def test_antibody_status_missing_for_untested_and_jo1_implies_ars():
    _, recs = _clinical_sample()
    tested = [r for r in recs if r["anti_ARS"] is not None]
    untested = [r for r in recs if r["anti_ARS"] is None]
    assert 0.5 < len(tested) / len(recs) < 0.9 and untested
    assert all(r["anti_Jo1"] is None for r in untested)
    assert all(r["anti_ARS"] == 1 for r in tested if r["anti_Jo1"] == 1)
    assert 0.15 < np.mean([r["anti_ARS"] for r in tested]) < 0.5
