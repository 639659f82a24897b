"""scikit-learn fast paths decided at run time: both paths give the plain scikit-learn results,
a missing path falls back to the stock estimator with a warning and a note, and the fast forest
keeps ``feature_importances_``."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier

from myomri.analysis import fastpaths
from myomri.analysis.classifiers import make_classifier
from myomri.analysis.fastforest import ExactRandomForest
from myomri.analysis.fastmlp import ExactMLP
from myomri.analysis.validation import _fit_fold, build_pipeline


def _data(seed=1, n=48, p=5, k=3):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    return rng.normal(size=(n, p)) + 0.8 * y[:, None], y


@pytest.fixture
def no_fast_paths(monkeypatch):
    """Every fast path reported missing, as on a scikit-learn whose internals moved."""
    monkeypatch.setattr(fastpaths, "_problem", lambda name: "ImportError: moved (simulated)")


def test_fast_paths_are_used_on_this_scikit_learn():
    status = fastpaths.fast_path_status()
    assert {status[name] for name in fastpaths.FAST_PATHS} == {"used"}, status
    assert type(make_classifier("rf")) is ExactRandomForest and type(make_classifier("mlp")) is ExactMLP


def test_missing_internals_fall_back_to_stock_estimators_with_a_warning(no_fast_paths):
    assert type(make_classifier("rf")) is RandomForestClassifier
    assert type(make_classifier("mlp")) is MLPClassifier
    with pytest.warns(fastpaths.FastPathWarning) as caught:
        status = fastpaths.check_fast_paths()
    assert sorted(str(w.message).split("'")[1] for w in caught) == sorted(fastpaths.FAST_PATHS)
    assert status["forest"].startswith("stock scikit-learn (ImportError")


@pytest.mark.parametrize("clf", ["rf", "mlp"])
def test_both_paths_give_the_same_fold(clf, monkeypatch):
    X, y = _data()
    tr, te = next(StratifiedKFold(n_splits=4, shuffle=True, random_state=1).split(X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = _fit_fold(build_pipeline(clf, mode="nested", k=[1, 2]), X, y, tr, te)
        monkeypatch.setattr(fastpaths, "_problem", lambda name: "simulated")
        stock = _fit_fold(build_pipeline(clf, mode="nested", k=[1, 2]), X, y, tr, te)
    assert np.array_equal(fast[0], stock[0]) and np.array_equal(fast[1], stock[1])


def test_fast_forest_feature_importances_equal_the_stock_forest():
    X, y = _data(3)
    fast = ExactRandomForest(random_state=4).fit(X, y)
    assert fast._fast_
    np.testing.assert_array_equal(fast.feature_importances_,
                                  RandomForestClassifier(random_state=4).fit(X, y).feature_importances_)


@pytest.mark.slow
def test_study_on_scikit_learn_1_8_equals_the_plain_loop(tmp_path):
    """Installs scikit-learn 1.8 into a temporary venv (this environment's packages behind it) and
    checks there that the estimators make_classifier picks equal the stock scikit-learn ones.
    Skipped when no 1.8 wheel can be installed (an offline machine without one)."""
    import site
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "scikit-learn>=1.8,<1.9"],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        pytest.skip(f"no scikit-learn 1.8 wheel installable here: {pip.stderr.strip().splitlines()[-1:]}")
    # this environment's packages (myomri, numpy, scipy, ...) behind the venv's own scikit-learn
    target = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    ours = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    with open(os.path.join(target, "zz_outer_env.pth"), "w") as fh:
        fh.writelines(f"import site; site.addsitedir({d!r})\n" for d in dict.fromkeys(ours))
    code = (
        "import warnings, numpy as np, sklearn\n"
        "from sklearn.model_selection import StratifiedKFold\n"
        "from myomri.analysis import fastpaths\n"
        "from myomri.analysis.validation import _fit_fold, build_pipeline\n"
        "assert sklearn.__version__.startswith('1.8'), sklearn.__version__\n"
        "rng = np.random.default_rng(1); y = np.arange(48) % 3; X = rng.normal(size=(48, 5)) + 0.8 * y[:, None]\n"
        "tr, te = next(StratifiedKFold(n_splits=4, shuffle=True, random_state=1).split(X, y))\n"
        "warnings.simplefilter('ignore')\n"
        "status, found = fastpaths.fast_path_status(), fastpaths._problem\n"
        "for clf in ('rf', 'mlp', 'lda'):\n"
        "    fastpaths._problem = found\n"
        "    a = _fit_fold(build_pipeline(clf, mode='nested', k=[1, 2]), X, y, tr, te)\n"
        "    fastpaths._problem = lambda name: 'off'\n"
        "    b = _fit_fold(build_pipeline(clf, mode='nested', k=[1, 2]), X, y, tr, te)\n"
        "    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), clf\n"
        "print(status)\n"
    )
    run = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "'scikit_learn': '1.8" in run.stdout
    print(run.stdout)  # which fast paths 1.8 supports (pytest -s shows it)
