"""Typed exceptions.

Every error subclasses a builtin so callers can catch it generically (``except ValueError``) or
precisely (``except GeometryError``). Messages name the file (when there is one), what was found
and what was expected; the CLI prints the message as one line.
"""

from __future__ import annotations

import os

__all__ = [
    "MyomriError",
    "InputError",
    "MissingFileError",
    "OutputError",
    "FormatError",
    "GeometryError",
    "MaskError",
    "EchoTimeError",
    "AmbiguousSeriesError",
    "ConfigError",
    "StudyInputError",
    "FitError",
    "FeatureError",
]


class MyomriError(Exception):
    """Base class of every error raised on purpose by myomri.

    Messages state facts (what was given, what was expected), never command-line flags: the
    library is used from Python too. ``option`` names the keyword argument of the failing call
    that would accept the input (e.g. ``"allow_missing_echoes"``); the CLI turns it into its flag.
    """

    #: Keyword argument that would accept the input (None: none would).
    option: str | None = None

    def __init__(self, *args: object, option: str | None = None):
        super().__init__(*args)
        if option is not None:
            self.option = option


class InputError(MyomriError, ValueError):
    """Input data is unusable: wrong shape, wrong values, wrong type."""


class MissingFileError(MyomriError, FileNotFoundError):
    """A path that must exist does not."""

    def __init__(self, path: str | os.PathLike, what: str = "file"):
        self.path = os.fspath(path)
        super().__init__(f"{what} not found: {self.path}")


class OutputError(MyomriError, OSError):
    """An output cannot be written where it was asked for (its folder cannot be made, or not written to)."""


class FormatError(InputError):
    """A file exists but cannot be read as the expected format (truncated, corrupt, unsupported)."""


class GeometryError(InputError):
    """Two grids (image/mask, map/mask, series/series) do not match."""


class MaskError(InputError):
    """A mask is unusable: non-integer values, no labels, requested label absent, too small."""


class EchoTimeError(InputError):
    """Echo times are missing, not increasing, or do not match the number of volumes."""


class AmbiguousSeriesError(InputError):
    """A folder holds several series and the caller must choose one."""

    def __init__(self, path: str | os.PathLike, series: list[str]):
        self.path = os.fspath(path)
        self.series = list(series)
        listing = "; ".join(self.series)
        super().__init__(
            f"{self.path} holds {len(self.series)} series, expected one: {listing}; "
            "choose one by its number or description",
            option="series",
        )


class _Problems(MyomriError):
    """Base of the errors that carries every problem found (``problems``) and where (``source``)."""

    def __init__(
        self, problems: list[str] | str, source: str | os.PathLike | None = None, *, option: str | None = None
    ):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        self.source = None if source is None else os.fspath(source)
        where = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            msg = f"{where}{self.problems[0]}"
        else:
            msg = f"{where}{len(self.problems)} problems: " + "; ".join(self.problems)
        super().__init__(msg, option=option)


class ConfigError(_Problems, MyomriError, ValueError):
    """A settings/parameter/study file is invalid; the message lists every problem found."""


class StudyInputError(_Problems, InputError):
    """A study's tables cannot give what its study file asks (columns, readers, classes, class
    sizes, repeated rows); the message lists every problem found."""


class FitError(MyomriError, RuntimeError):
    """A model fit could not be carried out at all (per-voxel failures are reported, not raised)."""


class FeatureError(MyomriError, ValueError):
    """A radiomics feature extraction could not be carried out for a case."""
