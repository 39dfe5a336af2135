"""What differs between two runs: cells aligned by content, params, metrics, data, environment.

Plain data in, plain data out. ``services.diff`` reads the two runs (and their session logs),
asks here, and builds the record every face shows.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The artifact holding a run's session log: every cell the kernel ran before and during it.
SESSION_LOG = "mlops/session_cells.json"
#: Lines of one cell's diff kept; the rest is counted in a last line.
MAX_DIFF_LINES = 400
#: Environment entries compared (host, cwd and executable differ between any two machines).
ENV_KEYS = ("python", "implementation", "platform", "machine")


@dataclass(frozen=True)
class Cell:
    """One executed cell: its place in the run's cells, its count, its code and how it ended."""

    position: int
    execution_count: int | None
    source: str
    status: str

    @property
    def digest(self) -> str:
        """The code's digest, blind to trailing spaces and blank lines at either end."""
        text = "\n".join(line.rstrip() for line in self.source.strip("\n").splitlines())
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Block:
    """One step of the aligned diff: ``same`` (collapsed), ``changed``, ``added``, ``removed``."""

    change: str
    a: list[Cell]
    b: list[Cell]
    diff: list[str]


def session_cells(raw: bytes) -> tuple[list[Cell], bool] | None:
    """The cells of a session log and whether it was truncated; None when it does not parse."""
    try:
        log = json.loads(raw)
        cells = [
            Cell(
                position=i,
                execution_count=cell.get("execution_count"),
                source=str(cell["source"]),
                status=str(cell.get("status") or "ok"),
            )
            for i, cell in enumerate(log["cells"], start=1)
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return cells, bool(log.get("truncated", False))


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_DIFF_LINES:
        return lines
    return [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES:,} more lines"]


def _lines(cell: Cell, sign: str) -> list[str]:
    return _capped([sign + line for line in cell.source.splitlines()])


def _edited(a: Cell, b: Cell) -> Block:
    lines = difflib.unified_diff(
        a.source.splitlines(),
        b.source.splitlines(),
        fromfile=f"a/cell {a.position}",
        tofile=f"b/cell {b.position}",
        lineterm="",
    )
    return Block("changed", [a], [b], _capped(list(lines)))


def align(a: Sequence[Cell], b: Sequence[Cell]) -> list[Block]:
    """Align two runs' cells by digest; cells replaced in place pair up as edits, in order."""
    matcher = difflib.SequenceMatcher(
        None, [c.digest for c in a], [c.digest for c in b], autojunk=False
    )
    blocks: list[Block] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            blocks.append(Block("same", list(a[i1:i2]), list(b[j1:j2]), []))
            continue
        old, new = list(a[i1:i2]), list(b[j1:j2])
        paired = min(len(old), len(new))
        blocks += [_edited(x, y) for x, y in zip(old[:paired], new[:paired], strict=True)]
        blocks += [Block("removed", [x], [], _lines(x, "-")) for x in old[paired:]]
        blocks += [Block("added", [], [y], _lines(y, "+")) for y in new[paired:]]
    return blocks


@dataclass(frozen=True)
class ParamDelta:
    """A param added, removed or changed."""

    key: str
    change: str
    a: str | None
    b: str | None


def param_changes(a: Mapping[str, str], b: Mapping[str, str]) -> list[ParamDelta]:
    """The params that differ, by key."""
    out = []
    for key in sorted(set(a) | set(b)):
        old, new = a.get(key), b.get(key)
        if old == new:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        out.append(ParamDelta(key, change, old, new))
    return out


@dataclass(frozen=True)
class MetricMove:
    """A metric's latest value in both runs, its delta and the delta relative to ``|a|``."""

    key: str
    a: float | None
    b: float | None
    delta: float | None
    relative: float | None


def _move(key: str, a: float | None, b: float | None) -> MetricMove:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return MetricMove(key, a, b, None, None)
    delta = b - a
    return MetricMove(key, a, b, delta, delta / abs(a) if a else None)


def _move_order(move: MetricMove) -> tuple[int, float, str]:
    # Largest relative change first; then moves from zero (no relative change) by delta;
    # then unchanged metrics; last those only one run has or that are not finite.
    if move.delta is None:
        return (3, 0.0, move.key)
    if not move.delta:
        return (2, 0.0, move.key)
    if move.relative is None:
        return (1, -abs(move.delta), move.key)
    return (0, -abs(move.relative), move.key)


def metric_moves(a: Mapping[str, float], b: Mapping[str, float]) -> list[MetricMove]:
    """Every metric of either run, the largest relative change first."""
    moves = [_move(key, a.get(key), b.get(key)) for key in set(a) | set(b)]
    return sorted(moves, key=_move_order)


@dataclass(frozen=True)
class DataLink:
    """A dataset version a run read or wrote."""

    dataset: str
    role: str
    direction: str
    version: int
    ref: str
    digest: str


@dataclass(frozen=True)
class DataMove:
    """A dataset (in a role and direction) and the versions the two runs used."""

    dataset: str
    role: str
    direction: str
    change: str
    a: DataLink | None
    b: DataLink | None


def _change(a: object | None, b: object | None, same: bool) -> str:
    if a is None:
        return "added"
    if b is None:
        return "removed"
    return "same" if same else "changed"


def data_moves(a: Sequence[DataLink], b: Sequence[DataLink]) -> list[DataMove]:
    """The datasets either run used, matched by name, role and direction."""
    old = {(link.direction, link.dataset, link.role): link for link in a}
    new = {(link.direction, link.dataset, link.role): link for link in b}
    out = []
    for key in sorted(set(old) | set(new)):
        x, y = old.get(key), new.get(key)
        same = x is not None and y is not None and x.digest == y.digest
        out.append(DataMove(key[1], key[2], key[0], _change(x, y, same), x, y))
    return out


@dataclass(frozen=True)
class InputMove:
    """Other data a run read (matched by role, kind and source) and its digest in each run."""

    role: str
    kind: str
    source: str
    change: str
    a: str | None
    b: str | None


def input_moves(
    a: Sequence[tuple[str, str, str, str]], b: Sequence[tuple[str, str, str, str]]
) -> list[InputMove]:
    """The inputs ``(role, kind, source, digest)`` whose digest differs or that one run lacks."""
    old = {(role, kind, source): digest for role, kind, source, digest in a}
    new = {(role, kind, source): digest for role, kind, source, digest in b}
    out = []
    for key in sorted(set(old) | set(new)):
        x, y = old.get(key), new.get(key)
        if x != y:
            out.append(InputMove(*key, _change(x, y, False), x, y))
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def environment_changes(
    a: Mapping[str, Any], b: Mapping[str, Any]
) -> list[tuple[str, str | None, str | None]]:
    """``(key, a's, b's)`` for each part that differs: Python, platform, packages, git.

    ``a`` and ``b`` are a run's environment JSON plus ``git_commit``, ``git_branch`` and
    ``git_dirty``.
    """
    out = []
    for key in ENV_KEYS:
        if a.get(key) != b.get(key):
            out.append((key, _text(a.get(key)), _text(b.get(key))))
    pa, pb = a.get("packages") or {}, b.get("packages") or {}
    for name in sorted(set(pa) | set(pb)):
        if pa.get(name) != pb.get(name):
            out.append((f"package {name}", _text(pa.get(name)), _text(pb.get(name))))
    for part in ("commit", "branch", "dirty"):
        x, y = a.get(f"git_{part}"), b.get(f"git_{part}")
        if x != y:
            out.append((f"git {part}", _text(x), _text(y)))
    return out


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _examples(items: list[str], shown: int = 2) -> str:
    more = f", +{len(items) - shown} more" if len(items) > shown else ""
    return f" ({', '.join(items[:shown])}{more})"


def _metric_phrase(metrics: Sequence[MetricMove]) -> str:
    moved = [m for m in metrics if (m.delta or 0) != 0 or (m.a is None) != (m.b is None)]
    if not moved:
        return "metrics unchanged" if metrics else ""
    top = moved[0]
    if top.a is None or top.b is None:
        return f"{top.key} {'added' if top.a is None else 'removed'}"
    rel = f" ({top.relative:+.1%})" if top.relative is not None else ""
    return f"{top.key} {_num(top.a)}→{_num(top.b)}{rel}"


def _param_phrases(params: Sequence[ParamDelta]) -> list[str]:
    out = []
    for change in ("changed", "added", "removed"):
        some = [p for p in params if p.change == change]
        if not some:
            continue
        if change == "changed":
            shown = [f"{p.key} {p.a}→{p.b}" for p in some]
        elif change == "added":
            shown = [f"{p.key}={p.b}" for p in some]
        else:
            shown = [p.key for p in some]
        out.append(f"{_plural(len(some), 'param')} {change}{_examples(shown)}")
    return out


def _data_phrases(datasets: Sequence[DataMove], inputs: Sequence[InputMove]) -> list[str]:
    out = []
    for move in datasets:
        if move.change == "changed" and move.a is not None and move.b is not None:
            out.append(f"dataset {move.dataset} v{move.a.version}→v{move.b.version}")
        elif move.change in ("added", "removed"):
            out.append(f"dataset {move.dataset} {move.change}")
    if inputs:
        out.append(f"{_plural(len(inputs), 'input')} changed")
    return out


def _cell_phrase(blocks: Sequence[Block]) -> str:
    counts = {
        kind: sum(b.change == kind for b in blocks) for kind in ("changed", "added", "removed")
    }
    parts: list[str] = []
    for kind, word in (("changed", "edited"), ("added", "added"), ("removed", "removed")):
        if counts[kind]:
            parts.append(
                f"{counts[kind]} {word}" if parts else f"{_plural(counts[kind], 'cell')} {word}"
            )
    return ", ".join(parts)


def _environment_phrase(environment: Sequence[tuple[str, str | None, str | None]]) -> list[str]:
    out = []
    for key, a, b in environment:
        if key == "python":
            out.append(f"Python {a}→{b}")
        elif key == "git commit":
            out.append(f"git commit {(a or '-')[:7]}→{(b or '-')[:7]}")
    # A package imported by one run only (the store's own migration tools on first use) is
    # listed among the differences but is no version change: it does not explain a move.
    packages = [
        f"{key.removeprefix('package ')} {a}→{b}"
        for key, a, b in environment
        if key.startswith("package ") and a is not None and b is not None
    ]
    if len(packages) == 1:
        out.append(packages[0])
    elif packages:
        out.append(f"{len(packages)} packages changed{_examples(packages)}")
    return out


def headline(
    *,
    metrics: Sequence[MetricMove],
    params: Sequence[ParamDelta],
    datasets: Sequence[DataMove],
    inputs: Sequence[InputMove],
    blocks: Sequence[Block],
    environment: Sequence[tuple[str, str | None, str | None]],
) -> str:
    """One line: the largest metric move, then what differs (params, data, code, environment).

    E.g. ``auc 0.91→0.87 (-4.4%): 2 params changed (C 0.5→1.0, ...), dataset churn v3→v4,
    1 cell edited``.
    """
    causes = [*_param_phrases(params), *_data_phrases(datasets, inputs)]
    cells = _cell_phrase(blocks)
    if cells:
        causes.append(cells)
    causes += _environment_phrase(environment)
    why = ", ".join(causes) or "nothing recorded differs (params, data, code, environment)"
    metric = _metric_phrase(metrics)
    return f"{metric}: {why}" if metric else why[:1].upper() + why[1:]
