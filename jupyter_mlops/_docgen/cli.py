"""The ``jupyter-mlops`` page: every command and subcommand, with its argparse help."""

from __future__ import annotations

import argparse

from jupyter_mlops._docgen._markdown import cell, fence, portable, subcommands
from jupyter_mlops.cli import build_parser
from jupyter_mlops.cli._common import PROG


def command_names() -> list[str]:
    """Every command and subcommand as typed: ``run``, ``schedule add``, ..."""
    names: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for name, sub in subcommands(parser):
            full = f"{prefix} {name}".strip()
            names.append(full)
            walk(sub, full)

    walk(build_parser(), "")
    return names


def _summaries(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each subcommand's one-line help, as ``--help`` lists it."""
    found: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                found[choice.dest] = choice.help or ""
    return found


def _index(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    rows = []
    helps = _summaries(parser)
    for name, sub in subcommands(parser):
        full = f"{prefix} {name}"
        anchor = full.replace(" ", "-")
        rows.append(f"| [`{full}`](#{anchor}) | {cell(helps.get(name, ''))} |")
        rows += _index(sub, full)
    return rows


def page() -> str:
    """Markdown for the command line."""
    root = build_parser()
    out = [
        f"# `{PROG}` command line",
        "",
        "Also `jupyter mlops ...` and `python -m jupyter_mlops.cli ...`. Exit codes: 0 success,",
        "1 a failed run, gate or check, 2 bad usage (one line on stderr saying what to do).",
        "",
        "| command | what it does |",
        "|---|---|",
        *_index(root, PROG),
        "",
        fence(portable(root.format_help())),
    ]

    def walk(parser: argparse.ArgumentParser, prefix: str, depth: int) -> None:
        for name, sub in subcommands(parser):
            full = f"{prefix} {name}"
            out.append(f"{'#' * depth} {full}")
            out.append("")
            out.append(fence(portable(sub.format_help())))
            walk(sub, full, depth + 1)

    walk(root, PROG, 2)
    return "\n".join(out)
