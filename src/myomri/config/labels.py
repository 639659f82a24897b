"""The thigh-muscle label set shared by the demo generator, segmentation and T2 statistics.

The twelve muscles are DAFNE's thigh model labels, in DAFNE's order. A label map stores the right
leg as values 1..12 and the left leg as 13..24 (same muscle order), so ``value = 12 * side_index +
muscle_index + 1`` with ``side_index`` 0 for right, 1 for left. 0 is background.

Examples
--------
>>> label_value("VL", "R"), label_value("VL", "L")
(1, 13)
>>> muscle_side(24)
('AL', 'L')
"""

from __future__ import annotations

from typing import TypedDict

from ..errors import InputError

__all__ = [
    "MUSCLES",
    "MUSCLE_NAMES",
    "SIDES",
    "SIDE_NAMES",
    "N_MUSCLES",
    "LABEL_VALUES",
    "LABEL_SCHEMES",
    "label_value",
    "muscle_side",
    "label_name",
    "label_table",
    "format_itksnap_labels",
]

#: DAFNE thigh muscle abbreviations, in DAFNE's order (this order defines the label values).
MUSCLES: tuple[str, ...] = (
    "VL", "VM", "VI", "RF", "SAR", "GRA", "AM", "SM", "ST", "BFL", "BFS", "AL",
)  # fmt: skip

#: Full anatomical names, keyed by abbreviation.
MUSCLE_NAMES: dict[str, str] = {
    "VL": "vastus lateralis",
    "VM": "vastus medialis",
    "VI": "vastus intermedius",
    "RF": "rectus femoris",
    "SAR": "sartorius",
    "GRA": "gracilis",
    "AM": "adductor magnus",
    "SM": "semimembranosus",
    "ST": "semitendinosus",
    "BFL": "biceps femoris long head",
    "BFS": "biceps femoris short head",
    "AL": "adductor longus",
}

#: Side codes in label-value order: right leg first (1..12), then left (13..24).
SIDES: tuple[str, ...] = ("R", "L")
SIDE_NAMES: dict[str, str] = {"R": "right", "L": "left"}

N_MUSCLES = len(MUSCLES)

#: Every valid non-background label value (1..24).
LABEL_VALUES: tuple[int, ...] = tuple(range(1, len(SIDES) * N_MUSCLES + 1))

#: Label schemes whose names and sides are known (``roi-stats --label-scheme``): ``myomri`` is the
#: one above. A mask of another origin gets generic names, whatever its values.
LABEL_SCHEMES: tuple[str, ...] = ("myomri",)

# A fixed, distinguishable colour per muscle (both sides share it) for ITK-SNAP.
_COLOURS: dict[str, tuple[int, int, int]] = {
    "VL": (230, 25, 75),
    "VM": (60, 180, 75),
    "VI": (255, 225, 25),
    "RF": (0, 130, 200),
    "SAR": (245, 130, 48),
    "GRA": (145, 30, 180),
    "AM": (70, 240, 240),
    "SM": (240, 50, 230),
    "ST": (210, 245, 60),
    "BFL": (250, 190, 190),
    "BFS": (0, 128, 128),
    "AL": (170, 110, 40),
}


def _side_index(side: str) -> int:
    key = str(side).strip().upper()
    key = {"RIGHT": "R", "LEFT": "L"}.get(key, key)
    if key not in SIDES:
        raise InputError(f"side {side!r} is not one of R, L (right, left)")
    return SIDES.index(key)


def label_value(muscle: str, side: str) -> int:
    """Label value of ``muscle`` (abbreviation, case-insensitive) on ``side`` ('R'/'L')."""
    key = str(muscle).strip().upper()
    if key not in MUSCLES:
        raise InputError(f"muscle {muscle!r} is not one of {', '.join(MUSCLES)}")
    return _side_index(side) * N_MUSCLES + MUSCLES.index(key) + 1


def muscle_side(value: int) -> tuple[str, str]:
    """``(muscle, side)`` of a label value in 1..24."""
    v = int(value)
    if v != value or v not in LABEL_VALUES:
        raise InputError(f"label value {value!r} is not a muscle label (expected an integer 1..24)")
    side, muscle = divmod(v - 1, N_MUSCLES)
    return MUSCLES[muscle], SIDES[side]


def label_name(value: int) -> str:
    """Short name of a label value, e.g. ``'VL_R'`` for 1."""
    muscle, side = muscle_side(value)
    return f"{muscle}_{side}"


class LabelRow(TypedDict):
    """One label of the thigh scheme (:func:`label_table`)."""

    value: int
    muscle: str
    side: str
    name: str
    full_name: str
    rgb: tuple[int, int, int]


def label_table() -> list[LabelRow]:
    """One record per label value: value, muscle, side, name, full name, RGB colour."""
    rows: list[LabelRow] = []
    for value in LABEL_VALUES:
        muscle, side = muscle_side(value)
        rows.append(
            {
                "value": value,
                "muscle": muscle,
                "side": side,
                "name": f"{muscle}_{side}",
                "full_name": f"{SIDE_NAMES[side]} {MUSCLE_NAMES[muscle]}",
                "rgb": _COLOURS[muscle],
            }
        )
    return rows


def format_itksnap_labels() -> str:
    """Text of an ITK-SNAP label description file for the 24 muscle labels (plus background)."""
    lines = [
        "################################################",
        "# ITK-SnAP Label Description File (myomri thigh labels)",
        "# Fields: IDX -R- -G- -B- -A-- VIS MSH LABEL",
        "################################################",
        '    0     0    0    0        0  0  0    "Clear Label"',
    ]
    for row in label_table():
        r, g, b = row["rgb"]
        label = f"{row['name']} ({row['full_name']})"
        lines.append(f'{row["value"]:5d} {r:5d} {g:4d} {b:4d}        1  1  1    "{label}"')
    return "\n".join(lines) + "\n"
