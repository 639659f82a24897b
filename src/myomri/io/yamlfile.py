"""Read a YAML settings file (parameter, study and pipeline files) with the project's errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingFileError

__all__ = ["read_yaml_file"]


def read_yaml_file(path: str | os.PathLike, what: str) -> Any:
    """The parsed content of the YAML file ``path`` (``what`` names it in errors).

    Raises
    ------
    MissingFileError
        ``path`` is not a file.
    ConfigError
        Not valid YAML (the parser's message, with the file).
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, what)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError([f"not valid YAML: {exc}"], path) from None
