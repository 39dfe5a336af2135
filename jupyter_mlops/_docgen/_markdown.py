"""Small markdown helpers shared by the reference pages."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]


def portable(text: str) -> str:
    """``text`` without this machine's paths or memory addresses."""
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)
    for path, placeholder in ((_ROOT, "<root>"), (Path.cwd(), "<cwd>"), (Path.home(), "~")):
        if str(path) not in ("/", ""):
            text = text.replace(str(path), placeholder)
    return text


def fence(text: str, lang: str = "text") -> str:
    """A fenced code block."""
    return f"```{lang}\n{text.rstrip()}\n```\n"


def cell(text: str) -> str:
    """``text`` made safe for one markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def escape(text: str) -> str:
    """``text`` with ``<`` shown as typed, not read as an HTML tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def first_paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The (name, parser) of each subcommand of ``parser``, in the order they were added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()
