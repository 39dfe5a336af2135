"""What every command shares: the argument parser class, output helpers and formats."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from typing import IO, Any, NoReturn, TypeAlias

from pydantic import BaseModel

from jupyter_mlops.commands.grammar import Verb, build, one_of
from jupyter_mlops.errors import MlopsUsageError

PROG = "jupyter-mlops"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes are raised, so ``main`` reports them in one line.

    Abbreviated options are refused: ``--remove`` must not quietly mean ``--remove-corrupt``,
    and adding an option must not change what an abbreviation in someone's script means.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise MlopsUsageError(f"{message}; see `{self.prog} --help`.")


Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"


def add_command(subparsers: Subparsers, name: str, doc: str | None) -> argparse.ArgumentParser:
    """Add the parser of command ``name``; the first docstring line is its help."""
    text = (doc or "").strip()
    summary = text.splitlines()[0].rstrip(".") if text else name
    return subparsers.add_parser(
        name,
        help=summary,
        description=text or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_verb(subparsers: Subparsers, verb: Verb) -> argparse.ArgumentParser:
    """Add the parser of ``verb`` (a shared declaration) as command ``verb.name``."""
    text = f"{verb.summary}\n\n{verb.description}".strip()
    parser = add_command(subparsers, verb.name, text)

    def action_parser(group: Any, action: Verb) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(
            action.name,
            help=action.summary.rstrip("."),
            description=f"{action.summary}\n\n{action.description}".strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        return sub

    return build(verb, parser, "cli", subparser=action_parser)


def print_record(record: BaseModel) -> None:
    """Print a service's record as the REST API sends it (indented)."""
    sys.stdout.write(record.model_dump_json(indent=2) + "\n")


def non_negative_int(text: str) -> int:
    """Parse an option value that must be an integer >= 0 (argparse ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected zero or more, not {value}")
    return value


def add_format(parser: argparse.ArgumentParser, *formats: str, help: str) -> None:
    """Add ``--format``; the first of ``formats`` is the default."""
    parser.add_argument(
        "--format",
        type=one_of(*formats),
        default=formats[0],
        metavar="{" + ",".join(formats) + "}",
        help=help,
    )


def can_encode(text: str, stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (default stdout) can print ``text`` (a C-locale CI log cannot)."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def marks(stream: IO[str] | None = None) -> tuple[str, str]:
    """The (pass, fail) marks, falling back to ASCII where Unicode cannot be printed."""
    return ("✓", "✗") if can_encode("✓✗…", stream) else ("OK", "FAIL")


def ellipsis() -> str:
    return "…" if can_encode("…") else "..."


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` characters, marking the cut."""
    if len(text) <= width:
        return text
    mark = ellipsis()
    return text[: max(width - len(mark), 0)] + mark


def one_line(text: str) -> str:
    """Join a message's lines so an error is always a single line."""
    return " ".join(part.strip() for part in str(text).strip().splitlines() if part.strip())


def fmt_number(value: float) -> str:
    return f"{value:.6g}"


def fmt_duration(seconds: float | None) -> str:
    """A short human duration: ``850 ms``, ``12.3 s``, ``4.2 min``, ``1.5 h``."""
    if seconds is None or math.isnan(seconds):
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_local_time(when: dt.datetime | float | None) -> str:
    """Local wall-clock time to the minute, from an aware datetime or epoch seconds."""
    if when is None:
        return "-"
    if isinstance(when, float | int):
        if math.isnan(when):
            return "-"
        when = dt.datetime.fromtimestamp(float(when), tz=dt.UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def fmt_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def jsonable(value: Any) -> Any:
    """Make ``value`` strict JSON: non-finite floats become strings, as in RunRecord.to_dict."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as indented, strict JSON (no NaN literals)."""
    json.dump(jsonable(value), sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
