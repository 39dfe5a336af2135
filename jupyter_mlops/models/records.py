"""What the registry returns: a model version with its card, and a promotion event."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, fields
from typing import Any

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
        card = self.card
        stages = f"  [{', '.join(self.stages)}]" if self.stages else ""
        lines = [
            f"{self.uri}  {self.class_name} ({self.flavor}, {self.format}){stages}",
            f"  registered {_when(self.created_at)} by {self.created_by or '?'}",
            f"  artifact {self.digest} ({self.size} bytes)",
        ]
        run = card.get("run") or {}
        if run:
            lines.append(f"  run {run.get('name')} ({str(run.get('id', ''))[:8]})")
        for title in ("params", "metrics"):
            mapping = card.get(title) or {}
            if mapping:
                lines.append(
                    f"  {title}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in mapping.items())
                )
        for ds in card.get("datasets") or []:
            lines.append(f"  {ds['role']} data: {ds['ref']} ({ds['digest'][:12]})")
        for item in card.get("inputs") or []:
            lines.append(f"  {item['role']} input: {item['source']} ({item['digest'][:12]})")
        code = card.get("code") or {}
        if code.get("notebook") or code.get("git_commit"):
            commit = (code.get("git_commit") or "")[:10]
            dirty = " (dirty)" if code.get("git_dirty") else ""
            lines.append(f"  code {code.get('notebook') or ''} git {commit or '?'}{dirty}".rstrip())
        if self.tags:
            lines.append("  tags: " + ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items())))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(v)}</td></tr>"
            for k, v in (
                ("class", self.class_name),
                ("stages", ", ".join(self.stages) or "-"),
                ("run", str(self.run_id or "-")),
                ("digest", self.digest),
                ("metrics", ", ".join(f"{k}={_fmt(v)}" for k, v in self.metrics.items())),
                ("params", ", ".join(f"{k}={v}" for k, v in self.params.items())),
                ("tags", ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items()))),
            )
        )
        return f"<div class='mlops-model'><b>{esc(self.uri)}</b><table>{rows}</table></div>"


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
