"""The ``jupyter-mlops`` page: every command and subcommand, with its argparse help."""

from __future__ import annotations

import argparse

from jupyter_mlops._docgen._markdown import fence, portable, subcommands


def command_names() -> list[str]:
    """Every command and subcommand as typed: ``run``, ``schedule add``, ..."""
    from jupyter_mlops.cli import build_parser

    names: list[str] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for name, sub in subcommands(parser):
            full = f"{prefix} {name}".strip()
            names.append(full)
            walk(sub, full)

    walk(build_parser(), "")
    return names


def page() -> str:
    """Markdown for the command line."""
    from jupyter_mlops.cli import build_parser
    from jupyter_mlops.cli._common import PROG

    root = build_parser()
    out = [
        f"# `{PROG}` command line",
        "",
        "Also `jupyter mlops ...` and `python -m jupyter_mlops.cli ...`. Exit codes: 0 success,",
        "1 a failed run, gate or check, 2 bad usage (one line on stderr saying what to do).",
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
