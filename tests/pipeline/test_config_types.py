"""The pipeline study file is type-checked whole, before any stage runs (issue 16 item 10)."""

from __future__ import annotations

import pytest
import yaml

from myomri.errors import ConfigError
from myomri.pipeline import load_pipeline
from myomri.pipeline.demo import demo_study


def _study(folder, **changes):
    """A valid study over a two-subject manifest without series (nothing to fit: a pure config check)."""
    (folder / "manifest.csv").write_text("subject,reader,session,image,mask,mese,dseg\ns1,R1,1,,,,\ns2,R1,1,,,,\n")
    (folder / "participants.tsv").write_text("participant_id\tgroup\ns1\tPM\ns2\tHC\n")
    study = demo_study(repeats=1, folds=3)
    study["t2"].pop("align")  # the demo states alignment off; a study that says nothing gets the default
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(study.get(key), dict):
            study[key] = {**study[key], **value}
        else:
            study[key] = value
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


def _problems(path) -> str:
    with pytest.raises(ConfigError) as err:
        load_pipeline(path)
    return "\n".join(err.value.problems)


def test_the_valid_study_loads_and_keeps_its_types(tmp_path):
    config = load_pipeline(_study(tmp_path))
    assert config.t2["enabled"] is True and config.features["enabled"] is True
    assert config.analysis["validation"]["folds"] == 3
    assert config.t2["align"] is True and config.segmentation["align"] is True  # on by default


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"t2": {"enabled": "false"}}, "t2.enabled: expected true or false, got 'false'"),
    ({"features": {"enabled": "no"}}, "features.enabled: expected true or false, got 'no'"),
    ({"t2": {"fat_t2": True}}, "t2.fat_t2: expected a positive number of ms (> 0), got True"),
    ({"t2": {"model": "mono", "method": "levenberg"}}, "t2.method (model mono): 'levenberg' is not one of"),
    ({"t2": {"method": "nnls"}}, "t2.method (model epg): 'nnls' is not one of ['lsq', 'myoqmri']"),
    ({"segmentation": {"method": "dl", "model": "absent.pt"}}, "segmentation.model: model file not found"),
    ({"statistics": {"marker": 3}}, "statistics.marker: expected a column name of the T2 table, got 3"),
    ({"report": {"overlays": "3"}}, "report.overlays: expected an integer >= 0, got '3'"),
    ({"report": {"title": None}}, "report.title: expected a non-empty string, got None"),
    ({"clinical_id": ["participant_id"]}, "clinical_id: expected a column name of the clinical table"),
    ({"columns": {"mese": 7}}, "columns.mese: expected a column name, got 7"),
    ({"t2": "yes"}, "t2: expected a mapping, got 'yes'"),
    ({"t2": {"align": "no"}}, "t2.align: expected true or false, got 'no'"),
    ({"segmentation": {"method": "given", "align": 0}}, "segmentation.align: expected true or false, got 0"),
])
def test_a_wrongly_typed_setting_is_a_problem(tmp_path, changes, fragment):
    assert fragment in _problems(_study(tmp_path, **changes))


def test_the_analysis_section_is_checked_with_the_study_schema_up_front(tmp_path):
    analysis = demo_study()["analysis"]
    analysis["validation"] = {"folds": 1, "repeats": 0, "seed": 0}
    analysis["selection"] = {"mode": "greedy"}
    analysis["classifiers"] = ["lda", "xgboost"]
    analysis["colour"] = "red"
    text = _problems(_study(tmp_path, analysis=analysis, t2={"enabled": "false"}))
    for fragment in ("analysis.validation.folds: expected an integer >= 2, got 1",
                     "analysis.validation.repeats: expected an integer >= 1, got 0",
                     "analysis.selection.mode: 'greedy'", "analysis.classifiers: 'xgboost'",
                     "analysis.colour: unknown key", "t2.enabled: expected true or false"):
        assert fragment in text, fragment


def test_cli_run_refuses_a_mistyped_study_before_any_stage(tmp_path, capsys):
    from myomri.cli import main

    analysis = demo_study()["analysis"]
    analysis["validation"]["folds"] = 1
    path = _study(tmp_path, analysis=analysis, t2={"enabled": "false"})
    assert main(["run", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "2 problems" in err and "validation.folds" in err
    assert not (tmp_path / "out" / "stages").exists()
