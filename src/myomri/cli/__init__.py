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


def command_module(command: str) -> str | None:
    """The module that registers ``command`` (its name with ``-`` as ``_``), or None if none does."""
    name = f"myomri.cli.{command.replace('-', '_')}"
    return name if name in COMMAND_MODULES else None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered, or only the command ``only``.

    Importing the fourteen command modules costs ~40 ms; a command line that names its command
    needs just that one (``myomri --help`` and an unknown command still get the full list).
    """
    parser = _Parser(
        prog="myomri",
        description="Quantitative thigh-muscle MRI for inflammatory myopathies.",
    )
    parser.add_argument("--version", action="version", version=f"myomri {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback when a command fails")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    module = command_module(only) if only else None
    for name in [module] if module else COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _named_command(argv: list[str]) -> str | None:
    # the first word that is not a top-level option (they are --version, --debug, -h/--help);
    # none when the top-level help is asked for before it (that lists every command)
    for a in argv:
        if a in ("-h", "--help"):
            return None
        if not a.startswith("-"):
            return a
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (0 ok, 1 partial failure, 2 error)."""
    from ..cores import quiet_worker_restarts

    argv = sys.argv[1:] if argv is None else list(argv)
    quiet_worker_restarts()
    parser = build_parser(_named_command(argv))
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
