"""Checks shared by the settings files (study file, pipeline study file): sections and typed values.

Every helper appends a readable problem to ``problems`` instead of raising, so that a file is
checked whole and all of its problems are reported at once (``errors.ConfigError``). Problems
name the key path (``t2.enabled``), what was expected and what was given. No defaults live here:
the callers pass them from their stage's config module.

Examples
--------
>>> problems = []
>>> t2 = section({"t2": {"enabled": "false"}}, "t2", ("enabled",), problems, {"enabled": True})
>>> want_bool(t2["enabled"], "t2.enabled", problems)
False
>>> problems
["t2.enabled: expected true or false, got 'false'"]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = [
    "is_int",
    "is_number",
    "section",
    "want_bool",
    "want_int",
    "want_number",
    "want_choice",
    "want_str",
    "want_names",
]


def is_int(value) -> bool:
    """True for Python and NumPy integers, False for ``bool`` (YAML ``true`` is not a count)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_number(value) -> bool:
    """True for real numbers (int, float, NumPy), False for ``bool`` and for NaN."""
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and value == value


def section(
    raw: Mapping,
    key: str,
    allowed: Iterable[str],
    problems: list[str],
    defaults: Mapping | None = None,
    *,
    prefix: str = "",
) -> dict:
    """The mapping ``raw[key]`` over ``defaults``; unknown keys are problems (and dropped).

    An absent or null section gives the defaults; anything but a mapping is a problem and gives
    the defaults too, so the checks that follow still run on typed values.
    """
    allowed = tuple(allowed)
    defaults = dict(defaults or {})
    sec = raw.get(key)
    if sec is None:
        return defaults
    if not isinstance(sec, Mapping):
        problems.append(f"{prefix}{key}: expected a mapping, got {sec!r}")
        return defaults
    for extra in sorted(set(sec) - set(allowed), key=str):
        problems.append(f"{prefix}{key}.{extra}: unknown key (allowed: {', '.join(allowed)})")
    return {**defaults, **{k: v for k, v in sec.items() if k in allowed}}


def _fail(problems: list[str], where: str, expected: str, value) -> bool:
    problems.append(f"{where}: expected {expected}, got {value!r}")
    return False


def want_bool(value, where: str, problems: list[str]) -> bool:
    """A YAML boolean (``true``/``false``); the string ``"false"`` is truthy in Python, so refuse it."""
    return isinstance(value, bool) or _fail(problems, where, "true or false", value)


def want_int(value, where: str, problems: list[str], *, minimum: int | None = None) -> bool:
    """An integer (not a bool), at least ``minimum`` when given."""
    if is_int(value) and (minimum is None or value >= minimum):
        return True
    return _fail(problems, where, "an integer" + ("" if minimum is None else f" >= {minimum}"), value)


def want_number(
    value,
    where: str,
    problems: list[str],
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    what: str = "a number",
) -> bool:
    """A real number in ``[low, high]`` (``(low, high]`` with ``low_open``); either bound optional."""
    ok = is_number(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if ok:
        return True
    if low is not None and high is not None:
        what = f"{what} in {'(' if low_open else '['}{low:g}, {high:g}]"
    elif low is not None:
        what = f"{what} ({'>' if low_open else '>='} {low:g})"
    elif high is not None:
        what = f"{what} (<= {high:g})"
    return _fail(problems, where, what, value)


def want_choice(value, where: str, choices: Iterable, problems: list[str]) -> bool:
    """One of ``choices`` (compared as given: YAML ``1`` is not the string ``"1"``)."""
    choices = list(choices)
    if not isinstance(value, bool) and value in choices:  # True == 1: a YAML boolean is never a choice
        return True
    problems.append(f"{where}: {value!r} is not one of {choices}")
    return False


def want_str(value, where: str, problems: list[str], *, what: str = "a non-empty string") -> bool:
    """A non-empty string."""
    return (isinstance(value, str) and bool(value.strip())) or _fail(problems, where, what, value)


def want_names(value, where: str, problems: list[str], *, what: str = "a list of names") -> bool:
    """A list of strings (possibly empty)."""
    return (isinstance(value, list) and all(isinstance(v, str) for v in value)) or _fail(problems, where, what, value)
