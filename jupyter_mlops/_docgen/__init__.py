"""Generate the reference in ``docs/reference/`` from the code, so it cannot drift.

``python -m jupyter_mlops._docgen`` rewrites the pages; ``--check`` exits 1 naming the pages
that differ from what the code says now. Every page is built from the code's own tables,
argparse parsers, signatures and docstrings; nothing here restates what the code knows.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from jupyter_mlops._docgen import api, cli, filters, magics, rest, settings

#: Where the committed pages live in a source checkout.
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "reference"

# argparse wraps help to the terminal; a fixed width makes the pages the same everywhere.
_WIDTH = "100"


@contextmanager
def _fixed_width() -> Iterator[None]:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = _WIDTH
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def _pages() -> dict[str, Callable[[], str]]:
    return {
        "magics.md": magics.page,
        "cli.md": cli.page,
        "python-api.md": api.page,
        "rest-api.md": rest.page,
        "pipeline-spec.md": settings.pipeline_spec_page,
        "config.md": settings.config_page,
        "filter-language.md": filters.page,
    }


_INDEX = """\
# Reference

Generated from the code by `python -m jupyter_mlops._docgen` (do not edit by hand; a test
fails when these pages and the code disagree).

| page | what |
|---|---|
| [magics.md](magics.md) | every `%mlops VERB`, with its options |
| [cli.md](cli.md) | every `jupyter-mlops` command and subcommand, with its options |
| [python-api.md](python-api.md) | `import jupyter_mlops as mlops`: functions, classes, namespaces |
| [rest-api.md](rest-api.md) | the Jupyter server extension's routes under `/mlops/api/v1/` |
| [pipeline-spec.md](pipeline-spec.md) | the keys of `pipeline.yaml` |
| [config.md](config.md) | settings: `MLOPS_*` variables and `[tool.jupyter-mlops]` |
| [filter-language.md](filter-language.md) | run filters, `order_by` and gates: grammar and names |
"""


def generate() -> dict[str, str]:
    """Build every reference page: file name -> markdown."""
    with _fixed_width():
        pages = {"index.md": _INDEX}
        for name, build in _pages().items():
            pages[name] = build().rstrip("\n") + "\n"
    return pages


def write(out: Path = DEFAULT_OUT) -> list[Path]:
    """Write the pages into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate().items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale(out: Path = DEFAULT_OUT) -> list[str]:
    """The pages in ``out`` that are missing or differ from the code's current output."""
    found = []
    for name, text in generate().items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            found.append(name)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jupyter_mlops._docgen [--check] [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_mlops._docgen", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the reference folder")
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.out)
        if names:
            print(
                f"out of date in {args.out}: {', '.join(names)}; "
                "run `python -m jupyter_mlops._docgen`.",
                file=sys.stderr,
            )
            return 1
        return 0
    for path in write(args.out):
        print(path)
    return 0
