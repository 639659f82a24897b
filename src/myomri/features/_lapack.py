"""SciPy's LAPACK wrapper ``dsyevr`` without the import of :mod:`scipy.linalg`.

GLCM's MCC needs one symmetric eigen-solve per direction, and ``from scipy.linalg.lapack import
dsyevr`` first imports all of :mod:`scipy.linalg` (~0.15 s in a fresh process, more than ten
3-D ROIs take to compute). The routine itself lives in the compiled module
``scipy.linalg._flapack``, which needs only numpy: it is loaded here from its file. Where that is
not possible (another SciPy layout, or scipy.linalg already imported) the public import is used;
both give the same routine.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["dsyevr"]

_CACHE: dict[str, Callable] = {}


def _flapack_from_file():
    spec = importlib.util.find_spec("scipy")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "linalg"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"_flapack{suffix}"
        if path.is_file():
            loader = importlib.machinery.ExtensionFileLoader("scipy.linalg._flapack", str(path))
            module_spec = importlib.util.spec_from_file_location("scipy.linalg._flapack", path, loader=loader)
            if module_spec is None:
                return None
            module = importlib.util.module_from_spec(module_spec)
            loader.exec_module(module)
            return module
    return None


def dsyevr() -> Callable:
    """SciPy's f2py wrapper of LAPACK ``dsyevr`` (the signature of :func:`scipy.linalg.lapack.dsyevr`)."""
    if "dsyevr" not in _CACHE:
        module = sys.modules.get("scipy.linalg._flapack")
        if module is None:
            try:
                module = _flapack_from_file()
            except (ImportError, OSError):  # a layout this loader does not know: the public import
                module = None
        if module is None or not hasattr(module, "dsyevr"):
            from scipy.linalg import lapack

            _CACHE["dsyevr"] = lapack.dsyevr
        else:
            _CACHE["dsyevr"] = module.dsyevr
    return _CACHE["dsyevr"]
