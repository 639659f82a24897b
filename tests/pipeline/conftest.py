"""A small demo cohort (3 subjects per group) and one finished pipeline run, shared by the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.pipeline._pipeline_helpers import small_study, write_study


@pytest.fixture(scope="session")
def demo_cohort(tmp_path_factory) -> Path:
    """3 subjects per group (15), seed 0; read-only for the tests (copy before changing files)."""
    from myomri.config.demo import DemoConfig
    from myomri.demo.cohort import generate_cohort

    out = tmp_path_factory.mktemp("cohort") / "demo"
    config = DemoConfig(seed=0, composition={g: 3 for g in ("PM", "DM", "ADM", "nonIIM", "HC")}).validate()
    generate_cohort(out, config=config, progress=False, n_jobs=1)
    return out


@pytest.fixture(scope="session")
def finished_run(demo_cohort, tmp_path_factory):
    """The small study run once, end to end (T2, features, study, statistics, report)."""
    from myomri.pipeline import load_pipeline, run_pipeline

    path = write_study(demo_cohort, small_study(demo_cohort), "study_small.yaml")
    out = tmp_path_factory.mktemp("run") / "out"
    config = load_pipeline(path)
    result = run_pipeline(config, out, progress=False)
    return config, result


@pytest.fixture
def cohort_copy(demo_cohort, tmp_path) -> Path:
    """A private copy of the cohort's tables (images are linked, not copied) for tests that edit it."""
    dst = tmp_path / "cohort"
    shutil.copytree(demo_cohort, dst, copy_function=_link_or_copy)
    return dst


def _link_or_copy(src, dst):
    import os

    if str(src).endswith((".csv", ".tsv", ".yaml", ".json", ".txt")):
        return shutil.copy2(src, dst)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst
