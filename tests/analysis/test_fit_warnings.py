"""Warnings raised inside a study's fits are counted into notes: never dropped, never a line per fold."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.exceptions import ConvergenceWarning
from tests.analysis._study_synth import write_study

from myomri.analysis import study as study_module
from myomri.analysis import validation
from myomri.analysis.study import run_study
from myomri.analysis.study_config import load_study

PLANTED = "planted: the fit saw a column it distrusts"


class WarningLDA(LinearDiscriminantAnalysis):
    """LDA whose every fit warns twice from one line (a UserWarning) and once with a ConvergenceWarning."""

    def fit(self, X, y):
        for _ in range(2):  # the same line twice: Python's "default" filter shows it once per block
            warnings.warn(PLANTED + "\nsecond line, left out of the note", UserWarning, stacklevel=1)
        warnings.warn("stopped early", ConvergenceWarning, stacklevel=1)
        return super().fit(X, y)


def _data(seed=0, n=30):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 3)) + y[:, None]
    return X, y


def test_count_fit_warnings_keeps_category_and_first_line():
    msgs = [
        warnings.WarningMessage(ConvergenceWarning("x"), ConvergenceWarning, "f.py", 1),
        warnings.WarningMessage(UserWarning("a\nb"), UserWarning, "f.py", 2),
        warnings.WarningMessage(UserWarning("a\nc"), UserWarning, "f.py", 3),
        warnings.WarningMessage(RuntimeWarning(""), RuntimeWarning, "f.py", 4),
    ]
    assert validation.count_fit_warnings(msgs) == {
        "convergence_warnings": 1,
        "warning UserWarning: a": 2,
        "warning RuntimeWarning: ": 1,
    }


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_cv_fold_warnings_are_counted_per_occurrence_and_none_escape(n_jobs):
    X, y = _data()
    with warnings.catch_warnings(record=True) as escaped:
        res = validation.run_repeated_cv(WarningLDA(), X, y, folds=3, repeats=2, seed=0, n_jobs=n_jobs)
    key = f"warning UserWarning: {PLANTED}"
    assert res.notes[key] == 12  # 3 folds x 2 repeats x 2 occurrences each, for any n_jobs
    assert res.notes["convergence_warnings"] == 6
    assert [w for w in escaped if PLANTED in str(w.message)] == []


@pytest.mark.parametrize("mode, where", [("nested", "the cross-validation's fits"), ("published", "the selection's SFS fits")])  # fmt: skip
def test_study_notes_name_each_fit_warning_with_its_count(tmp_path, monkeypatch, mode, where):
    real = validation.make_classifier

    def make(name, **kw):
        return WarningLDA() if name == "lda" else real(name, **kw)

    monkeypatch.setattr(validation, "make_classifier", make)
    monkeypatch.setattr(study_module, "make_classifier", make)
    path = write_study(tmp_path, selection={"mode": mode, "univariate_p": 0.05, "k": 2}, classifiers=["lda"],
                       bootstrap=0, validation={"folds": 3, "repeats": 1, "seed": 0})  # fmt: skip
    with warnings.catch_warnings(record=True) as escaped:
        res = run_study(load_study(path))
    assert [w for w in escaped if PLANTED in str(w.message)] == []
    planted = [n for n in res.notes if PLANTED in n and where in n]
    assert len(planted) == 1 and planted[0].startswith("task groups, lda: ")
    assert int(planted[0].split(": ")[1].split()[0]) > 0
    assert planted[0].endswith(f"UserWarning(s) in {where}: {PLANTED}")
    assert any(n.startswith("task groups, lda: ") and "ConvergenceWarning(s) in " + where in n for n in res.notes)
