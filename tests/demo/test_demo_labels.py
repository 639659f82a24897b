"""Thigh label set (config/labels.py): DAFNE order, value <-> (muscle, side), ITK-SNAP file."""

from __future__ import annotations

import re

import pytest

from myomri.config.labels import (
    LABEL_VALUES,
    MUSCLE_NAMES,
    MUSCLES,
    format_itksnap_labels,
    label_name,
    label_value,
    muscle_side,
)
from myomri.errors import InputError
from myomri.io.labels import write_itksnap_labels


def test_muscles_are_dafne_thigh_labels_in_dafne_order():
    assert MUSCLES == ("VL", "VM", "VI", "RF", "SAR", "GRA", "AM", "SM", "ST", "BFL", "BFS", "AL")
    assert set(MUSCLE_NAMES) == set(MUSCLES)
    assert MUSCLE_NAMES["BFS"] == "biceps femoris short head"


def test_right_leg_is_1_to_12_and_left_leg_13_to_24_in_muscle_order():
    assert [label_value(m, "R") for m in MUSCLES] == list(range(1, 13))
    assert [label_value(m, "L") for m in MUSCLES] == list(range(13, 25))
    assert label_value("al", "left") == 24
    assert LABEL_VALUES == tuple(range(1, 25))


def test_value_to_muscle_side_inverts_label_value():
    for v in LABEL_VALUES:
        assert label_value(*muscle_side(v)) == v
    assert muscle_side(1) == ("VL", "R") and muscle_side(13) == ("VL", "L")
    assert label_name(19) == "AM_L"


@pytest.mark.parametrize("bad", [0, 25, -1, 2.5])
def test_invalid_label_value_raises_input_error(bad):
    with pytest.raises(InputError, match="1..24"):
        muscle_side(bad)


def test_unknown_muscle_or_side_raises_input_error():
    with pytest.raises(InputError, match="muscle 'XX'"):
        label_value("XX", "R")
    with pytest.raises(InputError, match="side 'middle'"):
        label_value("VL", "middle")


def test_itksnap_label_file_lists_background_and_24_labels_with_names(tmp_path):
    path = write_itksnap_labels(tmp_path / "labels.txt")
    text = path.read_text()
    assert text == format_itksnap_labels()
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    parsed = [re.match(r'\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+(\d)\s+(\d)\s+"(.*)"$', r) for r in rows]
    assert all(parsed), rows
    values = [int(m.group(1)) for m in parsed]
    assert values == list(range(25))
    assert parsed[1].group(8).startswith("VL_R") and parsed[24].group(8).startswith("AL_L")
    assert all(0 <= int(m.group(k)) <= 255 for m in parsed for k in (2, 3, 4))
