"""CSV in and out for :mod:`myomri.features.batch` with the standard library only (no pandas to load
in the CLI's process), and its progress bar."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.atomic import atomic_path

__all__ = ["read_csv_rows", "write_csv", "progress_bar"]


def read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV of strings, cells stripped of surrounding whitespace."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            lines = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable CSV manifest ({exc})") from exc
    lines = [line for line in lines if line]  # blank lines carry no case
    if not lines:
        raise InputError(f"{path}: not a readable CSV manifest (the file is empty)")
    header = [c.strip() for c in lines[0]]
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if len(line) > len(header):
            raise InputError(
                f"{path}: not a readable CSV manifest (line {n}: expected {len(header)} fields, saw {len(line)})"
            )
        # a trailing space after a path is invisible in a spreadsheet: never part of a name or path
        cells = [c.strip() for c in line] + [""] * (len(header) - len(line))
        rows.append(dict(zip(header, cells)))
    return header, rows


def _cell(value: Any) -> Any:
    """A CSV cell as pandas writes it: blank for None and NaN, shortest round-trip repr for floats."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return repr(value) if isinstance(value, float) else value


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """Write rows atomically (a missing key is a blank cell); nothing under ``path`` until complete."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)


def progress_bar(total: int, initial: int, enabled: bool):
    """A tqdm bar on stderr, or a stand-in without tqdm (``--no-progress`` loads nothing)."""
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="extract", unit="case", disable=None)


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""
