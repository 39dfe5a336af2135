"""The ``jupyter-mlops`` command line (also ``jupyter mlops``), for CI and servers.

Each command is one module in this package exposing ``add_parser(subparsers)`` and
``run(args) -> int``, listed in :data:`COMMANDS`. :func:`main` is the one place where
errors become exit codes: 0 success, 1 a failed check or an error, 2 bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from jupyter_mlops._version import __version__
from jupyter_mlops.cli._common import PROG, Parser, Subparsers, one_line
from jupyter_mlops.errors import FilterSyntaxError, MlopsError, MlopsUsageError, OptionError

#: Command name -> the module implementing it. A test rebuilds this from the package.
COMMANDS: dict[str, str] = {
    "accept": "jupyter_mlops.cli.accept",
    "cancel": "jupyter_mlops.cli.cancel",
    "compare": "jupyter_mlops.cli.compare",
    "config": "jupyter_mlops.cli.config",
    "data": "jupyter_mlops.cli.data",
    "demo": "jupyter_mlops.cli.demo",
    "diff": "jupyter_mlops.cli.diff",
    "doctor": "jupyter_mlops.cli.doctor",
    "export": "jupyter_mlops.cli.export",
    "gc": "jupyter_mlops.cli.gc",
    "import": "jupyter_mlops.cli.import",
    "models": "jupyter_mlops.cli.models",
    "monitor": "jupyter_mlops.cli.monitor",
    "predict": "jupyter_mlops.cli.predict",
    "promote": "jupyter_mlops.cli.promote",
    "reproduce": "jupyter_mlops.cli.reproduce",
    "run": "jupyter_mlops.cli.run",
    "runs": "jupyter_mlops.cli.runs",
    "schedule": "jupyter_mlops.cli.schedule",
    "scheduler": "jupyter_mlops.cli.scheduler",
    "serve": "jupyter_mlops.cli.serve",
    "server": "jupyter_mlops.cli.server",
    "show": "jupyter_mlops.cli.show",
    "store": "jupyter_mlops.cli.store",
    "status": "jupyter_mlops.cli.status",
    "verify": "jupyter_mlops.cli.verify",
}

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_EPILOG = """\
exit codes: 0 success, 1 a failed check or error, 2 bad usage.
configuration: MLOPS_* environment variables, then [tool.jupyter-mlops] in pyproject.toml.
Run `jupyter-mlops COMMAND --help` for a command's options."""


class Command(Protocol):
    """What a command module provides."""

    def add_parser(self, subparsers: Subparsers) -> argparse.ArgumentParser: ...

    def run(self, args: argparse.Namespace) -> int: ...


def load_command(name: str) -> Command:
    """Import the module of command ``name``."""
    try:
        module_name = COMMANDS[name]
    except KeyError:
        raise MlopsUsageError(
            f"unknown command {name!r}; choose from {', '.join(sorted(COMMANDS))} "
            f"(see `{PROG} --help`)."
        ) from None
    return cast(Command, importlib.import_module(module_name))


class _Formatter(argparse.RawDescriptionHelpFormatter):
    # argparse measures subcommand names two columns short; start wide enough that every
    # command name (``scheduler``) shares a line with its help.
    def __init__(self, prog: str) -> None:
        super().__init__(prog)
        self._action_max_length = 14


def build_parser() -> Parser:
    """The full parser: global options plus one subparser per registered command."""
    parser = Parser(
        prog=PROG,
        description="Track, version, run and check machine-learning work from notebooks.",
        epilog=_EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=Parser
    )
    for name in sorted(COMMANDS):
        command = load_command(name)
        sub = command.add_parser(subparsers)
        sub.set_defaults(_run=command.run)
    return parser


def _first_command(argv: Sequence[str]) -> str | None:
    # Global options take no values, so the first word that is not an option is the command.
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def _parse(argv: Sequence[str]) -> argparse.Namespace | int:
    """Parse ``argv``; an int is the exit code of ``--help`` or ``--version``."""
    name = _first_command(argv)
    if name is not None:
        load_command(name)  # an unknown command is named plainly, not as "invalid choice"
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
    except SystemExit as exc:  # --help and --version print, then exit
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if extras:
        where = " ".join(filter(None, (PROG, args.command, "--help")))
        raise MlopsUsageError(f"unrecognized arguments: {' '.join(extras)}; see `{where}`.")
    if getattr(args, "_run", None) is None:
        raise MlopsUsageError(
            f"give a command: {', '.join(sorted(COMMANDS))} (see `{PROG} --help`)."
        )
    return args


def _error(message: object, code: int) -> int:
    print(f"{PROG}: error: {one_line(str(message))}", file=sys.stderr)
    return code


def _tolerate_unencodable_output() -> None:
    # A name with characters the terminal's encoding lacks must not crash a listing.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def _store_library_error(exc: Exception) -> bool:
    # Database driver errors reach here only from a broken or unreachable database.
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)


def console_main() -> int:
    """The ``jupyter-mlops`` command: :func:`main` in a process of its own."""
    # jsonschema imports rfc3987_syntax when installed (JupyterLab's jsonschema extras pull it
    # in), which compiles ~35 Earley parsers at import: 1-4 s added to every command that reads
    # a notebook (python-jsonschema/jsonschema#1428). Without it jsonschema only lacks its
    # "iri" format checks, which no notebook or spec schema uses.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    _tolerate_unencodable_output()
    try:
        parsed = _parse(words)
        if isinstance(parsed, int):
            return parsed
        run = cast(Callable[[argparse.Namespace], int], parsed._run)
        return int(run(parsed))
    except FilterSyntaxError as exc:
        where = " ".join(filter(None, (PROG, _first_command(words), "--help")))
        return _error(f"{exc}; see `{where}`.", EXIT_USAGE)
    except OptionError as exc:
        return _error(f"{exc}; see `{PROG} {exc.verb} --help`.", EXIT_USAGE)
    except MlopsUsageError as exc:
        return _error(exc, EXIT_USAGE)
    except MlopsError as exc:
        return _error(exc, EXIT_FAILED)
    except KeyboardInterrupt:
        return _error("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (`jupyter-mlops runs | head`): stop quietly.
        _silence_stdout()
        return EXIT_FAILED
    except OSError as exc:
        return _error(f"{exc}; check the path and its permissions.", EXIT_FAILED)
    except Exception as exc:
        if _store_library_error(exc):
            cause = getattr(exc, "orig", None) or exc
            return _error(f"the store's database failed: {cause}", EXIT_FAILED)
        raise


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
