"""The CLI dispatcher: help, version, one-line errors, --debug tracebacks."""

import subprocess
import sys

import pytest

from myomri import __version__
from myomri.cli import build_parser, main


def test_version_flag_prints_package_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_every_subcommand_has_help(capsys):
    commands = _commands(build_parser())
    assert commands, "no subcommands registered"
    for name in commands:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage: myomri" in capsys.readouterr().out


def _commands(parser) -> dict:
    """The subcommands a parser registered (argparse keeps them on its subparsers action)."""
    return next(a for a in parser._actions if a.dest == "command").choices


def _fresh_python(code: str) -> str:
    """What ``code`` prints in a new interpreter (imports made by this test process do not count)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from myomri.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('torch', 'sklearn', 'SimpleITK', 'pandas', 'matplotlib', 'numba', 'dask') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    assert _fresh_python(code).strip() == ""


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_each_command_module_registers_the_command_it_is_named_after():
    """``build_parser(command)`` imports one module; it must register that command and only it."""
    for name in _commands(build_parser()):
        assert set(_commands(build_parser(name))) == {name}
    assert build_parser("no-such-command") is not None  # unknown: the full parser (argparse says so)


def test_a_named_command_imports_only_its_own_module():
    code = (
        "import sys; from myomri.cli import main\n"
        "try:\n    main(['--debug', 'extract', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('myomri.cli.') and m != 'myomri.cli.argtypes'))"
    )
    assert _fresh_python(code).strip().splitlines()[-1] == "['myomri.cli.extract']"


def test_an_unknown_command_is_refused_with_the_list(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["extrct"])
    assert exc.value.code == 2
    assert "invalid choice: 'extrct'" in capsys.readouterr().err


def test_top_level_help_before_a_command_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["-h", "extract"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "extract" in out and "t2fit" in out and "segment" in out
