"""Command-line interface: ``myomri <command> ...``.

Each command lives in its own small module under ``myomri.cli`` that defines
``register(subparsers)``; heavy imports happen inside the command functions so ``myomri --help``
stays instant. The list of command modules is explicit (no discovery by name at run time).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

# Order here is the order in ``myomri --help``. Add a module when a stage adds a command.
COMMAND_MODULES: list[str] = [
    "myomri.cli.study",
    "myomri.cli.info",
    "myomri.cli.init",
    "myomri.cli.extract",
    "myomri.cli.robustness",
    "myomri.cli.demo_data",
    "myomri.cli.segment",
    "myomri.cli.federate",
    "myomri.cli.t2fit",
    "myomri.cli.roi_stats",
    "myomri.cli.register",
    "myomri.cli.run",
    "myomri.cli.demo",
    "myomri.cli.view",
]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, like every other myomri error.

    argparse's default repeats the whole usage block before the message; with a dozen options
    the line that says what is wrong scrolls away. Subcommand parsers inherit this class.
    """

    def error(self, message: str):
        """Print ``PROG: error: MESSAGE`` as one line and exit with code 2."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = _Parser(
        prog="myomri",
        description="Quantitative thigh-muscle MRI for inflammatory myopathies.",
    )
    parser.add_argument("--version", action="version", version=f"myomri {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback when a command fails")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (0 ok, 1 partial failure, 2 error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
    except KeyboardInterrupt:
        print("myomri: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI turns every failure into one clear line
        if args.debug:
            raise
        from ..errors import MyomriError

        kind = type(exc).__name__
        if isinstance(exc, MyomriError):
            print(f"myomri {args.command}: error: {exc}{_flag_hint(exc, args)}", file=sys.stderr)
        elif isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in _EXTRAS:
            top = (exc.name or "").split(".")[0]
            print(
                f"myomri {args.command}: error: this needs the optional package {top!r}, which is not "
                f"installed; install it with: pip install 'myomri[{_EXTRAS[top]}]'",
                file=sys.stderr,
            )
        elif isinstance(exc, (OSError, ValueError)):
            print(f"myomri {args.command}: error ({kind}): {exc}", file=sys.stderr)
        else:
            print(
                f"myomri {args.command}: internal error ({kind}): {exc} "
                "(run with --debug for the traceback and please report it)",
                file=sys.stderr,
            )
        return 2
    return int(rc or 0)


def _flag_hint(exc, args: argparse.Namespace) -> str:
    """`` (pass --FLAG ...)`` when the command has the flag of the error's ``option``."""
    if exc.option is None or not hasattr(args, exc.option):
        return ""
    flag = "--" + exc.option.replace("_", "-")
    value = getattr(args, exc.option)
    return f" (pass {flag} to allow it)" if isinstance(value, bool) else f" (give {flag})"


#: Optional packages -> the pip extra that installs them (pyproject ``optional-dependencies``).
_EXTRAS = {"torch": "torch", "aiohttp": "federated", "dask": "dask", "distributed": "dask"}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
