"""``jupyter-mlops diff A B``: why did the metric move, as text, or the REST API's JSON."""

from __future__ import annotations

import argparse

from jupyter_mlops.cli._common import Subparsers, add_verb, fmt_number, print_record
from jupyter_mlops.cli._table import Column, render
from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.runs import DIFF
from jupyter_mlops.data.compare import lines as dataset_lines
from jupyter_mlops.services.schema import CellBlock, DiffedCell, RunDiff, RunDiffQuery


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    return add_verb(subparsers, DIFF)


def run(args: argparse.Namespace) -> int:
    # Imported here: the store loads only when a command runs, not for --help.
    from jupyter_mlops.services import diff, project

    query: RunDiffQuery = grammar.request(DIFF, args)
    found = diff.diff(project.store(), query)
    if args.format == "json" or args.json:
        print_record(found)
    else:
        print(text(found))
    return 0


def _number(value: float | None) -> str:
    return "" if value is None else fmt_number(value)


def _value(value: str | None) -> str:
    return "-" if value is None else value


def _metrics(found: RunDiff) -> str:
    if not found.metrics:
        return "No metrics logged by either run."
    rows = found.metrics
    return render(
        [
            Column("metric", [m.key for m in rows]),
            Column("a", [_number(m.a) for m in rows], right=True),
            Column("b", [_number(m.b) for m in rows], right=True),
            Column("delta", [_number(m.delta) for m in rows], right=True),
            Column(
                "change",
                ["" if m.relative is None else f"{m.relative:+.1%}" for m in rows],
                right=True,
            ),
        ]
    )


def _pairs(title: str, keys: list[str], changes: list[str], a: list[str], b: list[str]) -> str:
    return render([Column(title, keys), Column("change", changes), Column("a", a), Column("b", b)])


def _params(found: RunDiff) -> str:
    if not found.params:
        return "Params: the same."
    p = found.params
    return _pairs(
        "param",
        [x.key for x in p],
        [x.change for x in p],
        [_value(x.a) for x in p],
        [_value(x.b) for x in p],
    )


def _data(found: RunDiff) -> str:
    if not found.datasets and not found.inputs:
        return "Data: no dataset or input recorded by either run."
    parts = []
    if found.datasets:
        d = found.datasets
        parts.append(
            _pairs(
                "dataset",
                [f"{x.dataset} ({x.direction}, {x.role})" for x in d],
                [x.change for x in d],
                [_value(x.a) for x in d],
                [_value(x.b) for x in d],
            )
        )
        for x in d:
            if x.diff is not None:
                parts.append("\n".join(dataset_lines(x.diff.model_dump())))
    if found.inputs:
        i = found.inputs
        parts.append(
            _pairs(
                "input",
                [f"{x.source} ({x.kind}, {x.role})" for x in i],
                [x.change for x in i],
                [_value(x.a)[:12] for x in i],
                [_value(x.b)[:12] for x in i],
            )
        )
    return "\n\n".join(parts)


def _environment(found: RunDiff) -> str:
    if not found.environment:
        return "Environment: the same (Python, packages, git)."
    e = found.environment
    return render(
        [
            Column("environment", [x.key for x in e]),
            Column("a", [_value(x.a) for x in e]),
            Column("b", [_value(x.b) for x in e]),
        ]
    )


def _cells(cells: list[DiffedCell]) -> str:
    if not cells:
        return "-"
    first, last = cells[0].position, cells[-1].position
    return f"cell {first}" if first == last else f"cells {first}-{last}"


def block_lines(block: CellBlock) -> list[str]:
    """One step of the code diff: a heading line, then its diff lines indented."""
    if block.change == "same":
        return [f"  = {_cells(block.a)} (a) and {_cells(block.b)} (b) unchanged"]
    head = {
        "changed": f"  ~ {_cells(block.a)} (a) -> {_cells(block.b)} (b) edited",
        "added": f"  + {_cells(block.b)} (b) added",
        "removed": f"  - {_cells(block.a)} (a) removed",
    }[block.change]
    return [head, *(f"      {line}" for line in block.diff)]


def _code(found: RunDiff) -> str:
    code = found.code
    where = "session logs" if code.source == "session" else "tracked cells"
    head = (
        f"Code ({where}): {code.edited} edited, {code.added} added, {code.removed} removed, "
        f"{code.unchanged} unchanged"
    )
    if code.truncated:
        head += " (a session log dropped its oldest cells)"
    if not code.blocks:
        return head + "\n  No cells recorded by either run."
    return "\n".join([head, *(line for block in code.blocks for line in block_lines(block))])


def text(found: RunDiff) -> str:
    """The headline, then metrics, params, data, environment and the code diff."""
    head = f"a: {found.a.label}  [{found.a.status}]\nb: {found.b.label}  [{found.b.status}]"
    return "\n\n".join(
        [
            head,
            found.headline,
            _metrics(found),
            _params(found),
            _data(found),
            _environment(found),
            _code(found),
        ]
    )
