"""Output-path checks shared by every command: an output must never be one of its inputs.

Outputs are written atomically (temporary file + rename), so an output path that is also an input
replaces the input with the result: ``extract IMAGE MASK -o MASK`` used to destroy the mask. The
check runs before anything is computed and compares resolved paths (symbolic links followed) and,
for files that exist, their identity on disk (hard links, case-insensitive file systems).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..errors import InputError

__all__ = ["refuse_output_over_input"]

PathLike = str | os.PathLike
#: One input, or several of the same kind (e.g. the images of a manifest); None entries are skipped.
InputPaths = PathLike | Sequence[PathLike] | None


def _resolved(path: PathLike) -> Path:
    return Path(os.path.abspath(os.path.realpath(os.fspath(path))))


def _same(a: Path, b: Path, a_raw: PathLike, b_raw: PathLike) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a_raw, b_raw)
    except OSError:  # one of them does not exist (yet): the resolved comparison decided
        return False


def _inside(inner: Path, folder: Path) -> bool:
    return inner != folder and folder in inner.parents


def _flatten(inputs: Mapping[str, InputPaths]) -> list[tuple[str, PathLike]]:
    out = []
    for what, value in inputs.items():
        if value is None:
            continue
        values = [value] if isinstance(value, (str, os.PathLike)) else list(value)
        out += [(what, v) for v in values if v is not None and os.fspath(v) != ""]
    return out


def refuse_output_over_input(
    inputs: Mapping[str, InputPaths],
    outputs: Iterable[PathLike | None] = (),
    *,
    output_folders: Iterable[PathLike | None] = (),
) -> None:
    """Raise :class:`InputError` when an output resolves to an input, before anything is written.

    Parameters
    ----------
    inputs : mapping of str to path or list of paths
        What each input is (``"mask"``, ``"manifest image"``) -> its path(s); ``None`` is skipped.
    outputs : iterable of paths
        Files the command will write (or replace).
    output_folders : iterable of paths
        Folders whose content the command writes or replaces as a whole: such a folder must not be
        an input, nor hold one.

    Raises
    ------
    InputError
        One line naming the output and the input it would overwrite.

    Examples
    --------
    >>> refuse_output_over_input({"mask": "m.nii.gz"}, ["features.csv"])
    >>> refuse_output_over_input({"mask": "m.nii.gz"}, ["./m.nii.gz"])
    Traceback (most recent call last):
    ...
    myomri.errors.InputError: output ./m.nii.gz is the input mask m.nii.gz: writing it would overwrite the input; expected an output path that is none of the inputs
    """
    items = [(what, raw, _resolved(raw)) for what, raw in _flatten(inputs)]
    for out in outputs:
        if out is None or os.fspath(out) == "":
            continue
        target = _resolved(out)
        for what, raw, path in items:
            if _same(target, path, out, raw):
                raise InputError(
                    f"output {os.fspath(out)} is the input {what} {os.fspath(raw)}: writing it would "
                    "overwrite the input; expected an output path that is none of the inputs"
                )
    for folder in output_folders:
        if folder is None or os.fspath(folder) == "":
            continue
        target = _resolved(folder)
        for what, raw, path in items:
            if _same(target, path, folder, raw) or _inside(path, target):
                raise InputError(
                    f"output folder {os.fspath(folder)} holds the input {what} {os.fspath(raw)}: writing "
                    "the results there would overwrite the input; expected an output folder that "
                    "holds none of the inputs"
                )
