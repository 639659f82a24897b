"""``study validate`` checks everything ``study run`` needs and reports every problem at once;
``study run`` makes the same checks before any fit (issue 16 item 9)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.analysis._study_synth import make_study_tables, write_study
from myomri.analysis.study import run_study
from myomri.analysis.study_checks import minimum_class_size, study_problems
from myomri.analysis.study_config import load_study
from myomri.cli import main
from myomri.errors import StudyInputError

QUICK = {"bootstrap": 0, "validation": {"folds": 5, "repeats": 1, "seed": 0}}


def _with_small_adm(tmp_path, n_adm: int, **study):
    """The synthetic study with only ``n_adm`` ADM subjects (the others of ADM dropped from both tables)."""
    path = write_study(tmp_path, **{**QUICK, **study})
    features, clinical = make_study_tables(0)
    keep = set(clinical.loc[clinical.group != "ADM", "subject"]) | set(clinical.loc[clinical.group == "ADM",
                                                                                    "subject"][:n_adm])
    features[features.subject.isin(keep)].to_csv(tmp_path / "features.csv", index=False)
    clinical[clinical.subject.isin(keep)].to_csv(tmp_path / "clinical.csv", index=False)
    return path


@pytest.mark.parametrize(("folds", "mode", "classifiers", "expected"), [
    (10, "nested", ["lda", "qda", "svm", "knn", "rf", "mlp"], 10),  # 9 left in training >= 5, 7 in SFS training
    (5, "nested", ["svm"], 9),  # 9 -> 7 in training -> 5 in SFS training: the SVM's 5 calibration folds
    (5, "nested", ["lda"], 7),  # 7 -> 5 in training: the SFS's 5 inner folds
    (5, "published", ["svm"], 7),  # SFS on all 7 -> 5 per inner training set; 5 in outer training
    (3, "none", ["lda"], 3),
    (3, "none", ["svm"], 8),  # 8 - ceil(8 / 3) = 5 calibration members
])
def test_minimum_class_size_known_answers(folds, mode, classifiers, expected):
    assert minimum_class_size(folds=folds, mode=mode, classifiers=classifiers) == expected


def test_class_too_small_for_the_svm_calibration_inside_nested_selection_fails_before_any_fit(tmp_path, capsys):
    path = _with_small_adm(tmp_path, 8, classifiers=["lda", "svm"])
    # before: validate passed, and run raised scikit-learn's "Requesting 5-fold cross-validation but
    # provided less than 5 examples" after fitting lda
    assert main(["study", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "class(es) {'ADM': 8} leave only 4 subjects in some training sets, fewer than the 5 of the SVM's " \
           "calibration folds inside the feature selection" in err and "needs at least 9 subjects" in err
    with pytest.raises(StudyInputError, match=r"\{'ADM': 8\}"):
        run_study(load_study(path))
    assert main(["study", "run", str(path), "-o", str(tmp_path / "out"), "--no-figures"]) == 2
    assert not (tmp_path / "out").exists()


def test_class_too_small_for_the_inner_selection_folds_is_reported(tmp_path):
    problems, _ = study_problems(load_study(_with_small_adm(tmp_path, 6, classifiers=["lda"])))
    assert problems == [problems[0]] and "{'ADM': 6} leave only 4 subjects in some training sets, fewer than " \
                                          "the 5 of the inner folds of the nested feature selection" in problems[0]


def test_a_class_just_large_enough_passes_validate_and_runs(tmp_path, capsys):
    path = _with_small_adm(tmp_path, 9, classifiers=["svm"])
    assert main(["study", "validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out
    result = run_study(load_study(path))
    assert set(result.performance["classifier"]) == {"svm"}


def test_validate_lists_wrong_target_positive_and_class_together(tmp_path, capsys):
    path = write_study(tmp_path, **QUICK, tasks=[
        {"name": "typo", "target": "grup"},
        {"name": "jo1", "target": "anti_jo1", "positive": "yes"},
        {"name": "ibm", "target": "group", "classes": ["PM", "IBM"]},
    ])
    problems, _ = study_problems(load_study(path))
    text = "\n".join(problems)
    assert "task typo: target column 'grup' absent from the clinical table" in text
    assert "task jo1: binary target anti_jo1 must have two values including 'yes'; found ['negative', " \
           "'positive']" in text
    assert "task ibm: class(es) ['IBM'] have no subjects in column 'group'" in text
    assert len(problems) == 3
    assert main(["study", "validate", str(path)]) == 2
    assert "3 problems" in capsys.readouterr().err


def test_validate_lists_wrong_reader_fixed_feature_and_repeated_rows_together(tmp_path):
    path = write_study(tmp_path, **QUICK, reference_reader="R9",
                       selection={"mode": "none", "features": ["sig_a", "sig_zz"]})
    features, clinical = make_study_tables(0)
    repeated = features[(features.reader == "R2") & (features.subject == "S003")]
    pd.concat([features, repeated]).to_csv(tmp_path / "features.csv", index=False)
    pd.concat([clinical, clinical.iloc[[5]]]).to_csv(tmp_path / "clinical.csv", index=False)
    problems, _ = study_problems(load_study(path))
    text = "\n".join(problems)
    assert "reference_reader 'R9' absent; readers present: ['R1', 'R1b', 'R2']" in text
    assert "selection.features ['sig_zz'] are not feature columns" in text
    assert "(subject, reader) rows repeated: [('S003', 'R2')]" in text
    assert "clinical table" in text and "subject(s) repeated: ['S005']" in text
    assert len(problems) == 4
