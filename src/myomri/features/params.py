"""Read and validate a PyRadiomics parameter file (YAML) as-is.

PyRadiomics silently ignores unknown keys and misspelt settings, so a typo such as ``binwidth: 5``
changes every feature without a word. Here every problem in the file is collected and reported
at once (one :class:`~myomri.errors.ConfigError` with a ``problems`` list), and unknown keys are
answered with the list of valid ones.

The file has three sections, as in PyRadiomics:

``setting``
    Global settings (names of :data:`myomri.config.features.SETTING_DEFAULTS`).
``imageType``
    Image types (``Original``, ``LBP2D``) mapped to per-type settings overriding ``setting``
    (e.g. ``LBP2D: {binWidth: 1}``).
``featureClass``
    Feature classes mapped to ``null``/``[]`` (all features of the class) or a list of names.

Examples
--------
>>> p = read_params({"setting": {"binWidth": 5}, "imageType": {"Original": {}}})
>>> p.settings_for("Original")["binWidth"]
5
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import features as cfg
from ..errors import ConfigError

__all__ = ["Params", "read_params", "validate_settings"]

_NUMBER = (int, float)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _check_setting(key: str, value: Any) -> str | None:
    """One problem message for a bad value of setting ``key``, or None when it is valid."""
    want: str | None = None
    ok = True
    if key in {"normalize", "preCrop", "force2D", "symmetricalGLCM", "resegmentShape", "correctMask", "additionalInfo"}:
        want, ok = "true or false", isinstance(value, bool)
    elif key == "binWidth":
        want, ok = "a number > 0", _is_number(value) and value > 0
    elif key == "binCount":
        want, ok = "null or an integer > 0", value is None or (_is_int(value) and value > 0)
    elif key == "normalizeScale":
        want, ok = "a number > 0", _is_number(value) and value > 0
    elif key == "removeOutliers":
        want, ok = "null or a number > 0", value is None or (_is_number(value) and value > 0)
    elif key == "resampledPixelSpacing":
        want = "null or a list of 2 or 3 numbers >= 0 (0 keeps the original spacing)"
        ok = value is None or (
            isinstance(value, (list, tuple))
            and len(value) in (2, 3)
            and all(_is_number(v) and v >= 0 for v in value)
            and any(v > 0 for v in value)
        )
    elif key == "interpolator":
        want = f"one of {', '.join(cfg.INTERPOLATORS)} (or its SimpleITK integer constant)"
        ok = (isinstance(value, str) and value in cfg.INTERPOLATORS) or (_is_int(value) and value >= 1)
    elif key in {"padDistance", "voxelArrayShift"}:
        if key == "padDistance":
            want, ok = "an integer >= 0", _is_int(value) and value >= 0
        else:
            want, ok = "a number", _is_number(value)
    elif key == "force2Ddimension":
        want, ok = "0, 1 or 2", _is_int(value) and 0 <= value <= 2
    elif key == "label":
        want, ok = "an integer >= 1", _is_int(value) and value >= 1
    elif key == "distances":
        want = "a non-empty list of integers >= 1"
        ok = isinstance(value, (list, tuple)) and len(value) > 0 and all(_is_int(v) and v >= 1 for v in value)
    elif key == "weightingNorm":
        want = f"null or one of {', '.join(cfg.WEIGHTING_NORMS)}"
        ok = value is None or value in cfg.WEIGHTING_NORMS
    elif key == "gldm_a":
        want, ok = "a number >= 0", _is_number(value) and value >= 0
    elif key == "resegmentRange":
        want = "null or a list [lower] or [lower, upper] with lower <= upper"
        ok = value is None or (
            isinstance(value, (list, tuple))
            and len(value) in (1, 2)
            and all(_is_number(v) for v in value)
            and (len(value) == 1 or value[0] <= value[1])
        )
    elif key == "resegmentMode":
        want, ok = f"one of {', '.join(cfg.RESEGMENT_MODES)}", value in cfg.RESEGMENT_MODES
    elif key == "minimumROIDimensions":
        want, ok = "1, 2 or 3", _is_int(value) and 1 <= value <= 3
    elif key == "minimumROISize":
        want, ok = "null or an integer >= 1", value is None or (_is_int(value) and value >= 1)
    elif key == "geometryTolerance":
        want, ok = "null or a number > 0", value is None or (_is_number(value) and value > 0)
    elif key == "lbp2DRadius":
        want, ok = "a number > 0", _is_number(value) and value > 0
    elif key == "lbp2DSamples":
        want, ok = "an integer >= 1", _is_int(value) and value >= 1
    elif key == "lbp2DMethod":
        want, ok = f"one of {', '.join(cfg.LBP_METHODS)}", value in cfg.LBP_METHODS
    if ok:
        return None
    return f"setting {key!r} is {value!r}, expected {want}"


def validate_settings(settings: Mapping[str, Any], *, section: str = "setting") -> list[str]:
    """Problems in a mapping of settings (unknown keys, wrong types, invalid values)."""
    problems: list[str] = []
    if not isinstance(settings, Mapping):
        return [f"section {section!r} must be a mapping of setting: value, got {type(settings).__name__}"]
    valid = ", ".join(cfg.SETTING_DEFAULTS)
    for key, value in settings.items():
        if key not in cfg.SETTING_DEFAULTS:
            problems.append(f"unknown setting {key!r} in {section!r} (valid: {valid})")
            continue
        msg = _check_setting(key, value)
        if msg:
            problems.append(msg if section == "setting" else f"{section}: {msg}")
    if settings.get("binWidth") is not None and settings.get("binCount") is not None:
        problems.append(
            f"{section!r} gives both binWidth ({settings['binWidth']!r}) and binCount "
            f"({settings['binCount']!r}); give only one (fixed bin width or fixed bin number)"
        )
    return problems


def _known_feature_names(cls: str) -> list[str]:
    """Feature names of a class the engine computes ([] for a class it does not implement).

    From :mod:`myomri.features._names`, which imports nothing: validating parameters loads no numpy
    or numba (a batch's parent forks its workers before those are loaded).
    """
    from ._names import FEATURE_NAMES

    return list(FEATURE_NAMES.get(cls, ()))


@dataclass(frozen=True)
class Params:
    """Validated extraction parameters.

    Attributes
    ----------
    settings : dict
        Global settings, PyRadiomics defaults filled in.
    image_types : dict
        Enabled image types (``Original``, ``LBP2D``) -> their own setting overrides.
    feature_classes : dict
        Enabled class -> ``None`` (all features) or a list of feature names.
    explicit : dict
        The global settings exactly as given in the file (used to detect binWidth + binCount).
    source : str or None
        File the parameters came from.
    """

    settings: dict[str, Any]
    image_types: dict[str, dict[str, Any]]
    feature_classes: dict[str, list[str] | None]
    explicit: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    def settings_for(self, image_type: str) -> dict[str, Any]:
        """Effective settings of one image type: defaults < ``setting`` < ``imageType`` overrides."""
        # one level deep is enough: values are numbers, strings and short lists, copied here so
        # that callers cannot edit the extractor's settings through the result
        merged = {k: list(v) if isinstance(v, list) else v for k, v in self.settings.items()}
        custom = self.image_types.get(image_type) or {}
        merged.update({k: list(v) if isinstance(v, list) else v for k, v in dict(custom).items()})
        # A per-type binWidth (e.g. LBP2D: {binWidth: 1}) replaces a global binCount and vice versa.
        if "binWidth" in custom and "binCount" not in custom:
            merged["binCount"] = None
        return merged

    def to_dict(self) -> dict[str, Any]:
        """Plain dict in parameter-file layout (all settings resolved)."""
        return {
            "setting": copy.deepcopy(self.settings),
            "imageType": copy.deepcopy(self.image_types),
            "featureClass": copy.deepcopy(self.feature_classes),
        }

    @property
    def hash(self) -> str:
        """Stable 16-hex-digit hash of the resolved parameters (independent of key order/source)."""
        text = json.dumps(_canonical(self.to_dict()), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(obj: Any) -> Any:
    """Numbers as floats (``25`` and ``25.0`` are the same setting), containers recursively."""
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return float(obj)
    return obj


def _load(params: Any) -> tuple[dict[str, Any], str | None]:
    if params is None:
        return {}, None
    if isinstance(params, Params):
        return params.to_dict(), params.source
    if isinstance(params, Mapping):
        return dict(copy.deepcopy(params)), None
    if isinstance(params, (str, os.PathLike)):
        from ..io.yamlfile import read_yaml_file

        path = Path(params)
        data = read_yaml_file(path, "parameter file")
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"top level is {type(data).__name__}, expected a mapping with sections {', '.join(cfg.PARAM_SECTIONS)}",
                source=path,
            )
        return dict(data), os.fspath(path)
    raise ConfigError(f"parameters must be None, a path or a mapping, got {type(params).__name__}")


def _settings_section(given: Any, problems: list[str]) -> dict[str, Any]:
    """The ``setting`` section over the defaults; its problems are added to ``problems``."""
    problems += validate_settings(given)
    settings = copy.deepcopy(cfg.SETTING_DEFAULTS)
    if isinstance(given, Mapping):
        settings.update({k: v for k, v in given.items() if k in cfg.SETTING_DEFAULTS})
        if given.get("binCount") is not None and "binWidth" not in given:
            settings["binWidth"] = None  # binCount given: no default bin width alongside it
    return settings


def _image_type_section(data: Mapping, problems: list[str]) -> dict[str, dict[str, Any]]:
    """The ``imageType`` section: image type -> its own settings (problems added to ``problems``)."""
    image_types: dict[str, dict[str, Any]] = {}
    raw_types = data.get("imageType", cfg.DEFAULT_IMAGE_TYPES)
    if raw_types is None or not isinstance(raw_types, Mapping) or not raw_types:
        problems.append(
            f"section 'imageType' must map image types ({', '.join(cfg.IMAGE_TYPES)}) to settings, got {raw_types!r}"
        )
        raw_types = {}
    for name, custom in raw_types.items():
        if name not in cfg.IMAGE_TYPES:
            problems.append(f"unknown or unsupported image type {name!r} (valid: {', '.join(cfg.IMAGE_TYPES)})")
            continue
        custom = {} if custom is None else custom
        custom_problems = validate_settings(custom, section=f"imageType {name}")
        problems += custom_problems
        if isinstance(custom, Mapping):
            image_types[name] = {k: v for k, v in custom.items() if k in cfg.SETTING_DEFAULTS}
    return image_types


def _feature_class_section(data: Mapping, problems: list[str]) -> dict[str, list[str] | None]:
    """The ``featureClass`` section: class -> feature names or None for all (problems added)."""
    feature_classes: dict[str, list[str] | None] = {}
    raw_classes = data.get("featureClass", {c: None for c in cfg.DEFAULT_FEATURE_CLASSES})
    if raw_classes is None or not isinstance(raw_classes, Mapping) or not raw_classes:
        problems.append(
            f"section 'featureClass' must map feature classes ({', '.join(cfg.FEATURE_CLASSES)}) "
            f"to null or a list of feature names, got {raw_classes!r}"
        )
        raw_classes = {}
    for cls, names in raw_classes.items():
        if cls not in cfg.FEATURE_CLASSES:
            problems.append(f"unknown feature class {cls!r} (valid: {', '.join(cfg.FEATURE_CLASSES)})")
            continue
        if names is None or (isinstance(names, (list, tuple)) and len(names) == 0):
            known = _known_feature_names(cls)
            if known == []:
                problems.append(f"feature class {cls!r} is not implemented by this engine")
            feature_classes[cls] = None
            continue
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            problems.append(f"featureClass {cls!r} is {names!r}, expected null, [] or a list of feature names")
            continue
        known = _known_feature_names(cls)
        if known is not None:
            bad = [n for n in names if n not in known]
            if bad:
                problems.append(
                    f"unknown {cls} feature(s) {', '.join(map(repr, bad))} "
                    f"(valid: {', '.join(known) if known else 'none: class not implemented'})"
                )
        feature_classes[cls] = list(names)
    return feature_classes


def read_params(params: Any = None) -> Params:
    """Read, validate and resolve extraction parameters.

    Parameters
    ----------
    params : None, path, mapping or Params
        ``None`` gives PyRadiomics' defaults with the Original image and the six classes; a path
        is a PyRadiomics YAML parameter file; a mapping has the same layout as the file.

    Returns
    -------
    Params

    Raises
    ------
    ConfigError
        Listing every problem found (unknown sections/keys, wrong types, invalid values).
    MissingFileError
        The parameter file does not exist.
    """
    if isinstance(params, Params):
        return params
    data, source = _load(params)
    problems: list[str] = []
    for key in data:
        if key not in cfg.PARAM_SECTIONS:
            problems.append(
                f"unknown section {key!r} (valid: {', '.join(cfg.PARAM_SECTIONS)}; "
                "voxel-based extraction is not supported)"
            )

    given = data.get("setting") or {}
    settings = _settings_section(given, problems)
    image_types = _image_type_section(data, problems)
    feature_classes = _feature_class_section(data, problems)

    if problems:
        raise ConfigError(problems, source=source)
    return Params(
        settings=settings,
        image_types=image_types,
        feature_classes=feature_classes,
        explicit=dict(given) if isinstance(given, Mapping) else {},
        source=source,
    )
