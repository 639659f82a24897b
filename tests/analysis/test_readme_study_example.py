"""The README's example study file is valid as written (what a user copies must load)."""

from __future__ import annotations

from pathlib import Path

import yaml

from myomri.analysis.study_config import parse_study

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_study_example_loads_as_written(tmp_path):
    text = README.read_text()
    block = text[text.index("```yaml\nfeatures: features.csv") + len("```yaml\n") :]
    raw = yaml.safe_load(block[: block.index("```")])
    (tmp_path / "features.csv").write_text("subject,reader,original_firstorder_Mean\ns1,R1,1.0\n")
    (tmp_path / "participants.tsv").write_text("participant_id\tgroup\tanti_ARS\ns1\tPM\t1\n")
    study = parse_study(raw, base=tmp_path, source="README")
    assert [t.name for t in study.tasks] == ["IIM_groups", "anti_ARS"]
    assert study.classifiers == ["lda", "qda", "svm", "knn", "rf", "mlp"]
    assert (study.folds, study.repeats, study.mode) == (10, 100, "nested")
