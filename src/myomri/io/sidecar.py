"""BIDS / ORMIR-MIDS JSON sidecars: the acquisition parameters that sit beside a NIfTI file.

BIDS gives times in **seconds** (``EchoTime``, ``RepetitionTime``); myomri keeps DICOM's
milliseconds everywhere (``Image.echo_times`` and ``meta``), so times are converted here once.
Only an allow-list of acquisition fields is read: sidecars written by converters may also carry
patient or institution fields, and those never reach ``Image.meta``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..config import io as cfg
from ..errors import EchoTimeError, FormatError

__all__ = ["sidecar_path", "read_sidecar", "echo_times_ms", "SIDECAR_FIELDS"]

#: Fields copied into ``Image.meta`` (times converted from s to ms).
SIDECAR_FIELDS = (
    "RepetitionTime",
    "FlipAngle",
    "MagneticFieldStrength",
    "SeriesDescription",
    "SeriesNumber",
    "ProtocolName",
    "Manufacturer",
    "ManufacturerModelName",
    "Modality",
    "SliceThickness",
    "MRAcquisitionType",  # 2D/3D: the T2 fit's slice-profile default depends on it
)
_SECONDS = {"RepetitionTime"}


def sidecar_path(image_path: str | os.PathLike) -> Path:
    """The JSON sidecar that belongs to an image: ``x.nii.gz`` / ``x.nii`` / ``x.nrrd`` -> ``x.json``."""
    p = Path(image_path)
    name = p.name
    for ext in (".nii.gz", ".nii", ".nrrd", ".nhdr"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
            break
    return p.with_name(name + ".json")


def echo_times_ms(value: Any, path: str | os.PathLike, *, unit: str = "s") -> tuple[float, ...]:
    """A sidecar's ``EchoTime`` (one number or a list) as a tuple in ms.

    Parameters
    ----------
    value : number or list of numbers
        The JSON value.
    path : path-like
        The sidecar, for messages.
    unit : {"s", "ms"}
        BIDS gives seconds; ORMIR-MIDS gives milliseconds.

    Raises
    ------
    EchoTimeError
        Not JSON numbers, not positive, or values that are surely in the other unit.
    """
    items = value if isinstance(value, list) else [value]
    # JSON numbers only: a string ("0.011", "11 ms") says the writer did not follow the standard, and
    # guessing its unit is how seconds end up fitted as milliseconds
    if not items or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
        raise EchoTimeError(
            f"{path}: EchoTime {value!r} is not a number or a list of numbers; expected "
            + ("seconds as JSON numbers (e.g. 0.011 or [0.011, 0.022])" if unit == "s" else "ms as JSON numbers")
        )
    values = np.asarray(items, dtype=float).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise EchoTimeError(f"{path}: EchoTime {value!r} must be positive numbers ({unit})")
    if unit == "ms":
        if np.all(values <= cfg.SIDECAR_MAX_ECHO_TIME_S):
            raise EchoTimeError(
                f"{path}: EchoTime {values.tolist()} looks like seconds; ORMIR-MIDS sidecars give EchoTime "
                "in ms (e.g. 11 for 11 ms)"
            )
        return tuple(float(v) for v in np.round(values, 6))
    if np.any(values > cfg.SIDECAR_MAX_ECHO_TIME_S):
        raise EchoTimeError(
            f"{path}: EchoTime {values.tolist()} looks like milliseconds; BIDS sidecars give EchoTime in "
            "seconds (e.g. 0.011 for 11 ms); an ORMIR-MIDS dataset (EchoTime in ms) is read through 'myomri init'"
        )
    return tuple(float(v) for v in np.round(values * 1000.0, 6))


def read_sidecar(path: str | os.PathLike) -> tuple[tuple[float, ...] | None, dict[str, Any]]:
    """Read a sidecar; return (echo times in ms or None, allow-listed metadata).

    ``EchoTime`` may be one number or a list (ORMIR-MIDS multi-echo); both are returned as a
    tuple in ms. ``RepetitionTime`` goes to ``meta`` in ms as well.

    Raises
    ------
    FormatError
        The file is not a JSON object.
    EchoTimeError
        ``EchoTime`` is not a positive number/list in seconds.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: cannot read JSON sidecar ({exc})") from exc
    if not isinstance(data, dict):
        raise FormatError(f"{path}: sidecar holds a {type(data).__name__}, expected a JSON object")
    echo_times = echo_times_ms(data["EchoTime"], path) if "EchoTime" in data else None
    meta: dict[str, Any] = {}
    for name in SIDECAR_FIELDS:
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if name in _SECONDS:
            value = float(value) * 1000.0
        meta[name] = value
    meta["Sidecar"] = path.name
    return echo_times, meta
