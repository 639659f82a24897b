"""Lazy exports for package ``__init__`` modules (PEP 562), so that importing a package (and
running ``myomri --help``) loads no submodule until one of its names is used."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["attach"]


def attach(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Module ``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict
        Public name -> the module that defines it, relative to ``package`` (``".read"``) or
        absolute (``"myomri.t2.volume"``).

    Examples
    --------
    In ``myomri/io/__init__.py``::

        __getattr__, __dir__, __all__ = attach(__name__, {"read_image": ".read"})
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name], package), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(sys.modules[package].__dict__) | set(exports))

    return __getattr__, __dir__, sorted(exports)
