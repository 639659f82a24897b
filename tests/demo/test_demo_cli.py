"""``myomri demo-data`` command line."""

from __future__ import annotations

import pandas as pd
import pytest

from myomri.cli import main
from myomri.cli.demo_data import parse_composition
from myomri.errors import ConfigError


def test_demo_data_command_writes_cohort_and_prints_summary(tmp_path, capsys):
    out = tmp_path / "demo"
    rc = main(["demo-data", str(out), "--seed", "3", "--subjects-per-group", "HC=1,PM=1", "--no-progress"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "2 subjects (PM 1, HC 1)" in text
    assert "true mean muscle water T2 per group (ms): PM" in text and "time taken" in text
    assert sorted(pd.read_csv(out / "participants.tsv", sep="\t")["group"]) == ["HC", "PM"]
    # a second run into the now non-empty folder is refused with one clear line
    rc = main(["demo-data", str(out), "--subjects-per-group", "1", "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--overwrite" in err and "Traceback" not in err


def test_subjects_per_group_accepts_one_number_or_group_list():
    assert parse_composition("2") == {"PM": 2, "DM": 2, "ADM": 2, "nonIIM": 2, "HC": 2}
    assert parse_composition("pm=3, hc=1") == {"PM": 3, "HC": 1}
    with pytest.raises(ConfigError, match="GROUP=N"):
        parse_composition("IBM=2")


def test_bad_subjects_per_group_exits_2(tmp_path, capsys):
    assert main(["demo-data", str(tmp_path / "x"), "--subjects-per-group", "PM=two", "--no-progress"]) == 2
    assert "GROUP=N" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_subjects_per_group_naming_a_group_twice_is_an_error_naming_it(tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"group PM given more than once \('pm=2' after PM=1\)"):
        parse_composition("PM=1,pm=2")
    assert main(["demo-data", str(tmp_path / "x"), "--subjects-per-group", "PM=1,PM=2", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "group PM given more than once" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "argv, said",
    [
        ([], None),  # the default check (3) is lowered to short runs' repeats without a word
        (["--repeats", "2"], None),
        (["--nested-check", "0", "--repeats", "2"], None),
        (["--nested-check", "5", "--repeats", "5"], None),
        (["--nested-check", "150"], "--nested-check 150 is more than the 100 repeats; all 100 are checked"),
        (["--nested-check", "6", "--repeats", "5"], "--nested-check 6 is more than the 5 repeats; all 5 are checked"),
        (["--nested-check", "2", "--selection", "nested"], "with --selection nested every repeat is nested"),
    ],
)
def test_a_nested_check_that_cannot_run_as_given_is_said(argv, said):
    from myomri.cli import build_parser
    from myomri.cli.demo import nested_check_note

    note = nested_check_note(build_parser("demo").parse_args(["demo", "-o", "d", *argv]))
    assert note == said if said is None else note.startswith("demo: ") and note.endswith(said)
