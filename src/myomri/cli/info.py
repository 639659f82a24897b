"""``myomri info PATH``: describe an image, a DICOM folder, a mask, an NPZ, a label file or a table.

Everything printed comes from the image grid, the allow-listed acquisition metadata of
:class:`~myomri.io.image.Image` or array statistics: no patient field can reach the output.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``info`` subcommand."""
    p = subparsers.add_parser(
        "info",
        help="describe an image, DICOM folder, mask, NPZ, label file or table",
        description=(
            "Print shape, spacing, orientation, origin, echo times, series description, field "
            "strength, data type and value range of an image (DICOM folder/file, NIfTI, NRRD), "
            "the series of a DICOM folder holding several, the arrays of an .npz file (no "
            "geometry), the labels of an ITK-SNAP label file, or the size of a CSV table. "
            "Patient fields are never shown."
        ),
    )
    p.add_argument("path", help="file or DICOM folder")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument(
        "--series", default=None, help="DICOM folder with several series: number, UID or description to describe"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Describe ``args.path`` on stdout; returns 0."""
    from ..io.describe import describe_path

    info = _with_flags(describe_path(args.path, series=args.series))
    if args.json:
        json.dump(info, sys.stdout, indent=2, default=_json_default)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_text(info))
    return 0


def _with_flags(info: dict[str, Any]) -> dict[str, Any]:
    """The description with the command-line options that act on what it found."""
    if isinstance(info.get("series"), list) and "note" in info:
        info["note"] += ": choose one with --series NUMBER or DESCRIPTION"
    from ..io.read import missing_echo_times

    tes = info.get("echo_times_ms")
    lost = (info.get("meta") or {}).get("DroppedEchoTimes") or (missing_echo_times(tes) if tes else [])
    if lost:
        info.setdefault("warnings", []).append(
            f"t2fit fits this series without the echo(es) at {lost} ms only with --allow-missing-echoes"
        )
    return info


# --- formatting -----------------------------------------------------------------------------
def _json_default(o):
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def format_text(info: dict[str, Any]) -> str:
    """Human-readable lines ``key: value`` (nested dicts indented)."""
    lines: list[str] = []

    def emit(key, value, indent=0):
        pad = "  " * indent
        if isinstance(value, dict) and not value:
            lines.append(f"{pad}{key}: none")
        elif isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            for k, v in value.items():
                emit(k, v, indent + 1)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{pad}{key}:")
            for item in value:
                lines.append(f"{pad}  - " + ", ".join(f"{k}={_short(v)}" for k, v in item.items()))
        elif value is None:
            lines.append(f"{pad}{key}: none")
        else:
            lines.append(f"{pad}{key}: {_short(value)}")

    for k, v in info.items():
        if k == "warnings":  # one line each, so they are not lost in a bracketed list
            lines.extend(f"warning: {w}" for w in v)
        else:
            emit(k, v)
    return "\n".join(lines) + "\n"


def _short(v) -> str:
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return "[" + ", ".join(_short(x) for x in v) + "]"
        return "[" + ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
