"""What the registry returns: a model version with its card, and a promotion event."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, fields
from typing import Any, Protocol

from jupyter_mlops.expressions import GateResult
from jupyter_mlops.store.models import StoredModelVersion


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _fmt(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class ModelVersion(StoredModelVersion):
    """One registered version of a model, with its card (the record of how it was made).

    Attributes: ``name``, ``version``, ``run_id``, ``digest``, ``size``, ``flavor``,
    ``format``, ``class_name``, ``signature``, ``card``, ``description``, ``created_by``,
    ``created_at``, ``tags`` and ``stages`` (the stages it holds now).
    """

    @classmethod
    def of(cls, stored: StoredModelVersion) -> ModelVersion:
        """The version the store read."""
        return cls(**{f.name: getattr(stored, f.name) for f in fields(stored)})

    @property
    def uri(self) -> str:
        """``models:/NAME/VERSION``."""
        return f"models:/{self.name}/{self.version}"

    @property
    def metrics(self) -> dict[str, float | None]:
        """The run's metrics when the version was registered (NaN stored as None)."""
        return dict(self.card.get("metrics") or {})

    @property
    def params(self) -> dict[str, str]:
        """The run's params when the version was registered."""
        return dict(self.card.get("params") or {})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "version": self.version,
            "uri": self.uri,
            "run_id": self.run_id,
            "digest": self.digest,
            "size": self.size,
            "flavor": self.flavor,
            "format": self.format,
            "class_name": self.class_name,
            "signature": self.signature,
            "description": self.description,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "tags": dict(self.tags),
            "stages": list(self.stages),
            "card": self.card,
        }

    def __str__(self) -> str:
        return describe(self)

    def _repr_html_(self) -> str:
        return version_html(self)


class VersionView(Protocol):
    """What :func:`describe` reads: a ModelVersion, or its REST record."""

    @property
    def uri(self) -> str: ...
    @property
    def class_name(self) -> str: ...
    @property
    def flavor(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def stages(self) -> list[str]: ...
    @property
    def created_at(self) -> float: ...
    @property
    def created_by(self) -> str | None: ...
    @property
    def digest(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def run_id(self) -> str | None: ...
    @property
    def card(self) -> dict[str, Any]: ...
    @property
    def tags(self) -> dict[str, str]: ...


def describe(v: VersionView) -> str:
    """A model version as text: what it is, when and from what run, its card's contents."""
    card = v.card
    stages = f"  [{', '.join(v.stages)}]" if v.stages else ""
    lines = [
        f"{v.uri}  {v.class_name} ({v.flavor}, {v.format}){stages}",
        f"  registered {_when(v.created_at)} by {v.created_by or '?'}",
        f"  artifact {v.digest} ({v.size} bytes)",
    ]
    run = card.get("run") or {}
    if run:
        lines.append(f"  run {run.get('name')} ({str(run.get('id', ''))[:8]})")
    for title in ("params", "metrics"):
        mapping = card.get(title) or {}
        if mapping:
            lines.append(f"  {title}: " + ", ".join(f"{k}={_fmt(x)}" for k, x in mapping.items()))
    for ds in card.get("datasets") or []:
        lines.append(f"  {ds['role']} data: {ds['ref']} ({ds['digest'][:12]})")
    for item in card.get("inputs") or []:
        lines.append(f"  {item['role']} input: {item['source']} ({item['digest'][:12]})")
    code = card.get("code") or {}
    if code.get("notebook") or code.get("git_commit"):
        commit = (code.get("git_commit") or "")[:10]
        dirty = " (dirty)" if code.get("git_dirty") else ""
        lines.append(f"  code {code.get('notebook') or ''} git {commit or '?'}{dirty}".rstrip())
    if v.tags:
        lines.append("  tags: " + ", ".join(f"{k}={x}" for k, x in sorted(v.tags.items())))
    return "\n".join(lines)


def version_html(v: VersionView) -> str:
    """A model version as a small HTML table (its card's metrics and params)."""
    esc = html.escape
    card = v.card
    rows = "".join(
        f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(x)}</td></tr>"
        for k, x in (
            ("class", v.class_name),
            ("stages", ", ".join(v.stages) or "-"),
            ("run", str(v.run_id or "-")),
            ("digest", v.digest),
            (
                "metrics",
                ", ".join(f"{k}={_fmt(m)}" for k, m in (card.get("metrics") or {}).items()),
            ),
            ("params", ", ".join(f"{k}={p}" for k, p in (card.get("params") or {}).items())),
            ("tags", ", ".join(f"{k}={t}" for k, t in sorted(v.tags.items()))),
        )
    )
    return f"<div class='mlops-model'><b>{esc(v.uri)}</b><table>{rows}</table></div>"


@dataclass(frozen=True)
class PromotionEvent:
    """One audited attempt to move a stage: promoted, refused or conflict."""

    id: int
    model: str
    stage: str
    action: str  # "promote" or "rollback"
    from_version: int | None
    to_version: int
    outcome: str  # "promoted", "refused" or "conflict"
    checks: list[GateResult]
    validation: dict[str, Any] | None
    detail: str | None
    reason: str | None
    user: str | None
    host: str | None
    created_at: float

    def __str__(self) -> str:
        src = f"v{self.from_version}" if self.from_version is not None else "none"
        text = (
            f"{_when(self.created_at)} {self.model} {self.stage}: {src} -> v{self.to_version} "
            f"{self.outcome} ({self.action}) by {self.user or '?'}"
        )
        if self.reason:
            text += f" — {self.reason}"
        if self.detail:
            text += f" ({self.detail})"
        return text


def encode_checks(
    action: str, checks: list[GateResult], validation: dict[str, Any] | None, detail: str | None
) -> str:
    """The JSON stored in ``promotion_events.checks``."""
    return json.dumps(
        {
            "action": action,
            "checks": [c.to_dict() for c in checks],
            "validation": validation,
            "detail": detail,
        },
        default=str,
    )


def decode_checks(text: str) -> dict[str, Any]:
    """Read ``promotion_events.checks``; tolerates a bare list of checks."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if isinstance(data, list):
        data = {"checks": data}
    if not isinstance(data, dict):
        data = {}
    data.setdefault("action", "promote")
    data["checks"] = [GateResult.from_dict(c) for c in data.get("checks") or []]
    data.setdefault("validation", None)
    data.setdefault("detail", None)
    return data
