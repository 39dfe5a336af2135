"""Argument parsing for ``%mlops`` verbs: argparse that raises ``UsageError`` instead of exiting."""

from __future__ import annotations

import argparse
import ast
import shlex
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

from jupyter_mlops.commands.grammar import Verb, build


class HelpShown(Exception):  # noqa: N818 - a signal, not an error
    """``--help`` was printed; the verb has nothing else to do."""


class VerbParser(MagicArgumentParser):
    """The parser of ``%mlops VERB``; its description and example come from the router table.

    Without ``verb`` it takes argparse's own arguments (the parsers of a verb's actions).
    """

    def __init__(self, verb: str | None = None, **kwargs: Any) -> None:
        if verb is not None:
            # cycle: magics._router imports this module for VerbParser.
            from jupyter_mlops.magics._router import VERBS

            entry = VERBS[verb]
            kwargs.update(
                prog=f"%mlops {verb}",
                description=f"{entry.summary}\n\n{entry.description}".strip(),
                epilog=f"Example:\n  {entry.example}",
            )
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs.setdefault("add_help", True)
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}. See {self.prog} --help.")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        # Only --help gets here (error() never exits): it has printed, so stop quietly.
        if message:
            print(message)
        raise HelpShown

    def parse(self, argstring: str) -> argparse.Namespace:
        """Split ``argstring`` like a shell and parse it.

        Raises:
            UsageError: for unbalanced quotes or arguments the verb does not take.
            HelpShown: after printing ``--help``.
        """
        try:
            argv = split(argstring)
        except ValueError as exc:
            raise UsageError(f"{self.prog}: {exc} in {argstring.strip()!r}.") from None
        return self.parse_args(argv)


def split(argstring: str) -> list[str]:
    """Split like a POSIX shell, quotes grouping words (``--filter "metrics.auc > 0.9"``).

    Backslashes are kept as typed, so Windows paths survive.
    """
    lex = shlex.shlex(argstring, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    lex.escape = ""
    return list(lex)


def nonempty(text: str) -> str:
    """``text``, which must not be blank."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def key_value(text: str) -> tuple[str, str]:
    """Split ``KEY=VALUE`` (the value may contain ``=``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def literal(text: str) -> Any:
    """The Python literal ``text`` spells (``0.5``, ``[1, 2]``, ``None``), else ``text`` itself."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def param_pair(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with the value read as a Python literal when it is one."""
    key, value = key_value(text)
    return key, literal(value)


def number(text: str) -> int | float:
    """``text`` as an int when it is one, else as a float."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def metric_pair(text: str) -> tuple[str, int | float]:
    """``KEY=NUMBER``."""
    key, value = key_value(text)
    try:
        return key, number(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the value of {key!r} must be a number, not {value!r}"
        ) from None


def parser_for(verb: Verb) -> VerbParser:
    """The ``%mlops VERB`` parser of a shared verb declaration."""
    parser = VerbParser(verb.name)

    def action_parser(group: Any, action: Verb) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(
            action.name,
            help=action.summary.rstrip("."),
            description=f"{action.summary}\n\n{action.description}".strip(),
        )
        return sub

    build(verb, parser, "magic", subparser=action_parser)
    return parser
