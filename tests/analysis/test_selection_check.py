"""The nested check of a published-mode selection (``selection.nested_check``).

Known answers: its nested column must equal a separate ``mode: nested`` run of the same study on the
same splits, its published column the published run's own first repeats, and on pure noise (no class
signal at all) selecting on all subjects must look better than chance while the nested estimate stays
near chance (selection bias).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.analysis._study_synth import CLASSES, make_study_tables, write_study
from myomri.analysis.study import run_study
from myomri.analysis.study_config import load_study, parse_study
from myomri.cli import main
from myomri.errors import ConfigError

SEL = {"univariate_p": 0.05, "k": [2, 3]}
TASKS = [{"name": "groups", "target": "group", "classes": CLASSES},
         {"name": "jo1", "target": "anti_jo1", "positive": "positive"}]  # fmt: skip


def _mean(res, task, clf, metric, average, repeats):
    r = res.repeats
    r = r[(r.task == task) & (r.classifier == clf) & (r.metric == metric) & (r.average == average) & (r.repeat < repeats)]
    return float(r.value.mean())


def test_nested_check_equals_a_nested_run_and_the_published_runs_first_repeats(tmp_path):
    common = dict(classifiers=["lda", "knn"], tasks=TASKS, bootstrap=0, validation={"folds": 5, "repeats": 3, "seed": 4})
    (tmp_path / "p").mkdir()
    (tmp_path / "n").mkdir()
    pub = run_study(load_study(write_study(tmp_path / "p", selection={"mode": "published", "nested_check": 2, **SEL},
                                           **common)))  # fmt: skip
    nested = run_study(load_study(write_study(tmp_path / "n", selection={"mode": "nested", **SEL},
                                              **{**common, "validation": {"folds": 5, "repeats": 2, "seed": 4}})))  # fmt: skip
    check = pub.selection_check
    assert len(check) == 2 * 2 * 2  # tasks x classifiers x (auc, accuracy)
    for row in check.itertuples():
        assert row.repeats == 2
        assert row.nested == pytest.approx(_mean(nested, row.task, row.classifier, row.metric, row.average, 2), abs=1e-12)
        assert row.published == pytest.approx(_mean(pub, row.task, row.classifier, row.metric, row.average, 2), abs=1e-12)
        assert row.optimism == pytest.approx(row.published - row.nested, abs=1e-12)
    assert set(check.average) == {"macro", "positive"}


def _noise_check(tmp_path, noise_seed: int):
    """The nested check of LDA on the groups task when every feature is pure noise (40 of them, the
    same for every reader: perfectly reproducible, no class signal)."""
    features, clinical = make_study_tables(0)
    rng = np.random.default_rng(noise_seed)
    noise = pd.DataFrame(rng.normal(size=(clinical.shape[0], 40)), columns=[f"n{i:02d}" for i in range(40)])
    noise["subject"] = clinical["subject"].to_numpy()
    features[["subject", "reader"]].merge(noise, on="subject").to_csv(tmp_path / "features.csv", index=False)
    clinical.to_csv(tmp_path / "clinical.csv", index=False)
    raw = {"features": "features.csv", "clinical": "clinical.csv", "reference_reader": "R1", "collinearity": None,
           "tasks": TASKS[:1], "selection": {"mode": "published", "nested_check": 3, **SEL},
           "classifiers": ["lda"], "validation": {"folds": 5, "repeats": 3, "seed": 0}, "bootstrap": 0}  # fmt: skip
    check = run_study(parse_study(raw, base=tmp_path)).selection_check
    return check[check.metric == "auc"].iloc[0]


def test_selection_on_all_subjects_is_optimistic_on_pure_noise_and_the_nested_check_is_not(tmp_path):
    rows = [_noise_check(tmp_path, s) for s in range(5)]
    # the published selection saw every test fold's labels: better than chance on every noise draw
    assert all(r.optimism > 0.08 for r in rows), [round(r.optimism, 3) for r in rows]
    # nested: chance on average (three balanced classes; one draw's AUC spreads by ~0.05)
    assert abs(np.mean([r.nested for r in rows]) - 0.5) < 0.04
    assert np.mean([r.published for r in rows]) > 0.6


def test_cli_study_run_writes_the_check_table_and_section(tmp_path):
    path = write_study(tmp_path, selection={"mode": "published", "nested_check": 1, **SEL}, classifiers=["lda"],
                       validation={"folds": 5, "repeats": 2, "seed": 1}, bootstrap=0)  # fmt: skip
    out = tmp_path / "out"
    assert main(["study", "run", str(path), "-o", str(out)]) == 0
    check = pd.read_csv(out / "selection_check.csv")
    assert list(check.columns) == ["task", "classifier", "metric", "average", "repeats", "published", "nested", "optimism"]
    md = (out / "performance.md").read_text()
    assert "## Nested check of the published selection" in md and "| groups | LDA |" in md


def test_nested_check_is_off_by_default_and_absent_from_other_modes(tmp_path):
    res = run_study(load_study(write_study(tmp_path, bootstrap=0)))
    assert res.selection_check is None


@pytest.mark.parametrize(
    "selection, validation, message",
    [
        ({"mode": "nested", "nested_check": 2}, {"repeats": 3}, "mode 'nested' has no selection to check"),
        ({"mode": "published", "nested_check": -1}, {"repeats": 3}, "selection.nested_check"),
        ({"mode": "published", "nested_check": 4}, {"repeats": 3}, "more than the study's validation.repeats (3)"),
    ],
)
def test_bad_nested_check_settings_are_named(tmp_path, selection, validation, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_study(write_study(tmp_path, selection=selection, validation=validation))


def test_a_class_too_small_for_the_nested_inner_folds_skips_the_check_with_a_note(tmp_path):
    # 5 outer folds of 74 subjects; with 5 inner SFS folds a nested selection needs >= 7 per class
    features, clinical = make_study_tables(0, n_per_class=(25, 25, 6))
    features.to_csv(tmp_path / "features.csv", index=False)
    clinical.to_csv(tmp_path / "clinical.csv", index=False)
    raw = {"features": "features.csv", "clinical": "clinical.csv", "reference_reader": "R1",
           "tasks": TASKS[:1], "selection": {"mode": "published", "nested_check": 1, **SEL}, "classifiers": ["lda"],
           "validation": {"folds": 5, "repeats": 1, "seed": 0}, "bootstrap": 0}  # fmt: skip
    res = run_study(parse_study(raw, base=tmp_path))
    assert res.selection_check.empty
    assert any("nested check of groups/lda skipped: class(es) ['ADM']" in n for n in res.notes)
