"""BIDS / ORMIR-MIDS JSON sidecars: the acquisition parameters that sit beside a NIfTI file.

BIDS gives times in **seconds** (``EchoTime``, ``RepetitionTime``); myomri keeps DICOM's
milliseconds everywhere (``Image.echo_times`` and ``meta``), so times are converted here once.
Only an allow-list of acquisition fields is read: sidecars written by converters may also carry
patient or institution fields, and those never reach ``Image.meta``.

Inside a dataset (a folder above the image holds ``dataset_description.json``) sidecars are
inherited as the BIDS specification's inheritance principle says: a JSON file in the image's folder
or any folder up to the dataset root applies when its suffix is the image's and every entity in its
name is in the image's name with the same value; fields of a file nearer the image override those
of a file further up. Outside a dataset only the file beside the image is read. Why: converters and
curators put the fields common to a protocol (``MRAcquisitionType``, ``RepetitionTime``) once at the
top (``acq-mese_MESE.json``), and the T2 fit's slice-profile default depends on them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..config import io as cfg
from ..errors import EchoTimeError, FormatError

__all__ = [
    "sidecar_path", "read_sidecar", "read_sidecars", "echo_times_ms", "parse_name", "dataset_root",
    "applicable_sidecars", "merge_sidecars", "read_json_object", "SIDECAR_FIELDS",
]  # fmt: skip

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
_ENTITY = re.compile(r"^([A-Za-z0-9]+)-([A-Za-z0-9.]*)$")
_IMAGE_EXTENSIONS = (".nii.gz", ".nii", ".nrrd", ".nhdr")
# ORMIR-MIDS keeps patient fields in *_patient.json: never a sidecar, whatever its entities
_NEVER_READ = ("_patient.json",)


def sidecar_path(image_path: str | os.PathLike) -> Path:
    """The JSON sidecar that belongs to an image: ``x.nii.gz`` / ``x.nii`` / ``x.nrrd`` -> ``x.json``."""
    p = Path(image_path)
    return p.with_name(_strip_extension(p.name) + ".json")


def _strip_extension(name: str) -> str:
    for ext in (*_IMAGE_EXTENSIONS, ".json"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def parse_name(name: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """Entities and suffix of a BIDS-style file name (the extension, if any, is dropped).

    ``sub-01_echo-2_MESE.nii.gz`` -> ({sub: 01, echo: 2}, ('mese',)); ``sub-01_megre_ph`` ->
    ({sub: 01}, ('megre', 'ph')). Entity keys and the suffix are compared in lower case.

    Examples
    --------
    >>> parse_name("acq-mese_MESE.json")
    ({'acq': 'mese'}, ('mese',))
    """
    entities: dict[str, str] = {}
    suffix: list[str] = []
    for token in _strip_extension(name).split("_"):
        m = _ENTITY.match(token)
        if m and not suffix:
            entities[m[1].lower()] = m[2]
        else:
            suffix.append(token.lower())
    return entities, tuple(suffix)


def dataset_root(image_path: str | os.PathLike) -> Path | None:
    """The dataset an image lies in, or None: the nearest folder above it that holds
    ``dataset_description.json``, else the folder that holds its ``sub-<label>`` folder (what
    ``myomri init`` accepts as a dataset, so both read the same sidecars).

    The path is made absolute but links are not followed: a link to a dataset's image placed
    elsewhere (``myomri run``'s series files) is read with its own sidecar, not the dataset's.
    """
    holder = None
    for folder in _absolute(image_path).parents:
        if (folder / "dataset_description.json").is_file():
            return folder
        if holder is None and folder.name.startswith("sub-") and folder.parent != folder:
            holder = folder.parent
    return holder


def applicable_sidecars(image_path: str | os.PathLike, root: str | os.PathLike | None = None) -> list[Path]:
    """The JSON sidecars that apply to an image, the furthest from it first (read in this order).

    Parameters
    ----------
    image_path : path-like
        The NIfTI/NRRD file.
    root : path-like, optional
        The dataset folder; default: :func:`dataset_root`. Without one only the sidecar beside the
        image applies (when it exists).

    Raises
    ------
    FormatError
        Two files at one folder level both apply, other than the one with exactly the image's name
        (the BIDS specification forbids it: which one wins would be a guess). The file with the
        image's own name is read after the other one of its level, so its fields win.
    """
    image = Path(image_path)
    beside = sidecar_path(image)
    root_path = _absolute(root) if root is not None else dataset_root(image)
    folder = _absolute(image).parent
    if root_path is None or not folder.is_relative_to(root_path):
        return [beside] if beside.is_file() else []
    entities, suffix = parse_name(image.name)
    levels = [folder, *(p for p in folder.parents if p.is_relative_to(root_path))]
    found: list[Path] = []
    for level in reversed(levels):  # the dataset root first
        candidates = [p for p in sorted(level.glob("*.json")) if _applies(p.name, entities, suffix)]
        others = [p for p in candidates if p.name != beside.name]
        if len(others) > 1:
            names = ", ".join(p.name for p in others)
            raise FormatError(
                f"{level}: {len(others)} JSON sidecars at one level apply to {image.name} ({names}); "
                "expected at most one per folder (BIDS inheritance principle): rename or merge them"
            )
        found += others + [p for p in candidates if p.name == beside.name]
    return found


def _absolute(path: str | os.PathLike) -> Path:
    return Path(os.path.abspath(path))  # not resolve(): see dataset_root


def _applies(name: str, entities: dict[str, str], suffix: tuple[str, ...]) -> bool:
    if name.lower().endswith(_NEVER_READ):
        return False
    theirs, their_suffix = parse_name(name)
    return their_suffix == suffix and all(entities.get(k) == v for k, v in theirs.items())


def read_json_object(path: Path, *, name: str | None = None) -> dict:
    """A sidecar's JSON object (BOM tolerated); errors name it as ``name`` (default: its path)."""
    name = str(path) if name is None else name
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"{name}: cannot read JSON sidecar ({exc})") from exc
    if not isinstance(data, dict):
        raise FormatError(f"{name}: sidecar holds a {type(data).__name__}, expected a JSON object")
    return data


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
    echo_times, meta, _ = read_sidecars([Path(path)])
    return echo_times, meta


def merge_sidecars(paths: list[Path], *, root: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """The fields of inherited sidecars (furthest first): a later file's field overrides an earlier
    one's. Also returns the file the merged ``EchoTime`` is in (None without one), for messages.
    With ``root``, errors name the files relative to it (a dataset scan's reports hold no absolute
    paths: folder names above a dataset may be a patient's).

    Raises
    ------
    FormatError
        A file that is not readable JSON or does not hold a JSON object.
    """
    data: dict[str, Any] = {}
    echo_from = None
    for path in paths:
        name = path.relative_to(root).as_posix() if root is not None and path.is_relative_to(root) else None
        one = read_json_object(path, name=name if root is None or name is not None else path.name)
        if "EchoTime" in one:
            echo_from = path
        data.update(one)
    return data, echo_from


def read_sidecars(paths: list[Path]) -> tuple[tuple[float, ...] | None, dict[str, Any], Path | None]:
    """:func:`read_sidecar` of several inherited sidecars (furthest first, as
    :func:`applicable_sidecars` lists them): a field of a later file overrides an earlier one.
    The third value is the file the echo times came from (for messages), None without any."""
    data, echo_from = merge_sidecars(paths)
    if not paths:
        return None, {}, None
    echo_times = echo_times_ms(data["EchoTime"], echo_from or paths[-1]) if "EchoTime" in data else None
    meta: dict[str, Any] = {}
    for name in SIDECAR_FIELDS:
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if name in _SECONDS:
            value = float(value) * 1000.0
        meta[name] = value
    meta["Sidecar"] = " + ".join(p.name for p in paths)
    return echo_times, meta, echo_from
