"""Study file validation and every bad-input case of issue 4; CLI end to end."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.analysis._study_synth import CLASSES, make_study_tables, write_study
from myomri.analysis.study import run_study
from myomri.analysis.study_config import load_study
from myomri.cli import main
from myomri.errors import ConfigError, InputError, MissingFileError

FAST = {"classifiers": ["lda"], "bootstrap": 0, "validation": {"folds": 3, "repeats": 1, "seed": 0}}


def _rewrite(tmp_path, features=None, clinical=None):
    if features is not None:
        features.to_csv(tmp_path / "features.csv", index=False)
    if clinical is not None:
        clinical.to_csv(tmp_path / "clinical.csv", index=False)


def test_study_file_reports_every_problem_at_once(tmp_path):
    path = write_study(tmp_path, collinearity=3, classifiers=["lda", "xgboost"], colour="red",
                       selection={"mode": "greedy", "k": [0]}, validation={"folds": 1, "repeats": 0},
                       reproducibility={"inter": ["R1"], "icc": "ICC2"})
    with pytest.raises(ConfigError) as err:
        load_study(path)
    text = "\n".join(err.value.problems)
    for needle in ("colour: unknown key", "collinearity:", "'xgboost'", "selection.mode", "selection.k",
                   "validation.folds", "validation.repeats", "reproducibility.inter", "reproducibility.icc"):
        assert needle in text, needle
    assert len(err.value.problems) >= 9


def test_missing_study_file_and_missing_tables_are_named(tmp_path):
    with pytest.raises(MissingFileError, match="study file"):
        load_study(tmp_path / "nope.yaml")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"features": "f.csv", "clinical": "c.csv",
                                                     "tasks": [{"name": "t", "target": "g"}]}))
    with pytest.raises(ConfigError, match=r"features: file not found: .*f\.csv"):
        load_study(tmp_path / "s.yaml")


def test_class_with_fewer_subjects_than_folds_is_an_error(tmp_path):
    features, clinical = make_study_tables(0)
    clinical.loc[clinical.group == "ADM", "group"] = ["ADM"] * 4 + ["DM"] * 20
    path = write_study(tmp_path, **FAST)
    _rewrite(tmp_path, clinical=clinical)
    cfg = load_study(path)
    cfg.folds = 5
    with pytest.raises(InputError, match=r"\{'ADM': 4\} have fewer subjects than the 5 CV folds"):
        run_study(cfg)


def test_target_with_one_class_is_an_error(tmp_path):
    features, clinical = make_study_tables(0)
    clinical["anti_jo1"] = "negative"
    path = write_study(tmp_path, tasks=[{"name": "jo1", "target": "anti_jo1"}], **FAST)
    _rewrite(tmp_path, clinical=clinical)
    with pytest.raises(InputError, match="single class"):
        run_study(load_study(path))


def test_subjects_missing_from_either_table_are_listed_by_id(tmp_path):
    features, clinical = make_study_tables(0)
    clinical = pd.concat([clinical[clinical.subject != "S007"],
                          pd.DataFrame({"subject": ["X999"], "group": ["PM"], "anti_jo1": ["negative"]})])
    path = write_study(tmp_path, **FAST)
    _rewrite(tmp_path, clinical=clinical)
    with pytest.raises(InputError) as err:
        run_study(load_study(path))
    msg = str(err.value)
    assert "missing from the clinical table: ['S007']" in msg
    assert "missing from the features table: ['X999']" in msg


def test_non_numeric_feature_values_are_an_error_naming_the_column(tmp_path):
    features, _ = make_study_tables(0)
    features["noise_2"] = features["noise_2"].astype(object)
    features.loc[5, "noise_2"] = "high"
    path = write_study(tmp_path, **FAST)
    _rewrite(tmp_path, features=features)
    with pytest.raises(InputError, match=r"non-numeric values in \['noise_2'\]"):
        run_study(load_study(path))


def test_nan_feature_values_are_an_error_naming_column_and_subject(tmp_path):
    features, _ = make_study_tables(0)
    features.loc[features.subject == "S012", "sig_c"] = np.nan
    path = write_study(tmp_path, **FAST)
    _rewrite(tmp_path, features=features)
    with pytest.raises(InputError, match=r"NaN/infinite values in \['sig_c'\] for subject\(s\) \['S012'\]"):
        run_study(load_study(path))


def test_readers_named_in_study_but_absent_are_an_error(tmp_path):
    path = write_study(tmp_path, reproducibility={"inter": ["R1", "R9"]}, **FAST)
    with pytest.raises(InputError, match=r"\['R9'\].*absent"):
        run_study(load_study(path))
    path = write_study(tmp_path, reference_reader="R7", **FAST)
    with pytest.raises(InputError, match="reference_reader 'R7' absent"):
        run_study(load_study(path))


def test_unbalanced_readers_for_icc_are_an_error(tmp_path):
    features, _ = make_study_tables(0)
    features = features[~((features.reader == "R1b") & (features.subject == "S020"))]
    path = write_study(tmp_path, **FAST)
    _rewrite(tmp_path, features=features)
    with pytest.raises(InputError, match=r"R1b lacks \['S020'\]"):
        run_study(load_study(path))


def test_subjects_without_target_or_outside_classes_are_excluded_and_reported(tmp_path):
    features, clinical = make_study_tables(0)
    clinical.loc[clinical.subject.isin(["S001", "S002"]), "group"] = np.nan
    clinical.loc[clinical.subject == "S003", "group"] = "nonIIM"
    path = write_study(tmp_path, **FAST)
    _rewrite(tmp_path, clinical=clinical)
    res = run_study(load_study(path))
    notes = " ".join(res.notes)
    assert "2 subject(s) without a group value excluded: ['S001', 'S002']" in notes
    assert "1 subject(s) with group outside ['PM', 'DM', 'ADM'] excluded" in notes


def test_cli_study_run_writes_every_output_and_labels_published_mode_optimistic(tmp_path, capsys):
    path = write_study(tmp_path, selection={"mode": "published", "k": 2}, classifiers=["lda", "qda"],
                       tasks=[{"name": "groups", "target": "group", "classes": CLASSES},
                              {"name": "jo1", "target": "anti_jo1", "positive": "positive"}],
                       validation={"folds": 3, "repeats": 2, "seed": 1}, bootstrap=50)
    out = tmp_path / "out"
    assert main(["study", "run", str(path), "-o", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for f in ("repeats.csv", "performance.csv", "icc.csv", "selection.csv", "comparisons.csv", "performance.md",
              "selection_folds.csv",
              "confusion_groups_lda.csv", "confusion_jo1_qda.csv", "roc_groups_lda.png", "confusion_jo1_lda.png"):
        assert f in names, f
    assert not [n for n in names if n.startswith(".")]  # no temporary files left
    perf = pd.read_csv(out / "performance.csv")
    assert list(perf.columns[:10]) == ["task", "classifier", "features", "average", "metric", "mean", "sd",
                                       "n_repeats", "ci_low", "ci_high"]
    assert (perf["selection"] == "published (optimistic)").all()
    assert (pd.read_csv(out / "selection.csv")["mode"] == "published (optimistic)").all()
    assert "OPTIMISTIC" in (out / "performance.md").read_text()
    folds = pd.read_csv(out / "selection_folds.csv")
    assert len(folds) == 2 * 2 * 3 * 2  # tasks x classifiers x folds x repeats
    assert folds["features"].str.count(r"\+").eq(1).all()  # k = 2 features in every fold
    rep = pd.read_csv(out / "repeats.csv")
    assert list(rep.columns[:6]) == ["task", "classifier", "repeat", "metric", "average", "value"]
    cm = pd.read_csv(out / "confusion_groups_lda.csv")
    assert cm["count"].sum() == 74 * 2  # every subject once per repeat
    assert np.allclose(cm.groupby("true")["fraction_of_true"].sum(), 1.0)


def test_cli_bad_study_exits_2_with_one_line(tmp_path, capsys):
    path = write_study(tmp_path, classifiers=["xgboost"])
    assert main(["study", "validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "xgboost" in err[0]


def test_study_permutation_p_and_bootstrap_ci_reported_on_the_auc_row_only(tmp_path):
    path = write_study(tmp_path, classifiers=["lda"], selection={"mode": "none", "features": ["sig_a", "sig_b"]},
                       validation={"folds": 3, "repeats": 2, "seed": 0}, bootstrap=100,
                       permutation={"n": 4, "repeats": 1})
    perf = run_study(load_study(path)).performance
    auc = perf[(perf.metric == "auc") & (perf.average == "macro")]
    assert auc["permutation_p"].iloc[0] == pytest.approx(1 / 5)  # planted signal beats all 4 permutations
    assert auc["ci_low"].iloc[0] < auc["mean"].iloc[0] < auc["ci_high"].iloc[0]
    others = perf[perf.metric != "auc"]
    assert others[["ci_low", "ci_high", "permutation_p"]].isna().all().all()


def test_study_is_deterministic_for_a_seed(tmp_path):
    path = write_study(tmp_path, classifiers=["knn"], validation={"folds": 3, "repeats": 2, "seed": 5})
    a = run_study(load_study(path)).repeats
    b = run_study(load_study(path)).repeats
    pd.testing.assert_frame_equal(a, b)


def test_rank_deficient_qda_is_refitted_and_reported_in_notes(tmp_path):
    from tests.analysis._study_synth import FEATURES

    features, clinical = make_study_tables(0)
    keep = clinical.subject[(clinical.group != "ADM") | clinical.index.isin(range(50, 58))]
    path = write_study(tmp_path, classifiers=["qda"], reproducibility=None, collinearity=None, bootstrap=0,
                       selection={"mode": "none", "features": FEATURES},
                       validation={"folds": 4, "repeats": 1, "seed": 0})
    _rewrite(tmp_path, features=features[features.subject.isin(keep)], clinical=clinical[clinical.subject.isin(keep)])
    res = run_study(load_study(path))
    assert any("qda fallback in 4 of 4 outer folds" in n for n in res.notes), res.notes
    assert np.isfinite(res.repeats["value"]).all()


def test_qda_with_a_feature_constant_within_a_class_runs_nested_and_is_reported(tmp_path):
    """Ledoit-Wolf has nothing to shrink towards when a feature is exactly constant within a class
    (seen on the demo cohort): the ridge fallback fits instead of the whole task failing."""
    features, clinical = make_study_tables(0)
    adm = clinical.subject[clinical.group == "ADM"]
    for col in ("sig_a", "sig_b", "sig_c"):  # constant within ADM for every reader: any selected subset hits it
        features.loc[features.subject.isin(adm), col] = 0.25
    path = write_study(tmp_path, classifiers=["qda"], reproducibility=None, collinearity=None, bootstrap=0,
                       selection={"mode": "nested", "k": [1, 2]}, validation={"folds": 3, "repeats": 1, "seed": 0})
    _rewrite(tmp_path, features=features)
    res = run_study(load_study(path))
    assert np.isfinite(res.repeats["value"]).all()
    assert any("rank-deficient QDA refitted" in n and "ridge" in n for n in res.notes), res.notes


def test_binary_target_with_gaps_keeps_its_labels_as_written(tmp_path):
    """A 0/1 column with empty cells must not become '0.0'/'1.0' (pandas would read it as float)."""
    features, clinical = make_study_tables(0)
    clinical["anti_ars"] = (clinical["anti_jo1"] == "positive").astype(int).astype(object)
    clinical.loc[clinical.index[:5], "anti_ars"] = None
    path = write_study(tmp_path, **FAST, tasks=[{"name": "ars", "target": "anti_ars", "positive": "1"}])
    _rewrite(tmp_path, clinical=clinical)
    res = run_study(load_study(path))
    assert set(res.performance["task"]) == {"ars"}
    assert any("5 subject(s) without a anti_ars value excluded" in n for n in res.notes), res.notes


def test_published_selection_counts_the_sfs_convergence_warnings_into_one_note(tmp_path):
    # The MLP at scikit-learn's default max_iter stops short on these small tables; before the
    # selection caught them, each of the SFS's inner fits put one warning on stderr (185 in the demo).
    from sklearn.exceptions import ConvergenceWarning

    path = write_study(tmp_path, selection={"mode": "published", "k": 2}, classifiers=["mlp"], bootstrap=0,
                       validation={"folds": 3, "repeats": 1, "seed": 0})  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = run_study(load_study(path))
    assert [w for w in caught if issubclass(w.category, ConvergenceWarning)] == []
    sfs_notes = [n for n in res.notes if "selection's SFS fits" in n]
    assert len(sfs_notes) == 1 and sfs_notes[0].startswith("task groups, mlp: ")
    assert int(sfs_notes[0].split(": ")[1].split()[0]) > 0


def test_a_pipeline_study_file_given_to_study_says_to_use_run(tmp_path):
    (tmp_path / "study.yaml").write_text(yaml.safe_dump({"subjects": "manifest.csv", "clinical": "participants.tsv",
                                                         "segmentation": {"method": "dl"}}))  # fmt: skip
    with pytest.raises(ConfigError) as err:
        load_study(tmp_path / "study.yaml")
    assert err.value.problems[0].startswith("subjects: this is a pipeline study file") and "myomri run" in err.value.problems[0]


def test_a_bids_participants_tsv_is_a_clinical_table(tmp_path):
    path = write_study(tmp_path, **FAST)
    clinical = pd.read_csv(tmp_path / "clinical.csv", dtype=str).rename(columns={"subject": "participant_id"})
    clinical.to_csv(tmp_path / "participants.tsv", sep="\t", index=False)
    study = yaml.safe_load(path.read_text())
    study["clinical"] = "participants.tsv"
    path.write_text(yaml.safe_dump(study))
    as_tsv = run_study(load_study(path))
    as_csv = run_study(load_study(write_study(tmp_path, **FAST)))
    pd.testing.assert_frame_equal(as_tsv.repeats, as_csv.repeats)
