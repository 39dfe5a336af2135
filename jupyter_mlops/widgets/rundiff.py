"""Two runs diffed as static HTML: "Why did it move?" in the comparison panel and ``%mlops diff``.

Draws the record of :func:`jupyter_mlops.services.diff.diff`, the diff the command line and the
REST API give too, with the panels' HTML pieces (JupyterLab's theme colours).
"""

from __future__ import annotations

from jupyter_mlops.data.compare import to_html as dataset_html
from jupyter_mlops.services.schema import CellBlock, DiffedCell, RunDiff
from jupyter_mlops.widgets import _html as h


def _value(value: str | None) -> str:
    return "-" if value is None else h.esc(value)


def _relative(value: float | None) -> str:
    return "" if value is None else f"{value:+.1%}"


def metrics_html(found: RunDiff) -> str:
    """Latest values side by side, largest relative change first; moved rows highlighted."""
    if not found.metrics:
        return h.note("Neither run logged metrics.")
    rows = [
        [h.esc(m.key), h.fmt(m.a), h.fmt(m.b), h.fmt(m.delta), _relative(m.relative)]
        for m in found.metrics
    ]
    classes = [
        "diff" if (m.delta or 0) != 0 or (m.a is None) != (m.b is None) else ""
        for m in found.metrics
    ]
    return h.table(
        ["metric", found.a.label, found.b.label, "delta", "change"], rows, row_classes=classes
    )


def params_html(found: RunDiff) -> str:
    """Params added, removed or changed."""
    if not found.params:
        return h.note("The same params.")
    rows = [[h.esc(p.key), h.esc(p.change), _value(p.a), _value(p.b)] for p in found.params]
    return h.table(["param", "change", found.a.label, found.b.label], rows)


def data_html(found: RunDiff) -> str:
    """The dataset versions each run used, each changed one's profile diff, other inputs."""
    if not found.datasets and not found.inputs:
        return h.note("Neither run recorded a dataset or input.")
    parts = []
    if found.datasets:
        rows = [
            [
                h.esc(f"{d.dataset} ({d.direction}, {d.role})"),
                h.esc(d.change),
                _value(d.a),
                _value(d.b),
            ]
            for d in found.datasets
        ]
        classes = ["" if d.change == "same" else "diff" for d in found.datasets]
        parts.append(
            h.table(["dataset", "change", found.a.label, found.b.label], rows, row_classes=classes)
        )
        parts += [dataset_html(d.diff.model_dump()) for d in found.datasets if d.diff is not None]
    if found.inputs:
        rows = [
            [h.esc(f"{i.source} ({i.kind}, {i.role})"), h.esc(i.change), _value(i.a), _value(i.b)]
            for i in found.inputs
        ]
        parts.append(h.table(["input", "change", found.a.label, found.b.label], rows))
    return "".join(parts)


def environment_html(found: RunDiff) -> str:
    """Only what differs: Python, platform, packages, git."""
    if not found.environment:
        return h.note("The same environment (Python, packages, git).")
    rows = [[h.esc(e.key), _value(e.a), _value(e.b)] for e in found.environment]
    return h.table(["", found.a.label, found.b.label], rows)


def _cells(cells: list[DiffedCell]) -> str:
    if not cells:
        return ""
    first, last = cells[0].position, cells[-1].position
    return f"cell {first}" if first == last else f"cells {first}-{last}"


def _line(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return f'<span class="note">{h.esc(line)}</span>'
    if line.startswith("+"):
        return f'<span class="good">{h.esc(line)}</span>'
    if line.startswith("-"):
        return f'<span class="bad">{h.esc(line)}</span>'
    return h.esc(line)


def block_html(block: CellBlock) -> str:
    """One step of the code diff: unchanged cells as one line, others with their lines."""
    if block.change == "same":
        return h.note(f"{_cells(block.a)} (a) = {_cells(block.b)} (b): unchanged")
    head = {
        "changed": f"{_cells(block.a)} (a) → {_cells(block.b)} (b): edited",
        "added": f"{_cells(block.b)} (b): added",
        "removed": f"{_cells(block.a)} (a): removed",
    }[block.change]
    body = "\n".join(_line(line) for line in block.diff)
    return f'<p class="diff-cell"><b>{h.esc(head)}</b></p><pre>{body}</pre>'


def code_html(found: RunDiff) -> str:
    """The cells aligned by content: unchanged ones collapsed, edits as line diffs."""
    code = found.code
    where = "the session logs" if code.source == "session" else "the cells each run tracked"
    summary = (
        f"From {where}: {code.edited} edited, {code.added} added, {code.removed} removed, "
        f"{code.unchanged} unchanged."
    )
    if code.truncated:
        summary += " A session log dropped its oldest cells."
    if not code.blocks:
        return h.note(summary + " Neither run recorded cells.")
    return h.note(summary) + "".join(block_html(b) for b in code.blocks)


def diff_html(found: RunDiff) -> str:
    """The whole diff: the headline, then metrics, params, data, environment and code."""
    return "".join(
        [
            f"<p><strong>{h.esc(found.headline)}</strong></p>",
            h.section("Metrics", metrics_html(found)),
            h.section("Params", params_html(found)),
            h.section("Data", data_html(found)),
            h.section("Environment", environment_html(found)),
            h.section("Code", code_html(found)),
        ]
    )


def panel_html(found: RunDiff) -> str:
    """The diff in a panel of its own (``%mlops diff``)."""
    title = f"Why did it move? {found.a.label} → {found.b.label}"
    return h.panel(title, diff_html(found), kind="diff")
