"""DatasetVersion: one immutable version of a dataset, as ``get`` and ``add`` return it."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.errors import MlopsUsageError

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlops.store import Store

TABULAR = ("csv", "tsv", "parquet")


@dataclass(frozen=True)
class DatasetVersion:
    """A version ``name@N`` of a dataset: its content digest, size, format and, for tables,
    schema, row count and column profile.

    ``kind`` is ``file``, ``folder`` or ``dataframe`` (a frame stored as Parquet).
    """

    name: str
    version: int
    digest: str
    size: int
    format: str
    kind: str
    source_path: str | None
    schema: list[dict[str, str]] | None
    row_count: int | None
    profile: dict[str, dict[str, Any]] | None
    description: str | None
    tags: dict[str, str]
    created_at: float
    created_by: str | None
    run_id: str | None
    id: int = field(repr=False)
    store: Store = field(repr=False, compare=False)

    def __hash__(self) -> int:
        # Versions are immutable: name, number and digest identify one (tags may change).
        return hash((self.name, self.version, self.digest))

    @property
    def ref(self) -> str:
        """``name@N``."""
        return f"{self.name}@{self.version}"

    @property
    def is_tabular(self) -> bool:
        return self.format in TABULAR

    @property
    def filename(self) -> str:
        """The file (or folder) name this version is materialized under."""
        if self.kind == "dataframe":
            return f"{self.name}.parquet"
        base = Path(self.source_path).name if self.source_path else ""
        if not base or base in (".", ".."):
            base = self.name if self.kind == "folder" else f"{self.name}.{self.format}"
        return base

    def path(self) -> Path:
        """A local read-only path holding this version's content (a file or a folder tree).

        The content is verified against the digest the first time it is materialized;
        edit a copy from :func:`jupyter_mlops.data.checkout` instead.
        """
        # cycle: materialize imports this module's DatasetVersion
        from jupyter_mlops.data.materialize import materialize

        return materialize(self)

    def to_pandas(self, **read_options: Any) -> pd.DataFrame:
        """Load a tabular version (CSV, TSV, Parquet, a folder of Parquet or CSV files)."""
        import pandas as pd  # start-up: pandas (~300 ms) only when a version is loaded

        if self.format == "folder":
            return _folder_frame(self, read_options)
        if self.format == "parquet":
            frame: pd.DataFrame = pd.read_parquet(self.path(), **read_options)
            return frame
        if self.format in ("csv", "tsv"):
            sep = "\t" if self.format == "tsv" else ","
            table: pd.DataFrame = pd.read_csv(self.path(), **{"sep": sep, **read_options})
            return table
        raise MlopsUsageError(
            f"{self.ref} is a {self.format!r} file, not a table; read it from `.path()`."
        )

    def info(self) -> dict[str, Any]:
        """Everything recorded about this version, as plain data."""
        return {
            "name": self.name,
            "version": self.version,
            "ref": self.ref,
            "digest": self.digest,
            "size": self.size,
            "format": self.format,
            "kind": self.kind,
            "schema": self.schema,
            "row_count": self.row_count,
            "profile": self.profile,
            "tags": dict(self.tags),
            "created_at": self.created_at,
            "created_by": self.created_by,
            "run_id": self.run_id,
            "source_path": self.source_path,
            "description": self.description,
        }

    def describe(self) -> str:
        """Everything about this version as text: one line, then details and columns."""
        return describe(self.info())

    def __str__(self) -> str:
        return summary(self.info())

    def _repr_html_(self) -> str:
        return to_html(self.info())


def summary(info: Mapping[str, Any]) -> str:
    """One line about a version: ``churn@2 (csv, 16 B, 2 rows, 1a2b3c4d5e6f)``.

    ``info`` is :meth:`DatasetVersion.info` or the services' record of a version (dumped):
    both faces and the Python API print versions this one way.
    """
    rows = "" if info["row_count"] is None else f", {info['row_count']:,} rows"
    return (
        f"{info['ref']} ({info['format']}, {human_size(info['size'])}{rows}, {info['digest'][:12]})"
    )


def _created(info: Mapping[str, Any]) -> str:
    return dt.datetime.fromtimestamp(info["created_at"], dt.UTC).strftime("%Y-%m-%d %H:%M")


def describe(info: Mapping[str, Any]) -> str:
    """Everything about a version (as :func:`summary` takes it) as text: one line, then details
    and columns."""
    lines = [summary(info), f"  digest: {info['digest']}"]
    if info["source_path"]:
        lines.append(f"  source: {info['source_path']}")
    lines.append(f"  created: {_created(info)} UTC by {info['created_by'] or '?'}")
    if info["run_id"]:
        lines.append(f"  run: {info['run_id']}")
    if info["description"]:
        lines.append(f"  description: {info['description']}")
    tags = info["tags"]
    if tags:
        lines.append("  tags: " + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())))
    profile = info["profile"]
    if profile:
        width = max(len(col) for col in profile)
        types = max(len(str(p.get("type"))) for p in profile.values())
        lines.append("  columns:")
        for col, p in profile.items():
            lines.append(
                f"    {col:<{width}}  {p.get('type')!s:<{types}}  "
                f"missing {_share(p.get('missing')):>6}  {_summary(p)}".rstrip()
            )
    return "\n".join(lines)


def to_html(info: Mapping[str, Any]) -> str:
    """A version (as :func:`summary` takes it) as HTML: its facts and the column profile."""
    head = [
        ("digest", info["digest"][:12]),
        ("format", info["format"]),
        ("size", human_size(info["size"])),
        ("rows", "" if info["row_count"] is None else f"{info['row_count']:,}"),
        ("created", f"{_created(info)} UTC"),
        ("source", info["source_path"] or ""),
        ("description", info["description"] or ""),
        ("tags", ", ".join(f"{k}={v}" for k, v in sorted(info["tags"].items()))),
    ]
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in head
        if v
    )
    columns = ""
    profile = info["profile"]
    if profile:
        cells = "".join(
            "<tr>"
            f"<td>{html.escape(col)}</td><td>{html.escape(str(p.get('type')))}</td>"
            f"<td>{_share(p.get('missing'))}</td><td>{html.escape(_summary(p))}</td>"
            "</tr>"
            for col, p in profile.items()
        )
        columns = (
            "<table><tr><th>column</th><th>type</th><th>missing</th><th>profile</th></tr>"
            f"{cells}</table>"
        )
    return f"<div><strong>{html.escape(info['ref'])}</strong><table>{rows}</table>{columns}</div>"


def _folder_frame(version: DatasetVersion, read_options: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd  # start-up: pandas (~300 ms) only when a version is loaded

    root = version.path()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    suffixes = {p.suffix.lower() for p in files}
    if files and suffixes <= {".parquet", ".pq"}:
        parts: list[pd.DataFrame] = [pd.read_parquet(p, **read_options) for p in files]
        return pd.concat(parts, ignore_index=True)
    if files and suffixes == {".csv"}:
        tables: list[pd.DataFrame] = [pd.read_csv(p, **read_options) for p in files]
        return pd.concat(tables, ignore_index=True)
    raise MlopsUsageError(
        f"{version.ref} is a folder of {', '.join(sorted(suffixes)) or 'unknown'} files; "
        "to_pandas() reads folders of Parquet or CSV files only. Read it from `.path()`."
    )


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _share(value: Any) -> str:
    return "" if value is None else f"{100 * float(value):.1f}%"


def _summary(p: dict[str, Any]) -> str:
    if "mean" in p:
        return f"min {p['min']} · max {p['max']} · mean {_num(p['mean'])} · std {_num(p['std'])}"
    if "top" in p:
        top = ", ".join(f"{v} ({c})" for v, c in p["top"][:3])
        return f"{p['distinct']} distinct: {top}"
    if "min" in p:
        return f"{p['min']} … {p['max']}"
    return ""


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"
