"""DataDiff: what changed between two dataset versions."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlops.data.manifest import Manifest
from jupyter_mlops.data.version import DatasetVersion, human_size

#: profile statistics compared, in display order
STATS = ("missing", "min", "max", "mean", "std", "distinct", "top")


@dataclass(frozen=True)
class DataDiff:
    """Differences between version ``a`` and version ``b``.

    ``added``/``removed`` hold ``(column, type)``, ``retyped`` holds ``(column, old, new)``,
    ``profile`` maps a column kept in both to ``{stat: (old, new)}`` for each changed
    statistic, and ``files`` (folders only) maps ``added``/``removed``/``changed`` to paths.
    """

    a: str
    b: str
    digests: tuple[str, str]
    sizes: tuple[int, int]
    formats: tuple[str, str]
    rows: tuple[int | None, int | None]
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    retyped: list[tuple[str, str, str]] = field(default_factory=list)
    profile: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    files: dict[str, list[str]] | None = None

    @property
    def same_content(self) -> bool:
        return self.digests[0] == self.digests[1]

    @property
    def row_change(self) -> int | None:
        old, new = self.rows
        return None if old is None or new is None else new - old

    @property
    def schema_changed(self) -> bool:
        return bool(self.added or self.removed or self.retyped)

    def __bool__(self) -> bool:
        """True when the two versions differ in content."""
        return not self.same_content

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serializable)."""
        return {
            "a": self.a,
            "b": self.b,
            "same_content": self.same_content,
            "digests": list(self.digests),
            "sizes": list(self.sizes),
            "formats": list(self.formats),
            "rows": list(self.rows),
            "row_change": self.row_change,
            "added": [{"name": n, "type": t} for n, t in self.added],
            "removed": [{"name": n, "type": t} for n, t in self.removed],
            "retyped": [{"name": n, "old": o, "new": w} for n, o, w in self.retyped],
            "profile": {
                col: {stat: [old, new] for stat, (old, new) in stats.items()}
                for col, stats in self.profile.items()
            },
            "files": self.files,
        }

    def lines(self) -> list[str]:
        """The diff as lines of text (what ``str()`` prints)."""
        return lines(self.to_dict())

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        return to_html(self.to_dict())


def lines(diff: Mapping[str, Any]) -> list[str]:
    """A diff as lines of text.

    ``diff`` is :meth:`DataDiff.to_dict` or the services' record of a diff (dumped): both
    faces and the Python API print diffs this one way.
    """
    a, b = diff["digests"]
    head = f"{diff['a']} → {diff['b']}"
    if diff["same_content"]:
        return [f"{head}: same content ({a[:12]})"]
    out = [f"{head}: content changed ({a[:12]} → {b[:12]})"]
    formats, sizes, rows = diff["formats"], diff["sizes"], diff["rows"]
    if formats[0] != formats[1]:
        out.append(f"  format: {formats[0]} → {formats[1]}")
    out.append(f"  size: {human_size(sizes[0])} → {human_size(sizes[1])}")
    if list(rows) != [None, None]:
        change = diff["row_change"]
        note = "" if change is None else f" ({change:+,})"
        note = " (unchanged)" if change == 0 else note
        out.append(f"  rows: {_count(rows[0])} → {_count(rows[1])}{note}")
    if diff["added"]:
        out.append(
            "  columns added: " + ", ".join(f"{c['name']} ({c['type']})" for c in diff["added"])
        )
    if diff["removed"]:
        out.append(
            "  columns removed: " + ", ".join(f"{c['name']} ({c['type']})" for c in diff["removed"])
        )
    if diff["retyped"]:
        out.append(
            "  columns retyped: "
            + ", ".join(f"{c['name']} {c['old']} → {c['new']}" for c in diff["retyped"])
        )
    if diff["profile"]:
        out.append("  profile changes:")
        for col, stats in diff["profile"].items():
            changes = ", ".join(
                f"{stat} {_stat(stat, old)} → {_stat(stat, new)}"
                for stat, (old, new) in stats.items()
            )
            out.append(f"    {col}: {changes}")
    for what, paths in (diff["files"] or {}).items():
        if paths:
            out.append(f"  files {what}: " + ", ".join(paths))
    return out


def to_html(diff: Mapping[str, Any]) -> str:
    """A diff (as :func:`lines` takes it) as HTML."""
    text = lines(diff)
    head = f"<strong>{html.escape(text[0])}</strong>"
    items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in text[1:])
    return f"<div>{head}<ul>{items}</ul></div>" if items else f"<div>{head}</div>"


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _stat(stat: str, value: Any) -> str:
    if value is None:
        return "-"
    if stat == "missing":
        return f"{100 * float(value):.1f}%"
    if stat == "top":
        return "[" + ", ".join(f"{v} ({c})" for v, c in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _same(old: Any, new: Any) -> bool:
    numbers = (int, float)
    if isinstance(old, numbers) and isinstance(new, numbers):
        if isinstance(old, bool) or isinstance(new, bool):
            return old == new
        return math.isclose(old, new, rel_tol=1e-9, abs_tol=1e-12)
    return bool(old == new)


def _types(version: DatasetVersion) -> dict[str, str]:
    return {c["name"]: c["type"] for c in version.schema or []}


def compare(
    old: DatasetVersion, new: DatasetVersion, manifests: tuple[Manifest, Manifest] | None = None
) -> DataDiff:
    """Compare two versions (for folders, also their file lists)."""
    a_types, b_types = _types(old), _types(new)
    added = [(n, t) for n, t in b_types.items() if n not in a_types]
    removed = [(n, t) for n, t in a_types.items() if n not in b_types]
    retyped = [(n, t, b_types[n]) for n, t in a_types.items() if n in b_types and b_types[n] != t]
    profile: dict[str, dict[str, tuple[Any, Any]]] = {}
    a_prof, b_prof = old.profile or {}, new.profile or {}
    for col in a_prof:
        if col not in b_prof:
            continue
        changes = {
            stat: (a_prof[col].get(stat), b_prof[col].get(stat))
            for stat in STATS
            if (stat in a_prof[col] or stat in b_prof[col])
            and not _same(a_prof[col].get(stat), b_prof[col].get(stat))
        }
        if changes:
            profile[col] = changes
    files = None
    if manifests is not None:
        before = {e.path: e.digest for e in manifests[0].entries}
        after = {e.path: e.digest for e in manifests[1].entries}
        files = {
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "changed": sorted(p for p in set(before) & set(after) if before[p] != after[p]),
        }
    return DataDiff(
        a=old.ref,
        b=new.ref,
        digests=(old.digest, new.digest),
        sizes=(old.size, new.size),
        formats=(old.format, new.format),
        rows=(old.row_count, new.row_count),
        added=added,
        removed=removed,
        retyped=retyped,
        profile=profile,
        files=files,
    )
